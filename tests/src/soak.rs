//! The soak workload shared by the short soak test and the `soak` binary: clients that
//! each repeat a read, a batch write and a delta-sync page, retry deliberate `503`s as a
//! device would, and record what they were answered.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixtures;

/// The batch write.
const SUBMIT: &str = "mutation($items: [AssessmentInput!]!) { submitAssessments(items: $items) { accepted items { clientUuid status } } }";
/// The read: a page of sites and the displacement figures.
const READ: &str = "{ sites(first: 20) { totalCount edges { node { id code } } } displacement { households individuals } }";
/// The delta-sync page.
const SYNC: &str = "query($since: String) { changes(since: $since, first: 100) { nextCursor changes { entity entityId } } }";

/// What one or more soak clients saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// `503`s that carried `Retry-After` and `UNAVAILABLE` (deliberate load shedding).
    pub deliberate_503: u64,
    /// Client UUIDs the server answered `ACCEPTED` or `DUPLICATE` for.
    pub accepted: HashSet<String>,
    /// Answers that broke a rule (a `5xx` other than a deliberate `503`, an error, an item
    /// not accepted), described.
    pub violations: Vec<String>,
    /// Time to each answer.
    pub latencies: Vec<Duration>,
}

impl Tally {
    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: Tally) {
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.deliberate_503 += other.deliberate_503;
        self.accepted.extend(other.accepted);
        self.violations.extend(other.violations);
        self.latencies.extend(other.latencies);
    }

    /// Every answer counted.
    pub fn answered(&self) -> u64 {
        self.statuses.values().sum()
    }
}

/// An HTTP client that gives up only on a hung server (two minutes).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

/// Sends `query` until it is answered with something other than a deliberate `503`.
async fn until_served(
    http: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: &Value,
    tally: &mut Tally,
) -> Value {
    loop {
        let started = Instant::now();
        let response = http
            .post(format!("{address}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                tally.violations.push(format!("no answer: {e}"));
                return Value::Null;
            }
        };
        let status = response.status().as_u16();
        let retry = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.unwrap_or(Value::Null);
        tally.latencies.push(started.elapsed());
        *tally.statuses.entry(status).or_default() += 1;
        if status == 503 && retry && body["errors"][0]["extensions"]["code"] == "UNAVAILABLE" {
            tally.deliberate_503 += 1;
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        if status != 200 || body.get("errors").is_some() {
            tally.violations.push(format!("{status}: {body}"));
        }
        return body;
    }
}

/// One client: until `until`, or for `rounds` rounds when `until` is `None`, a read, a batch
/// write of `batch` new assessments at `site`, and a delta-sync page.
pub async fn worker(
    address: String,
    token: String,
    site: String,
    rounds: usize,
    until: Option<Instant>,
    batch: usize,
) -> Tally {
    let http = client();
    let mut tally = Tally::default();
    let mut cursor: Option<String> = None;
    let mut round = 0;
    loop {
        match until {
            Some(t) if Instant::now() >= t => break,
            None if round >= rounds => break,
            _ => {}
        }
        round += 1;
        until_served(&http, &address, &token, READ, &json!({}), &mut tally).await;
        let items: Vec<Value> = (0..batch)
            .map(|i| {
                let households = i64::try_from(10 + i).unwrap_or(10);
                fixtures::assessment_input(&site, 1, "2024-03-01", households, households * 5)
            })
            .collect();
        let answer = until_served(
            &http,
            &address,
            &token,
            SUBMIT,
            &json!({ "items": items }),
            &mut tally,
        )
        .await;
        for item in answer["data"]["submitAssessments"]["items"]
            .as_array()
            .into_iter()
            .flatten()
        {
            match item["status"].as_str() {
                Some("ACCEPTED" | "DUPLICATE") => {
                    tally
                        .accepted
                        .insert(item["clientUuid"].as_str().unwrap_or_default().to_owned());
                }
                other => tally.violations.push(format!("item {other:?}: {item}")),
            }
        }
        let feed = until_served(
            &http,
            &address,
            &token,
            SYNC,
            &json!({ "since": cursor }),
            &mut tally,
        )
        .await;
        cursor = feed["data"]["changes"]["nextCursor"]
            .as_str()
            .map(str::to_owned)
            .or(cursor);
    }
    tally
}

/// Round 1 and a site through the API at `address`; returns the site id.
pub async fn arrange(address: &str, token: &str) -> String {
    let http = client();
    let post = |query: &'static str, variables: Value| {
        let http = http.clone();
        async move {
            http.post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .expect("answer")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    post(
        "mutation($i: RoundInput!) { createRound(input: $i) { number } }",
        json!({ "i": { "number": 1, "name": "Round 1", "startsOn": "2024-01-01", "endsOn": "2024-12-31" } }),
    )
    .await;
    let site = post(
        "mutation($i: SiteInput!) { createSite(input: $i) { id } }",
        json!({ "i": fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15) }),
    )
    .await;
    site["data"]["createSite"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("site: {site}"))
        .to_owned()
}

/// How many of `accepted` the server at `address` knows, and its assessment count.
pub async fn stored(address: &str, token: &str, accepted: &HashSet<String>) -> (usize, u64) {
    let http = client();
    let total = http
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ assessments { totalCount } }" }))
        .send()
        .await
        .expect("answer")
        .json::<Value>()
        .await
        .expect("JSON")["data"]["assessments"]["totalCount"]
        .as_u64()
        .unwrap_or(0);
    let ids: Vec<&String> = accepted.iter().collect();
    let mut known = 0;
    for chunk in ids.chunks(100) {
        let answer: Value = http
            .post(format!("{address}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": "query($ids: [UUID!]!) { submissionStatus(clientUuids: $ids) { known } }", "variables": { "ids": chunk } }))
            .send()
            .await
            .expect("answer")
            .json()
            .await
            .expect("JSON");
        known += answer["data"]["submissionStatus"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|s| s["known"] == true)
            .count();
    }
    (known, total)
}
