//! The ingest baseline: the rows the batch mutation writes for new assessments (the
//! assessment, its SADD rows, its first version, an audit entry, a change-log entry, the
//! site's current figures and the per-cell rollups), written by hand through sqlx with no
//! API in front: one transaction per batch, one multi-row statement per table.
//!
//! It relies on what the ingest items guarantee (every item is newer than its site's
//! current assessment), which the API checks instead; the scenario compares the tables
//! both leave behind.

use std::collections::BTreeMap;

use camptrack_domain::codes::ReviewStatus;
use camptrack_domain::sadd::SaddRow;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sqlx::{self, Row as _};
use sea_orm::{DatabaseConnection, DbBackend};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::Item;

/// Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const VALUES_PER_STATEMENT: usize = 30_000;

/// The resolutions camptrack keeps rollups at, and their cell columns.
const ROLLUPS: [(i16, &str); 3] = [(5, "cell_r5"), (7, "cell_r7"), (9, "cell_r9")];

/// A bound value, or an SQL expression written into the statement.
#[derive(Debug, Clone)]
enum P {
    Uuid(Option<Uuid>),
    Int(Option<i64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    Time(DateTime<Utc>),
    Json(Json),
    Sql(&'static str),
}

/// A write transaction on either backend.
enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Binds `params` (skipping literal SQL) to a query on `sql`.
macro_rules! bound {
    ($sql:expr, $params:expr) => {{
        let mut q = sqlx::query(sqlx::AssertSqlSafe($sql));
        for p in $params {
            q = match p {
                P::Uuid(v) => q.bind(*v),
                P::Int(v) => q.bind(*v),
                P::Text(v) => q.bind(v.clone()),
                P::Date(v) => q.bind(*v),
                P::Time(v) => q.bind(*v),
                P::Json(v) => q.bind(v.clone()),
                P::Sql(_) => q,
            };
        }
        q
    }};
}

impl Tx {
    async fn begin(conn: &DatabaseConnection) -> Result<Self, String> {
        let e = |e: sqlx::Error| format!("raw ingest: begin: {e}");
        Ok(match conn.get_database_backend() {
            DbBackend::Postgres => Self::Postgres(
                conn.get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(e)?,
            ),
            _ => Self::Sqlite(
                conn.get_sqlite_connection_pool()
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(e)?,
            ),
        })
    }

    fn backend(&self) -> DbBackend {
        match self {
            Self::Sqlite(_) => DbBackend::Sqlite,
            Self::Postgres(_) => DbBackend::Postgres,
        }
    }

    async fn execute(&mut self, sql: String, params: &[P]) -> Result<(), String> {
        let what = sql.chars().take(60).collect::<String>();
        match self {
            Self::Sqlite(tx) => bound!(sql, params).execute(&mut **tx).await.map(|_| ()),
            Self::Postgres(tx) => bound!(sql, params).execute(&mut **tx).await.map(|_| ()),
        }
        .map_err(|e| format!("raw ingest: `{what}...`: {e}"))
    }

    async fn commit(self) -> Result<(), String> {
        match self {
            Self::Sqlite(tx) => tx.commit().await,
            Self::Postgres(tx) => tx.commit().await,
        }
        .map_err(|e| format!("raw ingest: commit: {e}"))
    }

    /// The batch's sites as they stand: cells, whether closed, current figures.
    async fn sites(&mut self, ids: &[Uuid]) -> Result<BTreeMap<Uuid, SiteNow>, String> {
        let list: Vec<String> = (1..=ids.len()).map(|n| self.mark(n)).collect();
        let sql = format!(
            "SELECT id, cell, admin0_pcode, admin1_pcode, admin2_pcode, admin3_pcode, cell_r5, cell_r7, cell_r9, closed_on, current_assessment_id, current_households, current_individuals, current_arrivals, current_departures, current_sadd FROM sites WHERE id IN ({})",
            list.join(", ")
        );
        let params: Vec<P> = ids.iter().map(|id| P::Uuid(Some(*id))).collect();
        macro_rules! read {
            ($tx:expr) => {{
                let rows = bound!(sql, &params)
                    .fetch_all(&mut **$tx)
                    .await
                    .map_err(|e| format!("raw ingest: reading sites: {e}"))?;
                rows.iter()
                    .map(|r| {
                        let e = |e: sqlx::Error| format!("raw ingest: a site row: {e}");
                        let sadd: Json = r.try_get("current_sadd").map_err(e)?;
                        Ok((
                            r.try_get::<Uuid, _>("id").map_err(e)?,
                            SiteNow {
                                cell: r.try_get("cell").map_err(e)?,
                                admin: [
                                    r.try_get("admin0_pcode").map_err(e)?,
                                    r.try_get("admin1_pcode").map_err(e)?,
                                    r.try_get("admin2_pcode").map_err(e)?,
                                    r.try_get("admin3_pcode").map_err(e)?,
                                ],
                                cells: [
                                    r.try_get("cell_r5").map_err(e)?,
                                    r.try_get("cell_r7").map_err(e)?,
                                    r.try_get("cell_r9").map_err(e)?,
                                ],
                                closed: r
                                    .try_get::<Option<NaiveDate>, _>("closed_on")
                                    .map_err(e)?
                                    .is_some(),
                                assessed: r
                                    .try_get::<Option<Uuid>, _>("current_assessment_id")
                                    .map_err(e)?
                                    .is_some(),
                                figures: [
                                    r.try_get("current_households").map_err(e)?,
                                    r.try_get("current_individuals").map_err(e)?,
                                    r.try_get::<Option<i64>, _>("current_arrivals")
                                        .map_err(e)?
                                        .unwrap_or(0),
                                    r.try_get::<Option<i64>, _>("current_departures")
                                        .map_err(e)?
                                        .unwrap_or(0),
                                ],
                                sadd: serde_json::from_value(sadd)
                                    .map_err(|e| format!("raw ingest: current_sadd: {e}"))?,
                            },
                        ))
                    })
                    .collect()
            }};
        }
        match self {
            Self::Sqlite(tx) => read!(tx),
            Self::Postgres(tx) => read!(tx),
        }
    }

    fn mark(&self, n: usize) -> String {
        match self {
            Self::Postgres(_) => format!("${n}"),
            Self::Sqlite(_) => "?".to_owned(),
        }
    }

    /// `INSERT INTO table (columns) VALUES ...` for `rows`, as few statements as the
    /// bound-value limit allows; `suffix` follows each (an `ON CONFLICT` clause).
    async fn insert(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: Vec<Vec<P>>,
        suffix: &str,
    ) -> Result<(), String> {
        let per_statement = (VALUES_PER_STATEMENT / columns.len()).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            let mut n = 0;
            let mut params = Vec::with_capacity(chunk.len() * columns.len());
            for (i, row) in chunk.iter().enumerate() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for (j, p) in row.iter().enumerate() {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    match p {
                        P::Sql(expr) => sql.push_str(expr),
                        _ => {
                            n += 1;
                            sql.push_str(&self.mark(n));
                            params.push(p.clone());
                        }
                    }
                }
                sql.push(')');
            }
            sql.push_str(suffix);
            self.execute(sql, &params).await?;
        }
        Ok(())
    }
}

/// A site's state before the batch.
#[derive(Debug)]
struct SiteNow {
    cell: i64,
    admin: [Option<String>; 4],
    cells: [Option<i64>; 3],
    closed: bool,
    assessed: bool,
    /// Households, individuals, arrivals, departures.
    figures: [i64; 4],
    sadd: Vec<SaddRow>,
}

/// Writes `items` (whose sites are `site_ids[item.site]`), submitted by account
/// `submitter`, in one transaction.
pub async fn write_batch(
    conn: &DatabaseConnection,
    submitter: Uuid,
    rounds: &BTreeMap<i32, Uuid>,
    site_ids: &[Uuid],
    items: &[Item],
) -> Result<(), String> {
    let mut tx = Tx::begin(conn).await?;
    let backend = tx.backend();
    let ids: Vec<Uuid> = items.iter().map(|i| site_ids[i.site]).collect();
    let mut sites = tx.sites(&ids).await?;
    let at = camptrack::storage::now();
    let xid = match backend {
        DbBackend::Postgres => "pg_current_xact_id()::text::bigint",
        _ => "(SELECT COALESCE(MAX(xid), 0) + 1 FROM audit_log)",
    };
    let (mut assessments, mut sadd, mut versions, mut audit, mut log) =
        (vec![], vec![], vec![], vec![], vec![]);
    // The last item of a site wins (items are in submission order, each newer).
    let mut current: BTreeMap<Uuid, Vec<P>> = BTreeMap::new();
    let mut rollups: BTreeMap<(i16, i64), [i64; 6]> = BTreeMap::new();
    let mut rollup_sadd: BTreeMap<(i16, i64, String, i16, i16), [i64; 2]> = BTreeMap::new();
    for (item, site_id) in items.iter().zip(&ids) {
        let site = sites
            .get_mut(site_id)
            .ok_or_else(|| format!("raw ingest: no site {site_id}"))?;
        let round = *rounds
            .get(&item.round)
            .ok_or_else(|| format!("raw ingest: no round {}", item.round))?;
        let id = Uuid::now_v7();
        let draft = item.draft(*site_id);
        let snapshot = json!({
            "id": id, "clientUuid": item.client_uuid, "siteId": site_id,
            "content": item.graphql(*site_id),
            "organisationId": null, "submittedBy": submitter,
            "reviewStatus": ReviewStatus::Submitted.to_string(), "reviewNote": null, "version": 1,
        });
        let f = &draft.content.figures;
        assessments.push(vec![
            P::Uuid(Some(id)),
            P::Uuid(Some(item.client_uuid)),
            P::Text(Some(draft.content_hash())),
            P::Uuid(Some(*site_id)),
            P::Uuid(Some(round)),
            P::Int(Some(item.round.into())),
            P::Date(Some(item.assessed_on)),
            P::Int(Some(f.households.into())),
            P::Int(Some(f.individuals.into())),
            P::Int(f.arrivals_3m.map(i64::from)),
            P::Int(f.departures_3m.map(i64::from)),
            P::Json(json!([])),
            P::Json(json!([])),
            P::Json(json!([])),
            P::Json(json!([])),
            P::Json(json!([])),
            P::Json(json!({})),
            P::Time(item.captured_at),
            P::Time(at),
            P::Uuid(Some(submitter)),
            P::Uuid(None),
            P::Text(draft.content.device_id.clone()),
            P::Text(Some(ReviewStatus::Submitted.to_string())),
            P::Int(Some(1)),
            P::Time(at),
        ]);
        for band in &f.sadd {
            sadd.push(vec![
                P::Uuid(Some(id)),
                P::Text(Some(band.sex.to_string())),
                P::Int(Some(band.age_min.into())),
                P::Int(band.age_max.map(i64::from)),
                P::Int(Some(band.count.into())),
            ]);
        }
        versions.push(vec![
            P::Uuid(Some(Uuid::now_v7())),
            P::Uuid(Some(id)),
            P::Int(Some(1)),
            P::Json(snapshot.clone()),
            P::Json(json!([])),
            P::Uuid(Some(submitter)),
            P::Time(at),
        ]);
        audit.push(vec![
            P::Uuid(Some(Uuid::now_v7())),
            P::Time(at),
            P::Uuid(Some(submitter)),
            P::Text(Some("assessment.submit".to_owned())),
            P::Text(Some("assessment".to_owned())),
            P::Text(Some(id.to_string())),
            P::Json(snapshot),
            P::Sql(xid),
        ]);
        let [a0, a1, a2, a3] = site.admin.clone();
        log.push(vec![
            P::Sql(match backend {
                DbBackend::Postgres => "pg_current_xact_id()::text::bigint",
                _ => "0",
            }),
            P::Time(at),
            P::Text(Some("assessment".to_owned())),
            P::Text(Some(id.to_string())),
            P::Text(Some("SUBMIT".to_owned())),
            P::Int(Some(site.cell)),
            P::Text(a0),
            P::Text(a1),
            P::Text(a2),
            P::Text(a3),
        ]);
        let mut bands = f.sadd.clone();
        bands.sort_by_key(|b| (b.sex.to_string(), b.age_min));
        let new = [
            i64::from(f.households),
            i64::from(f.individuals),
            f.arrivals_3m.map_or(0, i64::from),
            f.departures_3m.map_or(0, i64::from),
        ];
        current.insert(
            *site_id,
            vec![
                P::Uuid(Some(*site_id)),
                P::Uuid(Some(id)),
                P::Date(Some(item.assessed_on)),
                P::Int(Some(new[0])),
                P::Int(Some(new[1])),
                P::Json(json!(bands)),
                P::Int(Some(new[2])),
                P::Int(Some(new[3])),
            ],
        );
        if let (false, [Some(c5), Some(c7), Some(c9)]) = (site.closed, site.cells) {
            for ((res, _), cell) in ROLLUPS.into_iter().zip([c5, c7, c9]) {
                let row = rollups.entry((res, cell)).or_default();
                row[1] += i64::from(!site.assessed);
                for (acc, (now, before)) in row[2..].iter_mut().zip(new.iter().zip(site.figures)) {
                    *acc += now - before;
                }
                for (band, sign) in site
                    .sadd
                    .iter()
                    .map(|b| (b, -1))
                    .chain(bands.iter().map(|b| (b, 1)))
                {
                    let key = (
                        res,
                        cell,
                        band.sex.to_string(),
                        i16::from(band.age_min),
                        band.age_max.map_or(-1, i16::from),
                    );
                    let e = rollup_sadd.entry(key).or_default();
                    e[0] += sign * i64::from(band.count);
                    e[1] += sign;
                }
            }
        }
        site.assessed = true;
        site.figures = new;
        site.sadd = bands;
    }
    tx.insert(
        "site_assessments",
        &[
            "id",
            "client_uuid",
            "content_hash",
            "site_id",
            "round_id",
            "round_number",
            "assessed_on",
            "households",
            "individuals",
            "arrivals3m",
            "departures3m",
            "displacement_reasons",
            "shelter_conditions",
            "services",
            "priority_needs",
            "vulnerabilities",
            "indicators",
            "captured_at",
            "received_at",
            "submitted_by",
            "organisation_id",
            "device_id",
            "review_status",
            "version",
            "updated_at",
        ],
        assessments,
        "",
    )
    .await?;
    tx.insert(
        "assessment_sadd",
        &["assessment_id", "sex", "age_min", "age_max", "count"],
        sadd,
        "",
    )
    .await?;
    tx.insert(
        "assessment_versions",
        &[
            "id",
            "assessment_id",
            "version",
            "snapshot",
            "changed_fields",
            "changed_by",
            "changed_at",
        ],
        versions,
        "",
    )
    .await?;
    tx.insert(
        "audit_log",
        &[
            "id",
            "at",
            "actor_account_id",
            "action",
            "entity",
            "entity_id",
            "after",
            "xid",
        ],
        audit,
        "",
    )
    .await?;
    tx.insert(
        "change_log",
        &[
            "xid",
            "at",
            "entity",
            "entity_id",
            "operation",
            "cell",
            "admin0_pcode",
            "admin1_pcode",
            "admin2_pcode",
            "admin3_pcode",
        ],
        log,
        "",
    )
    .await?;
    set_current(&mut tx, current.into_values().collect(), at).await?;
    let rows = rollups
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| *x != 0))
        .map(|((res, cell), v)| {
            let mut row = vec![P::Int(Some(res.into())), P::Int(Some(cell))];
            row.extend(v.into_iter().map(|x| P::Int(Some(x))));
            row
        })
        .collect();
    tx.insert(
        "site_rollups",
        &[
            "resolution",
            "cell",
            "sites",
            "assessed_sites",
            "households",
            "individuals",
            "arrivals",
            "departures",
        ],
        rows,
        " ON CONFLICT (resolution, cell) DO UPDATE SET assessed_sites = site_rollups.assessed_sites + excluded.assessed_sites, households = site_rollups.households + excluded.households, individuals = site_rollups.individuals + excluded.individuals, arrivals = site_rollups.arrivals + excluded.arrivals, departures = site_rollups.departures + excluded.departures",
    )
    .await?;
    let rows = rollup_sadd
        .into_iter()
        .filter(|(_, v)| v.iter().any(|x| *x != 0))
        .map(|((res, cell, sex, lo, hi), [count, entries])| {
            vec![
                P::Int(Some(res.into())),
                P::Int(Some(cell)),
                P::Text(Some(sex)),
                P::Int(Some(lo.into())),
                P::Int(Some(hi.into())),
                P::Int(Some(count)),
                P::Int(Some(entries)),
            ]
        })
        .collect();
    tx.insert(
        "site_rollup_sadd",
        &["resolution", "cell", "sex", "age_min", "age_max", "count", "entries"],
        rows,
        " ON CONFLICT (resolution, cell, sex, age_min, age_max) DO UPDATE SET count = site_rollup_sadd.count + excluded.count, entries = site_rollup_sadd.entries + excluded.entries",
    )
    .await?;
    tx.commit().await
}

/// One `UPDATE ... FROM (VALUES ...)` per chunk of sites.
async fn set_current(tx: &mut Tx, rows: Vec<Vec<P>>, at: DateTime<Utc>) -> Result<(), String> {
    for chunk in rows.chunks(VALUES_PER_STATEMENT / 8 - 1) {
        let mut n = 0;
        let mut values = Vec::with_capacity(chunk.len());
        let mut params = Vec::with_capacity(chunk.len() * 8 + 1);
        for row in chunk {
            let marks: Vec<String> = row
                .iter()
                .map(|_| {
                    n += 1;
                    tx.mark(n)
                })
                .collect();
            values.push(format!("({})", marks.join(", ")));
            params.extend(row.iter().cloned());
        }
        params.push(P::Time(at));
        let sql = format!(
            "WITH v (id, assessment_id, assessed_on, households, individuals, sadd, arrivals, departures) AS (VALUES {}) UPDATE sites SET current_assessment_id = v.assessment_id, current_assessed_on = v.assessed_on, current_households = v.households, current_individuals = v.individuals, current_sadd = v.sadd, current_arrivals = v.arrivals, current_departures = v.departures, updated_at = {} FROM v WHERE sites.id = v.id",
            values.join(", "),
            tx.mark(n + 1)
        );
        tx.execute(sql, &params).await?;
    }
    Ok(())
}
