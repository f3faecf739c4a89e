//! `camptrack copy` moves a whole generated database (the demo generator) from SQLite to
//! the suite's backend (PostgreSQL when `TEST_DATABASE_URL` is set), verified by counts and
//! checksums; the same GraphQL questions get the same answers from a server on each, and
//! the audit chain still verifies on the copy.

use camptrack::config::ServeArgs;
use camptrack::storage::db::{self, DbSettings};
use camptrack::storage::seal;
use camptrack::{AppState, serve};
use camptrack_tests::{ScratchDatabase, admin_token};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use uuid::Uuid;

/// A SQLite file of its own, whatever backend the suite runs on.
struct SqliteFile(std::path::PathBuf);

impl SqliteFile {
    fn new() -> Self {
        Self(
            std::env::temp_dir().join(format!("camptrack-copy-{}.sqlite", Uuid::new_v4().simple())),
        )
    }

    fn url(&self) -> String {
        format!("sqlite://{}?mode=rwc", self.0.display())
    }
}

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

async fn open(url: &str) -> DatabaseConnection {
    let conn = db::connect(&DbSettings {
        url: url.to_owned(),
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(10),
        busy_timeout: std::time::Duration::from_secs(10),
    })
    .await
    .expect("connect");
    db::migrate(&conn).await.expect("migrate");
    conn
}

/// A server on `db`; stops when the sender drops.
async fn serve_on(db: DatabaseConnection) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("address"));
    let (tx, rx) = oneshot::channel::<()>();
    let state = AppState::new(db, ServeArgs::default());
    tokio::spawn(async move {
        serve(listener, state, async {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    (address, tx)
}

async fn ask(address: &str, token: &str, query: &str) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"].clone()
}

/// Runs `camptrack ARGS...`: (success, stdout + stderr).
pub(crate) fn camptrack(args: &[&str], database_url: Option<&str>) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_camptrack-test-server"));
    command.args(args).env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    let output = command.output().expect("run camptrack");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

const QUESTIONS: &[&str] = &[
    "{ displacement { sites assessedSites households individuals sadd { sex ageMin ageMax count } } }",
    "{ displacement(asOf: \"2024-06-30\") { sites assessedSites households individuals } }",
    "{ displacement(area: { near: { lat: 11.83, lon: 13.15, radiusMeters: 50000 } }) { sites households individuals } }",
    "{ sites(first: 100) { totalCount edges { node { id code name cell siteType operationalStatus location { lat lon } current { households individuals assessedOn } } } } }",
    "{ warehouses(first: 20) { totalCount edges { node { id code balances(first: 20) { edges { node { item { id code } quantity dispatchedInWindow daysOfCover } } } } } } }",
    "{ auditLog(first: 300) { edges { node { id action entity entityId before after } } } }",
];

#[tokio::test]
async fn a_generated_database_copied_answers_the_same_and_its_audit_chain_verifies() {
    let source_file = SqliteFile::new();
    let source = open(&source_file.url()).await;
    camptrack::demo::load(&source, 7, 60)
        .await
        .expect("demo data");
    let token = admin_token(&source).await;
    seal::seal_pending(&source).await.expect("seal");
    let source_chain = seal::verify(&source).await.expect("verify source");
    assert_eq!(source_chain.broken, None);

    let target = ScratchDatabase::new().await;
    let target_db = target.connect().await;
    let (ok, out) = camptrack(
        &["copy", "--from", &source_file.url(), "--to", &target.url],
        None,
    );
    assert!(ok, "{out}");
    assert!(out.contains("counts and checksums match"), "{out}");
    assert!(out.contains("site_assessments\t"), "{out}");

    // Copying again into the now non-empty target is refused without --replace.
    let (ok, out) = camptrack(
        &["copy", "--from", &source_file.url(), "--to", &target.url],
        None,
    );
    assert!(
        !ok && out.contains("not empty") && out.contains("--replace"),
        "{out}"
    );

    // The chain arrived whole and continues: the same head, and a new write seals on top.
    let target_chain = seal::verify(&target_db).await.expect("verify target");
    assert_eq!(target_chain.broken, None);
    assert_eq!(target_chain.head, source_chain.head);
    assert_eq!(target_chain.checked, source_chain.checked);
    let (ok, out) = camptrack(&["audit", "verify"], Some(&target.url));
    assert!(ok, "{out}");

    let (source_address, _stop_source) = serve_on(source.clone()).await;
    let (target_address, _stop_target) = serve_on(target_db.clone()).await;
    for question in QUESTIONS {
        let before = ask(&source_address, &token, question).await;
        let after = ask(&target_address, &token, question).await;
        assert_eq!(before, after, "{question}");
    }
    let totals = ask(&target_address, &token, QUESTIONS[0]).await;
    assert!(
        totals["displacement"]["households"].as_i64().unwrap_or(0) > 0,
        "{totals}"
    );

    // New writes on the copy join the chain after the copied links.
    ask(
        &target_address,
        &token,
        "mutation { createRound(input: { number: 99, name: \"After the move\", startsOn: \"2025-01-01\", endsOn: \"2025-02-01\" }) { number } }",
    )
    .await;
    // (On PostgreSQL the entry is sealed once every older transaction on the server ended.)
    let mut grown = seal::verify(&target_db).await.expect("verify grown");
    for _ in 0..600 {
        if grown.pending == 0 && grown.checked > source_chain.checked {
            break;
        }
        seal::seal_pending(&target_db).await.expect("seal target");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        grown = seal::verify(&target_db).await.expect("verify grown");
    }
    assert_eq!(grown.broken, None);
    assert!(grown.checked > source_chain.checked);
    assert_eq!(grown.pending, 0);

    // And back: the copy copied again equals the original, table by table.
    let back_file = SqliteFile::new();
    let (ok, out) = camptrack(
        &["copy", "--from", &target.url, "--to", &back_file.url()],
        None,
    );
    assert!(ok, "{out}");
    let (ok, original) = camptrack(&["checksums"], Some(&source_file.url()));
    assert!(ok, "{original}");
    let (ok, back) = camptrack(&["checksums"], Some(&back_file.url()));
    assert!(ok, "{back}");
    let differing: Vec<(&str, &str)> = original
        .lines()
        .zip(back.lines())
        .filter(|(a, b)| a != b)
        .collect();
    // Only the tables the new round touched differ (and the token's last use).
    assert!(differing.len() <= 5, "{differing:?}");
    for (a, _) in &differing {
        let table = a.split('\t').next().unwrap_or("");
        assert!(
            [
                "rounds",
                "audit_log",
                "audit_seal",
                "change_log",
                "api_tokens"
            ]
            .contains(&table),
            "{a}"
        );
    }
}

/// The checksums of every table, as `camptrack checksums` prints them.
fn checksums(url: &str) -> String {
    let (ok, out) = camptrack(&["checksums"], Some(url));
    assert!(ok, "{out}");
    out
}

/// Runs a PostgreSQL client tool; under CI its absence fails the test, elsewhere it skips.
fn pg_tool(tool: &str, args: &[&str]) -> Option<()> {
    match std::process::Command::new(tool).args(args).output() {
        Ok(output) => {
            assert!(
                output.status.success(),
                "{tool} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(())
        }
        Err(err) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{tool} is required under CI: {err}")
        }
        Err(err) => {
            eprintln!("skipping: {tool} unavailable ({err})");
            None
        }
    }
}

#[tokio::test]
async fn a_backup_restored_into_a_fresh_database_holds_the_same_data() {
    let live = ScratchDatabase::new().await;
    let db = live.connect().await;
    camptrack::demo::load(&db, 11, 30).await.expect("demo data");
    seal::seal_pending(&db).await.expect("seal");
    let original = checksums(&live.url);
    let head = seal::verify(&db).await.expect("verify").head;
    assert!(head.is_some());

    if camptrack_tests::on_postgres() {
        // pg_dump (custom format) and pg_restore into a database made for it.
        let admin_url = std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL");
        let dump = std::env::temp_dir().join(format!("camptrack-{}.dump", Uuid::new_v4().simple()));
        let dump_path = dump.display().to_string();
        let live_plain = live.url.split('?').next().unwrap_or(&live.url).to_owned();
        if pg_tool("pg_dump", &["-Fc", "-f", &dump_path, &live_plain]).is_none() {
            return;
        }
        let name = format!("camptrack_restore_{}", Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&admin_url).await.expect("admin");
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create");
        let restored = format!(
            "{}/{name}",
            live_plain
                .rsplit_once('/')
                .map_or(live_plain.as_str(), |(base, _)| base)
        );
        pg_tool(
            "pg_restore",
            &["--no-owner", "--exit-on-error", "-d", &restored, &dump_path],
        );
        let _ = std::fs::remove_file(&dump);
        assert_eq!(checksums(&restored), original);
        let (ok, out) = camptrack(&["audit", "verify"], Some(&restored));
        assert!(ok && out.contains(head.as_deref().unwrap_or("-")), "{out}");
        admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop");
    } else {
        // SQLite: `camptrack backup` (VACUUM INTO) while the server runs, then open the file.
        let (_address, _stop) = serve_on(db.clone()).await;
        let file = SqliteFile::new();
        let (ok, out) = camptrack(
            &["backup", "--to", &file.0.display().to_string()],
            Some(&live.url),
        );
        assert!(ok, "{out}");
        // An existing file is never overwritten.
        let (ok, out) = camptrack(
            &["backup", "--to", &file.0.display().to_string()],
            Some(&live.url),
        );
        assert!(!ok && out.contains("exists"), "{out}");
        assert_eq!(checksums(&file.url()), original);
        let (ok, out) = camptrack(&["audit", "verify"], Some(&file.url()));
        assert!(ok && out.contains(head.as_deref().unwrap_or("-")), "{out}");
    }
}
