//! Live updates over WebSocket (`graphql-transport-ws` at `/graphql/ws`): assessments,
//! distributions and stock movements made through the API reach subscribers, filtered by
//! area and scoped by role; the protocol's close codes and errors; a reconnect from a
//! cursor catches up; a change made by a second server process over the same PostgreSQL
//! database reaches a subscriber of the first.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use camptrack::config::ServeArgs;
use camptrack_domain::codes::Role;
use camptrack_tests::{TestApp, fixtures, on_postgres, spawn_app, spawn_app_with};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the server sent next.
#[derive(Debug)]
enum Frame {
    /// A protocol message.
    Json(Value),
    /// The server closed the connection with this code and reason.
    Closed(u16, String),
}

/// A `graphql-transport-ws` client.
struct Client {
    socket: Socket,
}

impl Client {
    /// Opens a socket offering `protocol` (none when `None`).
    async fn open_with(address: &str, protocol: Option<&str>) -> Self {
        let url = format!("{}/graphql/ws", address.replace("http://", "ws://"));
        let mut request = url.into_client_request().expect("request");
        if let Some(protocol) = protocol {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                protocol.parse().expect("header value"),
            );
        }
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("connect");
        Self { socket }
    }

    async fn open(address: &str) -> Self {
        Self::open_with(address, Some("graphql-transport-ws")).await
    }

    /// Opens a socket and initialises it with `token`, expecting the ack.
    async fn connect(address: &str, token: &str) -> Self {
        let mut client = Self::open(address).await;
        client
            .send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }))
            .await;
        let ack = client.json().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    /// The next frame; waits at most a minute, so a broken server fails the test rather
    /// than hanging it.
    async fn frame(&mut self) -> Frame {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
                .await
                .expect("a message within a minute");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Frame::Json(serde_json::from_str(text.as_str()).expect("JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return frame.map_or(Frame::Closed(1005, String::new()), |f| {
                        Frame::Closed(f.code.into(), f.reason.to_string())
                    });
                }
                Some(Ok(_)) => {}
                Some(Err(err)) => panic!("socket error: {err}"),
                None => return Frame::Closed(1006, String::new()),
            }
        }
    }

    async fn json(&mut self) -> Value {
        match self.frame().await {
            Frame::Json(value) => value,
            Frame::Closed(code, reason) => panic!("closed with {code}: {reason}"),
        }
    }

    async fn closed(&mut self) -> (u16, String) {
        match self.frame().await {
            Frame::Closed(code, reason) => (code, reason),
            Frame::Json(value) => panic!("expected a close, got {value}"),
        }
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "type": "subscribe", "id": id, "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next `next` message's data for `id`.
    async fn next(&mut self, id: &str) -> Value {
        let message = self.json().await;
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id, "{message}");
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }
}

const ASSESSMENTS: &str = "subscription($area: AreaInput, $after: String) { assessmentChanges(area: $area, after: $after) { cursor operation changedAt assessment { id siteId households } } }";
const DISTRIBUTIONS: &str = "subscription($area: AreaInput, $after: String) { distributionChanges(area: $area, after: $after) { cursor operation distribution { id status implementingOrganisation { code } } } }";
const MOVEMENTS: &str = "subscription($area: AreaInput, $after: String) { stockMovementChanges(area: $area, after: $after) { cursor operation stockMovement { id kind quantity } } }";
const RECORD_DISTRIBUTION: &str =
    "mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id } } }";

/// The change log's position now, as the admin's delta sync reports it: subscriptions
/// started `after` it receive exactly what is written from here on.
async fn now(app: &TestApp) -> String {
    let mut since = "0".to_owned();
    loop {
        let answer = app
            .admin(
                "query($s: String) { changes(since: $s, first: 500) { nextCursor hasMore } }",
                json!({ "s": since }),
            )
            .await;
        let feed = &answer.data()["changes"];
        since = feed["nextCursor"].as_str().expect("cursor").to_owned();
        if feed["hasMore"] != true {
            return since;
        }
    }
}

/// Submits an assessment at `site` as `token` (the admin when `None`); returns its id.
async fn assess(app: &TestApp, token: Option<&str>, site: &str, households: i64) -> String {
    let answer = app
        .gql(
            Some(token.unwrap_or(&app.admin_token)),
            fixtures::SUBMIT,
            json!({ "i": fixtures::assessment_input(site, 1, "2024-03-10", households, households * 5) }),
        )
        .await;
    answer.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .expect("assessment id")
        .to_owned()
}

/// Records a cash distribution at `site` implemented by `org` as `token`; returns its id.
async fn distribute(app: &TestApp, token: Option<&str>, site: &str, org: &str) -> String {
    let input = json!({
        "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": org,
        "startsOn": "2024-03-12", "modality": "CASH", "status": "COMPLETED",
        "households": 3, "individuals": 14, "lines": []
    });
    let answer = app
        .gql(
            Some(token.unwrap_or(&app.admin_token)),
            RECORD_DISTRIBUTION,
            json!({ "i": input }),
        )
        .await;
    answer.data()["recordDistribution"]["distribution"]["id"]
        .as_str()
        .expect("distribution id")
        .to_owned()
}

/// Two sites far apart (Maiduguri and Mogadishu) and a round.
async fn two_sites(app: &TestApp) -> (String, String) {
    fixtures::round(app, 1).await;
    let near = fixtures::site(
        app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await;
    let far = fixtures::site(
        app,
        json!({ "code": "CCCM-SO1101-0001", "name": "Far away", "siteType": "SELF_SETTLED_CAMP", "formalStatus": "INFORMAL", "lat": 2.05, "lon": 45.32, "admin0Pcode": "SOM", "admin1Pcode": "SO11", "admin2Pcode": "SO1101", "openedOn": "2023-01-01" }),
    )
    .await;
    (near, far)
}

/// A box around Maiduguri only.
fn maiduguri() -> Value {
    json!({ "bbox": { "west": 13.0, "south": 11.7, "east": 13.3, "north": 12.0 } })
}

#[tokio::test]
async fn a_subscriber_receives_assessments_distributions_and_stock_movements_made_through_the_api()
{
    let app = spawn_app().await;
    app.organisation("NRC").await;
    let (site, _) = two_sites(&app).await;
    let store = fixtures::warehouse(&app, None, "WH-MAIDUGURI", Some("NRC")).await;
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe("a", ASSESSMENTS, json!({ "after": after }))
        .await;

    let assessment = assess(&app, None, &site, 40).await;
    let event = ws.next("a").await["assessmentChanges"].clone();
    assert_eq!(event["assessment"]["id"], assessment.as_str());
    assert_eq!(event["assessment"]["siteId"], site.as_str());
    assert_eq!(event["assessment"]["households"], 40);
    assert_eq!(event["operation"], "SUBMIT");
    assert!(event["cursor"].as_str().is_some_and(|c| !c.is_empty()));

    let after = now(&app).await;
    ws.subscribe("d", DISTRIBUTIONS, json!({ "after": after }))
        .await;
    ws.subscribe("m", MOVEMENTS, json!({ "after": after }))
        .await;
    let distribution = distribute(&app, None, &site, "NRC").await;
    let event = ws.next("d").await["distributionChanges"].clone();
    assert_eq!(event["distribution"]["id"], distribution.as_str());
    assert_eq!(
        event["distribution"]["implementingOrganisation"]["code"],
        "NRC"
    );
    let movement = fixtures::record(
        &app,
        &store,
        "BLANKET",
        "RECEIPT",
        25,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let event = ws.next("m").await["stockMovementChanges"].clone();
    assert_eq!(event["stockMovement"]["id"], movement.as_str());
    assert_eq!(event["stockMovement"]["kind"], "RECEIPT");
    assert_eq!(event["stockMovement"]["quantity"], 25);

    // The client stops one subscription; the others go on.
    ws.send(json!({ "type": "complete", "id": "a" })).await;
    let second = distribute(&app, None, &site, "NRC").await;
    assert_eq!(
        ws.next("d").await["distributionChanges"]["distribution"]["id"],
        second.as_str()
    );
}

#[tokio::test]
async fn the_area_filter_excludes_records_at_sites_outside_the_area() {
    let app = spawn_app().await;
    app.organisation("NRC").await;
    let (near, far) = two_sites(&app).await;
    app.admin(
        "mutation { createAdminArea(input: { pcode: \"NGA\", level: 0, nameEn: \"Nigeria\" }) { pcode } }",
        json!({}),
    )
    .await
    .data();
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe(
        "box",
        ASSESSMENTS,
        json!({ "area": maiduguri(), "after": after }),
    )
    .await;
    ws.subscribe(
        "pcode",
        DISTRIBUTIONS,
        json!({ "area": { "adminPcode": "NGA" }, "after": after }),
    )
    .await;

    // Written first, outside: never delivered, so the first event is the one inside.
    assess(&app, None, &far, 10).await;
    distribute(&app, None, &far, "NRC").await;
    let inside = assess(&app, None, &near, 20).await;
    let inside_distribution = distribute(&app, None, &near, "NRC").await;
    let mut got = std::collections::HashMap::new();
    for _ in 0..2 {
        let message = ws.json().await;
        assert_eq!(message["type"], "next", "{message}");
        got.insert(
            message["id"].as_str().expect("id").to_owned(),
            message["payload"]["data"].clone(),
        );
    }
    assert_eq!(
        got["box"]["assessmentChanges"]["assessment"]["id"],
        inside.as_str()
    );
    assert_eq!(
        got["pcode"]["distributionChanges"]["distribution"]["id"],
        inside_distribution.as_str()
    );
}

#[tokio::test]
async fn a_partner_receives_only_its_own_organisations_raw_rows() {
    let app = spawn_app().await;
    let nrc = app.organisation("NRC").await;
    let other = app.organisation("ORGB").await;
    let (site, _) = two_sites(&app).await;
    let own_store = fixtures::warehouse(&app, None, "WH-NRC", Some("NRC")).await;
    let other_store = fixtures::warehouse(&app, None, "WH-ORGB", Some("ORGB")).await;
    let partner = app
        .token_for(Role::Partner, Some(nrc), Default::default())
        .await;
    let nrc_enumerator = app
        .token_for(Role::Enumerator, Some(nrc), Default::default())
        .await;
    let other_enumerator = app
        .token_for(Role::Enumerator, Some(other), Default::default())
        .await;
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &partner).await;
    for (id, query) in [("a", ASSESSMENTS), ("d", DISTRIBUTIONS), ("m", MOVEMENTS)] {
        ws.subscribe(id, query, json!({ "after": after })).await;
    }

    // Another organisation's rows are written first; the partner's own come after.
    assess(&app, Some(&other_enumerator), &site, 10).await;
    distribute(&app, None, &site, "ORGB").await;
    fixtures::record(
        &app,
        &other_store,
        "BLANKET",
        "RECEIPT",
        7,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let own_assessment = assess(&app, Some(&nrc_enumerator), &site, 30).await;
    let own_distribution = distribute(&app, None, &site, "NRC").await;
    let own_movement = fixtures::record(
        &app,
        &own_store,
        "BLANKET",
        "RECEIPT",
        9,
        "2024-03-01T08:00:00Z",
    )
    .await;
    let mut got = std::collections::HashMap::new();
    for _ in 0..3 {
        let message = ws.json().await;
        assert_eq!(message["type"], "next", "{message}");
        let id = message["id"].as_str().expect("id").to_owned();
        assert!(
            got.insert(id, message["payload"]["data"].clone()).is_none(),
            "one event per subscription: {message}"
        );
    }
    assert_eq!(
        got["a"]["assessmentChanges"]["assessment"]["id"],
        own_assessment.as_str()
    );
    assert_eq!(
        got["d"]["distributionChanges"]["distribution"]["id"],
        own_distribution.as_str()
    );
    assert_eq!(
        got["m"]["stockMovementChanges"]["stockMovement"]["id"],
        own_movement.as_str()
    );
}

#[tokio::test]
async fn an_enumerator_receives_only_records_at_sites_in_its_area_whatever_it_asks() {
    let app = spawn_app().await;
    let org = app.organisation("NRC").await;
    let (near, far) = two_sites(&app).await;
    let area = camptrack::auth::AccountArea {
        cells: Vec::new(),
        pcodes: vec![camptrack_domain::pcode::PCode::parse("", "NG002001").expect("p-code")],
    };
    let enumerator = app.token_for(Role::Enumerator, Some(org), area).await;
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &enumerator).await;
    // Asking for the far site's area does not widen its reach.
    ws.subscribe(
        "a",
        ASSESSMENTS,
        json!({ "after": after, "area": { "near": { "lat": 2.05, "lon": 45.32, "radiusMeters": 50000.0 } } }),
    )
    .await;
    ws.subscribe("all", ASSESSMENTS, json!({ "after": after }))
        .await;
    assess(&app, None, &far, 10).await;
    let inside = assess(&app, None, &near, 20).await;
    // Only the unfiltered subscription gets anything, and only the site in its area.
    let event = ws.next("all").await;
    assert_eq!(
        event["assessmentChanges"]["assessment"]["id"],
        inside.as_str()
    );
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.json().await["type"], "pong", "nothing else was sent");
}

#[tokio::test]
async fn bad_missing_and_revoked_tokens_are_refused_with_4403() {
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.ws_reauth_secs = 1;
    let app = spawn_app_with(settings).await;
    for payload in [
        json!({ "authorization": "Bearer not-a-token" }),
        json!({ "token": "not-a-token" }),
        json!({ "authorization": "Basic abc" }),
        json!({}),
        Value::Null,
    ] {
        let mut ws = Client::open(&app.address).await;
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let (code, reason) = ws.closed().await;
        assert_eq!(code, 4403, "{payload}: {reason}");
        assert!(reason.starts_with("Forbidden"), "{reason}");
    }

    // `{"token": ...}` works as well as the header form; a revoked token stops working.
    let token = app
        .token_for(Role::Coordinator, None, Default::default())
        .await;
    let mut open = Client::open(&app.address).await;
    open.send(json!({ "type": "connection_init", "payload": { "token": token } }))
        .await;
    assert_eq!(open.json().await["type"], "connection_ack");
    open.subscribe("a", ASSESSMENTS, json!({})).await;
    let accounts = app
        .admin(
            "{ accounts(first: 10) { edges { node { role tokens { id } } } } }",
            json!({}),
        )
        .await;
    let token_id = accounts.data()["accounts"]["edges"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|e| e["node"]["role"] == "COORDINATOR")
        .expect("coordinator")["node"]["tokens"][0]["id"]
        .clone();
    app.admin(
        "mutation($id: UUID!) { revokeToken(id: $id) { revokedAt } }",
        json!({ "id": token_id }),
    )
    .await
    .data();
    let mut ws = Client::open(&app.address).await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": token } }))
        .await;
    assert_eq!(ws.closed().await.0, 4403);
    // The socket opened before the revocation is closed at the next check.
    let (code, reason) = open.closed().await;
    assert_eq!(code, 4403, "{reason}");
}

#[tokio::test]
async fn the_protocol_is_kept_ping_limits_errors_and_close_codes() {
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.ws_max_subscriptions = 2;
    settings.max_depth = 3;
    let app = spawn_app_with(settings).await;

    // Subscribing before the handshake: 4401.
    let mut ws = Client::open(&app.address).await;
    ws.subscribe("x", ASSESSMENTS, json!({})).await;
    assert_eq!(ws.closed().await.0, 4401);

    // No graphql-transport-ws subprotocol: 4406.
    let mut ws = Client::open_with(&app.address, None).await;
    assert_eq!(ws.closed().await.0, 4406);

    // Something that is not a protocol message: 4400.
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.send(json!({ "type": "start", "id": "1" })).await;
    assert_eq!(ws.closed().await.0, 4400);

    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.json().await["type"], "pong");

    // Refused before execution (validation, depth): an `error` message with a code.
    ws.subscribe("bad", "subscription { noSuchField }", json!({}))
        .await;
    let error = ws.json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "bad");
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    ws.subscribe(
        "deep",
        "subscription { assessmentChanges { assessment { site { id } } } }",
        json!({}),
    )
    .await;
    let error = ws.json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED");

    // A bad cursor: the field's error, then complete.
    ws.subscribe("cursor", ASSESSMENTS, json!({ "after": "yesterday" }))
        .await;
    let next = ws.json().await;
    assert_eq!(next["type"], "next", "{next}");
    let err = &next["payload"]["errors"][0];
    assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT", "{next}");
    assert_eq!(err["extensions"]["fields"][0]["field"], "after", "{next}");
    let complete = ws.json().await;
    assert_eq!(complete, json!({ "type": "complete", "id": "cursor" }));

    // Two subscriptions at most on one connection; a third is refused, the socket stays.
    ws.subscribe("one", ASSESSMENTS, json!({})).await;
    ws.subscribe("two", MOVEMENTS, json!({})).await;
    ws.subscribe("three", ASSESSMENTS, json!({})).await;
    let error = ws.json().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "three");
    assert_eq!(error["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(ws.json().await["type"], "pong");

    // An id in use: 4409. A second connection_init: 4429.
    ws.subscribe("one", ASSESSMENTS, json!({})).await;
    assert_eq!(ws.closed().await.0, 4409);
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.send(json!({ "type": "connection_init", "payload": { "token": app.admin_token } }))
        .await;
    assert_eq!(ws.closed().await.0, 4429);
}

#[tokio::test]
async fn reconnecting_with_the_last_cursor_catches_up_on_what_was_missed() {
    let app = spawn_app().await;
    let (site, _) = two_sites(&app).await;
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe("a", ASSESSMENTS, json!({ "after": after }))
        .await;
    let first = assess(&app, None, &site, 11).await;
    let event = ws.next("a").await["assessmentChanges"].clone();
    assert_eq!(event["assessment"]["id"], first.as_str());
    let cursor = event["cursor"].as_str().expect("cursor").to_owned();
    drop(ws);

    // While the dashboard is away, two more arrive.
    let second = assess(&app, None, &site, 12).await;
    let third = assess(&app, None, &site, 13).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe("a", ASSESSMENTS, json!({ "after": cursor }))
        .await;
    let got: Vec<Value> = vec![
        ws.next("a").await["assessmentChanges"]["assessment"]["id"].clone(),
        ws.next("a").await["assessmentChanges"]["assessment"]["id"].clone(),
    ];
    assert_eq!(got, vec![json!(second), json!(third)]);
}

#[tokio::test]
async fn without_a_notification_a_change_still_arrives_by_polling() {
    // This server neither listens nor hears of the other server's writes: only its poll
    // of the change log can deliver them.
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.live_listen = false;
    settings.live_poll_interval_ms = 100;
    let app = spawn_app_with(settings).await;
    let (site, _) = two_sites(&app).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let other = format!("http://{}", listener.local_addr().expect("address"));
    let state = camptrack::AppState::new(app.db.clone(), ServeArgs::parse_from(["serve"]));
    tokio::spawn(camptrack::serve(listener, state, std::future::pending()));

    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe("a", ASSESSMENTS, json!({ "after": after }))
        .await;
    let answer = app
        .http
        .post(format!("{other}/graphql"))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": fixtures::SUBMIT, "variables": { "i": fixtures::assessment_input(&site, 1, "2024-03-10", 8, 40) } }))
        .send()
        .await
        .expect("post")
        .json::<Value>()
        .await
        .expect("json");
    let id = answer["data"]["submitAssessment"]["assessment"]["id"].clone();
    assert!(id.is_string(), "{answer}");
    assert_eq!(
        ws.next("a").await["assessmentChanges"]["assessment"]["id"],
        id
    );
}

/// A second camptrack server as its own OS process.
struct ServerProcess {
    child: Child,
    address: String,
}

impl ServerProcess {
    fn start(database_url: &str) -> Self {
        use std::io::BufRead;
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
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_change_made_through_a_second_server_process_reaches_a_subscriber_on_postgres() {
    if !on_postgres() {
        eprintln!(
            "skipped: two server processes over one database is the PostgreSQL deployment; set TEST_DATABASE_URL to run it"
        );
        return;
    }
    // Polling an hour apart: within this test only the other process's NOTIFY can wake
    // the subscription.
    let mut settings = ServeArgs::parse_from(["serve"]);
    settings.live_poll_interval_ms = 3_600_000;
    let app = spawn_app_with(settings).await;
    let (site, _) = two_sites(&app).await;
    let other = ServerProcess::start(app.database_url());
    let after = now(&app).await;
    let mut ws = Client::connect(&app.address, &app.admin_token).await;
    ws.subscribe("a", ASSESSMENTS, json!({ "after": after }))
        .await;
    let answer = app
        .http
        .post(format!("{}/graphql", other.address))
        .bearer_auth(&app.admin_token)
        .json(&json!({ "query": fixtures::SUBMIT, "variables": { "i": fixtures::assessment_input(&site, 1, "2024-03-10", 8, 40) } }))
        .send()
        .await
        .expect("post")
        .json::<Value>()
        .await
        .expect("json");
    let answered = std::time::Instant::now();
    let id = answer["data"]["submitAssessment"]["assessment"]["id"].clone();
    assert!(id.is_string(), "{answer}");
    let event = ws.next("a").await["assessmentChanges"].clone();
    // Reported, not asserted: how long after the other process answered the event came.
    eprintln!(
        "delivered through NOTIFY {:?} after the other process answered",
        answered.elapsed()
    );
    assert_eq!(event["assessment"]["id"], id);
    assert_eq!(event["assessment"]["households"], 8);
}
