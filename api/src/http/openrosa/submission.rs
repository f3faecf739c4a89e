//! `POST .../submission`: from the XML and media a device sent to a stored record (or a
//! refusal an enumerator can act on), keeping the XML of every submission.
//!
//! Replay rules (ODK Central's): the same instanceID with byte-identical XML is success
//! (201) and adds the media it carries, so a large submission split over several POSTs
//! ends as one record with all its media; the same instanceID with other XML is 409;
//! `meta/deprecatedID` edits the record if it names the current version (409 when a later
//! edit exists or the record changed since, 404 when unknown).

use axum::http::StatusCode;
use camptrack_domain::access::Write as Permission;

use super::instance::{self, Element, Meta};
use super::mapping::{self, Mapped};
use super::xforms::{self, ASSESSMENT_FORM, DISTRIBUTION_FORM, FormSpec};
use super::{Reply, catalogue_goods};
use crate::auth::{Caller, ClientApp};
use crate::http::AppState;
use crate::storage::StorageError;
use crate::storage::assessments::{AssessmentDraft, SubmitOptions};
use crate::storage::distributions::DistributionDraft;
use crate::storage::openrosa::{self, IncomingAttachment, Received, Write};
use crate::storage::scope::Scope;

/// The success message every accepted submission gets (Central's words).
const SUCCESS: &str = "Full submission upload was successful!";

/// What a device sent in one POST.
#[derive(Debug)]
pub(super) struct Sent {
    /// The `xml_submission_file` bytes.
    pub xml: Vec<u8>,
    /// The other parts.
    pub files: Vec<IncomingAttachment>,
    /// The app and device, from the headers.
    pub client: ClientApp,
}

/// A refusal: the status and the message for the enumerator.
struct Refusal(StatusCode, String);

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self(status, message.into())
    }
}

/// Receives one submission.
pub(super) async fn receive(state: &AppState, caller: &Caller, sent: Sent) -> Reply {
    let root = match instance::parse(&sent.xml) {
        Ok(root) => root,
        Err(bad) => {
            let received = Received {
                form_id: None,
                form_version: None,
                instance_id: None,
                deprecated_id: None,
                xml: &sent.xml,
            };
            return refuse(
                state,
                caller,
                &received,
                Refusal::new(StatusCode::BAD_REQUEST, bad.to_string()),
            )
            .await;
        }
    };
    let meta = Meta::of(&root);
    let received = Received {
        form_id: meta.form_id.as_deref(),
        form_version: meta.version.as_deref(),
        instance_id: meta.instance_id.as_deref(),
        deprecated_id: meta.deprecated_id.as_deref(),
        xml: &sent.xml,
    };
    match handle(state, caller, &root, &meta, &received, &sent).await {
        Ok(message) => Reply::created(message),
        Err(refusal) => refuse(state, caller, &received, refusal).await,
    }
}

/// Keeps the refused XML (best effort: when even that fails, the device keeps the form
/// and sends it again) and answers with the refusal.
async fn refuse(
    state: &AppState,
    caller: &Caller,
    received: &Received<'_>,
    refusal: Refusal,
) -> Reply {
    let Refusal(status, message) = refusal;
    if let Err(e) = openrosa::reject(&state.db, caller, received, status.as_u16(), &message).await {
        tracing::error!(error = %e, "could not keep a refused OpenRosa submission");
    }
    Reply::error(status, message)
}

async fn handle(
    state: &AppState,
    caller: &Caller,
    root: &Element,
    meta: &Meta,
    received: &Received<'_>,
    sent: &Sent,
) -> Result<String, Refusal> {
    let bad = |m: &str| Refusal::new(StatusCode::BAD_REQUEST, m);
    let form_id = meta
        .form_id
        .as_deref()
        .ok_or_else(|| bad("the submission names no form (the root element has no id)"))?;
    let permission = match form_id {
        ASSESSMENT_FORM => Permission::Assessments,
        DISTRIBUTION_FORM => Permission::Distributions,
        other => {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("this server has no form {other}; download the blank forms again"),
            ));
        }
    };
    let instance_id = meta
        .instance_id
        .as_deref()
        .ok_or_else(|| bad("the submission has no meta/instanceID"))?;
    let client_uuid = instance::instance_uuid(instance_id).ok_or_else(|| {
        bad(&format!(
            "meta/instanceID {instance_id} is not of the form uuid:<UUID>"
        ))
    })?;
    // Media the XML does not refer to are ignored (as Central does).
    let texts = root.texts();
    let files: Vec<IncomingAttachment> = sent
        .files
        .iter()
        .filter(|f| texts.contains(&f.filename.as_str()))
        .cloned()
        .collect();
    let limit = state.settings.openrosa_max_attachment_bytes;
    if let Some(big) = files.iter().find(|f| f.bytes.len() > limit) {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} is {} bytes; files of at most {limit} bytes are accepted (take the photo at a lower resolution)",
                big.filename,
                big.bytes.len()
            ),
        ));
    }
    let sha = openrosa::sha256_hex(&sent.xml);
    if let Some(stored) = openrosa::accepted(&state.db, form_id, instance_id)
        .await
        .map_err(internal)?
    {
        return replay(state, caller, &stored, &sha, instance_id, &files).await;
    }
    Scope::of(caller)
        .require(permission)
        .map_err(|e| Refusal::new(StatusCode::FORBIDDEN, e.to_string()))?;
    let spec = spec_of(state, form_id).await?;
    let (write, origins) = match form_id {
        ASSESSMENT_FORM => {
            let mapped = mapping::assessment(
                &state.db,
                Scope::of(caller),
                root,
                sent.client.device_id.as_deref(),
            )
            .await
            .map_err(internal)?;
            let (input, origins) = readable(&spec, mapped)?;
            let (site_id, content) = input;
            let content = content.parse().map_err(|invalid| {
                Refusal::new(StatusCode::BAD_REQUEST, origins.describe(&spec, &invalid.0))
            })?;
            let write = match edited(state, form_id, meta).await? {
                Some((id, version)) => Write::EditAssessment {
                    id,
                    version,
                    content,
                },
                None => Write::NewAssessment(
                    AssessmentDraft {
                        client_uuid,
                        site_id,
                        content,
                    },
                    SubmitOptions {
                        client: sent.client.clone(),
                        future_tolerance: state.settings.policy().future_capture_tolerance,
                    },
                ),
            };
            (write, origins)
        }
        _ => {
            let mapped = mapping::distribution(&state.db, Scope::of(caller), root)
                .await
                .map_err(internal)?;
            let (input, origins) = readable(&spec, mapped)?;
            let content = match input.parse_in(&state.db).await {
                Ok(content) => content,
                Err(StorageError::Invalid(invalid)) => {
                    return Err(Refusal::new(
                        StatusCode::BAD_REQUEST,
                        origins.describe(&spec, &invalid.0),
                    ));
                }
                Err(e) => return Err(internal(e)),
            };
            let write = match edited(state, form_id, meta).await? {
                Some((id, version)) => Write::EditDistribution {
                    id,
                    version,
                    content,
                },
                // The form carries no device capture time for a distribution report: the
                // server's receipt time stands in, as for GraphQL drafts without one.
                None => Write::NewDistribution(DistributionDraft {
                    client_uuid,
                    content,
                    captured_at: None,
                }),
            };
            (write, origins)
        }
    };
    let editing = meta.deprecated_id.is_some();
    match openrosa::accept(&state.db, caller, received, write, &files).await {
        Ok(_) => Ok(SUCCESS.to_owned()),
        Err(StorageError::Invalid(invalid)) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            origins.describe(&spec, &invalid.0),
        )),
        Err(StorageError::Forbidden(m)) => Err(Refusal::new(StatusCode::FORBIDDEN, m)),
        Err(StorageError::NotFound { .. }) => Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "the record this edit is for is not one you may edit",
        )),
        Err(StorageError::Conflict { message, .. }) => {
            // Two identical POSTs raced: the other one stored it; this one is a replay.
            if let Some(stored) = openrosa::accepted(&state.db, form_id, instance_id)
                .await
                .map_err(internal)?
            {
                return replay(state, caller, &stored, &sha, instance_id, &files).await;
            }
            Err(Refusal::new(
                StatusCode::CONFLICT,
                if editing {
                    format!(
                        "the copy you edited is out of date: the record was changed since ({message}); get the latest version and edit again"
                    )
                } else {
                    message
                },
            ))
        }
        Err(e) => Err(internal(e)),
    }
}

/// The form definition that names the questions in messages.
async fn spec_of(state: &AppState, form_id: &str) -> Result<FormSpec, Refusal> {
    Ok(if form_id == ASSESSMENT_FORM {
        xforms::assessment_spec()
    } else {
        xforms::distribution_spec(&catalogue_goods(&state.db).await.map_err(internal)?)
    })
}

/// The input when every answer was readable, else a refusal naming the unreadable ones.
fn readable<T>(spec: &FormSpec, mapped: Mapped<T>) -> Result<(T, mapping::Origins), Refusal> {
    match mapped.input {
        Some(input) if mapped.problems.is_empty() => Ok((input, mapped.origins)),
        _ => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            mapped.origins.describe(spec, &mapped.problems),
        )),
    }
}

/// For an edit (`meta/deprecatedID`), the record and the version the edited instance
/// produced; `None` for a new submission.
async fn edited(
    state: &AppState,
    form_id: &str,
    meta: &Meta,
) -> Result<Option<(uuid::Uuid, i32)>, Refusal> {
    let Some(deprecated) = meta.deprecated_id.as_deref() else {
        return Ok(None);
    };
    let Some(previous) = openrosa::accepted(&state.db, form_id, deprecated)
        .await
        .map_err(internal)?
    else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            format!("the submission you edited ({deprecated}) is not on this server"),
        ));
    };
    if let Some(later) = openrosa::successor(&state.db, form_id, deprecated)
        .await
        .map_err(internal)?
    {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            format!(
                "the copy you edited is out of date: {deprecated} was already edited (now {}); get the latest version and edit again",
                later.instance_id.unwrap_or_default()
            ),
        ));
    }
    match (previous.record_id, previous.record_version) {
        (Some(id), Some(version)) => Ok(Some((id, version))),
        _ => Err(internal(StorageError::not_found(
            "record of submission",
            deprecated,
        ))),
    }
}

/// The same instanceID again: identical XML adds its media and is success; other XML is a
/// conflict. A submission another organisation sent is never touched.
async fn replay(
    state: &AppState,
    caller: &Caller,
    stored: &openrosa::Submission,
    sha: &str,
    instance_id: &str,
    files: &[IncomingAttachment],
) -> Result<String, Refusal> {
    let ours = caller.role.reads_everything()
        || stored.account_id == caller.account_id
        || (caller.organisation_id.is_some() && stored.organisation_id == caller.organisation_id);
    if stored.xml_sha256 != sha || !ours {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            format!(
                "a submission with instanceID {instance_id} was already received with different content; to add photos, send the identical form again; to change answers, edit the sent form"
            ),
        ));
    }
    let added = openrosa::add_attachments(&state.db, caller, stored.id, files)
        .await
        .map_err(internal)?;
    tracing::info!(
        instance_id,
        added = added.added,
        replaced = added.replaced,
        unchanged = added.unchanged,
        "OpenRosa resubmission"
    );
    Ok(SUCCESS.to_owned())
}

fn internal(e: StorageError) -> Refusal {
    match e {
        StorageError::Unavailable(_) => {
            tracing::warn!(error = %e, "OpenRosa submission: database unavailable");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy; send the form again later",
            )
        }
        e => {
            tracing::error!(error = %e, "OpenRosa submission failed");
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "the server could not store the form; send it again later (request {})",
                    crate::telemetry::current_request_id().unwrap_or_default()
                ),
            )
        }
    }
}
