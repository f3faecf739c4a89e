//! Sorting, merging and subtracting ranges of resolution-15 cell values.
//!
//! Ranges are merged when they touch, overlap, or are separated only by values that are
//! not valid resolution-15 cells (a digit 7, a base cell past 121, or a pentagon's deleted
//! subsequence), so no stored row can fall in a merged gap.

use crate::CellRange;

/// Bits 0..45 hold the 15 digits, bits 45..52 the base cell.
const DIGIT_BITS: u32 = 45;
const BODY_MASK: u64 = (1 << 52) - 1;
const LAST_BASE_CELL: u64 = 121;

/// The smallest valid resolution-15 cell value strictly greater than `after`, which must
/// carry a resolution-15 cell header (mode 1, resolution 15). `None` when there is none.
pub(crate) fn next_valid_after(after: u64) -> Option<u64> {
    let header = after & !BODY_MASK;
    let mut body = (after & BODY_MASK) + 1;
    'normalise: loop {
        if body >> DIGIT_BITS > LAST_BASE_CELL {
            return None;
        }
        // The highest digit equal to 7 (unused) carries into the digit above it.
        for pos in (0..15).rev() {
            let shift = 3 * pos;
            if (body >> shift) & 7 == 7 {
                body = ((body >> shift) + 1) << shift;
                continue 'normalise;
            }
        }
        let base = u8::try_from(body >> DIGIT_BITS).expect("base cell fits in 7 bits");
        let is_pentagon = h3o::BaseCell::try_from(base).is_ok_and(h3o::BaseCell::is_pentagon);
        if is_pentagon {
            // The first non-zero digit of a pentagon's descendant may not be 1 (the
            // deleted K-axis subsequence): skip to digit 2 at that position.
            let first_nonzero = (0..15).rev().find(|pos| (body >> (3 * pos)) & 7 != 0);
            if let Some(pos) = first_nonzero {
                let shift = 3 * pos;
                if (body >> shift) & 7 == 1 {
                    body = ((body >> shift) + 1) << shift;
                }
            }
        }
        return Some(header | body);
    }
}

/// Sorts `ranges` and merges those that overlap, touch, or are separated only by
/// impossible cell values.
pub(crate) fn normalise(mut ranges: Vec<CellRange>) -> Vec<CellRange> {
    ranges.sort_unstable();
    let mut out: Vec<CellRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        if let Some(last) = out.last_mut()
            && (r.lo <= last.hi.saturating_add(1) || !any_valid_between(last.hi, r.lo))
        {
            last.hi = last.hi.max(r.hi);
            continue;
        }
        out.push(r);
    }
    out
}

/// Whether some valid resolution-15 cell value lies strictly between `a` and `b`.
fn any_valid_between(a: i64, b: i64) -> bool {
    let Ok(a) = u64::try_from(a) else {
        return true;
    };
    next_valid_after(a).is_some_and(|next| i64::try_from(next).is_ok_and(|next| next < b))
}

/// `from` minus every value in `remove`; both must be sorted and disjoint. The pieces
/// are not merged again: a gap left by removal holds removed values.
pub(crate) fn subtract(from: &[CellRange], remove: &[CellRange]) -> Vec<CellRange> {
    let mut out = Vec::with_capacity(from.len());
    let mut j = 0;
    for r in from {
        let mut lo = r.lo;
        while j < remove.len() && remove[j].hi < lo {
            j += 1;
        }
        let mut k = j;
        while lo <= r.hi {
            match remove.get(k) {
                Some(x) if x.lo <= r.hi => {
                    if x.lo > lo {
                        out.push(CellRange { lo, hi: x.lo - 1 });
                    }
                    match x.hi.checked_add(1) {
                        Some(next) if x.hi < r.hi => lo = next,
                        _ => break,
                    }
                    k += 1;
                }
                _ => {
                    out.push(CellRange { lo, hi: r.hi });
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use h3o::{CellIndex, LatLng, Resolution};
    use proptest::prelude::*;

    use super::*;

    fn raw(c: CellIndex) -> u64 {
        u64::from(c)
    }

    #[test]
    fn next_after_the_last_cell_is_none() {
        let last = CellIndex::last(Resolution::Fifteen);
        assert_eq!(next_valid_after(raw(last)), None);
        let first = CellIndex::first(Resolution::Fifteen);
        assert_eq!(next_valid_after(raw(first)), first.succ().map(raw));
    }

    #[test]
    fn pentagon_deleted_subsequence_is_skipped() {
        let pentagon = Resolution::Fifteen.pentagons().next().unwrap();
        let next = next_valid_after(raw(pentagon)).unwrap();
        assert_eq!(Some(CellIndex::try_from(next).unwrap()), pentagon.succ());
        assert_eq!(next - raw(pentagon), 2);
    }

    #[test]
    fn sibling_ranges_merge_into_the_parent_range() {
        let parent = LatLng::new(10.0, 20.0).unwrap().to_cell(Resolution::Six);
        let kids: Vec<CellRange> = parent
            .children(Resolution::Seven)
            .map(|c| crate::Cell::from(c).range())
            .collect();
        let merged = normalise(kids);
        assert_eq!(merged.len(), 1);
        let whole = crate::Cell::from(parent).range();
        assert_eq!(merged[0].lo, whole.lo);
        // The last child ends before the parent's all-ones tail (digit 7 is impossible).
        assert!(merged[0].hi < whole.hi);
    }

    #[test]
    fn ranges_with_a_valid_cell_between_stay_apart() {
        let parent = LatLng::new(10.0, 20.0).unwrap().to_cell(Resolution::Six);
        let kids: Vec<CellRange> = parent
            .children(Resolution::Seven)
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, c)| crate::Cell::from(c).range())
            .collect();
        assert_eq!(normalise(kids).len(), 2);
    }

    #[test]
    fn subtract_cuts_holes_and_ends() {
        let r = |lo, hi| CellRange { lo, hi };
        let out = subtract(
            &[r(0, 100), r(200, 300)],
            &[r(-5, 10), r(50, 60), r(250, 400)],
        );
        assert_eq!(out, vec![r(11, 49), r(61, 100), r(200, 249)]);
        assert_eq!(subtract(&[r(0, 10)], &[r(0, 10)]), vec![]);
        assert_eq!(subtract(&[r(0, 10)], &[]), vec![r(0, 10)]);
    }

    proptest! {
        #[test]
        fn next_valid_matches_h3o_successor(lat in -90.0..=90.0_f64, lon in -180.0..=180.0_f64) {
            let c = LatLng::new(lat, lon).unwrap().to_cell(Resolution::Fifteen);
            prop_assert_eq!(next_valid_after(raw(c)), c.succ().map(raw));
        }

        #[test]
        fn next_valid_is_valid_and_skips_only_invalid(start in 0x08F0_0000_0000_0000_u64..0x08FF_4000_0000_0000, span in 1_u64..5000) {
            let mut expected = None;
            for v in start + 1..=start + span {
                if CellIndex::try_from(v).is_ok() {
                    expected = Some(v);
                    break;
                }
            }
            let got = next_valid_after(start);
            match expected {
                Some(v) => prop_assert_eq!(got, Some(v)),
                None => prop_assert!(got.is_none_or(|g| g > start + span)),
            }
            if let Some(g) = got {
                prop_assert!(CellIndex::try_from(g).is_ok());
            }
        }
    }
}
