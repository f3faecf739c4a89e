//! Tokens: unknown, revoked, expired and disabled ones are refused; the secret is never stored.

use camptrack_domain::codes::Role;
use camptrack_tests::spawn_app;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

const ME: &str = "{ me { name role } }";

/// The first error's `extensions.reason`: why a token was refused.
fn reason(answer: &camptrack_tests::GqlAnswer) -> &str {
    answer.body["errors"][0]["extensions"]["reason"]
        .as_str()
        .unwrap_or_else(|| panic!("no reason in {:#}", answer.body))
}

/// Asks `/export/sites.csv` with `token`: the export path's status.
/// The coordinator's account edge (`{ node { <fields> } }`), as the administrator lists it.
async fn coordinator_account(app: &camptrack_tests::TestApp, fields: &str) -> serde_json::Value {
    let accounts = app
        .admin(
            &format!("{{ accounts(first: 10) {{ edges {{ node {{ {fields} }} }} }} }}"),
            json!({}),
        )
        .await;
    accounts.data()["accounts"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["role"] == "COORDINATOR")
        .unwrap()
        .clone()
}

async fn export_status(app: &camptrack_tests::TestApp, token: &str) -> u16 {
    app.http
        .get(format!("{}/export/sites.csv", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_valid_token_identifies_its_account() {
    let app = spawn_app().await;
    let answer = app.admin(ME, json!({})).await;
    assert_eq!(answer.data()["me"]["role"], "ADMIN");
}

#[tokio::test]
async fn an_unknown_token_is_unauthenticated_with_401() {
    let app = spawn_app().await;
    let answer = app.gql(Some("ct_not-a-real-token"), ME, json!({})).await;
    assert_eq!(answer.status, 401);
    assert_eq!(answer.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_malformed_authorization_header_is_unauthenticated() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(format!("{}/graphql", app.address))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn without_a_token_only_code_lists_and_introspection_answer() {
    let app = spawn_app().await;
    let lists = app
        .gql(
            None,
            "{ codeLists(name: \"SiteType\") { values { code labelEn labelFr } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lists.data()["codeLists"][0]["values"][0]["code"],
        "PLANNED_CAMP"
    );
    let me = app.gql(None, ME, json!({})).await;
    assert_eq!(me.code(), "UNAUTHENTICATED");
    let schema = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(schema.data()["__schema"]["queryType"]["name"], "Query");
}

// The token is used just before, so this server holds it in its token cache: revoking it
// through the API must reach the very next request on every path.
#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    let app = spawn_app().await;
    let token = app
        .token_for(Role::Coordinator, None, Default::default())
        .await;
    for _ in 0..2 {
        assert_eq!(
            app.gql(Some(&token), ME, json!({})).await.data()["me"]["role"],
            "COORDINATOR"
        );
    }
    assert_eq!(export_status(&app, &token).await, 200);
    let coordinator = coordinator_account(&app, "id role tokens { id }").await;
    let token_id = coordinator["node"]["tokens"][0]["id"].as_str().unwrap();
    app.admin(
        "mutation($id: UUID!) { revokeToken(id: $id) { revokedAt } }",
        json!({ "id": token_id }),
    )
    .await
    .data();
    let refused = app.gql(Some(&token), ME, json!({})).await;
    assert_eq!(
        (refused.status, refused.code(), reason(&refused)),
        (401, "UNAUTHENTICATED", "REVOKED")
    );
    assert_eq!(export_status(&app, &token).await, 401);
}

// As for revocation, the token is in this server's token cache when the account is disabled.
#[tokio::test]
async fn a_disabled_account_cannot_use_its_tokens() {
    let app = spawn_app().await;
    let created = app
        .admin(
            "mutation { createAccount(input: { name: \"Ops\", role: COORDINATOR }) { id } }",
            json!({}),
        )
        .await;
    let id = created.data()["createAccount"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app
        .admin("mutation($id: UUID!) { createToken(accountId: $id, name: \"laptop\") { token apiToken { name } } }", json!({ "id": id }))
        .await;
    let secret = token.data()["createToken"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("ct_"));
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.data()["me"]["name"],
        "Ops"
    );
    app.admin(
        "mutation($id: UUID!) { disableAccount(id: $id) { disabledAt } }",
        json!({ "id": id }),
    )
    .await
    .data();
    let refused = app.gql(Some(&secret), ME, json!({})).await;
    assert_eq!(
        (refused.code(), reason(&refused)),
        ("UNAUTHENTICATED", "ACCOUNT_DISABLED")
    );
    assert_eq!(export_status(&app, &secret).await, 401);
}

#[tokio::test]
async fn an_expired_token_is_refused_and_a_past_expiry_cannot_be_set() {
    let app = spawn_app().await;
    let me = app.admin("{ me { id } }", json!({})).await;
    let id = me.data()["me"]["id"].as_str().unwrap().to_owned();
    let past = app
        .admin("mutation($id: UUID!) { createToken(accountId: $id, name: \"old\", expiresAt: \"2020-01-01T00:00:00Z\") { token } }", json!({ "id": id }))
        .await;
    assert_eq!(past.code(), "BAD_USER_INPUT");
    assert_eq!(past.fields(), ["expiresAt"]);
    // Storage accepts any expiry, so a token that expired a second ago can be made directly.
    let account = uuid::Uuid::parse_str(&id).unwrap();
    let expired = chrono::Utc::now() - chrono::Duration::seconds(1);
    let (_, secret) = camptrack::storage::accounts::create_token(
        &app.db,
        None,
        account,
        "expired".into(),
        Some(expired),
    )
    .await
    .unwrap();
    let secret = secret.expose().to_owned();
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.code(),
        "UNAUTHENTICATED"
    );
}

// The token is cached by its first use, and its expiry comes well within the cache's
// lifetime for an entry: the cache must still refuse it from its expiry on.
#[tokio::test]
async fn a_token_used_just_before_its_expiry_is_refused_after_it() {
    let app = spawn_app().await;
    let me = app.admin("{ me { id } }", json!({})).await;
    let account = uuid::Uuid::parse_str(me.data()["me"]["id"].as_str().unwrap()).unwrap();
    let expires_at = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (_, secret) = camptrack::storage::accounts::create_token(
        &app.db,
        None,
        account,
        "short".into(),
        Some(expires_at),
    )
    .await
    .unwrap();
    let secret = secret.expose().to_owned();
    assert_eq!(
        app.gql(Some(&secret), ME, json!({})).await.data()["me"]["role"],
        "ADMIN"
    );
    let left = (expires_at - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(left + std::time::Duration::from_millis(50)).await;
    let refused = app.gql(Some(&secret), ME, json!({})).await;
    assert_eq!(
        (refused.code(), reason(&refused)),
        ("UNAUTHENTICATED", "EXPIRED")
    );
}

#[tokio::test]
async fn a_used_token_shows_when_it_was_last_used() {
    let app = spawn_app().await;
    let token = app
        .token_for(Role::Coordinator, None, Default::default())
        .await;
    for _ in 0..3 {
        app.gql(Some(&token), ME, json!({})).await.data();
    }
    let coordinator = coordinator_account(&app, "role tokens { lastUsedAt }").await;
    assert!(coordinator["node"]["tokens"][0]["lastUsedAt"].is_string());
}

#[tokio::test]
async fn only_a_hash_of_each_token_is_stored() {
    let app = spawn_app().await;
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT token_hash FROM api_tokens",
        ))
        .await
        .unwrap();
    let hashes: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String>("", "token_hash").unwrap())
        .collect();
    assert!(!hashes.is_empty());
    assert!(
        hashes
            .iter()
            .all(|h| h.len() == 64 && *h != app.admin_token)
    );
    assert!(hashes.contains(&camptrack::auth::hash_token(&app.admin_token)));
}
