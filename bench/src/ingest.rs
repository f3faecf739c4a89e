//! Ingest: new assessments through the batch mutation (`submitAssessments`) over HTTP at
//! several batch sizes, against a raw multi-row INSERT through sqlx of the same rows into
//! the same tables with no API in front ([`raw`]). Every method starts from a fresh scratch
//! database prepared the same way (the demo loader's reference data and sites, plus the
//! rounds the items report on), and the tables each leaves behind must be equal.

mod raw;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use camptrack::config::ServeArgs;
use camptrack::demo::generator::Spec;
use camptrack::storage::accounts::{self, AccountDraft};
use camptrack::storage::assessments::{AssessmentContent, AssessmentDraft};
use camptrack::storage::db;
use camptrack::storage::rounds::{self, RoundDraft};
use camptrack_domain::assessment::AssessmentFigures;
use camptrack_domain::codes::{Role, Sex};
use camptrack_domain::sadd::SaddRow;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use crate::dataset::{self, Backend, Size};
use crate::stats::{Timings, ms};

/// Batch sizes: one item at a time, a device's usual sync, and the largest batch.
const BATCH_SIZES: [usize; 3] = [1, 50, 500];

/// What the ingest run adds to the report.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Its part of the report.
    pub markdown: String,
    /// Tables that differ between methods.
    pub mismatches: Vec<String>,
}

/// One assessment to ingest: a visit of site number `site` (in code order) in `round`.
#[derive(Debug, Clone)]
pub struct Item {
    client_uuid: Uuid,
    site: usize,
    round: i32,
    assessed_on: NaiveDate,
    captured_at: DateTime<Utc>,
    households: u32,
    arrivals: u32,
    departures: u32,
}

impl Item {
    fn individuals(&self) -> u32 {
        self.households * 5
    }

    /// Four bands adding up to the individuals, in (sex, age) order.
    fn sadd(&self) -> Vec<SaddRow> {
        let quarter = self.individuals() / 4;
        let band = |sex, age_min, age_max, count| SaddRow {
            sex,
            age_min,
            age_max,
            count,
        };
        vec![
            band(Sex::Female, 0, Some(17), quarter),
            band(Sex::Female, 18, None, quarter),
            band(Sex::Male, 0, Some(17), quarter),
            band(Sex::Male, 18, None, self.individuals() - 3 * quarter),
        ]
    }

    /// The item as the storage layer takes it.
    fn draft(&self, site_id: Uuid) -> AssessmentDraft {
        AssessmentDraft {
            client_uuid: self.client_uuid,
            site_id,
            content: AssessmentContent {
                round_number: self.round,
                assessed_on: self.assessed_on,
                figures: AssessmentFigures {
                    households: self.households,
                    individuals: self.individuals(),
                    sadd: self.sadd(),
                    arrivals_3m: Some(self.arrivals),
                    departures_3m: Some(self.departures),
                    displacement_reasons: Vec::new(),
                    shelter_conditions: Vec::new(),
                    services: Vec::new(),
                    priority_needs: Vec::new(),
                    vulnerabilities: Vec::new(),
                    indicator_keys: Vec::new(),
                },
                origin_admin1_pcode: None,
                origin_admin2_pcode: None,
                shelter_type: None,
                indicators: serde_json::Map::new(),
                captured_location: None,
                captured_at: Some(self.captured_at),
                device_id: Some("bench-ingest".to_owned()),
            },
        }
    }

    /// The item as a device sends it (`AssessmentInput`).
    fn graphql(&self, site_id: Uuid) -> Json {
        let sadd: Vec<Json> = self
            .sadd()
            .iter()
            .map(|b| json!({ "sex": b.sex.to_string(), "ageMin": b.age_min, "ageMax": b.age_max, "count": b.count }))
            .collect();
        json!({
            "clientUuid": self.client_uuid, "siteId": site_id, "roundNumber": self.round,
            "assessedOn": self.assessed_on, "households": self.households,
            "individuals": self.individuals(), "sadd": sadd,
            "arrivalsLast3Months": self.arrivals, "departuresLast3Months": self.departures,
            "capturedAt": self.captured_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "deviceId": "bench-ingest",
        })
    }
}

/// The scratch data: sites loaded, `rounds` new rounds to report on.
#[derive(Debug, Clone, Copy)]
struct Shape {
    sites: usize,
    rounds: i32,
}

impl Shape {
    fn of(size: Size) -> Self {
        match size {
            Size::Small => Self {
                sites: 150,
                rounds: 2,
            },
            _ => Self {
                sites: 2_000,
                rounds: 3,
            },
        }
    }

    fn spec(self) -> Spec {
        Spec {
            seed: 20_261_124,
            sites: self.sites,
            rounds: 1,
            ..Spec::demo()
        }
    }

    /// The new rounds' numbers and windows, after the loaded round.
    fn new_rounds(self) -> Vec<(i32, NaiveDate)> {
        let spec = self.spec();
        (2..2 + self.rounds)
            .map(|n| {
                let days = i64::from(spec.round_days) * i64::from(n - 1);
                (n, spec.start + TimeDelta::days(days))
            })
            .collect()
    }

    /// One item per open site per new round, round after round.
    fn items(self, open_sites: usize) -> Vec<Item> {
        let mut items = Vec::new();
        for (round, starts_on) in self.new_rounds() {
            for site in 0..open_sites {
                let n = items.len() as u64;
                let assessed_on = starts_on + TimeDelta::days((site % 60) as i64);
                let households = 20 + ((site * 37 + round as usize * 11) % 400) as u32;
                items.push(Item {
                    client_uuid: Uuid::from_u64_pair(0x6265_6e63_685f_696e, n),
                    site,
                    round,
                    assessed_on,
                    captured_at: assessed_on
                        .and_hms_opt(9, 0, 0)
                        .unwrap_or_default()
                        .and_utc(),
                    households,
                    arrivals: ((site * 3) % 50) as u32 + round as u32,
                    departures: (site % 30) as u32,
                });
            }
        }
        items
    }
}

/// A fresh scratch database, prepared.
struct Scratch {
    conn: DatabaseConnection,
    /// Open sites' ids in code order.
    sites: Vec<Uuid>,
    rounds: BTreeMap<i32, Uuid>,
    admin: Uuid,
    token: String,
    file: Option<PathBuf>,
}

const SCRATCH_POSTGRES: &str = "camptrack_bench_ingest";

impl Scratch {
    async fn create(backend: Backend, shape: Shape, postgres_url: &str) -> Result<Self, String> {
        let (url, file) = match backend {
            Backend::Sqlite => {
                let file = std::env::temp_dir().join(format!(
                    "camptrack-bench-ingest-{}.sqlite",
                    std::process::id()
                ));
                remove_sqlite(&file);
                (format!("sqlite://{}?mode=rwc", file.display()), Some(file))
            }
            Backend::Postgres => {
                let name = format!("{SCRATCH_POSTGRES}_g{}", dataset::GENERATOR_VERSION);
                let admin = db::connect(&dataset::settings(postgres_url))
                    .await
                    .map_err(failed("connecting to the server"))?;
                for sql in [
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                    format!("CREATE DATABASE {name}"),
                ] {
                    admin
                        .execute_unprepared(&sql)
                        .await
                        .map_err(|err| format!("ingest scratch database: `{sql}`: {err}"))?;
                }
                let _ = admin.close().await;
                (dataset::replace_database(postgres_url, &name), None)
            }
        };
        let conn = db::connect(&dataset::settings(&url))
            .await
            .map_err(failed("connecting"))?;
        db::migrate(&conn).await.map_err(failed("migrating"))?;
        camptrack::demo::load_spec(&conn, &shape.spec())
            .await
            .map_err(failed("loading reference data and sites"))?;
        let account = accounts::create(
            &conn,
            None,
            AccountDraft {
                name: "bench ingest".into(),
                role: Role::Admin,
                organisation_id: None,
                area: Default::default(),
            },
        )
        .await
        .map_err(failed("creating the submitting account"))?;
        let admin = account.id;
        let caller = account.into_caller();
        let (_, secret) = accounts::create_token(&conn, Some(&caller), admin, "bench".into(), None)
            .await
            .map_err(failed("creating a token"))?;
        let mut rounds = BTreeMap::new();
        for (number, starts_on) in shape.new_rounds() {
            let round = rounds::create(
                &conn,
                Some(&caller),
                RoundDraft {
                    number,
                    name: format!("Ingest round {number}"),
                    starts_on,
                    ends_on: starts_on + TimeDelta::days(89),
                },
            )
            .await
            .map_err(failed("creating a round"))?;
            rounds.insert(number, round.id);
        }
        let sites = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                "SELECT id FROM sites WHERE closed_on IS NULL ORDER BY code",
            ))
            .await
            .map_err(|err| format!("ingest scratch database: reading sites: {err}"))?
            .iter()
            .map(|r| r.try_get::<Uuid>("", "id").map_err(|err| err.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            conn,
            sites,
            rounds,
            admin,
            token: secret.expose().to_owned(),
            file,
        })
    }

    async fn remove(self) {
        let _ = self.conn.close().await;
        if let Some(file) = &self.file {
            remove_sqlite(file);
        }
    }
}

/// Names what failed while preparing a scratch database.
fn failed<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> String {
    move |e| format!("ingest scratch database: {what}: {e}")
}

fn remove_sqlite(file: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}

/// One method's run: batch timings, wall time, and the tables it left.
struct Run {
    batches: Timings,
    total: Duration,
    contents: Contents,
}

/// Runs the ingest benchmark on `backend`.
pub async fn run(backend: Backend, size: Size, postgres_url: &str) -> Result<Outcome, String> {
    let shape = Shape::of(size);
    let mut out = Outcome::default();
    let mut runs: Vec<(String, usize, Run)> = Vec::new();
    let mut raws: BTreeMap<usize, Run> = BTreeMap::new();
    for batch in BATCH_SIZES {
        eprintln!("   ingest: API, batches of {batch}");
        runs.push((
            format!("`submitAssessments`, {batch} per request"),
            batch,
            through_api(backend, shape, postgres_url, batch).await?,
        ));
        eprintln!("   ingest: raw, batches of {batch}");
        raws.insert(
            batch,
            raw_insert(backend, shape, postgres_url, batch).await?,
        );
    }
    let items = runs.first().map_or(0, |(_, _, r)| r.contents.assessments);
    let _ = writeln!(
        out.markdown,
        "\n### Ingest: {items} new assessments ({} sites x {} rounds) through the batch mutation over HTTP vs a raw multi-row INSERT\n",
        items / i64::from(shape.rounds).max(1),
        shape.rounds
    );
    let _ = writeln!(
        out.markdown,
        "Each method starts from a fresh scratch database (the demo loader's reference data and {} sites, plus the new rounds). The raw baseline writes the same rows (assessments, SADD rows, first versions, audit entries, change-log entries, the sites' current figures, the per-cell rollups) through sqlx, one transaction and one multi-row statement per table per batch, with no API in front. Every method's tables were compared: row counts, every stored assessment's figures, every site's current figures and every rollup row.\n",
        shape.sites
    );
    let _ = writeln!(
        out.markdown,
        "| batch size | camptrack assessments/s | median / p99 ms per batch | raw assessments/s | raw median / p99 ms per batch | camptrack / raw |"
    );
    let _ = writeln!(out.markdown, "|---|---|---|---|---|---|");
    let reference = raws.get(&BATCH_SIZES[0]).map(|r| r.contents.clone());
    for (label, batch, api) in &runs {
        let Some(raw) = raws.get(batch) else { continue };
        let rate = |r: &Run| r.contents.assessments as f64 / r.total.as_secs_f64().max(1e-9);
        let ratio = rate(api) / rate(raw).max(1e-9);
        let _ = writeln!(
            out.markdown,
            "| {batch} | {:.0} | {} / {} | {:.0} | {} / {} | {:.0}%{} |",
            rate(api),
            ms(api.batches.median()),
            ms(api.batches.p99()),
            rate(raw),
            ms(raw.batches.median()),
            ms(raw.batches.p99()),
            ratio * 100.0,
            if ratio >= 0.5 {
                ""
            } else {
                " (target 50%: MISSED)"
            }
        );
        if let Some(reference) = &reference {
            for (who, r) in [
                (label.clone(), api),
                (format!("raw, {batch} per batch"), raw),
            ] {
                for difference in reference.differences(&r.contents) {
                    out.mismatches
                        .push(format!("ingest, {who} vs raw 1 per batch: {difference}"));
                }
            }
        }
    }
    let _ = writeln!(
        out.markdown,
        "\nAssessments/s is items / wall time of all batches; a batch's time is one HTTP request (camptrack) or one transaction (raw)."
    );
    Ok(out)
}

async fn through_api(
    backend: Backend,
    shape: Shape,
    postgres_url: &str,
    batch: usize,
) -> Result<Run, String> {
    let scratch = Scratch::create(backend, shape, postgres_url).await?;
    let items = shape.items(scratch.sites.len());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let url = format!(
        "http://{}/graphql",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = camptrack::AppState::new(
        scratch.conn.clone(),
        ServeArgs::parse_from(["serve", "--max-batch-items", "500"]),
    );
    let server = tokio::spawn(camptrack::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    let started = Instant::now();
    for chunk in items.chunks(batch) {
        let inputs: Vec<Json> = chunk
            .iter()
            .map(|i| i.graphql(scratch.sites[i.site]))
            .collect();
        let t = Instant::now();
        let answer: Json = http
            .post(&url)
            .bearer_auth(&scratch.token)
            .json(&json!({
                "query": "mutation($items: [AssessmentInput!]!) { submitAssessments(items: $items) { accepted items { status message } } }",
                "variables": { "items": inputs },
            }))
            .send()
            .await
            .map_err(|e| format!("ingest through the API: {e}"))?
            .json()
            .await
            .map_err(|e| format!("ingest through the API: unreadable answer: {e}"))?;
        times.push(t.elapsed());
        let accepted = answer["data"]["submitAssessments"]["accepted"].as_u64();
        if accepted != Some(chunk.len() as u64) {
            let _ = stop.send(());
            return Err(format!(
                "ingest through the API: {accepted:?} of {} accepted: {}",
                chunk.len(),
                answer.to_string().chars().take(400).collect::<String>()
            ));
        }
    }
    let total = started.elapsed();
    let _ = stop.send(());
    let _ = server.await;
    let contents = Contents::read(&scratch.conn, &scratch.sites).await?;
    scratch.remove().await;
    Ok(Run {
        batches: Timings(times),
        total,
        contents,
    })
}

async fn raw_insert(
    backend: Backend,
    shape: Shape,
    postgres_url: &str,
    batch: usize,
) -> Result<Run, String> {
    let scratch = Scratch::create(backend, shape, postgres_url).await?;
    let items = shape.items(scratch.sites.len());
    let mut times = Vec::new();
    let started = Instant::now();
    for chunk in items.chunks(batch) {
        let t = Instant::now();
        raw::write_batch(
            &scratch.conn,
            scratch.admin,
            &scratch.rounds,
            &scratch.sites,
            chunk,
        )
        .await?;
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    let contents = Contents::read(&scratch.conn, &scratch.sites).await?;
    scratch.remove().await;
    Ok(Run {
        batches: Timings(times),
        total,
        contents,
    })
}

/// What an ingest leaves behind, keyed so that two scratch databases compare equal when
/// they hold the same rows (ids and timestamps aside).
#[derive(Debug, Clone, PartialEq)]
struct Contents {
    assessments: i64,
    counts: Vec<(&'static str, i64)>,
    stored: Vec<Json>,
    sites: Vec<Json>,
    rollups: Vec<Json>,
}

impl Contents {
    async fn read(conn: &DatabaseConnection, site_ids: &[Uuid]) -> Result<Self, String> {
        let mut counts = Vec::new();
        for (name, sql) in [
            ("assessments", "SELECT COUNT(*) AS n FROM site_assessments"),
            ("SADD rows", "SELECT COUNT(*) AS n FROM assessment_sadd"),
            ("versions", "SELECT COUNT(*) AS n FROM assessment_versions"),
            (
                "audit entries",
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'assessment.submit'",
            ),
            (
                "change-log entries",
                "SELECT COUNT(*) AS n FROM change_log WHERE entity = 'assessment' AND operation = 'SUBMIT'",
            ),
        ] {
            let n = rows(conn, sql).await?;
            let n = n
                .first()
                .and_then(|r| r["n"].as_i64())
                .ok_or_else(|| format!("ingest: no count from `{sql}`"))?;
            counts.push((name, n));
        }
        let index: BTreeMap<String, usize> = site_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.to_string(), i))
            .collect();
        let mut sites = rows(
            conn,
            "SELECT id, code, current_assessed_on, current_households, current_individuals, current_arrivals, current_departures, current_sadd FROM sites ORDER BY code",
        )
        .await?;
        for s in &mut sites {
            // Site ids differ between scratch databases; codes do not.
            if let Some(obj) = s.as_object_mut() {
                let id = obj.remove("id").unwrap_or(Json::Null);
                obj.insert(
                    "index".into(),
                    json!(id.as_str().and_then(|i| index.get(i))),
                );
            }
        }
        let mut rollups = rows(
            conn,
            "SELECT resolution, cell, sites, assessed_sites, households, individuals, arrivals, departures FROM site_rollups ORDER BY resolution, cell",
        )
        .await?;
        rollups.extend(
            rows(
                conn,
                "SELECT resolution, cell, sex, age_min, age_max, count, entries FROM site_rollup_sadd WHERE count <> 0 OR entries <> 0 ORDER BY resolution, cell, sex, age_min, age_max",
            )
            .await?,
        );
        // Content hashes cover the site id, which differs between scratch databases.
        let stored = rows(
            conn,
            "SELECT client_uuid, round_number, assessed_on, households, individuals, arrivals3m, departures3m, review_status FROM site_assessments WHERE device_id = 'bench-ingest' ORDER BY client_uuid",
        )
        .await?;
        Ok(Self {
            assessments: stored.len() as i64,
            counts,
            stored,
            sites,
            rollups,
        })
    }

    /// What differs from `other`, in words.
    fn differences(&self, other: &Self) -> Vec<String> {
        let mut out = Vec::new();
        if self.counts != other.counts {
            out.push(format!(
                "row counts {:?} vs {:?}",
                self.counts, other.counts
            ));
        }
        for (what, a, b) in [
            ("stored assessments", &self.stored, &other.stored),
            ("sites' current figures", &self.sites, &other.sites),
            ("rollup rows", &self.rollups, &other.rollups),
        ] {
            if a != b {
                let first = a.iter().zip(b.iter()).find(|(x, y)| x != y);
                out.push(format!(
                    "{what}: {} vs {} rows, first difference {first:?}",
                    a.len(),
                    b.len()
                ));
            }
        }
        out
    }
}

/// Every row of `sql` as a JSON object, values read by their type.
async fn rows(conn: &DatabaseConnection, sql: &str) -> Result<Vec<Json>, String> {
    let result = conn
        .query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map_err(|e| format!("ingest: `{sql}`: {e}"))?;
    result
        .iter()
        .map(|r| {
            let mut obj = serde_json::Map::new();
            for column in r.column_names() {
                let v = if let Ok(v) = r.try_get::<Option<i64>>("", &column) {
                    json!(v)
                } else if let Ok(v) = r.try_get::<Option<i32>>("", &column) {
                    json!(v)
                } else if let Ok(v) = r.try_get::<Option<i16>>("", &column) {
                    json!(v)
                } else if let Ok(v) = r.try_get::<Option<Uuid>>("", &column) {
                    json!(v)
                } else if let Ok(v) = r.try_get::<Option<NaiveDate>>("", &column) {
                    json!(v)
                } else if let Ok(v) = r.try_get::<Option<Json>>("", &column) {
                    v.unwrap_or(Json::Null)
                } else {
                    json!(
                        r.try_get::<Option<String>>("", &column)
                            .map_err(|e| format!("ingest: `{sql}`: {column}: {e}"))?
                    )
                };
                obj.insert(column, v);
            }
            Ok(Json::Object(obj))
        })
        .collect()
}
