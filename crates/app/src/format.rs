//! Human-readable figures for the UI.

/// Formats a byte count the way people read file sizes: binary units, one decimal place below
/// 100 of a unit, and the exact count for small values.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 100.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// A transfer rate, e.g. `1.5 MiB/s`; `0 B/s` below one byte a second (or for a bad figure).
pub(crate) fn speed(bps: f64) -> String {
    if bps.is_finite() && bps >= 1.0 {
        format!("{}/s", bytes(bps as u64))
    } else {
        "0 B/s".to_owned()
    }
}

/// Formats a byte count with both the human size and the exact number, e.g. `1.5 MiB (1,572,864 bytes)`.
pub(crate) fn bytes_exact(n: u64) -> String {
    if n < 1024 {
        return bytes(n);
    }
    format!("{} ({} bytes)", bytes(n), grouped(n))
}

/// Thousands separators, so long byte counts can be read at a glance.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A running time as players show it: `m:ss`, or `h:mm:ss` from an hour up. `None` for a
/// value that is not a duration (negative, NaN, infinite), so the UI leaves it out.
pub(crate) fn duration(seconds: f64) -> Option<String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    // Rounded down, the way a player's clock reads; `as` saturates for absurd values.
    let total = seconds as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    Some(if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    })
}

/// Library errors are written as clauses ("the info hash must be…"); the UI shows sentences.
/// Our clauses start with an ASCII word, so the first letter is upper-cased as ASCII: Unicode's
/// case tables (`char::to_uppercase`) would be some kilobytes of the wasm for it.
pub(crate) fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    match chars.next() {
        Some(first) => {
            let mut out = String::with_capacity(clause.len() + 1);
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn clauses_become_sentences() {
        assert_eq!(sentence("the hash is short"), "The hash is short.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn sizes_read_like_file_managers() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(bytes(734_003_200), "700 MiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn durations_read_like_a_player_clock() {
        assert_eq!(duration(0.0).as_deref(), Some("0:00"));
        assert_eq!(duration(20.0).as_deref(), Some("0:20"));
        assert_eq!(duration(59.99).as_deref(), Some("0:59"));
        assert_eq!(duration(61.5).as_deref(), Some("1:01"));
        assert_eq!(duration(600.0).as_deref(), Some("10:00"));
        assert_eq!(duration(3600.0).as_deref(), Some("1:00:00"));
        assert_eq!(duration(3725.0).as_deref(), Some("1:02:05"));
        assert_eq!(duration(-1.0), None);
        assert_eq!(duration(f64::NAN), None);
        assert_eq!(duration(f64::INFINITY), None);
    }

    #[test]
    fn exact_counts_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_572_864), "1,572,864");
        assert_eq!(bytes_exact(1_572_864), "1.5 MiB (1,572,864 bytes)");
        assert_eq!(bytes_exact(12), "12 B");
    }
}
