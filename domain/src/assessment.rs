//! Site assessments: the figures one visit reports and the rules they must follow.

use crate::Invalid;
use crate::codes::{DisplacementReason, PriorityNeed, Sector, ShelterCondition, Vulnerability};
use crate::error::Errors;
use crate::sadd::{self, SaddRow};

/// Largest count of people or households accepted for one site.
pub const MAX_COUNT: i64 = 10_000_000;
/// Most further indicators one assessment may carry.
pub const MAX_INDICATORS: usize = 100;

/// Converts a client's count into a `u32`, recording an error at `path` when it is negative
/// or absurd.
pub fn count(errors: &mut Errors, path: &str, value: i64) -> u32 {
    if (0..=MAX_COUNT).contains(&value) {
        u32::try_from(value).unwrap_or(0)
    } else {
        errors.add(
            path,
            format!("{value} is not a count between 0 and {MAX_COUNT}"),
        );
        0
    }
}

/// A count of people in one vulnerable group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VulnerabilityCount {
    /// The group.
    pub kind: Vulnerability,
    /// Individuals (or households, for the household kinds) in it.
    pub count: u32,
}

impl Vulnerability {
    /// Whether this group is counted in households rather than individuals.
    pub fn counts_households(self) -> bool {
        matches!(
            self,
            Self::FemaleHeadedHouseholds | Self::ChildHeadedHouseholds
        )
    }
}

/// What an assessment reports, as checked before it is stored.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct AssessmentFigures {
    /// Displaced households present.
    pub households: u32,
    /// Displaced individuals present.
    pub individuals: u32,
    /// Sex- and age-disaggregated counts (partial sets allowed).
    pub sadd: Vec<SaddRow>,
    /// Individuals who arrived in the past 3 months.
    pub arrivals_3m: Option<u32>,
    /// Individuals who left in the past 3 months.
    pub departures_3m: Option<u32>,
    /// Why people were displaced (unordered, no repeats).
    pub displacement_reasons: Vec<DisplacementReason>,
    /// Shelter problems observed.
    pub shelter_conditions: Vec<ShelterCondition>,
    /// Sectors with services present on the site.
    pub services: Vec<Sector>,
    /// Priority needs, most pressing first.
    pub priority_needs: Vec<PriorityNeed>,
    /// People with specific needs.
    pub vulnerabilities: Vec<VulnerabilityCount>,
    /// Keys of further indicator values (their values are free-form).
    pub indicator_keys: Vec<String>,
}

impl AssessmentFigures {
    /// Checks every rule, recording each problem with its field path.
    pub fn check(&self, errors: &mut Errors) {
        if self.households > self.individuals {
            errors.add(
                "households",
                format!(
                    "{} households is more than the {} individuals counted",
                    self.households, self.individuals
                ),
            );
        }
        if self.households == 0 && self.individuals > 0 {
            errors.add("households", "individuals are counted but no households");
        }
        sadd::check(&self.sadd, self.individuals, errors);
        no_repeats(errors, "displacementReasons", &self.displacement_reasons);
        no_repeats(errors, "shelterConditions", &self.shelter_conditions);
        no_repeats(errors, "services", &self.services);
        no_repeats(errors, "priorityNeeds", &self.priority_needs);
        let kinds: Vec<_> = self.vulnerabilities.iter().map(|v| v.kind).collect();
        no_repeats(errors, "vulnerabilities", &kinds);
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let (limit, unit) = if v.kind.counts_households() {
                (self.households, "households")
            } else {
                (self.individuals, "individuals")
            };
            if v.count > limit {
                errors.add(
                    format!("vulnerabilities.{i}.count"),
                    format!("{} is more than the {limit} {unit} counted", v.count),
                );
            }
        }
        if self.indicator_keys.len() > MAX_INDICATORS {
            errors.add("indicators", format!("at most {MAX_INDICATORS} indicators"));
        }
        for key in &self.indicator_keys {
            if !is_indicator_key(key) {
                errors.add(
                    format!("indicators.{key}"),
                    "indicator names are 1-64 lower-case letters, digits and underscores, starting with a letter",
                );
            }
        }
    }

    /// Validates the figures on their own.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Errors::default();
        self.check(&mut errors);
        errors.finish(())
    }
}

/// Checks the visit date against the server's `today`: a visit cannot be in the future
/// (one day of slack absorbs time zones) nor before 1990.
pub fn check_visit_date(
    errors: &mut Errors,
    assessed_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) {
    if assessed_on > today + chrono::Days::new(1) {
        errors.add(
            "assessedOn",
            format!("{assessed_on} is in the future (today is {today})"),
        );
    }
    if assessed_on < chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(chrono::NaiveDate::MIN) {
        errors.add("assessedOn", format!("{assessed_on} is before 1990"));
    }
}

fn is_indicator_key(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn no_repeats<T: PartialEq + std::fmt::Display>(errors: &mut Errors, path: &str, items: &[T]) {
    for (i, item) in items.iter().enumerate() {
        if items[..i].contains(item) {
            errors.add(format!("{path}.{i}"), format!("{item} is listed twice"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Sex;

    fn figures() -> AssessmentFigures {
        AssessmentFigures {
            households: 120,
            individuals: 610,
            sadd: vec![SaddRow {
                sex: Sex::Female,
                age_min: 0,
                age_max: Some(4),
                count: 80,
            }],
            arrivals_3m: Some(40),
            departures_3m: Some(3),
            displacement_reasons: vec![DisplacementReason::Conflict],
            shelter_conditions: vec![ShelterCondition::Overcrowded],
            services: vec![Sector::Wash, Sector::Health],
            priority_needs: vec![PriorityNeed::Food, PriorityNeed::Nfi, PriorityNeed::Water],
            vulnerabilities: vec![VulnerabilityCount {
                kind: Vulnerability::Disability,
                count: 12,
            }],
            indicator_keys: vec!["latrines_functional".to_owned()],
        }
    }

    #[test]
    fn a_complete_assessment_is_valid() {
        assert_eq!(figures().validate(), Ok(()));
    }

    #[test]
    fn more_households_than_individuals_is_rejected() {
        let f = AssessmentFigures {
            households: 700,
            ..figures()
        };
        assert_eq!(f.validate().unwrap_err().0[0].path, "households");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_path() {
        let f = AssessmentFigures {
            priority_needs: vec![PriorityNeed::Food, PriorityNeed::Food],
            vulnerabilities: vec![VulnerabilityCount {
                kind: Vulnerability::FemaleHeadedHouseholds,
                count: 121,
            }],
            indicator_keys: vec!["Bad Key".to_owned()],
            ..figures()
        };
        let err = f.validate().unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "priorityNeeds.1",
                "vulnerabilities.0.count",
                "indicators.Bad Key"
            ]
        );
    }

    #[test]
    fn negative_and_absurd_counts_are_rejected() {
        let mut errors = Errors::default();
        assert_eq!(count(&mut errors, "households", 5), 5);
        count(&mut errors, "households", -1);
        count(&mut errors, "individuals", MAX_COUNT + 1);
        assert_eq!(errors.finish(()).unwrap_err().0.len(), 2);
    }
}
