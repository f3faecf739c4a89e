//! Site assessments: submit, edit and review, each keeping every version and refreshing the
//! site's current figures in the same transaction.

use std::collections::HashMap;

use camptrack_domain::access::Write;
use camptrack_domain::assessment::AssessmentFigures;
use camptrack_domain::codes::{ReviewStatus, Role, Sex, ShelterType};
use camptrack_domain::sadd::SaddRow;
use camptrack_geo::{Cell, Coordinates};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ActiveValue::{Set, Unchanged};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement,
    TransactionSession,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::batch::{Outcome, changed_fields};
use super::changes::{self, EntityKind, Operation, Placement};
use super::entities::{assessment_sadd, assessment_version, site, site_assessment};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::sites::{self, CurrentFigures};
use super::{Result, StorageError, Writer, audit, db, decode, decode_json, placeholder};
use crate::auth::Caller;

/// What a visit reports, as the client sent it (validated).
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentContent {
    /// The round's number.
    pub round_number: i32,
    /// The day of the visit.
    pub assessed_on: NaiveDate,
    /// Counts, SADD, needs and other coded answers.
    pub figures: AssessmentFigures,
    /// Majority origin, admin1 p-code.
    pub origin_admin1_pcode: Option<String>,
    /// Majority origin, admin2 p-code.
    pub origin_admin2_pcode: Option<String>,
    /// Most common shelter type.
    pub shelter_type: Option<ShelterType>,
    /// Further indicator values by name.
    pub indicators: Map<String, Value>,
    /// Where the device was when the form was filled.
    pub captured_location: Option<Coordinates>,
    /// When the device captured the form (device clock, milliseconds).
    pub captured_at: Option<DateTime<Utc>>,
    /// The device's id.
    pub device_id: Option<String>,
}

/// A new assessment: its client-generated id, its site and its content.
#[derive(Debug, Clone)]
pub struct AssessmentDraft {
    /// Client-generated UUID; a replay with the same id is recognised.
    pub client_uuid: Uuid,
    /// The assessed site.
    pub site_id: Uuid,
    /// What the visit reports.
    pub content: AssessmentContent,
}

/// A stored assessment as the API shows it.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Server id.
    pub id: Uuid,
    /// Client-generated id.
    pub client_uuid: Uuid,
    /// The assessed site.
    pub site_id: Uuid,
    /// What the visit reported.
    pub content: AssessmentContent,
    /// Resolution-15 cell of the captured location.
    pub captured_cell: Option<Cell>,
    /// When the device captured the form (the server's receipt time when not given).
    pub captured_at: DateTime<Utc>,
    /// When the server first received it.
    pub received_at: DateTime<Utc>,
    /// The account that submitted it.
    pub submitted_by: Uuid,
    /// The submitting organisation.
    pub organisation_id: Option<Uuid>,
    /// Review state.
    pub review_status: ReviewStatus,
    /// Reviewer's note.
    pub review_note: Option<String>,
    /// Reviewer.
    pub reviewed_by: Option<Uuid>,
    /// When reviewed.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Version, 1 on submission, +1 on every edit or review.
    pub version: i32,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// The app that submitted it (from `X-Client-App` or `User-Agent`).
    pub client_app: Option<String>,
    /// That app's version.
    pub client_app_version: Option<String>,
}

pub use super::device::SubmitOptions;

/// One kept version of an assessment.
#[derive(Debug, Clone)]
pub struct AssessmentVersion {
    /// Version number.
    pub version: i32,
    /// The whole record at that version.
    pub snapshot: Value,
    /// Fields that changed from the previous version.
    pub changed_fields: Vec<String>,
    /// Who made it.
    pub changed_by: Option<Uuid>,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// What a submission did.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// The stored assessment.
    pub assessment: Assessment,
    /// Whether it was already stored (an identical replay).
    pub duplicate: bool,
}

impl AssessmentContent {
    /// The canonical JSON of the content: the form a replay must match and a version keeps.
    fn canonical(&self) -> Value {
        json!({
            "roundNumber": self.round_number,
            "assessedOn": self.assessed_on,
            "figures": self.figures,
            "originAdmin1Pcode": self.origin_admin1_pcode,
            "originAdmin2Pcode": self.origin_admin2_pcode,
            "shelterType": self.shelter_type,
            "indicators": self.indicators,
            "capturedLocation": self.captured_location.map(|c| [c.lat(), c.lon()]),
            "capturedAt": self.captured_at.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "deviceId": self.device_id,
        })
    }
}

impl AssessmentDraft {
    /// What a replay is compared on: the site and the canonical content.
    fn replay_form(&self) -> Value {
        json!({ "siteId": self.site_id, "content": self.content.canonical() })
    }

    /// SHA-256 of the canonical client input: equal for an identical replay.
    pub fn content_hash(&self) -> String {
        let canonical = json!({ "clientUuid": self.client_uuid, "siteId": self.site_id, "content": self.content.canonical() });
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

impl Assessment {
    /// The stored record in the form a replay is compared on.
    fn replay_form(&self) -> Value {
        json!({ "siteId": self.site_id, "content": self.content.canonical() })
    }

    /// The record as a version snapshot and in the audit log.
    pub(super) fn snapshot(&self) -> Value {
        json!({
            "id": self.id, "clientUuid": self.client_uuid, "siteId": self.site_id,
            "content": self.content.canonical(),
            "organisationId": self.organisation_id, "submittedBy": self.submitted_by,
            "reviewStatus": self.review_status, "reviewNote": self.review_note,
            "version": self.version,
        })
    }
}

fn from_row(m: site_assessment::Model, sadd: Vec<SaddRow>) -> Result<Assessment> {
    let bad = |e: camptrack_geo::GeoError| StorageError::Db(sea_orm::DbErr::Type(e.to_string()));
    let captured_location = match (m.captured_lat, m.captured_lon) {
        (Some(lat), Some(lon)) => Some(Coordinates::new(lat, lon).map_err(bad)?),
        _ => None,
    };
    let indicators: Map<String, Value> = decode_json(m.indicators)?;
    let count = |v: i64| {
        u32::try_from(v).map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))
    };
    let figures = AssessmentFigures {
        households: count(m.households)?,
        individuals: count(m.individuals)?,
        sadd,
        arrivals_3m: m.arrivals3m.map(count).transpose()?,
        departures_3m: m.departures3m.map(count).transpose()?,
        displacement_reasons: decode_json(m.displacement_reasons)?,
        shelter_conditions: decode_json(m.shelter_conditions)?,
        services: decode_json(m.services)?,
        priority_needs: decode_json(m.priority_needs)?,
        vulnerabilities: decode_json(m.vulnerabilities)?,
        indicator_keys: indicators.keys().cloned().collect(),
    };
    Ok(Assessment {
        id: m.id,
        client_uuid: m.client_uuid,
        site_id: m.site_id,
        content: AssessmentContent {
            round_number: m.round_number,
            assessed_on: m.assessed_on,
            figures,
            origin_admin1_pcode: m.origin_admin1_pcode,
            origin_admin2_pcode: m.origin_admin2_pcode,
            shelter_type: m.shelter_type.as_deref().map(decode).transpose()?,
            indicators,
            captured_location,
            captured_at: Some(m.captured_at),
            device_id: m.device_id,
        },
        captured_cell: m
            .captured_cell
            .map(Cell::try_from)
            .transpose()
            .map_err(bad)?,
        captured_at: m.captured_at,
        received_at: m.received_at,
        submitted_by: m.submitted_by,
        organisation_id: m.organisation_id,
        review_status: decode(&m.review_status)?,
        review_note: m.review_note,
        reviewed_by: m.reviewed_by,
        reviewed_at: m.reviewed_at,
        version: m.version,
        updated_at: m.updated_at,
        client_app: m.client_app,
        client_app_version: m.client_app_version,
    })
}

/// Loads the SADD rows of `ids`, grouped per assessment in band order.
async fn sadd_rows(conn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<(Uuid, SaddRow)>> {
    let rows = assessment_sadd::Entity::find()
        .filter(assessment_sadd::Column::AssessmentId.is_in(ids.iter().copied()))
        .order_by_asc(assessment_sadd::Column::Sex)
        .order_by_asc(assessment_sadd::Column::AgeMin)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            let age = |v: i16| {
                u8::try_from(v).map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))
            };
            Ok((
                r.assessment_id,
                SaddRow {
                    sex: decode::<Sex>(&r.sex)?,
                    age_min: age(r.age_min)?,
                    age_max: r.age_max.map(age).transpose()?,
                    count: u32::try_from(r.count)
                        .map_err(|e| StorageError::Db(sea_orm::DbErr::Type(e.to_string())))?,
                },
            ))
        })
        .collect()
}

/// Turns rows into records with their SADD, keeping the rows' order.
async fn hydrate(
    conn: &impl ConnectionTrait,
    rows: Vec<site_assessment::Model>,
) -> Result<Vec<Assessment>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut sadd = sadd_rows(conn, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut sadd)
                .into_iter()
                .partition(|(id, _)| *id == row.id);
            sadd = rest;
            from_row(row, mine.into_iter().map(|(_, r)| r).collect())
        })
        .collect()
}

async fn one(conn: &impl ConnectionTrait, row: site_assessment::Model) -> Result<Assessment> {
    let mut all = hydrate(conn, vec![row]).await?;
    Ok(all.remove(0))
}

/// Submits an assessment. An identical replay of a stored client UUID answers the stored
/// record (`duplicate`); the same UUID with other content is a conflict naming both.
pub async fn submit(
    db: &impl Writer,
    caller: &Caller,
    draft: AssessmentDraft,
) -> Result<Submitted> {
    submit_with(db, caller, draft, &SubmitOptions::default()).await
}

/// [`submit`], recording the submitting app and flagging a device clock far ahead.
pub async fn submit_with(
    db: &impl Writer,
    caller: &Caller,
    draft: AssessmentDraft,
    options: &SubmitOptions,
) -> Result<Submitted> {
    let scope = Scope::of(caller);
    scope.require(Write::Assessments)?;
    match submit_once(db, scope, &draft, options).await {
        // Two identical submissions raced past the replay check; the loser now finds the
        // winner's record and answers as a replay.
        Err(StorageError::Conflict { .. }) if replay_target(db, &draft).await?.is_some() => {
            submit_once(db, scope, &draft, options).await
        }
        other => other,
    }
}

/// One item of a batch submission: accepted, an identical replay (duplicate), a conflict
/// naming the fields that differ from the stored record, rejected, or to be retried.
pub async fn submit_item(
    db: &impl Writer,
    caller: &Caller,
    draft: AssessmentDraft,
    options: &SubmitOptions,
) -> Outcome<Assessment> {
    let client_uuid = draft.client_uuid;
    let sent = draft.replay_form();
    match submit_with(db, caller, draft, options).await {
        Ok(s) if s.duplicate => Outcome::Duplicate(s.assessment),
        Ok(s) => Outcome::Accepted(s.assessment),
        Err(StorageError::Conflict { message, current }) => {
            // The stored record only when the caller may see it (the conflict then carries
            // its snapshot); another organisation's record stays unnamed.
            let stored = match current {
                Some(_) => by_client_uuid(db, Scope::of(caller), client_uuid).await,
                None => Ok(None),
            };
            match stored {
                Ok(stored) => Outcome::Conflict {
                    message,
                    fields: stored
                        .as_ref()
                        .map(|s| changed_fields(&s.replay_form(), &fill_defaults(sent, s)))
                        .unwrap_or_default(),
                    current: stored,
                },
                Err(e) => Outcome::from_error(e),
            }
        }
        Err(e) => Outcome::from_error(e),
    }
}

/// `sent` with the values the server filled in when the device left them out (capture
/// time, device id) taken from `stored`, so a conflict names only what the device sent.
fn fill_defaults(mut sent: Value, stored: &Assessment) -> Value {
    let stored = stored.replay_form();
    for key in ["capturedAt", "deviceId"] {
        if sent["content"][key].is_null() {
            sent["content"][key] = stored["content"][key].clone();
        }
    }
    sent
}

/// Which assessment a field edit is for: its server id or its client UUID.
#[derive(Debug, Clone, Copy)]
pub enum EditTarget {
    /// The server id.
    Id(Uuid),
    /// The client-generated UUID it was submitted with.
    ClientUuid(Uuid),
}

/// One item of a batch of edits: applied (accepted), already applied (duplicate: the stored
/// content is what the device sends), a stale version (conflict carrying the current record
/// and the fields that differ), rejected, or to be retried.
pub async fn update_item(
    db: &impl Writer,
    caller: &Caller,
    target: EditTarget,
    version: i32,
    content: AssessmentContent,
) -> Outcome<Assessment> {
    let scope = Scope::of(caller);
    let id = match target {
        EditTarget::Id(id) => id,
        EditTarget::ClientUuid(client_uuid) => match by_client_uuid(db, scope, client_uuid).await {
            Ok(Some(a)) => a.id,
            Ok(None) => {
                return Outcome::Rejected(camptrack_domain::Invalid::one(
                    "clientUuid",
                    format!("no assessment with client UUID {client_uuid} that you may edit"),
                ));
            }
            Err(e) => return Outcome::from_error(e),
        },
    };
    let sent = content.canonical();
    match update(db, caller, id, version, content).await {
        Ok(a) => Outcome::Accepted(a),
        Err(StorageError::Conflict { message, .. }) => match get(db, scope, id).await {
            Ok(stored) if stored.content.canonical() == sent => Outcome::Duplicate(stored),
            Ok(stored) => Outcome::Conflict {
                message,
                fields: changed_fields(
                    &json!({ "content": stored.content.canonical() }),
                    &json!({ "content": sent }),
                ),
                current: Some(stored),
            },
            Err(e) => Outcome::from_error(e),
        },
        Err(StorageError::NotFound { .. }) => Outcome::Rejected(camptrack_domain::Invalid::one(
            match target {
                EditTarget::Id(_) => "id",
                EditTarget::ClientUuid(_) => "clientUuid",
            },
            format!("no assessment {id} that you may edit"),
        )),
        Err(e) => Outcome::from_error(e),
    }
}

async fn replay_target(
    conn: &impl ConnectionTrait,
    draft: &AssessmentDraft,
) -> Result<Option<site_assessment::Model>> {
    Ok(site_assessment::Entity::find()
        .filter(site_assessment::Column::ClientUuid.eq(draft.client_uuid))
        .one(conn)
        .await?)
}

async fn submit_once(
    db: &impl Writer,
    scope: Scope<'_>,
    draft: &AssessmentDraft,
    options: &SubmitOptions,
) -> Result<Submitted> {
    let caller = scope.caller();
    let hash = draft.content_hash();
    let txn = db::begin_write(db).await?;
    if let Some(stored) = replay_target(&txn, draft).await? {
        let visible = site_assessment::Entity::find_by_id(stored.id)
            .filter(scope.assessments())
            .one(&txn)
            .await?
            .is_some();
        if stored.content_hash == hash && visible {
            return Ok(Submitted {
                assessment: one(&txn, stored).await?,
                duplicate: true,
            });
        }
        let current = visible.then(|| one(&txn, stored));
        let current = match current {
            Some(fut) => Some(fut.await?.snapshot()),
            None => None,
        };
        return Err(StorageError::Conflict {
            message: format!(
                "client UUID {} is already used by a stored assessment with different content; send edits with updateAssessment, or use a new UUID for a new assessment",
                draft.client_uuid
            ),
            current,
        });
    }
    let site = writable_site(&txn, scope, draft.site_id).await?;
    let round = round_checked(&txn, &draft.content).await?;
    let now = super::now();
    let id = Uuid::now_v7();
    let content = &draft.content;
    // The header's device id is a fact about the request, not client input: it fills
    // a missing `deviceId` but is not part of the replay hash.
    let device = options.facts(content.captured_at, content.device_id.clone(), now);
    let (review_status, review_note) = match device.review_note {
        Some(note) => (ReviewStatus::NeedsFollowUp, Some(note)),
        None => (ReviewStatus::Submitted, None),
    };
    site_assessment::Entity::insert(site_assessment::ActiveModel {
        id: Set(id),
        client_uuid: Set(draft.client_uuid),
        content_hash: Set(hash),
        site_id: Set(site.id),
        round_id: Set(round),
        submitted_by: Set(caller.account_id),
        organisation_id: Set(caller.organisation_id),
        received_at: Set(now),
        review_status: Set(review_status.to_string()),
        review_note: Set(review_note),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        version: Set(1),
        updated_at: Set(now),
        captured_at: Set(device.captured_at),
        client_app: Set(device.client_app),
        client_app_version: Set(device.client_app_version),
        device_id: Set(device.device_id),
        ..content_columns(content)
    })
    .exec_without_returning(&txn)
    .await?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Assessment,
            entity_id: id.to_string(),
            operation: Operation::Submit,
            after: Some(Placement::of(&site)),
            before: None,
        },
    )
    .await?;
    write_sadd(&txn, id, &content.figures.sadd).await?;
    let stored = get_row(&txn, id).await?;
    let assessment = one(&txn, stored).await?;
    keep_version(&txn, caller, &assessment, None).await?;
    refresh_site(&txn, site.id).await?;
    audit::record(
        &txn,
        Some(caller),
        audit::Change {
            action: "assessment.submit",
            entity: "assessment",
            entity_id: id.to_string(),
            before: None,
            after: Some(assessment.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Submitted {
        assessment,
        duplicate: false,
    })
}

pub(super) fn content_columns(c: &AssessmentContent) -> site_assessment::ActiveModel {
    let f = &c.figures;
    site_assessment::ActiveModel {
        round_number: Set(c.round_number),
        assessed_on: Set(c.assessed_on),
        households: Set(f.households.into()),
        individuals: Set(f.individuals.into()),
        arrivals3m: Set(f.arrivals_3m.map(i64::from)),
        departures3m: Set(f.departures_3m.map(i64::from)),
        origin_admin1_pcode: Set(c.origin_admin1_pcode.clone()),
        origin_admin2_pcode: Set(c.origin_admin2_pcode.clone()),
        displacement_reasons: Set(json!(f.displacement_reasons)),
        shelter_type: Set(c.shelter_type.map(|s| s.to_string())),
        shelter_conditions: Set(json!(f.shelter_conditions)),
        services: Set(json!(f.services)),
        priority_needs: Set(json!(f.priority_needs)),
        vulnerabilities: Set(json!(f.vulnerabilities)),
        indicators: Set(Value::Object(c.indicators.clone())),
        captured_lat: Set(c.captured_location.map(|l| l.lat())),
        captured_lon: Set(c.captured_location.map(|l| l.lon())),
        captured_cell: Set(c.captured_location.map(|l| l.cell().as_i64())),
        device_id: Set(c.device_id.clone()),
        ..Default::default()
    }
}

async fn write_sadd(txn: &impl ConnectionTrait, id: Uuid, rows: &[SaddRow]) -> Result<()> {
    assessment_sadd::Entity::delete_many()
        .filter(assessment_sadd::Column::AssessmentId.eq(id))
        .exec(txn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    assessment_sadd::Entity::insert_many(rows.iter().map(|r| assessment_sadd::ActiveModel {
        assessment_id: Set(id),
        sex: Set(r.sex.to_string()),
        age_min: Set(r.age_min.into()),
        age_max: Set(r.age_max.map(i16::from)),
        count: Set(r.count.into()),
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The site, if the caller may write assessments for it.
async fn writable_site(
    txn: &impl ConnectionTrait,
    scope: Scope<'_>,
    site_id: Uuid,
) -> Result<site::Model> {
    let not_found = || {
        camptrack_domain::Invalid::one("siteId", format!("no site {site_id} that you may assess"))
    };
    let row = site::Entity::find_by_id(site_id)
        .filter(scope.sites())
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    if scope.site_in_area(&row) {
        Ok(row)
    } else {
        Err(not_found().into())
    }
}

/// The round's id, when the round exists.
async fn round_checked(txn: &impl ConnectionTrait, content: &AssessmentContent) -> Result<Uuid> {
    match super::rounds::get_by_number(txn, content.round_number).await {
        Ok(round) => Ok(round.id),
        Err(StorageError::NotFound { .. }) => Err(camptrack_domain::Invalid::one(
            "roundNumber",
            format!(
                "round {} does not exist; ask a coordinator to create it",
                content.round_number
            ),
        )
        .into()),
        Err(e) => Err(e),
    }
}

async fn get_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<site_assessment::Model> {
    site_assessment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("assessment", id))
}

/// Keeps `assessment` as a version, noting the fields changed since `previous`.
async fn keep_version(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    assessment: &Assessment,
    previous: Option<&Value>,
) -> Result<()> {
    let snapshot = assessment.snapshot();
    let changed = previous
        .map(|before| changed_fields(before, &snapshot))
        .unwrap_or_default();
    assessment_version::Entity::insert(assessment_version::ActiveModel {
        id: Set(Uuid::now_v7()),
        assessment_id: Set(assessment.id),
        version: Set(assessment.version),
        snapshot: Set(snapshot),
        changed_fields: Set(json!(changed)),
        changed_by: Set(Some(caller.account_id)),
        changed_at: Set(assessment.updated_at),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Sets the site's current figures from its latest counted assessment, in the one order:
/// (assessed_on, round number, captured_at, id), REJECTED not counted.
pub(super) async fn refresh_site(txn: &impl ConnectionTrait, site_id: Uuid) -> Result<()> {
    refresh_sites(txn, &[site_id]).await
}

/// [`refresh_site`] for many sites: a few statements per chunk of sites, whatever its size.
pub(super) async fn refresh_sites(txn: &impl ConnectionTrait, site_ids: &[Uuid]) -> Result<()> {
    let mut ids = site_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(super::rollups::VALUES_PER_QUERY) {
        // Lock the sites first, so the latest assessments are read after any concurrent
        // writer of the same sites committed (PostgreSQL; SQLite writers are serialised).
        let before = super::rollups::lock_sites(txn, chunk).await?;
        if before.len() != chunk.len()
            && let Some(missing) = chunk.iter().find(|id| !before.iter().any(|m| m.id == **id))
        {
            return Err(StorageError::not_found("site", missing));
        }
        let mut latest = latest_of(txn, chunk).await?;
        let changes: Vec<(site::Model, CurrentFigures)> = before
            .into_iter()
            .map(|m| {
                let figures = latest.remove(&m.id).unwrap_or_default();
                (m, figures)
            })
            .collect();
        sites::set_current(txn, &changes).await?;
    }
    Ok(())
}

/// The figures of the latest counted assessment of each of `site_ids` that has one.
async fn latest_of(
    txn: &impl ConnectionTrait,
    site_ids: &[Uuid],
) -> Result<HashMap<Uuid, CurrentFigures>> {
    let backend = txn.get_database_backend();
    let list: Vec<String> = (1..=site_ids.len())
        .map(|n| placeholder(backend, n))
        .collect();
    let sql = format!(
        "SELECT t.id FROM (SELECT a.id, ROW_NUMBER() OVER (PARTITION BY a.site_id ORDER BY a.assessed_on DESC, a.round_number DESC, a.captured_at DESC, a.id DESC) AS latest FROM site_assessments a WHERE a.site_id IN ({}) AND a.review_status <> {}) t WHERE t.latest = 1",
        list.join(", "),
        placeholder(backend, site_ids.len() + 1)
    );
    let mut values: Vec<sea_orm::Value> = site_ids.iter().map(|id| (*id).into()).collect();
    values.push(ReviewStatus::Rejected.to_string().into());
    let winners: Vec<Uuid> = txn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<std::result::Result<_, _>>()?;
    if winners.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = site_assessment::Entity::find()
        .filter(site_assessment::Column::Id.is_in(winners.iter().copied()))
        .all(txn)
        .await?;
    let mut sadd: HashMap<Uuid, Vec<SaddRow>> = HashMap::new();
    for (id, row) in sadd_rows(txn, &winners).await? {
        sadd.entry(id).or_default().push(row);
    }
    rows.into_iter()
        .map(|row| {
            let bands = sadd.remove(&row.id).unwrap_or_default();
            let a = from_row(row, bands)?;
            Ok((
                a.site_id,
                CurrentFigures {
                    assessment_id: Some(a.id),
                    assessed_on: Some(a.content.assessed_on),
                    households: a.content.figures.households.into(),
                    individuals: a.content.figures.individuals.into(),
                    arrivals: a.content.figures.arrivals_3m.map_or(0, i64::from),
                    departures: a.content.figures.departures_3m.map_or(0, i64::from),
                    sadd: a.content.figures.sadd,
                },
            ))
        })
        .collect()
}

/// Loads an assessment the caller may see and edit, checking `version`.
async fn editable(
    txn: &impl ConnectionTrait,
    scope: Scope<'_>,
    id: Uuid,
    version: i32,
) -> Result<Assessment> {
    let row = site_assessment::Entity::find_by_id(id)
        .filter(scope.assessments())
        .one(txn)
        .await?
        .ok_or_else(|| StorageError::not_found("assessment", id))?;
    let caller = scope.caller();
    if caller.role == Role::Enumerator && row.organisation_id != caller.organisation_id {
        return Err(StorageError::Forbidden(
            "enumerators edit only their own organisation's assessments".to_owned(),
        ));
    }
    let current = one(txn, row).await?;
    super::check_version("assessment", id, current.version, version, || {
        current.snapshot()
    })?;
    Ok(current)
}

/// Replaces an assessment's content if `version` is still current.
pub async fn update(
    db: &impl Writer,
    caller: &Caller,
    id: Uuid,
    version: i32,
    content: AssessmentContent,
) -> Result<Assessment> {
    let scope = Scope::of(caller);
    scope.require(Write::Assessments)?;
    let txn = db::begin_write(db).await?;
    let before = editable(&txn, scope, id, version).await?;
    let round = round_checked(&txn, &content).await?;
    let now = super::now();
    site_assessment::Entity::update(site_assessment::ActiveModel {
        id: Unchanged(id),
        round_id: Set(round),
        captured_at: Set(content.captured_at.unwrap_or(before.captured_at)),
        version: Set(version + 1),
        updated_at: Set(now),
        ..content_columns(&content)
    })
    .validate()?
    .filter(site_assessment::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "client UUID"))?;
    write_sadd(&txn, id, &content.figures.sadd).await?;
    finish_change(txn, caller, id, &before, Operation::Update).await
}

/// Reviews an assessment if `version` is still current.
pub async fn review(
    db: &impl Writer,
    caller: &Caller,
    id: Uuid,
    version: i32,
    status: ReviewStatus,
    note: Option<String>,
) -> Result<Assessment> {
    let scope = Scope::of(caller);
    scope.require(Write::Reviews)?;
    let txn = db::begin_write(db).await?;
    let before = editable(&txn, scope, id, version).await?;
    let now = super::now();
    site_assessment::Entity::update(site_assessment::ActiveModel {
        id: Unchanged(id),
        review_status: Set(status.to_string()),
        review_note: Set(note),
        reviewed_by: Set(Some(caller.account_id)),
        reviewed_at: Set(Some(now)),
        version: Set(version + 1),
        updated_at: Set(now),
        ..Default::default()
    })
    .validate()?
    .filter(site_assessment::Column::Version.eq(version))
    .exec(&txn)
    .await
    .map_err(|e| super::taken(e, "client UUID"))?;
    finish_change(txn, caller, id, &before, Operation::Review).await
}

async fn finish_change(
    txn: impl ConnectionTrait + TransactionSession,
    caller: &Caller,
    id: Uuid,
    before: &Assessment,
    operation: Operation,
) -> Result<Assessment> {
    let action = match operation {
        Operation::Review => "assessment.review",
        _ => "assessment.update",
    };
    let after = one(&txn, get_row(&txn, id).await?).await?;
    let site = site::Entity::find_by_id(after.site_id)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::not_found("site", after.site_id))?;
    changes::append(
        &txn,
        changes::Entry {
            entity: EntityKind::Assessment,
            entity_id: id.to_string(),
            operation,
            after: Some(Placement::of(&site)),
            before: None,
        },
    )
    .await?;
    let before_snapshot = before.snapshot();
    keep_version(&txn, caller, &after, Some(&before_snapshot)).await?;
    refresh_site(&txn, after.site_id).await?;
    audit::record(
        &txn,
        Some(caller),
        audit::Change {
            action,
            entity: "assessment",
            entity_id: id.to_string(),
            before: Some(before_snapshot),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

/// Filters for listing assessments.
#[derive(Debug, Default, Clone)]
pub struct AssessmentFilter {
    /// Only this site's.
    pub site_id: Option<Uuid>,
    /// Only this round's.
    pub round_number: Option<i32>,
    /// Only visits on or after this day.
    pub assessed_from: Option<NaiveDate>,
    /// Only visits on or before this day.
    pub assessed_to: Option<NaiveDate>,
    /// Only this organisation's.
    pub organisation_id: Option<Uuid>,
    /// Only these review states.
    pub review_statuses: Vec<ReviewStatus>,
    /// Only at sites whose admin0-3 p-code is this one.
    pub admin_pcode: Option<String>,
    /// Only at sites in an area (see `area::site_id_condition`).
    pub in_area: Option<Condition>,
}

impl AssessmentFilter {
    fn condition(&self) -> Condition {
        let mut cond = Condition::all();
        if let Some(site) = self.site_id {
            cond = cond.add(site_assessment::Column::SiteId.eq(site));
        }
        if let Some(round) = self.round_number {
            cond = cond.add(site_assessment::Column::RoundNumber.eq(round));
        }
        if let Some(from) = self.assessed_from {
            cond = cond.add(site_assessment::Column::AssessedOn.gte(from));
        }
        if let Some(to) = self.assessed_to {
            cond = cond.add(site_assessment::Column::AssessedOn.lte(to));
        }
        if let Some(org) = self.organisation_id {
            cond = cond.add(site_assessment::Column::OrganisationId.eq(org));
        }
        if !self.review_statuses.is_empty() {
            cond = cond.add(
                site_assessment::Column::ReviewStatus
                    .is_in(self.review_statuses.iter().map(ToString::to_string)),
            );
        }
        if let Some(area) = &self.in_area {
            cond = cond.add(area.clone());
        }
        if let Some(p) = &self.admin_pcode {
            cond = cond.add(
                site_assessment::Column::SiteId.in_subquery(super::scope::site_ids_with_pcode(p)),
            );
        }
        cond
    }
}

/// The column holding an assessment's site, for area conditions.
pub fn site_id_column() -> impl ColumnTrait {
    site_assessment::Column::SiteId
}

/// Assessments the caller may see, filtered, in submission order.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &AssessmentFilter,
    page: &PageRequest,
) -> Result<Page<Assessment>> {
    list_since(conn, scope, filter, None, page).await
}

/// [`list`], restricted to assessments whose `updated_at` (submission, edit or review) is
/// at or after `since` when given: the incremental pulls of exports.
pub async fn list_since(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &AssessmentFilter,
    since: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> Result<Page<Assessment>> {
    let mut query = site_assessment::Entity::find()
        .filter(scope.assessments())
        .filter(filter.condition());
    if let Some(since) = since {
        query = query.filter(site_assessment::Column::UpdatedAt.gte(since));
    }
    let mut page = page::fetch(conn, query, site_assessment::Column::Id, page).await?;
    let items = hydrate(conn, std::mem::take(&mut page.items)).await?;
    Ok(page.with_items(items))
}

/// The assessment with `id`, if the caller may see it; otherwise not found, never its data.
pub async fn get(conn: &impl ConnectionTrait, scope: Scope<'_>, id: Uuid) -> Result<Assessment> {
    let row = site_assessment::Entity::find_by_id(id)
        .filter(scope.assessments())
        .one(conn)
        .await?
        .ok_or_else(|| StorageError::not_found("assessment", id))?;
    one(conn, row).await
}

/// Every kept version of an assessment the caller may see, oldest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    id: Uuid,
) -> Result<Vec<AssessmentVersion>> {
    get(conn, scope, id).await?;
    assessment_version::Entity::find()
        .filter(assessment_version::Column::AssessmentId.eq(id))
        .order_by_asc(assessment_version::Column::Version)
        .all(conn)
        .await?
        .into_iter()
        .map(|v| {
            Ok(AssessmentVersion {
                version: v.version,
                snapshot: v.snapshot,
                changed_fields: decode_json(v.changed_fields)?,
                changed_by: v.changed_by,
                changed_at: v.changed_at,
            })
        })
        .collect()
}

/// Assessments by id that the caller may see, for resolving change-log rows.
pub(super) async fn by_ids(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    ids: &[Uuid],
) -> Result<Vec<Assessment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = site_assessment::Entity::find()
        .filter(site_assessment::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.assessments())
        .all(conn)
        .await?;
    hydrate(conn, rows).await
}

/// The assessment submitted with `client_uuid`, if the caller may see it.
pub async fn by_client_uuid(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuid: Uuid,
) -> Result<Option<Assessment>> {
    let row = site_assessment::Entity::find()
        .filter(site_assessment::Column::ClientUuid.eq(client_uuid))
        .filter(scope.assessments())
        .one(conn)
        .await?;
    match row {
        Some(row) => Ok(Some(one(conn, row).await?)),
        None => Ok(None),
    }
}

/// What the server holds for each client UUID, in the order asked: the stored assessment
/// when the caller may see it (its scope, or it submitted it itself), else `None`, which
/// is all a caller learns about another organisation's record.
pub async fn statuses(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    client_uuids: &[Uuid],
) -> Result<Vec<(Uuid, Option<Assessment>)>> {
    let rows = site_assessment::Entity::find()
        .filter(site_assessment::Column::ClientUuid.is_in(client_uuids.iter().copied()))
        .filter(
            Condition::any()
                .add(scope.assessments())
                .add(site_assessment::Column::SubmittedBy.eq(scope.caller().account_id)),
        )
        .all(conn)
        .await?;
    let held: HashMap<Uuid, Assessment> = hydrate(conn, rows)
        .await?
        .into_iter()
        .map(|a| (a.client_uuid, a))
        .collect();
    Ok(super::batch::in_asked_order(client_uuids, &held))
}
