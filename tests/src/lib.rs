//! The end-to-end harness: each test gets the real server on `127.0.0.1:0` over a fresh
//! database (a temporary SQLite file, or, when `TEST_DATABASE_URL` is set, its own
//! PostgreSQL database cloned from a migrated template) and talks to it over HTTP.

use std::path::PathBuf;

pub mod soak;

use camptrack::auth::Caller;
use camptrack::config::ServeArgs;
use camptrack::storage::accounts::{self, AccountDraft};
use camptrack::storage::db::{self, DbSettings};
use camptrack::storage::organisations::{self, OrganisationDraft};
use camptrack::{AppState, serve};
use camptrack_domain::codes::{OrganisationType, Role};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// A pool on the same database, for arranging data and checking what was stored.
    pub db: DatabaseConnection,
    /// An HTTP client.
    pub http: reqwest::Client,
    /// A token of an admin account.
    pub admin_token: String,
    shutdown: Option<oneshot::Sender<()>>,
    // Dropped after the server is told to stop.
    _database: ScratchDatabase,
}

/// A fresh, empty database for one test (a temporary SQLite file, or a PostgreSQL database
/// cloned from the migrated template when `TEST_DATABASE_URL` is set), removed on drop.
pub struct ScratchDatabase {
    /// Its URL.
    pub url: String,
    cleanup: Cleanup,
}

impl std::fmt::Debug for ScratchDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchDatabase")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl ScratchDatabase {
    /// Makes one.
    pub async fn new() -> Self {
        let (url, cleanup) = fresh_database().await;
        Self { url, cleanup }
    }

    /// Connects to it and brings its schema up to date.
    pub async fn connect(&self) -> DatabaseConnection {
        self.connect_with(8, std::time::Duration::from_secs(10))
            .await
    }

    /// Connects with a pool of at most `max_connections` that waits `acquire_timeout` for a
    /// connection, and brings the schema up to date.
    pub async fn connect_with(
        &self,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> DatabaseConnection {
        let db = db::connect(&DbSettings {
            url: self.url.clone(),
            max_connections,
            acquire_timeout,
            busy_timeout: std::time::Duration::from_secs(10),
        })
        .await
        .expect("connect to the test database");
        db::migrate(&db).await.expect("migrate the test database");
        db
    }
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Whether the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

/// Starts a server with default settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServeArgs::parse_from(["serve"])).await
}

/// Starts a server with `settings` (its `listen` is ignored: it binds 127.0.0.1:0).
pub async fn spawn_app_with(settings: ServeArgs) -> TestApp {
    let database = ScratchDatabase::new().await;
    let db = database.connect().await;
    serve_on(database, db, settings).await
}

/// Starts a server with `settings` whose pool holds at most `max_connections` and waits
/// `acquire_timeout` for one; `TestApp::db` is that same pool, so a test can hold its
/// connections to saturate the server.
pub async fn spawn_app_with_pool(
    settings: ServeArgs,
    max_connections: u32,
    acquire_timeout: std::time::Duration,
) -> TestApp {
    let database = ScratchDatabase::new().await;
    let db = database
        .connect_with(max_connections, acquire_timeout)
        .await;
    serve_on(database, db, settings).await
}

async fn serve_on(
    database: ScratchDatabase,
    db: DatabaseConnection,
    settings: ServeArgs,
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        camptrack::telemetry::init(camptrack::config::LogFormat::Text);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = oneshot::channel::<()>();
    let state = AppState::new(db.clone(), settings);
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    let admin_token = admin_token(&db).await;
    TestApp {
        address,
        db,
        http: reqwest::Client::new(),
        admin_token,
        shutdown: Some(tx),
        _database: database,
    }
}

/// Creates an admin account in `db` and returns a token for it.
pub async fn admin_token(db: &DatabaseConnection) -> String {
    let admin = accounts::create(
        db,
        None,
        AccountDraft {
            name: "test admin".into(),
            role: Role::Admin,
            organisation_id: None,
            area: Default::default(),
        },
    )
    .await
    .expect("admin account");
    let (_, secret) = accounts::create_token(db, None, admin.id, "tests".into(), None)
        .await
        .expect("admin token");
    secret.expose().to_owned()
}

async fn fresh_database() -> (String, Cleanup) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("camptrack_test_{}", Uuid::new_v4().simple());
            let template = postgres_template(&admin_url).await;
            let admin = Database::connect(&admin_url)
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            (
                replace_database(&admin_url, &name),
                Cleanup::Postgres { admin_url, name },
            )
        }
        _ => {
            let path = std::env::temp_dir()
                .join(format!("camptrack-test-{}.sqlite", Uuid::new_v4().simple()));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                Cleanup::Sqlite(path),
            )
        }
    }
}

/// The URL with its database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |s| s + 2) => &base[..slash],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A migrated template database, made once per migration set; tests clone it.
async fn postgres_template(admin_url: &str) -> String {
    use camptrack_migrations::MigratorTrait;
    let names: Vec<String> = camptrack_migrations::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in names.join(",").bytes() {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
    }
    let template = format!("camptrack_template_{hash:016x}");
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to TEST_DATABASE_URL");
    // One test at a time builds the template; the others wait, then find it.
    admin
        .execute_unprepared("SELECT pg_advisory_lock(7212001)")
        .await
        .expect("lock");
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 AS one FROM pg_database WHERE datname = '{template}'"),
        ))
        .await
        .expect("look up template")
        .is_some();
    if !exists {
        let building = format!("{template}_building");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .await
            .expect("drop stale");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {building}"))
            .await
            .expect("create template");
        let conn = Database::connect(replace_database(admin_url, &building))
            .await
            .expect("connect template");
        db::migrate(&conn).await.expect("migrate template");
        conn.close().await.ok();
        admin
            .execute_unprepared(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .await
            .expect("rename template");
    }
    admin
        .execute_unprepared("SELECT pg_advisory_unlock(7212001)")
        .await
        .expect("unlock");
    admin.close().await.ok();
    template
}

impl TestApp {
    /// Tells the server to stop: it refuses new connections and finishes the requests in
    /// flight.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a runtime of our own on a thread.
                let _ = std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    rt.block_on(async {
                        if let Ok(admin) = Database::connect(&admin_url).await {
                            let _ = admin
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                                ))
                                .await;
                            let _ = admin.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// An HTTP answer to a GraphQL request.
#[derive(Debug)]
pub struct GqlAnswer {
    /// HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl GqlAnswer {
    /// `data`, asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {:#}",
            self.body
        );
        &self.body["data"]
    }

    /// The first error's `extensions.code`.
    pub fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {:#}", self.body))
    }

    /// The first error's message.
    pub fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or("")
    }

    /// Every error's `extensions.fields[].field`, flattened.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|e| {
                e["extensions"]["fields"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter_map(|f| f["field"].as_str().map(str::to_owned))
            .collect()
    }
}

impl TestApp {
    /// The URL of this server's database (for a second process or a command on it).
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// POSTs a GraphQL request with `token` (if any).
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> GqlAnswer {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json().await.expect("JSON body");
        GqlAnswer { status, body }
    }

    /// As the admin.
    pub async fn admin(&self, query: &str, variables: Value) -> GqlAnswer {
        self.gql(Some(&self.admin_token), query, variables).await
    }

    /// Creates an organisation directly in storage and returns its id.
    pub async fn organisation(&self, code: &str) -> Uuid {
        let admin = self.admin_caller().await;
        organisations::create(
            &self.db,
            &admin,
            OrganisationDraft {
                code: code.into(),
                name: format!("{code} organisation"),
                acronym: None,
                org_type: OrganisationType::Ingo,
            },
        )
        .await
        .expect("organisation")
        .id
    }

    /// An account with `role`, organisation and area, and a token for it.
    pub async fn token_for(
        &self,
        role: Role,
        organisation_id: Option<Uuid>,
        area: camptrack::auth::AccountArea,
    ) -> String {
        let account = accounts::create(
            &self.db,
            None,
            AccountDraft {
                name: format!("{role} account"),
                role,
                organisation_id,
                area,
            },
        )
        .await
        .expect("account");
        accounts::create_token(&self.db, None, account.id, "test".into(), None)
            .await
            .expect("token")
            .1
            .expose()
            .to_owned()
    }

    /// The admin as a caller, for arranging data through storage.
    pub async fn admin_caller(&self) -> Caller {
        accounts::check_token(&self.db, &camptrack::auth::hash_token(&self.admin_token))
            .await
            .expect("auth")
            .into_caller()
            .expect("admin")
    }
}

/// Fixtures made through the API, as a client would.
pub mod fixtures {
    use serde_json::{Value, json};

    use super::TestApp;

    /// Creates round `number` (coverage Jan-Dec 2024).
    pub async fn round(app: &TestApp, number: i32) {
        app.admin(
            "mutation($i: RoundInput!) { createRound(input: $i) { number } }",
            json!({ "i": { "number": number, "name": format!("Round {number}"), "startsOn": "2024-01-01", "endsOn": "2024-12-31" } }),
        )
        .await
        .data();
    }

    /// A valid site input at (`lat`, `lon`) with admin p-codes NGA > NG002 > NG002001.
    pub fn site_input(code: &str, lat: f64, lon: f64) -> Value {
        json!({
            "code": code, "name": format!("Site {code}"), "siteType": "PLANNED_CAMP", "formalStatus": "FORMAL",
            "lat": lat, "lon": lon, "admin0Pcode": "NGA", "admin1Pcode": "NG002", "admin2Pcode": "NG002001",
            "capacity": 5000, "openedOn": "2023-01-01"
        })
    }

    /// Creates a site through the API; returns its id.
    pub async fn site(app: &TestApp, input: Value) -> String {
        let answer = app
            .admin(
                "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        answer.data()["createSite"]["id"]
            .as_str()
            .expect("site id")
            .to_owned()
    }

    /// A valid assessment input for `site_id`.
    pub fn assessment_input(
        site_id: &str,
        round: i32,
        assessed_on: &str,
        households: i64,
        individuals: i64,
    ) -> Value {
        json!({
            "clientUuid": uuid::Uuid::new_v4(), "siteId": site_id, "roundNumber": round, "assessedOn": assessed_on,
            "households": households, "individuals": individuals,
            "sadd": [ { "sex": "F", "ageMin": 0, "ageMax": 17, "count": individuals / 4 }, { "sex": "M", "ageMin": 0, "ageMax": 17, "count": individuals / 4 } ],
            "priorityNeeds": ["FOOD", "NFI"], "displacementReasons": ["CONFLICT"],
            "capturedAt": format!("{assessed_on}T09:00:00Z")
        })
    }

    /// The mutation that submits an assessment, selecting what tests check.
    pub const SUBMIT: &str = "mutation($i: AssessmentInput!) { submitAssessment(input: $i) { duplicate assessment { id version households reviewStatus } } }";

    /// Creates a warehouse through the API as `token` (the admin when `None`), run by the
    /// organisation `org` (omit for a partner's own); returns its id.
    pub async fn warehouse(
        app: &TestApp,
        token: Option<&str>,
        code: &str,
        org: Option<&str>,
    ) -> String {
        let input = json!({
            "code": code, "name": format!("Warehouse {code}"), "organisationCode": org,
            "lat": 11.85, "lon": 13.16, "admin0Pcode": "NGA", "admin1Pcode": "NG002", "isHub": true, "capacityM3": 1200.0
        });
        let answer = app
            .gql(
                Some(token.unwrap_or(&app.admin_token)),
                "mutation($i: WarehouseInput!) { createWarehouse(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        answer.data()["createWarehouse"]["id"]
            .as_str()
            .expect("warehouse id")
            .to_owned()
    }

    /// The mutation that records a movement, selecting what tests check.
    pub const MOVE: &str = "mutation($i: StockMovementInput!) { recordStockMovement(input: $i) { duplicate movements { id kind quantity occurredAt } } }";

    /// A movement input: `quantity` of `item` of `kind` at `warehouse` at `at` (RFC 3339).
    pub fn movement(warehouse: &str, item: &str, kind: &str, quantity: i64, at: &str) -> Value {
        json!({
            "clientUuid": uuid::Uuid::new_v4(), "warehouseId": warehouse, "itemCode": item,
            "kind": kind, "quantity": quantity, "occurredAt": at, "documentRef": "WB-0001"
        })
    }

    /// Records a movement as the admin and returns its id.
    pub async fn record(
        app: &TestApp,
        warehouse: &str,
        item: &str,
        kind: &str,
        quantity: i64,
        at: &str,
    ) -> String {
        let answer = app
            .admin(
                MOVE,
                json!({ "i": movement(warehouse, item, kind, quantity, at) }),
            )
            .await;
        answer.data()["recordStockMovement"]["movements"][0]["id"]
            .as_str()
            .expect("movement id")
            .to_owned()
    }

    /// The balance of `item` in `warehouse` at the end of `as_of` (today when `None`), as
    /// the admin.
    pub async fn balance(app: &TestApp, warehouse: &str, item: &str, as_of: Option<&str>) -> i64 {
        let answer = app
            .admin(
                "query($w: UUID!, $i: String!, $d: NaiveDate) { stockBalances(filter: { warehouseId: $w, itemCode: $i }, asOf: $d) { edges { node { quantity } } } }",
                json!({ "w": warehouse, "i": item, "d": as_of }),
            )
            .await;
        answer.data()["stockBalances"]["edges"]
            .as_array()
            .and_then(|e| e.first())
            .map_or(0, |e| {
                e["node"]["quantity"].as_i64().expect("a BigInt quantity")
            })
    }
}
