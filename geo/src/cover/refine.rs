//! Top-down refinement of cells into interior, dropped and boundary cells.

use std::collections::HashMap;

use h3o::CellIndex;

use super::cap::{Cap, CellShape, Class};
use crate::Cell;

pub(super) fn base_cells() -> Vec<(CellIndex, u32)> {
    CellIndex::base_cells().map(|c| (c, 0)).collect()
}

/// A cell list: each cell X of resolution 15 is its own interior range (a row's cell is
/// computed from its point); coarser cells start from X and its grid neighbours, each
/// tested against the cells whose neighbourhood it belongs to.
pub(super) fn cover_cells(cells: &[Cell], cap_limit: usize) -> (Vec<CellIndex>, Vec<CellIndex>) {
    let mut direct = Vec::new();
    let mut groups: HashMap<CellIndex, Vec<usize>> = HashMap::new();
    for (i, x) in cells.iter().enumerate() {
        if x.resolution() == 15 {
            direct.push(x.index());
            continue;
        }
        for n in x.index().grid_disk::<Vec<_>>(1) {
            groups.entry(n).or_default().push(i);
        }
    }
    let mut starts: Vec<(CellIndex, Vec<usize>)> = groups.into_iter().collect();
    starts.sort_unstable_by_key(|(c, _)| *c);
    let mut shapes: HashMap<usize, CellShape> = HashMap::new();
    for (_, members) in &starts {
        for &i in members {
            shapes.entry(i).or_insert_with(|| CellShape::new(cells[i]));
        }
    }
    let members: Vec<Vec<usize>> = starts.iter().map(|(_, m)| m.clone()).collect();
    let start_cells = starts
        .iter()
        .enumerate()
        .map(|(g, (c, _))| (*c, u32::try_from(g).unwrap_or(u32::MAX)))
        .collect();
    let (mut interior, boundary) = refine(start_cells, cap_limit, |cap, g| {
        let mut all_out = true;
        for i in &members[g as usize] {
            match shapes[i].classify(cap) {
                Class::Inside => return Class::Inside,
                Class::Outside => {}
                Class::Unknown => all_out = false,
            }
        }
        if all_out {
            Class::Outside
        } else {
            Class::Unknown
        }
    });
    interior.extend(direct);
    (interior, boundary)
}

/// Top-down refinement from `starts` (cell, group passed to `classify`).
pub(super) fn refine(
    starts: Vec<(CellIndex, u32)>,
    cap_limit: usize,
    mut classify: impl FnMut(&Cap, u32) -> Class,
) -> (Vec<CellIndex>, Vec<CellIndex>) {
    let mut interior = Vec::new();
    let mut boundary = Vec::new();
    let mut pending = Vec::new();
    for (c, g) in starts {
        match classify(&Cap::of_cell(c), g) {
            Class::Inside => interior.push(c),
            Class::Outside => {}
            Class::Unknown => pending.push((c, g)),
        }
    }
    while !pending.is_empty() {
        // Undecided cells if refinement stopped now.
        let mut count = boundary.len() + pending.len();
        let mut next = Vec::new();
        for (c, g) in pending {
            let Some(child_res) = c.resolution().succ() else {
                boundary.push(c);
                continue;
            };
            let (mut inside, mut unknown) = (Vec::new(), Vec::new());
            for child in c.children(child_res) {
                match classify(&Cap::of_cell(child), g) {
                    Class::Inside => inside.push(child),
                    Class::Outside => {}
                    Class::Unknown => unknown.push((child, g)),
                }
            }
            if unknown.len() <= 1 || count - 1 + unknown.len() <= cap_limit {
                count = count - 1 + unknown.len();
                interior.extend(inside);
                next.extend(unknown);
            } else {
                boundary.push(c);
            }
        }
        pending = next;
    }
    (interior, boundary)
}
