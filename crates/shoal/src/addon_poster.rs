//! Posters for the add-on's library items: library files have no artwork, so each gets a
//! small landscape SVG — a colour picked from its info hash (stable, and different files look
//! different), a play mark, and the file's format and size. No text from the file name goes
//! in, so nothing needs escaping.

use crate::library::LibraryItem;

/// The SVG poster of `item`.
pub(crate) fn svg(item: &LibraryItem) -> String {
    let hue = u32::from_str_radix(item.info_hash.get(..4).unwrap_or("0"), 16).unwrap_or(0) % 360;
    let format: String = item
        .path
        .rsplit_once('.')
        .map(|(_, ext)| ext)
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(5)
        .collect::<String>()
        .to_ascii_uppercase();
    let label = if format.is_empty() {
        crate::addon_routes::human_size(item.size)
    } else {
        format!("{format} · {}", crate::addon_routes::human_size(item.size))
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180" width="320" height="180">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="hsl({hue}, 45%, 34%)"/><stop offset="1" stop-color="hsl({dark}, 50%, 12%)"/>
</linearGradient></defs>
<rect width="320" height="180" fill="url(#g)"/>
<circle cx="160" cy="84" r="34" fill="#ffffff" fill-opacity="0.14"/>
<path d="M149 66 L179 84 L149 102 Z" fill="#e8fbff"/>
<text x="14" y="166" font-family="system-ui, sans-serif" font-size="22" font-weight="700" fill="#e8fbff" fill-opacity="0.85">{label}</text>
</svg>
"##,
        dark = (hue + 40) % 360,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(path: &str, size: u64, info_hash: &str) -> LibraryItem {
        LibraryItem {
            entry: companion_api::LibraryItem {
                title: "a <b> & c".into(),
                path: path.into(),
                size,
                duration: None,
                info_hash: info_hash.into(),
                magnet: String::new(),
                file_index: 0,
                url: String::new(),
                torrent_url: String::new(),
                mime: "video/webm".into(),
            },
            torrent: Vec::new(),
        }
    }

    /// The poster's one line of text.
    fn label(svg: &str) -> &str {
        let start = svg
            .find("<text")
            .and_then(|i| svg[i..].find('>').map(|j| i + j + 1));
        let start = start.expect("a text element");
        let end = svg[start..].find("</text>").expect("closed") + start;
        &svg[start..end]
    }

    /// Every colour the poster paints with.
    fn colours(svg: &str) -> Vec<&str> {
        svg.split("stop-color=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect()
    }

    /// Bytes from a size such as "1.6 MiB", with the slack of its rounding.
    fn bytes(text: &str) -> (f64, f64) {
        let (number, unit) = text.split_once(' ').expect("number and unit");
        let scale = match unit {
            "B" => 1.0,
            "KiB" => 1024.0,
            "MiB" => 1024.0 * 1024.0,
            "GiB" => 1024.0 * 1024.0 * 1024.0,
            other => panic!("unit {other}"),
        };
        let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
        let value: f64 = number.parse().expect("a number");
        (value * scale, scale * 0.5 * 10f64.powi(-(decimals as i32)))
    }

    #[test]
    fn poster_names_the_format_and_states_the_size() {
        for (path, size, format) in [
            ("films/a <b> & c.webm", 1_696_732, Some("WEBM")),
            ("clip.MP4", 3_556_630_000, Some("MP4")),
            ("README", 999, None),
        ] {
            let svg = svg(&item(path, size, &"00ff".repeat(10)));
            assert!(
                svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
                "{svg}"
            );
            assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
            let text = label(&svg);
            let shown = match format {
                Some(f) => text
                    .strip_prefix(&format!("{f} · "))
                    .unwrap_or_else(|| panic!("{path}: {text}")),
                None => text,
            };
            let (shown, slack) = bytes(shown);
            assert!(
                (shown - size as f64).abs() <= slack,
                "{path}: {text} for {size} bytes"
            );
            // Nothing of the file name reaches the SVG (so nothing needs escaping).
            assert!(!svg.contains("<b>") && !svg.contains('&'), "{svg}");
        }
    }

    #[test]
    fn the_colour_is_stable_for_a_torrent_and_differs_between_torrents() {
        let a = svg(&item("a.mp4", 10, &"00ff".repeat(10)));
        let again = svg(&item("other name.mkv", 99, &"00ff".repeat(10)));
        let b = svg(&item("a.mp4", 10, &"8000".repeat(10)));
        assert_eq!(colours(&a).len(), 2, "{a}");
        assert_eq!(colours(&a), colours(&again));
        assert_ne!(colours(&a), colours(&b));
        // Not a hash at all (a broken listing): still a poster.
        assert_eq!(colours(&svg(&item("a.mp4", 10, "zz"))).len(), 2);
    }
}
