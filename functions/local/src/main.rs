//! `cargo run --profile local -p local`: every function on 127.0.0.1:8080 with the embedded store.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Serve every function locally on the embedded store")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Data directory (database and local secrets); created if missing.
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Tenant configuration file.
    #[arg(long, default_value = "infra/local/tenants.toml")]
    config: PathBuf,
    /// Serve the unauthenticated demo routes (/local/legacy-events, /local/zalo/simulate,
    /// /local/outbox); refused on an address other than loopback.
    #[arg(long)]
    demo: bool,
    /// Load a handful of realistic demo dossiers (idempotent).
    #[arg(long)]
    seed_demo: bool,
    /// Base URL of a Zalo to talk to; without it an in-process Zalo fake answers.
    #[arg(long)]
    zalo_base: Option<String>,
    /// A reverse proxy in front of this server (repeatable): its X-Forwarded-For names the
    /// client, for the lookup rate limit. Without it the connection's address counts.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Lookups per minute allowed from one client address.
    #[arg(long, default_value_t = local::LOOKUPS_PER_MINUTE)]
    lookups_per_minute: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    local::init_tracing();
    let args = Args::parse();
    let state = local::open(
        &args.data_dir,
        &args.config,
        args.zalo_base.as_deref(),
        args.lookups_per_minute,
        std::sync::Arc::new(motcua_app::SystemClock),
    )
    .await?;
    let serving = local::Serving {
        demo: args.demo,
        seed: args.seed_demo,
        trusted_proxies: args.trusted_proxies,
    };
    local::serve(state, args.listen, serving).await
}
