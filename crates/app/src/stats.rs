//! Statistics for the province's reports, read from the counters the functions maintain on
//! write (day buckets; no table scans): followers, lookups by channel, notifications by kind and
//! channel with their cost, tickets and answer times, and the money saved compared with SMS.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use futures_util::future::try_join_all;
use motcua_domain::{EventKind, Prices, TenantId};
use serde::Serialize;

use crate::ports::{CounterStore, StoreResult};
use motcua_domain::ticket::ANSWER_BUCKETS;

/// Lookup channels and their counters (`lookup.<channel>`).
pub const LOOKUP_CHANNELS: [&str; 4] = ["chat", "web", "qr_page", "api"];
/// Channels a notification can go by (`notify.<kind>.<channel>`), then the undeliverable ones.
pub const SENT_CHANNELS: [&str; 5] = ["zalo_cs_free", "zalo_cs_paid", "zbs_uid", "zns", "sms"];
pub const LONGEST_RANGE_DAYS: i64 = 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayRow {
    pub day: NaiveDate,
    pub follows: i64,
    pub unfollows: i64,
    /// Zalo's own follower count read that day (0: not read).
    pub zalo_followers: i64,
    /// Per channel of [`LOOKUP_CHANNELS`].
    pub lookups: BTreeMap<String, i64>,
    pub notifications_sent: i64,
    pub undeliverable: i64,
    pub tickets_opened: i64,
    pub tickets_answered: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationRow {
    pub kind: String,
    pub channel: String,
    pub count: i64,
    /// VND per message on this channel.
    pub unit_price: u32,
    pub cost: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthRow {
    /// `2026-11`
    pub month: String,
    pub lookups: i64,
    pub notifications_sent: i64,
    pub saved_vnd: i64,
    /// Dossiers whose result was ready this month, on time and after the appointment in force
    /// (counted when a dossier first reaches "result ready" or "returned").
    pub finished_on_time: i64,
    pub finished_late: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    pub tenant: TenantId,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub follows: i64,
    pub unfollows: i64,
    /// Zalo's own follower count, as last read in the period (`getoa`, daily).
    pub zalo_followers: Option<i64>,
    pub lookups_by_channel: BTreeMap<String, i64>,
    pub lookups: i64,
    pub notifications: Vec<NotificationRow>,
    pub notifications_sent: i64,
    pub undeliverable: i64,
    /// What the messages sent cost (Zalo's paid channels, and the SMS sent where no Zalo
    /// channel reached the citizen).
    pub zalo_cost_vnd: i64,
    /// What the same messages would have cost by SMS.
    pub sms_cost_vnd: i64,
    pub saved_vnd: i64,
    pub tickets_opened: i64,
    pub tickets_answered: i64,
    pub tickets_answered_late: i64,
    /// Questions the procedure guide answered; of them, asked again to staff by the citizen,
    /// and marked wrong by staff.
    pub guide_answered: i64,
    pub guide_asked_staff: i64,
    pub guide_wrong: i64,
    /// Dossiers finished in the period, on time and late ("trễ hạn", a provincial KPI).
    pub dossiers_finished_on_time: i64,
    pub dossiers_finished_late: i64,
    /// Answer time of half the answered tickets is at most this many hours (bucket bound).
    pub median_answer_hours: Option<u32>,
    pub mean_answer_hours: Option<f64>,
    pub prices: Prices,
    pub days: Vec<DayRow>,
    pub months: Vec<MonthRow>,
}

/// Sums of each metric over `[from, to]`, and per day.
struct Series(BTreeMap<String, Vec<(NaiveDate, i64)>>);

impl Series {
    fn total(&self, metric: &str) -> i64 {
        self.0
            .get(metric)
            .map_or(0, |v| v.iter().map(|(_, n)| n).sum())
    }

    fn on(&self, metric: &str, day: NaiveDate) -> i64 {
        self.0
            .get(metric)
            .and_then(|v| v.iter().find(|(d, _)| *d == day))
            .map_or(0, |(_, n)| *n)
    }
}

/// Written by `ingest` when a dossier first reaches "result ready" or "returned".
pub const FINISHED_ON_TIME: &str = "dossier.finished_on_time";
pub const FINISHED_LATE: &str = "dossier.finished_late";

fn notify_metric(kind: &str, channel: &str) -> String {
    format!("notify.{kind}.{channel}")
}

/// Every counter the statistics read.
fn metric_names() -> Vec<String> {
    let mut metrics: Vec<String> = vec![
        "followers.follow".into(),
        "followers.unfollow".into(),
        crate::oa_followers::ZALO_FOLLOWERS.into(),
        "notify.undeliverable".into(),
        "tickets.opened".into(),
        "tickets.answered".into(),
        "tickets.answered_late".into(),
        "tickets.answer_minutes".into(),
        "guide.answered".into(),
        "guide.asked_staff".into(),
        "guide.wrong".into(),
        FINISHED_ON_TIME.into(),
        FINISHED_LATE.into(),
    ];
    metrics.extend(LOOKUP_CHANNELS.iter().map(|c| format!("lookup.{c}")));
    metrics.extend(
        ANSWER_BUCKETS
            .iter()
            .map(|h| format!("tickets.answer_le_{h}h")),
    );
    metrics.push("tickets.answer_le_0h".into());
    for kind in EventKind::ALL {
        for channel in SENT_CHANNELS {
            metrics.push(notify_metric(kind.as_str(), channel));
        }
    }
    metrics
}

/// One row per (kind, channel) that sent anything, priced at the tenant's unit prices.
fn notification_rows(series: &Series, prices: &Prices) -> Vec<NotificationRow> {
    let mut notifications = Vec::new();
    for kind in EventKind::ALL {
        for channel in SENT_CHANNELS {
            let count = series.total(&notify_metric(kind.as_str(), channel));
            if count > 0 {
                let unit_price = prices.of_channel(channel);
                notifications.push(NotificationRow {
                    kind: kind.as_str().into(),
                    channel: channel.into(),
                    count,
                    unit_price,
                    cost: count * i64::from(unit_price),
                });
            }
        }
    }
    notifications
}

/// One row per calendar day of `[from, to]`.
fn day_rows(series: &Series, from: NaiveDate, to: NaiveDate) -> Vec<DayRow> {
    let mut days = Vec::new();
    let mut day = from;
    while day <= to {
        let sent_today: i64 = EventKind::ALL
            .iter()
            .flat_map(|k| {
                SENT_CHANNELS
                    .iter()
                    .map(move |c| notify_metric(k.as_str(), c))
            })
            .map(|m| series.on(&m, day))
            .sum();
        days.push(DayRow {
            day,
            follows: series.on("followers.follow", day),
            unfollows: series.on("followers.unfollow", day),
            zalo_followers: series.on(crate::oa_followers::ZALO_FOLLOWERS, day),
            lookups: LOOKUP_CHANNELS
                .iter()
                .map(|c| (c.to_string(), series.on(&format!("lookup.{c}"), day)))
                .collect(),
            notifications_sent: sent_today,
            undeliverable: series.on("notify.undeliverable", day),
            tickets_opened: series.on("tickets.opened", day),
            tickets_answered: series.on("tickets.answered", day),
        });
        day = day.succ_opt().expect("dates are bounded");
    }
    days
}

pub async fn compute(
    store: &dyn CounterStore,
    tenant: &TenantId,
    prices: &Prices,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Statistics> {
    let metrics = metric_names();
    let series = try_join_all(metrics.iter().map(|m| async move {
        Ok::<_, crate::ports::StoreError>((m.clone(), store.daily(tenant, m, from, to).await?))
    }))
    .await?;
    let series = Series(series.into_iter().collect());

    let notifications = notification_rows(&series, prices);
    let notifications_sent: i64 = notifications.iter().map(|r| r.count).sum();
    let zalo_cost_vnd: i64 = notifications.iter().map(|r| r.cost).sum();
    let sms_cost_vnd = notifications_sent * i64::from(prices.sms);

    let lookups_by_channel: BTreeMap<String, i64> = LOOKUP_CHANNELS
        .iter()
        .map(|c| (c.to_string(), series.total(&format!("lookup.{c}"))))
        .collect();

    let answered = series.total("tickets.answered");
    let median_answer_hours = median_bucket(&series, answered);
    let mean_answer_hours = (answered > 0)
        .then(|| series.total("tickets.answer_minutes") as f64 / answered as f64 / 60.0);

    let days = day_rows(&series, from, to);
    let months = month_rows(&series, &days, prices);

    Ok(Statistics {
        tenant: tenant.clone(),
        from,
        to,
        follows: series.total("followers.follow"),
        unfollows: series.total("followers.unfollow"),
        zalo_followers: days.iter().rev().map(|d| d.zalo_followers).find(|n| *n > 0),
        lookups: lookups_by_channel.values().sum(),
        lookups_by_channel,
        notifications,
        notifications_sent,
        undeliverable: series.total("notify.undeliverable"),
        zalo_cost_vnd,
        sms_cost_vnd,
        saved_vnd: sms_cost_vnd - zalo_cost_vnd,
        tickets_opened: series.total("tickets.opened"),
        tickets_answered: answered,
        tickets_answered_late: series.total("tickets.answered_late"),
        guide_answered: series.total("guide.answered"),
        guide_asked_staff: series.total("guide.asked_staff"),
        guide_wrong: series.total("guide.wrong"),
        dossiers_finished_on_time: series.total(FINISHED_ON_TIME),
        dossiers_finished_late: series.total(FINISHED_LATE),
        median_answer_hours,
        mean_answer_hours,
        prices: prices.clone(),
        days,
        months,
    })
}

/// The bucket holding the middle answer (buckets in increasing order; 0 = over a week).
fn median_bucket(series: &Series, answered: i64) -> Option<u32> {
    if answered == 0 {
        return None;
    }
    let middle = (answered + 1) / 2;
    let mut seen = 0;
    for h in ANSWER_BUCKETS {
        seen += series.total(&format!("tickets.answer_le_{h}h"));
        if seen >= middle {
            return Some(h);
        }
    }
    Some(0)
}

fn month_rows(series: &Series, days: &[DayRow], prices: &Prices) -> Vec<MonthRow> {
    let mut months: BTreeMap<String, MonthRow> = BTreeMap::new();
    for d in days {
        let key = format!("{:04}-{:02}", d.day.year(), d.day.month());
        let saved: i64 = EventKind::ALL
            .iter()
            .flat_map(|k| SENT_CHANNELS.iter().map(move |c| (k, *c)))
            .map(|(k, c)| {
                series.on(&notify_metric(k.as_str(), c), d.day)
                    * (i64::from(prices.sms) - i64::from(prices.of_channel(c)))
            })
            .sum();
        let row = months.entry(key.clone()).or_insert(MonthRow {
            month: key,
            lookups: 0,
            notifications_sent: 0,
            saved_vnd: 0,
            finished_on_time: 0,
            finished_late: 0,
        });
        row.finished_on_time += series.on(FINISHED_ON_TIME, d.day);
        row.finished_late += series.on(FINISHED_LATE, d.day);
        row.lookups += d.lookups.values().sum::<i64>();
        row.notifications_sent += d.notifications_sent;
        row.saved_vnd += saved;
    }
    months.into_values().collect()
}

/// The statistics as CSV (UTF-8 with BOM so that Excel shows Vietnamese correctly): one row per
/// day, then the totals and the notification breakdown.
pub fn to_csv(s: &Statistics) -> String {
    let mut out = String::from("\u{feff}");
    out.push_str("ngay,nguoi_quan_tam_moi,bo_quan_tam");
    for c in LOOKUP_CHANNELS {
        out.push_str(&format!(",tra_cuu_{c}"));
    }
    // a new column goes last, so that a province's spreadsheet keeps its columns
    out.push_str(
        ",thong_bao_da_gui,khong_gui_duoc,phieu_moi,phieu_da_tra_loi,nguoi_quan_tam_theo_zalo\n",
    );
    for d in &s.days {
        out.push_str(&format!("{},{},{}", d.day, d.follows, d.unfollows));
        for c in LOOKUP_CHANNELS {
            out.push_str(&format!(",{}", d.lookups.get(c).copied().unwrap_or(0)));
        }
        out.push_str(&format!(
            ",{},{},{},{},{}\n",
            d.notifications_sent,
            d.undeliverable,
            d.tickets_opened,
            d.tickets_answered,
            d.zalo_followers
        ));
    }
    out.push_str("\nloai_thong_bao,kenh,so_tin,don_gia_vnd,chi_phi_vnd\n");
    for r in &s.notifications {
        out.push_str(&format!(
            "{},{},{},{},{}\n",
            r.kind, r.channel, r.count, r.unit_price, r.cost
        ));
    }
    out.push_str("\nthang,ho_so_dung_han,ho_so_tre_han\n");
    for m in &s.months {
        out.push_str(&format!(
            "{},{},{}\n",
            m.month, m.finished_on_time, m.finished_late
        ));
    }
    out.push_str("\nchi_tieu,gia_tri\n");
    let median = s
        .median_answer_hours
        .map_or(String::new(), |h| h.to_string());
    for (k, v) in [
        ("tu_ngay", s.from.to_string()),
        ("den_ngay", s.to.to_string()),
        ("tong_tra_cuu", s.lookups.to_string()),
        ("tong_thong_bao_da_gui", s.notifications_sent.to_string()),
        ("khong_gui_duoc", s.undeliverable.to_string()),
        ("chi_phi_zalo_vnd", s.zalo_cost_vnd.to_string()),
        ("chi_phi_neu_gui_sms_vnd", s.sms_cost_vnd.to_string()),
        ("tiet_kiem_vnd", s.saved_vnd.to_string()),
        ("phieu_moi", s.tickets_opened.to_string()),
        ("phieu_da_tra_loi", s.tickets_answered.to_string()),
        ("phieu_tra_loi_tre_han", s.tickets_answered_late.to_string()),
        ("huong_dan_tu_dong_tra_loi", s.guide_answered.to_string()),
        ("huong_dan_chuyen_can_bo", s.guide_asked_staff.to_string()),
        ("huong_dan_bi_danh_dau_sai", s.guide_wrong.to_string()),
        (
            "ho_so_hoan_thanh_dung_han",
            s.dossiers_finished_on_time.to_string(),
        ),
        (
            "ho_so_hoan_thanh_tre_han",
            s.dossiers_finished_late.to_string(),
        ),
        ("trung_vi_thoi_gian_tra_loi_gio_toi_da", median),
    ] {
        out.push_str(&format!("{k},{v}\n"));
    }
    out
}
