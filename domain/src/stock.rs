//! Stock and distributions: catalogue and warehouse codes, quantities, the ledger's sign
//! rules, the never-below-zero rule, kit expansion, days of cover and distribution states.
//!
//! Every quantity is a whole number of the item's base unit. One line of a movement or a
//! distribution holds at most [`MAX_LINE_QUANTITY`] base units; balances are sums of lines
//! and are kept in `i64`.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;

use crate::Invalid;
use crate::codes::{DistributionModality, DistributionStatus, MovementKind};
use crate::error::Errors;
use crate::sadd::{self, SaddRow};

/// Most base units one movement or one distribution line may carry.
pub const MAX_LINE_QUANTITY: i64 = 10_000_000;
/// Most base units of one item in one kit.
pub const MAX_KIT_QUANTITY: i64 = 10_000;
/// Largest pack size (base units per pack).
pub const MAX_PACK_SIZE: i64 = 100_000;
/// Most lines in one distribution or kit.
pub const MAX_LINES: usize = 100;

/// A code for a catalogue item, a kit or a warehouse, e.g. `BLANKET`, `NFI-KIT-A`,
/// `WH-MAIDUGURI-01`: 2-40 letters, digits and single dashes, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct StockCode(String);

impl StockCode {
    /// Parses a code, upper-casing it; `path` names the field in the error.
    ///
    /// ```
    /// use camptrack_domain::stock::StockCode;
    /// assert_eq!(StockCode::parse("code", " jerry-can ")?.as_str(), "JERRY-CAN");
    /// assert!(StockCode::parse("code", "jerry can").is_err());
    /// # Ok::<(), camptrack_domain::Invalid>(())
    /// ```
    pub fn parse(path: &str, raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        let well_formed = (2..=40).contains(&code.len())
            && code
                .split('-')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        if well_formed {
            Ok(Self(code))
        } else {
            Err(Invalid::one(
                path,
                format!(
                    "`{raw}` is not a code: use 2-40 letters, digits and single dashes, e.g. SLEEPING-MAT"
                ),
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StockCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl MovementKind {
    /// The sign every movement of this kind carries: `+1` for stock coming in, `-1` for
    /// stock going out, `None` for adjustments, which go either way.
    pub fn direction(self) -> Option<i64> {
        match self {
            Self::Receipt | Self::TransferIn => Some(1),
            Self::Dispatch | Self::TransferOut | Self::Loss => Some(-1),
            Self::Adjustment => None,
        }
    }

    /// Whether a client records this kind on its own; transfers are recorded as a pair.
    pub fn recorded_alone(self) -> bool {
        !matches!(self, Self::TransferIn | Self::TransferOut)
    }
}

/// The signed quantity a client's `raw` quantity of `kind` stands for. Clients give a
/// positive number of base units and the kind gives the sign; an adjustment gives its own
/// sign. Records an error at `path` and answers 0 when `raw` breaks the rule.
pub fn signed_quantity(errors: &mut Errors, path: &str, kind: MovementKind, raw: i64) -> i64 {
    match kind.direction() {
        Some(sign) if (1..=MAX_LINE_QUANTITY).contains(&raw) => sign * raw,
        Some(_) => {
            errors.add(
                path,
                format!(
                    "{raw} is not between 1 and {MAX_LINE_QUANTITY} base units (give a positive quantity: a {kind} carries its own sign)"
                ),
            );
            0
        }
        None if raw != 0 && raw.abs() <= MAX_LINE_QUANTITY => raw,
        None => {
            errors.add(
                path,
                format!(
                    "{raw} is not an adjustment: give a non-zero number of base units between -{MAX_LINE_QUANTITY} and {MAX_LINE_QUANTITY}"
                ),
            );
            0
        }
    }
}

/// Checks a quantity between `min` and `max` base units, recording an error at `path`.
pub fn quantity(errors: &mut Errors, path: &str, raw: i64, min: i64, max: i64) -> i64 {
    if (min..=max).contains(&raw) {
        raw
    } else {
        errors.add(
            path,
            format!("{raw} is not between {min} and {max} base units"),
        );
        min
    }
}

/// The lowest balance reached when `changes` are applied one after another to `opening`,
/// `opening` included: the test of the rule that a balance never goes below zero.
///
/// ```
/// use camptrack_domain::stock::lowest_running_balance;
/// assert_eq!(lowest_running_balance(10, [-4, 5, -9]), 2);
/// assert_eq!(lowest_running_balance(-1, [5]), -1);
/// ```
pub fn lowest_running_balance(opening: i64, changes: impl IntoIterator<Item = i64>) -> i64 {
    let mut balance = opening;
    let mut lowest = opening;
    for change in changes {
        balance = balance.saturating_add(change);
        lowest = lowest.min(balance);
    }
    lowest
}

/// Days of cover: `balance` divided by the average daily dispatch, `dispatched` base units
/// over `window_days`. `None` (unknown) when nothing was dispatched in the window.
///
/// ```
/// use camptrack_domain::stock::days_of_cover;
/// assert_eq!(days_of_cover(300, 150, 30), Some(60.0));
/// assert_eq!(days_of_cover(300, 0, 30), None);
/// ```
pub fn days_of_cover(balance: i64, dispatched: i64, window_days: u32) -> Option<f64> {
    if dispatched <= 0 || window_days == 0 {
        return None;
    }
    let daily = dispatched as f64 / f64::from(window_days);
    Some(balance.max(0) as f64 / daily)
}

impl DistributionStatus {
    /// Whether a distribution in this state may move to `next`. Planned and ongoing
    /// distributions move forward or are cancelled; a completed one may only be cancelled
    /// (which returns its stock); a cancelled one is final.
    pub fn may_become(self, next: DistributionStatus) -> bool {
        use DistributionStatus as S;
        matches!(
            (self, next),
            (
                S::Planned,
                S::Planned | S::Ongoing | S::Completed | S::Cancelled
            ) | (S::Ongoing, S::Ongoing | S::Completed | S::Cancelled)
                | (S::Completed, S::Cancelled)
        )
    }

    /// Whether the distribution's content may still be edited.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Planned | Self::Ongoing)
    }
}

/// What one distribution line hands out: an item or a kit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Goods<Id> {
    /// A catalogue item.
    Item(Id),
    /// A kit, expanded into its items when stock moves.
    Kit(Id),
}

/// One distribution line, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<Id> {
    /// The item or kit.
    pub goods: Goods<Id>,
    /// Units (items or whole kits) handed to households.
    pub distributed: i64,
    /// Units lost or damaged during the distribution.
    pub lost: i64,
}

/// What the lines take out of stock for one item, in base units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outflow {
    /// Handed to households.
    pub distributed: i64,
    /// Lost or damaged.
    pub lost: i64,
    /// The first line that draws on the item, for error paths.
    pub first_line: usize,
}

/// Expands `lines` into base units per item, kits through `contents` (its items with
/// per-kit quantities). Items are in id order, so locks taken in this order never deadlock.
///
/// ```
/// use camptrack_domain::stock::{Goods, Line, expand};
/// let lines = [
///     Line { goods: Goods::Kit(9), distributed: 2, lost: 1 },
///     Line { goods: Goods::Item(1), distributed: 5, lost: 0 },
/// ];
/// let out = expand(&lines, |_kit| vec![(1, 2), (2, 1)]);
/// assert_eq!(out[&1].distributed, 2 * 2 + 5);
/// assert_eq!(out[&1].lost, 2);
/// assert_eq!(out[&2].distributed, 2);
/// ```
pub fn expand<Id: Ord + Copy>(
    lines: &[Line<Id>],
    contents: impl Fn(Id) -> Vec<(Id, i64)>,
) -> BTreeMap<Id, Outflow> {
    let mut out: BTreeMap<Id, Outflow> = BTreeMap::new();
    for (index, line) in lines.iter().enumerate() {
        let parts = match line.goods {
            Goods::Item(item) => vec![(item, 1)],
            Goods::Kit(kit) => contents(kit),
        };
        for (item, per_unit) in parts {
            let entry = out.entry(item).or_insert(Outflow {
                distributed: 0,
                lost: 0,
                first_line: index,
            });
            entry.distributed = entry
                .distributed
                .saturating_add(line.distributed.saturating_mul(per_unit));
            entry.lost = entry
                .lost
                .saturating_add(line.lost.saturating_mul(per_unit));
        }
    }
    out
}

/// The people a distribution reached.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reached {
    /// Households reached.
    pub households: u32,
    /// Individuals reached.
    pub individuals: u32,
    /// Sex- and age-disaggregated individuals reached (partial sets allowed).
    pub sadd: Vec<SaddRow>,
    /// Registered households that did not come.
    pub no_shows: u32,
}

/// A distribution's shape, checked as a whole: dates, status, modality and lines.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionShape<'a, Id> {
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if it lasts more than one.
    pub ends_on: Option<NaiveDate>,
    /// State.
    pub status: DistributionStatus,
    /// How the assistance is given.
    pub modality: DistributionModality,
    /// Whether a source warehouse is named.
    pub has_source: bool,
    /// The lines.
    pub lines: &'a [Line<Id>],
    /// People reached.
    pub reached: &'a Reached,
}

impl<Id: PartialEq> DistributionShape<'_, Id> {
    /// Checks every rule against the server's `today`, recording each problem.
    pub fn check(&self, errors: &mut Errors, today: NaiveDate) {
        let r = self.reached;
        if r.households > r.individuals {
            errors.add(
                "households",
                format!(
                    "{} households is more than the {} individuals reached",
                    r.households, r.individuals
                ),
            );
        }
        if r.households == 0 && r.individuals > 0 {
            errors.add("households", "individuals are reached but no households");
        }
        sadd::check(&r.sadd, r.individuals, errors);
        if let Some(end) = self.ends_on
            && end < self.starts_on
        {
            errors.add(
                "endsOn",
                format!("{end} is before startsOn {}", self.starts_on),
            );
        }
        if self.starts_on < NaiveDate::from_ymd_opt(1990, 1, 1).unwrap_or(NaiveDate::MIN) {
            errors.add("startsOn", format!("{} is before 1990", self.starts_on));
        }
        let last = self.ends_on.unwrap_or(self.starts_on);
        if self.status == DistributionStatus::Completed && last > today + chrono::Days::new(1) {
            errors.add(
                if self.ends_on.is_some() {
                    "endsOn"
                } else {
                    "startsOn"
                },
                format!(
                    "a completed distribution cannot end in the future ({last}; today is {today})"
                ),
            );
        }
        if self.has_source && self.modality != DistributionModality::InKind {
            errors.add(
                "sourceWarehouseId",
                format!(
                    "only in-kind distributions draw on a warehouse, not {}",
                    self.modality
                ),
            );
        }
        if self.modality == DistributionModality::InKind && self.lines.is_empty() {
            errors.add("lines", "an in-kind distribution needs at least one line");
        }
        if self.lines.len() > MAX_LINES {
            errors.add("lines", format!("at most {MAX_LINES} lines"));
        }
        for (i, line) in self.lines.iter().enumerate() {
            if line.distributed == 0 && line.lost == 0 {
                errors.add(
                    format!("lines.{i}.quantityDistributed"),
                    "a line hands out or loses at least one unit",
                );
            }
            if self.lines[..i].iter().any(|l| l.goods == line.goods) {
                errors.add(
                    format!("lines.{i}"),
                    "the same item or kit is on an earlier line: put it on one line",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::DistributionStatus as S;

    #[test]
    fn kinds_carry_their_sign_and_adjustments_their_own() {
        let mut errors = Errors::default();
        assert_eq!(
            signed_quantity(&mut errors, "q", MovementKind::Receipt, 5),
            5
        );
        assert_eq!(
            signed_quantity(&mut errors, "q", MovementKind::Dispatch, 5),
            -5
        );
        assert_eq!(signed_quantity(&mut errors, "q", MovementKind::Loss, 5), -5);
        assert_eq!(
            signed_quantity(&mut errors, "q", MovementKind::Adjustment, -3),
            -3
        );
        assert!(errors.is_empty());
        signed_quantity(&mut errors, "a", MovementKind::Receipt, -5);
        signed_quantity(&mut errors, "b", MovementKind::Dispatch, 0);
        signed_quantity(&mut errors, "c", MovementKind::Adjustment, 0);
        signed_quantity(
            &mut errors,
            "d",
            MovementKind::Receipt,
            MAX_LINE_QUANTITY + 1,
        );
        let err = errors.finish(()).unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a", "b", "c", "d"]);
    }

    #[test]
    fn the_lowest_running_balance_sees_every_later_dip() {
        assert_eq!(lowest_running_balance(5, []), 5);
        assert_eq!(lowest_running_balance(5, [-5, 10, -11]), -1);
    }

    #[test]
    fn only_forward_moves_and_cancellation_are_allowed() {
        assert!(S::Planned.may_become(S::Completed));
        assert!(S::Completed.may_become(S::Cancelled));
        assert!(!S::Completed.may_become(S::Ongoing));
        assert!(!S::Completed.may_become(S::Completed));
        assert!(!S::Cancelled.may_become(S::Planned));
        assert!(!S::Ongoing.may_become(S::Planned));
    }

    #[test]
    fn a_distribution_reports_every_broken_rule() {
        let lines = [
            Line {
                goods: Goods::Item(1),
                distributed: 0,
                lost: 0,
            },
            Line {
                goods: Goods::Item(1),
                distributed: 3,
                lost: 0,
            },
        ];
        let reached = Reached {
            households: 10,
            individuals: 5,
            ..Reached::default()
        };
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let shape = DistributionShape {
            starts_on: d("2024-03-02"),
            ends_on: Some(d("2024-03-01")),
            status: S::Completed,
            modality: DistributionModality::Cash,
            has_source: true,
            lines: &lines,
            reached: &reached,
        };
        let mut errors = Errors::default();
        shape.check(&mut errors, d("2024-06-01"));
        let err = errors.finish(()).unwrap_err();
        let paths: Vec<_> = err.0.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "households",
                "endsOn",
                "sourceWarehouseId",
                "lines.0.quantityDistributed",
                "lines.1"
            ]
        );
    }

    #[test]
    fn codes_are_upper_cased_and_checked() {
        assert_eq!(
            StockCode::parse("c", "nfi-kit-a").unwrap().as_str(),
            "NFI-KIT-A"
        );
        for bad in ["", "A", "A--B", "-AB", "A B", &"A".repeat(41)] {
            assert!(StockCode::parse("c", bad).is_err(), "{bad}");
        }
    }
}
