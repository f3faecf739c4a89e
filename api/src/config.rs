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
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load the demo data set (sites, rounds, assessments) into the database.
    Demo(DemoArgs),
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
    /// Answer schema introspection queries.
    #[arg(long, env = "CAMPTRACK_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
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
        }
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs.max(1))
    }
}
