//! Following, unfollowing and withdrawing consent: the follower's own life with the OA.

use super::*;

impl Conversation {
    pub(super) async fn on_follow(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user_id: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        self.store.set_following(t, user_id, true, e.at).await?;
        self.store.record_interaction(t, user_id, e.at).await?;
        let day = time::to_vn(e.at).date_naive();
        self.store.incr(t, "followers.follow", day, 1).await?;
        let welcome = Outgoing {
            text: Msg::Welcome {
                province: tenant.name.clone(),
            }
            .render(),
            buttons: MENU
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            link: None,
        };
        self.send(&e.oa_id, user_id, None, welcome).await?;
        Ok("welcomed")
    }

    pub(super) async fn on_unfollow(
        &self,
        t: &TenantId,
        e: &InboundEvent,
        user_id: &str,
    ) -> Result<&'static str, ConversationError> {
        self.store.set_following(t, user_id, false, e.at).await?;
        let day = time::to_vn(e.at).date_naive();
        self.store.incr(t, "followers.unfollow", day, 1).await?;
        Ok("unfollowed")
    }

    /// `user_withdraw`: the user's link and everything they wrote are erased, the linked phone
    /// gets no further notice (by any channel, ZNS included, until it is proven again), the
    /// audit trail records that an erasure happened (not what), then it is confirmed.
    pub(super) async fn on_withdraw(
        &self,
        t: &TenantId,
        e: &InboundEvent,
        user_id: &str,
    ) -> Result<&'static str, ConversationError> {
        let user = self.store.get_zalo_user(t, user_id).await?;
        for phone in user.iter().filter_map(|u| u.phone.as_ref()) {
            self.store.suppress_phone(t, &phone.hash, e.at).await?;
        }
        self.store.delete_zalo_user(t, user_id).await?;
        self.store.erase_citizen_messages(t, user_id).await?;
        let entry = motcua_domain::audit::AuditEntry {
            tenant: t.clone(),
            at: e.at,
            actor: "citizen".into(),
            action: "citizen.erasure".into(),
            target: String::new(),
            outcome: "ok".into(),
            detail: Some("user_withdraw: Zalo link, messages and notices erased".into()),
        };
        self.store.append_audit(&entry).await?;
        self.send(&e.oa_id, user_id, None, text(Msg::DataErased.render()))
            .await?;
        Ok("erased")
    }
}
