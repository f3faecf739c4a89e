//! Assessments: current figures follow the latest counted assessment, validation names
//! every field, replays are idempotent, edits keep every version.

use camptrack_tests::fixtures::{self, SUBMIT};
use camptrack_tests::{TestApp, spawn_app};
use serde_json::{Value, json};

async fn site_with_rounds(app: &TestApp) -> String {
    for n in 1..=3 {
        fixtures::round(app, n).await;
    }
    fixtures::site(
        app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await
}

async fn current(app: &TestApp, site: &str) -> Value {
    app.admin("query($id: UUID!) { site(id: $id) { current { households individuals assessedOn sadd { sex ageMin ageMax count } } } }", json!({ "id": site }))
        .await
        .data()["site"]["current"]
        .clone()
}

async fn submit(app: &TestApp, input: Value) -> Value {
    app.admin(SUBMIT, json!({ "i": input })).await.data()["submitAssessment"].clone()
}

#[tokio::test]
async fn current_figures_follow_the_newest_assessment_even_when_an_older_one_arrives_later() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    submit(
        &app,
        fixtures::assessment_input(&site, 2, "2024-06-01", 200, 1000),
    )
    .await;
    assert_eq!(current(&app, &site).await["households"], 200);
    // Round 1's form arrives late, from a device that was offline: it must not win.
    submit(
        &app,
        fixtures::assessment_input(&site, 1, "2024-03-01", 100, 500),
    )
    .await;
    let now = current(&app, &site).await;
    assert_eq!(
        (now["households"].clone(), now["assessedOn"].clone()),
        (json!(200), json!("2024-06-01"))
    );
    assert_eq!(
        now["sadd"][0],
        json!({ "sex": "F", "ageMin": 0, "ageMax": 17, "count": 250 })
    );
    // Same day: the later round wins, then the later capture.
    let mut same_day = fixtures::assessment_input(&site, 3, "2024-06-01", 300, 1500);
    same_day["capturedAt"] = json!("2024-06-01T08:00:00Z");
    submit(&app, same_day).await;
    assert_eq!(current(&app, &site).await["households"], 300);
}

#[tokio::test]
async fn rejecting_the_latest_assessment_falls_back_to_the_previous_one_and_approving_restores_it()
{
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    submit(
        &app,
        fixtures::assessment_input(&site, 1, "2024-03-01", 100, 500),
    )
    .await;
    let latest = submit(
        &app,
        fixtures::assessment_input(&site, 2, "2024-06-01", 200, 1000),
    )
    .await;
    let id = latest["assessment"]["id"].as_str().unwrap();
    let review = "mutation($id: UUID!, $v: Int!, $s: ReviewStatus!) { reviewAssessment(id: $id, version: $v, status: $s, note: \"double count\") { version reviewStatus } }";
    let rejected = app
        .admin(review, json!({ "id": id, "v": 1, "s": "REJECTED" }))
        .await;
    assert_eq!(
        rejected.data()["reviewAssessment"],
        json!({ "version": 2, "reviewStatus": "REJECTED" })
    );
    assert_eq!(current(&app, &site).await["households"], 100);
    app.admin(review, json!({ "id": id, "v": 2, "s": "APPROVED" }))
        .await
        .data();
    assert_eq!(current(&app, &site).await["households"], 200);
}

#[tokio::test]
async fn bad_counts_and_sadd_are_rejected_with_every_field_path_and_nothing_is_stored() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let mut input = fixtures::assessment_input(&site, 1, "2024-03-01", 100, 50);
    input["sadd"] = json!([
        { "sex": "F", "ageMin": 0, "ageMax": 5, "count": 40 },
        { "sex": "F", "ageMin": 5, "ageMax": 17, "count": 40 },
        { "sex": "M", "ageMin": 18, "ageMax": 4, "count": -1 }
    ]);
    input["arrivalsLast3Months"] = json!(-3);
    input["priorityNeeds"] = json!(["FOOD", "FOOD"]);
    input["indicators"] = json!({ "Not A Key": 1 });
    input["capturedLat"] = json!(12.0);
    let answer = app.admin(SUBMIT, json!({ "i": input })).await;
    assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
    let mut fields = answer.fields();
    fields.sort();
    let mut expected = vec![
        "arrivalsLast3Months",
        "capturedLat",
        "households",
        "indicators.Not A Key",
        "priorityNeeds.1",
        "sadd",
        "sadd.1",
        "sadd.2.ageMax",
        "sadd.2.count",
    ];
    expected.sort_unstable();
    assert_eq!(fields, expected);
    let stored = app.admin("{ assessments { totalCount } }", json!({})).await;
    assert_eq!(stored.data()["assessments"]["totalCount"], 0);
}

#[tokio::test]
async fn an_unknown_round_a_future_visit_and_an_unknown_site_are_rejected_clearly() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let round = app
        .admin(
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&site, 7, "2024-03-01", 10, 50) }),
        )
        .await;
    assert_eq!(
        (round.code(), round.fields()),
        ("BAD_USER_INPUT", vec!["roundNumber".to_owned()])
    );
    assert!(round.message().contains("round 7"), "{}", round.message());
    let future = app
        .admin(
            SUBMIT,
            json!({ "i": fixtures::assessment_input(&site, 1, "2099-01-01", 10, 50) }),
        )
        .await;
    assert_eq!(future.fields(), ["assessedOn"]);
    let nowhere = app.admin(SUBMIT, json!({ "i": fixtures::assessment_input(&uuid::Uuid::new_v4().to_string(), 1, "2024-03-01", 10, 50) })).await;
    assert_eq!(nowhere.fields(), ["siteId"]);
}

#[tokio::test]
async fn resubmitting_the_same_assessment_is_a_duplicate_and_changed_content_is_a_conflict() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let input = fixtures::assessment_input(&site, 1, "2024-03-01", 10, 50);
    let first = submit(&app, input.clone()).await;
    let again = submit(&app, input.clone()).await;
    assert_eq!(first["duplicate"], false);
    assert_eq!(again["duplicate"], true);
    assert_eq!(first["assessment"]["id"], again["assessment"]["id"]);
    let mut changed = input.clone();
    changed["households"] = json!(11);
    let conflict = app.admin(SUBMIT, json!({ "i": changed })).await;
    assert_eq!(conflict.code(), "CONFLICT");
    assert_eq!(
        conflict.body["errors"][0]["extensions"]["current"]["content"]["figures"]["households"],
        10
    );
    let count = app.admin("{ assessments { totalCount } }", json!({})).await;
    assert_eq!(count.data()["assessments"]["totalCount"], 1);
}

#[tokio::test]
async fn the_same_assessment_sent_concurrently_is_stored_once() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let input = fixtures::assessment_input(&site, 1, "2024-03-01", 10, 50);
    let sends = (0..6).map(|_| app.admin(SUBMIT, json!({ "i": input.clone() })));
    let answers = futures_util::future::join_all(sends).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|a| {
            a.data()["submitAssessment"]["assessment"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let fresh = answers
        .iter()
        .filter(|a| a.data()["submitAssessment"]["duplicate"] == false)
        .count();
    assert_eq!(fresh, 1);
    let count = app.admin("{ assessments { totalCount } }", json!({})).await;
    assert_eq!(count.data()["assessments"]["totalCount"], 1);
}

#[tokio::test]
async fn edits_keep_every_version_with_who_when_and_what_changed_and_stale_edits_conflict() {
    let app = spawn_app().await;
    let site = site_with_rounds(&app).await;
    let input = fixtures::assessment_input(&site, 1, "2024-03-01", 10, 50);
    let id = submit(&app, input.clone()).await["assessment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut content = input.clone();
    content
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k != "clientUuid" && k != "siteId");
    content["households"] = json!(12);
    let edit = "mutation($id: UUID!, $v: Int!, $c: AssessmentContentInput!) { updateAssessment(id: $id, version: $v, input: $c) { version households } }";
    assert_eq!(
        app.admin(edit, json!({ "id": id, "v": 1, "c": content }))
            .await
            .data()["updateAssessment"]["version"],
        2
    );
    content["households"] = json!(13);
    let stale = app
        .admin(edit, json!({ "id": id, "v": 1, "c": content }))
        .await;
    assert_eq!(stale.code(), "CONFLICT");
    assert_eq!(
        stale.body["errors"][0]["extensions"]["current"]["content"]["figures"]["households"],
        12
    );
    assert_eq!(current(&app, &site).await["households"], 12);
    let history = app.admin("query($id: UUID!) { assessment(id: $id) { history { version changedFields changedBy changedAt snapshot } } }", json!({ "id": id })).await;
    let versions = history.data()["assessment"]["history"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        versions[1]["changedFields"],
        json!(["content.figures.households"])
    );
    assert_eq!(
        versions[0]["snapshot"]["content"]["figures"]["households"],
        10
    );
    let me = app.admin("{ me { id } }", json!({})).await;
    assert_eq!(versions[1]["changedBy"], me.data()["me"]["id"]);
}
