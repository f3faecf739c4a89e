//! Sites: codes and the rules a site record must follow.

use std::fmt;

use chrono::NaiveDate;

use crate::Invalid;
use crate::error::Errors;

/// A site code such as `CCCM-SO1101-0001`: letters, digits and single dashes, 3 to 40
/// characters, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteCode(String);

impl SiteCode {
    /// Parses a site code, upper-casing it.
    pub fn parse(path: &str, raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        let well_formed = (3..=40).contains(&code.len())
            && code
                .split('-')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        if well_formed {
            Ok(Self(code))
        } else {
            Err(Invalid::one(
                path,
                format!(
                    "`{raw}` is not a site code: use 3-40 letters, digits and single dashes, e.g. CCCM-SO1101-0001"
                ),
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a display name: not blank, at most `max` characters.
pub fn check_name(errors: &mut Errors, path: &str, name: &str, max: usize) {
    if name.trim().is_empty() {
        errors.add(path, "must not be blank");
    } else if name.chars().count() > max {
        errors.add(path, format!("must be at most {max} characters"));
    }
}

/// The figures of a site that must agree with each other.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SiteShape {
    /// Planned capacity in individuals.
    pub capacity: Option<i64>,
    /// Site area in square metres.
    pub area_m2: Option<f64>,
    /// When the site opened.
    pub opened_on: Option<NaiveDate>,
    /// When the site closed.
    pub closed_on: Option<NaiveDate>,
}

impl SiteShape {
    /// Checks capacity, area and dates, recording every problem.
    pub fn check(&self, errors: &mut Errors) {
        if let Some(c) = self.capacity
            && !(0..=10_000_000).contains(&c)
        {
            errors.add("capacity", "must be between 0 and 10,000,000 individuals");
        }
        if let Some(a) = self.area_m2
            && !(a.is_finite() && a > 0.0 && a <= 1.0e9)
        {
            errors.add(
                "areaM2",
                "must be a positive number of square metres up to 1,000 km2",
            );
        }
        if let (Some(o), Some(c)) = (self.opened_on, self.closed_on)
            && c < o
        {
            errors.add("closedOn", format!("{c} is before the opening date {o}"));
        }
    }

    /// Whether the site is open on `day`: opened on or before it (or no opening date) and
    /// not closed on or before it.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        self.opened_on.is_none_or(|o| o <= day) && self.closed_on.is_none_or(|c| c > day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cccm_style_codes_parse() {
        assert_eq!(
            SiteCode::parse("code", " cccm-so1101-0001 ")
                .unwrap()
                .as_str(),
            "CCCM-SO1101-0001"
        );
    }

    #[test]
    fn codes_with_spaces_double_dashes_or_too_short_are_rejected() {
        for bad in ["", "AB", "CCCM SO", "CCCM--1", "-ABC", "ABC-", "Ä123"] {
            assert!(SiteCode::parse("code", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_site_closed_before_it_opened_is_rejected() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let shape = SiteShape {
            capacity: Some(-1),
            area_m2: Some(f64::NAN),
            opened_on: Some(d("2024-05-01")),
            closed_on: Some(d("2024-04-01")),
        };
        let mut errors = Errors::default();
        shape.check(&mut errors);
        let err = errors.finish(()).unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["capacity", "areaM2", "closedOn"]);
    }

    #[test]
    fn a_site_is_open_from_its_opening_day_until_the_day_before_closing() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let shape = SiteShape {
            capacity: None,
            area_m2: None,
            opened_on: Some(d("2024-01-10")),
            closed_on: Some(d("2024-02-01")),
        };
        assert!(!shape.is_open_on(d("2024-01-09")));
        assert!(shape.is_open_on(d("2024-01-10")));
        assert!(shape.is_open_on(d("2024-01-31")));
        assert!(!shape.is_open_on(d("2024-02-01")));
    }
}
