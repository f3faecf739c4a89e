//! Property tests of every parser of outside text in the domain: any input (any Unicode,
//! control characters, huge, near-misses of valid codes) is accepted or rejected with an
//! error naming the field, never a panic; what is accepted is canonical and parses again to
//! itself.

use proptest::prelude::*;

use crate::Invalid;
use crate::pcode::PCode;
use crate::site::SiteCode;
use crate::stock::StockCode;

/// Strings a hostile client might send: anything, near-valid codes, SQL-looking text.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,64}",
        "[A-Za-z]{1,4}[0-9]{0,30}",
        "[A-Za-z0-9-]{0,50}",
        "[ \t\n]{0,3}[a-z]{2,3}[0-9]{0,8}[ \t\n]{0,3}",
        Just("'; DROP TABLE sites; --".to_owned()),
        Just("NGA' OR '1'='1".to_owned()),
        Just("ＮＧＡ００１".to_owned()),
        Just("İSTANBUL".to_owned()),
        Just("NG\u{0}08".to_owned()),
        "[A-Z]{3}[0-9]{200,400}",
    ]
}

fn names_only(err: &Invalid, path: &str) {
    assert!(!err.0.is_empty());
    assert!(err.0.iter().all(|e| e.path == path && !e.reason.is_empty()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn pcodes_are_canonical_or_rejected_by_field(raw in hostile()) {
        match PCode::parse("admin1Pcode", &raw) {
            Ok(code) => {
                let text = code.as_str();
                prop_assert!(text.len() <= PCode::MAX_LEN);
                prop_assert!(text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
                prop_assert_eq!(PCode::parse("x", text).map(|c| c.as_str().to_owned()).ok(), Some(text.to_owned()));
            }
            Err(err) => names_only(&err, "admin1Pcode"),
        }
    }

    #[test]
    fn site_codes_are_canonical_or_rejected_by_field(raw in hostile()) {
        match SiteCode::parse("code", &raw) {
            Ok(code) => {
                let text = code.as_str();
                prop_assert!((3..=40).contains(&text.len()));
                prop_assert!(text.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'));
                prop_assert!(!text.contains("--") && !text.starts_with('-') && !text.ends_with('-'));
                prop_assert_eq!(SiteCode::parse("x", text).ok().map(|c| c.as_str().to_owned()), Some(text.to_owned()));
            }
            Err(err) => names_only(&err, "code"),
        }
    }

    #[test]
    fn stock_codes_are_canonical_or_rejected_by_field(raw in hostile()) {
        match StockCode::parse("code", &raw) {
            Ok(code) => {
                let text = code.as_str();
                prop_assert!((2..=40).contains(&text.len()));
                prop_assert_eq!(StockCode::parse("x", text).ok(), Some(code.clone()));
            }
            Err(err) => names_only(&err, "code"),
        }
    }
}
