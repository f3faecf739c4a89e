//! The role table of design.md ("Who may do what"), checked on every way in. The GraphQL
//! fields come from the schema itself (introspection), so a NEW query, mutation or
//! subscription without a row in `GRAPHQL` fails this test until someone states who may use
//! it. Each field is called as every role with the smallest valid arguments (built from the
//! argument types) and the answer is classified: refused (`FORBIDDEN`, or `UNAUTHENTICATED`
//! without a token) or let through to the data (anything else: data, `NOT_FOUND`,
//! `BAD_USER_INPUT`...). Row-level rules (a partner's own organisation, an enumerator's
//! area) are data-dependent and tested in `access.rs`; here they are `S` (scoped).
//!
//! Exports (`/export/...`) have rows in `HTTP`. Subscription fields are listed from the
//! schema like the others and need a row; they run over `/graphql/ws`, where
//! `subscriptions.rs` checks their scope.

use std::collections::{BTreeMap, BTreeSet};

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Map, Value, json};

/// What a role gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum O {
    /// Reaches the data.
    A,
    /// Refused: `FORBIDDEN` (`UNAUTHENTICATED` without a token).
    D,
    /// Allowed by role, narrowed by rows (own organisation, own area): either answer.
    S,
}
use O::{A, D, S};

/// Columns: anonymous, ADMIN, COORDINATOR, PARTNER, ENUMERATOR.
const GRAPHQL: &[(&str, [O; 5])] = &[
    // Reference data and who am I.
    ("Query.codeLists", [A, A, A, A, A]),
    ("Query.me", [D, A, A, A, A]),
    ("Query.organisations", [D, A, A, A, A]),
    ("Query.organisation", [D, A, A, A, A]),
    ("Query.accounts", [D, A, D, D, D]),
    ("Query.adminAreas", [D, A, A, A, A]),
    ("Query.adminArea", [D, A, A, A, A]),
    ("Query.rounds", [D, A, A, A, A]),
    ("Query.sites", [D, A, A, A, A]),
    ("Query.site", [D, A, A, A, A]),
    ("Query.assessments", [D, A, A, S, S]),
    ("Query.submissionStatus", [D, A, A, S, S]),
    ("Query.assessment", [D, A, A, S, S]),
    ("Query.items", [D, A, A, A, A]),
    ("Query.item", [D, A, A, A, A]),
    ("Query.kits", [D, A, A, A, A]),
    ("Query.kit", [D, A, A, A, A]),
    ("Query.warehouses", [D, A, A, S, S]),
    ("Query.warehouse", [D, A, A, S, S]),
    // Enumerators see warehouse names, never stock: their stock lists are empty.
    ("Query.stockBalances", [D, A, A, S, S]),
    ("Query.stockMovements", [D, A, A, S, S]),
    ("Query.stockMovement", [D, A, A, S, S]),
    ("Query.distributions", [D, A, A, S, S]),
    ("Query.distribution", [D, A, A, S, S]),
    ("Query.auditLog", [D, A, A, D, D]),
    ("Query.displacement", [D, A, A, A, S]),
    ("Query.displacementByCell", [D, A, A, A, S]),
    ("Query.displacementByAdmin", [D, A, A, A, S]),
    ("Query.displacementTrend", [D, A, A, A, S]),
    ("Query.changes", [D, A, A, S, S]),
    ("Query.openrosaSubmissions", [D, A, A, S, S]),
    // Organisations, accounts, tokens, admin areas: administrators only.
    ("Mutation.createOrganisation", [D, A, D, D, D]),
    ("Mutation.updateOrganisation", [D, A, D, D, D]),
    ("Mutation.createAccount", [D, A, D, D, D]),
    ("Mutation.disableAccount", [D, A, D, D, D]),
    ("Mutation.createToken", [D, A, D, D, D]),
    ("Mutation.revokeToken", [D, A, D, D, D]),
    ("Mutation.createAdminArea", [D, A, D, D, D]),
    ("Mutation.updateAdminArea", [D, A, D, D, D]),
    // Rounds and sites: coordinators.
    ("Mutation.createRound", [D, A, A, D, D]),
    ("Mutation.updateRound", [D, A, A, D, D]),
    ("Mutation.createSite", [D, A, A, D, D]),
    ("Mutation.updateSite", [D, A, A, D, D]),
    ("Mutation.closeSite", [D, A, A, D, D]),
    ("Mutation.reopenSite", [D, A, A, D, D]),
    // Assessments: coordinators, and enumerators in their area; never partners.
    ("Mutation.submitAssessment", [D, A, A, D, S]),
    ("Mutation.submitAssessments", [D, A, A, D, S]),
    ("Mutation.updateAssessments", [D, A, A, D, S]),
    ("Mutation.updateAssessment", [D, A, A, D, S]),
    ("Mutation.reviewAssessment", [D, A, A, D, D]),
    // The item catalogue: coordinators.
    ("Mutation.createItem", [D, A, A, D, D]),
    ("Mutation.updateItem", [D, A, A, D, D]),
    ("Mutation.createKit", [D, A, A, D, D]),
    ("Mutation.updateKit", [D, A, A, D, D]),
    // Warehouses and stock: coordinators, partners as their own organisation.
    ("Mutation.createWarehouse", [D, A, A, S, D]),
    ("Mutation.updateWarehouse", [D, A, A, S, D]),
    ("Mutation.recordStockMovement", [D, A, A, S, D]),
    ("Mutation.recordStockMovements", [D, A, A, S, D]),
    ("Mutation.transferStock", [D, A, A, S, D]),
    ("Mutation.correctStockMovement", [D, A, A, S, D]),
    // Distributions: coordinators, partners as their own organisation, enumerators in
    // their area.
    ("Mutation.recordDistribution", [D, A, A, S, S]),
    ("Mutation.submitDistributions", [D, A, A, S, S]),
    ("Mutation.updateDistribution", [D, A, A, S, S]),
    ("Mutation.setDistributionStatus", [D, A, A, S, S]),
    // Coordinator insight: the gap questions are aggregates (partners see small figures
    // suppressed, enumerators their area); the 4W is built from raw distribution rows.
    ("Query.sitesWithoutDistribution", [D, A, A, A, S]),
    ("Query.needsVsReached", [D, A, A, A, S]),
    ("Query.staleSites", [D, A, A, A, S]),
    ("Query.arrivalSpikes", [D, A, A, A, S]),
    ("Query.multiPartnerCoverage", [D, A, A, A, S]),
    ("Query.displacementFlows", [D, A, A, A, S]),
    ("Query.activities", [D, A, A, S, S]),
    // Webhooks: coordinators, partners for their own organisation; never enumerators.
    ("Query.webhooks", [D, A, A, S, D]),
    ("Query.webhook", [D, A, A, S, D]),
    ("Mutation.createWebhook", [D, A, A, S, D]),
    ("Mutation.pauseWebhook", [D, A, A, S, D]),
    ("Mutation.resumeWebhook", [D, A, A, S, D]),
    ("Mutation.deleteWebhook", [D, A, A, S, D]),
    ("Mutation.rotateWebhookSecret", [D, A, A, S, D]),
    ("Mutation.redeliverWebhookDelivery", [D, A, A, S, D]),
    // Live updates: the lists' scope (checked over /graphql/ws in subscriptions.rs).
    ("Subscription.assessmentChanges", [D, A, A, S, S]),
    ("Subscription.distributionChanges", [D, A, A, S, S]),
    ("Subscription.stockMovementChanges", [D, A, A, S, S]),
];

/// OpenRosa and other plain HTTP ways in: (method, path after the base, expected).
/// `{token}` routes are called as `/key/<token>/openrosa/...`.
const HTTP: &[(&str, &str, [O; 5])] = &[
    ("GET", "/openrosa/formList", [D, A, A, S, A]),
    ("GET", "/openrosa/submission", [D, A, A, S, A]),
    ("GET", "/key/{token}/openrosa/formList", [D, A, A, S, A]),
    // Exports: the lists' scope; stock is never an enumerator's.
    ("GET", "/export/sites.csv", [D, A, A, A, A]),
    ("GET", "/export/sites.geojson", [D, A, A, A, A]),
    ("GET", "/export/assessments.csv", [D, A, A, S, S]),
    ("GET", "/export/distributions.csv", [D, A, A, S, S]),
    ("GET", "/export/stock-movements.csv", [D, A, A, S, D]),
    ("GET", "/export/stock-balances.csv", [D, A, A, S, D]),
    ("GET", "/export/displacement-by-cell.csv", [D, A, A, A, S]),
    ("GET", "/export/displacement-by-admin.csv", [D, A, A, A, S]),
    (
        "GET",
        "/export/activities.csv?from=2024-01-01&to=2024-12-31&groupBy=STATUS",
        [D, A, A, S, S],
    ),
    (
        "GET",
        "/export/sites-without-distribution.csv?days=30",
        [D, A, A, A, S],
    ),
    ("GET", "/export/stale-sites.csv?days=30", [D, A, A, A, S]),
    (
        "GET",
        "/export/arrival-spikes.csv?threshold=10",
        [D, A, A, A, S],
    ),
    ("GET", "/key/{token}/export/sites.csv", [D, A, A, A, A]),
];

const ROLES: [&str; 5] = ["anonymous", "ADMIN", "COORDINATOR", "PARTNER", "ENUMERATOR"];

const TYPE_REF: &str =
    "kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The schema's types by name.
async fn types(app: &TestApp) -> BTreeMap<String, Value> {
    let query = format!(
        "{{ __schema {{ queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }} types {{ name kind isOneOf enumValues {{ name }} inputFields {{ name defaultValue type {{ {TYPE_REF} }} }} fields {{ name args {{ name defaultValue type {{ {TYPE_REF} }} }} type {{ {TYPE_REF} }} }} }} }} }}"
    );
    let answer = app.admin(&query, json!({})).await;
    answer.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
        .collect()
}

/// `Type!`, `[Type!]` ... as written in a variable definition.
fn type_text(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_text(&t["ofType"])),
        "LIST" => format!("[{}]", type_text(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

/// The named type under the wrappers.
fn named(t: &Value) -> &Value {
    if t["ofType"].is_object() {
        named(&t["ofType"])
    } else {
        t
    }
}

/// A valid H3 cell (resolution 7, in Maiduguri).
fn cell() -> String {
    let ll = h3o::LatLng::new(11.84, 13.15).unwrap();
    ll.to_cell(h3o::Resolution::Seven).to_string()
}

/// The smallest value of type `t` that passes GraphQL validation.
fn value(t: &Value, types: &BTreeMap<String, Value>) -> Value {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => value(&t["ofType"], types),
        "LIST" => json!([value(&t["ofType"], types)]),
        _ => {
            let name = t["name"].as_str().unwrap();
            let def = &types[name];
            match def["kind"].as_str().unwrap() {
                "ENUM" => def["enumValues"][0]["name"].clone(),
                "INPUT_OBJECT" => {
                    let mut obj = Map::new();
                    let fields = def["inputFields"].as_array().unwrap();
                    if def["isOneOf"] == true {
                        // The cells variant: the simplest.
                        let f = fields
                            .iter()
                            .find(|f| f["name"] == "cells")
                            .unwrap_or(&fields[0]);
                        obj.insert(
                            f["name"].as_str().unwrap().to_owned(),
                            value(&f["type"], types),
                        );
                    } else {
                        for f in fields {
                            if f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null() {
                                obj.insert(
                                    f["name"].as_str().unwrap().to_owned(),
                                    value(&f["type"], types),
                                );
                            }
                        }
                    }
                    Value::Object(obj)
                }
                _ => match name {
                    "UUID" => json!(uuid::Uuid::new_v4()),
                    "Int" | "BigInt" => json!(1),
                    "Float" => json!(1.0),
                    "Boolean" => json!(false),
                    "NaiveDate" => json!("2024-01-01"),
                    "DateTime" => json!("2999-01-01T00:00:00Z"),
                    "H3Cell" => json!(cell()),
                    "JSON" => json!({}),
                    _ => json!("x"),
                },
            }
        }
    }
}

/// The operation calling `field` of the root `root` with its required arguments.
fn operation(root: &str, field: &Value, types: &BTreeMap<String, Value>) -> (String, Value) {
    let mut defs = Vec::new();
    let mut args = Vec::new();
    let mut vars = Map::new();
    for (i, arg) in field["args"].as_array().unwrap().iter().enumerate() {
        if arg["type"]["kind"] != "NON_NULL" || !arg["defaultValue"].is_null() {
            continue;
        }
        let var = format!("a{i}");
        defs.push(format!("${var}: {}", type_text(&arg["type"])));
        args.push(format!("{}: ${var}", arg["name"].as_str().unwrap()));
        vars.insert(var, value(&arg["type"], types));
    }
    let leaf = matches!(
        named(&field["type"])["kind"].as_str(),
        Some("SCALAR" | "ENUM")
    );
    let name = field["name"].as_str().unwrap();
    let op = match root {
        "Mutation" => "mutation",
        _ => "query",
    };
    let defs = if defs.is_empty() {
        String::new()
    } else {
        format!("({})", defs.join(", "))
    };
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("({})", args.join(", "))
    };
    let selection = if leaf { "" } else { " { __typename }" };
    (
        format!("{op}{defs} {{ {name}{args}{selection} }}"),
        Value::Object(vars),
    )
}

/// Whether the answer refused the caller.
fn refused(body: &Value) -> bool {
    body["errors"].as_array().into_iter().flatten().any(|e| {
        matches!(
            e["extensions"]["code"].as_str(),
            Some("FORBIDDEN" | "UNAUTHENTICATED")
        )
    })
}

fn check(observed: bool, expected: O) -> bool {
    match expected {
        A => !observed,
        D => observed,
        S => true,
    }
}

/// Tokens per column (anonymous first).
async fn callers(app: &TestApp) -> Vec<Option<String>> {
    let org = app.organisation("NRC").await;
    let area = AccountArea {
        cells: vec![camptrack_geo::Cell::from(
            h3o::LatLng::new(11.84, 13.15)
                .unwrap()
                .to_cell(h3o::Resolution::Five),
        )],
        pcodes: Vec::new(),
    };
    vec![
        None,
        Some(app.admin_token.clone()),
        Some(
            app.token_for(Role::Coordinator, None, AccountArea::default())
                .await,
        ),
        Some(
            app.token_for(Role::Partner, Some(org), AccountArea::default())
                .await,
        ),
        Some(app.token_for(Role::Enumerator, Some(org), area).await),
    ]
}

#[tokio::test]
async fn every_graphql_field_and_http_route_answers_each_role_as_the_role_table_says() {
    let app = spawn_app().await;
    let types = types(&app).await;
    let callers = callers(&app).await;
    let table: BTreeMap<&str, [O; 5]> = GRAPHQL.iter().copied().collect();
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for root in ["Query", "Mutation", "Subscription"] {
        let Some(def) = types.get(root) else { continue };
        for field in def["fields"].as_array().unwrap() {
            let key = format!("{root}.{}", field["name"].as_str().unwrap());
            seen.insert(key.clone());
            let Some(expected) = table.get(key.as_str()) else {
                failures.push(format!(
                    "{key}: no row in the role table (authorization.rs)"
                ));
                continue;
            };
            if root == "Subscription" {
                // Called over /graphql/ws; the subscription tests check the row.
                continue;
            }
            let (query, vars) = operation(root, field, &types);
            for (col, token) in callers.iter().enumerate() {
                let answer = app.gql(token.as_deref(), &query, vars.clone()).await;
                let observed = refused(&answer.body);
                if !check(observed, expected[col]) {
                    failures.push(format!(
                        "{key} as {}: expected {:?}, got {}: {}",
                        ROLES[col],
                        expected[col],
                        if observed { "refused" } else { "through" },
                        answer.body
                    ));
                }
            }
        }
    }
    for key in table.keys() {
        if !seen.contains(*key) {
            failures.push(format!("{key}: a row for a field the schema does not have"));
        }
    }
    for (method, path, expected) in HTTP {
        for (col, token) in callers.iter().enumerate() {
            let url = match (path.contains("{token}"), token) {
                (true, Some(t)) => format!("{}{}", app.address, path.replace("{token}", t)),
                (true, None) => format!("{}{}", app.address, path.replace("{token}", "ct_none")),
                (false, _) => format!("{}{path}", app.address),
            };
            let mut request = app.http.request(method.parse().unwrap(), url);
            if let (false, Some(t)) = (path.contains("{token}"), token) {
                // OpenRosa clients send HTTP Basic; everything else a bearer token.
                request = if path.starts_with("/openrosa") {
                    request.basic_auth("device", Some(t))
                } else {
                    request.bearer_auth(t)
                };
            }
            let status = request.send().await.expect("answer").status().as_u16();
            let observed = status == 401 || status == 403;
            if !check(observed, expected[col]) {
                failures.push(format!(
                    "{method} {path} as {}: expected {:?}, got HTTP {status}",
                    ROLES[col], expected[col]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
