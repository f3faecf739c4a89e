//! Code lists: closed sets of codes with English and French labels.

/// A code list: a closed set of codes, each with an English and a French label, that forms
/// and clients can read from the API instead of hard-coding.
pub trait CodeList: Sized + Copy + Eq + 'static {
    /// The list's name as clients see it, e.g. `SiteType`.
    const NAME: &'static str;
    /// Every value, in the order forms should show them.
    const ALL: &'static [Self];
    /// The stable code stored in the database and sent over the API.
    fn code(self) -> &'static str;
    /// The English label.
    fn label_en(self) -> &'static str;
    /// The French label.
    fn label_fr(self) -> &'static str;
    /// The value with this code, if any.
    fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// Declares a code-list enum with its codes and labels in one place.
#[macro_export]
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => ($code:literal, $en:literal, $fr:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = $en] $variant ),+
        }

        impl $crate::CodeList for $name {
            const NAME: &'static str = stringify!($name);
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }
            fn label_en(self) -> &'static str {
                match self { $(Self::$variant => $en),+ }
            }
            fn label_fr(self) -> &'static str {
                match self { $(Self::$variant => $fr),+ }
            }
        }

        impl $name {
            /// This list as data, for clients building forms.
            pub const LIST: $crate::code_list::CodeListInfo = $crate::code_list::CodeListInfo {
                name: stringify!($name),
                values: &[$($crate::code_list::CodeValue { code: $code, label_en: $en, label_fr: $fr }),+],
            };
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::CodeList::code(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::code_list::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as $crate::CodeList>::from_code(s).ok_or_else(|| $crate::code_list::UnknownCode {
                    list: stringify!($name),
                    code: s.to_owned(),
                })
            }
        }
    };
}

/// One code of a list with its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeValue {
    /// The stable code.
    pub code: &'static str,
    /// The English label.
    pub label_en: &'static str,
    /// The French label.
    pub label_fr: &'static str,
}

/// A whole code list as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeListInfo {
    /// The list's name, e.g. `SiteType`.
    pub name: &'static str,
    /// Its values in form order.
    pub values: &'static [CodeValue],
}

/// A code that is not in its list (e.g. a stored value from a newer version).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{code}` is not a {list} code")]
pub struct UnknownCode {
    /// The list's name.
    pub list: &'static str,
    /// The code that was not found.
    pub code: String,
}

#[cfg(test)]
mod tests {
    use crate::CodeList;
    use crate::codes::{ALL_LISTS, SiteType};

    #[test]
    fn codes_round_trip_through_their_text() {
        for v in SiteType::ALL {
            assert_eq!(v.code().parse::<SiteType>(), Ok(*v));
        }
        assert!("CAMP".parse::<SiteType>().is_err());
    }

    #[test]
    fn every_list_has_unique_codes_and_both_labels() {
        for list in ALL_LISTS {
            let mut codes: Vec<_> = list.values.iter().map(|v| v.code).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), list.values.len(), "{}", list.name);
            for v in list.values {
                assert!(
                    !v.label_en.is_empty() && !v.label_fr.is_empty(),
                    "{}",
                    v.code
                );
            }
        }
    }
}
