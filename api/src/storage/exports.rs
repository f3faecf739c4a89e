//! What exports read beyond the lists: the data version their `ETag` is derived from.

use sea_orm::{ConnectionTrait, DbErr, Statement};

use super::Result;

/// A fingerprint of everything an export can show, read in one statement (one snapshot):
/// - the change log's row count and largest `seq`: every write of a site, round, admin
///   area, assessment, distribution, stock movement, item or kit appends a row in its own
///   transaction, so any committed write of those kinds changes the count (the log is
///   append-only; a row committing late below the largest `seq` still changes the count);
/// - for the kinds the change log does not cover but exports show (organisation codes and
///   names, warehouse codes and names), each table's row count and largest `updated_at`.
///
/// Two reads give the same text only if no export could differ between them (the day
/// still matters for "today" defaults; the caller adds it).
pub async fn data_version(conn: &impl ConnectionTrait) -> Result<String> {
    let part = |table: &str, column: &str| {
        format!(
            "(SELECT CAST(COUNT(*) AS TEXT) || ':' || COALESCE(CAST(MAX({column}) AS TEXT), '-') FROM {table})"
        )
    };
    let sql = format!(
        "SELECT {} AS v0, {} AS v1, {} AS v2",
        part("change_log", "seq"),
        part("organisations", "updated_at"),
        part("warehouses", "updated_at"),
    );
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("data version".into()))?;
    let mut out = String::new();
    for column in ["v0", "v1", "v2"] {
        let v: String = row.try_get("", column)?;
        out.push_str(&v);
        out.push('/');
    }
    Ok(out)
}
