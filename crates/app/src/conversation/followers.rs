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
            call: None,
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

    /// `user_withdraw`: the citizen is erased (`crate::erasure`: the link, what they wrote, every
    /// further notice to the phone until it is proven again), then it is confirmed.
    pub(super) async fn on_withdraw(
        &self,
        t: &TenantId,
        e: &InboundEvent,
        user_id: &str,
    ) -> Result<&'static str, ConversationError> {
        crate::erasure::erase_citizen(
            self.store.as_ref(),
            t,
            &[user_id.to_string()],
            &[],
            crate::erasure::Requester::Citizen,
            e.at,
            &self.tenancy.retention(t),
        )
        .await?;
        self.send(&e.oa_id, user_id, None, text(Msg::DataErased.render()))
            .await?;
        Ok("erased")
    }
}
