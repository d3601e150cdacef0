//! Contract suites: the behaviour every adapter must have, run against each of them
//! (embedded store, DynamoDB on moto; embedded queue, SQS on moto).
//!
//! An adapter's test file calls `motcua_app::store_contract_tests!(fresh_store())` where
//! `fresh_store()` is an async expression giving an empty store; one `#[tokio::test]` is
//! generated per case.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, NaiveDate, Utc};
use motcua_domain::{
    DeliveryMethod, Dossier, DossierCode, NationalStatus, Protected, TenantId, TimelineEntry,
};

use crate::ports::*;

/// Generates one test per store contract case. `$make` is an async expression returning a fresh,
/// empty store (anything implementing [`Store`] + 'static).
#[macro_export]
macro_rules! store_contract_tests {
    ($make:expr) => {
        $crate::store_contract_tests!(@each $make;
            dossier_missing_is_none,
            dossier_upsert_only_moves_forward,
            dossier_concurrent_upserts_keep_the_highest_version,
            dossier_replace_is_conditional_on_the_revision,
            dossier_concurrent_replaces_have_one_winner,
            dossier_tenants_are_isolated,
            timeline_is_ordered_and_idempotent,
            dossiers_by_phone_matches_applicant_and_representative,
            zalo_user_interaction_only_moves_forward,
            zalo_user_phone_link_and_erasure,
            zalo_user_phone_claim_is_not_a_link,
            phone_suppression_holds_per_tenant_until_lifted,
            budgets_are_taken_atomically_per_window,
            idempotency_claim_lifecycle,
            idempotency_expired_leases_and_records_can_be_taken_over,
            idempotency_concurrent_claims_have_one_winner,
            tickets_are_numbered_per_tenant_in_order,
            tickets_concurrent_opens_get_distinct_numbers,
            ticket_messages_and_status_queries,
            tokens_are_versioned,
            tokens_concurrent_writers_one_wins,
            token_lease_is_exclusive_until_expiry,
            counters_add_up_by_day_and_month,
            due_index_lists_unfinished_dossiers_in_a_window,
            message_log_round_trips,
            citizen_messages_can_be_erased,
            users_active_since_lists_recent_users,
            audit_entries_are_kept_per_day_newest_first,
            announcements_are_sent_once,
            closed_dossiers_are_purged_after_their_retention,
            closed_tickets_are_purged_after_their_retention,
            pending_answers_wait_per_user_and_answers_are_marked_delivered,
            procedure_catalogues_are_replaced_whole_per_tenant,
            deliveries_are_written_conditionally_and_swept_in_time,
            deliveries_go_with_their_purged_dossier,
            notices_not_reached_are_listed_until_followed_up,
            every_subject_has_its_own_record_and_the_others_expire,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let store = ::std::sync::Arc::new($make.await);
                $crate::contract::store::$name(store).await;
            }
        )*
    };
}

/// Generates one test per queue contract case. `$make` is an async expression returning
/// `(main, dead_letter)` queues, fresh and empty, where `main.dead_letter(..)` sends to the
/// second one.
#[macro_export]
macro_rules! queue_contract_tests {
    ($make:expr) => {
        $crate::queue_contract_tests!(@each $make;
            queue_send_receive_delete,
            queue_received_messages_are_invisible_until_retried,
            queue_dead_letter_keeps_body_and_reason,
            queue_receive_respects_max_and_empty_wait,
            queue_waiting_counts_what_waits_for_a_consumer,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (main, dlq) = $make.await;
                $crate::contract::queue::$name(&main, &dlq).await;
            }
        )*
    };
}

/// moto's endpoint (`AWS_ENDPOINT_URL`) for the AWS adapters' tests. Without one those tests
/// are skipped, except under CI (`CI=true`), where a missing moto is an error.
pub fn moto_endpoint() -> Option<String> {
    if let Some(url) = std::env::var("AWS_ENDPOINT_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        return Some(url);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("AWS_ENDPOINT_URL must point at moto under CI");
    }
    eprintln!("skipping: AWS_ENDPOINT_URL not set (start moto: infra/scripts/moto.sh start)");
    None
}

pub fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("test timestamp")
}

pub fn tenant(s: &str) -> TenantId {
    TenantId::parse(s).expect("test tenant")
}

pub fn code(s: &str) -> DossierCode {
    DossierCode::parse(s).expect("test code")
}

pub fn protected(tag: &str) -> Protected {
    Protected {
        hash: format!("hash-{tag}"),
        sealed: format!("sealed-{tag}"),
    }
}

pub fn dossier(tenant_id: &str, c: &str, version: u64) -> Dossier {
    Dossier {
        tenant: tenant(tenant_id),
        code: code(c),
        national_code: None,
        procedure_code: Some("1.001234".into()),
        procedure_name: "Cấp giấy phép xây dựng nhà ở riêng lẻ".into(),
        sector: Some("Xây dựng".into()),
        agency_code: Some("000.00.04.H60".into()),
        agency_name: Some("Sở Xây dựng".into()),
        applicant_name_masked: "N. T. T. M***".into(),
        applicant_phone: Some(protected("applicant")),
        representative_phone: None,
        id_suffix_hash: Some("idsfx".into()),
        received_at: Some(t("2023-02-15T01:30:00Z")),
        due_at: Some(t("2023-03-01T10:00:00Z")),
        completed_at: None,
        returned_at: None,
        status: NationalStatus::Processing,
        step_label: Some(format!("Bước {version}")),
        delivery: DeliveryMethod::Postal,
        zalo_opt_in: Some(true),
        documents: vec![],
        version,
        updated_at: t("2023-02-15T02:00:00Z"),
        step_unit: None,
        late: false,
        sync: Default::default(),
    }
}

pub fn entry(event_id: &str, kind: &str, at: &str, version: u64) -> TimelineEntry {
    TimelineEntry {
        at: t(at),
        version,
        event_id: event_id.into(),
        kind: kind.into(),
        status: NationalStatus::Processing,
        step_label: Some("Thẩm định".into()),
        note: None,
    }
}

pub mod erasure;
pub mod queue;
pub mod retention;
pub mod store;
