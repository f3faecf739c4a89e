//! The arithmetic of the coordinator insight queries: who is in need of NFIs, which
//! distributions count as reaching people, what a sector is for catalogue goods, when an
//! arrivals figure is a spike, how much double counting a site may hide.

use chrono::{Days, NaiveDate};

use crate::Invalid;
use crate::codes::{DistributionStatus, ItemCategory, PriorityNeed, Sector};

/// How many of an assessment's ranked priority needs are read: DTM forms ask key
/// informants for the top three.
pub const NFI_NEED_RANKS: usize = 3;

/// Whether a site's households are "in need of NFIs" by its assessment: `NFI` is among the
/// first [`NFI_NEED_RANKS`] ranked priority needs. Assessments are site-level (no household
/// lists), so the site's households are then all counted as in need, and none otherwise.
///
/// ```
/// use camptrack_domain::codes::PriorityNeed::*;
/// use camptrack_domain::insight::in_need_of_nfi;
/// assert!(in_need_of_nfi(&[Food, Water, Nfi]));
/// assert!(!in_need_of_nfi(&[Food, Water, Shelter, Nfi]));
/// ```
pub fn in_need_of_nfi(priority_needs: &[PriorityNeed]) -> bool {
    priority_needs
        .iter()
        .take(NFI_NEED_RANKS)
        .any(|n| *n == PriorityNeed::Nfi)
}

/// Whether a distribution in this status has reached households: `COMPLETED` and
/// `ONGOING` have; `PLANNED` has not yet, `CANCELLED` never will.
pub fn reaches(status: DistributionStatus) -> bool {
    matches!(
        status,
        DistributionStatus::Completed | DistributionStatus::Ongoing
    )
}

/// The cluster sector of catalogue goods with these item categories (one for an item, its
/// items' for a kit): `WASH` when every item is a WASH item, `SHELTER_NFI` otherwise.
pub fn sector_of(categories: &[ItemCategory]) -> Sector {
    if !categories.is_empty() && categories.iter().all(|c| *c == ItemCategory::Wash) {
        Sector::Wash
    } else {
        Sector::ShelterNfi
    }
}

/// The last day of a distribution that falls on or before `as_of`, if it began by then:
/// a distribution runs from `starts_on` to `ends_on` (one day when open-ended).
pub fn last_day_by(
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    as_of: NaiveDate,
) -> Option<NaiveDate> {
    (starts_on <= as_of).then(|| ends_on.unwrap_or(starts_on).max(starts_on).min(as_of))
}

/// Whether a distribution running `starts_on..=ends_on` (one day when open-ended) overlaps
/// the period `from..=to`.
pub fn overlaps(
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    from: NaiveDate,
    to: NaiveDate,
) -> bool {
    starts_on <= to && ends_on.unwrap_or(starts_on).max(starts_on) >= from
}

/// Households in need not reached: never below zero (more reached than in need is no gap).
pub fn gap(in_need: i64, reached: i64) -> i64 {
    (in_need - reached).max(0)
}

/// A checked look-back: a number of days (0 or more) back from a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LookBack {
    /// The date looked back from.
    pub as_of: NaiveDate,
    /// Days looked back.
    pub days: u32,
}

impl LookBack {
    /// Checks `days` (reported at `field`).
    pub fn new(as_of: NaiveDate, days: i64, field: &str) -> Result<Self, Invalid> {
        let days = u32::try_from(days)
            .ok()
            .filter(|d| *d <= 36_600)
            .ok_or_else(|| {
                Invalid::one(
                    field,
                    format!("{days} is not a number of days from 0 to 36600"),
                )
            })?;
        Ok(Self { as_of, days })
    }

    /// The first day of the window: `as_of` minus `days`. Dates on or after it are recent.
    pub fn since(&self) -> NaiveDate {
        self.as_of
            .checked_sub_days(Days::new(u64::from(self.days)))
            .unwrap_or(NaiveDate::MIN)
    }
}

/// Checks that a period runs forwards (`from` on or before `to`), reported at `to`.
pub fn period(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate), Invalid> {
    if from > to {
        Err(Invalid::one("to", format!("{to} is before from {from}")))
    } else {
        Ok((from, to))
    }
}

/// Which rule made an arrivals figure a spike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpikeRule {
    /// The arrivals exceed the absolute threshold.
    Threshold,
    /// The arrivals exceed a multiple of the previous counted assessment's arrivals.
    Multiple,
}

/// What counts as an arrivals spike: above `threshold`, or above `multiple` times the
/// previous figure (either or both; at least one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeTest {
    threshold: Option<i64>,
    multiple: Option<f64>,
}

impl SpikeTest {
    /// Checks the options: at least one given, threshold 0 or more, multiple above 0.
    pub fn new(threshold: Option<i64>, multiple: Option<f64>) -> Result<Self, Invalid> {
        let mut errors = crate::error::Errors::default();
        if threshold.is_none() && multiple.is_none() {
            errors.add("threshold", "give a threshold, a multiple, or both");
        }
        if threshold.is_some_and(|t| t < 0) {
            errors.add("threshold", "must be 0 or more");
        }
        if multiple.is_some_and(|m| !m.is_finite() || m <= 0.0) {
            errors.add("multiple", "must be a number above 0");
        }
        errors.finish(Self {
            threshold,
            multiple,
        })
    }

    /// The rules `latest` arrivals break, given the `previous` counted assessment's
    /// arrivals. An unreported figure (`None`) breaks nothing and compares with nothing;
    /// a previous figure of 0 makes any arrivals above 0 a `Multiple` spike.
    ///
    /// ```
    /// use camptrack_domain::insight::{SpikeRule, SpikeTest};
    /// let t = SpikeTest::new(Some(500), Some(2.0)).unwrap();
    /// assert_eq!(t.fired(Some(600), Some(400)), vec![SpikeRule::Threshold]);
    /// assert_eq!(t.fired(Some(300), Some(100)), vec![SpikeRule::Multiple]);
    /// assert!(t.fired(Some(200), Some(100)).is_empty());
    /// ```
    pub fn fired(&self, latest: Option<i64>, previous: Option<i64>) -> Vec<SpikeRule> {
        let Some(latest) = latest else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if self.threshold.is_some_and(|t| latest > t) {
            out.push(SpikeRule::Threshold);
        }
        if let (Some(m), Some(prev)) = (self.multiple, previous)
            && (latest as f64) > m * prev as f64
        {
            out.push(SpikeRule::Multiple);
        }
        out
    }
}

/// What a site's reach by several organisations may hide, without household lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DoubleCounting {
    /// Households reached, summed over the organisations.
    pub reported: i64,
    /// At most this many may be counted twice: the sum minus the largest organisation's
    /// figure (if every organisation reached the same households).
    pub at_most: i64,
    /// At least this many are counted twice: the sum minus the site's households, when
    /// the organisations report more households than live there.
    pub at_least: i64,
}

/// The double counting that `per_organisation` reached households may hide at a site of
/// `households`.
///
/// ```
/// use camptrack_domain::insight::double_counting;
/// let d = double_counting(&[60, 50], 100);
/// assert_eq!((d.reported, d.at_most, d.at_least), (110, 50, 10));
/// ```
pub fn double_counting(per_organisation: &[i64], households: i64) -> DoubleCounting {
    let reported: i64 = per_organisation.iter().sum();
    let largest = per_organisation.iter().copied().max().unwrap_or(0);
    DoubleCounting {
        reported,
        at_most: reported - largest,
        at_least: (reported - households).max(0).min(reported - largest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_look_back_refuses_negative_days_and_counts_back_from_the_date() {
        let day: NaiveDate = "2024-03-31".parse().unwrap();
        assert!(LookBack::new(day, -1, "days").is_err());
        assert_eq!(
            LookBack::new(day, 30, "days").unwrap().since(),
            "2024-03-01".parse().unwrap()
        );
    }

    #[test]
    fn a_spike_test_needs_a_rule_and_sane_values() {
        assert!(SpikeTest::new(None, None).is_err());
        assert!(SpikeTest::new(Some(-1), None).is_err());
        assert!(SpikeTest::new(None, Some(0.0)).is_err());
        let t = SpikeTest::new(None, Some(1.5)).unwrap();
        assert_eq!(t.fired(Some(1), Some(0)), vec![SpikeRule::Multiple]);
        assert!(t.fired(None, Some(0)).is_empty());
        assert!(t.fired(Some(10), None).is_empty());
    }

    #[test]
    fn wash_goods_are_wash_and_the_rest_shelter_nfi() {
        assert_eq!(sector_of(&[ItemCategory::Wash]), Sector::Wash);
        assert_eq!(
            sector_of(&[ItemCategory::Wash, ItemCategory::Nfi]),
            Sector::ShelterNfi
        );
    }

    #[test]
    fn overlaps_and_last_days_read_open_ended_distributions_as_one_day() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(overlaps(
            d("2024-03-01"),
            None,
            d("2024-03-01"),
            d("2024-03-01")
        ));
        assert!(!overlaps(
            d("2024-02-01"),
            None,
            d("2024-03-01"),
            d("2024-03-31")
        ));
        assert!(overlaps(
            d("2024-02-01"),
            Some(d("2024-03-02")),
            d("2024-03-01"),
            d("2024-03-31")
        ));
        assert_eq!(
            last_day_by(d("2024-02-01"), Some(d("2024-04-01")), d("2024-03-01")),
            Some(d("2024-03-01"))
        );
        assert_eq!(last_day_by(d("2024-04-01"), None, d("2024-03-01")), None);
    }
}
