//! Site assessments: submit, edit, review, read, and their history.

use async_graphql::{Context, Enum, InputObject, Json, Object, SimpleObject};
use camptrack_domain::assessment::{self, AssessmentFigures, VulnerabilityCount};
use camptrack_domain::error::Errors;
use camptrack_domain::pcode::PCode;
use camptrack_domain::sadd::SaddRow;
use camptrack_geo::Coordinates;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use uuid::Uuid;

use super::batch::{self as batch_answer, BatchResult};
use super::connection::{Conn, connection};
use super::context::{self, list_cost};
use super::distributions::DistributionNode;
use super::enums::{
    DisplacementReason, PriorityNeed, ReviewStatus, Sector, Sex, ShelterCondition, ShelterType,
    Vulnerability,
};
use super::error::OrGql;
use super::organisations::OrganisationNode;
use super::scalars::{H3Cell, Location};
use super::sites::SiteNode;
use super::stock::MovementNode;
use crate::storage::assessments::{
    self, Assessment, AssessmentContent, AssessmentDraft, AssessmentFilter, AssessmentVersion,
    EditTarget, SubmitOptions,
};
use crate::storage::batch::{self, Outcome};
use crate::storage::distributions::{self, Distribution};
use crate::storage::scope::Scope;
use crate::storage::stock::{self, Movement};
use crate::storage::{organisations, sites};

/// One SADD row: people of one sex in one age band (inclusive completed years).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "SaddRow")]
pub struct SaddRowOutput {
    /// Sex.
    pub sex: Sex,
    /// Youngest age in the band.
    pub age_min: i32,
    /// Oldest age in the band; null for an open band such as 60+.
    pub age_max: Option<i32>,
    /// People counted.
    pub count: i32,
}

impl From<&SaddRow> for SaddRowOutput {
    fn from(r: &SaddRow) -> Self {
        Self {
            sex: r.sex.into(),
            age_min: r.age_min.into(),
            age_max: r.age_max.map(i32::from),
            count: i32::try_from(r.count).unwrap_or(i32::MAX),
        }
    }
}

/// A count of people in a vulnerable group.
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "VulnerabilityCount")]
pub struct VulnerabilityCountOutput {
    /// The group.
    pub kind: Vulnerability,
    /// People (or households, for the household groups).
    pub count: i32,
}

/// A site assessment: one visit to one site in one round.
#[derive(Debug, Clone)]
pub struct AssessmentNode(pub Assessment);

#[Object(name = "Assessment")]
impl AssessmentNode {
    /// Server id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The client-generated id it was submitted with.
    async fn client_uuid(&self) -> Uuid {
        self.0.client_uuid
    }
    /// The assessed site.
    async fn site(&self, ctx: &Context<'_>) -> async_graphql::Result<SiteNode> {
        sites::get(context::db(ctx), context::scope(ctx)?, self.0.site_id)
            .await
            .gql()
            .map(SiteNode::from)
    }
    /// The site's id.
    async fn site_id(&self) -> Uuid {
        self.0.site_id
    }
    /// Round number.
    async fn round_number(&self) -> i32 {
        self.0.content.round_number
    }
    /// Day of the visit.
    async fn assessed_on(&self) -> NaiveDate {
        self.0.content.assessed_on
    }
    /// Displaced households present.
    async fn households(&self) -> i32 {
        count(self.0.content.figures.households)
    }
    /// Displaced individuals present.
    async fn individuals(&self) -> i32 {
        count(self.0.content.figures.individuals)
    }
    /// Sex- and age-disaggregated counts.
    async fn sadd(&self) -> Vec<SaddRowOutput> {
        self.0
            .content
            .figures
            .sadd
            .iter()
            .map(SaddRowOutput::from)
            .collect()
    }
    /// Individuals who arrived in the past 3 months.
    async fn arrivals_last_3_months(&self) -> Option<i32> {
        self.0.content.figures.arrivals_3m.map(count)
    }
    /// Individuals who left in the past 3 months.
    async fn departures_last_3_months(&self) -> Option<i32> {
        self.0.content.figures.departures_3m.map(count)
    }
    /// Majority origin, admin1 p-code.
    async fn origin_admin1_pcode(&self) -> Option<&str> {
        self.0.content.origin_admin1_pcode.as_deref()
    }
    /// Majority origin, admin2 p-code.
    async fn origin_admin2_pcode(&self) -> Option<&str> {
        self.0.content.origin_admin2_pcode.as_deref()
    }
    /// Reasons for displacement.
    async fn displacement_reasons(&self) -> Vec<DisplacementReason> {
        self.0
            .content
            .figures
            .displacement_reasons
            .iter()
            .map(|&r| r.into())
            .collect()
    }
    /// Most common shelter type.
    async fn shelter_type(&self) -> Option<ShelterType> {
        self.0.content.shelter_type.map(Into::into)
    }
    /// Shelter problems observed.
    async fn shelter_conditions(&self) -> Vec<ShelterCondition> {
        self.0
            .content
            .figures
            .shelter_conditions
            .iter()
            .map(|&c| c.into())
            .collect()
    }
    /// Sectors with services present.
    async fn services(&self) -> Vec<Sector> {
        self.0
            .content
            .figures
            .services
            .iter()
            .map(|&s| s.into())
            .collect()
    }
    /// Priority needs, most pressing first.
    async fn priority_needs(&self) -> Vec<PriorityNeed> {
        self.0
            .content
            .figures
            .priority_needs
            .iter()
            .map(|&n| n.into())
            .collect()
    }
    /// People with specific needs.
    async fn vulnerabilities(&self) -> Vec<VulnerabilityCountOutput> {
        self.0
            .content
            .figures
            .vulnerabilities
            .iter()
            .map(|v| VulnerabilityCountOutput {
                kind: v.kind.into(),
                count: count(v.count),
            })
            .collect()
    }
    /// Further indicator values by name.
    async fn indicators(&self) -> Json<serde_json::Map<String, serde_json::Value>> {
        Json(self.0.content.indicators.clone())
    }
    /// Where the device was.
    async fn captured_location(&self) -> Option<Location> {
        self.0.content.captured_location.map(Into::into)
    }
    /// Resolution-15 cell of the captured location.
    async fn captured_cell(&self) -> Option<H3Cell> {
        self.0.captured_cell.map(H3Cell)
    }
    /// When the device captured the form (device clock).
    async fn captured_at(&self) -> DateTime<Utc> {
        self.0.captured_at
    }
    /// When the server received it (server clock).
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.received_at
    }
    /// The submitting account's id.
    async fn submitted_by(&self) -> Uuid {
        self.0.submitted_by
    }
    /// The submitting organisation.
    async fn organisation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<OrganisationNode>> {
        match self.0.organisation_id {
            Some(id) => organisations::get(context::db(ctx), id)
                .await
                .gql()
                .map(|o| Some(OrganisationNode(o))),
            None => Ok(None),
        }
    }
    /// The device's id (the input's `deviceId`, else the `X-Device-Id` header).
    async fn device_id(&self) -> Option<&str> {
        self.0.content.device_id.as_deref()
    }
    /// The app that submitted it, from the `X-Client-App` header (`NAME/VERSION`), else
    /// from `User-Agent`.
    async fn client_app(&self) -> Option<&str> {
        self.0.client_app.as_deref()
    }
    /// The submitting app's version.
    async fn client_app_version(&self) -> Option<&str> {
        self.0.client_app_version.as_deref()
    }
    /// Review state.
    async fn review_status(&self) -> ReviewStatus {
        self.0.review_status.into()
    }
    /// Reviewer's note.
    async fn review_note(&self) -> Option<&str> {
        self.0.review_note.as_deref()
    }
    /// When reviewed.
    async fn reviewed_at(&self) -> Option<DateTime<Utc>> {
        self.0.reviewed_at
    }
    /// Version: 1 on submission, +1 on every edit or review.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Every kept version, oldest first: who, when, what changed.
    async fn history(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<AssessmentVersionNode>> {
        assessments::history(context::db(ctx), context::scope(ctx)?, self.0.id)
            .await
            .gql()
            .map(|v| v.into_iter().map(AssessmentVersionNode).collect())
    }
}

fn count(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// One kept version of an assessment.
#[derive(Debug, Clone)]
pub struct AssessmentVersionNode(pub AssessmentVersion);

#[Object(name = "AssessmentVersion")]
impl AssessmentVersionNode {
    /// Version number.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Fields changed from the previous version (dotted paths).
    async fn changed_fields(&self) -> &[String] {
        &self.0.changed_fields
    }
    /// Who made it (account id).
    async fn changed_by(&self) -> Option<Uuid> {
        self.0.changed_by
    }
    /// When.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
    /// The whole record at that version.
    async fn snapshot(&self) -> Json<serde_json::Value> {
        Json(self.0.snapshot.clone())
    }
}

/// One SADD row.
#[derive(Debug, Clone, InputObject)]
pub struct SaddInput {
    /// Sex.
    pub sex: Sex,
    /// Youngest completed age in the band.
    pub age_min: i32,
    /// Oldest completed age in the band; omit for an open band such as 60+.
    pub age_max: Option<i32>,
    /// People counted.
    pub count: i32,
}

/// A count of people in a vulnerable group.
#[derive(Debug, Clone, InputObject)]
pub struct VulnerabilityCountInput {
    /// The group.
    pub kind: Vulnerability,
    /// People (or households, for the household groups).
    pub count: i32,
}

/// What a visit reports.
#[derive(Debug, Clone, InputObject)]
pub struct AssessmentContentInput {
    /// Round number (the round must exist).
    pub round_number: i32,
    /// Day of the visit.
    pub assessed_on: NaiveDate,
    /// Displaced households present.
    pub households: i32,
    /// Displaced individuals present.
    pub individuals: i32,
    /// Sex- and age-disaggregated counts; a partial set is allowed.
    #[graphql(default)]
    pub sadd: Vec<SaddInput>,
    /// Individuals who arrived in the past 3 months.
    pub arrivals_last_3_months: Option<i32>,
    /// Individuals who left in the past 3 months.
    pub departures_last_3_months: Option<i32>,
    /// Majority origin, admin1 p-code.
    pub origin_admin1_pcode: Option<String>,
    /// Majority origin, admin2 p-code.
    pub origin_admin2_pcode: Option<String>,
    /// Reasons for displacement.
    #[graphql(default)]
    pub displacement_reasons: Vec<DisplacementReason>,
    /// Most common shelter type.
    pub shelter_type: Option<ShelterType>,
    /// Shelter problems observed.
    #[graphql(default)]
    pub shelter_conditions: Vec<ShelterCondition>,
    /// Sectors with services present.
    #[graphql(default)]
    pub services: Vec<Sector>,
    /// Priority needs, most pressing first.
    #[graphql(default)]
    pub priority_needs: Vec<PriorityNeed>,
    /// People with specific needs.
    #[graphql(default)]
    pub vulnerabilities: Vec<VulnerabilityCountInput>,
    /// Further indicator values: a JSON object of `snake_case` names to values.
    pub indicators: Option<Json<serde_json::Map<String, serde_json::Value>>>,
    /// Latitude where the form was filled.
    pub captured_lat: Option<f64>,
    /// Longitude where the form was filled.
    pub captured_lon: Option<f64>,
    /// When the device captured the form (device clock).
    pub captured_at: Option<DateTime<Utc>>,
    /// The device's id.
    pub device_id: Option<String>,
}

/// A new assessment.
#[derive(Debug, Clone, InputObject)]
pub struct AssessmentInput {
    /// Generated by the client once per assessment; resending the same assessment with the
    /// same id is recognised and answered with the stored record.
    pub client_uuid: Uuid,
    /// The assessed site.
    pub site_id: Uuid,
    /// What the visit reports.
    #[graphql(flatten)]
    pub content: AssessmentContentInput,
}

impl AssessmentContentInput {
    /// Checks every field, reporting all problems at once with their paths.
    pub fn parse(self) -> Result<AssessmentContent, camptrack_domain::Invalid> {
        let mut errors = Errors::default();
        let mut n = |path: &str, v: i32| assessment::count(&mut errors, path, v.into());
        let households = n("households", self.households);
        let individuals = n("individuals", self.individuals);
        let arrivals_3m = self
            .arrivals_last_3_months
            .map(|v| n("arrivalsLast3Months", v));
        let departures_3m = self
            .departures_last_3_months
            .map(|v| n("departuresLast3Months", v));
        let mut sadd = Vec::with_capacity(self.sadd.len());
        for (i, r) in self.sadd.iter().enumerate() {
            let age = |errors: &mut Errors, field: &str, v: i32| {
                u8::try_from(v).unwrap_or_else(|_| {
                    errors.add(format!("sadd.{i}.{field}"), format!("{v} is not an age"));
                    0
                })
            };
            let age_min = age(&mut errors, "ageMin", r.age_min);
            let age_max = r.age_max.map(|v| age(&mut errors, "ageMax", v));
            let count = assessment::count(&mut errors, &format!("sadd.{i}.count"), r.count.into());
            sadd.push(SaddRow {
                sex: r.sex.into(),
                age_min,
                age_max,
                count,
            });
        }
        let vulnerabilities = self
            .vulnerabilities
            .iter()
            .enumerate()
            .map(|(i, v)| VulnerabilityCount {
                kind: v.kind.into(),
                count: assessment::count(
                    &mut errors,
                    &format!("vulnerabilities.{i}.count"),
                    v.count.into(),
                ),
            })
            .collect();
        let indicators = self.indicators.map(|Json(m)| m).unwrap_or_default();
        let figures = AssessmentFigures {
            households,
            individuals,
            sadd,
            arrivals_3m,
            departures_3m,
            displacement_reasons: self
                .displacement_reasons
                .into_iter()
                .map(Into::into)
                .collect(),
            shelter_conditions: self
                .shelter_conditions
                .into_iter()
                .map(Into::into)
                .collect(),
            services: self.services.into_iter().map(Into::into).collect(),
            priority_needs: self.priority_needs.into_iter().map(Into::into).collect(),
            vulnerabilities,
            indicator_keys: indicators.keys().cloned().collect(),
        };
        figures.check(&mut errors);
        assessment::check_visit_date(&mut errors, self.assessed_on, Utc::now().date_naive());
        let mut pcode = |path: &str, raw: Option<String>| {
            raw.and_then(|p| errors.take(path, PCode::parse("", &p)))
                .map(|p| p.to_string())
        };
        let origin_admin1_pcode = pcode("originAdmin1Pcode", self.origin_admin1_pcode);
        let origin_admin2_pcode = pcode("originAdmin2Pcode", self.origin_admin2_pcode);
        let captured_location = match (self.captured_lat, self.captured_lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => Coordinates::new(lat, lon)
                .map_err(|e| {
                    errors.add(format!("captured{}", capitalise(e.field())), e.to_string())
                })
                .ok(),
            _ => {
                errors.add(
                    "capturedLat",
                    "give both capturedLat and capturedLon, or neither",
                );
                None
            }
        };
        if let Some(device) = &self.device_id
            && (device.is_empty() || device.len() > 200)
        {
            errors.add("deviceId", "must be 1-200 characters");
        }
        errors.finish(AssessmentContent {
            round_number: self.round_number,
            assessed_on: self.assessed_on,
            figures,
            origin_admin1_pcode,
            origin_admin2_pcode,
            shelter_type: self.shelter_type.map(Into::into),
            indicators,
            captured_location,
            captured_at: self.captured_at.map(|t| t.trunc_subsecs(3)),
            device_id: self.device_id,
        })
    }
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Filters for assessment lists.
#[derive(Debug, Clone, InputObject, Default)]
pub struct AssessmentFilterInput {
    /// Only this site's.
    pub site_id: Option<Uuid>,
    /// Only this round's.
    pub round_number: Option<i32>,
    /// Only visits on or after this day.
    pub assessed_from: Option<NaiveDate>,
    /// Only visits on or before this day.
    pub assessed_to: Option<NaiveDate>,
    /// Only this organisation's (code).
    pub organisation_code: Option<String>,
    /// Only these review states.
    #[graphql(default)]
    pub review_statuses: Vec<ReviewStatus>,
    /// Only at sites with this p-code at any admin level.
    pub admin_pcode: Option<String>,
}

impl AssessmentFilterInput {
    /// Resolves codes to ids.
    pub async fn resolve(self, ctx: &Context<'_>) -> async_graphql::Result<AssessmentFilter> {
        let organisation_id = match &self.organisation_code {
            Some(code) => Some(
                organisations::get_by_code(context::db(ctx), &code.to_ascii_uppercase())
                    .await
                    .gql()?
                    .id,
            ),
            None => None,
        };
        Ok(AssessmentFilter {
            site_id: self.site_id,
            round_number: self.round_number,
            assessed_from: self.assessed_from,
            assessed_to: self.assessed_to,
            organisation_id,
            review_statuses: self.review_statuses.into_iter().map(Into::into).collect(),
            admin_pcode: self.admin_pcode.map(|p| p.trim().to_ascii_uppercase()),
            in_area: None,
        })
    }
}

/// An edit made in the field: which assessment, the version the device last saw, and the
/// new content.
#[derive(Debug, Clone, InputObject)]
pub struct AssessmentEditInput {
    /// The assessment's server id; give this or `clientUuid`.
    pub id: Option<Uuid>,
    /// The client UUID the assessment was submitted with; give this or `id`.
    pub client_uuid: Option<Uuid>,
    /// The version the device last saw; a stale one is a `CONFLICT`.
    pub version: i32,
    /// The whole new content.
    #[graphql(flatten)]
    pub content: AssessmentContentInput,
}

/// The kind of record a client UUID was used for.
#[derive(Debug, Enum, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionKind {
    /// A site assessment (`assessment`).
    Assessment,
    /// A distribution (`distribution`).
    Distribution,
    /// A stock operation: a movement, the two legs of a transfer, or a correction
    /// (`stockMovements`).
    StockOperation,
}

/// What the server holds for one client UUID.
#[derive(Debug, SimpleObject)]
pub struct SubmissionStatus {
    /// The client UUID asked about.
    pub client_uuid: Uuid,
    /// Whether the server holds an assessment, distribution or stock operation with it
    /// that you may see. `false` for another organisation's record, whose existence is
    /// not revealed.
    pub known: bool,
    /// What it is, when known.
    pub kind: Option<SubmissionKind>,
    /// Its server id (a stock operation's first movement).
    pub id: Option<Uuid>,
    /// Its version (assessments and distributions: 1 when stored, +1 on each change).
    pub version: Option<i32>,
    /// Its review state (assessments).
    pub review_status: Option<ReviewStatus>,
    /// Whether it was flagged for review (a device clock far ahead); assessments say so
    /// in `reviewStatus` too.
    pub needs_review: Option<bool>,
    /// When the server received it.
    pub received_at: Option<DateTime<Utc>>,
    /// When it last changed.
    pub updated_at: Option<DateTime<Utc>>,
    /// The stored assessment.
    pub assessment: Option<AssessmentNode>,
    /// The stored distribution.
    pub distribution: Option<DistributionNode>,
    /// The movements of the stored stock operation, in order (empty for other kinds).
    pub stock_movements: Vec<MovementNode>,
}

impl SubmissionStatus {
    fn unknown(client_uuid: Uuid) -> Self {
        Self {
            client_uuid,
            known: false,
            kind: None,
            id: None,
            version: None,
            review_status: None,
            needs_review: None,
            received_at: None,
            updated_at: None,
            assessment: None,
            distribution: None,
            stock_movements: Vec::new(),
        }
    }

    fn of_assessment(client_uuid: Uuid, a: Assessment) -> Self {
        Self {
            known: true,
            kind: Some(SubmissionKind::Assessment),
            id: Some(a.id),
            version: Some(a.version),
            review_status: Some(a.review_status.into()),
            needs_review: Some(
                a.review_status == camptrack_domain::codes::ReviewStatus::NeedsFollowUp,
            ),
            received_at: Some(a.received_at),
            updated_at: Some(a.updated_at),
            assessment: Some(AssessmentNode(a)),
            ..Self::unknown(client_uuid)
        }
    }

    fn of_distribution(client_uuid: Uuid, d: Distribution) -> Self {
        Self {
            known: true,
            kind: Some(SubmissionKind::Distribution),
            id: Some(d.id),
            version: Some(d.version),
            needs_review: Some(d.device.review_note.is_some()),
            received_at: Some(d.created_at),
            updated_at: Some(d.updated_at),
            distribution: Some(DistributionNode(d)),
            ..Self::unknown(client_uuid)
        }
    }

    fn of_stock(client_uuid: Uuid, movements: Vec<Movement>) -> Self {
        let first = movements.first();
        Self {
            known: true,
            kind: Some(SubmissionKind::StockOperation),
            id: first.map(|m| m.id),
            needs_review: first.map(|m| m.device.review_note.is_some()),
            received_at: first.map(|m| m.recorded_at),
            updated_at: first.map(|m| m.recorded_at),
            stock_movements: movements.into_iter().map(MovementNode).collect(),
            ..Self::unknown(client_uuid)
        }
    }
}

fn submit_options(ctx: &Context<'_>) -> SubmitOptions {
    context::submit_options(ctx)
}

/// What `submitAssessment` did.
#[derive(Debug, SimpleObject)]
pub struct SubmitAssessmentResult {
    /// The stored assessment.
    pub assessment: AssessmentNode,
    /// True when this was an identical replay of an assessment already stored.
    pub duplicate: bool,
}

/// Assessment queries.
#[derive(Debug, Default)]
pub struct AssessmentQuery;

#[Object]
impl AssessmentQuery {
    /// Assessments the caller may see, in submission order; at sites in `area` when given.
    #[graphql(complexity = "list_cost(first, child_complexity)")]
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        area: Option<super::area::AreaInput>,
        filter: Option<AssessmentFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<AssessmentNode>> {
        let scope = context::scope(ctx)?;
        let page = context::page_request(ctx, first, after.as_deref())?;
        let mut filter = filter.unwrap_or_default().resolve(ctx).await?;
        if let Some(area) = area {
            let area = super::area::resolve(ctx, area).await?;
            filter.in_area = Some(
                crate::storage::area::site_id_condition(
                    context::db(ctx),
                    &area,
                    assessments::site_id_column(),
                )
                .await
                .gql()?,
            );
        }
        let items = assessments::list(context::db(ctx), scope, &filter, &page)
            .await
            .gql()?;
        Ok(connection(
            items,
            page.after.is_some(),
            |a| a.id.to_string(),
            AssessmentNode,
        ))
    }

    /// What the server holds for each client UUID, in the order asked (at most the batch
    /// limit): assessments, distributions and stock operations alike. A device that lost
    /// a response reconciles with this instead of resending.
    async fn submission_status(
        &self,
        ctx: &Context<'_>,
        client_uuids: Vec<Uuid>,
    ) -> async_graphql::Result<Vec<SubmissionStatus>> {
        let scope = context::scope(ctx)?;
        context::check_batch(ctx, "clientUuids", client_uuids.len())?;
        let db = context::db(ctx);
        let held = assessments::statuses(db, scope, &client_uuids)
            .await
            .gql()?;
        let distributions = distributions::statuses(db, scope, &client_uuids)
            .await
            .gql()?;
        let stock = stock::statuses(db, scope, &client_uuids).await.gql()?;
        Ok(held
            .into_iter()
            .zip(distributions)
            .zip(stock)
            .map(|(((u, a), (_, d)), (_, m))| match (a, d, m) {
                (Some(a), _, _) => SubmissionStatus::of_assessment(u, a),
                (None, Some(d), _) => SubmissionStatus::of_distribution(u, d),
                (None, None, Some(m)) => SubmissionStatus::of_stock(u, m),
                (None, None, None) => SubmissionStatus::unknown(u),
            })
            .collect())
    }

    /// One assessment the caller may see.
    async fn assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<AssessmentNode> {
        assessments::get(context::db(ctx), context::scope(ctx)?, id)
            .await
            .gql()
            .map(AssessmentNode)
    }
}

/// Assessment mutations.
#[derive(Debug, Default)]
pub struct AssessmentMutation;

#[Object]
impl AssessmentMutation {
    /// Submits an assessment. Replaying the same `clientUuid` with the same content answers
    /// the stored record with `duplicate: true`; with other content it is a `CONFLICT`.
    async fn submit_assessment(
        &self,
        ctx: &Context<'_>,
        input: AssessmentInput,
    ) -> async_graphql::Result<SubmitAssessmentResult> {
        let caller = context::caller(ctx)?;
        let content = input.content.parse().gql()?;
        let draft = AssessmentDraft {
            client_uuid: input.client_uuid,
            site_id: input.site_id,
            content,
        };
        let submitted =
            assessments::submit_with(context::db(ctx), caller, draft, &submit_options(ctx))
                .await
                .gql()?;
        Ok(SubmitAssessmentResult {
            assessment: AssessmentNode(submitted.assessment),
            duplicate: submitted.duplicate,
        })
    }

    /// Submits a batch of assessments made offline (at most the configured batch limit).
    /// Each item is answered on its own, in input order: `ACCEPTED`, `DUPLICATE` (an
    /// identical resend), `CONFLICT` (its `clientUuid` holds other content), `REJECTED`
    /// (with field paths such as `items.3.sadd.2.ageMax`) or `RETRY`. One bad item never
    /// fails the others, and every accepted item is committed before the answer is sent.
    async fn submit_assessments(
        &self,
        ctx: &Context<'_>,
        items: Vec<AssessmentInput>,
    ) -> async_graphql::Result<BatchResult<AssessmentNode>> {
        let caller = context::caller(ctx)?;
        Scope::of(caller)
            .require(camptrack_domain::access::Write::Assessments)
            .gql()?;
        context::check_batch(ctx, "items", items.len())?;
        let db = context::db(ctx);
        let options = submit_options(ctx);
        let client_uuids = items.iter().map(|i| Some(i.client_uuid)).collect();
        let outcomes = batch::run(items, |input| {
            let options = &options;
            async move {
                match input.content.parse() {
                    Err(invalid) => Outcome::Rejected(invalid),
                    Ok(content) => {
                        let draft = AssessmentDraft {
                            client_uuid: input.client_uuid,
                            site_id: input.site_id,
                            content,
                        };
                        assessments::submit_item(db, caller, draft, options).await
                    }
                }
            }
        })
        .await;
        Ok(batch_answer::answer(
            outcomes,
            client_uuids,
            |a| a.client_uuid,
            AssessmentNode,
        ))
    }

    /// Applies a batch of edits made offline, each carrying the version the device last
    /// saw. Per item: `ACCEPTED` (applied), `DUPLICATE` (the stored content already is what
    /// you sent), `CONFLICT` (stale version: `record` is the current record and
    /// `conflictingFields` what differs; nothing was overwritten), `REJECTED` or `RETRY`.
    async fn update_assessments(
        &self,
        ctx: &Context<'_>,
        items: Vec<AssessmentEditInput>,
    ) -> async_graphql::Result<BatchResult<AssessmentNode>> {
        let caller = context::caller(ctx)?;
        Scope::of(caller)
            .require(camptrack_domain::access::Write::Assessments)
            .gql()?;
        context::check_batch(ctx, "items", items.len())?;
        let db = context::db(ctx);
        let client_uuids = items.iter().map(|i| i.client_uuid).collect();
        let outcomes = batch::run(items, |input| async move {
            let target = match (input.id, input.client_uuid) {
                (Some(id), None) => EditTarget::Id(id),
                (None, Some(client_uuid)) => EditTarget::ClientUuid(client_uuid),
                _ => {
                    return Outcome::Rejected(camptrack_domain::Invalid::one(
                        "id",
                        "give exactly one of id and clientUuid",
                    ));
                }
            };
            match input.content.parse() {
                Err(invalid) => Outcome::Rejected(invalid),
                Ok(content) => {
                    assessments::update_item(db, caller, target, input.version, content).await
                }
            }
        })
        .await;
        Ok(batch_answer::answer(
            outcomes,
            client_uuids,
            |a| a.client_uuid,
            AssessmentNode,
        ))
    }

    /// Replaces an assessment's content; `version` is the one you last read. A stale version
    /// is a `CONFLICT` carrying the stored record in `extensions.current`.
    async fn update_assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        input: AssessmentContentInput,
    ) -> async_graphql::Result<AssessmentNode> {
        let caller = context::caller(ctx)?;
        let content = input.parse().gql()?;
        assessments::update(context::db(ctx), caller, id, version, content)
            .await
            .gql()
            .map(AssessmentNode)
    }

    /// Approves, rejects or flags an assessment (coordinators). Rejected assessments stop
    /// counting: the site's figures fall back to its latest counted assessment.
    async fn review_assessment(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        version: i32,
        status: ReviewStatus,
        note: Option<String>,
    ) -> async_graphql::Result<AssessmentNode> {
        let caller = context::caller(ctx)?;
        assessments::review(context::db(ctx), caller, id, version, status.into(), note)
            .await
            .gql()
            .map(AssessmentNode)
    }
}
