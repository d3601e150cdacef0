//! The local server: every HTTP function on one port, the queue consumers as background tasks,
//! all on the embedded store. `main.rs` parses flags and wires this together.

pub mod intake;
pub mod proxy;
pub mod scheduled;
pub mod staff;
pub mod worker;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lookup::problem;
use motcua_app::conversation::{Conversation, ConversationSettings};
use motcua_app::metrics::{Metrics, RecordingMetrics};
use motcua_app::notify::{Notifier, NotifierSettings};
use motcua_app::{Clock, Queue, Store, Tenancy};
use motcua_config::Deployment;
use motcua_domain::DossierCode;
use motcua_embedded::{EmbeddedDb, EmbeddedQueue, QueueSettings};
use motcua_zalo::{BaseUrls, TokenManager, TokenPair, ZaloClient};
use motcua_zalo_fake::ZaloFake;
use serde_json::json;

/// SQS's maximum message size; the legacy endpoint refuses larger bodies like SQS would.
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// Name of the inbound queue of legacy dossier events.
pub const INBOUND_QUEUE: &str = "legacy-events";

/// The webhook's queue of verified Zalo events.
pub const ZALO_EVENTS_QUEUE: &str = "zalo-events";

/// Messages to the one-stop system.
pub const OUTBOUND_QUEUE: &str = "to-one-stop";

/// Announcement jobs of the staff console.
pub const ANNOUNCEMENTS_QUEUE: &str = "announcements";

/// Lookups per minute per client address (the Lambda reads MOTCUA_LOOKUPS_PER_MINUTE).
pub const LOOKUPS_PER_MINUTE: u32 = 60;

/// Shared by every route and background task.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub inbound: EmbeddedQueue,
    pub tenancy: Tenancy,
    pub clock: Arc<dyn Clock>,
    pub secrets: motcua_config::Secrets,
    pub zalo: ZaloClient,
    pub tokens: Arc<TokenManager>,
    pub metrics: Arc<dyn Metrics>,
    /// The in-process Zalo fake, unless the server was pointed at another Zalo.
    pub zalo_fake: Option<Arc<ZaloFake>>,
    /// The notifier Lambda's logic, fed by the embedded inbound queue.
    pub notifier: Arc<Notifier>,
    /// The webhook's queue of verified Zalo events and the conversation that consumes it.
    pub zalo_events: EmbeddedQueue,
    pub conversation: Conversation,
    /// Messages to the one-stop system (delivery choices).
    pub outbound: EmbeddedQueue,
    pub webhook: Arc<webhook::WebhookState>,
    /// The same metrics as `metrics`, readable (local mode and tests).
    pub recorded: Arc<RecordingMetrics>,
    pub lookup: Arc<lookup::LookupState>,
    pub qr: Arc<qr::QrState>,
    /// The staff console and its announcement job queue.
    pub admin: Arc<admin::AdminState>,
    pub announcements: EmbeddedQueue,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read or create the queue key {path}: {source}")]
    QueueKey {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Config(#[from] motcua_config::LoadError),
    #[error(transparent)]
    Db(#[from] motcua_embedded::OpenError),
    #[error("Zalo set-up: {0}")]
    Zalo(String),
    #[error("staff accounts: {0}")]
    Staff(String),
}

/// The data directory (created on first start), the deployment (tenant file + secrets,
/// generated there on first start) and the embedded database, its queues sealed with the
/// directory's `queue.key` (also generated on first start). The file is compacted first, so that
/// rows purged while the server ran are gone from it after a restart.
fn open_data(data_dir: &Path, config: &Path) -> Result<(Deployment, EmbeddedDb), StartError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StartError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let deployment = Deployment::from_files(config, &data_dir.join("secrets.json"))?;
    // Queue bodies (DVCQG payloads with names, phones, ID numbers) and what citizens write in
    // tickets are sealed in the file.
    let key_path = data_dir.join("queue.key");
    let key = motcua_embedded::seal::load_or_create_key(&key_path).map_err(|source| {
        StartError::QueueKey {
            path: key_path.display().to_string(),
            source,
        }
    })?;
    let file = data_dir.join("motcua.redb");
    if file.exists() {
        // What the daily purges freed leaves the file here (compaction needs it to itself).
        let (before, after) = EmbeddedDb::compact_file(&file)?;
        tracing::info!(before, after, "database file compacted");
    }
    let db = EmbeddedDb::open(&file)?.seal_at_rest(&key);
    Ok((deployment, db))
}

/// The notifier and the conversation, as their Lambdas build them.
fn consumers(
    store: Arc<dyn Store>,
    deployment: &Deployment,
    zalo: &motcua_runtime::Zalo,
    outbound: Arc<dyn Queue>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
) -> (Arc<Notifier>, Conversation) {
    let notifier = Arc::new(Notifier {
        store: store.clone(),
        tenancy: deployment.tenancy.clone(),
        messenger: zalo.messenger.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
        settings: NotifierSettings::default(),
        outbound: outbound.clone(),
        sms: motcua_runtime::sms_gateway(deployment, std::env::var("SMS_BASE_URL").ok()),
    });
    let conversation = Conversation {
        store,
        tenancy: deployment.tenancy.clone(),
        messenger: zalo.messenger.clone(),
        notifier: notifier.clone(),
        outbound,
        clock,
        metrics,
        settings: ConversationSettings::default(),
        guides: Default::default(),
    };
    (notifier, conversation)
}

/// The lookup page and API, and the QR endpoint (behind its API key).
fn public_states(
    store: &Arc<dyn Store>,
    deployment: &Deployment,
    clock: &Arc<dyn Clock>,
    metrics: &Arc<dyn Metrics>,
    lookups_per_minute: u32,
) -> (Arc<lookup::LookupState>, Arc<qr::QrState>) {
    let lookup = lookup::LookupState::new(
        store.clone(),
        deployment.clone(),
        clock.clone(),
        metrics.clone(),
        lookups_per_minute,
    );
    // redb locks its file: this process is the only one counting lookups
    let lookup = Arc::new(lookup.sole_process());
    let qr = Arc::new(qr::QrState {
        deployment: deployment.clone(),
        require_api_key: true,
    });
    (lookup, qr)
}

/// The staff console with password logins and its announcement job queue, whose consumer
/// sends on the announcements' share of the Zalo budget and gives way to `inbound`'s backlog.
fn admin_state(
    desk: Arc<motcua_app::staff::StaffDesk>,
    zalo: &motcua_runtime::Zalo,
    (announcements, inbound): (&EmbeddedQueue, &EmbeddedQueue),
    auth: admin::auth::Auth,
) -> Arc<admin::AdminState> {
    use motcua_app::announce::{Announcements, Pace};
    Arc::new(admin::AdminState {
        announcements: Arc::new(Announcements {
            desk: desk.clone(),
            messenger: zalo.announcer(),
            queue: Arc::new(announcements.clone()),
            pace: Some(Pace::deployed(Arc::new(inbound.clone()))),
        }),
        desk,
        auth,
    })
}

/// Zalo for the local server: the given base URL, or an in-process fake with a fresh token
/// pair installed for every OA of the deployment.
async fn zalo(
    zalo_base: Option<&str>,
    deployment: &Deployment,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: Arc<dyn Metrics>,
) -> Result<(Option<Arc<ZaloFake>>, motcua_runtime::Zalo), StartError> {
    let fake = match zalo_base {
        Some(_) => None,
        None => Some(Arc::new(ZaloFake::start().await)),
    };
    let base = zalo_base.map_or_else(
        || BaseUrls::all(&fake.as_ref().expect("fake started").base_url),
        BaseUrls::all,
    );
    let services = motcua_runtime::Zalo::new(base, store, deployment, clock, metrics);
    if let Some(fake) = &fake {
        for app in deployment.zalo_apps() {
            fake.add_app(&app.app_id, &app.app_secret);
            let (access_token, refresh_token) = fake.issue_tokens(&app.oa_id);
            let pair = TokenPair {
                access_token,
                refresh_token,
                expires_in: std::time::Duration::from_secs(90_000),
            };
            services
                .tokens
                .install(&app.oa_id, &pair)
                .await
                .map_err(|e| StartError::Zalo(e.to_string()))?;
        }
    }
    Ok((fake, services))
}

/// Opens the data directory and the tenant file and builds the state. Without `zalo_base` an
/// in-process Zalo fake stands in for Zalo, with a fresh token pair installed for every OA.
/// Every decision of every route and consumer takes its time from `clock` (the binary passes
/// `SystemClock`; tests pass a `ManualClock`).
pub async fn open(
    data_dir: &Path,
    config: &Path,
    zalo_base: Option<&str>,
    lookups_per_minute: u32,
    clock: Arc<dyn Clock>,
) -> Result<Arc<AppState>, StartError> {
    let (deployment, db) = open_data(data_dir, config)?;
    let store: Arc<dyn Store> = Arc::new(db.store());
    let recorded = Arc::new(RecordingMetrics::default());
    let metrics: Arc<dyn Metrics> = recorded.clone();

    let (zalo_fake, services) = zalo(
        zalo_base,
        &deployment,
        store.clone(),
        clock.clone(),
        metrics.clone(),
    )
    .await?;
    let (zalo, tokens) = (services.client.clone(), services.tokens.clone());
    let zalo_events = db.queue(ZALO_EVENTS_QUEUE, QueueSettings::default());
    let outbound = db.queue(OUTBOUND_QUEUE, QueueSettings::default());
    let (notifier, conversation) = consumers(
        store.clone(),
        &deployment,
        &services,
        Arc::new(outbound.clone()),
        clock.clone(),
        metrics.clone(),
    );
    let webhook = Arc::new(webhook::WebhookState {
        deployment: deployment.clone(),
        queue: Arc::new(zalo_events.clone()),
        metrics: metrics.clone(),
        clock: clock.clone(),
        junk: webhook::JunkGuard::new(webhook::JUNK_PER_MINUTE),
    });
    let (lookup, qr) = public_states(&store, &deployment, &clock, &metrics, lookups_per_minute);
    let desk = Arc::new(motcua_app::staff::StaffDesk {
        store: store.clone(),
        tenancy: Arc::new(deployment.tenancy.clone()),
        messenger: services.messenger.clone(),
        clock: clock.clone(),
        metrics: metrics.clone(),
    });
    let announcements = db.queue(ANNOUNCEMENTS_QUEUE, QueueSettings::default());
    let inbound = db.queue(INBOUND_QUEUE, QueueSettings::default());
    let auth = admin::auth::Auth::Local(staff::accounts(data_dir, &deployment)?);
    let admin = admin_state(desk, &services, (&announcements, &inbound), auth);
    Ok(Arc::new(AppState {
        admin,
        announcements,
        zalo_events,
        conversation,
        outbound,
        webhook,
        recorded,
        lookup,
        qr,
        notifier,
        store,
        inbound,
        tenancy: deployment.tenancy,
        clock,
        secrets: deployment.secrets,
        zalo,
        tokens,
        metrics,
        zalo_fake,
    }))
}

pub fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}

/// Every HTTP function on one router: the lookup page and API, the QR endpoint, the webhook,
/// the staff console, the one-stop system's authenticated intake, and `/healthz`.
///
/// `demo` adds the demo's unauthenticated routes: `/local/legacy-events` (anyone queues dossier
/// events), `/local/zalo/simulate` (signs any body with the OA's real secret) and
/// `/local/outbox` (every message sent). They are for a developer's machine only: `serve`
/// refuses them on anything but a loopback address.
pub fn router(state: Arc<AppState>, demo: bool) -> Router {
    let mut local = Router::new().route("/healthz", get(healthz));
    if demo {
        local = local
            .route("/local/legacy-events", post(post_legacy_event))
            .route("/local/outbox", get(outbox))
            .route("/local/zalo/simulate", post(simulate_zalo));
    }
    let local = local
        .layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES))
        .with_state(state.clone());
    local
        .merge(intake::router(state.clone()))
        .merge(lookup::router(state.lookup.clone()))
        .merge(qr::router(state.qr.clone()))
        .merge(webhook::router(state.webhook.clone()))
        .merge(admin::router(state.admin.clone()))
}

/// Sets each request's `ClientIp` (the rate limits' key) from the connection, believing
/// `X-Forwarded-For` only from `trusted_proxies`.
fn with_client_ip(app: Router, trusted_proxies: Vec<std::net::IpAddr>) -> Router {
    let proxies = Arc::new(trusted_proxies);
    app.layer(axum::middleware::from_fn(move |req, next| {
        proxy::client_ip(proxies.clone(), req, next)
    }))
}

/// Serves the router with the demo routes on a free loopback port in the background (tests,
/// benches), as `serve` does; returns `http://127.0.0.1:<port>`.
pub async fn serve_on_loopback(state: Arc<AppState>) -> std::io::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = with_client_ip(router(state, true), Vec::new())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "loopback server stopped");
        }
    });
    Ok(base)
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.inbound.depth().await {
        Ok(depth) => Json(json!({"status": "ok", "inbound_queue_depth": depth})).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Store unavailable",
            &e.to_string(),
        ),
    }
}

/// Accepts one queue message body exactly as the one-stop system would put it on SQS.
/// Validation happens in the consumer, as in production: a bad body ends on the DLQ with its reason.
async fn post_legacy_event(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let Ok(text) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Body is not UTF-8",
            "SQS message bodies are UTF-8 text; send the event JSON as UTF-8.",
        );
    };
    if text.trim().is_empty() {
        return problem(
            StatusCode::BAD_REQUEST,
            "Empty body",
            "Send one event JSON document.",
        );
    }
    match state.inbound.send(text).await {
        Ok(id) => (StatusCode::ACCEPTED, Json(json!({"message_id": id}))).into_response(),
        Err(e) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Queue unavailable",
            &e.to_string(),
        ),
    }
}

/// The local demo's stand-in for Zalo's servers: takes an event body (the shapes of
/// events/zalo-webhook/), dates it now (its `timestamp`, as Zalo would), signs it as Zalo does
/// with its OA's secret, and passes it through the real `POST /zalo/webhook` (signature check,
/// freshness, queue, 200). The reply appears in /local/outbox.
async fn simulate_zalo(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    use tower::ServiceExt as _;
    let body = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(mut v) if v.get("timestamp").is_some() => {
            v["timestamp"] = state.clock.now().timestamp_millis().to_string().into();
            Bytes::from(v.to_string())
        }
        _ => body,
    };
    let Ok((envelope, _)) = motcua_zalo::events::Envelope::parse(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "Not a Zalo event",
            "Send a body shaped like events/zalo-webhook/*.json.",
        );
    };
    let secret = envelope
        .oa_id
        .as_deref()
        .and_then(|oa| state.tenancy.directory().for_oa(oa))
        .and_then(|t| state.secrets.tenant(t.id.as_str()))
        .and_then(|s| s.zalo_oa_secret_key.clone());
    let Some(secret) = secret else {
        return problem(
            StatusCode::NOT_FOUND,
            "Unknown OA",
            "No demo tenant has this OA id (oa_id, recipient.id or sender.id).",
        );
    };
    let mac = motcua_zalo::signature::sign(&envelope.app_id, &body, &envelope.timestamp, &secret);
    let request = axum::http::Request::post("/zalo/webhook")
        .header(motcua_zalo::signature::HEADER, mac)
        .body(axum::body::Body::from(body))
        .expect("static request");
    match webhook::router(state.webhook.clone())
        .oneshot(request)
        .await
    {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// What the in-process Zalo fake received: every call with its answer, oldest first.
async fn outbox(State(state): State<Arc<AppState>>) -> Response {
    match &state.zalo_fake {
        Some(fake) => Json(fake.records()).into_response(),
        None => problem(
            StatusCode::NOT_FOUND,
            "No Zalo fake",
            "This server talks to a real Zalo (--zalo-base); its outbox is Zalo's.",
        ),
    }
}

struct Json<T>(T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Human-readable logs locally; `RUST_LOG` overrides the level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

const DEMO_EVENTS: &str = include_str!("../../../infra/local/demo-events.json");

/// Applies the demo events directly (idempotent: re-seeding changes nothing).
pub async fn seed_demo(state: &AppState) -> Result<Vec<DossierCode>, String> {
    // the demo tenants' procedure guide, the sample catalogue of real procedures (first, so
    // that it sits at the start of a new file)
    for tenant in state.tenancy.directory().iter() {
        motcua_app::guide::import_catalogue(
            state.store.as_ref(),
            state.clock.as_ref(),
            &tenant.id,
            DEMO_PROCEDURES,
            motcua_domain::procedure::Format::Json,
            "procedures-tuyen-quang.json",
        )
        .await
        .map_err(|e| format!("demo procedures: {e}"))?;
    }
    let events: Vec<serde_json::Value> =
        serde_json::from_str(DEMO_EVENTS).map_err(|e| format!("demo events: {e}"))?;
    let mut codes = Vec::new();
    for v in events {
        let event = motcua_domain::DossierEvent::from_json(&v.to_string())
            .map_err(|e| format!("demo event: {e}"))?;
        let outcome = motcua_app::ingest::apply_event(
            state.store.as_ref(),
            &state.tenancy,
            &event,
            state.clock.now(),
        )
        .await
        .map_err(|e| format!("demo event {}: {e}", event.event_id))?;
        if !codes.contains(&outcome.code) {
            codes.push(outcome.code);
        }
    }
    Ok(codes)
}

const DEMO_PROCEDURES: &str = include_str!("../../../infra/tenants/procedures-tuyen-quang.json");

/// How `serve` serves.
#[derive(Debug, Clone, Default)]
pub struct Serving {
    /// Mount the demo routes (see [`router`]); refused on an address other than loopback.
    pub demo: bool,
    /// Load the demo dossiers first.
    pub seed: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`proxy`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// Serves until Ctrl-C (or SIGTERM), then stops the consumers and returns.
pub async fn serve(
    state: Arc<AppState>,
    listen: std::net::SocketAddr,
    serving: Serving,
) -> Result<(), Box<dyn std::error::Error>> {
    let Serving {
        demo,
        seed,
        trusted_proxies,
    } = serving;
    if demo && !listen.ip().is_loopback() {
        return Err(format!(
            "--demo serves unauthenticated routes (event intake, Zalo simulation, outbox) and is \
             only allowed on a loopback address, not {listen}; on-premises, run without --demo: \
             the one-stop system posts to {} with its X-Api-Key",
            intake::PATH
        )
        .into());
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let codes = if seed {
        seed_demo(&state).await?
    } else {
        Vec::new()
    };
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(worker::run(state.clone(), stop_rx.clone()));
    let events = tokio::spawn(worker::run_events(state.clone(), stop_rx.clone()));
    let announcer = tokio::spawn(worker::run_announcements(state.clone(), stop_rx.clone()));
    let due = tokio::spawn(scheduled::watch_due_dates(state.clone(), stop_rx.clone()));
    let purge = tokio::spawn(scheduled::purge_daily(state.clone(), stop_rx.clone()));
    let followers = tokio::spawn(scheduled::read_followers_hourly(
        state.clone(),
        stop_rx.clone(),
    ));
    let sweep = tokio::spawn(scheduled::sweep_deliveries(state.clone(), stop_rx.clone()));
    let scheduled = tokio::spawn(scheduled::start_scheduled_announcements(
        state.clone(),
        stop_rx.clone(),
    ));
    let canary = tokio::spawn(scheduled::canary_hourly(state.clone(), stop_rx));

    print_urls(&state, addr, demo, &codes);

    axum::serve(
        listener,
        with_client_ip(router(state, demo), trusted_proxies)
            .into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = stop_tx.send(true);
    worker.await?;
    events.await?;
    announcer.await?;
    due.await?;
    purge.await?;
    sweep.await?;
    scheduled.await?;
    canary.await?;
    followers.await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// What to try, printed once the server listens.
fn print_urls(state: &AppState, addr: std::net::SocketAddr, demo: bool, codes: &[DossierCode]) {
    println!("motcua local server on http://{addr}");
    println!("  health:        curl http://{addr}/healthz");
    println!(
        "  push an event:  curl -H \"X-Api-Key: <tenants.tuyen-quang.intake_api_key in data/secrets.json>\" --data-binary @events/local/legacy-event-received.json http://{addr}{}",
        intake::PATH
    );
    println!("  look one up:   curl http://{addr}/api/v1/dossiers/000.00.04.H60-261110-0028");
    println!("  lookup page:   http://{addr}/tra-cuu/000.00.04.H60-261110-0028");
    println!(
        "  receipt QR:    curl -H \"X-Api-Key: <tenants.tuyen-quang.qr_api_key in data/secrets.json>\" http://{addr}/qr/000.00.04.H60-261110-0028.svg"
    );
    if demo {
        println!(
            "  demo event:    curl -X POST --data-binary @events/local/legacy-event-received.json http://{addr}/local/legacy-events"
        );
        println!(
            "  chat as a citizen: curl -X POST --data-binary @events/zalo-webhook/user_send_text.json http://{addr}/local/zalo/simulate"
        );
        if state.zalo_fake.is_some() {
            println!("  Zalo outbox:   curl http://{addr}/local/outbox");
        }
    }
    println!(
        "  staff console: http://{addr}/admin (accounts in {})",
        staff::describe(state)
    );
    for c in codes {
        println!("  demo dossier:  http://{addr}/api/v1/dossiers/{c}");
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
