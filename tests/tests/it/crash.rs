//! A server killed with SIGKILL in the middle of a stream of batches loses nothing it
//! acknowledged and leaves nothing half-written. The server runs as its own OS process
//! (`camptrack-test-server`, the `camptrack` entry point) over a database this test owns.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use camptrack_tests::{ScratchDatabase, admin_token, fixtures};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::batch::{SUBMIT_BATCH, items};

/// The server process and its address.
struct Server {
    child: Child,
    address: String,
}

impl Server {
    /// Starts the server on `database_url`, listening on a free port, and waits until it
    /// says where it listens.
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_camptrack-test-server"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("DATABASE_URL", database_url)
            .env("CAMPTRACK_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start camptrack-test-server");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log until the process ends, so the pipe never fills.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(entry) = serde_json::from_str::<Value>(&line)
                    && let Some(address) = entry["fields"]["address"].as_str()
                {
                    let _ = tx.send(address.to_owned());
                }
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server logs its address");
        Self {
            child,
            address: format!("http://{address}"),
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn post(http: &reqwest::Client, server: &str, token: &str, body: &Value) -> Option<Value> {
    let response = http
        .post(format!("{server}/graphql"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("row")
        .try_get("", "n")
        .expect("n")
}

async fn stored_uuids(db: &DatabaseConnection) -> Vec<Uuid> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT client_uuid FROM site_assessments",
    ))
    .await
    .expect("uuids")
    .into_iter()
    .map(|r| r.try_get("", "client_uuid").expect("uuid"))
    .collect()
}

#[tokio::test]
async fn acknowledged_items_survive_a_sigkill_and_nothing_unacknowledged_is_half_written() {
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    let token = admin_token(&db).await;
    let server = Server::start(&database.url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let arrange = |query: &'static str, variables: Value| {
        let (http, address, token) = (http.clone(), server.address.clone(), token.clone());
        async move {
            let answer = post(
                &http,
                &address,
                &token,
                &json!({ "query": query, "variables": variables }),
            )
            .await
            .expect("answer");
            assert!(answer.get("errors").is_none(), "{answer:#}");
            answer
        }
    };
    arrange(
        "mutation { createRound(input: { number: 1, name: \"Round 1\", startsOn: \"2024-01-01\", endsOn: \"2024-12-31\" }) { number } }",
        json!({}),
    )
    .await;
    let site = arrange(
        "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
        json!({ "i": fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15) }),
    )
    .await["data"]["createSite"]["id"]
        .as_str()
        .expect("site")
        .to_owned();

    // A device streams batches of 20 back to back; the server is killed mid-stream.
    let batches: Vec<Vec<Value>> = (0..40).map(|_| items(&site, 20)).collect();
    let acknowledged = Arc::new(Mutex::new(Vec::<Uuid>::new()));
    let acknowledged_batches = Arc::new(Mutex::new(0_usize));
    let sender = {
        let (http, address, token) = (http.clone(), server.address.clone(), token.clone());
        let (batches, acknowledged, acknowledged_batches) = (
            batches.clone(),
            Arc::clone(&acknowledged),
            Arc::clone(&acknowledged_batches),
        );
        tokio::spawn(async move {
            for batch in batches {
                let body = json!({ "query": SUBMIT_BATCH, "variables": { "items": batch } });
                let Some(answer) = post(&http, &address, &token, &body).await else {
                    return; // The server died under this batch: no acknowledgement.
                };
                let items = answer["data"]["submitAssessments"]["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let mut acked = acknowledged.lock().expect("lock");
                for item in items {
                    if matches!(item["status"].as_str(), Some("ACCEPTED" | "DUPLICATE")) {
                        acked.push(item["clientUuid"].as_str().unwrap().parse().unwrap());
                    }
                }
                *acknowledged_batches.lock().expect("lock") += 1;
            }
        })
    };
    // Kill once a few batches are acknowledged and the next one is partly committed.
    loop {
        let acked = *acknowledged_batches.lock().expect("lock");
        let committed = count(&db, "SELECT COUNT(*) AS n FROM site_assessments").await;
        if acked >= 3 && committed > i64::try_from(acked * 20).expect("count") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    sender.await.expect("sender");
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let sent_batches = *acknowledged_batches.lock().expect("lock");
    assert!(
        sent_batches < batches.len(),
        "the kill came after the stream ended"
    );

    // Everything acknowledged is there; whatever else is there is whole.
    let stored = stored_uuids(&db).await;
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|u| !stored.contains(u))
        .collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    let in_flight: Vec<Uuid> = batches[sent_batches]
        .iter()
        .map(|i| i["clientUuid"].as_str().unwrap().parse().unwrap())
        .collect();
    let unacknowledged_but_stored = stored.iter().filter(|u| in_flight.contains(u)).count();
    eprintln!(
        "killed during batch {}: {} items acknowledged, {} of the in-flight batch's 20 committed before the kill",
        sent_batches + 1,
        acknowledged.len(),
        unacknowledged_but_stored
    );
    let n = i64::try_from(stored.len()).expect("count");
    for (what, sql) in [
        (
            "SADD rows (two per assessment)",
            "SELECT COUNT(*) AS n FROM assessment_sadd",
        ),
        ("versions", "SELECT COUNT(*) AS n FROM assessment_versions"),
        (
            "audit entries",
            "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'assessment.submit'",
        ),
        (
            "change-log rows",
            "SELECT COUNT(*) AS n FROM change_log WHERE entity = 'assessment'",
        ),
    ] {
        let expected = if what.starts_with("SADD") { 2 * n } else { n };
        assert_eq!(count(&db, sql).await, expected, "{what}");
    }
    let orphans = count(
        &db,
        "SELECT COUNT(*) AS n FROM assessment_sadd s WHERE NOT EXISTS (SELECT 1 FROM site_assessments a WHERE a.id = s.assessment_id)",
    )
    .await;
    assert_eq!(orphans, 0);

    // Restarted, the device resends everything it has not seen acknowledged (and, to be
    // sure, everything else): acknowledged items are duplicates, nothing is stored twice.
    let server = Server::start(&database.url);
    let mut statuses = std::collections::HashMap::<String, usize>::new();
    for batch in &batches {
        let body = json!({ "query": SUBMIT_BATCH, "variables": { "items": batch } });
        let answer = post(&http, &server.address, &token, &body)
            .await
            .expect("answer after restart");
        for item in answer["data"]["submitAssessments"]["items"]
            .as_array()
            .expect("items")
        {
            let uuid: Uuid = item["clientUuid"].as_str().unwrap().parse().unwrap();
            let status = item["status"].as_str().unwrap().to_owned();
            if acknowledged.contains(&uuid) || stored.contains(&uuid) {
                assert_eq!(status, "DUPLICATE", "{item:#}");
            } else {
                assert_eq!(status, "ACCEPTED", "{item:#}");
            }
            *statuses.entry(status).or_default() += 1;
        }
    }
    assert_eq!(stored_uuids(&db).await.len(), 40 * 20);
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM assessment_versions").await,
        40 * 20
    );
    drop(server);
}

#[tokio::test]
async fn sigterm_lets_the_batch_in_flight_finish_then_the_server_exits_cleanly() {
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    let token = admin_token(&db).await;
    let mut server = Server::start(&database.url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client");
    let setup = json!({ "query": "mutation { createRound(input: { number: 1, name: \"Round 1\", startsOn: \"2024-01-01\", endsOn: \"2024-12-31\" }) { number } }" });
    post(&http, &server.address, &token, &setup)
        .await
        .expect("round");
    let site = json!({ "query": "mutation($i: SiteInput!) { createSite(input: $i) { id } }", "variables": { "i": fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15) } });
    let site = post(&http, &server.address, &token, &site)
        .await
        .expect("site")["data"]["createSite"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let body = json!({ "query": SUBMIT_BATCH, "variables": { "items": items(&site, 200) } });
    let in_flight = {
        let (http, address, token) = (http.clone(), server.address.clone(), token.clone());
        tokio::spawn(async move { post(&http, &address, &token, &body).await })
    };
    // Signal once the batch is being written.
    while count(&db, "SELECT COUNT(*) AS n FROM site_assessments").await == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let signalled = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(signalled.success());
    let answer = in_flight
        .await
        .expect("task")
        .expect("the batch in flight is answered, not cut off");
    assert_eq!(
        answer["data"]["submitAssessments"]["accepted"], 200,
        "{answer:#}"
    );
    let status = server.child.wait().expect("exit");
    assert!(status.success(), "a graceful stop exits 0, not {status}");
    assert_eq!(
        count(&db, "SELECT COUNT(*) AS n FROM site_assessments").await,
        200
    );
}
