//! The result's buttons: the owner's delivery choice (postal or counter) and the 1-5 rating.
//! Each is held once per dossier: pressing the same button again records and publishes
//! nothing new (the citizen still gets the confirmation); a change of mind replaces the choice
//! (published again for the one-stop system, which keeps the latest per dossier) or the score
//! (its counter moves from the old score to the new one).

/// The note of the dossier's latest timeline entry of `kind`, if any.
fn latest_note<'a>(view: &'a motcua_domain::DossierView, kind: &str) -> Option<&'a str> {
    view.timeline
        .iter()
        .rev()
        .find(|e| e.kind == kind)
        .and_then(|e| e.note.as_deref())
}

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
        let Some(view) = self.owned(t, user, raw).await? else {
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(Msg::DeliveryNotAllowed.render()),
            )
            .await?;
            return Ok("delivery_not_allowed");
        };
        let d = &view.dossier;
        let choice = if postal { "postal" } else { "counter" };
        let confirm = text(
            Msg::DeliveryChosen {
                code: d.code.to_string(),
                postal,
            }
            .render(),
        );
        if latest_note(&view, "delivery_choice") == Some(choice) {
            self.send(&e.oa_id, user, Some(msg_id), confirm).await?;
            return Ok("delivery_unchanged");
        }
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
        self.send(&e.oa_id, user, Some(msg_id), confirm).await?;
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
        let Some(view) = self.owned(t, user, raw).await? else {
            return Ok("rating_not_allowed");
        };
        let d = &view.dossier;
        let before = latest_note(&view, "rating").and_then(|n| n.parse::<u8>().ok());
        if before == Some(score) {
            self.send(
                &e.oa_id,
                user,
                Some(msg_id),
                text(Msg::RatingThanks.render()),
            )
            .await?;
            return Ok("rating_unchanged");
        }
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
        let day = time::to_vn(e.at).date_naive();
        if let Some(old) = before {
            self.store
                .incr(t, &format!("rating.{old}"), day, -1)
                .await?;
        }
        self.store
            .incr(t, &format!("rating.{score}"), day, 1)
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
