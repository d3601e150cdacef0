//! "Hồ sơ của tôi" (the menu button, `#ho_so_cua_toi[:page]`, or typed with or without
//! diacritics): the dossiers of the user's verified phone, applicant or representative, from
//! the phone index, a page at a time (`motcua_domain::mine`). An unverified user sees none and
//! is offered the verification card.

use motcua_domain::catalogue::{MY_DOSSIERS, MY_DOSSIERS_NEXT, MyDossierLine, late_label};
use motcua_domain::mine;

use super::*;

/// The page a text asks for, if it asks for "Hồ sơ của tôi".
pub(super) fn my_dossiers_page(text: &str) -> Option<usize> {
    if let Some(rest) = text.strip_prefix(MY_DOSSIERS) {
        return match rest.strip_prefix(':') {
            None if rest.is_empty() => Some(1),
            Some(n) => n.parse().ok().filter(|n| *n >= 1),
            None => None,
        };
    }
    (motcua_domain::text::fold_vi(text) == "ho so cua toi").then_some(1)
}

impl Conversation {
    pub(super) async fn my_dossiers(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        page: usize,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let verified = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone);
        let Some(phone) = verified else {
            let m = text(Msg::MyDossiersUnverified.render());
            self.send(&e.oa_id, user, Some(msg_id), m).await?;
            if let Err(err) = self
                .messenger
                .request_user_info(&e.oa_id, user, SHARE_INFO_TITLE, SHARE_INFO_SUBTITLE)
                .await
            {
                retryable(err)?;
            }
            return Ok("my_dossiers_unverified");
        };
        let all = self.store.dossiers_by_phone(t, &phone.hash).await?;
        let shown = mine::page(&all, e.at, page);
        if shown.total == 0 {
            let m = text(Msg::MyDossiersNone.render());
            self.send(&e.oa_id, user, Some(msg_id), m).await?;
            return Ok("my_dossiers_none");
        }
        let lines = shown.items.iter().map(|d| line(d, e.at)).collect();
        let mut buttons: Vec<(String, String)> = shown
            .items
            .iter()
            .map(|d| (d.code.to_string(), d.code.to_string()))
            .collect();
        if shown.page < shown.pages {
            let next = format!("{MY_DOSSIERS}:{}", shown.page + 1);
            buttons.push((MY_DOSSIERS_NEXT.to_string(), next));
        }
        let m = Msg::MyDossiers {
            lines,
            page: shown.page,
            pages: shown.pages,
            total: shown.total,
        };
        let out = Outgoing {
            text: m.render(),
            buttons,
            link: None,
            call: None,
        };
        self.send(&e.oa_id, user, Some(msg_id), out).await?;
        Ok("my_dossiers")
    }
}

fn line(d: &motcua_domain::Dossier, now: DateTime<Utc>) -> MyDossierLine {
    let open = !d.status.is_final();
    let status = if d.is_late(now) {
        late_label(d.status).to_string()
    } else {
        d.status.name_vi().to_string()
    };
    MyDossierLine {
        code: d.code.to_string(),
        procedure: d.procedure_name.clone(),
        status,
        step: d.step_label.clone().filter(|_| open),
        due: d.due_at.filter(|_| open).map(time::vn_date),
    }
}
