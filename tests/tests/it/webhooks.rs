//! Webhooks: signed deliveries of changes made through the API, retried with the same
//! event id until a receiver takes them, scoped to the owner's organisation, and refused
//! for private and loopback URLs unless allow-listed. Receivers are small axum servers on
//! 127.0.0.1 inside the test, allow-listed through settings.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use camptrack::auth::AccountArea;
use camptrack::config::ServeArgs;
use camptrack_domain::codes::Role;
use camptrack_tests::fixtures::{self, MOVE, movement};
use camptrack_tests::{TestApp, spawn_app, spawn_app_with};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};

const CREATE: &str = "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret webhook { id status events url } } }";
const HISTORY: &str = "query($id: UUID!) { webhook(id: $id) { status deliveries { edges { node { id eventType entityId status attemptCount lastStatusCode attempts { number statusCode error } } } } } }";

/// What a receiver answers to one request.
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    /// Answers only after the sender's time limit.
    Hang,
}

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

#[derive(Debug, Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits until `done` holds for what arrived (the worker polls; a generous deadline
    /// only turns a hang into a failure).
    async fn wait_for(&self, what: &str, done: impl Fn(&[Got]) -> bool) -> Vec<Got> {
        for _ in 0..600 {
            let got = self.got();
            if done(&got) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver never got {what}; it got {:#?}", self.got());
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    r.got.lock().expect("lock").push(Got {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        body,
    });
    let reply = r
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or(Reply::Status(200));
    match reply {
        Reply::Status(code) => StatusCode::from_u16(code).expect("status"),
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            StatusCode::OK
        }
    }
}

/// Starts a receiver on `listener` answering `script` in order, then 200.
fn serve_receiver(listener: tokio::net::TcpListener, script: &[Reply]) -> Receiver {
    let receiver = Receiver::default();
    receiver.script.lock().expect("lock").extend(script);
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    receiver
}

/// A receiver on a fresh 127.0.0.1 port; returns its URL.
async fn receiver(script: &[Reply]) -> (String, Receiver) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    (url, serve_receiver(listener, script))
}

/// Settings that allow-list 127.0.0.1 and retry quickly, plus `extra` flags.
fn quick(extra: &[&'static str]) -> ServeArgs {
    let mut args = vec![
        "serve",
        "--webhook-allow-nets",
        "127.0.0.1/32",
        "--webhook-interval-ms",
        "50",
        "--webhook-backoff-base-ms",
        "50",
        "--webhook-backoff-max-secs",
        "1",
        "--webhook-timeout-ms",
        "700",
    ];
    args.extend_from_slice(extra);
    ServeArgs::parse_from(args)
}

/// A server that allow-lists 127.0.0.1 and retries quickly.
async fn app_allowing_loopback() -> TestApp {
    spawn_app_with(quick(&[])).await
}

/// The Standard Webhooks check, written out independently of camptrack's signer.
fn verifies(secret: &str, got: &Got) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 key");
    let mut mac = Hmac::<sha2_011::Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", got.id, got.timestamp, got.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    got.signature.split(' ').any(|s| s == expected)
}

async fn create(app: &TestApp, token: &str, input: Value) -> (String, String) {
    let answer = app.gql(Some(token), CREATE, json!({ "i": input })).await;
    let created = &answer.data()["createWebhook"];
    assert_eq!(created["webhook"]["status"], "ACTIVE");
    (
        created["webhook"]["id"].as_str().expect("id").to_owned(),
        created["secret"].as_str().expect("secret").to_owned(),
    )
}

async fn partner(app: &TestApp, org: &str) -> String {
    let id = app.organisation(org).await;
    app.token_for(Role::Partner, Some(id), AccountArea::default())
        .await
}

async fn receipt(app: &TestApp, token: &str, warehouse: &str, quantity: i64) -> String {
    let answer = app
        .gql(
            Some(token),
            MOVE,
            json!({ "i": movement(warehouse, "BLANKET", "RECEIPT", quantity, "2024-03-01T08:00:00Z") }),
        )
        .await;
    answer.data()["recordStockMovement"]["movements"][0]["id"]
        .as_str()
        .expect("movement id")
        .to_owned()
}

#[tokio::test]
async fn a_change_made_through_the_api_arrives_signed_and_verifiable() {
    let app = app_allowing_loopback().await;
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let (url, rx) = receiver(&[]).await;
    let (_, secret) = create(
        &app,
        &nrc,
        json!({ "url": url, "description": "NRC pipeline", "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    assert!(secret.starts_with("whsec_"));

    let moved = receipt(&app, &nrc, &store, 100).await;

    let got = rx.wait_for("the receipt", |g| !g.is_empty()).await;
    let first = &got[0];
    assert!(verifies(&secret, first), "signature {first:?}");
    let mut tampered = first.clone();
    tampered.body = tampered.body.replace("100", "900");
    assert!(
        !verifies(&secret, &tampered),
        "a changed body must not verify"
    );
    let body: Value = serde_json::from_str(&first.body).expect("JSON body");
    assert_eq!(body["type"], "stock_movement.created");
    assert_eq!(
        body["id"],
        first.id.as_str(),
        "the body carries the event id"
    );
    assert_eq!(body["data"]["id"], moved.as_str());
    assert_eq!(body["data"]["warehouseId"], store.as_str());
    assert_eq!(body["data"]["quantity"], 100);
    assert_eq!(body["data"]["kind"], "RECEIPT");
    assert!(first.timestamp.parse::<i64>().is_ok());
}

#[tokio::test]
async fn a_failing_receiver_still_gets_the_event_with_the_same_id_and_the_history_shows_the_failures()
 {
    let app = app_allowing_loopback().await;
    fixtures::round(&app, 1).await;
    let site = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.85, 13.16),
    )
    .await;
    let (url, rx) = receiver(&[Reply::Status(500), Reply::Hang]).await;
    let (hook, secret) = create(
        &app,
        &app.admin_token,
        json!({ "url": url, "events": ["ASSESSMENT_CREATED", "ASSESSMENT_UPDATED"] }),
    )
    .await;

    let submitted = app
        .admin(
            fixtures::SUBMIT,
            json!({ "i": fixtures::assessment_input(&site, 1, "2024-03-01", 120, 600) }),
        )
        .await;
    let assessment = submitted.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let got = rx.wait_for("three attempts", |g| g.len() >= 3).await;
    assert!(
        got[..3].iter().all(|g| g.id == got[0].id),
        "one event id: {got:#?}"
    );
    assert!(
        got[..3].iter().all(|g| g.body == got[0].body),
        "the same body"
    );
    assert!(got[..3].iter().all(|g| verifies(&secret, g)));
    let body: Value = serde_json::from_str(&got[0].body).expect("JSON");
    assert_eq!(body["type"], "assessment.created");
    assert_eq!(body["data"]["id"], assessment.as_str());

    // The history: a 500, a timeout, then the success, on one delivery.
    let mut delivery = Value::Null;
    for _ in 0..200 {
        let history = app.admin(HISTORY, json!({ "id": hook })).await;
        delivery = history.data()["webhook"]["deliveries"]["edges"][0]["node"].clone();
        if delivery["status"] == "DELIVERED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(delivery["status"], "DELIVERED", "{delivery:#}");
    assert_eq!(delivery["id"], got[0].id.as_str());
    assert_eq!(delivery["eventType"], "assessment.created");
    assert_eq!(delivery["entityId"], assessment.as_str());
    assert_eq!(delivery["attemptCount"], 3);
    assert_eq!(delivery["lastStatusCode"], 200);
    let attempts = delivery["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 3, "{attempts:#?}");
    assert_eq!(attempts[0]["number"], 1);
    assert_eq!(attempts[0]["statusCode"], 500);
    assert!(
        attempts[0]["error"]
            .as_str()
            .expect("error")
            .contains("500")
    );
    assert_eq!(attempts[1]["statusCode"], Value::Null);
    assert!(
        attempts[1]["error"]
            .as_str()
            .expect("error")
            .contains("timed out"),
        "{attempts:#?}"
    );
    assert_eq!(attempts[2]["statusCode"], 200);
    assert_eq!(attempts[2]["error"], Value::Null);

    // Redelivery sends the same event again, under the same id.
    let again = app
        .admin(
            "mutation($id: UUID!) { redeliverWebhookDelivery(id: $id) { id status } }",
            json!({ "id": got[0].id }),
        )
        .await;
    assert_eq!(
        again.data()["redeliverWebhookDelivery"]["status"],
        "PENDING"
    );
    let got = rx.wait_for("the redelivery", |g| g.len() >= 4).await;
    assert_eq!(got[3].id, got[0].id);
    assert_eq!(got[3].body, got[0].body);
}

#[tokio::test]
async fn a_refused_connection_is_retried_until_the_receiver_listens() {
    let app = app_allowing_loopback().await;
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    // A port nobody listens on yet.
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = probe.local_addr().expect("addr");
    drop(probe);
    let (hook, _) = create(
        &app,
        &nrc,
        json!({ "url": format!("http://{addr}/hook"), "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    receipt(&app, &nrc, &store, 40).await;

    // Wait until an attempt was refused and recorded.
    let mut refused = false;
    for _ in 0..400 {
        let history = app.gql(Some(&nrc), HISTORY, json!({ "id": hook })).await;
        let node = history.data()["webhook"]["deliveries"]["edges"][0]["node"].clone();
        if node["attempts"].as_array().is_some_and(|a| {
            a.iter()
                .any(|a| a["error"].as_str().is_some_and(|e| e.contains("connect")))
        }) {
            assert_eq!(node["status"], "PENDING", "{node:#}");
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "no refused attempt was recorded");
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
    let rx = serve_receiver(listener, &[]);
    let got = rx.wait_for("the movement", |g| !g.is_empty()).await;
    let body: Value = serde_json::from_str(&got[0].body).expect("JSON");
    assert_eq!(body["data"]["quantity"], 40);
}

#[tokio::test]
async fn a_partners_webhook_never_carries_another_organisations_rows() {
    let app = app_allowing_loopback().await;
    let nrc = partner(&app, "NRC").await;
    let irc = partner(&app, "IRC").await;
    let own = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let other = fixtures::warehouse(&app, Some(&irc), "WH-IRC", None).await;
    fixtures::round(&app, 1).await;
    let site = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.85, 13.16),
    )
    .await;
    let (url, rx) = receiver(&[]).await;
    create(
        &app,
        &nrc,
        json!({ "url": url, "events": [
            "ASSESSMENT_CREATED", "ASSESSMENT_UPDATED", "ASSESSMENT_DELETED",
            "DISTRIBUTION_CREATED", "DISTRIBUTION_UPDATED", "DISTRIBUTION_DELETED",
            "STOCK_MOVEMENT_CREATED", "STOCK_MOVEMENT_UPDATED", "STOCK_MOVEMENT_DELETED"
        ] }),
    )
    .await;

    let mine = receipt(&app, &nrc, &own, 10).await;
    receipt(&app, &irc, &other, 20).await;
    receipt(&app, &app.admin_token, &other, 30).await;
    app.admin(
        fixtures::SUBMIT,
        json!({ "i": fixtures::assessment_input(&site, 1, "2024-03-01", 120, 600) }),
    )
    .await
    .data();
    // Deliveries go out in change-log order: once this one arrives, every earlier change
    // was considered.
    let last = receipt(&app, &nrc, &own, 11).await;

    let got = rx
        .wait_for("the last own receipt", |g| {
            g.iter().any(|x| x.body.contains(&last))
        })
        .await;
    let bodies: Vec<Value> = got
        .iter()
        .map(|g| serde_json::from_str(&g.body).expect("JSON"))
        .collect();
    let ids: Vec<&str> = bodies
        .iter()
        .map(|b| b["data"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, [mine.as_str(), last.as_str()], "{bodies:#?}");
    for b in &bodies {
        assert_eq!(b["type"], "stock_movement.created");
        assert_eq!(b["data"]["warehouseId"], own.as_str());
    }
}

#[tokio::test]
async fn private_and_loopback_urls_are_refused_without_the_allow_list() {
    let app = spawn_app().await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]:8080/hook",
        "http://localhost:9000/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://192.168.0.10/hook",
        "http://0.0.0.0/hook",
    ] {
        let answer = app
            .admin(
                CREATE,
                json!({ "i": { "url": url, "events": ["DISTRIBUTION_CREATED"] } }),
            )
            .await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}: {:#}", answer.body);
        assert_eq!(answer.fields(), ["url"], "{url}");
        assert!(
            answer.message().contains("non-public"),
            "{url}: {}",
            answer.message()
        );
    }
    for (url, reason) in [
        ("ftp://example.org/hook", "only http and https"),
        ("not a url", "not a URL"),
        ("https://user:pw@example.org/hook", "user name"),
    ] {
        let answer = app
            .admin(
                CREATE,
                json!({ "i": { "url": url, "events": ["DISTRIBUTION_CREATED"] } }),
            )
            .await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{url}");
        assert_eq!(answer.fields(), ["url"]);
        assert!(
            answer.message().contains(reason),
            "{url}: {}",
            answer.message()
        );
    }
    let none = app.admin("{ webhooks { totalCount } }", json!({})).await;
    assert_eq!(none.data()["webhooks"]["totalCount"], 0);

    // The allow-list opens exactly the networks it names.
    let allowing = app_allowing_loopback().await;
    let ok = allowing
        .admin(CREATE, json!({ "i": { "url": "http://127.0.0.1:9/hook", "events": ["DISTRIBUTION_CREATED"] } }))
        .await;
    ok.data();
    let refused = allowing
        .admin(
            CREATE,
            json!({ "i": { "url": "http://10.0.0.1/hook", "events": ["DISTRIBUTION_CREATED"] } }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.fields(), ["url"]);
}

#[tokio::test]
async fn enumerators_cannot_register_and_partners_manage_only_their_own_webhooks() {
    let app = app_allowing_loopback().await;
    let nrc_id = app.organisation("NRC").await;
    let nrc = app
        .token_for(Role::Partner, Some(nrc_id), AccountArea::default())
        .await;
    let irc = partner(&app, "IRC").await;
    let enumerator = app
        .token_for(Role::Enumerator, Some(nrc_id), AccountArea::default())
        .await;
    let input = json!({ "url": "http://127.0.0.1:9/hook", "events": ["DISTRIBUTION_CREATED"] });

    let refused = app
        .gql(Some(&enumerator), CREATE, json!({ "i": input }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let listed = app
        .gql(Some(&enumerator), "{ webhooks { totalCount } }", json!({}))
        .await;
    assert_eq!(listed.code(), "FORBIDDEN");
    let anonymous = app.gql(None, CREATE, json!({ "i": input })).await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
    let empty = app
        .gql(
            Some(&nrc),
            CREATE,
            json!({ "i": { "url": "http://127.0.0.1:9/hook", "events": [] } }),
        )
        .await;
    assert_eq!(empty.code(), "BAD_USER_INPUT");
    assert_eq!(empty.fields(), ["events"]);

    let (hook, secret) = create(&app, &nrc, input.clone()).await;
    // Another partner neither sees nor touches it; admins and coordinators do.
    let theirs = app
        .gql(
            Some(&irc),
            "query($id: UUID!) { webhook(id: $id) { id } }",
            json!({ "id": hook }),
        )
        .await;
    assert_eq!(theirs.code(), "NOT_FOUND");
    let paused = app
        .gql(
            Some(&irc),
            "mutation($id: UUID!) { pauseWebhook(id: $id) { status } }",
            json!({ "id": hook }),
        )
        .await;
    assert_eq!(paused.code(), "NOT_FOUND");
    let count = |token: String| {
        let app = &app;
        async move {
            app.gql(Some(&token), "{ webhooks { totalCount } }", json!({}))
                .await
                .data()["webhooks"]["totalCount"]
                .as_i64()
                .expect("count")
        }
    };
    assert_eq!(count(irc.clone()).await, 0);
    assert_eq!(count(nrc.clone()).await, 1);
    assert_eq!(count(app.admin_token.clone()).await, 1);

    // Pause, resume, rotate (a new secret, shown once), delete; each audited.
    let paused = app
        .gql(
            Some(&nrc),
            "mutation($id: UUID!) { pauseWebhook(id: $id) { status } }",
            json!({ "id": hook }),
        )
        .await;
    assert_eq!(paused.data()["pauseWebhook"]["status"], "PAUSED");
    let resumed = app
        .gql(
            Some(&nrc),
            "mutation($id: UUID!) { resumeWebhook(id: $id) { status } }",
            json!({ "id": hook }),
        )
        .await;
    assert_eq!(resumed.data()["resumeWebhook"]["status"], "ACTIVE");
    let rotated = app
        .gql(
            Some(&nrc),
            "mutation($id: UUID!) { rotateWebhookSecret(id: $id) { secret webhook { id } } }",
            json!({ "id": hook }),
        )
        .await;
    let new_secret = rotated.data()["rotateWebhookSecret"]["secret"]
        .as_str()
        .expect("secret");
    assert!(new_secret.starts_with("whsec_"));
    assert_ne!(new_secret, secret);
    let deleted = app
        .gql(
            Some(&nrc),
            "mutation($id: UUID!) { deleteWebhook(id: $id) }",
            json!({ "id": hook }),
        )
        .await;
    assert_eq!(deleted.data()["deleteWebhook"], hook.as_str());
    assert_eq!(count(nrc.clone()).await, 0);

    let audit = app
        .admin(
            "query($id: String!) { auditLog(entity: \"webhook\", entityId: $id) { edges { node { action after } } } }",
            json!({ "id": hook }),
        )
        .await;
    let actions: Vec<String> = audit.data()["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("action").to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "webhook.create",
            "webhook.pause",
            "webhook.resume",
            "webhook.rotate_secret",
            "webhook.delete"
        ]
    );
    assert!(
        !audit.body.to_string().contains("whsec_"),
        "secrets never reach the audit log"
    );
}

#[tokio::test]
async fn several_workers_on_one_database_deliver_each_event_once_and_in_order() {
    let app = app_allowing_loopback().await;
    // Two more servers (each with its delivery worker) on the same database.
    for _ in 0..2 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let state = camptrack::AppState::new(app.db.clone(), quick(&[]));
        tokio::spawn(camptrack::serve(listener, state, std::future::pending()));
    }
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let (url, rx) = receiver(&[]).await;
    create(
        &app,
        &nrc,
        json!({ "url": url, "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    let mut sent = Vec::new();
    for quantity in 1..=12 {
        sent.push(receipt(&app, &nrc, &store, quantity).await);
    }
    let got = rx.wait_for("twelve events", |g| g.len() >= 12).await;
    // Let any duplicate that three workers might send arrive before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got_now = rx.got();
    assert_eq!(got_now.len(), 12, "each event once: {got_now:#?}");
    let received: Vec<String> = got
        .iter()
        .map(|g| {
            let body: Value = serde_json::from_str(&g.body).expect("JSON");
            body["data"]["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(received, sent, "in the order they were recorded");
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_marked_failed_and_the_next_event_goes_out() {
    let app = spawn_app_with(quick(&["--webhook-max-attempts", "2"])).await;
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let (url, rx) = receiver(&[Reply::Status(503), Reply::Status(503)]).await;
    let (hook, _) = create(
        &app,
        &nrc,
        json!({ "url": url, "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    let lost = receipt(&app, &nrc, &store, 5).await;
    let next = receipt(&app, &nrc, &store, 6).await;
    let got = rx
        .wait_for("the next event", |g| {
            g.iter().any(|x| x.body.contains(&next))
        })
        .await;
    assert_eq!(
        got.len(),
        3,
        "two attempts at the first, then the second: {got:#?}"
    );
    assert!(got[0].body.contains(&lost) && got[1].body.contains(&lost));
    let history = app.gql(Some(&nrc), HISTORY, json!({ "id": hook })).await;
    let first = history.data()["webhook"]["deliveries"]["edges"][0]["node"].clone();
    assert_eq!(first["entityId"], lost.as_str());
    assert_eq!(first["status"], "FAILED", "{first:#}");
    assert_eq!(first["attemptCount"], 2);
    assert_eq!(first["lastStatusCode"], 503);
    assert_eq!(history.data()["webhook"]["status"], "ACTIVE");
}

#[tokio::test]
async fn a_webhook_failing_for_too_long_is_disabled_and_says_why() {
    let app = spawn_app_with(quick(&[
        "--webhook-max-attempts",
        "1000",
        "--webhook-disable-after-secs",
        "1",
    ]))
    .await;
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let (url, _rx) = receiver(&[Reply::Status(500); 1000]).await;
    let (hook, _) = create(
        &app,
        &nrc,
        json!({ "url": url, "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    receipt(&app, &nrc, &store, 5).await;
    let query = "query($id: UUID!) { webhook(id: $id) { status disabledReason failingSince } }";
    let mut hook_now = Value::Null;
    for _ in 0..400 {
        hook_now = app
            .gql(Some(&nrc), query, json!({ "id": hook }))
            .await
            .data()["webhook"]
            .clone();
        if hook_now["status"] == "DISABLED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(hook_now["status"], "DISABLED", "{hook_now:#}");
    let reason = hook_now["disabledReason"].as_str().expect("reason");
    assert!(
        reason.contains("failed since") && reason.contains("500"),
        "{reason}"
    );
    // Resuming clears the failure state.
    let resumed = app
        .gql(Some(&nrc), "mutation($id: UUID!) { resumeWebhook(id: $id) { status disabledReason failingSince } }", json!({ "id": hook }))
        .await;
    let resumed = &resumed.data()["resumeWebhook"];
    assert_eq!(resumed["status"], "ACTIVE");
    assert_eq!(resumed["disabledReason"], Value::Null);
    assert_eq!(resumed["failingSince"], Value::Null);
}

#[tokio::test]
async fn the_address_is_checked_again_at_delivery() {
    // This server accepts the loopback URL at registration but delivers nothing itself...
    let app = spawn_app_with(quick(&["--webhooks", "false"])).await;
    // ...while a second one on the same database, without the allow-list, delivers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let strict = ServeArgs::parse_from(["serve", "--webhook-interval-ms", "50"]);
    tokio::spawn(camptrack::serve(
        listener,
        camptrack::AppState::new(app.db.clone(), strict),
        std::future::pending(),
    ));
    let nrc = partner(&app, "NRC").await;
    let store = fixtures::warehouse(&app, Some(&nrc), "WH-NRC", None).await;
    let (url, rx) = receiver(&[]).await;
    let (hook, _) = create(
        &app,
        &nrc,
        json!({ "url": url, "events": ["STOCK_MOVEMENT_CREATED"] }),
    )
    .await;
    receipt(&app, &nrc, &store, 5).await;
    let mut attempt = Value::Null;
    for _ in 0..400 {
        let history = app.gql(Some(&nrc), HISTORY, json!({ "id": hook })).await;
        attempt =
            history.data()["webhook"]["deliveries"]["edges"][0]["node"]["attempts"][0].clone();
        if !attempt.is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error = attempt["error"].as_str().expect("a refused attempt");
    assert!(
        error.starts_with("refused:") && error.contains("127.0.0.1"),
        "{error}"
    );
    assert_eq!(attempt["statusCode"], Value::Null);
    assert!(rx.got().is_empty(), "nothing reached the loopback receiver");
}
