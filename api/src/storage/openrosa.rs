//! OpenRosa submissions: the raw XML of every submission a device sent (accepted or not)
//! and the media attached to accepted ones, kept in the database.
//!
//! An accepted submission is written in the same transaction as the record it becomes
//! (through [`assessments`] and [`distributions`], so validation, scoping, audit and the
//! change log are theirs), so a record never exists without its XML, nor the reverse.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::assessments::{self, AssessmentContent, AssessmentDraft, SubmitOptions};
use super::distributions::{self, DistributionContent, DistributionDraft};
use super::entities::{openrosa_attachment, openrosa_submission};
use super::page::{self, Page, PageRequest};
use super::scope::Scope;
use super::{Result, StorageError, Writer, audit, db};
use crate::auth::Caller;

/// SHA-256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a submission became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stored as a record (or an edit of one).
    Accepted,
    /// Refused; only its XML and the reason are kept.
    Rejected,
}

impl Status {
    fn code(self) -> &'static str {
        match self {
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
        }
    }
}

/// The kind of record a submission became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A site assessment.
    Assessment,
    /// A distribution.
    Distribution,
}

impl RecordKind {
    fn code(self) -> &'static str {
        match self {
            Self::Assessment => "ASSESSMENT",
            Self::Distribution => "DISTRIBUTION",
        }
    }
}

/// A submission as the device sent it: its XML and what was read from it (none of it when
/// the XML could not be read).
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    /// The form's id (the root element's `id`).
    pub form_id: Option<&'a str>,
    /// The form version the device filled.
    pub form_version: Option<&'a str>,
    /// `meta/instanceID`.
    pub instance_id: Option<&'a str>,
    /// `meta/deprecatedID`: the instance this one edits.
    pub deprecated_id: Option<&'a str>,
    /// The `xml_submission_file` bytes, exactly as received.
    pub xml: &'a [u8],
}

/// A media file sent with a submission.
#[derive(Debug, Clone)]
pub struct IncomingAttachment {
    /// The part's name: the file name the XML refers to.
    pub filename: String,
    /// The part's content type.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The write an accepted submission makes.
#[derive(Debug)]
pub enum Write {
    /// A new site assessment.
    NewAssessment(AssessmentDraft, SubmitOptions),
    /// An edit of an assessment at `version`.
    EditAssessment {
        /// The assessment.
        id: Uuid,
        /// The version the edited instance produced.
        version: i32,
        /// The new content.
        content: AssessmentContent,
    },
    /// A new distribution.
    NewDistribution(DistributionDraft),
    /// An edit of a distribution at `version`.
    EditDistribution {
        /// The distribution.
        id: Uuid,
        /// The version the edited instance produced.
        version: i32,
        /// The new content.
        content: DistributionContent,
    },
}

/// A kept submission.
#[derive(Debug, Clone)]
pub struct Submission {
    /// Server id.
    pub id: Uuid,
    /// Form id, when the XML named one.
    pub form_id: Option<String>,
    /// Form version, when the XML named one.
    pub form_version: Option<String>,
    /// `meta/instanceID`.
    pub instance_id: Option<String>,
    /// `meta/deprecatedID`.
    pub deprecated_id: Option<String>,
    /// The XML bytes as received.
    pub xml: Vec<u8>,
    /// SHA-256 of the XML bytes.
    pub xml_sha256: String,
    /// Accepted or rejected.
    pub status: Status,
    /// The HTTP status the device was answered with.
    pub http_status: u16,
    /// Why it was rejected.
    pub error: Option<String>,
    /// The submitting account.
    pub account_id: Uuid,
    /// The submitting account's organisation.
    pub organisation_id: Option<Uuid>,
    /// What it became.
    pub record_kind: Option<RecordKind>,
    /// The record's id.
    pub record_id: Option<Uuid>,
    /// The record's version after this submission.
    pub record_version: Option<i32>,
    /// When received (server clock).
    pub received_at: DateTime<Utc>,
}

/// A kept media file, without its bytes.
#[derive(Debug, Clone)]
pub struct AttachmentInfo {
    /// Server id.
    pub id: Uuid,
    /// The submission it belongs to.
    pub submission_id: Uuid,
    /// File name.
    pub filename: String,
    /// Content type as sent.
    pub content_type: String,
    /// SHA-256 of the bytes.
    pub sha256: String,
    /// Size in bytes.
    pub size: i64,
    /// When last written.
    pub updated_at: DateTime<Utc>,
}

/// A kept media file with its bytes.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// What is known about it.
    pub info: AttachmentInfo,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// What storing attachments did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttachmentsStored {
    /// New files.
    pub added: usize,
    /// Files whose bytes replaced other bytes under the same name.
    pub replaced: usize,
    /// Files already held with the same bytes.
    pub unchanged: usize,
}

fn from_row(m: openrosa_submission::Model) -> Submission {
    Submission {
        id: m.id,
        form_id: m.form_id,
        form_version: m.form_version,
        instance_id: m.instance_id,
        deprecated_id: m.deprecated_id,
        xml: m.xml,
        xml_sha256: m.xml_sha256,
        status: if m.status == Status::Accepted.code() {
            Status::Accepted
        } else {
            Status::Rejected
        },
        http_status: u16::try_from(m.http_status).unwrap_or(500),
        error: m.error,
        account_id: m.account_id,
        organisation_id: m.organisation_id,
        record_kind: match m.record_kind.as_deref() {
            Some("ASSESSMENT") => Some(RecordKind::Assessment),
            Some("DISTRIBUTION") => Some(RecordKind::Distribution),
            _ => None,
        },
        record_id: m.record_id,
        record_version: m.record_version,
        received_at: m.received_at,
    }
}

fn info_of(m: &openrosa_attachment::Model) -> AttachmentInfo {
    AttachmentInfo {
        id: m.id,
        submission_id: m.submission_id,
        filename: m.filename.clone(),
        content_type: m.content_type.clone(),
        sha256: m.sha256.clone(),
        size: m.size,
        updated_at: m.updated_at,
    }
}

/// The accepted submission of `instance_id` for `form_id`, whoever sent it.
pub async fn accepted(
    conn: &impl ConnectionTrait,
    form_id: &str,
    instance_id: &str,
) -> Result<Option<Submission>> {
    Ok(openrosa_submission::Entity::find()
        .filter(openrosa_submission::Column::FormId.eq(form_id))
        .filter(openrosa_submission::Column::AcceptedInstanceId.eq(instance_id))
        .one(conn)
        .await?
        .map(from_row))
}

/// The accepted submission that edited `instance_id` of `form_id`, if any: when there is
/// one, `instance_id` is no longer the current version.
pub async fn successor(
    conn: &impl ConnectionTrait,
    form_id: &str,
    instance_id: &str,
) -> Result<Option<Submission>> {
    Ok(openrosa_submission::Entity::find()
        .filter(openrosa_submission::Column::FormId.eq(form_id))
        .filter(openrosa_submission::Column::DeprecatedId.eq(instance_id))
        .filter(openrosa_submission::Column::Status.eq(Status::Accepted.code()))
        .one(conn)
        .await?
        .map(from_row))
}

fn row(
    caller: &Caller,
    received: &Received<'_>,
    status: Status,
    http_status: u16,
) -> openrosa_submission::ActiveModel {
    openrosa_submission::ActiveModel {
        id: Set(Uuid::now_v7()),
        form_id: Set(received.form_id.map(str::to_owned)),
        form_version: Set(received.form_version.map(str::to_owned)),
        instance_id: Set(received.instance_id.map(str::to_owned)),
        accepted_instance_id: Set(None),
        deprecated_id: Set(received.deprecated_id.map(str::to_owned)),
        xml: Set(received.xml.to_vec()),
        xml_sha256: Set(sha256_hex(received.xml)),
        xml_size: Set(i64::try_from(received.xml.len()).unwrap_or(i64::MAX)),
        status: Set(status.code().to_owned()),
        http_status: Set(i16::try_from(http_status).unwrap_or(500)),
        error: Set(None),
        account_id: Set(caller.account_id),
        organisation_id: Set(caller.organisation_id),
        record_kind: Set(None),
        record_id: Set(None),
        record_version: Set(None),
        received_at: Set(super::now()),
    }
}

/// Keeps a refused submission's XML with the reason and the status it was answered with.
pub async fn reject(
    db: &impl Writer,
    caller: &Caller,
    received: &Received<'_>,
    http_status: u16,
    error: &str,
) -> Result<Uuid> {
    let mut model = row(caller, received, Status::Rejected, http_status);
    model.error = Set(Some(error.to_owned()));
    let id = Uuid::now_v7();
    model.id = Set(id);
    let txn = db::begin_write(db).await?;
    openrosa_submission::Entity::insert(model)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(id)
}

/// Makes `write` and keeps the submission as accepted with its attachments, in one
/// transaction. The write's own errors (invalid, forbidden, conflict, not found) come back
/// unchanged and nothing is kept; the caller then keeps the XML with [`reject`].
pub async fn accept(
    db: &impl Writer,
    caller: &Caller,
    received: &Received<'_>,
    write: Write,
    attachments: &[IncomingAttachment],
) -> Result<Submission> {
    let (Some(form_id), Some(instance_id)) = (received.form_id, received.instance_id) else {
        return Err(camptrack_domain::Invalid::one(
            "meta/instanceID",
            "the submission names no form id or instance id",
        )
        .into());
    };
    let txn = db::begin_write(db).await?;
    let (kind, record_id, version) = match write {
        Write::NewAssessment(draft, options) => {
            let s = assessments::submit_with(&txn, caller, draft, &options).await?;
            (
                RecordKind::Assessment,
                s.assessment.id,
                s.assessment.version,
            )
        }
        Write::EditAssessment {
            id,
            version,
            content,
        } => {
            let a = assessments::update(&txn, caller, id, version, content).await?;
            (RecordKind::Assessment, a.id, a.version)
        }
        Write::NewDistribution(draft) => {
            let r = distributions::record(&txn, caller, draft).await?;
            (
                RecordKind::Distribution,
                r.distribution.id,
                r.distribution.version,
            )
        }
        Write::EditDistribution {
            id,
            version,
            content,
        } => {
            let d = distributions::update(&txn, caller, id, version, content).await?;
            (RecordKind::Distribution, d.id, d.version)
        }
    };
    let mut model = row(caller, received, Status::Accepted, 201);
    model.accepted_instance_id = Set(Some(instance_id.to_owned()));
    model.record_kind = Set(Some(kind.code().to_owned()));
    model.record_id = Set(Some(record_id));
    model.record_version = Set(Some(version));
    let id = Uuid::now_v7();
    model.id = Set(id);
    openrosa_submission::Entity::insert(model)
        .exec_without_returning(&txn)
        .await
        .map_err(|e| super::taken(e, &format!("instance {instance_id} of form {form_id}")))?;
    store_attachments(&txn, caller, id, attachments).await?;
    let stored = openrosa_submission::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| StorageError::not_found("OpenRosa submission", id))?;
    txn.commit().await?;
    Ok(from_row(stored))
}

/// Adds `attachments` to the accepted submission `submission_id` (a resend with the same
/// XML and more media): new names are added, a known name with other bytes replaces the
/// old bytes (as ODK Central does; audited as `openrosa.attachment.replace`), identical
/// ones are left alone.
pub async fn add_attachments(
    db: &impl Writer,
    caller: &Caller,
    submission_id: Uuid,
    attachments: &[IncomingAttachment],
) -> Result<AttachmentsStored> {
    let txn = db::begin_write(db).await?;
    let stored = store_attachments(&txn, caller, submission_id, attachments).await?;
    txn.commit().await?;
    Ok(stored)
}

async fn store_attachments(
    txn: &(impl ConnectionTrait + TransactionSession),
    caller: &Caller,
    submission_id: Uuid,
    attachments: &[IncomingAttachment],
) -> Result<AttachmentsStored> {
    let mut stored = AttachmentsStored::default();
    for file in attachments {
        let sha = sha256_hex(&file.bytes);
        let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
        let held = openrosa_attachment::Entity::find()
            .filter(openrosa_attachment::Column::SubmissionId.eq(submission_id))
            .filter(openrosa_attachment::Column::Filename.eq(file.filename.clone()))
            .one(txn)
            .await?;
        let now = super::now();
        match held {
            Some(held) if held.sha256 == sha => stored.unchanged += 1,
            Some(held) => {
                openrosa_attachment::Entity::update(openrosa_attachment::ActiveModel {
                    id: sea_orm::ActiveValue::Unchanged(held.id),
                    content_type: Set(file.content_type.clone()),
                    bytes: Set(file.bytes.clone()),
                    sha256: Set(sha.clone()),
                    size: Set(size),
                    updated_at: Set(now),
                    ..Default::default()
                })
                .exec(txn)
                .await?;
                audit::record(
                    txn,
                    Some(caller),
                    audit::Change {
                        action: "openrosa.attachment.replace",
                        entity: "openrosa_attachment",
                        entity_id: held.id.to_string(),
                        before: Some(
                            json!({ "filename": held.filename, "sha256": held.sha256, "size": held.size }),
                        ),
                        after: Some(
                            json!({ "filename": file.filename, "sha256": sha, "size": size }),
                        ),
                    },
                )
                .await?;
                stored.replaced += 1;
            }
            None => {
                openrosa_attachment::Entity::insert(openrosa_attachment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    submission_id: Set(submission_id),
                    filename: Set(file.filename.clone()),
                    content_type: Set(file.content_type.clone()),
                    bytes: Set(file.bytes.clone()),
                    sha256: Set(sha),
                    size: Set(size),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
                .exec_without_returning(txn)
                .await?;
                stored.added += 1;
            }
        }
    }
    Ok(stored)
}

/// Filters for listing submissions.
#[derive(Debug, Default, Clone)]
pub struct SubmissionFilter {
    /// Only accepted or only rejected ones.
    pub status: Option<Status>,
    /// Only this form's.
    pub form_id: Option<String>,
    /// Only those of this instance id.
    pub instance_id: Option<String>,
    /// Only those that became this record.
    pub record_id: Option<Uuid>,
}

/// Submissions the caller may see, oldest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    filter: &SubmissionFilter,
    page: &PageRequest,
) -> Result<Page<Submission>> {
    let mut query = openrosa_submission::Entity::find().filter(scope.openrosa_submissions());
    if let Some(status) = filter.status {
        query = query.filter(openrosa_submission::Column::Status.eq(status.code()));
    }
    if let Some(form) = &filter.form_id {
        query = query.filter(openrosa_submission::Column::FormId.eq(form.clone()));
    }
    if let Some(instance) = &filter.instance_id {
        query = query.filter(openrosa_submission::Column::InstanceId.eq(instance.clone()));
    }
    if let Some(record) = filter.record_id {
        query = query.filter(openrosa_submission::Column::RecordId.eq(record));
    }
    Ok(
        page::fetch(conn, query, openrosa_submission::Column::Id, page)
            .await?
            .map(from_row),
    )
}

/// The attachments of `submission_ids` (without bytes), by name.
pub async fn attachments_of(
    conn: &impl ConnectionTrait,
    submission_ids: &[Uuid],
) -> Result<Vec<AttachmentInfo>> {
    if submission_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = openrosa_attachment::Entity::find()
        .select_only()
        .columns([
            openrosa_attachment::Column::Id,
            openrosa_attachment::Column::SubmissionId,
            openrosa_attachment::Column::Filename,
            openrosa_attachment::Column::ContentType,
            openrosa_attachment::Column::Sha256,
            openrosa_attachment::Column::Size,
            openrosa_attachment::Column::UpdatedAt,
        ])
        .filter(openrosa_attachment::Column::SubmissionId.is_in(submission_ids.iter().copied()))
        .order_by_asc(openrosa_attachment::Column::Filename)
        .into_tuple::<(Uuid, Uuid, String, String, String, i64, DateTime<Utc>)>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, submission_id, filename, content_type, sha256, size, updated_at)| {
                AttachmentInfo {
                    id,
                    submission_id,
                    filename,
                    content_type,
                    sha256,
                    size,
                    updated_at,
                }
            },
        )
        .collect())
}

/// One attachment with its bytes, if the caller may see its submission; otherwise not
/// found, never its bytes.
pub async fn attachment(
    conn: &impl ConnectionTrait,
    scope: Scope<'_>,
    id: Uuid,
) -> Result<Attachment> {
    let not_found = || StorageError::not_found("attachment", id);
    let file = openrosa_attachment::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    openrosa_submission::Entity::find_by_id(file.submission_id)
        .filter(scope.openrosa_submissions())
        .one(conn)
        .await?
        .ok_or_else(not_found)?;
    Ok(Attachment {
        info: info_of(&file),
        bytes: file.bytes,
    })
}
