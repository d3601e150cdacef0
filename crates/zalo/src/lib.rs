//! The Zalo platform adapter (facts: ../shared/docs/zalo-platform.md): the OA/ZNS/OAuth HTTP
//! client with classified errors and a rate limiter, webhook signature verification and typed
//! events, and the token lifecycle.

pub mod client;
pub mod error;
pub mod events;
pub mod limiter;
pub mod messenger;
pub mod signature;
pub mod tokens;

pub use client::{
    AppCredentials, BaseUrls, Button, Recipient, Sent, TokenPair, ZaloClient, ZnsSent,
};
pub use error::{ErrorClass, ZaloError};
pub use events::{Event, WebhookEvent};
pub use limiter::{RateLimiter, SlidingWindowLimiter, Unlimited};
pub use messenger::ZaloMessenger;
pub use tokens::{GrantError, TokenManager, TokenSettings};
