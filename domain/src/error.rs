//! Validation errors that say which field is wrong and why.

use std::fmt;

/// One thing wrong with one field of a client's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Dotted path of the field as the client named it, e.g. `sadd.2.ageMax`.
    pub path: String,
    /// What is wrong, in words an enumerator can act on.
    pub reason: String,
}

impl FieldError {
    /// An error for the field at `path`.
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The same error, its path placed under `prefix` (`sadd` + `0.count` -> `sadd.0.count`).
    #[must_use]
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = if self.path.is_empty() {
            prefix.to_owned()
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

/// Everything wrong with an input, never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    /// A single-field error.
    pub fn one(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self(vec![FieldError::new(path, reason)])
    }
}

impl From<FieldError> for Invalid {
    fn from(e: FieldError) -> Self {
        Self(vec![e])
    }
}

/// Collects field errors while validating, then yields `Ok` or every error at once.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Records an error at `path`.
    pub fn add(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError::new(path, reason));
    }

    /// Records `result`'s error, if any, placed under `prefix`; returns the value if any.
    pub fn take<T>(&mut self, prefix: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(Invalid(errs)) => {
                self.0.extend(errs.into_iter().map(|e| e.under(prefix)));
                None
            }
        }
    }

    /// `value` when nothing was recorded, else every recorded error.
    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Invalid(self.0))
        }
    }

    /// Whether any error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
