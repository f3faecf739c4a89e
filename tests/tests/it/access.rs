//! The role table of design.md, as a matrix: every role against every operation, and the
//! scoping rules (partner isolation, enumerator areas) on lists, single reads and nesting.

use camptrack::auth::AccountArea;
use camptrack_domain::codes::Role;
use camptrack_domain::pcode::PCode;
use camptrack_tests::fixtures::{self, SUBMIT};
use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

/// Everything a role may be asked to do, with the variables it needs.
fn operations(
    site_id: &str,
    assessment_id: &str,
    account_id: &str,
) -> Vec<(&'static str, String, Value)> {
    vec![
        ("createOrganisation", "mutation { createOrganisation(input: { code: \"NEWORG\", name: \"New\", orgType: INGO }) { id } }".into(), json!({})),
        ("createAccount", "mutation { createAccount(input: { name: \"x\", role: COORDINATOR }) { id } }".into(), json!({})),
        ("createToken", "mutation($a: UUID!) { createToken(accountId: $a, name: \"t\") { token } }".into(), json!({ "a": account_id })),
        ("createAdminArea", "mutation { createAdminArea(input: { pcode: \"SSD\", level: 0, nameEn: \"South Sudan\" }) { pcode } }".into(), json!({})),
        ("createRound", "mutation { createRound(input: { number: 9, name: \"R9\", startsOn: \"2024-01-01\", endsOn: \"2024-02-01\" }) { number } }".into(), json!({})),
        ("createSite", "mutation($i: SiteInput!) { createSite(input: $i) { id } }".into(), json!({ "i": fixtures::site_input("CCCM-NG002001-0999", 11.8, 13.1) })),
        ("closeSite", "mutation($id: UUID!) { closeSite(id: $id, version: 1, status: CLOSED, closedOn: \"2024-06-01\") { version } }".into(), json!({ "id": site_id })),
        ("submitAssessment", SUBMIT.into(), json!({ "i": fixtures::assessment_input(site_id, 1, "2024-03-02", 10, 50) })),
        ("reviewAssessment", "mutation($id: UUID!) { reviewAssessment(id: $id, version: 1, status: APPROVED) { version } }".into(), json!({ "id": assessment_id })),
        ("accounts", "{ accounts { totalCount } }".into(), json!({})),
        ("auditLog", "{ auditLog(first: 1) { totalCount } }".into(), json!({})),
        ("sites", "{ sites { totalCount } }".into(), json!({})),
        ("assessments", "{ assessments { totalCount } }".into(), json!({})),
        ("organisations", "{ organisations { totalCount } }".into(), json!({})),
        ("me", "{ me { role } }".into(), json!({})),
    ]
}

/// Expected outcome per operation, in the order of `operations`: `None` allowed, else the code.
fn expected(role: Option<Role>) -> [Option<&'static str>; 15] {
    const F: Option<&str> = Some("FORBIDDEN");
    const U: Option<&str> = Some("UNAUTHENTICATED");
    match role {
        None => [U, U, U, U, U, U, U, U, U, U, U, U, U, U, U],
        Some(Role::Admin) => [None; 15],
        Some(Role::Coordinator) => [
            F, F, F, F, None, None, None, None, None, F, None, None, None, None, None,
        ],
        Some(Role::Partner) => [F, F, F, F, F, F, F, F, F, F, F, None, None, None, None],
        Some(Role::Enumerator) => [F, F, F, F, F, F, F, None, F, F, F, None, None, None, None],
    }
}

struct World {
    app: TestApp,
    site_id: String,
    org_a: uuid::Uuid,
    org_b: uuid::Uuid,
}

async fn world() -> World {
    let app = spawn_app().await;
    let org_a = app.organisation("ORGA").await;
    let org_b = app.organisation("ORGB").await;
    fixtures::round(&app, 1).await;
    let site_id = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await;
    World {
        app,
        site_id,
        org_a,
        org_b,
    }
}

#[tokio::test]
async fn every_role_may_do_exactly_what_the_role_table_allows() {
    let w = world().await;
    let me = w.app.admin("{ me { id } }", json!({})).await;
    let account_id = me.data()["me"]["id"].as_str().unwrap().to_owned();
    for role in [
        None,
        Some(Role::Admin),
        Some(Role::Coordinator),
        Some(Role::Partner),
        Some(Role::Enumerator),
    ] {
        let org = role.filter(|r| r.needs_organisation()).map(|_| w.org_a);
        let token = match role {
            Some(r) => Some(w.app.token_for(r, org, AccountArea::default()).await),
            None => None,
        };
        // A fresh assessment per role, so each review sees version 1.
        let submitted = w
            .app
            .admin(
                SUBMIT,
                json!({ "i": fixtures::assessment_input(&w.site_id, 1, "2024-03-01", 10, 50) }),
            )
            .await;
        let assessment_id = submitted.data()["submitAssessment"]["assessment"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // A fresh site per role for closeSite.
        let code = format!(
            "CCCM-NG002001-{:04}",
            100 + role.map_or(0, |r| r as usize + 1)
        );
        let site_to_close = fixtures::site(&w.app, fixtures::site_input(&code, 11.85, 13.16)).await;
        for ((name, query, mut vars), want) in operations(&w.site_id, &assessment_id, &account_id)
            .into_iter()
            .zip(expected(role))
        {
            if name == "closeSite" {
                vars = json!({ "id": site_to_close });
            }
            // Admins and coordinators may both create rounds and sites: keep them unique.
            let suffix = role.map_or(0, |r| r as usize + 1);
            let query = query.replace("number: 9", &format!("number: {}", 90 + suffix));
            if name == "createSite" {
                vars = json!({ "i": fixtures::site_input(&format!("CCCM-NG002001-09{suffix:02}"), 11.8, 13.1) });
            }
            check(&w.app, token.as_deref(), role, name, &query, vars, want).await;
        }
    }
}

async fn check(
    app: &TestApp,
    token: Option<&str>,
    role: Option<Role>,
    name: &str,
    query: &str,
    vars: Value,
    want: Option<&str>,
) {
    let answer = app.gql(token, query, vars).await;
    match want {
        None => assert!(
            answer.body.get("errors").is_none(),
            "{role:?} {name}: expected success, got {:#}",
            answer.body
        ),
        Some(code) => assert_eq!(answer.code(), code, "{role:?} {name}: {:#}", answer.body),
    }
}

#[tokio::test]
async fn a_partner_sees_only_its_own_organisations_raw_assessments_on_every_surface() {
    let w = world().await;
    let enum_a = w
        .app
        .token_for(Role::Enumerator, Some(w.org_a), AccountArea::default())
        .await;
    let enum_b = w
        .app
        .token_for(Role::Enumerator, Some(w.org_b), AccountArea::default())
        .await;
    let partner_a = w
        .app
        .token_for(Role::Partner, Some(w.org_a), AccountArea::default())
        .await;
    let own = w
        .app
        .gql(
            Some(&enum_a),
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&w.site_id, 1, "2024-03-01", 10, 50) }),
        )
        .await;
    let own_id = own.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = w
        .app
        .gql(
            Some(&enum_b),
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&w.site_id, 1, "2024-03-02", 20, 90) }),
        )
        .await;
    let other_id = other.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let list = w
        .app
        .gql(
            Some(&partner_a),
            "{ assessments { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(list.data()["assessments"]["totalCount"], 1);
    assert_eq!(
        list.data()["assessments"]["edges"][0]["node"]["id"],
        own_id.as_str()
    );

    let single = w
        .app
        .gql(
            Some(&partner_a),
            "query($id: UUID!) { assessment(id: $id) { households } }",
            json!({ "id": other_id }),
        )
        .await;
    assert_eq!(single.code(), "NOT_FOUND");
    assert!(single.body["data"].is_null() || single.body["data"]["assessment"].is_null());

    let nested = w
        .app
        .gql(Some(&partner_a), "query($id: UUID!) { site(id: $id) { assessments { edges { node { id households } } } } }", json!({ "id": w.site_id }))
        .await;
    let edges = nested.data()["site"]["assessments"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["id"], own_id.as_str());

    let history = w
        .app
        .gql(
            Some(&partner_a),
            "{ sites { edges { node { current { assessmentId } } } } }",
            json!({}),
        )
        .await;
    assert!(
        history.data()["sites"]["edges"][0]["node"]["current"]["assessmentId"].is_null(),
        "partners must not learn other organisations' record ids"
    );
}

#[tokio::test]
async fn partners_see_small_site_figures_suppressed_not_zeroed() {
    let w = world().await;
    let partner = w
        .app
        .token_for(Role::Partner, Some(w.org_a), AccountArea::default())
        .await;
    let big = fixtures::site(
        &w.app,
        fixtures::site_input("CCCM-NG002001-0002", 11.80, 13.10),
    )
    .await;
    w.app
        .admin(
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&w.site_id, 1, "2024-03-01", 3, 12) }),
        )
        .await
        .data();
    w.app
        .admin(
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&big, 1, "2024-03-01", 40, 200) }),
        )
        .await
        .data();
    let query = "query($id: UUID!) { site(id: $id) { current { suppressed households individuals sadd { count } } } }";
    let small = w
        .app
        .gql(Some(&partner), query, json!({ "id": w.site_id }))
        .await;
    assert_eq!(
        small.data()["site"]["current"],
        json!({ "suppressed": true, "households": null, "individuals": null, "sadd": null })
    );
    let large = w.app.gql(Some(&partner), query, json!({ "id": big })).await;
    assert_eq!(large.data()["site"]["current"]["households"], 40);
    let coordinator = w
        .app
        .token_for(Role::Coordinator, None, AccountArea::default())
        .await;
    let seen = w
        .app
        .gql(Some(&coordinator), query, json!({ "id": w.site_id }))
        .await;
    assert_eq!(seen.data()["site"]["current"]["households"], 3);
}

#[tokio::test]
async fn an_enumerator_bound_to_an_area_sees_and_assesses_only_sites_in_it() {
    let w = world().await;
    let elsewhere = fixtures::site(
        &w.app,
        serde_json::json!({
            "code": "CCCM-SO1101-0001", "name": "Far away", "siteType": "SELF_SETTLED_CAMP", "formalStatus": "INFORMAL",
            "lat": 3.11, "lon": 43.65, "admin0Pcode": "SOM", "admin1Pcode": "SO11", "admin2Pcode": "SO1101"
        }),
    )
    .await;
    let area = AccountArea {
        cells: vec![],
        pcodes: vec![PCode::parse("p", "NG002").unwrap()],
    };
    let token = w.app.token_for(Role::Enumerator, Some(w.org_a), area).await;
    let sites = w
        .app
        .gql(
            Some(&token),
            "{ sites { totalCount edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(sites.data()["sites"]["totalCount"], 1);
    assert_eq!(
        sites.data()["sites"]["edges"][0]["node"]["id"],
        w.site_id.as_str()
    );
    let hidden = w
        .app
        .gql(
            Some(&token),
            "query($id: UUID!) { site(id: $id) { id } }",
            json!({ "id": elsewhere }),
        )
        .await;
    assert_eq!(hidden.code(), "NOT_FOUND");
    let refused = w
        .app
        .gql(
            Some(&token),
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&elsewhere, 1, "2024-03-01", 10, 50) }),
        )
        .await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert_eq!(refused.fields(), ["siteId"]);
    let accepted = w
        .app
        .gql(
            Some(&token),
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&w.site_id, 1, "2024-03-01", 10, 50) }),
        )
        .await;
    assert_eq!(accepted.data()["submitAssessment"]["duplicate"], false);

    // An area given as an H3 cell works the same way.
    let cell = camptrack_geo::Coordinates::new(11.84, 13.15)
        .unwrap()
        .cell_at(camptrack_geo::Resolution::new(5).unwrap());
    let by_cell = w
        .app
        .token_for(
            Role::Enumerator,
            Some(w.org_a),
            AccountArea {
                cells: vec![cell],
                pcodes: vec![],
            },
        )
        .await;
    let seen = w
        .app
        .gql(Some(&by_cell), "{ sites { totalCount } }", json!({}))
        .await;
    assert_eq!(seen.data()["sites"]["totalCount"], 1);
}

#[tokio::test]
async fn an_enumerator_cannot_edit_another_organisations_assessment() {
    let w = world().await;
    let enum_a = w
        .app
        .token_for(Role::Enumerator, Some(w.org_a), AccountArea::default())
        .await;
    let enum_b = w
        .app
        .token_for(Role::Enumerator, Some(w.org_b), AccountArea::default())
        .await;
    let input = fixtures::assessment_input(&w.site_id, 1, "2024-03-01", 10, 50);
    let submitted = w
        .app
        .gql(Some(&enum_a), SUBMIT, json!({ "i": input }))
        .await;
    let id = submitted.data()["submitAssessment"]["assessment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut content = input.clone();
    let obj = content.as_object_mut().unwrap();
    obj.remove("clientUuid");
    obj.remove("siteId");
    obj.insert("households".into(), json!(12));
    let edit = "mutation($id: UUID!, $c: AssessmentContentInput!) { updateAssessment(id: $id, version: 1, input: $c) { version households } }";
    let refused = w
        .app
        .gql(Some(&enum_b), edit, json!({ "id": id, "c": content }))
        .await;
    assert_eq!(refused.code(), "FORBIDDEN");
    let done = w
        .app
        .gql(Some(&enum_a), edit, json!({ "id": id, "c": content }))
        .await;
    assert_eq!(
        done.data()["updateAssessment"],
        json!({ "version": 2, "households": 12 })
    );
}
