//! Coordinator insight against brute force: every gap query and the 4W roll-up on
//! generated data (the shared seeded generator, plus distributions recorded over the API
//! by several organisations in every status) must equal a recomputation from the
//! generator's own records, page by page; partners see only their own organisation's 4W
//! rows and small figures as `suppressed`; bad inputs name their field.

use std::collections::{BTreeMap, BTreeSet};

use camptrack::demo::generator::{DemoData, Spec};
use camptrack::demo::stock::DemoStock;
use camptrack_domain::codes::{ReviewStatus, Role};
use camptrack_tests::{TestApp, fixtures, spawn_app};
use chrono::{Datelike, Days, NaiveDate};
use h3o::{CellIndex, LatLng, Resolution};
use serde_json::{Value, json};

/// A distribution as the brute force sees it.
#[derive(Debug, Clone)]
struct D {
    site: usize,
    org: String,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    status: &'static str,
    hh: i64,
    ind: i64,
    lines: Vec<(String, i64)>,
    funder: Option<String>,
    project: String,
    modality: &'static str,
}

impl D {
    fn end(&self) -> NaiveDate {
        self.ends.unwrap_or(self.starts).max(self.starts)
    }
    fn reaches(&self) -> bool {
        matches!(self.status, "COMPLETED" | "ONGOING")
    }
    fn overlaps(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.starts <= to && self.end() >= from
    }
}

struct World {
    app: TestApp,
    data: DemoData,
    ids: Vec<String>,
    dists: Vec<D>,
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn open_on(data: &DemoData, i: usize, d: NaiveDate) -> bool {
    let s = &data.sites[i];
    s.opened_on <= d && s.closed_on.is_none_or(|c| c > d)
}

/// Each site's counted assessments on or before `as_of`, latest first.
fn history(data: &DemoData, as_of: NaiveDate) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); data.sites.len()];
    for (i, a) in data.assessments.iter().enumerate() {
        if a.review_status != ReviewStatus::Rejected && a.assessed_on <= as_of {
            out[a.site_index].push(i);
        }
    }
    let key = |i: &usize| {
        let a = &data.assessments[*i];
        (a.assessed_on, a.round_number, a.captured_at, a.client_uuid)
    };
    for h in &mut out {
        h.sort_by_key(|i| std::cmp::Reverse(key(i)));
    }
    out
}

async fn world() -> World {
    let app = spawn_app().await;
    let spec = Spec {
        seed: 23,
        sites: 300,
        rounds: 3,
        ..Spec::demo()
    };
    let loaded = camptrack::demo::load_spec(&app.db, &spec)
        .await
        .expect("load");
    let ids: Vec<String> = loaded.site_ids.iter().map(ToString::to_string).collect();
    let data = loaded.data;
    let mut dists: Vec<D> = data
        .stock
        .distributions
        .iter()
        .map(|d| D {
            site: d.site_index,
            org: d.organisation.clone(),
            starts: d.starts_on,
            ends: None,
            status: "COMPLETED",
            hh: i64::from(d.households),
            ind: i64::from(d.individuals),
            lines: d
                .lines
                .iter()
                .map(|(k, given, _)| (k.clone(), *given))
                .collect(),
            funder: d.funding.clone(),
            project: d.project_code.clone(),
            modality: "IN_KIND",
        })
        .collect();
    // More organisations at the same sites and elsewhere, in every status, some running
    // several days: cash distributions of buckets (WASH) and of kits without stock.
    let statuses = ["COMPLETED", "ONGOING", "PLANNED", "CANCELLED", "COMPLETED"];
    let orgs = ["NRC", "IRC", "UNHCR"];
    let mut targets: Vec<usize> = dists.iter().map(|d| d.site).take(25).collect();
    targets.extend((0..data.sites.len()).step_by(17));
    for (n, &site) in targets.iter().enumerate() {
        let starts = day("2024-03-01") + Days::new((n as u64 * 11) % 200);
        let ends = (n % 3 == 0).then(|| starts + Days::new(4));
        let status = statuses[n % statuses.len()];
        let hh = 3 + (n as i64 * 7) % 90;
        let goods = if n % 4 == 0 { "NFI-KIT-STD" } else { "BUCKET" };
        let line = if goods == "BUCKET" {
            json!({ "itemCode": goods, "quantityDistributed": hh })
        } else {
            json!({ "kitCode": goods, "quantityDistributed": hh })
        };
        let d = D {
            site,
            org: orgs[n % orgs.len()].to_owned(),
            starts,
            ends,
            status,
            hh,
            ind: hh * 5,
            lines: vec![(goods.to_owned(), hh)],
            funder: (n % 2 == 0).then(|| "ECHO".to_owned()),
            project: format!("CASH-{n:03}"),
            modality: "CASH",
        };
        let input = json!({
            "clientUuid": uuid::Uuid::new_v4(), "siteId": ids[site],
            "implementingOrganisationCode": d.org, "fundingOrganisationCode": d.funder,
            "projectCode": format!("CASH-{n:03}"), "startsOn": starts, "endsOn": ends,
            "modality": "CASH", "status": if status == "CANCELLED" { "PLANNED" } else { status },
            "households": hh, "individuals": hh * 5, "noShows": 0, "sadd": [], "lines": [line]
        });
        let recorded = app
            .admin(
                "mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id version } } }",
                json!({ "i": input }),
            )
            .await;
        let recorded = recorded.data()["recordDistribution"]["distribution"].clone();
        if status == "CANCELLED" {
            app.admin(
                "mutation($id: UUID!, $v: Int!) { setDistributionStatus(id: $id, version: $v, status: CANCELLED) { status } }",
                json!({ "id": recorded["id"], "v": recorded["version"] }),
            )
            .await
            .data();
        }
        dists.push(d);
    }
    World {
        app,
        data,
        ids,
        dists,
    }
}

/// Every node of a connection at `path`, reading pages of 23 with `$after`.
async fn all_nodes(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    vars: Value,
    field: &str,
) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut v = vars.clone();
        v["after"] = json!(after);
        let token = token.unwrap_or(&app.admin_token);
        let answer = app.gql(Some(token), query, v).await;
        let conn = answer.data()[field].clone();
        for e in conn["edges"].as_array().unwrap() {
            out.push((e["cursor"].as_str().unwrap().to_owned(), e["node"].clone()));
        }
        if conn["pageInfo"]["hasNextPage"] == false {
            assert_eq!(
                conn["totalCount"].as_u64().unwrap() as usize,
                out.len(),
                "{field} totalCount"
            );
            return out;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

const PAGE: &str = "totalCount pageInfo { hasNextPage endCursor } edges { cursor node {";

fn goods_match(line: &str, goods: &Value) -> bool {
    if let Some(kit) = goods["kitCode"].as_str() {
        return line == kit;
    }
    if let Some(item) = goods["itemCode"].as_str() {
        return line == item
            || DemoStock::kit_contents(line)
                .iter()
                .any(|(i, _)| *i == item);
    }
    if goods["sector"] == "WASH" {
        return line == "BUCKET";
    }
    true
}

fn in_area(w: &World, area: &Option<CellIndex>, i: usize) -> bool {
    area.is_none_or(|c| {
        let s = &w.data.sites[i];
        LatLng::new(s.lat, s.lon).unwrap().to_cell(c.resolution()) == c
    })
}

fn area_input(area: &Option<CellIndex>) -> Value {
    area.map_or(Value::Null, |c| json!({ "cells": [c.to_string()] }))
}

/// Sites sorted by id (the lists' order), restricted to the area.
fn ordered(w: &World, area: &Option<CellIndex>) -> Vec<usize> {
    let mut v: Vec<usize> = (0..w.ids.len()).filter(|&i| in_area(w, area, i)).collect();
    v.sort_by(|a, b| w.ids[*a].cmp(&w.ids[*b]));
    v
}

fn population(w: &World, h: &[Vec<usize>], i: usize) -> Value {
    h[i].first().map_or(Value::Null, |&a| {
        let a = &w.data.assessments[a];
        json!({ "households": a.figures.households, "individuals": a.figures.individuals, "assessedOn": a.assessed_on })
    })
}

async fn check_undistributed(
    w: &World,
    area: &Option<CellIndex>,
    as_of: NaiveDate,
    days: u64,
    goods: Value,
) {
    let q = format!(
        "query($a: AreaInput, $asOf: NaiveDate, $days: Int!, $g: GoodsInput, $after: String) {{ sitesWithoutDistribution(area: $a, asOf: $asOf, days: $days, goods: $g, first: 23, after: $after) {{ {PAGE} site {{ id }} population {{ households individuals assessedOn }} lastDistributionOn }} }} }} }}"
    );
    let got = all_nodes(
        &w.app,
        None,
        &q,
        json!({ "a": area_input(area), "asOf": as_of, "days": days, "g": goods }),
        "sitesWithoutDistribution",
    )
    .await;
    let since = as_of - Days::new(days);
    let h = history(&w.data, as_of);
    let mut want = Vec::new();
    for i in ordered(w, area) {
        if !open_on(&w.data, i, as_of) {
            continue;
        }
        let last = w
            .dists
            .iter()
            .filter(|d| {
                d.site == i
                    && d.reaches()
                    && d.starts <= as_of
                    && d.lines.iter().any(|(g, _)| goods_match(g, &goods))
            })
            .map(|d| d.end().min(as_of))
            .max();
        if last.is_some_and(|l| l >= since) {
            continue;
        }
        want.push((w.ids[i].clone(), json!({ "site": { "id": w.ids[i] }, "population": population(w, &h, i), "lastDistributionOn": last })));
    }
    assert!(!want.is_empty());
    assert_eq!(got, want, "sitesWithoutDistribution {goods}");
}

async fn check_stale(w: &World, area: &Option<CellIndex>, as_of: NaiveDate, days: u64) {
    let q = format!(
        "query($a: AreaInput, $asOf: NaiveDate, $days: Int!, $after: String) {{ staleSites(area: $a, asOf: $asOf, days: $days, first: 23, after: $after) {{ {PAGE} site {{ id }} neverAssessed daysSinceAssessed population {{ households individuals assessedOn }} }} }} }} }}"
    );
    let got = all_nodes(
        &w.app,
        None,
        &q,
        json!({ "a": area_input(area), "asOf": as_of, "days": days }),
        "staleSites",
    )
    .await;
    let since = as_of - Days::new(days);
    let h = history(&w.data, as_of);
    let mut want = Vec::new();
    for i in ordered(w, area) {
        if !open_on(&w.data, i, as_of) {
            continue;
        }
        let latest = h[i].first().map(|&a| w.data.assessments[a].assessed_on);
        if latest.is_some_and(|l| l >= since) {
            continue;
        }
        want.push((w.ids[i].clone(), json!({ "site": { "id": w.ids[i] }, "neverAssessed": latest.is_none(), "daysSinceAssessed": latest.map(|l| (as_of - l).num_days()), "population": population(w, &h, i) })));
    }
    assert!(!want.is_empty());
    assert_eq!(got, want, "staleSites");
}

async fn check_spikes(
    w: &World,
    area: &Option<CellIndex>,
    as_of: NaiveDate,
    threshold: Option<i64>,
    multiple: Option<f64>,
) {
    let q = format!(
        "query($a: AreaInput, $asOf: NaiveDate, $t: Int, $m: Float, $after: String) {{ arrivalSpikes(area: $a, asOf: $asOf, threshold: $t, multiple: $m, first: 23, after: $after) {{ {PAGE} site {{ id }} rules arrivalsLast3Months previousAssessedOn previousArrivalsLast3Months population {{ households }} }} }} }} }}"
    );
    let got = all_nodes(
        &w.app,
        None,
        &q,
        json!({ "a": area_input(area), "asOf": as_of, "t": threshold, "m": multiple }),
        "arrivalSpikes",
    )
    .await;
    let h = history(&w.data, as_of);
    let mut want = Vec::new();
    for i in ordered(w, area) {
        if !open_on(&w.data, i, as_of) || h[i].is_empty() {
            continue;
        }
        let latest = &w.data.assessments[h[i][0]];
        let previous = h[i].get(1).map(|&p| &w.data.assessments[p]);
        let Some(arr) = latest.figures.arrivals_3m.map(i64::from) else {
            continue;
        };
        let prev = previous.and_then(|p| p.figures.arrivals_3m).map(i64::from);
        let mut rules = Vec::new();
        if threshold.is_some_and(|t| arr > t) {
            rules.push("THRESHOLD");
        }
        if let (Some(m), Some(p)) = (multiple, prev)
            && arr as f64 > m * p as f64
        {
            rules.push("MULTIPLE");
        }
        if rules.is_empty() {
            continue;
        }
        want.push((w.ids[i].clone(), json!({ "site": { "id": w.ids[i] }, "rules": rules, "arrivalsLast3Months": arr, "previousAssessedOn": previous.map(|p| p.assessed_on), "previousArrivalsLast3Months": prev, "population": { "households": latest.figures.households } })));
    }
    assert!(!want.is_empty());
    assert_eq!(got, want, "arrivalSpikes");
}

async fn check_needs(
    w: &World,
    area: &Option<CellIndex>,
    from: NaiveDate,
    to: NaiveDate,
    group_by: &str,
    res: i32,
    level: i32,
) {
    let q = format!(
        "query($a: AreaInput, $from: NaiveDate!, $to: NaiveDate!, $by: NeedsGrouping!, $res: Int, $level: Int, $after: String) {{ needsVsReached(area: $a, from: $from, to: $to, groupBy: $by, resolution: $res, level: $level, first: 23, after: $after) {{ {PAGE} site {{ id }} cell pcode sites suppressed households householdsInNeed householdsReached individualsReached gap }} }} }} }}"
    );
    let got = all_nodes(&w.app, None, &q, json!({ "a": area_input(area), "from": from, "to": to, "by": group_by, "res": res, "level": level }), "needsVsReached").await;
    let h = history(&w.data, to);
    let mut groups: BTreeMap<String, [i64; 6]> = BTreeMap::new();
    for i in ordered(w, area) {
        if !open_on(&w.data, i, to) {
            continue;
        }
        let s = &w.data.sites[i];
        let key = match group_by {
            "SITE" => w.ids[i].clone(),
            "CELL" => LatLng::new(s.lat, s.lon)
                .unwrap()
                .to_cell(Resolution::try_from(res as u8).unwrap())
                .to_string(),
            _ => [
                Some(s.admin0.clone()),
                Some(s.admin1.clone()),
                Some(s.admin2.clone()),
            ][level as usize]
                .clone()
                .unwrap_or_default(),
        };
        let g = groups.entry(key).or_default();
        g[0] += 1;
        if let Some(&a) = h[i].first() {
            let f = &w.data.assessments[a].figures;
            g[1] += i64::from(f.households);
            if f.priority_needs
                .iter()
                .take(3)
                .any(|n| n.to_string() == "NFI")
            {
                g[2] += i64::from(f.households);
            }
        }
        for d in w
            .dists
            .iter()
            .filter(|d| d.site == i && d.reaches() && d.overlaps(from, to))
        {
            g[3] += d.hh;
            g[4] += d.ind;
        }
    }
    let want: Vec<(String, Value)> = groups
        .into_iter()
        .map(|(k, g)| {
            let node = json!({
                "site": if group_by == "SITE" { json!({ "id": k }) } else { Value::Null },
                "cell": if group_by == "CELL" { json!(k) } else { Value::Null },
                "pcode": if group_by == "ADMIN" && !k.is_empty() { json!(k) } else { Value::Null },
                "sites": g[0], "suppressed": false, "households": g[1], "householdsInNeed": g[2],
                "householdsReached": g[3], "individualsReached": g[4], "gap": (g[2] - g[3]).max(0)
            });
            (k, node)
        })
        .collect();
    assert!(
        want.iter().any(|(_, n)| n["householdsInNeed"] != 0)
            && want.iter().any(|(_, n)| n["householdsReached"] != 0)
    );
    assert_eq!(got, want, "needsVsReached {group_by}");
}

async fn check_multi_partner(w: &World, area: &Option<CellIndex>, from: NaiveDate, to: NaiveDate) {
    let q = format!(
        "query($a: AreaInput, $from: NaiveDate!, $to: NaiveDate!, $after: String) {{ multiPartnerCoverage(area: $a, from: $from, to: $to, first: 23, after: $after) {{ {PAGE} site {{ id }} organisations {{ organisation {{ code }} distributions households individuals }} householdsReported householdsDoubleCountedAtMost householdsDoubleCountedAtLeast }} }} }} }}"
    );
    let mut got = all_nodes(
        &w.app,
        None,
        &q,
        json!({ "a": area_input(area), "from": from, "to": to }),
        "multiPartnerCoverage",
    )
    .await;
    for (_, n) in &mut got {
        n["organisations"]
            .as_array_mut()
            .unwrap()
            .sort_by_key(|o| o["organisation"]["code"].as_str().unwrap().to_owned());
    }
    let h = history(&w.data, to);
    let mut want = Vec::new();
    for i in ordered(w, area) {
        let mut orgs: BTreeMap<&str, [i64; 3]> = BTreeMap::new();
        for d in w
            .dists
            .iter()
            .filter(|d| d.site == i && d.reaches() && d.overlaps(from, to))
        {
            let o = orgs.entry(d.org.as_str()).or_default();
            o[0] += 1;
            o[1] += d.hh;
            o[2] += d.ind;
        }
        if orgs.len() < 2 {
            continue;
        }
        let sum: i64 = orgs.values().map(|o| o[1]).sum();
        let max = orgs.values().map(|o| o[1]).max().unwrap();
        let pop = h[i]
            .first()
            .map_or(0, |&a| i64::from(w.data.assessments[a].figures.households));
        want.push((w.ids[i].clone(), json!({
            "site": { "id": w.ids[i] },
            "organisations": orgs.iter().map(|(c, o)| json!({ "organisation": { "code": c }, "distributions": o[0], "households": o[1], "individuals": o[2] })).collect::<Vec<_>>(),
            "householdsReported": sum, "householdsDoubleCountedAtMost": sum - max,
            "householdsDoubleCountedAtLeast": (sum - pop).max(0).min(sum - max)
        })));
    }
    if area.is_none() {
        assert!(!want.is_empty());
    }
    assert_eq!(got, want, "multiPartnerCoverage");
}

/// Origin, host, and (sites, households, individuals).
type FlowTruth = (Option<String>, Option<String>, [i64; 3]);

async fn check_flows(w: &World, area: &Option<CellIndex>, as_of: NaiveDate, level: i32) {
    let q = format!(
        "query($a: AreaInput, $asOf: NaiveDate, $level: Int!, $after: String) {{ displacementFlows(area: $a, asOf: $asOf, level: $level, first: 23, after: $after) {{ {PAGE} originPcode hostPcode sites suppressed households individuals }} }} }} }}"
    );
    let got = all_nodes(
        &w.app,
        None,
        &q,
        json!({ "a": area_input(area), "asOf": as_of, "level": level }),
        "displacementFlows",
    )
    .await;
    let h = history(&w.data, as_of);
    // Keyed as the server keys (and orders) them: `origin|host`, empty for a missing p-code.
    let mut groups: BTreeMap<String, FlowTruth> = BTreeMap::new();
    for i in ordered(w, area) {
        let Some(&a) = h[i].first().filter(|_| open_on(&w.data, i, as_of)) else {
            continue;
        };
        let a = &w.data.assessments[a];
        let s = &w.data.sites[i];
        let (origin, host) = if level == 1 {
            (a.origin_admin1.clone(), Some(s.admin1.clone()))
        } else {
            (a.origin_admin2.clone(), Some(s.admin2.clone()))
        };
        let g = groups
            .entry(format!(
                "{}|{}",
                origin.clone().unwrap_or_default(),
                host.clone().unwrap_or_default()
            ))
            .or_insert((origin, host, [0; 3]));
        g.2[0] += 1;
        g.2[1] += i64::from(a.figures.households);
        g.2[2] += i64::from(a.figures.individuals);
    }
    let want: Vec<(String, Value)> = groups
        .into_iter()
        .map(|(key, (origin, host, g))| {
            (key, json!({ "originPcode": origin, "hostPcode": host, "sites": g[0], "suppressed": false, "households": g[1], "individuals": g[2] }))
        })
        .collect();
    assert!(want.len() > 1);
    assert_eq!(got, want, "displacementFlows {level}");
}

const DIMENSIONS: [&str; 11] = [
    "IMPLEMENTING_ORGANISATION",
    "FUNDING_ORGANISATION",
    "PROJECT",
    "SECTOR",
    "GOODS",
    "MODALITY",
    "STATUS",
    "ADMIN1",
    "ADMIN2",
    "CELL",
    "MONTH",
];

/// What a 4W roll-up asks for.
struct Ask<'a> {
    by: &'a [&'a str],
    statuses: &'a [&'a str],
    goods: Value,
    resolution: Option<u8>,
}

fn by<'a>(dims: &'a [&'a str]) -> Ask<'a> {
    Ask {
        by: dims,
        statuses: &[],
        goods: Value::Null,
        resolution: None,
    }
}

async fn check_activities(
    w: &World,
    token: Option<&str>,
    org: Option<&str>,
    area: &Option<CellIndex>,
    from: NaiveDate,
    to: NaiveDate,
    ask: &Ask<'_>,
) {
    let by = ask.by;
    let q = format!(
        "query($a: AreaInput, $from: NaiveDate!, $to: NaiveDate!, $by: [ActivityDimension!], $st: [DistributionStatus!], $g: GoodsInput, $res: Int, $after: String) {{ activities(area: $a, from: $from, to: $to, groupBy: $by, statuses: $st, goods: $g, resolution: $res, first: 23, after: $after) {{ totals {{ distributions sites householdsReached individualsReached quantityDistributed firstDay lastDay }} {PAGE} implementingOrganisationCode fundingOrganisationCode projectCode modality status admin1Pcode admin2Pcode cell goodsCode sector month measures {{ distributions sites householdsReached individualsReached quantityDistributed firstDay lastDay }} }} }} }} }}"
    );
    let got = all_nodes(
        &w.app,
        token,
        &q,
        json!({ "a": area_input(area), "from": from, "to": to, "by": by, "st": ask.statuses, "g": ask.goods, "res": ask.resolution }),
        "activities",
    )
    .await;
    let mut v = json!({ "a": area_input(area), "from": from, "to": to, "by": by, "st": ask.statuses, "g": ask.goods, "res": ask.resolution, "after": null });
    v["after"] = Value::Null;
    let totals_answer = w
        .app
        .gql(Some(token.unwrap_or(&w.app.admin_token)), &q, v)
        .await;
    let totals = totals_answer.data()["activities"]["totals"].clone();
    let on = |d: &str| by.contains(&d);
    let order: Vec<&str> = DIMENSIONS.iter().copied().filter(|d| on(d)).collect();
    struct Acc {
        node: Value,
        ids: BTreeSet<usize>,
        sites: BTreeSet<usize>,
        hh: i64,
        ind: i64,
        qty: i64,
        first: Option<NaiveDate>,
        last: Option<NaiveDate>,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    let mut all: Vec<usize> = Vec::new();
    for (n, d) in w.dists.iter().enumerate() {
        if !d.overlaps(from, to)
            || !in_area(w, area, d.site)
            || org.is_some_and(|o| o != d.org)
            || (!ask.statuses.is_empty() && !ask.statuses.contains(&d.status))
            || !d.lines.iter().any(|(g, _)| goods_match(g, &ask.goods))
        {
            continue;
        }
        all.push(n);
        let s = &w.data.sites[d.site];
        for (goods, qty) in &d.lines {
            let sector = if goods == "BUCKET" {
                "WASH"
            } else {
                "SHELTER_NFI"
            };
            let month = d.starts.with_day(1).unwrap().to_string();
            let cell = ask.resolution.map_or(String::new(), |r| {
                LatLng::new(s.lat, s.lon)
                    .unwrap()
                    .to_cell(Resolution::try_from(r).unwrap())
                    .to_string()
            });
            let part = |dim: &str| -> String {
                match dim {
                    "IMPLEMENTING_ORGANISATION" => d.org.clone(),
                    "STATUS" => d.status.to_owned(),
                    "ADMIN1" => s.admin1.clone(),
                    "GOODS" => goods.clone(),
                    "SECTOR" => sector.to_owned(),
                    "MONTH" => month.clone(),
                    "FUNDING_ORGANISATION" => d.funder.clone().unwrap_or_default(),
                    "PROJECT" => d.project.clone(),
                    "MODALITY" => d.modality.to_owned(),
                    "ADMIN2" => s.admin2.clone(),
                    "CELL" => cell.clone(),
                    other => panic!("not brute-forced: {other}"),
                }
            };
            let key = order.iter().map(|d| part(d)).collect::<Vec<_>>().join("|");
            let node = json!({
                "implementingOrganisationCode": if on("IMPLEMENTING_ORGANISATION") { json!(d.org) } else { Value::Null },
                "status": if on("STATUS") { json!(d.status) } else { Value::Null },
                "admin1Pcode": if on("ADMIN1") { json!(s.admin1) } else { Value::Null },
                "goodsCode": if on("GOODS") { json!(goods) } else { Value::Null },
                "sector": if on("SECTOR") { json!(sector) } else { Value::Null },
                "month": if on("MONTH") { json!(month) } else { Value::Null },
                "fundingOrganisationCode": if on("FUNDING_ORGANISATION") { json!(d.funder) } else { Value::Null },
                "projectCode": if on("PROJECT") { json!(d.project) } else { Value::Null },
                "modality": if on("MODALITY") { json!(d.modality) } else { Value::Null },
                "admin2Pcode": if on("ADMIN2") { json!(s.admin2) } else { Value::Null },
                "cell": if on("CELL") { json!(cell) } else { Value::Null },
            });
            let g = groups.entry(key).or_insert(Acc {
                node,
                ids: BTreeSet::new(),
                sites: BTreeSet::new(),
                hh: 0,
                ind: 0,
                qty: 0,
                first: None,
                last: None,
            });
            g.qty += qty;
            if g.ids.insert(n) {
                g.sites.insert(d.site);
                g.hh += d.hh;
                g.ind += d.ind;
                g.first = Some(g.first.map_or(d.starts, |f| f.min(d.starts)));
                g.last = Some(g.last.map_or(d.end(), |l| l.max(d.end())));
            }
        }
    }
    let with_qty = on("GOODS");
    let want: Vec<(String, Value)> = groups
        .into_iter()
        .map(|(k, g)| {
            let mut node = g.node;
            node["measures"] = json!({ "distributions": g.ids.len(), "sites": g.sites.len(), "householdsReached": g.hh, "individualsReached": g.ind, "quantityDistributed": if with_qty { json!(g.qty) } else { Value::Null }, "firstDay": g.first, "lastDay": g.last });
            (k, node)
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "activities {by:?}");
    let ds: Vec<&D> = all.iter().map(|&n| &w.dists[n]).collect();
    let sites: BTreeSet<usize> = ds.iter().map(|d| d.site).collect();
    assert_eq!(
        totals,
        json!({ "distributions": ds.len(), "sites": sites.len(), "householdsReached": ds.iter().map(|d| d.hh).sum::<i64>(), "individualsReached": ds.iter().map(|d| d.ind).sum::<i64>(), "quantityDistributed": null, "firstDay": ds.iter().map(|d| d.starts).min(), "lastDay": ds.iter().map(|d| d.end()).max() }),
        "activities totals {by:?}"
    );
}

#[tokio::test]
async fn every_gap_query_and_the_4w_roll_up_match_brute_force_on_generated_data() {
    let w = world().await;
    let (from, to, as_of) = (day("2024-04-01"), day("2024-09-30"), day("2024-09-30"));
    // Every site, and a resolution-2 cell around the first site.
    let s = &w.data.sites[0];
    let cell = LatLng::new(s.lat, s.lon).unwrap().to_cell(Resolution::Two);
    for area in [None, Some(cell)] {
        check_undistributed(&w, &area, as_of, 90, Value::Null).await;
        check_undistributed(&w, &area, as_of, 150, json!({ "kitCode": "NFI-KIT-STD" })).await;
        check_undistributed(&w, &area, as_of, 150, json!({ "itemCode": "BUCKET" })).await;
        check_undistributed(&w, &area, as_of, 150, json!({ "sector": "WASH" })).await;
        check_stale(&w, &area, as_of, 60).await;
        check_spikes(&w, &area, as_of, Some(300), None).await;
        check_spikes(&w, &area, as_of, None, Some(1.5)).await;
        check_spikes(&w, &area, as_of, Some(300), Some(1.5)).await;
        check_needs(&w, &area, from, to, "SITE", 0, 0).await;
        check_needs(&w, &area, from, to, "CELL", 4, 0).await;
        check_needs(&w, &area, from, to, "ADMIN", 0, 1).await;
        check_multi_partner(&w, &area, from, to).await;
        check_flows(&w, &area, as_of, 1).await;
        check_flows(&w, &area, as_of, 2).await;
        check_activities(
            &w,
            None,
            None,
            &area,
            from,
            to,
            &by(&["IMPLEMENTING_ORGANISATION", "STATUS", "ADMIN1"]),
        )
        .await;
        check_activities(&w, None, None, &area, from, to, &by(&["MONTH", "GOODS"])).await;
        check_activities(&w, None, None, &area, from, to, &by(&["SECTOR"])).await;
        let every_other = [
            "FUNDING_ORGANISATION",
            "PROJECT",
            "MODALITY",
            "ADMIN2",
            "CELL",
        ];
        let ask = Ask {
            resolution: Some(3),
            ..by(&every_other)
        };
        check_activities(&w, None, None, &area, from, to, &ask).await;
        let ask = Ask {
            statuses: &["COMPLETED", "ONGOING"],
            goods: json!({ "sector": "WASH" }),
            ..by(&["IMPLEMENTING_ORGANISATION", "GOODS", "STATUS"])
        };
        check_activities(&w, None, None, &area, from, to, &ask).await;
    }
    // A partner's 4W holds only its own organisation's rows, in full.
    let nrc = camptrack::storage::organisations::get_by_code(&w.app.db, "NRC")
        .await
        .expect("NRC")
        .id;
    let partner = w
        .app
        .token_for(Role::Partner, Some(nrc), Default::default())
        .await;
    check_activities(
        &w,
        Some(&partner),
        Some("NRC"),
        &None,
        from,
        to,
        &by(&["IMPLEMENTING_ORGANISATION", "STATUS", "ADMIN1"]),
    )
    .await;
}

/// Two sites (3 and 50 households, both ranking NFI second), each reached by NRC and IRC.
async fn small_world() -> (TestApp, String, String) {
    let app = spawn_app().await;
    let nrc = app.organisation("NRC").await;
    app.organisation("IRC").await;
    fixtures::round(&app, 1).await;
    let small = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0001", 11.84, 13.15),
    )
    .await;
    let big = fixtures::site(
        &app,
        fixtures::site_input("CCCM-NG002001-0002", 11.90, 13.20),
    )
    .await;
    for (site, hh) in [(&small, 3), (&big, 50)] {
        app.admin(
            fixtures::SUBMIT,
            json!({ "i": fixtures::assessment_input(site, 1, "2024-03-01", hh, hh * 4) }),
        )
        .await
        .data();
        for (org, reached) in [("NRC", 2), ("IRC", 40)] {
            let input = json!({
                "clientUuid": uuid::Uuid::new_v4(), "siteId": site, "implementingOrganisationCode": org,
                "startsOn": "2024-03-10", "modality": "CASH", "status": "COMPLETED",
                "households": reached, "individuals": reached * 4, "noShows": 0, "sadd": [],
                "lines": [{ "itemCode": "BLANKET", "quantityDistributed": reached }]
            });
            app.admin("mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id } } }", json!({ "i": input }))
                .await
                .data();
        }
    }
    let partner = app
        .token_for(Role::Partner, Some(nrc), Default::default())
        .await;
    (app, partner, small)
}

#[tokio::test]
async fn partners_see_small_figures_as_suppressed_never_zero_and_only_their_own_4w_rows() {
    let (app, partner, small) = small_world().await;
    let needs = app
        .gql(Some(&partner), "{ needsVsReached(from: \"2024-03-01\", to: \"2024-03-31\", groupBy: SITE) { edges { node { site { id } suppressed households householdsInNeed householdsReached gap } } } }", json!({}))
        .await;
    let rows = needs.data()["needsVsReached"]["edges"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        let n = &r["node"];
        if n["site"]["id"] == small.as_str() {
            assert_eq!(n["suppressed"], true);
            for f in ["households", "householdsInNeed", "householdsReached", "gap"] {
                assert_eq!(n[f], Value::Null, "{f} must be null, never 0");
            }
        } else {
            assert_eq!(n["suppressed"], false);
            assert_eq!(
                (
                    n["households"].clone(),
                    n["householdsInNeed"].clone(),
                    n["householdsReached"].clone(),
                    n["gap"].clone()
                ),
                (json!(50), json!(50), json!(42), json!(8))
            );
        }
    }
    // Multi-partner coverage names both organisations; NRC's 2 households are suppressed.
    let cover = app
        .gql(Some(&partner), "{ multiPartnerCoverage(from: \"2024-03-01\", to: \"2024-03-31\") { totalCount edges { node { site { id } population { suppressed households } organisations { organisation { code } suppressed households } householdsReported } } } }", json!({}))
        .await;
    let c = cover.data()["multiPartnerCoverage"].clone();
    assert_eq!(c["totalCount"], 2);
    for e in c["edges"].as_array().unwrap() {
        let orgs = e["node"]["organisations"].as_array().unwrap();
        let nrc = orgs
            .iter()
            .find(|o| o["organisation"]["code"] == "NRC")
            .unwrap();
        assert_eq!(
            (nrc["suppressed"].clone(), nrc["households"].clone()),
            (json!(true), Value::Null)
        );
        let irc = orgs
            .iter()
            .find(|o| o["organisation"]["code"] == "IRC")
            .unwrap();
        assert_eq!(
            (irc["suppressed"].clone(), irc["households"].clone()),
            (json!(false), json!(40))
        );
        if e["node"]["site"]["id"] == small.as_str() {
            assert_eq!(
                e["node"]["population"],
                json!({ "suppressed": true, "households": null })
            );
        }
    }
    // The same questions answered to a coordinator are never suppressed.
    let coordinator = app
        .token_for(Role::Coordinator, None, Default::default())
        .await;
    let all = app
        .gql(Some(&coordinator), "{ staleSites(asOf: \"2024-12-31\", days: 30) { edges { node { population { suppressed households } } } } }", json!({}))
        .await;
    let mut hh: Vec<i64> = all.data()["staleSites"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["population"]["households"].as_i64().unwrap())
        .collect();
    hh.sort_unstable();
    assert_eq!(hh, vec![3, 50]);
    // The 4W: a partner's rows are its own organisation's only, and so are its totals.
    let q = "{ activities(from: \"2024-01-01\", to: \"2024-12-31\", groupBy: [IMPLEMENTING_ORGANISATION, ADMIN2]) { totalCount totals { distributions householdsReached } edges { node { implementingOrganisationCode admin2Pcode measures { distributions householdsReached } } } } }";
    let mine = app.gql(Some(&partner), q, json!({})).await;
    let a = mine.data()["activities"].clone();
    assert_eq!(a["totalCount"], 1);
    assert_eq!(
        a["edges"][0]["node"],
        json!({ "implementingOrganisationCode": "NRC", "admin2Pcode": "NG002001", "measures": { "distributions": 2, "householdsReached": 4 } })
    );
    assert_eq!(
        a["totals"],
        json!({ "distributions": 2, "householdsReached": 4 })
    );
    let everyone = app.gql(Some(&coordinator), q, json!({})).await;
    assert_eq!(
        everyone.data()["activities"]["totals"],
        json!({ "distributions": 4, "householdsReached": 84 })
    );
}

#[tokio::test]
async fn bad_insight_inputs_are_refused_with_the_field_that_is_wrong() {
    let app = spawn_app().await;
    let cases = [
        (
            "{ sitesWithoutDistribution(days: -1) { totalCount } }",
            "days",
        ),
        ("{ staleSites(days: -5) { totalCount } }", "days"),
        (
            "{ needsVsReached(from: \"2024-03-01\", to: \"2024-02-01\", groupBy: SITE) { totalCount } }",
            "to",
        ),
        (
            "{ needsVsReached(from: \"2024-01-01\", to: \"2024-02-01\", groupBy: CELL, resolution: 16) { totalCount } }",
            "resolution",
        ),
        (
            "{ needsVsReached(from: \"2024-01-01\", to: \"2024-02-01\", groupBy: CELL) { totalCount } }",
            "resolution",
        ),
        (
            "{ needsVsReached(from: \"2024-01-01\", to: \"2024-02-01\", groupBy: ADMIN, level: 4) { totalCount } }",
            "level",
        ),
        ("{ displacementFlows(level: 3) { totalCount } }", "level"),
        (
            "{ needsVsReached(from: \"2024-01-01\", to: \"2024-02-01\", groupBy: ADMIN) { totalCount } }",
            "level",
        ),
        ("{ displacementFlows(level: -1) { totalCount } }", "level"),
        ("{ arrivalSpikes { totalCount } }", "threshold"),
        (
            "{ arrivalSpikes(threshold: -1) { totalCount } }",
            "threshold",
        ),
        ("{ arrivalSpikes(multiple: 0) { totalCount } }", "multiple"),
        (
            "{ multiPartnerCoverage(from: \"2024-03-01\", to: \"2024-02-01\") { totalCount } }",
            "to",
        ),
        (
            "{ activities(from: \"2024-03-01\", to: \"2024-02-01\") { totalCount } }",
            "to",
        ),
        (
            "{ activities(from: \"2024-01-01\", to: \"2024-02-01\", groupBy: [CELL], resolution: 99) { totalCount } }",
            "resolution",
        ),
        (
            "{ sitesWithoutDistribution(days: 30, goods: { itemCode: \"NO-SUCH\" }) { totalCount } }",
            "goods.itemCode",
        ),
        (
            "{ sitesWithoutDistribution(days: 30, goods: { kitCode: \"NO-SUCH\" }) { totalCount } }",
            "goods.kitCode",
        ),
        (
            "{ staleSites(days: 30, area: { near: { lat: 11.8, lon: 13.1, radiusMeters: 0 } }) { totalCount } }",
            "area.near.radiusMeters",
        ),
    ];
    for (query, field) in cases {
        let answer = app.admin(query, json!({})).await;
        assert_eq!(
            answer.code(),
            "BAD_USER_INPUT",
            "{query}: {:#}",
            answer.body
        );
        assert_eq!(
            answer.fields().first().map(String::as_str),
            Some(field),
            "{query}: {:#}",
            answer.body
        );
        assert!(!answer.message().is_empty());
    }
    // Without a token: UNAUTHENTICATED, not an empty answer.
    let anonymous = app
        .gql(None, "{ staleSites(days: 30) { totalCount } }", json!({}))
        .await;
    assert_eq!(anonymous.code(), "UNAUTHENTICATED");
}

#[tokio::test]
async fn an_enumerator_bound_to_an_area_sees_only_its_area_in_every_insight_answer() {
    let (app, _, _) = small_world().await;
    let elsewhere = fixtures::site(
        &app,
        json!({
            "code": "CCCM-NG008018-0001", "name": "Gubio Camp", "siteType": "PLANNED_CAMP", "formalStatus": "FORMAL",
            "lat": 11.82, "lon": 13.17, "admin0Pcode": "NGA", "admin1Pcode": "NG008", "admin2Pcode": "NG008018",
            "openedOn": "2023-01-01"
        }),
    )
    .await;
    app.admin(
        fixtures::SUBMIT,
        json!({ "i": fixtures::assessment_input(&elsewhere, 1, "2024-03-01", 80, 300) }),
    )
    .await
    .data();
    let input = json!({
        "clientUuid": uuid::Uuid::new_v4(), "siteId": elsewhere, "implementingOrganisationCode": "IRC",
        "startsOn": "2024-03-10", "modality": "CASH", "status": "COMPLETED",
        "households": 30, "individuals": 120, "noShows": 0, "sadd": [],
        "lines": [{ "itemCode": "BLANKET", "quantityDistributed": 30 }]
    });
    app.admin("mutation($i: DistributionInput!) { recordDistribution(input: $i) { distribution { id } } }", json!({ "i": input }))
        .await
        .data();
    let irc = camptrack::storage::organisations::get_by_code(&app.db, "IRC")
        .await
        .expect("IRC")
        .id;
    let area = camptrack::auth::AccountArea {
        cells: Vec::new(),
        pcodes: vec![camptrack_domain::pcode::PCode::parse("area", "NG008").expect("p-code")],
    };
    let enumerator = app.token_for(Role::Enumerator, Some(irc), area).await;
    let q = "{ staleSites(asOf: \"2024-12-31\", days: 30) { totalCount edges { node { site { id } } } }
               needsVsReached(from: \"2024-03-01\", to: \"2024-03-31\", groupBy: ADMIN, level: 1) { edges { node { pcode householdsReached } } }
               displacementFlows(asOf: \"2024-12-31\", level: 1) { edges { node { hostPcode households } } }
               activities(from: \"2024-01-01\", to: \"2024-12-31\") { totals { distributions householdsReached } } }";
    let answer = app.gql(Some(&enumerator), q, json!({})).await;
    let d = answer.data();
    assert_eq!(d["staleSites"]["totalCount"], 1);
    assert_eq!(
        d["staleSites"]["edges"][0]["node"]["site"]["id"],
        elsewhere.as_str()
    );
    assert_eq!(
        d["needsVsReached"]["edges"],
        json!([{ "node": { "pcode": "NG008", "householdsReached": 30 } }])
    );
    assert_eq!(d["displacementFlows"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(
        d["displacementFlows"]["edges"][0]["node"]["hostPcode"],
        "NG008"
    );
    assert_eq!(
        d["activities"]["totals"],
        json!({ "distributions": 1, "householdsReached": 30 })
    );
}
