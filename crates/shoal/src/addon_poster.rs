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

    #[test]
    fn poster_shows_format_and_size_in_a_colour_of_the_hash() {
        let item = LibraryItem {
            entry: companion_api::LibraryItem {
                title: "a <b> & c".into(),
                path: "films/a <b> & c.webm".into(),
                size: 1_696_732,
                duration: None,
                info_hash: "00ff".repeat(10),
                magnet: String::new(),
                file_index: 0,
                url: String::new(),
                torrent_url: String::new(),
                mime: "video/webm".into(),
            },
            torrent: Vec::new(),
        };
        let svg = svg(&item);
        assert!(svg.contains(">WEBM · 1.6 MiB</text>"), "{svg}");
        assert!(svg.contains("hsl(255, 45%, 34%)"), "{svg}");
        assert!(!svg.contains("<b>"), "no file name text: {svg}");
    }
}
