//! Spatial navigation's geometry: from the focused element's box, which candidate box is the
//! nearest in the direction an arrow key points. Pure, so it is tested without a browser.

/// A box on screen, in CSS pixels (as `getBoundingClientRect` gives it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub(crate) left: f64,
    pub(crate) top: f64,
    pub(crate) right: f64,
    pub(crate) bottom: f64,
}

/// Where an arrow key points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
    Left,
    Right,
}

impl Direction {
    /// The direction of a `KeyboardEvent.key` (TV remotes send the same keys for the D-pad).
    pub(crate) fn from_key(key: &str) -> Option<Self> {
        match key {
            "ArrowUp" | "Up" => Some(Self::Up),
            "ArrowDown" | "Down" => Some(Self::Down),
            "ArrowLeft" | "Left" => Some(Self::Left),
            "ArrowRight" | "Right" => Some(Self::Right),
            _ => None,
        }
    }
}

/// Overlap tolerance: boxes that touch or overlap by a pixel still count as beyond the edge.
const SLACK: f64 = 1.0;
/// How much a sideways offset counts against a candidate, against the distance along the key's
/// direction: a box straight ahead wins over a nearer one far off to the side.
const SIDEWAYS_WEIGHT: f64 = 2.0;
/// Between boxes that both overlap the focused one sideways, the one whose centre is better
/// aligned wins (a link above a wide poster: the one over the poster's middle).
const CENTRE_WEIGHT: f64 = 0.1;

/// The index of the nearest candidate that lies entirely beyond `from`'s edge in `direction`,
/// or `None` when nothing is that way.
pub(crate) fn nearest(from: Rect, direction: Direction, candidates: &[Rect]) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in candidates.iter().enumerate() {
        let Some(score) = score(from, direction, *c) else {
            continue;
        };
        if best.is_none_or(|(_, b)| score < b) {
            best = Some((i, score));
        }
    }
    best.map(|(i, _)| i)
}

fn score(from: Rect, direction: Direction, c: Rect) -> Option<f64> {
    // Distance along the key's direction, edge to edge, and whether the box is that way at all.
    let ahead = match direction {
        Direction::Up => from.top - c.bottom,
        Direction::Down => c.top - from.bottom,
        Direction::Left => from.left - c.right,
        Direction::Right => c.left - from.right,
    };
    if ahead < -SLACK {
        return None;
    }
    // Sideways: zero when the boxes overlap on the other axis, else the gap between them.
    let sideways = match direction {
        Direction::Up | Direction::Down => gap(from.left, from.right, c.left, c.right),
        Direction::Left | Direction::Right => gap(from.top, from.bottom, c.top, c.bottom),
    };
    let centre_offset = match direction {
        Direction::Up | Direction::Down => {
            ((from.left + from.right) - (c.left + c.right)).abs() / 2.0
        }
        Direction::Left | Direction::Right => {
            ((from.top + from.bottom) - (c.top + c.bottom)).abs() / 2.0
        }
    };
    Some(ahead.max(0.0) + SIDEWAYS_WEIGHT * sideways + CENTRE_WEIGHT * centre_offset)
}

/// The gap between two intervals on one axis, 0 when they overlap.
fn gap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    (b0 - a1).max(a0 - b1).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::{nearest, Direction, Rect};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn r(left: f64, top: f64, w: f64, h: f64) -> Rect {
        Rect {
            left,
            top,
            right: left + w,
            bottom: top + h,
        }
    }

    #[test]
    fn the_nearest_box_that_way_wins() {
        // A nav bar of three links, and a row of posters below it.
        let boxes = [
            r(0.0, 0.0, 80.0, 30.0),
            r(100.0, 0.0, 80.0, 30.0),
            r(200.0, 0.0, 80.0, 30.0),
            r(0.0, 100.0, 150.0, 220.0),
            r(170.0, 100.0, 150.0, 220.0),
        ];
        assert_eq!(nearest(boxes[0], Direction::Right, &boxes), Some(1));
        assert_eq!(nearest(boxes[1], Direction::Left, &boxes), Some(0));
        assert_eq!(nearest(boxes[0], Direction::Left, &boxes), None);
        assert_eq!(nearest(boxes[2], Direction::Down, &boxes), Some(4));
        assert_eq!(nearest(boxes[0], Direction::Down, &boxes), Some(3));
        assert_eq!(nearest(boxes[4], Direction::Up, &boxes), Some(2));
        assert_eq!(nearest(boxes[3], Direction::Right, &boxes), Some(4));
        assert_eq!(nearest(boxes[3], Direction::Down, &boxes), None);
    }

    #[test]
    fn straight_ahead_beats_near_but_sideways() {
        let from = r(0.0, 0.0, 100.0, 40.0);
        let ahead_far = r(0.0, 300.0, 100.0, 40.0);
        let near_aside = r(400.0, 60.0, 100.0, 40.0);
        assert_eq!(
            nearest(from, Direction::Down, &[near_aside, ahead_far]),
            Some(1)
        );
    }

    #[test]
    fn arrow_keys_and_old_tv_names_map_to_directions() {
        assert_eq!(Direction::from_key("ArrowUp"), Some(Direction::Up));
        assert_eq!(Direction::from_key("Right"), Some(Direction::Right));
        assert_eq!(Direction::from_key("Enter"), None);
    }
}
