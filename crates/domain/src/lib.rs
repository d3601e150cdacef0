//! The dossier domain: receipt codes, tenants, statuses, events, masking, the message
//! catalogue, and the records kept about tickets, announcements, staff actions and Zalo users. Pure: no I/O, no clocks, no AWS.

pub mod announcement;
pub mod audit;
pub mod catalogue;
pub mod code;
pub mod delivery;
pub mod dossier;
pub mod dvcqg;
pub mod event;
pub mod guide;
pub mod mask;
pub mod mine;
pub mod order;
pub mod phone;
pub mod procedure;
pub mod retention;
pub mod status;
pub mod support;
pub mod tenant;
pub mod text;
pub mod ticket;
pub mod time;
pub mod window;
pub mod zalo;

pub use code::{CodeError, DossierCode};
pub use dossier::{
    DeliveryMethod, DocumentKind, DocumentLink, Dossier, DossierView, NoticeStamp, Protected,
    SyncState, TimelineEntry,
};
pub use event::{DossierEvent, EventError, EventKind, Source};
pub use phone::{IdNumber, PhoneNumber};
pub use retention::Retention;
pub use status::NationalStatus;
pub use tenant::{
    AnswerFallback, NotifyPolicy, Prices, QuietHours, SmsSettings, Tenant, TenantDirectory,
    TenantId, TicketPolicy, Trial, WithoutConsent, ZaloSettings,
};
pub use window::CsWindow;
