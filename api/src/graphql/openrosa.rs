//! Raw OpenRosa submissions (the XML each device sent, accepted or not, and its media),
//! for review by coordinators and the submitting organisation.

use async_graphql::{Context, Enum, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::error::OrGql;
use crate::storage::openrosa::{
    self, AttachmentInfo, RecordKind, Status, Submission, SubmissionFilter,
};

/// What became of an OpenRosa submission.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OpenRosaSubmissionStatus")]
pub enum SubmissionStatus {
    /// Stored as a record (or an edit of one).
    Accepted,
    /// Refused; `error` says why. Only the XML is kept.
    Rejected,
}

/// The kind of record a submission became.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "OpenRosaRecordKind")]
pub enum SubmissionRecordKind {
    /// A site assessment.
    Assessment,
    /// A distribution.
    Distribution,
}

/// A media file sent with a submission.
#[derive(Debug, Clone)]
pub struct AttachmentNode(pub AttachmentInfo);

#[Object(name = "OpenRosaAttachment")]
impl AttachmentNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// File name, as the XML refers to it.
    async fn filename(&self) -> &str {
        &self.0.filename
    }
    /// Content type as sent.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Size in bytes.
    async fn size(&self) -> i64 {
        self.0.size
    }
    /// SHA-256 of the bytes (hex).
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// When last written (a resend with other bytes replaces them).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Where to download it (with `Authorization: Bearer <token>` or Basic).
    async fn download_path(&self) -> String {
        crate::http::openrosa::attachment_path(self.0.id)
    }
}

/// One submission as the device sent it.
#[derive(Debug, Clone)]
pub struct SubmissionNode(pub Submission);

#[Object(name = "OpenRosaSubmission")]
impl SubmissionNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The form id, when the XML named one.
    async fn form_id(&self) -> Option<&str> {
        self.0.form_id.as_deref()
    }
    /// The form version the device filled.
    async fn form_version(&self) -> Option<&str> {
        self.0.form_version.as_deref()
    }
    /// `meta/instanceID`.
    async fn instance_id(&self) -> Option<&str> {
        self.0.instance_id.as_deref()
    }
    /// `meta/deprecatedID`: the instance this one edits.
    async fn deprecated_id(&self) -> Option<&str> {
        self.0.deprecated_id.as_deref()
    }
    /// Accepted or rejected.
    async fn status(&self) -> SubmissionStatus {
        match self.0.status {
            Status::Accepted => SubmissionStatus::Accepted,
            Status::Rejected => SubmissionStatus::Rejected,
        }
    }
    /// The HTTP status the device was answered with.
    async fn http_status(&self) -> i32 {
        self.0.http_status.into()
    }
    /// Why it was refused, as the device was told.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// The XML exactly as received (invalid UTF-8 shown as U+FFFD).
    async fn xml(&self) -> String {
        String::from_utf8_lossy(&self.0.xml).into_owned()
    }
    /// SHA-256 of the XML bytes (hex): equal for identical resends.
    async fn xml_sha256(&self) -> &str {
        &self.0.xml_sha256
    }
    /// The submitting account.
    async fn submitted_by(&self) -> Uuid {
        self.0.account_id
    }
    /// The submitting account's organisation.
    async fn organisation_id(&self) -> Option<Uuid> {
        self.0.organisation_id
    }
    /// What it became, when accepted.
    async fn record_kind(&self) -> Option<SubmissionRecordKind> {
        self.0.record_kind.map(|k| match k {
            RecordKind::Assessment => SubmissionRecordKind::Assessment,
            RecordKind::Distribution => SubmissionRecordKind::Distribution,
        })
    }
    /// The assessment's or distribution's id, when accepted.
    async fn record_id(&self) -> Option<Uuid> {
        self.0.record_id
    }
    /// The record's version this submission produced.
    async fn record_version(&self) -> Option<i32> {
        self.0.record_version
    }
    /// When received (server clock).
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    /// Media files sent with it (also those added by later identical resends).
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AttachmentNode>> {
        Ok(openrosa::attachments_of(context::db(ctx), &[self.0.id])
            .await
            .gql()?
            .into_iter()
            .map(AttachmentNode)
            .collect())
    }
}

/// Filters for raw OpenRosa submissions.
#[derive(Debug, Clone, Default, InputObject)]
#[graphql(name = "OpenRosaSubmissionFilter")]
pub struct SubmissionFilterInput {
    /// Only accepted or only rejected ones.
    pub status: Option<SubmissionStatus>,
    /// Only this form's (e.g. `camptrack_site_assessment`).
    pub form_id: Option<String>,
    /// Only those with this `meta/instanceID` (e.g. `uuid:...`).
    pub instance_id: Option<String>,
    /// Only those that became (or edited) this assessment or distribution.
    pub record_id: Option<Uuid>,
}

/// OpenRosa queries.
#[derive(Debug, Default)]
pub struct OpenRosaQuery;

#[Object]
impl OpenRosaQuery {
    /// Raw OpenRosa submissions, oldest first: every one for administrators and
    /// coordinators, those of the caller's own organisation for everyone else.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn openrosa_submissions(
        &self,
        ctx: &Context<'_>,
        filter: Option<SubmissionFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<SubmissionNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = SubmissionFilter {
            status: filter.status.map(|s| match s {
                SubmissionStatus::Accepted => Status::Accepted,
                SubmissionStatus::Rejected => Status::Rejected,
            }),
            form_id: filter.form_id,
            instance_id: filter.instance_id,
            record_id: filter.record_id,
        };
        let items = openrosa::list(context::db(ctx), scope, &filter, &page)
            .await
            .gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |s| s.id.to_string(),
            SubmissionNode,
        ))
    }
}
