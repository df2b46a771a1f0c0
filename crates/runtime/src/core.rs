//! One torrent's state on the page, free of browser types: the engine, the readers' queues,
//! metadata waiters and the figures behind [`Stats`]. The browser driver feeds it inputs and
//! performs the I/O outputs it returns.

use std::{collections::BTreeMap, task::Waker};

use metainfo::InfoHash;
use swarm::{Engine, Input, MemoryStorage, Millis, Output, ReaderId, Sha1Smol};

use crate::{
    flow::ReaderFlow,
    info::{Stats, TorrentInfo, TrackerStatus},
    rate::Rate,
};

/// Verified pieces kept in memory per torrent (older ones are evicted and re-fetched).
pub(crate) const STORAGE_BYTES: u64 = 512 * 1024 * 1024;

/// One reader as the core sees it.
#[derive(Debug)]
pub(crate) struct ReaderSlot {
    pub(crate) flow: ReaderFlow,
    pub(crate) waker: Option<Waker>,
}

/// The platform-free part of a torrent.
pub(crate) struct Core {
    pub(crate) engine: Engine<MemoryStorage, Sha1Smol>,
    pub(crate) info_hash: InfoHash,
    pub(crate) readers: BTreeMap<ReaderId, ReaderSlot>,
    next_reader: u32,
    pub(crate) metadata_wakers: Vec<Waker>,
    pub(crate) destroyed: bool,
    pub(crate) trackers: Vec<TrackerStatus>,
    /// The torrent's link, for [`crate::Torrent::magnet`].
    pub(crate) magnet: metainfo::Magnet,
    /// The .torrent file, when this client made it (seeding).
    pub(crate) torrent_file: Option<Vec<u8>>,
    have: Vec<bool>,
    no_peers_since: Option<Millis>,
    now: Millis,
    down: Rate,
    up: Rate,
}

impl Core {
    // Natively only the tests build a core (`Client::add` needs a browser).
    #[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
    pub(crate) fn new(engine: Engine<MemoryStorage, Sha1Smol>, now: Millis) -> Self {
        // A seed starts with every piece; a download with none.
        let have = engine
            .info()
            .map(|i| (0..i.piece_count()).map(|p| engine.has_piece(p)).collect())
            .unwrap_or_default();
        Self {
            info_hash: engine.info_hash(),
            magnet: metainfo::Magnet::new(engine.info_hash()),
            torrent_file: None,
            engine,
            readers: BTreeMap::new(),
            next_reader: 0,
            metadata_wakers: Vec::new(),
            destroyed: false,
            trackers: Vec::new(),
            have,
            no_peers_since: Some(now),
            now,
            down: Rate::default(),
            up: Rate::default(),
        }
    }

    /// The file layout, once known.
    pub(crate) fn info(&self) -> Option<TorrentInfo> {
        self.engine.info().map(TorrentInfo::from_info)
    }

    /// Feeds one input and returns the outputs the driver must act on (sends, closes, HTTP,
    /// completion). Reader bytes, verified pieces and metadata are handled here.
    pub(crate) fn input(&mut self, now: Millis, input: Input<'_>) -> Vec<Output> {
        if self.destroyed {
            return Vec::new();
        }
        let now = Millis(now.0.max(self.now.0));
        self.now = now;
        self.engine.handle_input(now, input);
        self.drain(now)
    }

    /// Adds a reader over torrent bytes `[start, end)`; returns its id and the driver actions.
    pub(crate) fn open_reader(
        &mut self,
        now: Millis,
        start: u64,
        end: u64,
    ) -> (ReaderId, Vec<Output>) {
        let id = ReaderId(self.next_reader);
        self.next_reader = self.next_reader.wrapping_add(1);
        let (flow, (offset, grant)) = ReaderFlow::new(start, end);
        self.readers.insert(id, ReaderSlot { flow, waker: None });
        let out = self.input(
            now,
            Input::Seek {
                reader: id,
                offset,
                end: grant,
            },
        );
        (id, out)
    }

    /// The consumer pulled a chunk: move the engine's window on if it is due.
    pub(crate) fn after_pull(&mut self, id: ReaderId) -> Vec<Output> {
        let Some(slot) = self.readers.get_mut(&id) else {
            return Vec::new();
        };
        match slot.flow.regrant() {
            Some((offset, end)) => {
                let now = self.now;
                self.input(
                    now,
                    Input::Seek {
                        reader: id,
                        offset,
                        end,
                    },
                )
            }
            None => Vec::new(),
        }
    }

    /// Forgets a reader.
    pub(crate) fn close_reader(&mut self, id: ReaderId) -> Vec<Output> {
        if self.readers.remove(&id).is_none() {
            return Vec::new();
        }
        let now = self.now;
        self.input(now, Input::CloseReader { reader: id })
    }

    fn drain(&mut self, now: Millis) -> Vec<Output> {
        let mut io = Vec::new();
        let mut pulled_readers = Vec::new();
        while let Some(out) = self.engine.poll_output() {
            match out {
                Output::ReaderData {
                    reader,
                    offset,
                    bytes,
                } => {
                    if let Some(slot) = self.readers.get_mut(&reader) {
                        slot.flow.push(offset, bytes);
                        if let Some(w) = slot.waker.take() {
                            w.wake();
                        }
                        pulled_readers.push(reader);
                    }
                }
                Output::PieceVerified { piece } => {
                    if let Some(h) = self.have.get_mut(piece as usize) {
                        *h = true;
                    }
                }
                Output::MetadataReady => {
                    if let Some(i) = self.engine.info() {
                        self.have = vec![false; i.piece_count() as usize];
                        for (p, h) in self.have.iter_mut().enumerate() {
                            *h = u32::try_from(p).is_ok_and(|p| self.engine.has_piece(p));
                        }
                    }
                    for w in self.metadata_wakers.drain(..) {
                        w.wake();
                    }
                    io.push(Output::MetadataReady);
                }
                other => io.push(other),
            }
        }
        let s = self.engine.stats();
        self.down
            .sample(now, s.downloaded_from_peers + s.downloaded_from_webseeds);
        self.up.sample(now, s.uploaded);
        if s.peers > 0 {
            self.no_peers_since = None;
        } else if self.no_peers_since.is_none() {
            self.no_peers_since = Some(now);
        }
        io
    }

    /// The figures for the UI. `peers` counts open data channels (the driver knows them).
    pub(crate) fn stats(&self, now: Millis) -> Stats {
        let s = self.engine.stats();
        Stats {
            peers: s.peers,
            connecting: 0,
            download_bps: self.down.per_second(now),
            upload_bps: self.up.per_second(now),
            bytes_from_peers: s.downloaded_from_peers,
            bytes_from_http: s.downloaded_from_webseeds,
            uploaded: s.uploaded,
            pieces_total: self.engine.info().map_or(0, |i| i.piece_count()),
            pieces_verified: u32::try_from(self.have.iter().filter(|h| **h).count())
                .unwrap_or(u32::MAX),
            have: self.have.clone(),
            trackers: self.trackers.clone(),
            waiting_for_peers_ms: self.no_peers_since.map(|t| now.0.saturating_sub(t.0)),
            metadata_ready: self.engine.info().is_some(),
            webseeds: self.magnet.webseeds.len(),
        }
    }

    /// Stops everything: readers and metadata waiters wake up to an error.
    pub(crate) fn destroy(&mut self) {
        self.destroyed = true;
        for w in self.metadata_wakers.drain(..) {
            w.wake();
        }
        for slot in self.readers.values_mut() {
            if let Some(w) = slot.waker.take() {
                w.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use swarm::{Config, PeerKey};

    use super::*;

    /// Two cores back to back (a seeder and a leecher) moving bytes the engines produce, the
    /// way the browser driver does; the leecher's reader gets exactly the file, in order,
    /// never holding more than the read-ahead.
    #[test]
    fn a_reader_receives_the_file_through_two_cores() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut b = metainfo::TorrentBuilder::new(
            "f.bin",
            vec![(vec!["f.bin".into()], data.len() as u64)],
            256 * 1024,
        );
        b.update(&data);
        let meta = metainfo::Metainfo::from_bytes(&b.finish().expect("built")).expect("parses");
        let mk = |id: u8| {
            Engine::new(
                Config::new(metainfo::PeerId::from([id; 20]), u64::from(id)),
                &meta,
                MemoryStorage::new(STORAGE_BYTES),
                Sha1Smol,
            )
        };
        let mut seed_engine = mk(1);
        for p in 0..meta.info.piece_count() {
            let off = meta.info.piece_offset(p) as usize;
            let len = meta.info.piece_size(p) as usize;
            assert!(seed_engine.import_piece(p, data[off..off + len].to_vec()));
        }
        let mut seeder = Core::new(seed_engine, Millis(0));
        let mut leecher = Core::new(mk(2), Millis(0));
        let (rid, _) = leecher.open_reader(Millis(0), 1000, data.len() as u64);
        let k = PeerKey(1);
        let mut to_leecher = seeder.input(Millis(1), Input::PeerConnected { peer: k });
        let mut to_seeder = leecher.input(Millis(1), Input::PeerConnected { peer: k });
        let mut got = Vec::new();
        for t in 2..10_000u64 {
            let mut next_l = Vec::new();
            for o in to_leecher.drain(..) {
                if let Output::Send { bytes, .. } = o {
                    next_l.extend(leecher.input(
                        Millis(t),
                        Input::PeerData {
                            peer: k,
                            bytes: &bytes,
                        },
                    ));
                }
            }
            let mut next_s = Vec::new();
            for o in to_seeder.drain(..).chain(next_l) {
                if let Output::Send { bytes, .. } = o {
                    next_s.extend(seeder.input(
                        Millis(t),
                        Input::PeerData {
                            peer: k,
                            bytes: &bytes,
                        },
                    ));
                }
            }
            to_leecher = next_s;
            // The consumer pulls one chunk per round.
            let slot = leecher.readers.get_mut(&rid).expect("reader");
            assert!(slot.flow.queued() <= crate::flow::READ_AHEAD);
            if let Some(c) = slot.flow.pop() {
                got.extend_from_slice(&c);
                to_seeder.extend(leecher.after_pull(rid));
            }
            if got.len() == data.len() - 1000 {
                break;
            }
            if to_leecher.is_empty() && to_seeder.is_empty() {
                to_seeder.extend(leecher.input(Millis(t), Input::Tick));
                to_leecher.extend(seeder.input(Millis(t), Input::Tick));
            }
        }
        assert_eq!(got.len(), data.len() - 1000);
        assert!(got == data[1000..], "bytes differ");
        let st = leecher.stats(Millis(10_000));
        assert!(st.metadata_ready);
        assert_eq!(st.pieces_total, meta.info.piece_count());
    }
}
