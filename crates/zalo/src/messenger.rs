//! The `Messenger` port on Zalo: every call goes through the token manager (one coordinated
//! refresh and one retry on a rejected token) and the client's rate limiter.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use motcua_app::messenger::{Delivered, Messenger, Outgoing, SendError, SendFailure};
use motcua_domain::PhoneNumber;

use crate::client::{Button, Recipient, ZaloClient};
use crate::error::ErrorClass;
use crate::tokens::{CallError, GrantError, TokenManager};

pub struct ZaloMessenger {
    client: ZaloClient,
    tokens: Arc<TokenManager>,
}

impl ZaloMessenger {
    pub fn new(client: ZaloClient, tokens: Arc<TokenManager>) -> Self {
        ZaloMessenger { client, tokens }
    }

    /// A consultation message: query buttons, plus the document link as an open-URL button.
    async fn cs(
        &self,
        oa_id: &str,
        to: Recipient,
        message: &Outgoing,
    ) -> Result<Delivered, SendError> {
        let mut buttons: Vec<Button> = message
            .buttons
            .iter()
            .map(|(title, payload)| Button::QueryHide {
                title: title.clone(),
                payload: payload.clone(),
            })
            .collect();
        if let Some((title, url)) = &message.link {
            buttons.push(Button::OpenUrl {
                title: title.clone(),
                url: url.clone(),
            });
        }
        if let Some((title, phone_code)) = &message.call {
            buttons.push(Button::OpenPhone {
                title: title.clone(),
                phone_code: phone_code.clone(),
            });
        }
        let sent = self
            .tokens
            .call(oa_id, |token| {
                let (client, to, buttons) = (&self.client, &to, &buttons);
                async move {
                    if buttons.is_empty() {
                        client.send_text(&token, to, &message.text).await
                    } else {
                        client
                            .send_text_with_buttons(&token, to, &message.text, buttons)
                            .await
                    }
                }
            })
            .await
            .map_err(failure)?;
        Ok(Delivered {
            message_id: sent.message_id,
        })
    }
}

fn failure(e: CallError) -> SendError {
    let zalo_code = match &e {
        CallError::Zalo(z) if z.code != 0 => Some(z.code),
        _ => None,
    };
    let (failure, detail) = match e {
        CallError::Zalo(z) => {
            let failure = match z.class {
                ErrorClass::RateLimited { retry_after, .. } => {
                    SendFailure::RateLimited { retry_after }
                }
                ErrorClass::OutsideWindow => SendFailure::OutsideWindow,
                ErrorClass::RecipientPermanent => SendFailure::RecipientPermanent,
                ErrorClass::Configuration => SendFailure::Configuration,
                // A token still rejected after the one refresh: treat as transient for this
                // message; the refresher and its alarm deal with the grant.
                ErrorClass::TokenRefreshable | ErrorClass::Transient => SendFailure::Transient,
            };
            (failure, z.to_string())
        }
        CallError::Grant(g @ (GrantError::Unavailable { .. } | GrantError::Store(_))) => {
            (SendFailure::Transient, g.to_string())
        }
        CallError::Grant(g) => (SendFailure::Configuration, g.to_string()),
    };
    SendError {
        failure,
        detail,
        zalo_code,
    }
}

#[async_trait]
impl Messenger for ZaloMessenger {
    async fn send_cs(
        &self,
        oa_id: &str,
        user_id: &str,
        message: &Outgoing,
    ) -> Result<Delivered, SendError> {
        self.cs(
            oa_id,
            Recipient::User {
                user_id: user_id.to_string(),
            },
            message,
        )
        .await
    }

    async fn reply(
        &self,
        oa_id: &str,
        inbound_message_id: &str,
        message: &Outgoing,
    ) -> Result<Delivered, SendError> {
        let to = Recipient::Reply {
            message_id: inbound_message_id.to_string(),
        };
        self.cs(oa_id, to, message).await
    }

    async fn follower_count(&self, oa_id: &str) -> Result<u64, SendError> {
        self.tokens
            .call(oa_id, |token| async move {
                self.client.oa_followers(&token).await
            })
            .await
            .map_err(failure)
    }

    async fn request_user_info(
        &self,
        oa_id: &str,
        user_id: &str,
        title: &str,
        subtitle: &str,
    ) -> Result<Delivered, SendError> {
        let sent = self
            .tokens
            .call(oa_id, |token| async move {
                self.client
                    .request_user_info(&token, user_id, title, subtitle, "")
                    .await
            })
            .await
            .map_err(failure)?;
        Ok(Delivered {
            message_id: sent.message_id,
        })
    }

    async fn send_template_uid(
        &self,
        oa_id: &str,
        user_id: &str,
        template_id: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Delivered, SendError> {
        let sent = self
            .tokens
            .call(oa_id, |token| async move {
                self.client
                    .send_template_uid(&token, user_id, template_id, params)
                    .await
            })
            .await
            .map_err(failure)?;
        Ok(Delivered {
            message_id: sent.message_id,
        })
    }

    async fn send_zns(
        &self,
        oa_id: &str,
        phone: &PhoneNumber,
        template_id: &str,
        params: &BTreeMap<String, String>,
        tracking_id: &str,
        development: bool,
    ) -> Result<Delivered, SendError> {
        let sent = self
            .tokens
            .call(oa_id, |token| async move {
                self.client
                    .send_zns(&token, phone, template_id, params, tracking_id, development)
                    .await
            })
            .await
            .map_err(failure)?;
        Ok(Delivered {
            message_id: sent.msg_id,
        })
    }

    async fn broadcast_article(
        &self,
        oa_id: &str,
        article_id: &str,
    ) -> Result<Delivered, SendError> {
        let sent = self
            .tokens
            .call(oa_id, |token| async move {
                self.client.broadcast_article(&token, article_id).await
            })
            .await
            .map_err(failure)?;
        Ok(Delivered {
            message_id: sent.message_id,
        })
    }
}
