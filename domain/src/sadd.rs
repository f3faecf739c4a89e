//! Sex- and age-disaggregated data (SADD): rows of (sex, age band, count).
//!
//! Bands are inclusive completed years (`<1` is 0..0, `60+` is 60..open). Bands of one sex
//! may not overlap and the rows may not add up to more than the individuals counted; a
//! partial set is allowed. Rows are kept per exact band and never re-banded.

use crate::Invalid;
use crate::codes::Sex;
use crate::error::Errors;

/// Oldest age a band may name.
pub const MAX_AGE: u8 = 120;

/// One SADD row.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct SaddRow {
    /// Sex of the people counted.
    pub sex: Sex,
    /// Youngest completed age in the band.
    pub age_min: u8,
    /// Oldest completed age in the band; `None` for an open band such as `60+`.
    pub age_max: Option<u8>,
    /// People counted in the band.
    pub count: u32,
}

impl SaddRow {
    fn overlaps(&self, other: &SaddRow) -> bool {
        let end = |r: &SaddRow| r.age_max.unwrap_or(u8::MAX);
        self.sex == other.sex && self.age_min <= end(other) && other.age_min <= end(self)
    }

    /// The band as people write it: `0-0`, `1-5`, `60+`.
    pub fn band(&self) -> String {
        match self.age_max {
            Some(max) => format!("{}-{max}", self.age_min),
            None => format!("{}+", self.age_min),
        }
    }
}

/// Checks a set of rows against the individuals total, recording every problem under `sadd`.
pub fn check(rows: &[SaddRow], individuals: u32, errors: &mut Errors) {
    for (i, row) in rows.iter().enumerate() {
        if row.age_min > MAX_AGE {
            errors.add(
                format!("sadd.{i}.ageMin"),
                format!("must be at most {MAX_AGE}"),
            );
        }
        match row.age_max {
            Some(max) if max < row.age_min => errors.add(
                format!("sadd.{i}.ageMax"),
                format!("{max} is below ageMin {}", row.age_min),
            ),
            Some(max) if max > MAX_AGE => {
                errors.add(
                    format!("sadd.{i}.ageMax"),
                    format!("must be at most {MAX_AGE}"),
                );
            }
            _ => {}
        }
        if let Some(j) = rows[..i].iter().position(|earlier| earlier.overlaps(row)) {
            errors.add(
                format!("sadd.{i}"),
                format!(
                    "band {} {} overlaps band {} of row {j}",
                    row.sex,
                    row.band(),
                    rows[j].band()
                ),
            );
        }
    }
    let total: u64 = rows.iter().map(|r| u64::from(r.count)).sum();
    if total > u64::from(individuals) {
        errors.add(
            "sadd",
            format!("the bands add up to {total}, more than the {individuals} individuals counted"),
        );
    }
}

/// Validates rows on their own (for callers that have no other fields to check).
pub fn validate(rows: &[SaddRow], individuals: u32) -> Result<(), Invalid> {
    let mut errors = Errors::default();
    check(rows, individuals, &mut errors);
    errors.finish(())
}

/// Adds `rows` into `totals`, keeping each exact (sex, band) apart; the result is sorted.
pub fn accumulate(totals: &mut Vec<SaddRow>, rows: &[SaddRow]) {
    for row in rows {
        match totals
            .iter_mut()
            .find(|t| (t.sex, t.age_min, t.age_max) == (row.sex, row.age_min, row.age_max))
        {
            Some(t) => t.count = t.count.saturating_add(row.count),
            None => totals.push(*row),
        }
    }
    totals.sort_unstable_by_key(|r| (r.sex, r.age_min, r.age_max));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(sex: Sex, age_min: u8, age_max: Option<u8>, count: u32) -> SaddRow {
        SaddRow {
            sex,
            age_min,
            age_max,
            count,
        }
    }

    fn dtm_nigeria() -> Vec<SaddRow> {
        let mut rows = Vec::new();
        for sex in [Sex::Female, Sex::Male] {
            for (min, max) in [
                (0, Some(0)),
                (1, Some(5)),
                (6, Some(17)),
                (18, Some(59)),
                (60, None),
            ] {
                rows.push(row(sex, min, max, 10));
            }
        }
        rows
    }

    #[test]
    fn the_dtm_nigeria_bands_are_valid() {
        assert_eq!(validate(&dtm_nigeria(), 100), Ok(()));
    }

    #[test]
    fn bands_adding_up_to_more_than_the_individuals_are_rejected() {
        let err = validate(&dtm_nigeria(), 99).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert_eq!(err.0[0].path, "sadd");
        assert!(err.0[0].reason.contains("100"), "{}", err.0[0].reason);
    }

    #[test]
    fn overlapping_bands_of_one_sex_are_rejected_but_other_sexes_may_share_a_band() {
        let rows = [
            row(Sex::Female, 0, Some(5), 1),
            row(Sex::Male, 0, Some(5), 1),
            row(Sex::Female, 5, Some(14), 1),
            row(Sex::Female, 60, None, 1),
            row(Sex::Female, 70, Some(80), 1),
        ];
        let err = validate(&rows, 10).unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["sadd.2", "sadd.4"]);
    }

    #[test]
    fn an_inverted_band_is_rejected() {
        let err = validate(&[row(Sex::Male, 18, Some(5), 1)], 10).unwrap_err();
        assert_eq!(err.0[0].path, "sadd.0.ageMax");
    }

    #[test]
    fn totals_keep_each_exact_band_apart() {
        let mut totals = Vec::new();
        accumulate(
            &mut totals,
            &[
                row(Sex::Female, 0, Some(4), 3),
                row(Sex::Female, 0, Some(5), 2),
            ],
        );
        accumulate(&mut totals, &[row(Sex::Female, 0, Some(4), 1)]);
        assert_eq!(
            totals,
            [
                row(Sex::Female, 0, Some(4), 4),
                row(Sex::Female, 0, Some(5), 2)
            ]
        );
    }

    proptest! {
        #[test]
        fn disjoint_bands_within_the_total_are_always_accepted(
            cuts in proptest::collection::btree_set(1u8..120, 0..8),
            counts in proptest::collection::vec(0u32..1000, 9),
        ) {
            let mut bounds: Vec<u8> = cuts.into_iter().collect();
            bounds.insert(0, 0);
            let rows: Vec<SaddRow> = bounds
                .iter()
                .enumerate()
                .map(|(i, &min)| {
                    let max = bounds.get(i + 1).map(|next| next - 1);
                    row(Sex::Female, min, max, counts[i])
                })
                .collect();
            let total: u32 = rows.iter().map(|r| r.count).sum();
            prop_assert_eq!(validate(&rows, total), Ok(()));
            if total > 0 {
                prop_assert!(validate(&rows, total - 1).is_err());
            }
        }
    }
}
