//! Which assessment is a site's latest: one total order, used everywhere.

use chrono::{DateTime, NaiveDate, Utc};

/// The key that orders a site's assessments: (assessed_on, round number, captured_at, id).
/// The greatest key among a site's counted assessments on or before a date is the site's
/// figure at that date. Field order is the comparison order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LatestKey<Id> {
    /// The day of the visit.
    pub assessed_on: NaiveDate,
    /// The round's number.
    pub round: i32,
    /// When the device captured the form.
    pub captured_at: DateTime<Utc>,
    /// The record's id, the last tie-breaker.
    pub id: Id,
}

#[cfg(test)]
mod tests {
    use super::LatestKey;

    #[test]
    fn later_visits_win_then_later_rounds_then_later_captures_then_ids() {
        let key = |day: &str, round, at: &str, id| LatestKey {
            assessed_on: day.parse().unwrap(),
            round,
            captured_at: at.parse().unwrap(),
            id,
        };
        let base = key("2024-03-01", 1, "2024-03-01T10:00:00Z", 1);
        assert!(key("2024-03-02", 0, "2024-01-01T00:00:00Z", 0) > base);
        assert!(key("2024-03-01", 2, "2024-01-01T00:00:00Z", 0) > base);
        assert!(key("2024-03-01", 1, "2024-03-01T10:00:01Z", 0) > base);
        assert!(key("2024-03-01", 1, "2024-03-01T10:00:00Z", 2) > base);
    }
}
