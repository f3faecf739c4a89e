//! The servers under test, each a child process listening on an ephemeral port of
//! 127.0.0.1, so that neither shares a process with the load generator: the release
//! `camptrack` binary, and the bare axum handler (this binary's hidden `bare-server`
//! subcommand, see [`super::bare`]). Both are killed when dropped.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use camptrack::auth::AccountArea;
use camptrack::storage::accounts::{self, AccountDraft};
use camptrack_domain::codes::Role;
use sea_orm::DatabaseConnection;
use serde_json::{Value as Json, json};
use uuid::Uuid;

/// Pooled database connections of each server.
pub const POOL: u32 = 16;

/// A server child process.
#[derive(Debug)]
pub struct Child {
    name: &'static str,
    process: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Child {
    /// Starts `command` and waits until one line of the output named by `from_stderr`
    /// gives the address it listens on (`address` reads a line).
    fn spawn(
        name: &'static str,
        mut command: Command,
        from_stderr: bool,
        address: fn(&str) -> Option<SocketAddr>,
    ) -> Result<Self, String> {
        let (out, err) = if from_stderr {
            (Stdio::null(), Stdio::piped())
        } else {
            (Stdio::piped(), Stdio::null())
        };
        let mut process = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        let output: Box<dyn Read + Send> = match (process.stdout.take(), process.stderr.take()) {
            (Some(o), _) => Box::new(o),
            (None, Some(e)) => Box::new(e),
            (None, None) => return Err(format!("{name}: no output to read")),
        };
        let (tx, rx) = mpsc::channel();
        // Reads the output to its end (so the child never blocks on a full pipe), sending
        // the address once, or every line read when there is none.
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut sent = false;
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if sent {
                    continue;
                }
                if let Some(addr) = address(&line) {
                    sent = tx.send(Ok(addr)).is_ok();
                } else if seen.len() < 20 {
                    seen.push(line);
                }
            }
            if !sent {
                let _ = tx.send(Err(seen.join("\n")));
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(addr)) => addr,
            Ok(Err(output)) => {
                let _ = process.wait();
                return Err(format!(
                    "{name} exited before listening; its output:\n{output}"
                ));
            }
            Err(_) => {
                let _ = process.kill();
                let _ = process.wait();
                return Err(format!("{name} did not say where it listens within 120 s"));
            }
        };
        Ok(Self {
            name,
            process,
            addr,
        })
    }

    /// Its peak resident set size so far (`VmHWM`), e.g. `51234 kB`.
    pub fn peak_rss(&self) -> String {
        let path = format!("/proc/{}/status", self.process.id());
        std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM"))
                    .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
            })
            .unwrap_or_else(|| format!("unknown (no {path} for {})", self.name))
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// A program next to this one's executable, with the build command to run when missing.
fn sibling(program: &str, build: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("locating this executable: {e}"))?;
    let path = me.with_file_name(program);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "no `{program}` binary at {}: build it first with `{build}` (the same profile as this bench)",
            path.display()
        ))
    }
}

/// Starts the release `camptrack` binary on `database_url`. Request logging is off
/// (`RUST_LOG=warn`, keeping only the line that says where it listens), as the bare handler
/// logs nothing either.
pub fn camptrack(database_url: &str) -> Result<Child, String> {
    let build = if cfg!(debug_assertions) {
        "cargo build -p camptrack-api"
    } else {
        "cargo build --release -p camptrack-api"
    };
    let mut command = Command::new(sibling("camptrack", build)?);
    command
        .env("RUST_LOG", "warn,camptrack::run=info")
        .args(["--database-url", database_url])
        .args(["--db-max-connections", &POOL.to_string()])
        .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"]);
    Child::spawn("camptrack", command, true, |line| {
        let log: Json = serde_json::from_str(line).ok()?;
        log["fields"]["address"].as_str()?.parse().ok()
    })
}

/// Starts the bare handler: this executable's `bare-server` subcommand.
pub fn bare(database_url: &str) -> Result<Child, String> {
    let me = std::env::current_exe().map_err(|e| format!("locating this executable: {e}"))?;
    let mut command = Command::new(me);
    command
        .arg("bare-server")
        .args(["--database-url", database_url])
        .args(["--max-connections", &POOL.to_string()]);
    Child::spawn("the bare handler", command, false, |line| {
        line.strip_prefix(super::bare::LISTENING)?
            .trim()
            .parse()
            .ok()
    })
}

/// A bearer token for a new account made through the storage functions.
pub async fn token(
    conn: &DatabaseConnection,
    role: Role,
    organisation_id: Option<Uuid>,
    area: AccountArea,
) -> Result<String, String> {
    let account = accounts::create(
        conn,
        None,
        AccountDraft {
            name: format!("bench {role:?}"),
            role,
            organisation_id,
            area,
        },
    )
    .await
    .map_err(|e| format!("creating a bench account: {e}"))?;
    let (_, secret) = accounts::create_token(conn, None, account.id, "bench".into(), None)
        .await
        .map_err(|e| format!("creating a bench token: {e}"))?;
    Ok(secret.expose().to_owned())
}

/// An HTTP client of a server, with a bearer token.
#[derive(Debug, Clone)]
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The bearer token.
    pub token: String,
    /// The client (one connection pool for every request).
    pub http: reqwest::Client,
}

impl Api {
    /// A client of the server at `addr`.
    pub fn new(addr: SocketAddr, token: String) -> Self {
        Self {
            base: format!("http://{addr}"),
            token,
            http: reqwest::Client::new(),
        }
    }

    /// The same server as another caller.
    pub fn with_token(&self, token: String) -> Self {
        Self {
            token,
            ..self.clone()
        }
    }

    /// Runs a GraphQL query, returning its `data` (GraphQL errors are errors).
    pub async fn gql(&self, query: &str, variables: Json) -> Result<Json, String> {
        let response = self
            .http
            .post(format!("{}/graphql", self.base))
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        let body: Json = serde_json::from_str(&text).map_err(|e| {
            format!(
                "HTTP {status} with an unreadable body ({e}): {}",
                text.chars().take(200).collect::<String>()
            )
        })?;
        if let Some(errors) = body.get("errors") {
            return Err(format!("GraphQL errors: {errors}"));
        }
        Ok(body["data"].clone())
    }

    /// GETs `path` as JSON (no token: the bare handler has no auth).
    pub async fn get_json(&self, path: &str) -> Result<Json, String> {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("GET {path}: {e}"))?
            .json()
            .await
            .map_err(|e| format!("GET {path}: {e}"))
    }
}
