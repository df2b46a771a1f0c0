//! The conventions of npm `create-torrent` 6.1.3 that decide its info hash, for callers that
//! walk a directory and feed [`crate::TorrentBuilder`] (the `shoal create` CLI).
//!
//! Facts read from the published package (`create-torrent@6.1.3`: `index.js`, `get-files.js`,
//! `bin/cmd.js`; `piece-length@2.0.1`: `index.js`; `junk@4.0.1`: `index.js`), restated:
//!
//! * **Directory walk** (`get-files.js`): entries are listed with Node's `fs.readdir`, which
//!   on Unix is libuv's `scandir` sorted with `strcmp` on the raw name bytes; each directory's
//!   entries are visited in that order, depth first. Entries whose name starts with `.` or
//!   that the `junk` package matches are skipped, directories included ([`skip_entry`]). The
//!   result equals sorting full paths component by component, bytewise ([`sort_files`]).
//! * **Explicit inputs** (several paths, `File`s or buffers given to the JS API) keep the
//!   order they were given in; only the in-memory `File`/buffer case filters junk, and there
//!   (a bug upstream: `&&` instead of `||`) only names that start with `.` *and* match the
//!   junk list are dropped.
//! * **Default piece length** ([`default_piece_length`]):
//!   `min(max(16 KiB, 1 << round(log2(total / 1024))), 4 MiB)`, with `total < 1024` treated
//!   as `1024`, where `round` is `trunc(x + 0.5)` and the shift is JavaScript's 32-bit `<<`.
//!   A piece length given by the user is used as is (no cap).

/// `create-torrent`'s default piece length for `total_bytes` of content: about 1024 pieces,
/// a power of two between 16 KiB and 4 MiB (`piece-length` capped by `maxPieceLength`).
///
/// ```
/// # use shoal_metainfo as metainfo;
/// use metainfo::default_piece_length;
/// assert_eq!(default_piece_length(0), 16 * 1024);
/// assert_eq!(default_piece_length(1 << 30), 1 << 20); // 1 GiB -> 1 MiB pieces
/// assert_eq!(default_piece_length(1 << 40), 4 << 20); // capped at 4 MiB
/// ```
pub fn default_piece_length(total_bytes: u64) -> u64 {
    // `Math.log2(bytes < 1024 ? 1 : bytes / 1024)` in doubles, exactly as JavaScript does it.
    let kib = if total_bytes < 1024 {
        1.0
    } else {
        total_bytes as f64 / 1024.0
    };
    // `1 << x + 0.5 | 0`: `<<` converts its right side with ToUint32 (truncate, then mod 2^32)
    // and uses the low 5 bits; the left side is a signed 32-bit integer, so 1 << 31 is
    // negative and loses to 16384 in `Math.max`. `log2` of a finite double is below 1100, so
    // the `as u32` conversion below is exact truncation.
    let shift = ((kib.log2() + 0.5) as u32) & 31;
    let from_package = i64::from(1i32.wrapping_shl(shift)).max(16 * 1024);
    // create-torrent then applies `maxPieceLength`, 4 MiB unless the caller sets it.
    from_package.min(4 * 1024 * 1024) as u64
}

/// Whether the `junk` package (v4.0.1) calls `name` junk: editor swap files, `.DS_Store`,
/// `Thumbs.db`, `desktop.ini`, `npm-debug.log`, backups ending in `~`, and the like.
pub fn is_junk_name(name: &str) -> bool {
    // Each alternative of junk's regex, in its order. JavaScript's `$` (no `m` flag) only
    // matches at the very end, and `.` does not match line terminators.
    let no_line_breaks = |s: &str| !s.contains(['\n', '\r', '\u{2028}', '\u{2029}']);
    name == "npm-debug.log"
        || (name.starts_with('.')
            && name.len() >= 5
            && name.ends_with(".swp")
            && no_line_breaks(&name[1..name.len() - 4]))
        || name == ".DS_Store"
        || name == ".AppleDouble"
        || name == ".LSOverride"
        || name == "Icon\r"
        || name.starts_with("._")
        || name == ".Spotlight-V100"
        || name.starts_with(".Spotlight-V100/")
        || name.contains(".Trashes")
        || name == "__MACOSX"
        || name.ends_with('~')
        || name == "Thumbs.db"
        || name == "ehthumbs.db"
        || name == "Desktop.ini"
        || name == "desktop.ini"
        || name.ends_with("@eaDir")
}

/// Whether `create-torrent`'s directory walk skips a file or directory called `name`:
/// hidden (starts with `.`) or junk.
pub fn skip_entry(name: &str) -> bool {
    name.starts_with('.') || is_junk_name(name)
}

/// Sorts files into the order `create-torrent` gives a directory walk on Unix: by path,
/// component by component, each compared bytewise (`strcmp`). So `a/x` comes before `a.txt`
/// (the directory `a` sorts before the name `a.txt`), unlike a plain string sort.
pub fn sort_files(files: &mut [(Vec<String>, u64)]) {
    // `Vec<String>` compares lexicographically by element, `String` bytewise: exactly that.
    vecmap::sort_by(files, |a, b| a.0.cmp(&b.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn piece_length_matches_the_package_formula() {
        let k = 1024u64;
        // Expected values printed by node for the package's expression (see module docs).
        assert_eq!(default_piece_length(1), 16 * k);
        assert_eq!(default_piece_length(16 * k * k), 16 * k);
        assert_eq!(default_piece_length(22 * k * k), 16 * k); // log2(22528) = 14.46 -> 2^14
        assert_eq!(default_piece_length(23 * k * k), 32 * k); // log2(23552) = 14.52 -> 2^15
        assert_eq!(default_piece_length(123_456_789), 128 * k);
        assert_eq!(default_piece_length(700 * k * k), 512 * k);
        assert_eq!(default_piece_length(3 * k * k * k), 4 * k * k);
        assert_eq!(default_piece_length(1u64 << 42), 16 * k);
        // Shift 31 overflows to a negative int32 in JS, so Math.max picks 16 KiB.
        assert_eq!(default_piece_length(1u64 << 41), 16 * k);
    }

    #[test]
    fn junk_and_hidden_names() {
        for junk in [
            ".DS_Store",
            "Thumbs.db",
            "desktop.ini",
            "Desktop.ini",
            "._foo",
            ".a.swp",
            "x~",
            "npm-debug.log",
            "@eaDir",
            "a.Trashes",
            "__MACOSX",
            "Icon\r",
        ] {
            assert!(is_junk_name(junk), "{junk:?}");
            assert!(skip_entry(junk), "{junk:?}");
        }
        for fine in [
            "movie.mkv",
            "Icon",
            "thumbs.db",
            ".swp",
            "DESKTOP.INI",
            "a.swp",
        ] {
            assert!(!is_junk_name(fine), "{fine:?}");
        }
        assert!(skip_entry(".hidden"));
        assert!(!skip_entry("visible"));
    }

    #[test]
    fn files_sort_by_component_like_readdir() {
        let mut files = vec![
            (vec!["a.txt".to_string()], 1),
            (vec!["a".into(), "x".into()], 1),
            (vec!["B".into()], 1),
            (vec!["a".into(), "W".into()], 1),
        ];
        sort_files(&mut files);
        let paths: Vec<String> = files.iter().map(|f| f.0.join("/")).collect();
        assert_eq!(paths, ["B", "a/W", "a/x", "a.txt"]);
    }
}
