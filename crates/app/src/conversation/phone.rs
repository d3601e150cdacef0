//! Proving a phone. `user_submit_info` carries a number the user typed into a form: only a
//! claim. Two proofs turn it into a link: the six-digit code sent to that number by ZNS
//! (`zns_templates.otp`; valid five minutes), or the eight-digit receipt code of a dossier that
//! carries that number, shown on the lookup page the paper receipt's QR opens (the claim waits
//! thirty minutes for it). Three wrong codes drop the claim; three claims per user and Vietnam
//! day. Only a proven phone unlocks the owner's full cards and buttons and brings the
//! dossiers' notices (the notifier finds users by linked phones only).

use motcua_domain::Protected;
use motcua_domain::catalogue::{OTP, PHONE_RELINKED, otp_params, phone_relinked_params, version};
use motcua_domain::delivery::{Recipient, Subject};
use motcua_domain::zalo::{CLAIM_VALID, OTP_PER_DAY, OTP_TRIES, OTP_VALID, PhoneClaim};

use super::*;
use crate::delivery::{Ledger, Sent};

/// A uniformly drawn six-digit code.
fn one_time_code() -> String {
    // the largest multiple of 10^6 below 2^32: rejection keeps every code equally likely
    const LIMIT: u32 = 4_294_000_000;
    loop {
        let mut b = [0u8; 4];
        getrandom::fill(&mut b).expect("the OS random source is available");
        let n = u32::from_be_bytes(b);
        if n < LIMIT {
            return format!("{:06}", n % 1_000_000);
        }
    }
}

impl Conversation {
    /// A shared phone: already proven for this user, or a code sent to prove it.
    pub(super) async fn claim_phone(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone: Option<&str>,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let reply = |m: Msg| self.send(&e.oa_id, user, None, text(m.render()));
        let Some(phone) = phone.and_then(|p| PhoneNumber::parse(p).ok()) else {
            reply(Msg::SharedPhoneUnusable).await?;
            return Ok("phone_unusable");
        };
        let keys = self.keys(t);
        let protected = keys.protect_phone(&phone);
        let linked = self
            .store
            .get_zalo_user(t, user)
            .await?
            .and_then(|u| u.phone);
        if linked.is_some_and(|p| p.hash == protected.hash) {
            return self.linked(tenant, e, user, &protected.hash).await;
        }
        let day = time::to_vn(e.at).date_naive();
        if self.count_today(t, "otp_sent_user", user, day).await? > OTP_PER_DAY {
            reply(Msg::OtpDailyLimit).await?;
            return Ok("otp_daily_limit");
        }
        let digits = phone.international();
        let phone_tail = digits[digits.len().saturating_sub(3)..].to_string();
        let mut claim = PhoneClaim {
            phone: protected,
            code_hash: String::new(),
            expires_at: e.at + CLAIM_VALID,
            code_expires_at: None,
            tries_left: OTP_TRIES,
        };
        let Some(template) = tenant.zalo.zns_templates.get(OTP) else {
            // no code can be sent: only a receipt code proves the phone
            self.store
                .set_phone_claim(t, user, Some(&claim), e.at)
                .await?;
            reply(Msg::ReceiptCodeAsked { phone_tail }).await?;
            return Ok("receipt_code_asked");
        };
        let code = one_time_code();
        claim.code_hash = keys.otp_hash(user, &code);
        claim.code_expires_at = Some(e.at + OTP_VALID);
        self.store
            .set_phone_claim(t, user, Some(&claim), e.at)
            .await?;
        if let Err(err) = self
            .send_code(tenant, e, user, &phone, template, &code)
            .await
        {
            retryable(err)?;
            // ZNS refused the number: the receipt code is still a proof
            let receipt_only = PhoneClaim {
                code_hash: String::new(),
                code_expires_at: None,
                ..claim
            };
            self.store
                .set_phone_claim(t, user, Some(&receipt_only), e.at)
                .await?;
            reply(Msg::ReceiptCodeAsked { phone_tail }).await?;
            return Ok("receipt_code_asked");
        }
        reply(Msg::OtpSent { phone_tail }).await?;
        Ok("otp_sent")
    }

    /// The one-time code to the phone, by the tenant's OTP template.
    async fn send_code(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone: &PhoneNumber,
        template: &str,
        code: &str,
    ) -> Result<(), SendError> {
        // a code is a ZNS like any other: it counts against the tenant's daily cap, and past
        // it the receipt code is the proof
        let spend = crate::notify::spend::take_zns_spend(self.store.as_ref(), tenant, e.at)
            .await
            .map_err(|err| SendError {
                failure: SendFailure::Transient,
                detail: format!("ZNS spend unknown: {err}"),
                zalo_code: None,
            })?;
        if !spend.alarm(self.metrics.as_ref(), tenant) {
            return Err(SendError {
                failure: SendFailure::Configuration,
                detail: "zns: daily spend cap reached".into(),
                zalo_code: None,
            });
        }
        let tracking: String = format!("otp-{user}-{}", e.at.timestamp_millis())
            .chars()
            .take(48)
            .collect();
        let params = otp_params(code);
        let sent = self
            .messenger
            .send_zns(
                &e.oa_id,
                phone,
                template,
                &params,
                &tracking,
                tenant.zalo.zns_development,
            )
            .await?;
        // in the ledger by digests only: the user's tag and the time, the phone's hash
        let keys = self.keys(&tenant.id);
        let sent = Sent {
            tenant,
            oa_id: &e.oa_id,
            subject: Subject::PhoneCode {
                phone_code: format!("{}-{}", keys.user_tag(user), e.at.timestamp_millis()),
            },
            recipient: Recipient::Phone(keys.phone_hash(phone)),
            channel: "zns",
            price_class: "zns",
            template: Some(template.to_string()),
            text_version: version::zns(template, &params),
            message_id: &sent.message_id,
        };
        Ledger::unreported(self.store.clone(), self.metrics.clone())
            .record_sent(sent, self.clock.now())
            .await;
        Ok(())
    }

    /// Six digits typed while a claim is pending: the one-time code, checked in constant time.
    pub(super) async fn check_otp(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        claim: PhoneClaim,
        code: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let code_until = claim.code_expires_at.unwrap_or(claim.expires_at);
        if !claim.code_hash.is_empty() && e.at > code_until {
            return self
                .drop_claim(t, e, user, msg_id)
                .await
                .map(|_| "otp_expired");
        }
        let keys = self.keys(t);
        let given = keys.otp_hash(user, code);
        let right = !claim.code_hash.is_empty()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                given.as_bytes(),
                claim.code_hash.as_bytes(),
            ));
        if right {
            return self.proven(tenant, e, user, &claim.phone, "otp").await;
        }
        self.wrong_try(tenant, e, user, msg_id, claim).await
    }

    /// Eight digits typed while a claim is pending: the receipt code of a dossier that carries
    /// the claimed phone (today's or yesterday's, for a page opened before midnight), shown
    /// only to who opened the receipt's QR link. Holding the paper and naming its phone proves
    /// the phone as the one-time code does.
    pub(super) async fn check_receipt_code(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        claim: PhoneClaim,
        digits: &str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        if e.at > claim.expires_at {
            return self
                .drop_claim(t, e, user, msg_id)
                .await
                .map(|_| "receipt_code_expired");
        }
        let keys = self.keys(t);
        let today = time::to_vn(e.at).date_naive();
        let days = [Some(today), today.pred_opt()];
        let dossiers = self.store.dossiers_by_phone(t, &claim.phone.hash).await?;
        let right = dossiers.iter().any(|d| {
            days.iter().flatten().any(|day| {
                let expected = keys.receipt_code(&d.code, *day);
                bool::from(subtle::ConstantTimeEq::ct_eq(
                    expected.as_bytes(),
                    digits.as_bytes(),
                ))
            })
        });
        if right {
            return self.proven(tenant, e, user, &claim.phone, "receipt").await;
        }
        self.wrong_try(tenant, e, user, msg_id, claim).await
    }

    /// The claim is proven: the phone is linked (its previous holder's phone told), and the
    /// user's open dossiers are listed.
    async fn proven(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone: &Protected,
        by: &'static str,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let held_elsewhere = self
            .store
            .zalo_users_by_phone(t, &phone.hash)
            .await?
            .iter()
            .any(|u| u.user_id != user);
        self.store.set_phone_claim(t, user, None, e.at).await?;
        self.store.link_phone(t, user, phone, e.at).await?;
        // proving the phone again is asking for its notices again
        self.store.lift_phone_suppression(t, &phone.hash).await?;
        self.metrics
            .count("PhoneVerified", 1.0, &[("Tenant", t.as_str()), ("By", by)]);
        if held_elsewhere {
            self.tell_phone_of_new_link(tenant, e, user, phone).await;
        }
        self.linked(tenant, e, user, &phone.hash).await
    }

    /// The claim ends (expired, or its last try used); the user is told to start again.
    async fn drop_claim(
        &self,
        t: &TenantId,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
    ) -> Result<(), ConversationError> {
        self.store.set_phone_claim(t, user, None, e.at).await?;
        self.send(&e.oa_id, user, Some(msg_id), text(Msg::OtpFailed.render()))
            .await
    }

    /// A wrong code: one try fewer, and the claim dropped after the last.
    async fn wrong_try(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        msg_id: &str,
        claim: PhoneClaim,
    ) -> Result<&'static str, ConversationError> {
        let t = &tenant.id;
        let reply = |m: Msg| self.send(&e.oa_id, user, Some(msg_id), text(m.render()));
        let tries_left = claim.tries_left.saturating_sub(1);
        if tries_left == 0 {
            self.metrics
                .count("PhoneVerificationLocked", 1.0, &[("Tenant", t.as_str())]);
            return self
                .drop_claim(t, e, user, msg_id)
                .await
                .map(|_| "otp_locked");
        }
        let fewer = PhoneClaim {
            tries_left,
            ..claim
        };
        self.store
            .set_phone_claim(t, user, Some(&fewer), e.at)
            .await?;
        reply(Msg::OtpWrong { tries_left }).await?;
        Ok("otp_wrong")
    }

    /// A ZNS to the phone itself when another account had it linked: its owner learns of a link
    /// they may not have made. Best effort, once: a failure is logged and counted, never
    /// retried (a retry of the event would find the claim gone).
    async fn tell_phone_of_new_link(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone: &Protected,
    ) {
        let t = &tenant.id;
        let outcome = |result: &'static str| {
            self.metrics.count(
                "PhoneRelinkNotice",
                1.0,
                &[("Tenant", t.as_str()), ("Result", result)],
            );
        };
        let Some(template) = tenant.zalo.zns_templates.get(PHONE_RELINKED) else {
            tracing::warn!(tenant = %t, "a phone moved to another Zalo account, and no zns_templates.phone_relinked tells its owner");
            outcome("no_template");
            return;
        };
        let keys = self.keys(t);
        let Ok(number) = keys.open_phone(phone) else {
            tracing::error!(tenant = %t, "a linked phone does not open with the tenant's key");
            outcome("failed");
            return;
        };
        // a security notice: never stopped by the daily ZNS cap (the proofs that cause it are)
        let tracking: String = format!("relink-{user}-{}", e.at.timestamp_millis())
            .chars()
            .take(48)
            .collect();
        let params = phone_relinked_params(&time::vn_datetime(e.at), &tenant.name);
        match self
            .messenger
            .send_zns(
                &e.oa_id,
                &number,
                template,
                &params,
                &tracking,
                tenant.zalo.zns_development,
            )
            .await
        {
            Ok(_) => outcome("sent"),
            Err(err) => {
                tracing::error!(tenant = %t, detail = %err.detail, "the notice of a new phone link was not sent");
                outcome("failed");
            }
        }
    }

    /// The proven phone's open dossiers, listed once at linking.
    async fn linked(
        &self,
        tenant: &Tenant,
        e: &InboundEvent,
        user: &str,
        phone_hash: &str,
    ) -> Result<&'static str, ConversationError> {
        let open: Vec<String> = self
            .store
            .dossiers_by_phone(&tenant.id, phone_hash)
            .await?
            .into_iter()
            .filter(|d| !d.status.is_final())
            .map(|d| format!("{} – {} ({})", d.code, d.procedure_name, d.status.name_vi()))
            .collect();
        self.send(
            &e.oa_id,
            user,
            None,
            text(Msg::Linked { dossiers: open }.render()),
        )
        .await?;
        Ok("linked")
    }
}
