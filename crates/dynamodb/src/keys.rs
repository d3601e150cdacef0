//! Key formats of `infra/TABLE.md`. `{ms13}` is epoch milliseconds padded to 13 digits and
//! `{n20}` a number padded to 20, so that string order is time or number order.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use motcua_app::{Ticket, TicketStatus};
use motcua_domain::delivery::Subject;
use motcua_domain::{DossierCode, TenantId};

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const GSI3: &str = "GSI3";

/// Sort key of the main item of an entity (dossier, Zalo user, ticket…).
pub const META: &str = "META";
pub const TOKENS: &str = "TOKENS";
pub const LEASE: &str = "LEASE";

/// Sort key prefixes of the items that live next to a main item.
pub const TIMELINE_PREFIX: &str = "T#";
pub const MESSAGE_PREFIX: &str = "M#";
pub const DOSSIER_PREFIX: &str = "D#";
pub const USER_PREFIX: &str = "U#";
pub const DELIVERY_PREFIX: &str = "N#";

pub fn ms13(t: DateTime<Utc>) -> String {
    format!("{:013}", t.timestamp_millis().max(0))
}

fn n20(n: u64) -> String {
    format!("{n:020}")
}

pub fn dossier(tenant: &TenantId, code: &DossierCode) -> String {
    format!("D#{tenant}#{code}")
}

pub fn timeline_entry(at: DateTime<Utc>, event_id: &str, kind: &str) -> String {
    format!("{TIMELINE_PREFIX}{}#{event_id}#{kind}", ms13(at))
}

/// Sort key of a notice's ledger record in its dossier's partition.
pub fn delivery(event_id: &str) -> String {
    format!("{DELIVERY_PREFIX}{event_id}")
}

/// Partition of the ledger records of one subject other than a dossier (a ticket's answers,
/// an announcement's copies, the phone codes): every part of its name but the last.
pub fn ledger(tenant: &TenantId, subject: &Subject) -> String {
    let parts = subject.parts();
    format!("L#{tenant}#{}", parts[..parts.len() - 1].join("#"))
}

/// GSI3 partition of a tenant's notices the sweep must look at.
pub fn deliveries_to_sweep(tenant: &TenantId) -> String {
    format!("DLV#{tenant}")
}

/// GSI2 partition of a tenant's notices that need a follow-up by staff.
pub fn not_reached(tenant: &TenantId) -> String {
    format!("NR#{tenant}")
}

/// GSI partition of everything matched by a phone: dossiers and Zalo users.
pub fn phone(tenant: &TenantId, phone_hash: &str) -> String {
    format!("PH#{tenant}#{phone_hash}")
}

/// GSI sort key of a dossier under its phones.
pub fn phone_dossier(code: &DossierCode) -> String {
    format!("{DOSSIER_PREFIX}{code}")
}

/// A phone whose citizen withdrew from Zalo notices.
pub fn phone_suppression(tenant: &TenantId, phone_hash: &str) -> String {
    format!("SUP#{tenant}#{phone_hash}")
}

pub fn zalo_user(tenant: &TenantId, user_id: &str) -> String {
    format!("U#{tenant}#{user_id}")
}

/// GSI1 sort key of a Zalo user under its phone.
pub fn phone_user(user_id: &str) -> String {
    format!("{USER_PREFIX}{user_id}")
}

/// GSI3 partition of a tenant's unfinished dossiers by appointment date.
pub fn due(tenant: &TenantId) -> String {
    format!("DUE#{tenant}")
}

/// GSI3 sort key: `{ms13 due}#{code}`.
pub fn due_dossier(due: DateTime<Utc>, code: &DossierCode) -> String {
    format!("{}#{code}", ms13(due))
}

/// GSI3 partition of a tenant's closed dossiers by closing time (retention).
pub fn closed(tenant: &TenantId) -> String {
    format!("CLOSED#{tenant}")
}

/// GSI3 partition of a tenant's Zalo users by last interaction (announcement audiences).
pub fn active_users(tenant: &TenantId) -> String {
    format!("ACT#{tenant}")
}

/// GSI3 sort key: `{ms13 last interaction}#{user_id}`.
pub fn active_user(at: DateTime<Utc>, user_id: &str) -> String {
    format!("{}#{user_id}", ms13(at))
}

/// Audit entries of a tenant's Vietnam calendar day.
pub fn audit_day(tenant: &TenantId, day: NaiveDate) -> String {
    format!("A#{tenant}#{day}")
}

pub fn announcement(tenant: &TenantId, id: &str) -> String {
    format!("N#{tenant}#{id}")
}

/// GSI1 partition listing a tenant's announcements, sort key `{ms13 created}#{id}`.
pub fn announcements(tenant: &TenantId) -> String {
    format!("NL#{tenant}")
}

pub fn message_ref(oa_id: &str, message_id: &str) -> String {
    format!("MSG#{oa_id}#{message_id}")
}

/// A shared call budget (`motcua_runtime::SharedBudget`).
pub fn budget(key: &str) -> String {
    format!("B#{key}")
}

/// One fixed window of a budget, by its start.
pub fn budget_window(start: chrono::DateTime<chrono::Utc>) -> String {
    format!("W#{:013}", start.timestamp_millis().max(0))
}

pub fn idempotency(key: &str) -> String {
    format!("I#{key}")
}

pub fn ticket_counter(tenant: &TenantId) -> String {
    format!("TC#{tenant}")
}

pub fn ticket(tenant: &TenantId, number: u64) -> String {
    format!("K#{tenant}#{}", n20(number))
}

/// GSI1 partition of a user's tickets.
pub fn user_tickets(tenant: &TenantId, user_id: &str) -> String {
    format!("KU#{tenant}#{user_id}")
}

/// GSI2 partition of the tickets in one status.
pub fn status_tickets(tenant: &TenantId, status: TicketStatus) -> String {
    format!("KS#{tenant}#{}", status.as_str())
}

/// GSI sort key of a ticket: opening time, then number.
pub fn ticket_order(ticket: &Ticket) -> String {
    format!("{}#{}", ms13(ticket.opened_at), n20(ticket.number))
}

pub fn ticket_message(at: DateTime<Utc>, message_id: &str) -> String {
    format!("{MESSAGE_PREFIX}{}#{message_id}", ms13(at))
}

/// A user's pending staff answers.
pub fn pending_answers(tenant: &TenantId, user_id: &str) -> String {
    format!("PA#{tenant}#{user_id}")
}

/// `{n20 ticket}#{ms13 answer}#{message id}`.
pub fn pending_answer(number: u64, at: DateTime<Utc>, message_id: &str) -> String {
    format!("{}#{}#{message_id}", n20(number), ms13(at))
}

/// The marker item that keeps message ids unique within a ticket.
pub fn ticket_message_id(message_id: &str) -> String {
    format!("MID#{message_id}")
}

pub fn oa(oa_id: &str) -> String {
    format!("O#{oa_id}")
}

pub fn counter(tenant: &TenantId, metric: &str) -> String {
    format!("S#{tenant}#{metric}")
}

pub const DAY_PREFIX: &str = "D#";
pub const DAY_FORMAT: &str = "%Y-%m-%d";

pub fn day(day: NaiveDate) -> String {
    format!("{DAY_PREFIX}{}", day.format(DAY_FORMAT))
}

pub fn month(day: NaiveDate) -> String {
    format!("M#{:04}-{:02}", day.year(), day.month())
}

/// The tenant's procedure catalogue: `CURRENT` (its version) and the chunks of each version.
pub fn procedures(tenant: &TenantId) -> String {
    format!("PROC#{tenant}")
}

pub const PROCEDURES_CURRENT: &str = "CURRENT";

/// Sort key prefix of one catalogue version's chunks.
pub fn procedures_version(version: &str) -> String {
    format!("V#{version}#")
}
