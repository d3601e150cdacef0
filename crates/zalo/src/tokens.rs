//! OA token lifecycle that never loses the grant (zalo-platform.md §3.4).
//!
//! Refresh tokens are single use, so two processes refreshing at once lose the grant. Every
//! refresh therefore runs under a conditional-write lease in the store (longer than the HTTP
//! timeout), re-reads the pair after acquiring it, and persists the new pair (conditional on
//! the version) before anyone uses it. A refusal without an `access_token` is terminal: an
//! alarm metric is raised and nothing retries in a loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use motcua_app::metrics::Metrics;
use motcua_app::{Clock, OaTokens, StoreError, TokenStore};
use sha2::{Digest, Sha256};

use crate::client::{AppCredentials, TokenError, TokenPair, ZaloClient};
use crate::error::{ErrorClass, ZaloError};

/// A refresh token lives 3 months (zalo-platform.md §3.1).
pub const REFRESH_TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// A Zalo call made through [`TokenManager::call`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error(transparent)]
    Zalo(#[from] ZaloError),
    #[error(transparent)]
    Grant(#[from] GrantError),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("no tokens stored for OA {0}: run the operator's token bootstrap")]
    NotBootstrapped(String),
    #[error("no app credentials configured for OA {0}")]
    NoCredentials(String),
    #[error("OA {oa} needs an admin to consent again: {reason}")]
    ReconsentRequired { oa: String, reason: String },
    #[error("token refresh for OA {oa} temporarily failed: {reason}")]
    Unavailable { oa: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a scheduled run did for one OA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// More than the margin is left; nothing to do.
    NotDue {
        expires_at: DateTime<Utc>,
    },
    Refreshed {
        version: u64,
    },
    /// Another process refreshed while we waited.
    RefreshedElsewhere {
        version: u64,
    },
}

pub struct TokenSettings {
    /// Refresh when less than this is left of the access token's 25 h.
    pub margin: Duration,
    /// Lease on the refresh; must exceed the HTTP timeout (10 s) by a wide margin.
    pub lease: Duration,
    /// How often a caller that lost the lease looks for the winner's new pair.
    pub poll: Duration,
}

impl TokenSettings {
    /// Defaults, with the margin overridable by `MOTCUA_TOKEN_REFRESH_MARGIN_SECS`.
    pub fn from_env() -> Self {
        let mut s = TokenSettings::default();
        if let Some(secs) = std::env::var("MOTCUA_TOKEN_REFRESH_MARGIN_SECS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            s.margin = Duration::from_secs(secs);
        }
        s
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            margin: Duration::from_secs(5 * 3600),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(100),
        }
    }
}

pub struct TokenManager {
    store: Arc<dyn TokenStore>,
    client: ZaloClient,
    apps: HashMap<String, AppCredentials>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
    settings: TokenSettings,
    holder: String,
}

/// First 8 hex digits of SHA-256: enough to tell tokens apart in an audit log, useless to an
/// attacker.
pub fn hash_prefix(token: &str) -> String {
    hex::encode(&Sha256::digest(token.as_bytes())[..4])
}

impl TokenManager {
    /// `apps` maps each OA id to the credentials of the Zalo app it granted.
    pub fn new(
        store: Arc<dyn TokenStore>,
        client: ZaloClient,
        apps: HashMap<String, AppCredentials>,
        clock: Arc<dyn Clock>,
        metrics: Arc<dyn Metrics>,
        settings: TokenSettings,
    ) -> Self {
        TokenManager {
            store,
            client,
            apps,
            clock,
            metrics,
            settings,
            holder: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The OAs this manager can refresh.
    pub fn oa_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.apps.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// The stored pair (for callers that need the version to report a rejection).
    pub async fn current(&self, oa: &str) -> Result<OaTokens, GrantError> {
        self.store
            .get_tokens(oa)
            .await?
            .ok_or_else(|| GrantError::NotBootstrapped(oa.to_string()))
    }

    /// A usable access token: the stored one, or a fresh one if it has expired.
    pub async fn access_token(&self, oa: &str) -> Result<OaTokens, GrantError> {
        let tokens = self.current(oa).await?;
        if tokens.access_expires_at > self.clock.now() {
            return Ok(tokens);
        }
        self.refresh_unless_newer(oa, tokens.version).await
    }

    /// Zalo rejected the access token of `rejected_version` (`-216`, `-220`, `-124`): one
    /// coordinated refresh. Callers retry their call once with the result, never more.
    pub async fn after_rejection(
        &self,
        oa: &str,
        rejected_version: u64,
    ) -> Result<OaTokens, GrantError> {
        self.refresh_unless_newer(oa, rejected_version).await
    }

    /// Runs a Zalo call with the OA's access token. If Zalo rejects the token (`-216`, `-220`,
    /// `-124`), one coordinated refresh and one retry; a second rejection is returned as is.
    pub async fn call<T, F, Fut>(&self, oa: &str, f: F) -> Result<T, CallError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<T, ZaloError>>,
    {
        let tokens = self.access_token(oa).await?;
        match f(tokens.access_token.clone()).await {
            Err(e) if e.class == ErrorClass::TokenRefreshable => {
                tracing::warn!(oa, code = e.code, "access token rejected; refreshing once");
                let fresh = self.after_rejection(oa, tokens.version).await?;
                Ok(f(fresh.access_token).await?)
            }
            other => Ok(other?),
        }
    }

    /// The scheduled refresher's call: refresh when less than the margin is left.
    pub async fn refresh_if_due(&self, oa: &str) -> Result<RefreshOutcome, GrantError> {
        let tokens = self.current(oa).await?;
        if !self.is_due(&tokens) {
            return Ok(RefreshOutcome::NotDue {
                expires_at: tokens.access_expires_at,
            });
        }
        let new = self.refresh_unless_newer(oa, tokens.version).await?;
        Ok(RefreshOutcome::Refreshed {
            version: new.version,
        })
    }

    fn is_due(&self, t: &OaTokens) -> bool {
        let margin = chrono::Duration::from_std(self.settings.margin).expect("margin fits");
        t.access_expires_at - margin <= self.clock.now()
    }

    /// Refreshes unless the stored version is already newer than `seen_version`.
    async fn refresh_unless_newer(
        &self,
        oa: &str,
        seen_version: u64,
    ) -> Result<OaTokens, GrantError> {
        let app = self
            .apps
            .get(oa)
            .ok_or_else(|| GrantError::NoCredentials(oa.to_string()))?;
        let deadline = tokio::time::Instant::now() + self.settings.lease * 2;
        loop {
            let now = self.clock.now();
            if self
                .store
                .acquire_lease(oa, &self.holder, now, self.settings.lease)
                .await?
            {
                let result = self.refresh_holding_lease(oa, app, seen_version).await;
                if let Err(e) = self.store.release_lease(oa, &self.holder).await {
                    tracing::warn!(oa, error = %e, "could not release the refresh lease; it expires on its own");
                }
                return result;
            }
            // Someone else is refreshing: wait for their pair instead of spending the token.
            tokio::time::sleep(self.settings.poll).await;
            let tokens = self.current(oa).await?;
            if tokens.version > seen_version {
                return Ok(tokens);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(GrantError::Unavailable {
                    oa: oa.to_string(),
                    reason: "another refresh holds the lease and has not finished".into(),
                });
            }
        }
    }

    async fn refresh_holding_lease(
        &self,
        oa: &str,
        app: &AppCredentials,
        seen_version: u64,
    ) -> Result<OaTokens, GrantError> {
        // Re-read under the lease: the previous holder may have finished just before we got it.
        let old = self.current(oa).await?;
        if old.version > seen_version {
            return Ok(old);
        }
        let pair = match self.client.refresh(app, &old.refresh_token).await {
            Ok(pair) => pair,
            Err(TokenError::Refused { code, reason }) => {
                self.metrics
                    .count("TokenRefreshFailed", 1.0, &[("OaId", oa)]);
                tracing::error!(oa, code, reason = %reason, "Zalo refused the refresh token: an OA admin must consent again");
                return Err(GrantError::ReconsentRequired {
                    oa: oa.to_string(),
                    reason: format!("{code}: {reason}"),
                });
            }
            Err(TokenError::Unavailable(reason)) => {
                self.metrics
                    .count("TokenRefreshUnavailable", 1.0, &[("OaId", oa)]);
                return Err(GrantError::Unavailable {
                    oa: oa.to_string(),
                    reason,
                });
            }
        };
        let new = self.tokens_from(oa, &pair, old.version + 1);
        // Persist before use. A conflict here means the lease was lost (a pause longer than the
        // lease); the other writer's pair is the one Zalo now honours, so use it.
        match self.store.put_tokens(&new).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return self.current(oa).await,
            Err(e) => {
                self.metrics
                    .count("TokenRefreshFailed", 1.0, &[("OaId", oa)]);
                tracing::error!(oa, error = %e, "new token pair could not be stored; the grant may be lost");
                return Err(e.into());
            }
        }
        tracing::info!(
            oa,
            version = new.version,
            old_access = %hash_prefix(&old.access_token),
            new_access = %hash_prefix(&new.access_token),
            old_refresh = %hash_prefix(&old.refresh_token),
            new_refresh = %hash_prefix(&new.refresh_token),
            "audit: OA tokens rotated"
        );
        self.metrics.count("TokenRefreshed", 1.0, &[("OaId", oa)]);
        Ok(new)
    }

    fn tokens_from(&self, oa: &str, pair: &TokenPair, version: u64) -> OaTokens {
        let now = self.clock.now();
        let span = |d: Duration| chrono::Duration::from_std(d).expect("token lifetimes fit");
        OaTokens {
            oa_id: oa.to_string(),
            access_token: pair.access_token.clone(),
            refresh_token: pair.refresh_token.clone(),
            access_expires_at: now + span(pair.expires_in),
            refresh_expires_at: now + span(REFRESH_TOKEN_LIFETIME),
            version,
            updated_at: now,
        }
    }

    /// Stores a pair obtained outside the refresh flow (code exchange or Zalo's console),
    /// replacing whatever is stored.
    pub async fn install(&self, oa: &str, pair: &TokenPair) -> Result<OaTokens, GrantError> {
        let next = match self.store.get_tokens(oa).await? {
            Some(t) => t.version + 1,
            None => 1,
        };
        let tokens = self.tokens_from(oa, pair, next);
        self.store.put_tokens(&tokens).await?;
        tracing::info!(oa, version = next, new_access = %hash_prefix(&pair.access_token),
            new_refresh = %hash_prefix(&pair.refresh_token), "audit: OA tokens installed");
        Ok(tokens)
    }

    /// First grant: exchanges the authorization code from the consent redirect.
    pub async fn bootstrap_with_code(
        &self,
        oa: &str,
        code: &str,
        verifier: &str,
    ) -> Result<OaTokens, GrantError> {
        let app = self
            .apps
            .get(oa)
            .ok_or_else(|| GrantError::NoCredentials(oa.to_string()))?;
        let pair = self
            .client
            .exchange_code(app, code, verifier)
            .await
            .map_err(|e| match e {
                TokenError::Refused { code, reason } => GrantError::ReconsentRequired {
                    oa: oa.to_string(),
                    reason: format!("{code}: {reason}"),
                },
                TokenError::Unavailable(reason) => GrantError::Unavailable {
                    oa: oa.to_string(),
                    reason,
                },
            })?;
        self.install(oa, &pair).await
    }
}
