//! The wording's version of the messages the ledger records besides dossier notices (those
//! have `catalogue::text_version`): a digest of what the catalogue holds for them, rendered
//! with placeholders where staff or the template fill in. It changes exactly when the words
//! change, so a record says which wording went out; the words staff wrote stay with the
//! ticket or the announcement.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::Msg;

/// Staff's answer as a consultation message (the frame around the staff member's text).
pub fn ticket_answer() -> String {
    let framed = |agency: Option<&str>| Msg::TicketAnswer {
        number: 0,
        agency: agency.map(str::to_string),
        text: "{text}".into(),
    };
    digest(&[&framed(Some("{agency}")).render(), &framed(None).render()])
}

/// An announcement's copy by consultation message.
pub fn announcement() -> String {
    let framed = Msg::Announcement {
        title: "{title}".into(),
        body: "{body}".into(),
    };
    digest(&[&framed.render()])
}

/// A broadcast: its wording is the OA's article, which Zalo holds under its id.
pub fn broadcast(article_id: &str) -> String {
    digest(&["broadcast", article_id])
}

/// A ZNS: its wording is the template registered with Zalo; what we hold of it is its id and
/// the parameters we fill in.
pub fn zns(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut parts = vec!["zns", template];
    parts.extend(params.keys().map(String::as_str));
    digest(&parts)
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..6])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{otp_params, ticket_answered_params};

    #[test]
    fn versions_follow_the_wording_not_the_values() {
        assert_eq!(ticket_answer().len(), 12);
        assert_ne!(ticket_answer(), announcement());
        let a = zns("300001", &otp_params("123456"));
        assert_eq!(
            a,
            zns("300001", &otp_params("654321")),
            "the code is a value"
        );
        assert_ne!(a, zns("300002", &otp_params("123456")), "another template");
        assert_ne!(
            zns("300001", &ticket_answered_params(7, "UBND")),
            a,
            "other parameters"
        );
    }
}
