//! From a filled form to the inputs the GraphQL API takes, so that a submission is checked
//! by exactly the same rules (`AssessmentContentInput::parse`,
//! `DistributionContentInput::parse_in`) and stored by the same storage functions. Every
//! input field remembers the question it came from, so that a refusal names the question
//! as the enumerator saw it.

use camptrack_domain::CodeList;
use camptrack_domain::codes::{
    DisplacementReason, DistributionModality, DistributionStatus, PriorityNeed, Sector, Sex,
    ShelterCondition, ShelterType, Vulnerability,
};
use camptrack_domain::error::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::instance::Element;
use super::xforms::{self, FormSpec, PRIORITY_RANKS, SADD_BANDS};
use crate::graphql::assessments::{AssessmentContentInput, SaddInput, VulnerabilityCountInput};
use crate::graphql::distributions::{DistributionContentInput, DistributionLineInput};
use crate::storage::scope::Scope;
use crate::storage::{StorageError, sites, warehouses};

/// Which question each input field path came from: `(field path prefix, node path,
/// note)`, e.g. `("sadd.2", "sadd/f_6_17", "")` or `("lines.0.quantityLost",
/// "lines/quantity_lost", " (line 1)")`.
#[derive(Debug, Default)]
pub struct Origins(Vec<(String, String, String)>);

impl Origins {
    fn add(&mut self, field: impl Into<String>, node: impl Into<String>) {
        self.0.push((field.into(), node.into(), String::new()));
    }

    fn add_noted(&mut self, field: impl Into<String>, node: impl Into<String>, note: String) {
        self.0.push((field.into(), node.into(), note));
    }

    /// The question behind `field` (its node path and a note), by the longest prefix.
    fn node_of(&self, field: &str) -> Option<(&str, &str)> {
        self.0
            .iter()
            .filter(|(prefix, _, _)| {
                field == prefix
                    || field
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .max_by_key(|(prefix, _, _)| prefix.len())
            .map(|(_, node, note)| (node.as_str(), note.as_str()))
    }

    /// One line per problem, each naming the question's label as the form shows it (in
    /// English), e.g. `Displaced households: 12 households is more than the 10 individuals
    /// counted`.
    pub fn describe(&self, spec: &FormSpec, errors: &[FieldError]) -> String {
        errors
            .iter()
            .map(|e| {
                let (node, note) = self.node_of(&e.path).unwrap_or((e.path.as_str(), ""));
                let label = spec.label_of(node).unwrap_or_else(|| node.to_owned());
                format!("{label}{note}: {}", e.reason)
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Reads typed answers, collecting one error per unreadable answer at its node path.
struct Answers<'a> {
    root: &'a Element,
    problems: Vec<FieldError>,
}

impl<'a> Answers<'a> {
    fn text(&self, path: &str) -> Option<&'a str> {
        self.root.text_at(path)
    }

    fn required<T>(&mut self, path: &str, value: Option<T>) -> Option<T> {
        if value.is_none() && self.text(path).is_none() {
            self.problems
                .push(FieldError::new(path, "this question must be answered"));
        }
        value
    }

    fn int(&mut self, path: &str) -> Option<i32> {
        let raw = self.text(path)?;
        match raw.parse::<i32>() {
            Ok(v) => Some(v),
            Err(_) => {
                self.problems.push(FieldError::new(
                    path,
                    format!("`{raw}` is not a whole number"),
                ));
                None
            }
        }
    }

    fn date(&mut self, path: &str) -> Option<NaiveDate> {
        let raw = self.text(path)?;
        // Collect sends `2024-01-20`; some clients add a time or zone.
        match NaiveDate::parse_from_str(raw.get(..10).unwrap_or(raw), "%Y-%m-%d") {
            Ok(v) => Some(v),
            Err(_) => {
                self.problems.push(FieldError::new(
                    path,
                    format!("`{raw}` is not a date (YYYY-MM-DD)"),
                ));
                None
            }
        }
    }

    fn code<C: CodeList>(&mut self, path: &str) -> Option<C> {
        let raw = self.text(path)?;
        let value = C::from_code(raw);
        if value.is_none() {
            self.problems.push(FieldError::new(
                path,
                format!("`{raw}` is not one of the choices"),
            ));
        }
        value
    }

    fn codes<C: CodeList>(&mut self, path: &str) -> Vec<C> {
        let Some(raw) = self.text(path) else {
            return Vec::new();
        };
        raw.split_whitespace()
            .filter_map(|code| {
                let value = C::from_code(code);
                if value.is_none() {
                    self.problems.push(FieldError::new(
                        path,
                        format!("`{code}` is not one of the choices"),
                    ));
                }
                value
            })
            .collect()
    }

    /// A geopoint `lat lon [altitude [accuracy]]` as (lat, lon).
    fn geopoint(&mut self, path: &str) -> Option<(f64, f64)> {
        let raw = self.text(path)?;
        let mut parts = raw.split_whitespace().map(str::parse::<f64>);
        match (parts.next(), parts.next()) {
            (Some(Ok(lat)), Some(Ok(lon))) => Some((lat, lon)),
            _ => {
                self.problems
                    .push(FieldError::new(path, format!("`{raw}` is not a GPS point")));
                None
            }
        }
    }

    fn timestamp(&self, path: &str) -> Option<DateTime<Utc>> {
        // The device clock's capture time is a fact about the form, not an answer: one that
        // cannot be read is left out (the server's receipt time stands in), never refused.
        self.text(path)
            .and_then(|raw| DateTime::parse_from_rfc3339(raw).ok())
            .map(|t| t.with_timezone(&Utc))
    }
}

/// Site codes are looked up in the caller's scope: a site outside it reads as unknown.
async fn site_id(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    answers: &mut Answers<'_>,
) -> Result<Option<Uuid>, StorageError> {
    let Some(code) = answers.required("site", answers.text("site")) else {
        return Ok(None);
    };
    match sites::get_by_code(db, scope, code).await {
        Ok(site) => Ok(Some(site.id)),
        Err(StorageError::NotFound { .. }) => {
            answers.problems.push(FieldError::new(
                "site",
                format!("{code} is not a site you may report on; update the form's site list (Get blank form) and choose again"),
            ));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// What reading a form gave: the input (when every answer could be read), where each
/// input field came from, and the unreadable answers.
#[derive(Debug)]
pub struct Mapped<T> {
    /// The input, `None` when an answer could not be read.
    pub input: Option<T>,
    /// Field path to question.
    pub origins: Origins,
    /// Answers that could not be read, at their node paths.
    pub problems: Vec<FieldError>,
}

/// Reads a site assessment instance into the `submitAssessment` input's content and site.
pub async fn assessment(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    root: &Element,
    device_header: Option<&str>,
) -> Result<Mapped<(Uuid, AssessmentContentInput)>, StorageError> {
    let mut a = Answers {
        root,
        problems: Vec::new(),
    };
    let mut origins = Origins::default();
    for (field, node) in [
        ("siteId", "site"),
        ("roundNumber", "round_number"),
        ("assessedOn", "assessed_on"),
        ("households", "households"),
        ("individuals", "individuals"),
        ("arrivalsLast3Months", "arrivals_3m"),
        ("departuresLast3Months", "departures_3m"),
        ("displacementReasons", "displacement_reasons"),
        ("shelterType", "shelter_type"),
        ("shelterConditions", "shelter_conditions"),
        ("services", "services"),
        ("priorityNeeds", "priority_needs"),
        ("vulnerabilities", "vulnerabilities"),
        ("capturedLat", "location"),
        ("capturedLon", "location"),
        ("sadd", "sadd"),
    ] {
        origins.add(field, node);
    }
    let site = site_id(db, scope, &mut a).await?;
    let round_number = a.int("round_number");
    let round_number = a.required("round_number", round_number);
    let assessed_on = a.date("assessed_on");
    let assessed_on = a.required("assessed_on", assessed_on);
    let households = a.int("households");
    let households = a.required("households", households);
    let individuals = a.int("individuals");
    let individuals = a.required("individuals", individuals);
    let mut sadd = Vec::new();
    for (sex, prefix) in [(Sex::Female, "f"), (Sex::Male, "m")] {
        for (band, age_min, age_max, _, _) in SADD_BANDS {
            let node = format!("sadd/{prefix}_{band}");
            if let Some(count) = a.int(&node) {
                origins.add(format!("sadd.{}", sadd.len()), node);
                sadd.push(SaddInput {
                    sex: sex.into(),
                    age_min: age_min.into(),
                    age_max: age_max.map(i32::from),
                    count,
                });
            }
        }
    }
    let mut vulnerabilities = Vec::new();
    for v in Vulnerability::ALL {
        let node = format!("vulnerabilities/{}", xforms::vulnerability_node(*v));
        if let Some(count) = a.int(&node) {
            origins.add(format!("vulnerabilities.{}", vulnerabilities.len()), node);
            vulnerabilities.push(VulnerabilityCountInput {
                kind: (*v).into(),
                count,
            });
        }
    }
    let mut priority_needs = Vec::new();
    for rank in 1..=PRIORITY_RANKS {
        if let Some(need) = a.code::<PriorityNeed>(&format!("priority_needs/priority_need_{rank}"))
        {
            priority_needs.push(need.into());
        }
    }
    let location = a.geopoint("location");
    let content = AssessmentContentInput {
        round_number: round_number.unwrap_or_default(),
        assessed_on: assessed_on.unwrap_or_default(),
        households: households.unwrap_or_default(),
        individuals: individuals.unwrap_or_default(),
        sadd,
        arrivals_last_3_months: a.int("arrivals_3m"),
        departures_last_3_months: a.int("departures_3m"),
        origin_admin1_pcode: None,
        origin_admin2_pcode: None,
        displacement_reasons: a
            .codes::<DisplacementReason>("displacement_reasons")
            .into_iter()
            .map(Into::into)
            .collect(),
        shelter_type: a.code::<ShelterType>("shelter_type").map(Into::into),
        shelter_conditions: a
            .codes::<ShelterCondition>("shelter_conditions")
            .into_iter()
            .map(Into::into)
            .collect(),
        services: a
            .codes::<Sector>("services")
            .into_iter()
            .map(Into::into)
            .collect(),
        priority_needs,
        vulnerabilities,
        indicators: None,
        captured_lat: location.map(|l| l.0),
        captured_lon: location.map(|l| l.1),
        captured_at: a.timestamp("end").or_else(|| a.timestamp("start")),
        device_id: a.text("deviceid").or(device_header).map(str::to_owned),
    };
    let input = match (site, a.problems.is_empty()) {
        (Some(site), true) => Some((site, content)),
        _ => None,
    };
    Ok(Mapped {
        input,
        origins,
        problems: a.problems,
    })
}

/// Reads an NFI distribution report into the `recordDistribution` input's content (the
/// implementing organisation is the submitting account's own).
pub async fn distribution(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    root: &Element,
) -> Result<Mapped<DistributionContentInput>, StorageError> {
    let mut a = Answers {
        root,
        problems: Vec::new(),
    };
    let mut origins = Origins::default();
    for (field, node) in [
        ("siteId", "site"),
        ("startsOn", "starts_on"),
        ("endsOn", "ends_on"),
        ("modality", "modality"),
        ("status", "status"),
        ("households", "households"),
        ("individuals", "individuals"),
        ("noShows", "no_shows"),
        ("projectCode", "project_code"),
        ("sourceWarehouseId", "source_warehouse"),
        ("lines", "lines"),
    ] {
        origins.add(field, node);
    }
    let site = site_id(db, scope, &mut a).await?;
    let starts_on = a.date("starts_on");
    let starts_on = a.required("starts_on", starts_on);
    let modality = a.code::<DistributionModality>("modality");
    let modality = a.required("modality", modality);
    let status = a.code::<DistributionStatus>("status");
    let status = a.required("status", status);
    let households = a.int("households");
    let households = a.required("households", households);
    let individuals = a.int("individuals");
    let individuals = a.required("individuals", individuals);
    let source_warehouse_id = match a.text("source_warehouse") {
        Some(code) => match warehouses::get_by_code(db, scope, code).await {
            Ok(w) => Some(w.id),
            Err(StorageError::NotFound { .. }) => {
                a.problems.push(FieldError::new(
                    "source_warehouse",
                    format!("{code} is not a warehouse of your organisation; update the form's lists (Get blank form) and choose again"),
                ));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let mut lines = Vec::new();
    for (i, line) in root.children_named("lines").enumerate() {
        let note = format!(" (line {})", i + 1);
        for (field, node) in [
            ("itemCode", "lines/goods"),
            ("kitCode", "lines/goods"),
            ("quantityDistributed", "lines/quantity_distributed"),
            ("quantityLost", "lines/quantity_lost"),
        ] {
            origins.add_noted(format!("lines.{i}.{field}"), node, note.clone());
        }
        origins.add_noted(format!("lines.{i}"), "lines", note.clone());
        let mut l = Answers {
            root: line,
            problems: Vec::new(),
        };
        let goods = l.text("goods");
        let goods = l.required("goods", goods);
        let distributed = l.int("quantity_distributed");
        let distributed = l.required("quantity_distributed", distributed);
        let lost = l.int("quantity_lost");
        let (item_code, kit_code) = match goods.and_then(|g| g.split_once(':')) {
            Some(("item", code)) => (Some(code.to_owned()), None),
            Some(("kit", code)) => (None, Some(code.to_owned())),
            _ => {
                if let Some(g) = goods {
                    l.problems.push(FieldError::new(
                        "goods",
                        format!("`{g}` is not one of the choices"),
                    ));
                }
                (None, None)
            }
        };
        a.problems.extend(l.problems.into_iter().map(|mut e| {
            e.path = format!("lines/{}", e.path);
            e.reason = format!("{}{note}", e.reason);
            e
        }));
        lines.push(DistributionLineInput {
            item_code,
            kit_code,
            quantity_distributed: distributed.unwrap_or_default(),
            quantity_lost: lost.unwrap_or_default(),
        });
    }
    let content = DistributionContentInput {
        site_id: site.unwrap_or_default(),
        implementing_organisation_code: None,
        funding_organisation_code: None,
        project_code: a.text("project_code").map(str::to_owned),
        starts_on: starts_on.unwrap_or_default(),
        ends_on: a.date("ends_on"),
        modality: modality.unwrap_or(DistributionModality::InKind).into(),
        status: status.unwrap_or(DistributionStatus::Completed).into(),
        households: households.unwrap_or_default(),
        individuals: individuals.unwrap_or_default(),
        sadd: Vec::new(),
        no_shows: a.int("no_shows").unwrap_or_default(),
        lines,
        source_warehouse_id,
    };
    let input = (site.is_some() && a.problems.is_empty()).then_some(content);
    Ok(Mapped {
        input,
        origins,
        problems: a.problems,
    })
}
