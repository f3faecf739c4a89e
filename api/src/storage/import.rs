//! Bulk import of sites and assessments (the demo data set, benchmarks, copies): multi-row
//! inserts in the caller's transaction, the same rows the API writes (assessments with their
//! SADD rows and first version, content hashes for replay detection, change-log entries),
//! one audit entry per batch, and the sites' current figures refreshed once at the end by
//! the same rule the API uses. Every step is a statement per chunk of rows, never per row.

use camptrack_domain::codes::{OperationalStatus, ReviewStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, Iterable, QueryFilter};
use serde_json::json;
use uuid::Uuid;

use super::assessments::{self, Assessment, AssessmentDraft};
use super::changes::{self, EntityKind, Operation, Placement};
use super::entities::{assessment_sadd, assessment_version, site, site_assessment};
use super::sites::SiteDraft;
use super::{Result, audit, now, rounds};
use crate::auth::Caller;

/// Bound values per multi-row INSERT: under both backends' limits (SQLite 32,766,
/// PostgreSQL 65,535); each table's rows per statement follow from its column count.
const VALUES_PER_INSERT: usize = 30_000;

/// An assessment to import, with who submitted it and its review state.
#[derive(Debug, Clone)]
pub struct ImportedAssessment {
    /// The assessment as a client would submit it.
    pub draft: AssessmentDraft,
    /// The submitting enumerator (its organisation is recorded).
    pub submitted_by: Caller,
    /// Its review state.
    pub review_status: ReviewStatus,
}

/// Inserts open sites; returns their ids in order.
pub async fn sites(
    conn: &impl ConnectionTrait,
    actor: &Caller,
    drafts: Vec<SiteDraft>,
) -> Result<Vec<Uuid>> {
    let at = now();
    let mut ids = Vec::with_capacity(drafts.len());
    let mut rows = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let id = Uuid::now_v7();
        ids.push(id);
        rows.push(site::ActiveModel {
            id: Set(id),
            operational_status: Set(OperationalStatus::Open.to_string()),
            closed_on: Set(None),
            current_assessment_id: Set(None),
            current_assessed_on: Set(None),
            current_households: Set(0),
            current_individuals: Set(0),
            current_sadd: Set(json!([])),
            version: Set(1),
            created_at: Set(at),
            updated_at: Set(at),
            ..super::sites::fields(draft)
        });
    }
    let count = rows.len();
    insert_chunked(conn, rows, site::Entity::insert_many).await?;
    let written = site_rows(conn, &ids).await?;
    let entries = written
        .values()
        .map(|site| entry(EntityKind::Site, site.id, Operation::Create, site))
        .collect();
    changes::append_all(conn, entries).await?;
    let added = written
        .values()
        .map(super::rollups::of_site)
        .collect::<Result<Vec<_>>>()?;
    super::rollups::apply(conn, added.iter().flatten().map(|c| (None, Some(c)))).await?;
    audit::record(
        conn,
        Some(actor),
        audit::Change {
            action: "site.import",
            entity: "site",
            entity_id: format!("{count} sites"),
            before: None,
            after: Some(json!({ "count": count })),
        },
    )
    .await?;
    Ok(ids)
}

/// Inserts assessments (round numbers must exist), then refreshes the figures of every site
/// they touch. Returns their ids in order.
pub async fn assessments(
    conn: &impl ConnectionTrait,
    actor: &Caller,
    items: Vec<ImportedAssessment>,
) -> Result<Vec<Uuid>> {
    let rounds: std::collections::BTreeMap<i32, Uuid> = rounds::all(conn)
        .await?
        .into_iter()
        .map(|r| (r.number, r.id))
        .collect();
    let at = now();
    let mut ids = Vec::with_capacity(items.len());
    let (mut rows, mut sadd, mut versions) = (Vec::new(), Vec::new(), Vec::new());
    let mut touched = std::collections::BTreeSet::new();
    let mut site_of = Vec::with_capacity(items.len());
    for item in items {
        let id = Uuid::now_v7();
        ids.push(id);
        let content = &item.draft.content;
        let round = *rounds.get(&content.round_number).ok_or_else(|| {
            camptrack_domain::Invalid::one(
                "roundNumber",
                format!("round {} does not exist", content.round_number),
            )
        })?;
        touched.insert(item.draft.site_id);
        site_of.push(item.draft.site_id);
        let captured_at = content.captured_at.unwrap_or(at);
        let record = Assessment {
            id,
            client_uuid: item.draft.client_uuid,
            site_id: item.draft.site_id,
            content: content.clone(),
            captured_cell: content.captured_location.map(|l| l.cell()),
            captured_at,
            received_at: at,
            submitted_by: item.submitted_by.account_id,
            organisation_id: item.submitted_by.organisation_id,
            review_status: item.review_status,
            review_note: None,
            reviewed_by: None,
            reviewed_at: None,
            version: 1,
            updated_at: at,
            client_app: None,
            client_app_version: None,
        };
        rows.push(site_assessment::ActiveModel {
            id: Set(id),
            client_uuid: Set(item.draft.client_uuid),
            content_hash: Set(item.draft.content_hash()),
            site_id: Set(item.draft.site_id),
            round_id: Set(round),
            submitted_by: Set(record.submitted_by),
            organisation_id: Set(record.organisation_id),
            received_at: Set(at),
            review_status: Set(item.review_status.to_string()),
            review_note: Set(None),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
            version: Set(1),
            updated_at: Set(at),
            captured_at: Set(captured_at),
            ..assessments::content_columns(content)
        });
        sadd.extend(
            content
                .figures
                .sadd
                .iter()
                .map(|r| assessment_sadd::ActiveModel {
                    assessment_id: Set(id),
                    sex: Set(r.sex.to_string()),
                    age_min: Set(r.age_min.into()),
                    age_max: Set(r.age_max.map(i16::from)),
                    count: Set(r.count.into()),
                }),
        );
        versions.push(assessment_version::ActiveModel {
            id: Set(Uuid::now_v7()),
            assessment_id: Set(id),
            version: Set(1),
            snapshot: Set(record.snapshot()),
            changed_fields: Set(json!([])),
            changed_by: Set(Some(record.submitted_by)),
            changed_at: Set(at),
        });
    }
    let count = rows.len();
    insert_chunked(conn, rows, site_assessment::Entity::insert_many).await?;
    insert_chunked(conn, sadd, assessment_sadd::Entity::insert_many).await?;
    insert_chunked(conn, versions, assessment_version::Entity::insert_many).await?;
    let touched: Vec<Uuid> = touched.into_iter().collect();
    assessments::refresh_sites(conn, &touched).await?;
    let sites = site_rows(conn, &touched).await?;
    let entries = ids
        .iter()
        .zip(&site_of)
        .filter_map(|(id, site_id)| {
            let site = sites.get(site_id)?;
            Some(entry(EntityKind::Assessment, *id, Operation::Submit, site))
        })
        .collect();
    changes::append_all(conn, entries).await?;
    audit::record(
        conn,
        Some(actor),
        audit::Change {
            action: "assessment.import",
            entity: "assessment",
            entity_id: format!("{count} assessments"),
            before: None,
            after: Some(json!({ "count": count })),
        },
    )
    .await?;
    Ok(ids)
}

/// Site rows by id.
async fn site_rows(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::BTreeMap<Uuid, site::Model>> {
    let mut out = std::collections::BTreeMap::new();
    for chunk in ids.chunks(500) {
        for row in site::Entity::find()
            .filter(site::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            out.insert(row.id, row);
        }
    }
    Ok(out)
}

/// The change-log entry devices sync from, as the single-record writes append it.
fn entry(entity: EntityKind, id: Uuid, operation: Operation, site: &site::Model) -> changes::Entry {
    changes::Entry {
        entity,
        entity_id: id.to_string(),
        operation,
        after: Some(Placement::of(site)),
        before: None,
    }
}

async fn insert_chunked<A, F>(conn: &impl ConnectionTrait, rows: Vec<A>, insert: F) -> Result<()>
where
    A: sea_orm::ActiveModelTrait,
    F: Fn(Vec<A>) -> sea_orm::InsertMany<A>,
{
    let columns = <<A::Entity as EntityTrait>::Column as Iterable>::iter().count();
    let per_insert = (VALUES_PER_INSERT / columns.max(1)).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(per_insert).collect();
        insert(chunk).exec_without_returning(conn).await?;
    }
    Ok(())
}
