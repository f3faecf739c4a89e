//! Copying a whole database between SQLite and PostgreSQL (either way, or to the same
//! backend), verified by per-table counts and checksums computed the same way on both
//! sides.
//!
//! Tables and columns are read from the databases themselves (so tables added later are
//! copied without changes here) and copied parents first (by their foreign keys), each in
//! batches inside one transaction, from one consistent snapshot of the source. Values are
//! read and bound as typed Rust values (UUIDs, timestamps, JSON, dates...), so each backend
//! stores them in its own format and the checksums, computed over a canonical encoding of
//! those typed values, agree.
//!
//! Commit-order numbers are local to the database that wrote them, so the copy rewrites
//! them: `change_log.xid` becomes 0 (devices start their sync again from `"0"` after a
//! move), and `audit_log.xid` (with `audit_seal.entry_xid`) becomes negative numbers in the
//! source's order, below anything the target will assign, so the audit chain continues.
//! These three columns are left out of the checksums; `camptrack audit verify` on the
//! target checks the audit log itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    IsolationLevel, QueryResult, Statement, TransactionOptions, TransactionTrait, Value,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// A database error.
    #[error("{0}")]
    Db(#[from] DbErr),
    /// The target holds data and replacing it was not asked for.
    #[error(
        "the target database is not empty (table {0} has rows): copy into an empty database, or pass --replace to delete what is there"
    )]
    TargetNotEmpty(String),
    /// The two schemas differ.
    #[error("the schemas differ: {0}")]
    Schema(String),
    /// A table's copy does not match its source.
    #[error(
        "table {table} differs after the copy: source {source_rows} rows, checksum {source_sum}; target {target_rows} rows, checksum {target_sum}"
    )]
    Mismatch {
        /// The table.
        table: String,
        /// Rows in the source.
        source_rows: u64,
        /// The source's checksum.
        source_sum: String,
        /// Rows in the target.
        target_rows: u64,
        /// The target's checksum.
        target_sum: String,
    },
}

type Result<T> = std::result::Result<T, CopyError>;

/// Rows per insert statement at most.
const BATCH: usize = 500;

/// Tables that belong to the database engine or the migrator, never copied.
fn internal(table: &str) -> bool {
    table.starts_with("sqlite_") || table == "seaql_migrations"
}

/// Columns left out of checksums: commit-order numbers the copy rewrites.
fn local_order(table: &str, column: &str) -> bool {
    matches!(
        (table, column),
        ("change_log", "xid") | ("audit_log", "xid") | ("audit_seal", "entry_xid")
    )
}

/// How a column's values are read, bound and checksummed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Uuid,
    Timestamp,
    Date,
    Json,
    Bool,
    SmallInt,
    Int,
    BigInt,
    Float,
    Bytes,
    Text,
}

impl Kind {
    fn of_postgres(data_type: &str) -> Self {
        match data_type {
            "uuid" => Self::Uuid,
            "timestamp with time zone" => Self::Timestamp,
            "date" => Self::Date,
            "json" | "jsonb" => Self::Json,
            "boolean" => Self::Bool,
            "smallint" => Self::SmallInt,
            "integer" => Self::Int,
            "bigint" => Self::BigInt,
            "double precision" | "real" | "numeric" => Self::Float,
            "bytea" => Self::Bytes,
            _ => Self::Text,
        }
    }

    fn of_sqlite(declared: &str) -> Self {
        let declared = declared.to_ascii_lowercase();
        match declared.as_str() {
            "uuid_text" | "uuid" => Self::Uuid,
            "timestamp_with_timezone_text" => Self::Timestamp,
            "date_text" | "date" => Self::Date,
            "json_text" | "jsonb_text" | "json" | "jsonb" => Self::Json,
            "boolean" | "bool" => Self::Bool,
            "smallint" => Self::SmallInt,
            "integer" | "bigint" | "int" => Self::BigInt,
            "double" | "real" | "float" => Self::Float,
            "blob" => Self::Bytes,
            _ => Self::Text,
        }
    }

    /// Reads column `name` of `row` as a bindable value (a typed NULL when absent).
    fn read(self, row: &QueryResult, name: &str) -> std::result::Result<Value, DbErr> {
        Ok(match self {
            Self::Uuid => row.try_get::<Option<Uuid>>("", name)?.into(),
            Self::Timestamp => row.try_get::<Option<DateTime<Utc>>>("", name)?.into(),
            Self::Date => row.try_get::<Option<NaiveDate>>("", name)?.into(),
            Self::Json => row.try_get::<Option<serde_json::Value>>("", name)?.into(),
            Self::Bool => row.try_get::<Option<bool>>("", name)?.into(),
            Self::SmallInt => row.try_get::<Option<i16>>("", name)?.into(),
            Self::Int => row.try_get::<Option<i32>>("", name)?.into(),
            Self::BigInt => row.try_get::<Option<i64>>("", name)?.into(),
            Self::Float => row.try_get::<Option<f64>>("", name)?.into(),
            Self::Bytes => row.try_get::<Option<Vec<u8>>>("", name)?.into(),
            Self::Text => row.try_get::<Option<String>>("", name)?.into(),
        })
    }
}

/// Feeds one value's canonical encoding (a tag, a length, the bytes) to `hasher`.
fn encode(hasher: &mut Sha256, value: &Value) {
    fn put(hasher: &mut Sha256, tag: u8, bytes: &[u8]) {
        hasher.update([tag]);
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    }
    match value {
        Value::Uuid(Some(u)) => put(hasher, 1, u.hyphenated().to_string().as_bytes()),
        Value::ChronoDateTimeUtc(Some(t)) => put(
            hasher,
            2,
            t.to_rfc3339_opts(SecondsFormat::Micros, true).as_bytes(),
        ),
        Value::ChronoDate(Some(d)) => put(hasher, 3, d.to_string().as_bytes()),
        Value::Json(Some(j)) => put(hasher, 4, &super::seal::canonical_json(j)),
        Value::Bool(Some(b)) => put(hasher, 5, &[u8::from(*b)]),
        Value::SmallInt(Some(i)) => put(hasher, 6, &i64::from(*i).to_be_bytes()),
        Value::Int(Some(i)) => put(hasher, 6, &i64::from(*i).to_be_bytes()),
        Value::BigInt(Some(i)) => put(hasher, 6, &i.to_be_bytes()),
        Value::Double(Some(f)) => put(hasher, 7, &f.to_bits().to_be_bytes()),
        Value::Bytes(Some(b)) => put(hasher, 8, b),
        Value::String(Some(s)) => put(hasher, 9, s.as_bytes()),
        _ => hasher.update([0]),
    }
}

/// One table as both databases have it.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    columns: Vec<(String, Kind)>,
    /// The read order: the primary key, parents first for self-referencing tables.
    order: Vec<String>,
}

/// What was copied, per table, with the checksum both sides agree on.
#[derive(Debug, Clone)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows copied.
    pub rows: u64,
    /// SHA-256 (hex) over the sorted row hashes.
    pub checksum: String,
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn query_all(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> std::result::Result<Vec<QueryResult>, DbErr> {
    conn.query_all_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        sql,
        values,
    ))
    .await
}

/// The tables of `db` with their parents (foreign keys) and columns.
async fn schema(
    db: &impl ConnectionTrait,
) -> Result<BTreeMap<String, (Vec<(String, Kind)>, Vec<String>, BTreeSet<String>)>> {
    let mut tables = BTreeMap::new();
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let names = query_all(
                db,
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
                vec![],
            )
            .await?;
            for row in names {
                let name: String = row.try_get("", "tablename")?;
                if internal(&name) {
                    continue;
                }
                let columns = query_all(
                    db,
                    "SELECT column_name::text AS name, data_type::text AS kind FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                    vec![name.clone().into()],
                )
                .await?
                .iter()
                .map(|c| {
                    Ok((
                        c.try_get::<String>("", "name")?,
                        Kind::of_postgres(&c.try_get::<String>("", "kind")?),
                    ))
                })
                .collect::<std::result::Result<Vec<_>, DbErr>>()?;
                let key = query_all(
                    db,
                    "SELECT a.attname::text AS name FROM pg_index i \
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indrelid = $1::regclass AND i.indisprimary \
                     ORDER BY array_position(i.indkey::int2[], a.attnum)",
                    vec![q(&name).into()],
                )
                .await?
                .iter()
                .map(|c| c.try_get::<String>("", "name"))
                .collect::<std::result::Result<Vec<_>, DbErr>>()?;
                let parents = query_all(
                    db,
                    "SELECT DISTINCT c.confrelid::regclass::text AS parent FROM pg_constraint c \
                     WHERE c.contype = 'f' AND c.conrelid = $1::regclass",
                    vec![q(&name).into()],
                )
                .await?
                .iter()
                .map(|c| {
                    c.try_get::<String>("", "parent")
                        .map(|p| p.trim_matches('"').to_owned())
                })
                .collect::<std::result::Result<BTreeSet<_>, DbErr>>()?;
                tables.insert(name, (columns, key, parents));
            }
        }
        _ => {
            let names = query_all(
                db,
                "SELECT name FROM sqlite_master WHERE type = 'table'",
                vec![],
            )
            .await?;
            for row in names {
                let name: String = row.try_get("", "name")?;
                if internal(&name) {
                    continue;
                }
                let info = query_all(
                    db,
                    "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid",
                    vec![name.clone().into()],
                )
                .await?;
                let mut columns = Vec::new();
                let mut key = Vec::new();
                for c in &info {
                    let column: String = c.try_get("", "name")?;
                    columns.push((
                        column.clone(),
                        Kind::of_sqlite(&c.try_get::<String>("", "type")?),
                    ));
                    let pk: i64 = c.try_get("", "pk")?;
                    if pk > 0 {
                        key.push((pk, column));
                    }
                }
                key.sort();
                let parents = query_all(
                    db,
                    "SELECT DISTINCT \"table\" AS parent FROM pragma_foreign_key_list(?)",
                    vec![name.clone().into()],
                )
                .await?
                .iter()
                .map(|c| c.try_get::<String>("", "parent"))
                .collect::<std::result::Result<BTreeSet<_>, DbErr>>()?;
                tables.insert(
                    name,
                    (columns, key.into_iter().map(|(_, c)| c).collect(), parents),
                );
            }
        }
    }
    Ok(tables)
}

/// The tables parents first, with column kinds taken from the PostgreSQL side when there
/// is one (its types are exact).
async fn plan(from: &DatabaseConnection, to: &DatabaseConnection) -> Result<Vec<Table>> {
    let source = schema(from).await?;
    let target = schema(to).await?;
    let source_names: BTreeSet<&String> = source.keys().collect();
    let target_names: BTreeSet<&String> = target.keys().collect();
    if source_names != target_names {
        return Err(CopyError::Schema(format!(
            "source tables {source_names:?}, target tables {target_names:?}: run `camptrack migrate` on both with the same version"
        )));
    }
    let exact = if to.get_database_backend() == DbBackend::Postgres {
        &target
    } else {
        &source
    };
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut ordered = Vec::new();
    while done.len() < source.len() {
        let ready: Vec<String> = source
            .iter()
            .filter(|(name, (_, _, parents))| {
                !done.contains(*name) && parents.iter().all(|p| p == *name || done.contains(p))
            })
            .map(|(name, _)| name.clone())
            .collect();
        if ready.is_empty() {
            return Err(CopyError::Schema("the foreign keys form a cycle".into()));
        }
        for name in ready {
            let (columns, key, parents) = &exact[&name];
            let source_columns: BTreeSet<&String> = source[&name].0.iter().map(|c| &c.0).collect();
            let target_columns: BTreeSet<&String> = target[&name].0.iter().map(|c| &c.0).collect();
            if source_columns != target_columns {
                return Err(CopyError::Schema(format!("table {name} has other columns")));
            }
            // A self-referencing table is read parents first: admin areas by level;
            // corrections (stock movements) come after what they correct in id order.
            let mut order = key.clone();
            if parents.contains(&name) && columns.iter().any(|c| c.0 == "level") {
                order.insert(0, "level".into());
            }
            if name == "audit_log" {
                order = vec!["xid".into(), "id".into()];
            }
            ordered.push(Table {
                name: name.clone(),
                columns: columns.clone(),
                order,
            });
            done.insert(name);
        }
    }
    Ok(ordered)
}

/// Tables that migrations fill (the seeded catalogue with its audit and change entries).
fn seeded_by_migrations(table: &str) -> bool {
    matches!(
        table,
        "items" | "kits" | "kit_items" | "audit_log" | "audit_seal" | "change_log"
    )
}

/// The first table of `db` holding data beyond what migrations seed (any audit entry other
/// than a `*.seed` one counts), if any.
async fn first_non_empty(db: &impl ConnectionTrait, tables: &[Table]) -> Result<Option<String>> {
    for table in tables {
        let sql = if table.name == "audit_log" {
            "SELECT 1 AS one FROM audit_log WHERE action NOT LIKE '%.seed' LIMIT 1".to_owned()
        } else if seeded_by_migrations(&table.name) {
            continue;
        } else {
            format!("SELECT 1 AS one FROM {} LIMIT 1", q(&table.name))
        };
        if !query_all(db, &sql, vec![]).await?.is_empty() {
            return Ok(Some(table.name.clone()));
        }
    }
    Ok(None)
}

/// Reads `table` from `conn` in batches, in its read order, calling `each` per batch.
async fn read_batches<F>(conn: &impl ConnectionTrait, table: &Table, mut each: F) -> Result<()>
where
    F: AsyncFnMut(Vec<Vec<Value>>) -> Result<()>,
{
    let columns: Vec<String> = table.columns.iter().map(|c| q(&c.0)).collect();
    let order: Vec<String> = table.order.iter().map(|c| q(c)).collect();
    let mut offset = 0_u64;
    loop {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {} LIMIT {BATCH} OFFSET {offset}",
            columns.join(", "),
            q(&table.name),
            order.join(", ")
        );
        let rows = query_all(conn, &sql, vec![]).await?;
        let n = rows.len();
        let values = rows
            .iter()
            .map(|row| {
                table
                    .columns
                    .iter()
                    .map(|(name, kind)| kind.read(row, name))
                    .collect::<std::result::Result<Vec<_>, DbErr>>()
            })
            .collect::<std::result::Result<Vec<_>, DbErr>>()?;
        each(values).await?;
        if n < BATCH {
            return Ok(());
        }
        offset += BATCH as u64;
    }
}

/// Row count and checksum of `table` in `conn`: SHA-256 over the sorted per-row hashes,
/// so the backends' orderings (collations) do not matter.
async fn checksum(conn: &impl ConnectionTrait, table: &Table) -> Result<(u64, String)> {
    let mut hashes: Vec<[u8; 32]> = Vec::new();
    read_batches(conn, table, async |rows| {
        for row in rows {
            hashes.push(row_hash(table, &row));
        }
        Ok(())
    })
    .await?;
    Ok(finish(hashes))
}

fn row_hash(table: &Table, row: &[Value]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for ((name, _), value) in table.columns.iter().zip(row) {
        if !local_order(&table.name, name) {
            encode(&mut hasher, value);
        }
    }
    hasher.finalize().into()
}

fn finish(mut hashes: Vec<[u8; 32]>) -> (u64, String) {
    hashes.sort_unstable();
    let mut hasher = Sha256::new();
    for h in &hashes {
        hasher.update(h);
    }
    (hashes.len() as u64, hex::encode(hasher.finalize()))
}

/// Deletes every row of `tables` in `db`, children first.
async fn clear(db: &DatabaseConnection, tables: &[Table]) -> Result<()> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        let names: Vec<String> = tables.iter().map(|t| q(&t.name)).collect();
        txn.execute_unprepared(&format!("TRUNCATE {}", names.join(", ")))
            .await?;
    } else {
        for table in tables.iter().rev() {
            txn.execute_unprepared(&format!("DELETE FROM {}", q(&table.name)))
                .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Copies every table of `from` into `to` and checks counts and checksums. `to` must be
/// migrated to the same version and hold nothing but what migrations seed, unless
/// `replace` (then its rows are deleted first). Returns one report per table, parents first.
pub async fn copy(
    from: &DatabaseConnection,
    to: &DatabaseConnection,
    replace: bool,
) -> Result<Vec<TableReport>> {
    let tables = plan(from, to).await?;
    if let Some(table) = first_non_empty(to, &tables).await?
        && !replace
    {
        return Err(CopyError::TargetNotEmpty(table));
    }
    // The migrations' seed rows (or, with `replace`, everything) make way for the source's.
    clear(to, &tables).await?;
    let postgres_source = from.get_database_backend() == DbBackend::Postgres;
    // One snapshot of the source for the whole copy.
    let source = from
        .begin_with_options(TransactionOptions {
            isolation_level: postgres_source.then_some(IsolationLevel::RepeatableRead),
            access_mode: postgres_source.then_some(AccessMode::ReadOnly),
            ..TransactionOptions::default()
        })
        .await?;
    let mut audit_order: HashMap<Uuid, i64> = HashMap::new();
    let audit_rows = count(&source, "audit_log").await?;
    let mut reports = Vec::new();
    for table in &tables {
        let report = copy_table(&source, to, table, &mut audit_order, audit_rows).await?;
        tracing::info!(table = %report.table, rows = report.rows, checksum = %report.checksum, "table copied");
        reports.push(report);
    }
    source.commit().await?;
    super::db::analyze(to).await?;
    Ok(reports)
}

async fn count(conn: &impl ConnectionTrait, table: &str) -> Result<i64> {
    let rows = query_all(
        conn,
        &format!("SELECT COUNT(*) AS n FROM {}", q(table)),
        vec![],
    )
    .await?;
    Ok(rows
        .first()
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

async fn copy_table(
    source: &DatabaseTransaction,
    to: &DatabaseConnection,
    table: &Table,
    audit_order: &mut HashMap<Uuid, i64>,
    audit_rows: i64,
) -> Result<TableReport> {
    let txn = to.begin().await?;
    let index = |column: &str| table.columns.iter().position(|c| c.0 == column);
    let xid = index("xid");
    let entry_xid = index("entry_xid");
    let id = index("id");
    let entry_id = index("entry_id");
    let mut hashes = Vec::new();
    let mut rank = 0_i64;
    read_batches(source, table, async |mut rows| {
        for row in &mut rows {
            hashes.push(row_hash(table, row));
            match table.name.as_str() {
                "change_log" => {
                    if let Some(x) = xid {
                        row[x] = Value::BigInt(Some(0));
                    }
                }
                "audit_log" => {
                    rank += 1;
                    let mapped = rank - audit_rows - 1;
                    if let (Some(x), Some(Value::Uuid(Some(entry)))) = (xid, id.map(|i| &row[i])) {
                        audit_order.insert(*entry, mapped);
                        row[x] = Value::BigInt(Some(mapped));
                    }
                }
                "audit_seal" => {
                    if let (Some(x), Some(Value::Uuid(Some(entry)))) =
                        (entry_xid, entry_id.map(|i| &row[i]))
                    {
                        let mapped = audit_order.get(entry).copied().unwrap_or(0);
                        row[x] = Value::BigInt(Some(mapped));
                    }
                }
                _ => {}
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = Query::insert()
            .into_table(Alias::new(&table.name))
            .columns(table.columns.iter().map(|c| Alias::new(&c.0)))
            .to_owned();
        for row in rows {
            insert.values_panic(row.into_iter().map(Expr::val));
        }
        txn.execute(&insert).await?;
        Ok(())
    })
    .await?;
    if to.get_database_backend() == DbBackend::Postgres {
        // Serial columns continue after the copied numbers.
        for (column, kind) in &table.columns {
            if matches!(kind, Kind::BigInt | Kind::Int) && table.order.first() == Some(column) {
                txn.execute_raw(Statement::from_string(
                    DbBackend::Postgres,
                    format!(
                        "SELECT setval(s, (SELECT COALESCE(MAX({c}), 0) + 1 FROM {t}), false) \
                         FROM pg_get_serial_sequence('{t}', '{column}') AS s WHERE s IS NOT NULL",
                        c = q(column),
                        t = q(&table.name),
                    ),
                ))
                .await?;
            }
        }
    }
    txn.commit().await?;
    let (source_rows, source_sum) = finish(hashes);
    let (target_rows, target_sum) = checksum(to, table).await?;
    if (source_rows, &source_sum) != (target_rows, &target_sum) {
        return Err(CopyError::Mismatch {
            table: table.name.clone(),
            source_rows,
            source_sum,
            target_rows,
            target_sum,
        });
    }
    Ok(TableReport {
        table: table.name.clone(),
        rows: source_rows,
        checksum: source_sum,
    })
}

/// Per-table counts and checksums of `db`, computed as [`copy`] computes them (for
/// comparing two databases, e.g. a backup and its restore).
pub async fn checksums(db: &DatabaseConnection) -> Result<Vec<TableReport>> {
    let tables = plan(db, db).await?;
    let mut reports = Vec::new();
    for table in &tables {
        let (rows, checksum) = checksum(db, table).await?;
        reports.push(TableReport {
            table: table.name.clone(),
            rows,
            checksum,
        });
    }
    Ok(reports)
}
