//! What a channel keeps between runs, in `channel.json` in its folder: the swarm id (chosen
//! once, at random, so it is stable for the channel across restarts) and where the media
//! sequence and discontinuity numbering continue. Written atomically (temporary file, then
//! rename) after every published segment; an unreadable file starts the channel afresh.

use std::path::Path;

use super::publisher::Continuity;

/// The file name in the channel's folder.
const FILE: &str = "channel.json";
/// Largest `channel.json` read.
const MAX_BYTES: u64 = 64 * 1024;

/// A channel's saved state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Saved {
    /// The channel swarm id, 40 hex digits.
    pub(crate) swarm: String,
    #[serde(flatten)]
    pub(crate) continuity: Continuity,
}

impl Saved {
    /// A new channel's state: a fresh random swarm id, numbering from 0.
    pub(crate) fn fresh(name: &str) -> Self {
        let nonce = crate::process::new_peer_id();
        let mut h = sha1_smol::Sha1::new();
        h.update(b"shoal channel\0");
        h.update(name.as_bytes());
        h.update(b"\0");
        h.update(&nonce);
        Self {
            swarm: h.digest().to_string(),
            continuity: Continuity::default(),
        }
    }

    /// The swarm id as bytes.
    pub(crate) fn swarm_id(&self) -> Option<metainfo::InfoHash> {
        metainfo::Id20::from_text(&self.swarm).ok()
    }
}

/// Reads `dir/channel.json`; `None` when missing, too large or unreadable.
pub(crate) fn load(dir: &Path) -> Option<Saved> {
    let path = dir.join(FILE);
    if std::fs::metadata(&path).ok()?.len() > MAX_BYTES {
        return None;
    }
    let saved: Saved = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    saved.swarm_id().map(|_| saved)
}

/// Writes `dir/channel.json` atomically.
pub(crate) fn store(dir: &Path, saved: &Saved) -> std::io::Result<()> {
    let bytes = serde_json::to_vec_pretty(saved).map_err(std::io::Error::other)?;
    let temporary = dir.join(format!("{FILE}.tmp"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, dir.join(FILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_garbage_starts_afresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(load(dir.path()), None);
        let mut saved = Saved::fresh("demo");
        assert!(saved.swarm_id().is_some());
        assert_ne!(saved.swarm, Saved::fresh("demo").swarm);
        saved.continuity.next_sequence = 42;
        store(dir.path(), &saved).expect("store");
        assert_eq!(load(dir.path()), Some(saved));
        std::fs::write(dir.path().join(FILE), b"{nope").expect("write");
        assert_eq!(load(dir.path()), None);
    }
}
