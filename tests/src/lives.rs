//! Dossier lives and DVCQG streams, generated from the documented contract
//! (../shared/docs/domain.md §1 codes, §2.1 national statuses and `CapNhatTienDoHoSoMC`, §2.2
//! `DongBoHoSoMC`), not from our fixtures.
//!
//! A life is the truth: the one-stop system's full snapshots of one dossier in the order it made
//! them, with progress records between them. Beside the bodies it keeps, from its own reading of
//! the contract, what the citizen should be told after each body (`Told`) and the final state.
//! A stream interleaves lives, re-sends bodies byte for byte, swaps one dossier's bodies within
//! a window and adds poison.

use chrono::{Duration, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// What a citizen-visible notice says, as the contract defines it: the event's meaning, the
/// status, the step and its unit, the appointment in force (a day), the reason, the fee, the
/// new appointment of an apology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Told {
    pub kind: &'static str,
    pub status: u8,
    pub step: Option<String>,
    pub unit: Option<String>,
    pub due_day: Option<String>,
    pub reason: Option<String>,
    pub fee: Option<u64>,
    pub new_due_day: Option<String>,
}

/// The dossier as the one-stop system holds it after its last body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truth {
    pub status: u8,
    pub step: Option<String>,
    pub unit: Option<String>,
    /// `yyyyMMddHHmmss`
    pub due: Option<String>,
    pub late: bool,
    pub documents: usize,
}

#[derive(Debug, Clone)]
pub struct Life {
    pub code: String,
    /// Applicant's full name and phone as written in the payload (mixed formats).
    pub applicant: String,
    pub phone: String,
    /// The authorised representative's phone, who gets the notices when set.
    pub representative: Option<String>,
    pub bodies: Vec<Value>,
    /// What the citizen is told, in order, when the bodies arrive in order (re-sends aside).
    pub told: Vec<Told>,
    pub truth: Truth,
}

impl Life {
    /// The recipient's phone digits in national form (`0906591985`).
    pub fn recipient_national(&self) -> String {
        national(self.representative.as_deref().unwrap_or(&self.phone))
    }
}

pub fn national(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    match digits.strip_prefix("84") {
        Some(rest) if digits.len() == 11 => format!("0{rest}"),
        _ => digits,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Share of bodies re-sent byte for byte (later, within 20 positions).
    pub resend: f64,
    /// Same-dossier bodies are swapped within this many positions (0: never).
    pub window: usize,
    pub poison: bool,
}

pub struct Stream {
    pub bodies: Vec<String>,
    pub lives: Vec<Life>,
    /// How many bodies can never be processed.
    pub poison: usize,
}

const STEPS: [(&str, &str); 4] = [
    ("Phân công thụ lý", "Phòng Quản lý đô thị"),
    ("Thẩm định hồ sơ", "Phòng Tài nguyên và Môi trường"),
    ("Trình ký", "Văn phòng HĐND và UBND"),
    ("Ký duyệt", "Lãnh đạo UBND"),
];
const PROCEDURES: [(&str, &str, &str); 4] = [
    (
        "1.009994",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Xây dựng",
    ),
    ("1.001612", "Đăng ký khai sinh", "Hộ tịch"),
    ("2.000889", "Cấp Phiếu lý lịch tư pháp", "Lý lịch tư pháp"),
    (
        "1.004227",
        "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do thay đổi thông tin về người được cấp Giấy chứng nhận",
        "Đất đai",
    ),
];
const NAMES: [&str; 6] = [
    "NGUYỄN THỊ THANH MẪN",
    "Trần Văn Đức",
    "LÊ HOÀNG ÁNH",
    "Phạm Thị Ngọc Hà",
    "Hoàng Minh Tuấn",
    "Công ty TNHH Xây dựng Phú Thịnh",
];
const PREFIXES: [&str; 12] = [
    "090", "091", "094", "096", "097", "098", "032", "033", "070", "077", "081", "086",
];

fn fmt(t: NaiveDateTime) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

fn day(stamp: &str) -> String {
    stamp[..8].to_string()
}

/// A mobile number in one of the ways one-stop systems write them.
fn phone(rng: &mut StdRng) -> String {
    let p = PREFIXES[rng.random_range(0..PREFIXES.len())];
    let rest: String = (0..7)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect();
    let n = format!("{p}{rest}");
    match rng.random_range(0..6) {
        0 => n,
        1 => format!("+84{}", &n[1..]),
        2 => format!("84{}", &n[1..]),
        3 => format!("{} {} {}", &n[..4], &n[4..7], &n[7..]),
        4 => format!("{}.{}.{}", &n[..3], &n[3..6], &n[6..]),
        _ => format!("(+84) {} {} {}", &n[1..4], &n[4..7], &n[7..]),
    }
}

/// A receipt code of Tuyên Quang (H60) or, before the 2025 merger, Hà Giang (H22), in the forms
/// of domain.md §1.2: the national four groups, a commune-level unit, iGate's short agency, a
/// five-digit sequence.
fn code(rng: &mut StdRng, n: usize, date: NaiveDateTime) -> String {
    let province = if rng.random_bool(0.3) { "H22" } else { "H60" };
    let ymd = date.format("%y%m%d");
    let seq = n % 10_000;
    match rng.random_range(0..4) {
        0 => format!(
            "000.00.{:02}.{province}-{ymd}-{seq:04}",
            rng.random_range(1..30)
        ),
        1 => format!(
            "000.{:02}.{:02}.{province}-{ymd}-{seq:04}",
            rng.random_range(1..40),
            rng.random_range(1..12)
        ),
        2 => format!(
            "{province}.{:03}-{ymd}-{seq:04}",
            rng.random_range(100..200)
        ),
        _ => format!(
            "000.00.{:02}.{province}-{ymd}-{:05}",
            rng.random_range(1..30),
            10_000 + n
        ),
    }
}

struct Builder {
    rng: StdRng,
    record: Value,
    now: NaiveDateTime,
    due: NaiveDateTime,
    supplements: Vec<Value>,
    bodies: Vec<Value>,
    told: Vec<Told>,
    state: Truth,
    /// What the recipient was last told (the notifier tells nothing twice in a row).
    last_told: Option<Told>,
    /// (latest date, progress) of the last snapshot applied, and the last step time.
    order: (String, u8),
    step_at: Option<String>,
    code: String,
    progress_seq: usize,
}

fn progress_of(status: u8) -> u8 {
    match status {
        1 => 1,
        2 => 2,
        4 => 3,
        5 => 4,
        6 => 5,
        7 => 6,
        9 => 7,
        3 | 8 => 8,
        _ => 9,
    }
}

fn kind_of(status: u8, reappointed: bool) -> &'static str {
    match status {
        1 => "submitted",
        2 => "received",
        3 => "rejected",
        4 if reappointed => "overdue_apology",
        4 => "step_changed",
        5 => "supplement_requested",
        6 => "fee_requested",
        7 => "withdrawn",
        8 => "processing_stopped",
        9 => "result_ready",
        _ => "result_returned",
    }
}

impl Builder {
    fn later(&mut self, min_minutes: i64, max_minutes: i64) -> String {
        self.now += Duration::minutes(self.rng.random_range(min_minutes..=max_minutes));
        fmt(self.now)
    }

    fn tell(&mut self, told: Told) {
        if self.last_told.as_ref() != Some(&told) {
            self.told.push(told.clone());
            self.last_told = Some(told);
        }
    }

    fn due_in_force(&self) -> String {
        self.supplements
            .iter()
            .filter_map(|s| s.get("NgayHenTraMoi").and_then(Value::as_str))
            .max()
            .map(str::to_string)
            .or_else(|| self.record["NgayHenTra"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// A full snapshot in status `status`, as DongBoHoSoMC sends it.
    fn snapshot(&mut self, status: u8, note: &str) {
        self.record["TrangThaiHoSo"] = json!(status.to_string());
        self.record["GhiChu"] = json!(note);
        self.record["DanhSachHoSoBoSung"] = Value::Array(self.supplements.clone());
        let body = self.record.clone();
        // the contract's order: the latest date in the payload, then the status's progress
        let latest = ["NgayTiepNhan", "NgayKetThucXuLy", "NgayTra"]
            .iter()
            .filter_map(|k| body.get(*k).and_then(Value::as_str))
            .chain(self.supplements.iter().flat_map(|s| {
                ["NgayBoSung", "NgayTiepNhanBoSung"]
                    .into_iter()
                    .filter_map(|k| s.get(k).and_then(Value::as_str))
            }))
            .max()
            .unwrap_or("")
            .to_string();
        let key = (latest, progress_of(status));
        assert!(
            key >= self.order,
            "the generator keeps the contract's order"
        );
        self.order = key;
        self.bodies.push(body);
        let previous = self.state.status;
        let reappointed = self
            .supplements
            .iter()
            .any(|s| s.get("NgayHenTraMoi").is_some());
        let (step, unit) = if status == 4 && previous == 4 {
            (self.state.step.clone(), self.state.unit.clone())
        } else {
            (None, None)
        };
        let due = self.due_in_force();
        let finished = self.record["NgayKetThucXuLy"]
            .as_str()
            .or(self.record["NgayTra"].as_str())
            .map(str::to_string);
        let late_finish =
            matches!(status, 9 | 10) && finished.as_deref().is_some_and(|f| f > due.as_str());
        self.state = Truth {
            status,
            step: step.clone(),
            unit: unit.clone(),
            due: Some(due.clone()),
            late: self.state.late || reappointed || late_finish,
            documents: self.record["DanhSachGiayToKetQua"]
                .as_array()
                .map_or(0, Vec::len),
        };
        let kind = kind_of(status, reappointed && status == 4);
        let reason = (status == 5)
            .then(|| {
                self.supplements
                    .iter()
                    .rev()
                    .find_map(|s| s.get("NoiDungBoSung").and_then(Value::as_str))
                    .map(str::to_string)
            })
            .flatten();
        let fee = (status == 6).then(|| {
            self.record["DanhSachLePhi"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["Gia"].as_str()?.parse::<u64>().ok())
                .sum()
        });
        let told = Told {
            kind,
            status,
            step,
            unit,
            due_day: Some(day(&due)),
            reason,
            fee,
            new_due_day: (kind == "overdue_apology").then(|| day(&due)),
        };
        self.tell(told);
    }

    /// A `CapNhatTienDoHoSoMC` record: the dossier moved to a step in a unit.
    fn progress(&mut self) {
        let (step, unit) = STEPS[self.progress_seq % STEPS.len()];
        self.progress_seq += 1;
        let at = self.later(20, 600);
        let body = json!({
            "MaHoSo": self.code,
            "NguoiXuLy": "Nguyễn Văn Cán Bộ",
            "ChucDanh": "Chuyên viên",
            "ThoiDiemXuLy": at,
            "PhongBanXuLy": unit,
            "NoiDungXuLy": step,
            "TrangThai": "1",
            "NgayBatDau": at,
            "NgayKetThucTheoQuyDinh": fmt(self.now + Duration::days(3)),
        });
        let body = if self.rng.random_bool(0.5) {
            json!({"service": "CapNhatTienDoHoSoMC", "isUpdating": true, "data": [body]})
        } else {
            body
        };
        self.bodies.push(body);
        assert!(self.step_at.as_deref() < Some(at.as_str()));
        self.step_at = Some(at);
        if matches!(self.state.status, 1 | 2) {
            self.state.status = 4;
        }
        self.state.step = Some(step.into());
        self.state.unit = Some(unit.into());
        if self.state.status == 4 {
            let due = self.due_in_force();
            self.tell(Told {
                kind: "step_changed",
                status: 4,
                step: Some(step.into()),
                unit: Some(unit.into()),
                due_day: Some(day(&due)),
                reason: None,
                fee: None,
                new_due_day: None,
            });
        }
    }

    /// Internal steps seen only as status 4 with the same dates (the one-stop system re-syncs
    /// the dossier at each step), with progress records between them.
    fn processing(&mut self) {
        for (i, (step, _)) in STEPS.iter().enumerate().take(self.rng.random_range(1..=3)) {
            self.snapshot(4, &format!("Bước {}: {step}", i + 1));
            if self.rng.random_bool(0.6) {
                self.progress();
            }
        }
    }
}

/// One dossier's life, seeded.
pub fn life(seed: u64, n: usize) -> Life {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = NaiveDateTime::parse_from_str("20250602080000", "%Y%m%d%H%M%S").unwrap()
        + Duration::days(rng.random_range(0..500))
        + Duration::minutes(rng.random_range(0..480));
    let code = code(&mut rng, n, start);
    let (proc_code, proc_name, sector) = PROCEDURES[rng.random_range(0..PROCEDURES.len())];
    let applicant = NAMES[rng.random_range(0..NAMES.len())].to_string();
    let phone_raw = phone(&mut rng);
    let representative = rng.random_bool(0.1).then(|| phone(&mut rng));
    let online = rng.random_bool(0.4);
    let due = start + Duration::days(rng.random_range(5..20));
    let mut record = json!({
        "MaHoSo": code,
        "SoBienNhan": code,
        "MaTTHC": proc_code,
        "TenTTHC": proc_name,
        "MaLinhVuc": "G05-XD01",
        "TenLinhVuc": sector,
        "TrichYeuHoSo": format!("{proc_name} cho {applicant}"),
        "ChuHoSo": applicant,
        "LoaiDoiTuong": if applicant.starts_with("Công ty") { "2" } else { "1" },
        "MaDoiTuong": format!("dvcqg-{}", rng.random_range(100_000..999_999)),
        "Email": "congdan@example.vn",
        "SoDienThoai": phone_raw,
        "NgayHenTra": fmt(due),
        "HinhThuc": if rng.random_bool(0.3) { 1 } else { 0 },
        "DonViXuLy": "UBND tỉnh Tuyên Quang",
        "TaiLieuNop": [{"TepDinhKemId": "1", "TenTepDinhKem": "Đơn đề nghị.pdf", "IsDeleted": false,
            "MaThanhPhanHoSo": "TP1", "DuongDanTaiTepTin": "https://dvc.example.vn/tl/1.pdf"}],
        "DanhSachLePhi": [],
        "DanhSachGiayToKetQua": [],
    });
    if let Some(rep) = &representative {
        record["UyQuyen"] = json!(true);
        record["SoDienThoaiNguoiUyQuyen"] = json!(rep);
    }
    let mut b = Builder {
        rng,
        record,
        now: start,
        due,
        supplements: Vec::new(),
        bodies: Vec::new(),
        told: Vec::new(),
        state: Truth {
            status: 0,
            step: None,
            unit: None,
            due: None,
            late: false,
            documents: 0,
        },
        last_told: None,
        order: (String::new(), 0),
        step_at: None,
        code: code.clone(),
        progress_seq: 0,
    };
    if online {
        if b.rng.random_bool(0.5) {
            b.record["NgayNopHoSo"] = json!(fmt(start));
        }
        b.snapshot(1, "Nộp trực tuyến");
        if b.rng.random_bool(0.1) {
            // refused at intake: never received, so no date of its own either
            b.snapshot(3, "Hồ sơ không đúng thẩm quyền");
            return b.finish(code, applicant, phone_raw, representative);
        }
    }
    let received = b.later(30, 60 * 24);
    b.record["NgayTiepNhan"] = json!(received);
    b.snapshot(2, "Tiếp nhận");
    if b.rng.random_bool(0.5) {
        b.progress();
    }
    b.processing();
    if b.rng.random_bool(0.25) {
        // a supplement loop: asked, then received (the clock of the dossier restarts)
        let asked = b.later(60, 60 * 48);
        b.supplements.push(json!({"HoSoBoSungId": format!("bs-{}", b.supplements.len() + 1),
            "NguoiYeuCauBoSung": "Trần Thị Cán Bộ", "NoiDungBoSung": "Bổ sung bản vẽ có chữ ký của đơn vị thiết kế",
            "NgayBoSung": asked, "TrangThaiBoSung": "0"}));
        b.snapshot(5, "Yêu cầu bổ sung");
        let back = b.later(60 * 24, 60 * 24 * 5);
        if let Some(last) = b.supplements.last_mut() {
            last["NgayTiepNhanBoSung"] = json!(back);
            last["NguoiTiepNhanBoSung"] = json!("Lê Văn Một Cửa");
            last["TrangThaiBoSung"] = json!("1");
        }
        b.processing();
    }
    if b.rng.random_bool(0.15) {
        // late: an apology slip with a new appointment
        b.now = b.now.max(b.due) + Duration::hours(b.rng.random_range(1..48));
        let at = b.later(1, 60);
        let new_due = b.due + Duration::days(b.rng.random_range(3..10));
        b.supplements.push(
            json!({"HoSoBoSungId": format!("xl-{}", b.supplements.len() + 1),
            "NoiDungBoSung": "Xin lỗi vì chậm trả kết quả", "NgayBoSung": at,
            "NgayHenTraTruoc": fmt(b.due), "NgayHenTraMoi": fmt(new_due)}),
        );
        b.due = new_due;
        b.snapshot(4, "Xin lỗi, hẹn lại");
    }
    match b.rng.random_range(0..100) {
        0..5 => {
            b.snapshot(7, "Công dân xin rút hồ sơ");
            b.record["NgayKetThucXuLy"] = json!(b.later(60, 60 * 24));
            b.snapshot(8, "Dừng xử lý theo đề nghị rút");
            return b.finish(code, applicant, phone_raw, representative);
        }
        5..8 => {
            b.record["NgayKetThucXuLy"] = json!(b.later(60, 60 * 24));
            b.snapshot(8, "Không đủ điều kiện giải quyết");
            return b.finish(code, applicant, phone_raw, representative);
        }
        8..23 => {
            // fees due before the result (paid at the counter with the result)
            b.record["DanhSachLePhi"] = json!([{"TenPhiLePhi": "Lệ phí cấp giấy phép",
                "MaPhiLePhi": "LP01", "HinhThucThu": "1", "Gia": "150000", "LoaiPhiLePhi": "1"},
                {"TenPhiLePhi": "Phí thẩm định", "MaPhiLePhi": "P02", "HinhThucThu": "1",
                "Gia": "1100000", "LoaiPhiLePhi": "2"}]);
            b.snapshot(6, "Yêu cầu thực hiện nghĩa vụ tài chính");
        }
        _ => {}
    }
    // the result: sometimes after the appointment in force
    let late = b.rng.random_bool(0.2);
    if late {
        b.now = b.now.max(b.due) + Duration::hours(2);
    }
    b.record["NgayKetThucXuLy"] = json!(b.later(30, 60 * 24));
    b.record["DanhSachGiayToKetQua"] = json!([{"TenGiayTo": "Kết quả giải quyết",
        "GiayToId": "kq1", "DuongDanTepTinKetQua": format!("https://dvc.example.vn/kq/{n}.pdf")}]);
    b.snapshot(9, "Đã có kết quả");
    if b.rng.random_bool(0.7) {
        b.record["NgayTra"] = json!(b.later(60, 60 * 24 * 3));
        b.snapshot(10, "Đã trả kết quả");
    }
    b.finish(code, applicant, phone_raw, representative)
}

impl Builder {
    fn finish(
        self,
        code: String,
        applicant: String,
        phone: String,
        representative: Option<String>,
    ) -> Life {
        Life {
            code,
            applicant,
            phone,
            representative,
            bodies: self.bodies,
            told: self.told,
            truth: self.state,
        }
    }
}

/// Bodies that can never be processed, one of each documented failure.
pub fn poison(rng: &mut StdRng) -> Vec<String> {
    let n = rng.random_range(1000..9999);
    vec![
        format!("không phải JSON, gọi 09{n}12345"),
        json!({"MaHoSo": format!("000.00.04.H01-261110-{n}"), "TrangThaiHoSo": "2",
            "TenTTHC": "Đăng ký khai sinh", "ChuHoSo": "Vũ Thị Lan", "SoDienThoai": "0912345678",
            "NgayTiepNhan": "20261110083000"})
        .to_string(),
        json!({"MaHoSo": format!("000.00.04.H60-261110-{n}"), "TrangThaiHoSo": "2",
            "TenTTHC": "Đăng ký khai sinh", "ChuHoSo": "Vũ Thị Lan", "SoDienThoai": "0912345678",
            "NgayTiepNhan": "10/11/2026 08:30"})
        .to_string(),
        json!({"service": "DongBoHoSoMC", "data": [{"MaHoSo": format!("000.00.04.H60-261110-{n}"),
            "TrangThaiHoSo": "99", "TenTTHC": "Đăng ký khai sinh", "ChuHoSo": "Vũ Thị Lan",
            "SoDienThoai": "0912345678", "NgayTiepNhan": "20261110083000"}]})
        .to_string(),
    ]
}

/// `dossiers` lives, interleaved as they would reach the queue, mixed as `mix` says.
pub fn stream(seed: u64, dossiers: usize, mix: Mix) -> Stream {
    let mut rng = StdRng::seed_from_u64(seed);
    let lives: Vec<Life> = (0..dossiers)
        .map(|n| life(seed.wrapping_mul(1_000_003).wrapping_add(n as u64), n))
        .collect();
    // interleave: each step takes the next body of a random unfinished life
    let mut next = vec![0usize; lives.len()];
    let mut order: Vec<(usize, String)> = Vec::new();
    loop {
        let open: Vec<usize> = (0..lives.len())
            .filter(|&i| next[i] < lives[i].bodies.len())
            .collect();
        if open.is_empty() {
            break;
        }
        let i = open[rng.random_range(0..open.len())];
        order.push((i, lives[i].bodies[next[i]].to_string()));
        next[i] += 1;
    }
    // one dossier's bodies swapped within the window
    if mix.window > 0 {
        for _ in 0..order.len() {
            let a = rng.random_range(0..order.len());
            let b = (a + rng.random_range(1..=mix.window)).min(order.len() - 1);
            if order[a].0 == order[b].0 {
                order.swap(a, b);
            }
        }
    }
    // re-sends, byte for byte, a little later
    let mut bodies: Vec<String> = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    for (_, body) in order {
        bodies.push(body.clone());
        if rng.random_bool(mix.resend) {
            pending.push((bodies.len() + rng.random_range(0..20), body));
        }
        pending.sort_by_key(|(at, _)| *at);
        while pending.first().is_some_and(|(at, _)| *at <= bodies.len()) {
            bodies.push(pending.remove(0).1);
        }
    }
    bodies.extend(pending.into_iter().map(|(_, b)| b));
    let mut poison_count = 0;
    if mix.poison {
        for p in poison(&mut rng) {
            let at = rng.random_range(0..=bodies.len());
            bodies.insert(at, p);
            poison_count += 1;
        }
    }
    Stream {
        bodies,
        lives,
        poison: poison_count,
    }
}
