//! API throughput under 64 concurrent connections: `site(id)` and
//! `sites(area: cell, first: 50)` through camptrack's GraphQL, each beside the bare
//! handler doing the same read, both servers in their own processes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use camptrack_geo::{Cell, Coordinates, Resolution};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::Section;
use super::bare::PAGE;
use super::servers::Api;
use crate::stats::{Timings, ms};

/// Concurrent connections.
const CLIENTS: usize = 64;

const SITE: &str =
    "query($id: UUID!) { site(id: $id) { id name current { households individuals } } }";
const SITES: &str = "query($c: [H3Cell!]!) { sites(area: { cells: $c }, first: 50) { edges { node { id name current { households individuals } } } } }";

/// The cell resolution of the `sites(area: cell)` runs.
const CELL_RES: u8 = 7;

/// Runs both throughput scenarios.
pub async fn run(
    s: &mut Section,
    camptrack: &Api,
    bare: &Api,
    points: &[(Uuid, f64, f64)],
    secs: u64,
) -> Result<(), String> {
    let _ = writeln!(
        s.markdown,
        "\n### API throughput: 64 concurrent connections, {secs} s per run\n"
    );
    let _ = writeln!(
        s.markdown,
        "camptrack is the release `camptrack` binary and the bare axum handler a second process (`camptrack-bench bare-server`), each with {} pooled database connections; the load generator is the bench process. All three share the machine's cores. camptrack runs with request logging off (`RUST_LOG=warn`), as the bare handler logs nothing.\n",
        super::servers::POOL
    );
    let ids: Arc<Vec<String>> = Arc::new(points.iter().map(|p| p.0.to_string()).collect());
    for id in ids.iter().take(8) {
        let (g, b) = (
            site_graphql(camptrack, id).await?,
            bare.get_json(&format!("/site/{id}")).await?,
        );
        if g != b {
            s.mismatches
                .push(format!("site({id}): GraphQL {g} vs bare handler {b}"));
        }
    }
    let (cells, note) = busy_cells(points)?;
    let cells = Arc::new(cells);
    for cell in cells.iter().take(8) {
        let (g, b) = (
            sites_graphql(camptrack, cell).await?,
            bare.get_json(&format!("/sites/{cell}")).await?,
        );
        if g != b {
            s.mismatches.push(format!(
                "sites(area: {cell}, first: {PAGE}): GraphQL {} sites vs bare handler {} (or they differ)",
                g.as_array().map_or(0, Vec::len),
                b.as_array().map_or(0, Vec::len)
            ));
        }
    }
    let _ = writeln!(
        s.markdown,
        "`sites(area: cell, first: 50)` rotates over {} resolution-{CELL_RES} cells {note}; answers of 8 ids and 8 cells were checked equal on both paths.\n",
        cells.len()
    );
    let _ = writeln!(
        s.markdown,
        "| query | path | requests/s | median ms | p99 ms | GraphQL / bare |"
    );
    let _ = writeln!(s.markdown, "|---|---|---|---|---|---|");
    let runs = [
        Query {
            name: "`site(id)`",
            keys: Arc::clone(&ids),
            graphql: |api, id| graphql(api, SITE, json!({ "id": id })),
            plain: |api, id| api.http.get(format!("{}/site/{id}", api.base)),
        },
        Query {
            name: "`sites(area: cell, first: 50)`",
            keys: Arc::clone(&cells),
            graphql: |api, cell| graphql(api, SITES, json!({ "c": [cell] })),
            plain: |api, cell| api.http.get(format!("{}/sites/{cell}", api.base)),
        },
    ];
    for q in runs {
        let g = load(camptrack, Arc::clone(&q.keys), secs, q.graphql).await?;
        let b = load(bare, q.keys, secs, q.plain).await?;
        let ratio = g.per_sec() / b.per_sec().max(1e-9);
        for (path, run) in [("GraphQL", &g), ("bare handler", &b)] {
            let _ = writeln!(
                s.markdown,
                "| {} | {path} | {:.0} | {} | {} | {} |",
                q.name,
                run.per_sec(),
                ms(run.times.median()),
                ms(run.times.p99()),
                if path == "GraphQL" {
                    format!(
                        "{:.0}% (target 50%{})",
                        ratio * 100.0,
                        if ratio >= 0.5 { ": met" } else { ": MISSED" }
                    )
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

/// A request for one key (a site id, a cell).
type Request = fn(&Api, &str) -> reqwest::RequestBuilder;

/// One query, on both paths.
struct Query {
    name: &'static str,
    keys: Arc<Vec<String>>,
    graphql: Request,
    plain: Request,
}

fn graphql(api: &Api, query: &str, variables: Json) -> reqwest::RequestBuilder {
    api.http
        .post(format!("{}/graphql", api.base))
        .bearer_auth(&api.token)
        .json(&json!({ "query": query, "variables": variables }))
}

/// Resolution-[`CELL_RES`] cells holding at least [`PAGE`] sites (up to 64, busiest
/// first), or the 8 busiest when none does, with a note saying which.
fn busy_cells(points: &[(Uuid, f64, f64)]) -> Result<(Vec<String>, String), String> {
    let res = Resolution::new(CELL_RES).map_err(|e| e.to_string())?;
    let mut counts: BTreeMap<Cell, usize> = BTreeMap::new();
    for p in points {
        if let Ok(c) = Coordinates::new(p.1, p.2) {
            *counts.entry(c.cell_at(res)).or_default() += 1;
        }
    }
    let mut busiest: Vec<(usize, Cell)> = counts.into_iter().map(|(c, n)| (n, c)).collect();
    busiest.sort_unstable_by(|a, b| b.cmp(a));
    let full = busiest.iter().take_while(|(n, _)| *n >= PAGE).count();
    let (taken, note) = if full > 0 {
        (
            full.min(64),
            format!("holding {PAGE} sites or more (pages are full)"),
        )
    } else {
        let most = busiest.first().map_or(0, |b| b.0);
        (
            busiest.len().min(8),
            format!("(none holds {PAGE} sites at this size: the 8 busiest, at most {most} sites)"),
        )
    };
    if taken == 0 {
        return Err("no sites to pick cells from".to_owned());
    }
    Ok((
        busiest[..taken]
            .iter()
            .map(|(_, c)| c.to_string())
            .collect(),
        note,
    ))
}

async fn site_graphql(api: &Api, id: &str) -> Result<Json, String> {
    let data = api.gql(SITE, json!({ "id": id })).await?;
    Ok(plain_site(&data["site"]))
}

async fn sites_graphql(api: &Api, cell: &str) -> Result<Json, String> {
    let data = api.gql(SITES, json!({ "c": [cell] })).await?;
    Ok(Json::Array(
        data["sites"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| plain_site(&e["node"]))
            .collect(),
    ))
}

/// A GraphQL site in the bare handler's shape.
fn plain_site(s: &Json) -> Json {
    json!({ "id": s["id"], "name": s["name"], "households": s["current"]["households"], "individuals": s["current"]["individuals"] })
}

/// What one load run did.
struct Run {
    requests: u64,
    times: Timings,
    secs: f64,
}

impl Run {
    fn per_sec(&self) -> f64 {
        self.requests as f64 / self.secs
    }
}

/// [`CLIENTS`] concurrent clients for `secs` seconds, each sending `request` for keys in
/// turn; any failed request fails the run.
async fn load(
    api: &Api,
    keys: Arc<Vec<String>>,
    secs: u64,
    request: Request,
) -> Result<Run, String> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for worker in 0..CLIENTS {
        let keys = Arc::clone(&keys);
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            let mut failures = Vec::new();
            let mut i = worker.wrapping_mul(7919);
            while Instant::now() < deadline {
                i = i.wrapping_add(104_729);
                let t = Instant::now();
                match request(&api, &keys[i % keys.len()])
                    .send()
                    .await
                    .and_then(reqwest::Response::error_for_status)
                {
                    Ok(r) => match r.bytes().await {
                        // A GraphQL error is answered with status 200.
                        Ok(body) if !contains(&body, b"\"errors\":") => times.push(t.elapsed()),
                        Ok(body) => failures.push(String::from_utf8_lossy(&body).into_owned()),
                        Err(e) => failures.push(e.to_string()),
                    },
                    Err(e) => failures.push(e.to_string()),
                }
            }
            (times, failures)
        }));
    }
    let mut all = Vec::new();
    let mut failures = Vec::new();
    for t in tasks {
        let (times, f) = t.await.map_err(|e| e.to_string())?;
        all.extend(times);
        failures.extend(f);
    }
    if let Some(first) = failures.first() {
        return Err(format!(
            "{} requests failed under load, the first: {first}",
            failures.len()
        ));
    }
    Ok(Run {
        requests: all.len() as u64,
        secs: started.elapsed().as_secs_f64(),
        times: Timings(all),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
