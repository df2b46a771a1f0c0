//! Resolution and file size as add-ons write them in stream names ("1080p", "💾 1.4 GB").

/// What the text of a stream says about its picture and size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quality {
    /// e.g. `2160p`, `1080p`, `720p`.
    pub resolution: Option<String>,
    /// File size in bytes.
    pub size_bytes: Option<u64>,
}

/// Reads the first resolution and the first size found in `texts`, in order.
pub(crate) fn from_texts<'a>(texts: impl IntoIterator<Item = &'a str>) -> Quality {
    let mut found = Quality::default();
    for text in texts {
        if found.resolution.is_none() {
            found.resolution = resolution(text);
        }
        if found.size_bytes.is_none() {
            found.size_bytes = size(text);
        }
    }
    found
}

/// A plain decimal number (`12`, `1.4`, `.5`, `+3`), what stream titles write sizes with and
/// what the embed's `start=` seconds are; `None` for anything else, including a minus sign, an
/// exponent, `inf` and more than 15 digits, which std's float parser would take. Written here
/// because std's parser was these two callers' alone and 5 KiB of the browser app's wasm; the
/// result is the correctly rounded value, as std's (digits over a power of ten, both exact).
pub fn decimal(text: &str) -> Option<f64> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = whole.len() + fraction.len();
    if digits == 0 || digits > 15 {
        return None;
    }
    let mut value: u64 = 0;
    for b in whole.bytes().chain(fraction.bytes()) {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    // Up to 15 digits: below 2^53, so the digits and the power of ten are exact f64s and the
    // one division rounds once, to the nearest value, as std's parser does.
    Some(value as f64 / 10f64.powi(fraction.len() as i32))
}

/// Words as add-ons write them: split at anything that is not a letter, digit or `.`/`,`.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == ','))
        .flat_map(|w| w.split('.'))
        .filter(|w| !w.is_empty())
}

/// `480p`…`4320p`, or `4K`/`UHD` (2160p).
pub(crate) fn resolution(text: &str) -> Option<String> {
    for word in words(text) {
        let lower = word.to_ascii_lowercase();
        if lower == "4k" || lower == "uhd" {
            return Some("2160p".into());
        }
        if let Some(digits) = lower.strip_suffix(['p', 'i']) {
            if (3..=4).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
                if let Ok(lines @ 240..=4320) = digits.parse::<u32>() {
                    return Some(format!("{lines}p"));
                }
            }
        }
    }
    None
}

/// A number followed by a size unit (`1.4 GB`, `700MB`, `2,1 GiB`). Decimal units are powers
/// of 1000, binary ones powers of 1024.
pub(crate) fn size(text: &str) -> Option<u64> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for (i, token) in tokens.iter().enumerate() {
        let split = token
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(token.len());
        let (number, unit) = token.split_at(split);
        let (number, unit) = if unit.is_empty() {
            (number, tokens.get(i + 1).copied().unwrap_or(""))
        } else {
            (number, unit)
        };
        let Some(value) = decimal(&number.replace(',', ".")) else {
            continue;
        };
        let multiplier: f64 = match unit.to_ascii_lowercase().trim_end_matches([',', ')', ']']) {
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "tb" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => continue,
        };
        // Sizes above 1 PB are not video files; ignore such text rather than trust it.
        let bytes = value * multiplier;
        if value.is_finite() && value > 0.0 && bytes < 1e15 {
            return Some(bytes.round() as u64);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn resolutions() {
        assert_eq!(resolution("Torrentio\n1080p").as_deref(), Some("1080p"));
        assert_eq!(
            resolution("Movie.2008.720p.WEB-DL").as_deref(),
            Some("720p")
        );
        assert_eq!(resolution("[4K] HDR").as_deref(), Some("2160p"));
        assert_eq!(resolution("2160p").as_deref(), Some("2160p"));
        assert_eq!(resolution("Season 1080").as_deref(), None);
        assert_eq!(resolution("no quality here").as_deref(), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(size("👤 51 💾 1.4 GB ⚙️ TPB"), Some(1_400_000_000));
        assert_eq!(size("700MB"), Some(700_000_000));
        assert_eq!(size("size 2,5 GiB"), Some(2_684_354_560));
        assert_eq!(size("1080p"), None);
        assert_eq!(size("99999999999 TB"), None);
    }

    #[test]
    fn decimals_read_as_std_reads_them() {
        for text in [
            "12",
            "1.4",
            ".5",
            "3.",
            "+7",
            "0.1",
            "2.675",
            "12345678.1234567",
            "40.25",
        ] {
            assert_eq!(decimal(text), text.parse::<f64>().ok(), "{text}");
        }
        for text in [
            "",
            ".",
            "-1",
            "1e3",
            "inf",
            "NaN",
            "1.2.3",
            "1,5",
            " 1",
            "1234567890123456",
        ] {
            assert_eq!(decimal(text), None, "{text}");
        }
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod proptests {
    use proptest::prelude::*;

    use super::decimal;

    proptest! {
        /// Any plain decimal of up to 15 digits reads as std's parser reads it, to the bit.
        #[test]
        fn decimals_of_up_to_15_digits_read_as_std_reads_them(
            whole in "[0-9]{0,8}",
            fraction in proptest::option::of("[0-9]{0,7}"),
        ) {
            let text = match &fraction {
                Some(f) => format!("{whole}.{f}"),
                None => whole.clone(),
            };
            let want = if whole.is_empty() && fraction.as_deref().unwrap_or("").is_empty() {
                None
            } else {
                text.parse::<f64>().ok()
            };
            prop_assert_eq!(decimal(&text).map(f64::to_bits), want.map(f64::to_bits), "{}", text);
        }

        #[test]
        fn anything_else_is_refused_or_read_as_std_reads_it(text in "\\PC{0,20}") {
            if let Some(v) = decimal(&text) {
                prop_assert_eq!(text.parse::<f64>().ok(), Some(v), "{}", text);
            }
        }
    }
}
