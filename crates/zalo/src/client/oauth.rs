//! The OAuth token endpoint (zalo-platform.md §3): the first consent's code exchange and the
//! single-use refresh rotation.

use std::time::Duration;

use serde_json::Value;

use super::{ZaloClient, int_field, str_field, without_url};

/// A new token pair from the OAuth endpoint. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: Duration,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Why the token endpoint did not give a pair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Zalo answered without an `access_token`: the grant (refresh token or code) is unusable.
    /// An OA admin must consent again; never retried automatically.
    #[error("token endpoint refused the grant ({code}): {reason}")]
    Refused { code: i64, reason: String },
    /// `-32` or a transport/HTTP failure: the same grant may work later.
    #[error("token endpoint unavailable: {0}")]
    Unavailable(String),
}

/// Zalo app credentials for the token endpoint. `Debug` hides the secret.
#[derive(Clone)]
pub struct AppCredentials {
    pub app_id: String,
    pub app_secret: String,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl ZaloClient {
    /// Exchanges an authorization code (first consent, PKCE) for a token pair.
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        code: &str,
        code_verifier: &str,
    ) -> Result<TokenPair, TokenError> {
        self.token_call(
            app,
            &[
                ("code", code),
                ("app_id", &app.app_id),
                ("grant_type", "authorization_code"),
                ("code_verifier", code_verifier),
            ],
        )
        .await
    }

    /// Rotates a refresh token (single use) into a new pair.
    pub async fn refresh(
        &self,
        app: &AppCredentials,
        refresh_token: &str,
    ) -> Result<TokenPair, TokenError> {
        self.token_call(
            app,
            &[
                ("refresh_token", refresh_token),
                ("app_id", &app.app_id),
                ("grant_type", "refresh_token"),
            ],
        )
        .await
    }

    async fn token_call(
        &self,
        app: &AppCredentials,
        form: &[(&str, &str)],
    ) -> Result<TokenPair, TokenError> {
        self.limiter.acquire().await;
        let response = self
            .http
            .post(format!("{}/v4/oa/access_token", self.urls.oauth))
            .header("secret_key", &app.app_secret)
            .form(form)
            .send()
            .await
            .map_err(|e| TokenError::Unavailable(without_url(e)))?;
        let status = response.status();
        let body: Value = match response.json().await {
            Ok(v) => v,
            Err(_) if status.is_server_error() => {
                return Err(TokenError::Unavailable(format!("HTTP {status}")));
            }
            Err(e) => {
                return Err(TokenError::Unavailable(format!(
                    "HTTP {status}, unreadable body: {}",
                    without_url(e)
                )));
            }
        };
        let access = str_field(&body, "access_token").filter(|s| !s.is_empty());
        let refresh = str_field(&body, "refresh_token").filter(|s| !s.is_empty());
        match (access, refresh) {
            (Some(access_token), Some(refresh_token)) => Ok(TokenPair {
                access_token,
                refresh_token,
                expires_in: Duration::from_secs(
                    int_field(&body, "expires_in").unwrap_or(90_000).max(0) as u64,
                ),
            }),
            _ => {
                let code = int_field(&body, "error").unwrap_or(0);
                if code == -32 || status.is_server_error() {
                    return Err(TokenError::Unavailable(format!(
                        "HTTP {status}, error {code}"
                    )));
                }
                let reason = ["error_name", "error_reason", "error_description", "message"]
                    .iter()
                    .filter_map(|k| str_field(&body, k))
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ");
                Err(TokenError::Refused { code, reason })
            }
        }
    }
}
