//! The result's buttons: the owner's delivery choice (postal or counter) and the 1-5 rating.

use super::*;

impl Conversation {
    pub(super) async fn delivery(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        raw: &str,
        postal: bool,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let Some(d) = self.owned(t, user, raw).await? else {
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(Msg::DeliveryNotAllowed.render()),
            )
            .await?;
            return Ok("delivery_not_allowed");
        };
        let choice = if postal { "postal" } else { "counter" };
        let entry = TimelineEntry {
            at: e.at,
            version: d.version,
            event_id: format!("choice-{msg_id}"),
            kind: "delivery_choice".into(),
            status: d.status,
            step_label: None,
            note: Some(choice.into()),
        };
        self.store.add_timeline_entry(t, &d.code, &entry).await?;
        let out = serde_json::json!({
            "schema_version": 1,
            "type": "delivery_choice",
            "message_id": format!("zalo-{msg_id}"),
            "tenant": t.as_str(),
            "code": d.code.as_str(),
            "choice": choice,
            "chosen_at": e.at.to_rfc3339(),
        });
        self.outbound
            .send(&out.to_string())
            .await
            .map_err(|q| ConversationError::Retry(q.to_string()))?;
        self.send(
            &e.oa_id,
            user,
            Some(msg_id),
            text(
                Msg::DeliveryChosen {
                    code: d.code.to_string(),
                    postal,
                }
                .render(),
            ),
        )
        .await?;
        Ok("delivery_chosen")
    }

    pub(super) async fn rating(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        rest: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let Some((raw, score)) = rest.rsplit_once(':') else {
            return Ok("ignored");
        };
        let Ok(score @ 1..=5) = score.parse::<u8>() else {
            return Ok("ignored");
        };
        let Some(d) = self.owned(t, user, raw).await? else {
            return Ok("rating_not_allowed");
        };
        let entry = TimelineEntry {
            at: e.at,
            version: d.version,
            event_id: format!("rating-{msg_id}"),
            kind: "rating".into(),
            status: d.status,
            step_label: None,
            note: Some(score.to_string()),
        };
        self.store.add_timeline_entry(t, &d.code, &entry).await?;
        self.store
            .incr(
                t,
                &format!("rating.{score}"),
                time::to_vn(e.at).date_naive(),
                1,
            )
            .await?;
        self.send(
            &e.oa_id,
            user,
            Some(msg_id),
            text(Msg::RatingThanks.render()),
        )
        .await?;
        Ok("rated")
    }
}
