//! P-codes: OCHA COD-AB administrative area codes.

use std::fmt;

use crate::Invalid;

/// A p-code such as `NGA` (admin0, ISO3) or `NG002021` (an LGA): two or three letters, then
/// digits or letters. Stored upper-case; at most 24 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PCode(String);

impl PCode {
    /// Longest p-code accepted.
    pub const MAX_LEN: usize = 24;

    /// Parses a p-code, upper-casing it; `path` names the field in the error.
    pub fn parse(path: &str, raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        let letters = code.chars().take_while(char::is_ascii_uppercase).count();
        let reason = if code.is_empty() {
            Some("must not be empty".to_owned())
        } else if code.len() > Self::MAX_LEN {
            Some(format!("must be at most {} characters", Self::MAX_LEN))
        } else if !(2..=3).contains(&letters) {
            Some("must start with a 2-letter (ISO2) or 3-letter (ISO3) country code".to_owned())
        } else if !code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            Some("may hold only letters and digits".to_owned())
        } else {
            None
        };
        match reason {
            Some(r) => Err(Invalid::one(path, format!("`{raw}` is not a p-code: {r}"))),
            None => Ok(Self(code)),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `self` is `other` or one of its descendants by code prefix
    /// (`NG002021` is within `NG002`).
    pub fn is_within(&self, other: &PCode) -> bool {
        self.0.starts_with(&other.0)
    }
}

impl fmt::Display for PCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::PCode;

    #[test]
    fn real_pcodes_parse_and_are_upper_cased() {
        for code in ["NGA", "NG002", "NG002021004", "SO1101", "ssd", "CD7411"] {
            let p = PCode::parse("pcode", code).unwrap();
            assert_eq!(p.as_str(), code.to_ascii_uppercase());
        }
    }

    #[test]
    fn malformed_pcodes_are_rejected_with_the_field() {
        for code in [
            "",
            "N",
            "1234",
            "NG-002",
            "NGAB01",
            "NG 002",
            &"N".repeat(30),
        ] {
            let err = PCode::parse("admin1Pcode", code).unwrap_err();
            assert_eq!(err.0[0].path, "admin1Pcode", "{code}");
        }
    }

    #[test]
    fn descendants_are_within_their_parent() {
        let state = PCode::parse("p", "NG002").unwrap();
        let lga = PCode::parse("p", "NG002021").unwrap();
        assert!(lga.is_within(&state));
        assert!(!state.is_within(&lga));
    }
}
