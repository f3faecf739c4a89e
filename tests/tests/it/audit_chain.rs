//! The audit log is chained by hash in commit order by the background sealer; `camptrack
//! audit verify` walks the chain and names the first broken link. Tampering is done the
//! way an intruder would: directly in SQL.

use std::collections::HashSet;
use std::time::Duration;

use camptrack::config::ServeArgs;
use camptrack::storage::seal::{self, Broken};
use camptrack_tests::{TestApp, fixtures, on_postgres, spawn_app_with};
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value as SqlValue};
use serde_json::json;
use uuid::Uuid;

async fn app() -> TestApp {
    spawn_app_with(ServeArgs::parse_from([
        "serve",
        "--audit-seal-interval-ms",
        "20",
    ]))
    .await
}

/// Waits until the background sealer has sealed every entry. On PostgreSQL the horizon is
/// cluster-wide: a long transaction anywhere on a shared server (another suite, a
/// benchmark) delays sealing, so the bound is generous.
async fn all_sealed(app: &TestApp) -> seal::ChainStatus {
    for _ in 0..15_000 {
        let status = seal::status(&app.db).await.expect("status");
        if status.sealed == status.entries {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the sealer never caught up");
}

/// A statement with `?` placeholders written for the backend.
fn sql(app: &TestApp, text: &str, values: Vec<SqlValue>) -> Statement {
    let backend = app.db.get_database_backend();
    let text = if backend == DbBackend::Postgres {
        let mut out = String::new();
        let mut n = 0;
        for ch in text.chars() {
            if ch == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(ch);
            }
        }
        out
    } else {
        text.to_owned()
    };
    Statement::from_sql_and_values(backend, text, values)
}

/// The entry sealed at `position`.
async fn entry_at(app: &TestApp, position: i64) -> Uuid {
    app.db
        .query_one_raw(sql(
            app,
            "SELECT entry_id FROM audit_seal WHERE position = ?",
            vec![position.into()],
        ))
        .await
        .expect("query")
        .expect("link")
        .try_get::<Uuid>("", "entry_id")
        .expect("entry id")
}

/// Runs `camptrack audit verify` on the app's database: (success, stdout + stderr).
fn verify_command(app: &TestApp) -> (bool, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_camptrack-test-server"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", app.database_url())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run camptrack audit verify");
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// Writes a few audited records through the API.
async fn some_writes(app: &TestApp, n: i32) {
    for number in 1..=n {
        fixtures::round(app, number).await;
    }
}

#[tokio::test]
async fn concurrent_writers_and_sealers_seal_every_entry_exactly_once() {
    let app = app().await;
    // Writers over HTTP, and three extra sealers racing the server's own one.
    let mut tasks = Vec::new();
    for writer in 0..6 {
        let address = app.address.clone();
        let token = app.admin_token.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..12 {
                let code = format!("W{writer}X{i}");
                let body = json!({
                    "query": "mutation($i: OrganisationInput!) { createOrganisation(input: $i) { id } }",
                    "variables": { "i": { "code": code, "name": code, "orgType": "INGO" } }
                });
                let answer: serde_json::Value = http
                    .post(format!("{address}/graphql"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .expect("request")
                    .json()
                    .await
                    .expect("json");
                assert!(answer.get("errors").is_none(), "{answer:#}");
            }
        }));
    }
    let mut sealers = Vec::new();
    for _ in 0..3 {
        let db = app.db.clone();
        sealers.push(tokio::spawn(async move {
            for _ in 0..40 {
                seal::seal_pending(&db).await.expect("seal");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    for task in tasks.into_iter().chain(sealers) {
        task.await.expect("task");
    }
    let status = all_sealed(&app).await;
    assert!(status.entries >= 72, "{status:?}");
    // Positions 1..=n, each entry once, every entry sealed.
    let rows = app
        .db
        .query_all_raw(sql(
            &app,
            "SELECT position, entry_id FROM audit_seal ORDER BY position",
            vec![],
        ))
        .await
        .expect("links");
    let mut seen = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let position: i64 = row.try_get("", "position").expect("position");
        assert_eq!(position, i as i64 + 1, "positions are contiguous");
        let entry: Uuid = row.try_get("", "entry_id").expect("entry");
        assert!(seen.insert(entry), "entry {entry} sealed twice");
    }
    let ids = app
        .db
        .query_all_raw(sql(&app, "SELECT id FROM audit_log", vec![]))
        .await
        .expect("entries");
    let ids: HashSet<Uuid> = ids
        .iter()
        .map(|r| r.try_get("", "id").expect("id"))
        .collect();
    assert_eq!(seen, ids);
    let checked = seal::verify(&app.db).await.expect("verify");
    assert_eq!(checked.broken, None);
    assert_eq!(checked.checked, status.entries);
    assert_eq!(checked.head, status.head);
    let (ok, out) = verify_command(&app);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("{} links", status.entries)), "{out}");
    assert!(out.contains(status.head.as_deref().expect("head")), "{out}");
}

/// On PostgreSQL the log refuses UPDATE and DELETE; the intruder first disables that.
async fn disable_append_only(app: &TestApp) {
    if on_postgres() {
        let refused = app
            .db
            .execute_raw(sql(app, "UPDATE audit_log SET action = 'x'", vec![]))
            .await;
        let err = refused.expect_err("audit_log refuses UPDATE").to_string();
        assert!(err.contains("append-only"), "{err}");
        let refused = app
            .db
            .execute_raw(sql(app, "DELETE FROM audit_seal", vec![]))
            .await;
        assert!(refused.is_err(), "audit_seal refuses DELETE");
        app.db
            .execute_unprepared(
                "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only; \
                 ALTER TABLE audit_seal DISABLE TRIGGER audit_seal_append_only",
            )
            .await
            .expect("disable triggers");
    }
}

#[tokio::test]
async fn a_changed_entry_is_reported_as_the_first_broken_link() {
    let app = app().await;
    some_writes(&app, 6).await;
    all_sealed(&app).await;
    let victim = entry_at(&app, 3).await;
    disable_append_only(&app).await;
    app.db
        .execute_raw(sql(
            &app,
            "UPDATE audit_log SET action = 'round.delete' WHERE id = ?",
            vec![victim.into()],
        ))
        .await
        .expect("tamper");
    let checked = seal::verify(&app.db).await.expect("verify");
    match checked.broken {
        Some(Broken::HashMismatch {
            position,
            entry_id,
            expected,
            found,
        }) => {
            assert_eq!((position, entry_id), (3, victim));
            assert_ne!(expected, found);
        }
        other => panic!("expected a hash mismatch at link 3, got {other:?}"),
    }
    assert_eq!(checked.checked, 2);
    let (ok, out) = verify_command(&app);
    assert!(!ok, "verify must fail: {out}");
    assert!(out.contains(&victim.to_string()), "{out}");
    assert!(
        out.contains("link 3") && out.contains("expected hash"),
        "{out}"
    );
}

#[tokio::test]
async fn a_removed_link_and_a_forged_entry_are_reported() {
    let app = app().await;
    some_writes(&app, 5).await;
    let status = all_sealed(&app).await;
    disable_append_only(&app).await;
    // A forged entry slipped in before the head: never sealed.
    let forged = Uuid::from_u128(1);
    app.db
        .execute_raw(sql(
            &app,
            "INSERT INTO audit_log (id, at, action, entity, entity_id, xid) VALUES (?, ?, 'round.create', 'round', 'forged', 0)",
            vec![forged.into(), chrono::Utc::now().into()],
        ))
        .await
        .expect("forge");
    let checked = seal::verify(&app.db).await.expect("verify");
    assert_eq!(checked.broken, Some(Broken::Unsealed { entry_id: forged }));
    assert_eq!(checked.checked, status.sealed);
    let (ok, out) = verify_command(&app);
    assert!(!ok && out.contains(&forged.to_string()), "{out}");

    // Removing a link (and its entry) leaves a gap.
    let victim = entry_at(&app, 2).await;
    app.db
        .execute_raw(sql(
            &app,
            "DELETE FROM audit_seal WHERE position = 2",
            vec![],
        ))
        .await
        .expect("remove link");
    app.db
        .execute_raw(sql(
            &app,
            "DELETE FROM audit_log WHERE id = ?",
            vec![victim.into()],
        ))
        .await
        .expect("remove entry");
    let checked = seal::verify(&app.db).await.expect("verify");
    assert_eq!(checked.broken, Some(Broken::MissingLink { position: 2 }));
    let (ok, out) = verify_command(&app);
    assert!(!ok && out.contains("link 2 is missing"), "{out}");
}
