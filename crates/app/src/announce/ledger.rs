//! Each copy of an announcement Zalo accepted, in the delivery ledger: one record per follower
//! (by the user's tag) or one for a broadcast, priced by the window the copy went in.

use std::collections::BTreeSet;

use motcua_domain::catalogue::version;
use motcua_domain::delivery::{Recipient, Subject};
use motcua_domain::window;

use super::{Announcements, MAX_RECIPIENTS};
use crate::delivery::{Ledger, Sent};
use crate::ports::{Announcement, Audience, StoreError};

/// Whom a consultation copy reaches free of charge.
pub(super) enum Free {
    /// Everyone: a broadcast, which has no per-user price.
    All,
    /// These users, inside 48 hours now; a copy to anyone else is billed (the others of a
    /// 7-day audience, or a 48-hour recipient whose window closed while the run went on).
    Only(BTreeSet<String>),
}

impl Free {
    fn includes(&self, user: &str) -> bool {
        match self {
            Free::All => true,
            Free::Only(users) => users.contains(user),
        }
    }
}

impl Announcements {
    /// Who a run's copies reach free of charge, read once per run.
    pub(super) async fn free_now(&self, a: &Announcement) -> Result<Free, StoreError> {
        if matches!(a.audience, Audience::Broadcast { .. }) {
            return Ok(Free::All);
        }
        let from = window::earliest_inside(window::FREE_CS_WINDOW, self.desk.clock.now());
        let users = self
            .desk
            .store
            .zalo_users_active_since(&a.tenant, from, MAX_RECIPIENTS)
            .await?;
        Ok(Free::Only(users.into_iter().collect()))
    }

    /// The copy to `user` (`None`: the broadcast) that Zalo accepted as `message_id`.
    pub(super) async fn ledger_copy(
        &self,
        a: &Announcement,
        oa_id: &str,
        user: Option<&str>,
        free: &Free,
        message_id: &str,
    ) {
        let tenancy = &self.desk.tenancy;
        let (Some(tenant), Some(keys)) = (tenancy.tenant(&a.tenant), tenancy.keys(&a.tenant))
        else {
            return;
        };
        let (follower, recipient, channel, price_class, text_version) = match (&a.audience, user) {
            (Audience::Broadcast { article_id }, _) => (
                "broadcast".to_string(),
                Recipient::Followers,
                "broadcast",
                "none",
                version::broadcast(article_id),
            ),
            (_, Some(u)) => {
                let tag = keys.user_tag(u);
                let (channel, price_class) = if free.includes(u) {
                    ("zalo_cs_free", "free")
                } else {
                    ("zalo_cs_paid", "cs_paid")
                };
                let text = version::announcement();
                (
                    tag.clone(),
                    Recipient::ZaloUser(tag),
                    channel,
                    price_class,
                    text,
                )
            }
            (_, None) => return,
        };
        let sent = Sent {
            tenant,
            oa_id,
            subject: Subject::Announcement {
                announcement: a.id.clone(),
                follower,
            },
            recipient,
            channel,
            price_class,
            template: None,
            text_version,
            message_id,
        };
        Ledger::unreported(self.desk.store.clone(), self.desk.metrics.clone())
            .record_sent(sent, self.desk.clock.now())
            .await;
    }
}
