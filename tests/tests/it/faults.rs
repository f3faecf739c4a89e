//! Faults: PostgreSQL stopped and restarted under load, on a PRIVATE cluster made for the
//! test with `pg_createcluster` on a free port (never the shared server). `/readyz` turns
//! false, requests fail fast and clearly (503, `UNAVAILABLE`, a request id) instead of
//! hanging, the server recovers by itself, and no acknowledged write is lost.
//!
//! It needs root and the PostgreSQL server tools; under `CI=true` their absence fails the
//! test, elsewhere it is skipped with a message.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use camptrack::config::ServeArgs;
use camptrack::storage::db::{self, DbSettings};
use camptrack::{AppState, serve};
use camptrack_tests::admin_token;
use serde_json::{Value, json};
use tokio::sync::oneshot;

const VERSION: &str = "15";

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// A private cluster, dropped (stopped and deleted) with the value.
struct Cluster {
    name: String,
    port: u16,
}

impl Cluster {
    fn create() -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let name = format!("ctfault{}", std::process::id());
        let cluster = Self { name, port };
        let port_text = port.to_string();
        run(
            "pg_createcluster",
            &[
                VERSION,
                &cluster.name,
                "-p",
                &port_text,
                "--",
                "--auth=trust",
            ],
        )?;
        cluster.ctl("start")?;
        Ok(cluster)
    }

    fn ctl(&self, action: &str) -> Result<(), String> {
        let mut args = vec![VERSION, self.name.as_str(), action];
        if action == "stop" {
            args.extend(["-m", "fast"]);
        }
        run("pg_ctlcluster", &args)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run("pg_dropcluster", &[VERSION, &self.name, "--stop"]);
    }
}

#[tokio::test]
async fn postgres_stopped_and_restarted_under_load_loses_no_acknowledged_write() {
    let cluster = match Cluster::create() {
        Ok(cluster) => cluster,
        Err(err) if under_ci() => {
            panic!("the fault test needs root and pg_createcluster under CI: {err}")
        }
        Err(err) => {
            eprintln!("skipping the PostgreSQL fault test: {err}");
            return;
        }
    };
    let conn = db::connect(&DbSettings {
        url: cluster.url(),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
        busy_timeout: Duration::from_secs(2),
    })
    .await
    .expect("connect to the private cluster");
    db::migrate(&conn).await.expect("migrate");
    let token = admin_token(&conn).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(
        conn.clone(),
        ServeArgs::parse_from(["serve", "--request-timeout-secs", "10"]),
    );
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .expect("server");
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");

    // Light load: one writer creating organisations, remembering every acknowledged one.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let failures = Arc::new(Mutex::new(Vec::<(u16, Value)>::new()));
    let (halt, mut halted) = oneshot::channel::<()>();
    let writer = {
        let (http, address, token) = (http.clone(), address.clone(), token.clone());
        let (acknowledged, failures) = (acknowledged.clone(), failures.clone());
        tokio::spawn(async move {
            for i in 0.. {
                if halted.try_recv().is_ok() {
                    break;
                }
                let code = format!("FAULT-{i}");
                let sent = http
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&json!({
                        "query": "mutation($i: OrganisationInput!) { createOrganisation(input: $i) { id } }",
                        "variables": { "i": { "code": code, "name": code, "orgType": "INGO" } }
                    }))
                    .send()
                    .await
                    .expect("an answer, never a hang");
                let status = sent.status().as_u16();
                assert!(sent.headers().contains_key("x-request-id"));
                let body: Value = sent.json().await.expect("a JSON answer");
                if body["data"]["createOrganisation"]["id"].is_string() {
                    acknowledged.lock().expect("lock").push(code);
                } else {
                    failures.lock().expect("lock").push((status, body));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let ready = async |expect: u16| {
        for _ in 0..300 {
            let status = http
                .get(format!("{address}/readyz"))
                .send()
                .await
                .expect("readyz answers")
                .status()
                .as_u16();
            if status == expect {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("/readyz never answered {expect}");
    };
    ready(200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    cluster.ctl("stop").expect("stop the private cluster");
    ready(503).await;
    // A request meanwhile fails at once and says why, with an id to find it in the logs.
    let answer = http
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .expect("an answer while the database is down");
    assert_eq!(answer.status().as_u16(), 503);
    let request_id = answer
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("request id")
        .to_owned();
    let body: Value = answer.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{body:#}"
    );
    let message = body["errors"][0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("unavailable") && message.contains(&request_id),
        "{body:#}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    cluster.ctl("start").expect("restart the private cluster");
    ready(200).await;
    // Recovered by itself: writes go through again.
    let before = acknowledged.lock().expect("lock").len();
    for _ in 0..300 {
        if acknowledged.lock().expect("lock").len() > before + 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = halt.send(());
    writer.await.expect("writer");
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > before,
        "no write succeeded after the restart"
    );
    // Every failure during the outage was a clear 503 UNAVAILABLE, never a 500 or a hang.
    for (status, body) in failures.lock().expect("lock").iter() {
        assert_eq!(*status, 503, "{body:#}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAVAILABLE",
            "{body:#}"
        );
    }
    // Nothing acknowledged was lost.
    let stored = http
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": "{ organisations(first: 500) { edges { node { code } } } }" }))
        .send()
        .await
        .expect("answer")
        .json::<Value>()
        .await
        .expect("json");
    let codes: std::collections::HashSet<&str> = stored["data"]["organisations"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{stored:#}"))
        .iter()
        .filter_map(|e| e["node"]["code"].as_str())
        .collect();
    for code in &acknowledged {
        assert!(
            codes.contains(code.as_str()),
            "acknowledged {code} was lost"
        );
    }
    let _ = stop.send(());
    conn.close().await.ok();
}

/// A small tmpfs of its own (root only), unmounted on drop.
struct Mount(std::path::PathBuf);

impl Mount {
    fn new(size: &str) -> Result<Self, String> {
        let dir =
            std::env::temp_dir().join(format!("camptrack-fault-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mount = Self(dir);
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                &mount.path(),
            ],
        )?;
        Ok(mount)
    }

    fn path(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = run("umount", &[&self.path()]);
        let _ = std::fs::remove_dir(&self.0);
    }
}

async fn gql(
    http: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    http.post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("an answer")
        .json()
        .await
        .expect("json")
}

const CREATE_ORG: &str =
    "mutation($i: OrganisationInput!) { createOrganisation(input: $i) { id } }";
const READ: &str = "{ organisations(first: 500) { edges { node { code } } } }";

fn org(code: &str, name_len: usize) -> Value {
    json!({ "i": { "code": code, "name": "n".repeat(name_len), "orgType": "INGO" } })
}

/// Asserts `answer` is the clear "database unavailable" error with a request id.
fn unavailable(answer: &Value) {
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "UNAVAILABLE",
        "{answer:#}"
    );
    let message = answer["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("unavailable"), "{answer:#}");
    assert!(
        answer["errors"][0]["extensions"]["requestId"].is_string(),
        "{answer:#}"
    );
}

#[tokio::test]
async fn sqlite_full_disk_and_read_only_database_give_clear_errors_and_reads_go_on() {
    let mount = match Mount::new("6m") {
        Ok(mount) => mount,
        Err(err) if under_ci() => {
            panic!("the SQLite fault test needs root and tmpfs under CI: {err}")
        }
        Err(err) => {
            eprintln!("skipping the SQLite fault test: {err}");
            return;
        }
    };
    let url = format!("sqlite://{}/camptrack.sqlite?mode=rwc", mount.path());
    let conn = db::connect(&DbSettings {
        url,
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
        busy_timeout: Duration::from_secs(2),
    })
    .await
    .expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let token = admin_token(&conn).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let state = AppState::new(conn.clone(), ServeArgs::default());
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
        .expect("server");
    });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let first = gql(&http, &address, &token, CREATE_ORG, org("BEFORE", 10)).await;
    assert!(
        first["data"]["createOrganisation"]["id"].is_string(),
        "{first:#}"
    );

    // Disk full: fill the file system, then write until the database has no room left.
    let filler = mount.0.join("filler");
    {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0_u8; 64 * 1024];
        while file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_ok()
        {}
    }
    let mut refused = None;
    for i in 0..3000 {
        let answer = gql(
            &http,
            &address,
            &token,
            CREATE_ORG,
            org(&format!("FULL-{i}"), 200),
        )
        .await;
        if answer.get("errors").is_some() {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("a write on a full disk is refused");
    unavailable(&refused);
    let read = gql(&http, &address, &token, READ, json!({})).await;
    assert!(
        read.get("errors").is_none(),
        "reads go on with a full disk: {read:#}"
    );
    std::fs::remove_file(&filler).expect("free the disk");
    let after = gql(&http, &address, &token, CREATE_ORG, org("AFTER-FULL", 10)).await;
    assert!(
        after["data"]["createOrganisation"]["id"].is_string(),
        "{after:#}"
    );

    // A read-only database (as root, file permissions do not bind and a busy mount cannot
    // be remounted read-only, so the same file is opened read-only by a second server).
    let read_only = db::connect(&DbSettings {
        url: format!("sqlite://{}/camptrack.sqlite?mode=ro", mount.path()),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(2),
        busy_timeout: Duration::from_secs(2),
    })
    .await
    .expect("open read-only");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let ro_address = format!("http://{}", listener.local_addr().expect("address"));
    let (ro_stop, ro_stopped) = oneshot::channel::<()>();
    let state = AppState::new(read_only.clone(), ServeArgs::default());
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = ro_stopped.await;
        })
        .await
        .expect("server");
    });
    let answer = gql(&http, &ro_address, &token, CREATE_ORG, org("READONLY", 10)).await;
    unavailable(&answer);
    let read = gql(&http, &ro_address, &token, READ, json!({})).await;
    assert!(
        read.get("errors").is_none(),
        "reads go on read-only: {read:#}"
    );
    let codes = read.to_string();
    assert!(
        codes.contains("BEFORE") && codes.contains("AFTER-FULL"),
        "{read:#}"
    );
    let _ = ro_stop.send(());
    let _ = stop.send(());
    conn.close().await.ok();
}
