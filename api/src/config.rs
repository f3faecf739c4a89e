//! Typed configuration: command-line flags, each with an environment variable and a default,
//! validated once at start. `camptrack --help` lists them all.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::graphql::{Policy, SchemaLimits};
use crate::storage::db::DbSettings;

/// camptrack: camp coordination and displacement tracking over GraphQL.
#[derive(Debug, Parser)]
#[command(name = "camptrack", version, about)]
pub struct Cli {
    /// Database settings, shared by every command.
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Logging settings.
    #[command(flatten)]
    pub log: LogArgs,
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load the demo data set (sites, rounds, assessments) into the database.
    Demo(DemoArgs),
    /// Check or extend the audit log's hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy a whole database into another (SQLite to PostgreSQL or back), verified by
    /// per-table counts and checksums. Ignores `--database-url`.
    Copy(CopyArgs),
    /// Write a consistent copy of the SQLite database to a new file while it serves
    /// (`VACUUM INTO`). For PostgreSQL use `pg_dump`.
    Backup(BackupArgs),
    /// Print each table's row count and checksum (as `copy` computes them), to compare two
    /// databases, e.g. a backup after restoring it.
    Checksums,
}

/// `copy` arguments.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The database to copy (`sqlite://FILE` or `postgres://...`); it is only read.
    #[arg(long)]
    pub from: String,
    /// The database to fill; migrated first, must be empty unless `--replace`.
    #[arg(long)]
    pub to: String,
    /// Delete everything in the target first.
    #[arg(long)]
    pub replace: bool,
}

/// `backup` arguments.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The file to write; must not exist.
    #[arg(long)]
    pub to: std::path::PathBuf,
}

/// Audit chain commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain and report the first broken link (exit status 1 when broken).
    Verify,
    /// Seal every committed entry now (the server does this in the background).
    Seal,
}

/// Token commands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an account with a role and print a new bearer token for it, once.
    Create(TokenCreateArgs),
}

/// `token create` arguments.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Role: ADMIN, COORDINATOR, PARTNER or ENUMERATOR.
    #[arg(long)]
    pub role: String,
    /// Organisation code (required for PARTNER and ENUMERATOR; must exist).
    #[arg(long)]
    pub org: Option<String>,
    /// Account name.
    #[arg(long, default_value = "camptrack administrator")]
    pub name: String,
    /// Make the token expire after this long: a number and a unit, `s`, `m`, `h`, `d` or
    /// `w` (e.g. `90d`, `12h`). Without it the token lives until revoked.
    #[arg(long, value_parser = parse_lifetime)]
    pub expires_in: Option<chrono::TimeDelta>,
}

/// Parses a token lifetime such as `90d`, `12h`, `30m`, `2w` or `3600s`.
///
/// ```
/// use camptrack::config::parse_lifetime;
/// assert_eq!(parse_lifetime("90d"), Ok(chrono::TimeDelta::days(90)));
/// assert_eq!(parse_lifetime("12h"), Ok(chrono::TimeDelta::hours(12)));
/// assert!(parse_lifetime("0d").is_err());
/// assert!(parse_lifetime("90").is_err());
/// ```
pub fn parse_lifetime(text: &str) -> Result<chrono::TimeDelta, String> {
    let text = text.trim();
    let usage = || {
        format!("`{text}` is not a lifetime: write a number and a unit (s, m, h, d, w), e.g. 90d")
    };
    let unit_at = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(usage)?;
    let (number, unit) = text.split_at(unit_at);
    let n: i64 = number.parse().map_err(|_| usage())?;
    let seconds_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(usage()),
    };
    let seconds = n.checked_mul(seconds_per).ok_or_else(usage)?;
    if seconds <= 0 || seconds > 100 * 366 * 86_400 {
        return Err(format!(
            "`{text}`: a lifetime must be more than zero and at most 100 years"
        ));
    }
    Ok(chrono::TimeDelta::seconds(seconds))
}

/// `demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator; the same seed gives the same data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of sites.
    #[arg(long, default_value_t = 1200)]
    pub sites: usize,
}

/// Database settings.
#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded, the default) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://camptrack.sqlite?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
    /// Most pooled database connections.
    #[arg(long, env = "CAMPTRACK_DB_MAX_CONNECTIONS", default_value_t = 8)]
    pub db_max_connections: u32,
    /// Seconds a request waits for a pooled connection before failing.
    #[arg(long, env = "CAMPTRACK_DB_ACQUIRE_TIMEOUT_SECS", default_value_t = 5)]
    pub db_acquire_timeout_secs: u64,
    /// Milliseconds SQLite waits on a locked database before failing.
    #[arg(long, env = "CAMPTRACK_SQLITE_BUSY_TIMEOUT_MS", default_value_t = 5000)]
    pub sqlite_busy_timeout_ms: u64,
}

impl DatabaseArgs {
    /// The connection settings.
    pub fn settings(&self) -> DbSettings {
        DbSettings {
            url: self.database_url.clone(),
            max_connections: self.db_max_connections.max(1),
            acquire_timeout: Duration::from_secs(self.db_acquire_timeout_secs.max(1)),
            busy_timeout: Duration::from_millis(self.sqlite_busy_timeout_ms),
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Logging settings (the filter comes from `RUST_LOG`, default `info`).
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log format.
    #[arg(long, env = "CAMPTRACK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// Server settings.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CAMPTRACK_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "CAMPTRACK_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// Deepest GraphQL selection nesting accepted.
    #[arg(long, env = "CAMPTRACK_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,
    /// Highest GraphQL query complexity accepted (a list costs `first` times its items).
    #[arg(long, env = "CAMPTRACK_MAX_COMPLEXITY", default_value_t = 20_000)]
    pub max_complexity: usize,
    /// Most operations in one batched GraphQL request.
    #[arg(long, env = "CAMPTRACK_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Largest page a list returns.
    #[arg(long, env = "CAMPTRACK_MAX_PAGE_SIZE", default_value_t = 500)]
    pub max_page_size: u32,
    /// Partners see site figures only from this many households up.
    #[arg(long, env = "CAMPTRACK_MIN_HOUSEHOLDS_SHOWN", default_value_t = 5)]
    pub min_households_shown: i64,
    /// Rows an export reads per page (one keyset query each) before writing them out;
    /// memory per running export follows this, not the export's size.
    #[arg(long, env = "CAMPTRACK_EXPORT_PAGE_ROWS", default_value_t = 1000)]
    pub export_page_rows: u32,
    /// Most items in one batch mutation (`submitAssessments`, `updateAssessments`) and
    /// client UUIDs in one `submissionStatus` query.
    #[arg(long, env = "CAMPTRACK_MAX_BATCH_ITEMS", default_value_t = 200)]
    pub max_batch_items: usize,
    /// Seconds a device clock may run ahead of the server's before a submission's
    /// `capturedAt` is flagged for review (accepted, `NEEDS_FOLLOW_UP` with a note).
    #[arg(
        long,
        env = "CAMPTRACK_FUTURE_CAPTURE_TOLERANCE_SECS",
        default_value_t = 86_400
    )]
    pub future_capture_tolerance_secs: u32,
    /// Seconds before a request is answered with a timeout.
    #[arg(long, env = "CAMPTRACK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Serve GraphiQL at `GET /graphql` to browsers.
    #[arg(long, env = "CAMPTRACK_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,
    /// Largest OpenRosa submission (XML and media of one POST) accepted, in bytes; devices
    /// are told this limit (`X-OpenRosa-Accept-Content-Length`) and split larger ones.
    #[arg(
        long,
        env = "CAMPTRACK_OPENROSA_MAX_SUBMISSION_BYTES",
        default_value_t = 10_485_760
    )]
    pub openrosa_max_submission_bytes: usize,
    /// Largest single OpenRosa media file (a photo) accepted, in bytes.
    #[arg(
        long,
        env = "CAMPTRACK_OPENROSA_MAX_ATTACHMENT_BYTES",
        default_value_t = 8_388_608
    )]
    pub openrosa_max_attachment_bytes: usize,
    /// The server's address as devices reach it (e.g. `https://camptrack.example.org`),
    /// used in the form list's download URLs; without it they are built from the request's
    /// `Host` (and `X-Forwarded-Proto`).
    #[arg(long, env = "CAMPTRACK_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Answer schema introspection queries (`__schema`, `__type`); `false` in production
    /// answers them with a `FORBIDDEN` error saying introspection is disabled.
    #[arg(long, env = "CAMPTRACK_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Milliseconds between a live subscription's reads of the change log when nothing
    /// woke it (a write in this process, or a PostgreSQL notification from any process):
    /// the longest a change can wait when a notification is lost.
    #[arg(long, env = "CAMPTRACK_LIVE_POLL_INTERVAL_MS", default_value_t = 2000)]
    pub live_poll_interval_ms: u64,
    /// On PostgreSQL, `LISTEN` for writes made by any camptrack process, so live
    /// subscriptions hear of them at once rather than at the next poll.
    #[arg(long, env = "CAMPTRACK_LIVE_LISTEN", default_value_t = true, action = clap::ArgAction::Set)]
    pub live_listen: bool,
    /// Most subscriptions (and operations in flight) on one WebSocket connection.
    #[arg(long, env = "CAMPTRACK_WS_MAX_SUBSCRIPTIONS", default_value_t = 20)]
    pub ws_max_subscriptions: usize,
    /// Seconds a WebSocket client has to send `connection_init` before it is closed (4408).
    #[arg(long, env = "CAMPTRACK_WS_INIT_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_init_timeout_secs: u64,
    /// Seconds between checks that an open WebSocket's token is still valid; a revoked or
    /// expired token (or a disabled account) closes the socket with 4403.
    #[arg(long, env = "CAMPTRACK_WS_REAUTH_SECS", default_value_t = 60)]
    pub ws_reauth_secs: u64,
    /// Run the webhook delivery worker in this process (every process may; they share
    /// the work through the database).
    #[arg(long, env = "CAMPTRACK_WEBHOOKS", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhooks: bool,
    /// Networks (comma-separated CIDR, e.g. `127.0.0.1/32,10.0.0.0/8`) that webhook URLs
    /// may resolve to although they are private, loopback or otherwise non-public.
    #[arg(long, env = "CAMPTRACK_WEBHOOK_ALLOW_NETS", value_parser = parse_allow_nets, default_value = "")]
    pub webhook_allow_nets: AllowNets,
    /// Milliseconds between the webhook worker's rounds.
    #[arg(long, env = "CAMPTRACK_WEBHOOK_INTERVAL_MS", default_value_t = 1000)]
    pub webhook_interval_ms: u64,
    /// Attempts per webhook delivery before it is marked failed.
    #[arg(long, env = "CAMPTRACK_WEBHOOK_MAX_ATTEMPTS", default_value_t = 8)]
    pub webhook_max_attempts: u32,
    /// Milliseconds before the first retry of a webhook delivery; doubled per further
    /// failure (with jitter), up to `CAMPTRACK_WEBHOOK_BACKOFF_MAX_SECS`.
    #[arg(
        long,
        env = "CAMPTRACK_WEBHOOK_BACKOFF_BASE_MS",
        default_value_t = 10_000
    )]
    pub webhook_backoff_base_ms: u64,
    /// Longest wait between retries of a webhook delivery, in seconds.
    #[arg(
        long,
        env = "CAMPTRACK_WEBHOOK_BACKOFF_MAX_SECS",
        default_value_t = 3600
    )]
    pub webhook_backoff_max_secs: u64,
    /// Milliseconds a webhook receiver has to answer (connect, send, first bytes).
    #[arg(long, env = "CAMPTRACK_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000)]
    pub webhook_timeout_ms: u64,
    /// Seconds a webhook may fail without a single success before it is disabled.
    #[arg(
        long,
        env = "CAMPTRACK_WEBHOOK_DISABLE_AFTER_SECS",
        default_value_t = 432_000
    )]
    pub webhook_disable_after_secs: u64,
    /// Webhook deliveries one process attempts at once.
    #[arg(long, env = "CAMPTRACK_WEBHOOK_CONCURRENCY", default_value_t = 8)]
    pub webhook_concurrency: usize,
    /// Most requests served at once; more wait up to `--queue-timeout-ms` for a slot, then
    /// get `503` with `Retry-After` and `extensions.code` `UNAVAILABLE`. Health checks and
    /// `/metrics` are not counted.
    #[arg(long, env = "CAMPTRACK_MAX_CONCURRENT_REQUESTS", default_value_t = 64)]
    pub max_concurrent_requests: usize,
    /// Milliseconds a request waits for a slot when `--max-concurrent-requests` are busy.
    #[arg(long, env = "CAMPTRACK_QUEUE_TIMEOUT_MS", default_value_t = 2000)]
    pub queue_timeout_ms: u64,
    /// Seconds clients are told to wait (`Retry-After`) after a `503` or `429`.
    #[arg(long, env = "CAMPTRACK_RETRY_AFTER_SECS", default_value_t = 2)]
    pub retry_after_secs: u64,
    /// Failed authentications (an unknown, revoked or expired token) one client address may
    /// make per window before it gets `429` until the window ends; `0` turns this off.
    #[arg(long, env = "CAMPTRACK_AUTH_FAILURE_LIMIT", default_value_t = 20)]
    pub auth_failure_limit: u32,
    /// Length of the failed-authentication window, in seconds.
    #[arg(
        long,
        env = "CAMPTRACK_AUTH_FAILURE_WINDOW_SECS",
        default_value_t = 300
    )]
    pub auth_failure_window_secs: u64,
    /// Browser origins allowed to call the API cross-origin (CORS), comma-separated, e.g.
    /// `https://dashboard.example.org`; `*` allows any. Empty (the default): no CORS
    /// headers, so browsers refuse cross-origin calls.
    #[arg(long, env = "CAMPTRACK_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Who may read `/metrics`: `loopback` (requests from 127.0.0.1/::1 not forwarded by a
    /// proxy), `open` (anyone who reaches the server) or `off`.
    #[arg(long, env = "CAMPTRACK_METRICS", value_enum, default_value_t = MetricsAccess::Loopback)]
    pub metrics: MetricsAccess,
    /// PEM certificate chain; with `--tls-key`, the server speaks HTTPS (rustls) itself.
    #[arg(long, env = "CAMPTRACK_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) for `--tls-cert`.
    #[arg(long, env = "CAMPTRACK_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Milliseconds between rounds of the audit sealer, which chains new audit entries by
    /// hash (`camptrack audit verify` checks the chain).
    #[arg(long, env = "CAMPTRACK_AUDIT_SEAL_INTERVAL_MS", default_value_t = 1000)]
    pub audit_seal_interval_ms: u64,
}

/// The webhook allow-list: networks parsed from `CAMPTRACK_WEBHOOK_ALLOW_NETS`.
#[derive(Debug, Clone, Default)]
pub struct AllowNets(pub Vec<crate::webhooks::Net>);

fn parse_allow_nets(raw: &str) -> Result<AllowNets, String> {
    crate::webhooks::guard::parse_nets(raw).map(AllowNets)
}

/// Who may read `/metrics`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Only requests from a loopback address that carry no proxy forwarding header.
    Loopback,
    /// Anyone who reaches the server (put it on a private network).
    Open,
    /// Not served.
    Off,
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self::parse_from(["serve"])
    }
}

#[derive(Debug, Parser)]
struct ServeOnly {
    #[command(flatten)]
    args: ServeArgs,
}

impl ServeArgs {
    /// Parses only server flags (tests and embedders start from the defaults).
    pub fn parse_from<I: IntoIterator<Item = &'static str>>(args: I) -> Self {
        ServeOnly::parse_from(args).args
    }

    /// The schema's limits.
    pub fn schema_limits(&self) -> SchemaLimits {
        SchemaLimits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            introspection: self.introspection,
        }
    }

    /// The data policy.
    pub fn policy(&self) -> Policy {
        Policy {
            max_page_size: self.max_page_size.max(1),
            default_page_size: 50.min(self.max_page_size.max(1)),
            min_households_shown: self.min_households_shown,
            max_batch_items: self.max_batch_items.max(1),
            future_capture_tolerance: chrono::TimeDelta::seconds(
                self.future_capture_tolerance_secs.into(),
            ),
            webhooks: self.webhook_settings(),
        }
    }

    /// How webhooks are delivered.
    pub fn webhook_settings(&self) -> crate::webhooks::WebhookSettings {
        crate::webhooks::WebhookSettings {
            enabled: self.webhooks,
            allow_nets: self.webhook_allow_nets.0.clone(),
            interval: Duration::from_millis(self.webhook_interval_ms.max(10)),
            max_attempts: self.webhook_max_attempts.max(1),
            backoff_base: Duration::from_millis(self.webhook_backoff_base_ms),
            backoff_max: Duration::from_secs(self.webhook_backoff_max_secs),
            timeout: Duration::from_millis(self.webhook_timeout_ms.max(1)),
            disable_after: Duration::from_secs(self.webhook_disable_after_secs),
            concurrency: self.webhook_concurrency.max(1),
        }
    }

    /// How long a request waits for a slot when the server is saturated.
    pub fn queue_timeout(&self) -> Duration {
        Duration::from_millis(self.queue_timeout_ms)
    }

    /// How live subscriptions are fed.
    pub fn live(&self) -> crate::live::LiveSettings {
        crate::live::LiveSettings {
            poll_interval: Duration::from_millis(self.live_poll_interval_ms.max(10)),
            listen: self.live_listen,
        }
    }

    /// The pause between audit sealer rounds.
    pub fn audit_seal_interval(&self) -> Duration {
        Duration::from_millis(self.audit_seal_interval_ms.max(10))
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }
}
