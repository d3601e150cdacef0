//! The command line (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "motcua-ops",
    about = "Operate a motcua deployment (AWS or local)",
    version
)]
pub struct Cli {
    #[command(flatten)]
    pub target: Target,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Target {
    /// DynamoDB table of an AWS deployment.
    #[arg(long, global = true, conflicts_with = "data_dir")]
    pub table: Option<String>,
    /// Data directory of a local/on-premises deployment.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Tenant file of a local deployment.
    #[arg(long, global = true, default_value = "infra/local/tenants.toml")]
    pub tenants: PathBuf,
    /// Zalo OAuth/API base URL (default: the real Zalo, or ZALO_*_BASE).
    #[arg(long, global = true)]
    pub zalo_base: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Zalo OA tokens.
    #[command(subcommand)]
    Tokens(Tokens),
    /// Dead-letter queues.
    #[command(subcommand)]
    Dlq(Dlq),
    /// Tenant configuration files.
    #[command(subcommand)]
    Config(Config),
    /// Staff console accounts.
    #[command(subcommand)]
    Admin(Admin),
    /// Receipt QR codes.
    #[command(subcommand)]
    Qr(Qr),
    /// Citizen notifications.
    #[command(subcommand)]
    Notify(Notify),
    /// Citizens' requests about their data.
    #[command(subcommand)]
    Citizen(Citizen),
    /// The store: retention and upkeep.
    #[command(subcommand)]
    Store(StoreCmd),
    /// The procedure guide's catalogue (thủ tục hành chính).
    #[command(subcommand)]
    Catalogue(Catalogue),
}

#[derive(Subcommand)]
pub enum Catalogue {
    /// Check a catalogue file (`.json` or `.csv`) without a deployment: the first bad record is
    /// named by line and field.
    Check { file: PathBuf },
    /// Check a catalogue file and make it the tenant's catalogue: the chat answers from it at
    /// the next question, on every instance.
    Import {
        #[arg(long)]
        tenant: String,
        file: PathBuf,
    },
    /// The tenant's current catalogue: version, source file, import time, size.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// What the chat would answer to a question, from the tenant's current catalogue.
    Search {
        #[arg(long)]
        tenant: String,
        question: String,
    },
}

#[derive(Subcommand)]
pub enum StoreCmd {
    /// Purge now what each tenant's retention no longer needs (the daily scheduled job does
    /// the same): closed dossiers and tickets past their days, expired records.
    Purge {
        /// Then compact the database file (local only; the server must be stopped), so that
        /// freed pages no longer hold what was purged.
        #[arg(long)]
        compact: bool,
    },
    /// Compact the local database file (the server must be stopped).
    Compact,
    /// Once, on an AWS table written before the retention release: index the closed dossiers
    /// it holds, so that the purge finds them (a full Scan; the embedded store does this by
    /// itself when it opens).
    BackfillClosed,
}

#[derive(Subcommand)]
pub enum Citizen {
    /// Erase a citizen who asked on paper (as `user_withdraw` does in the chat): every Zalo
    /// account linked to the phone, what they wrote in tickets, and every further notice to the
    /// phone until it is proven again in the chat. The dossiers stay. Audited.
    Erase {
        /// The tenant id (`tuyen-quang`).
        #[arg(long)]
        tenant: String,
        /// The citizen's phone number, as on the request.
        #[arg(long)]
        phone: String,
        /// The operator serving the request, for the audit trail.
        #[arg(long)]
        operator: String,
    },
}

#[derive(Subcommand)]
pub enum Notify {
    /// Send a dossier's last notification again (a citizen says it never came), through the
    /// same channel choice as the first time.
    Resend {
        /// The receipt code.
        #[arg(long)]
        code: String,
    },
    /// Send a ZNS template with sample values in development mode (delivered only to the Zalo
    /// app's and OA's admins), to check a registered template before going live.
    Test {
        /// The tenant id (`tuyen-quang`).
        #[arg(long)]
        tenant: String,
        /// The admin's phone number.
        #[arg(long)]
        phone: String,
        /// Template key: an event kind (`received`, `result_ready`…), `ticket_answered` or `otp`.
        #[arg(long, default_value = "received")]
        kind: String,
    },
}

#[derive(Subcommand)]
pub enum Dlq {
    /// Move dead letters back to their queue (SQS). Without --dry-run each message is sent to
    /// the queue, then deleted from the dead-letter queue; on a FIFO queue replayed messages
    /// share one message group, in dead-letter order.
    Replay {
        /// The queue to put the messages back on.
        #[arg(long)]
        queue_url: String,
        /// Its dead-letter queue.
        #[arg(long)]
        dlq_url: String,
        /// List what would be replayed (id, reason, size) and leave everything in place.
        #[arg(long)]
        dry_run: bool,
        /// Replay at most this many messages.
        #[arg(long, default_value_t = 1000)]
        max: usize,
    },
}

#[derive(Subcommand)]
pub enum Config {
    /// Parse and validate a tenants TOML file (as the functions load it): agency code
    /// conflicts, OA ids, template keys, ticket policy. Prints a summary per tenant.
    Check {
        /// The file to check (e.g. infra/tenants/tuyen-quang.toml).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum Admin {
    /// Hash a staff password for the local server's staff.toml (Argon2id). Reads the password
    /// from standard input, so that it stays out of shell history.
    HashPassword,
}

#[derive(Subcommand)]
pub enum Qr {
    /// Write the receipt QR code (SVG) of every code in a file, one per line, into a folder.
    Print {
        /// A file with one receipt code per line.
        #[arg(long)]
        codes: PathBuf,
        /// Where the SVG files go (created if missing).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum Tokens {
    /// Store a pair obtained from Zalo's console (API Explorer). Reads ZALO_ACCESS_TOKEN and
    /// ZALO_REFRESH_TOKEN from the environment.
    Import {
        #[arg(long)]
        oa: String,
        /// Seconds the access token is valid for (Zalo issues 90000 = 25 h).
        #[arg(long, default_value_t = 90_000)]
        expires_in: u64,
    },
    /// First grant: exchange the authorization code from the consent redirect. Reads the PKCE
    /// verifier from ZALO_CODE_VERIFIER.
    Exchange {
        #[arg(long)]
        oa: String,
        #[arg(long)]
        code: String,
    },
    /// Refresh now, whatever the expiry (e.g. after rotating the app secret).
    Refresh {
        #[arg(long)]
        oa: String,
    },
    /// Version, expiry and hash prefixes of every OA's stored pair.
    Show,
}
