//! A channel's published segments over time, without I/O: the live window the playlist lists,
//! the older segments kept for the DVR window after they leave it (still served and seeded,
//! no longer listed),
//! the media sequence and discontinuity numbering that continue across restarts, and the end.
//!
//! Drive it with [`Publisher::push`] for each complete segment (it returns the segments that
//! fell out of the DVR window: delete their files and stop seeding them), [`Publisher::end`]
//! when the source is done, and read [`Publisher::playlist`] after each change.

use std::collections::VecDeque;

use metainfo::InfoHash;

use super::playlist::{self, Header, Published};

/// Window sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WindowConfig {
    /// Segments the live playlist lists.
    pub(crate) live_segments: usize,
    /// Seconds of media kept after a segment leaves the live window.
    pub(crate) dvr_seconds: f64,
    /// The encoder's segment duration, seconds (the least target duration).
    pub(crate) segment_seconds: u64,
}

/// What outlives a run (saved beside the channel's segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Continuity {
    /// The next segment's media sequence number.
    pub(crate) next_sequence: u64,
    /// Discontinuities published so far (the next run's first segment starts a new one).
    pub(crate) discontinuities: u64,
}

/// The channel's published segments.
#[derive(Debug)]
pub(crate) struct Publisher {
    cfg: WindowConfig,
    swarm: InfoHash,
    trackers: Vec<String>,
    /// Every segment still kept, oldest first; the last `live_segments` are listed.
    kept: VecDeque<Published>,
    next_sequence: u64,
    /// Discontinuities of segments no longer kept.
    discontinuities_dropped: u64,
    /// The next segment starts a discontinuity (the first of a run after an earlier run).
    pending_discontinuity: bool,
    ended: bool,
}

impl Publisher {
    /// Starts a run that continues `before` (the default for a new channel).
    pub(crate) fn new(
        cfg: WindowConfig,
        swarm: InfoHash,
        trackers: Vec<String>,
        before: Continuity,
    ) -> Self {
        Self {
            cfg,
            swarm,
            trackers,
            kept: VecDeque::new(),
            next_sequence: before.next_sequence,
            discontinuities_dropped: before.discontinuities,
            pending_discontinuity: before.next_sequence > 0,
            ended: false,
        }
    }

    /// The sequence number and file name the next segment gets.
    pub(crate) fn next(&self) -> (u64, String) {
        (
            self.next_sequence,
            playlist::segment_file(self.next_sequence),
        )
    }

    /// Publishes the next segment (numbered by [`Publisher::next`]) and returns those that left
    /// the DVR window. Ignored after [`Publisher::end`].
    pub(crate) fn push(
        &mut self,
        duration: f64,
        discontinuity: bool,
        info_hash: InfoHash,
        length: u64,
        pieces: Vec<u8>,
    ) -> Vec<Published> {
        if self.ended {
            return Vec::new();
        }
        let (sequence, file) = self.next();
        self.kept.push_back(Published {
            sequence,
            file,
            duration,
            discontinuity: discontinuity || std::mem::take(&mut self.pending_discontinuity),
            info_hash,
            length,
            pieces,
        });
        self.next_sequence += 1;
        self.expire()
    }

    /// Drops the oldest segments that left the live window once the media after them, up to
    /// the live window, reaches the DVR window: a segment stays reachable for `dvr_seconds`
    /// of media after it leaves the playlist (0: it goes when it leaves).
    fn expire(&mut self) -> Vec<Published> {
        let live = self.cfg.live_segments.max(1);
        let mut gone = Vec::new();
        while self.kept.len() > live {
            let hidden = self.kept.len() - live;
            let behind: f64 = self
                .kept
                .iter()
                .take(hidden)
                .skip(1)
                .map(|s| s.duration)
                .sum();
            if behind < self.cfg.dvr_seconds {
                break;
            }
            let Some(oldest) = self.kept.pop_front() else {
                break;
            };
            if oldest.discontinuity {
                self.discontinuities_dropped += 1;
            }
            gone.push(oldest);
        }
        gone
    }

    /// The source is done: the playlist ends.
    pub(crate) fn end(&mut self) {
        self.ended = true;
    }

    /// Every kept segment (listed or DVR), oldest first.
    #[cfg(test)]
    pub(crate) fn kept(&self) -> impl Iterator<Item = &Published> {
        self.kept.iter()
    }

    /// Segments published in this run.
    pub(crate) fn count(&self) -> usize {
        self.kept.len()
    }

    /// What the next run continues from.
    pub(crate) fn continuity(&self) -> Continuity {
        let kept = self.kept.iter().filter(|s| s.discontinuity).count() as u64;
        Continuity {
            next_sequence: self.next_sequence,
            discontinuities: self.discontinuities_dropped + kept,
        }
    }

    /// The media playlist now.
    pub(crate) fn playlist(&self) -> String {
        let skip = self
            .kept
            .len()
            .saturating_sub(self.cfg.live_segments.max(1));
        let listed: Vec<Published> = self.kept.iter().skip(skip).cloned().collect();
        let hidden = self
            .kept
            .iter()
            .take(skip)
            .filter(|s| s.discontinuity)
            .count() as u64;
        let header = Header {
            target_duration: self.cfg.segment_seconds,
            discontinuity_sequence: self.discontinuities_dropped + hidden,
            swarm: self.swarm,
            trackers: &self.trackers,
            ended: self.ended,
        };
        playlist::render(&header, &listed)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::channel::input_playlist;

    fn cfg() -> WindowConfig {
        WindowConfig {
            live_segments: 3,
            dvr_seconds: 10.0,
            segment_seconds: 2,
        }
    }

    fn push(p: &mut Publisher, discontinuity: bool) -> Vec<u64> {
        p.push(2.0, discontinuity, metainfo::Id20([3; 20]), 10, vec![0; 20])
            .iter()
            .map(|s| s.sequence)
            .collect()
    }

    #[test]
    fn the_playlist_rolls_and_the_dvr_window_expires_older_segments() {
        let mut p = Publisher::new(
            cfg(),
            metainfo::Id20([1; 20]),
            vec![],
            Continuity::default(),
        );
        let mut expired = Vec::new();
        for _ in 0..10 {
            expired.extend(push(&mut p, false));
        }
        // 3 listed (7, 8, 9) and 10 s of media behind them (2..=6); 0 and 1 deleted.
        assert_eq!(expired, vec![0, 1]);
        assert_eq!(p.count(), 8);
        let read = input_playlist::parse(&p.playlist()).expect("parse");
        let seqs: Vec<u64> = read.segments.iter().map(|s| s.sequence).collect();
        assert_eq!(seqs, vec![7, 8, 9]);
        assert!(!read.ended);
        p.end();
        assert!(push(&mut p, false).is_empty());
        assert!(input_playlist::parse(&p.playlist()).expect("parse").ended);
    }

    #[test]
    fn a_restart_continues_the_sequence_with_a_discontinuity() {
        let mut first = Publisher::new(
            cfg(),
            metainfo::Id20([1; 20]),
            vec![],
            Continuity::default(),
        );
        for _ in 0..4 {
            push(&mut first, false);
        }
        let saved = first.continuity();
        assert_eq!(
            saved,
            Continuity {
                next_sequence: 4,
                discontinuities: 0
            }
        );
        let mut second = Publisher::new(cfg(), metainfo::Id20([1; 20]), vec![], saved);
        assert_eq!(second.next(), (4, "seg-000004.ts".to_owned()));
        push(&mut second, false);
        let text = second.playlist();
        assert!(text.contains("#EXT-X-MEDIA-SEQUENCE:4\n"), "{text}");
        let read = input_playlist::parse(&text).expect("parse");
        assert!(read.segments[0].discontinuity);
        assert_eq!(second.continuity().discontinuities, 1);
    }

    proptest! {
        #[test]
        fn numbering_and_windows_hold(
            pushes in proptest::collection::vec(any::<bool>(), 1..60),
            live in 1usize..8,
            dvr in 0u32..40,
        ) {
            let cfg = WindowConfig { live_segments: live, dvr_seconds: f64::from(dvr), segment_seconds: 2 };
            let mut p = Publisher::new(cfg, metainfo::Id20([1; 20]), vec![], Continuity::default());
            let mut expired = Vec::new();
            for &d in &pushes {
                expired.extend(push(&mut p, d));
            }
            let kept: Vec<u64> = p.kept().map(|s| s.sequence).collect();
            // Expired then kept: every number once, in order.
            let all: Vec<u64> = expired.iter().chain(&kept).copied().collect();
            prop_assert_eq!(all, (0..pushes.len() as u64).collect::<Vec<_>>());
            // Behind the live window: the segments of the last `dvr` seconds (2 s each).
            let hidden = pushes.len().saturating_sub(live).min(dvr.div_ceil(2) as usize);
            prop_assert_eq!(kept.len(), live.min(pushes.len()) + hidden);
            let read = input_playlist::parse(&p.playlist()).expect("parse");
            prop_assert_eq!(read.segments.len(), live.min(pushes.len()));
            prop_assert_eq!(read.segments.last().map(|s| s.sequence), Some(pushes.len() as u64 - 1));
            // The discontinuity sequence counts the discontinuities before the first listed.
            let first = read.segments[0].sequence as usize;
            let before = pushes[..first].iter().filter(|d| **d).count() as u64;
            let text = p.playlist();
            let dseq = text
                .lines()
                .find_map(|l| l.strip_prefix("#EXT-X-DISCONTINUITY-SEQUENCE:"))
                .map_or(0, |v| v.parse::<u64>().expect("number"));
            prop_assert_eq!(dseq, before);
            prop_assert_eq!(p.continuity().discontinuities, pushes.iter().filter(|d| **d).count() as u64);
        }
    }
}
