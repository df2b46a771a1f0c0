//! The event loop: nodes, links, the webseed, virtual time.

use std::{
    cell::Cell,
    cmp::Reverse,
    collections::{BTreeMap, BinaryHeap},
    rc::Rc,
};

use metainfo::{Metainfo, PeerId, TorrentBuilder};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use swarm::{
    Config, Engine, HttpRequestId, Input, MemoryStorage, Millis, Output, PeerKey, PieceHasher,
    ReaderId, Sha1Smol,
};

use crate::{
    hostile::{mangle, Hostile, LinkState},
    storage::SimStorage,
    SimConfig, Summary,
};

type Eng = Engine<SimStorage, Sha1Smol>;

/// Bytes per packet for the loss model.
const PACKET: usize = 1200;

/// Largest data-channel message the simulated driver sends.
const DC_MESSAGE: usize = 64 * 1024;

#[derive(Debug)]
enum Ev {
    Deliver {
        to: usize,
        from: usize,
        bytes: Vec<u8>,
    },
    Gone {
        to: usize,
        from: usize,
    },
    Tick {
        node: usize,
    },
    Http {
        node: usize,
        id: HttpRequestId,
        start: u64,
        end: u64,
    },
    /// The driver hands a trickling seeder a piece (`SimConfig::seeder_trickle_ms`).
    Import {
        node: usize,
        piece: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Seeder,
    Leecher,
    Hostile(Hostile),
}

struct Node {
    engine: Eng,
    role: Role,
    /// µs at which the uplink is free.
    uplink_free: u64,
    up_bps: u64,
    timer_pending: bool,
    finished_at: Option<u64>,
    first_byte_at: Option<u64>,
    reader_piece: Option<u32>,
    verified_at: BTreeMap<u32, u64>,
    inputs: u64,
}

struct Sim {
    cfg: SimConfig,
    nodes: Vec<Node>,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: BTreeMap<u64, Ev>,
    seq: u64,
    now: u64,
    rng: ChaCha8Rng,
    /// (from, to) → last arrival µs (ordered delivery).
    last_arrival: BTreeMap<(usize, usize), u64>,
    /// (hostile, to) → mangling state; also marks closed links.
    links: BTreeMap<(usize, usize), LinkState>,
    closed: BTreeMap<(usize, usize), ()>,
    truth: Rc<Vec<u8>>,
    mismatches: Rc<Cell<u64>>,
    corrupt_read: u64,
    hostile_disconnected: u64,
    violations: Vec<String>,
    processed: u64,
}

/// Deterministic content for the simulated torrent.
fn content(len: u64, seed: u64) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xC0FFEE);
    let mut v = vec![0u8; len as usize];
    rng.fill(&mut v[..]);
    v
}

/// Runs one simulation to completion (or `max_time_ms`).
pub fn run(cfg: &SimConfig) -> Summary {
    let truth = Rc::new(content(cfg.size, cfg.seed));
    let mut b = TorrentBuilder::new(
        "sim.bin",
        vec![(vec!["sim.bin".into()], cfg.size)],
        cfg.piece_length,
    )
    .single_file(true);
    b.update(&truth);
    if cfg.webseed {
        b = b.url_list(vec!["https://webseed.invalid/sim.bin".into()]);
    }
    let meta = match b
        .finish()
        .map_err(|e| e.to_string())
        .and_then(|t| Metainfo::from_bytes(&t).map_err(|e| e.to_string()))
    {
        Ok(m) => m,
        Err(e) => return failed(cfg, format!("cannot build the torrent: {e}")),
    };
    let mut sim = Sim {
        cfg: cfg.clone(),
        nodes: Vec::new(),
        queue: BinaryHeap::new(),
        events: BTreeMap::new(),
        seq: 0,
        now: 0,
        rng: ChaCha8Rng::seed_from_u64(cfg.seed),
        last_arrival: BTreeMap::new(),
        links: BTreeMap::new(),
        closed: BTreeMap::new(),
        truth,
        mismatches: Rc::new(Cell::new(0)),
        corrupt_read: 0,
        hostile_disconnected: 0,
        violations: Vec::new(),
        processed: 0,
    };
    sim.build(&meta);
    sim.run_loop();
    sim.summary()
}

fn failed(cfg: &SimConfig, why: String) -> Summary {
    Summary {
        peers: cfg.peers,
        peers_finished: 0,
        finish_ms_median: None,
        finish_ms_max: None,
        seeder_uploaded: 0,
        seeder_upload_ratio: 0.0,
        bytes_from_peers: 0,
        bytes_from_webseeds: 0,
        http_share: 0.0,
        hash_failures: 0,
        peers_banned: 0,
        hostile_disconnected: 0,
        corrupt_bytes_delivered: 0,
        reader_ttfb_ms: None,
        reader_behind_done_ms: None,
        virtual_ms: 0,
        events: 0,
        violations: vec![why],
    }
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    v.sort_unstable();
    v.get(v.len().checked_sub(1)? / 2).copied()
}

impl Sim {
    fn storage(&self, pieces: u32) -> SimStorage {
        if self.cfg.real_storage {
            SimStorage::Memory(MemoryStorage::new(u64::MAX))
        } else {
            SimStorage::Checked {
                truth: self.truth.clone(),
                piece_length: self.cfg.piece_length,
                have: vec![false; pieces as usize],
                mismatches: self.mismatches.clone(),
            }
        }
    }

    fn build(&mut self, meta: &Metainfo) {
        let c = &self.cfg;
        let mut roles = vec![Role::Seeder; c.seeders];
        for i in 0..c.hostile {
            let kinds = if c.hostile_kinds.is_empty() {
                &Hostile::ALL[..]
            } else {
                &c.hostile_kinds[..]
            };
            roles.push(Role::Hostile(kinds[i % kinds.len()]));
        }
        roles.extend(std::iter::repeat_n(Role::Leecher, c.peers));
        let n = meta.info.piece_count();
        for (i, role) in roles.into_iter().enumerate() {
            let mut id = [b'-'; 20];
            id[..8].copy_from_slice(b"-SH0001-");
            id[12..20].copy_from_slice(&(i as u64).to_be_bytes());
            let mut ec = Config::new(
                PeerId::from(id),
                self.cfg.seed.wrapping_mul(1000).wrapping_add(i as u64),
            );
            ec.check_invariants = self.cfg.check_invariants;
            ec.upload_slots = self.cfg.upload_slots;
            ec.webseed.risk_ms = self.cfg.risk_ms;
            let trickle = role == Role::Seeder && self.cfg.seeder_trickle_ms.is_some();
            ec.upload_only = trickle;
            let storage = self.storage(n);
            let mut engine = if role == Role::Leecher && self.cfg.magnet {
                Engine::from_magnet(ec, meta.info_hash, meta.url_list.clone(), storage, Sha1Smol)
            } else {
                Engine::new(ec, meta, storage, Sha1Smol)
            };
            let has_data = match role {
                Role::Seeder => !trickle,
                Role::Hostile(h) => h.has_data(),
                Role::Leecher => false,
            };
            if has_data {
                let plen = self.cfg.piece_length as usize;
                for (p, chunk) in self.truth.chunks(plen).enumerate() {
                    if !engine.import_piece(p as u32, chunk.to_vec()) {
                        self.violations
                            .push(format!("node {i}: import of piece {p} failed"));
                    }
                }
            }
            if let (true, Some(every)) = (trickle, self.cfg.seeder_trickle_ms) {
                let node = self.nodes.len();
                for piece in 0..n {
                    let at = (u64::from(piece) + 1) * every * 1000;
                    self.push(at, Ev::Import { node, piece });
                }
            }
            let kbps = match role {
                Role::Seeder => self.cfg.seeder_upload_kbps,
                _ => self.cfg.peer_upload_kbps,
            };
            self.nodes.push(Node {
                engine,
                role,
                uplink_free: 0,
                up_bps: (kbps * 1000 / 8).max(1),
                timer_pending: false,
                finished_at: None,
                first_byte_at: None,
                reader_piece: None,
                verified_at: BTreeMap::new(),
                inputs: 0,
            });
        }
        // Readers open at start.
        if let Some(f) = self.cfg.reader_at {
            let offset = ((self.cfg.size as f64) * f.clamp(0.0, 1.0)) as u64;
            let offset = offset.min(self.cfg.size.saturating_sub(1));
            for i in 0..self.nodes.len() {
                if self.nodes[i].role == Role::Leecher {
                    self.nodes[i].reader_piece = u32::try_from(offset / self.cfg.piece_length).ok();
                    self.input(
                        i,
                        Input::Seek {
                            reader: ReaderId(0),
                            offset,
                            end: self.cfg.size,
                        },
                    );
                }
            }
        }
        // Full mesh, connections opening over the first latency.
        let count = self.nodes.len();
        for a in 0..count {
            for b in a + 1..count {
                self.input(
                    a,
                    Input::PeerConnected {
                        peer: PeerKey(b as u64),
                    },
                );
                self.input(
                    b,
                    Input::PeerConnected {
                        peer: PeerKey(a as u64),
                    },
                );
            }
        }
        for i in 0..count {
            self.schedule_tick(i);
        }
    }

    fn push(&mut self, at: u64, ev: Ev) {
        self.seq += 1;
        self.events.insert(self.seq, ev);
        self.queue.push(Reverse((at, self.seq)));
    }

    fn schedule_tick(&mut self, node: usize) {
        if !self.nodes[node].timer_pending {
            self.nodes[node].timer_pending = true;
            let at = self.nodes[node].engine.poll_timeout().0 * 1000;
            self.push(at.max(self.now), Ev::Tick { node });
        }
    }

    fn honest_done(&self) -> bool {
        self.nodes
            .iter()
            .filter(|n| n.role == Role::Leecher)
            .all(|n| n.finished_at.is_some())
    }

    fn run_loop(&mut self) {
        let limit = self.cfg.max_time_ms * 1000;
        while let Some(Reverse((at, seq))) = self.queue.pop() {
            if at > limit || self.honest_done() {
                break;
            }
            self.now = at;
            let Some(ev) = self.events.remove(&seq) else {
                continue;
            };
            self.processed += 1;
            match ev {
                Ev::Deliver { to, from, bytes } => {
                    if !self.closed.contains_key(&(to, from)) {
                        self.input(
                            to,
                            Input::PeerData {
                                peer: PeerKey(from as u64),
                                bytes: &bytes,
                            },
                        );
                    }
                }
                Ev::Gone { to, from } => {
                    self.input(
                        to,
                        Input::PeerGone {
                            peer: PeerKey(from as u64),
                        },
                    );
                }
                Ev::Tick { node } => {
                    self.nodes[node].timer_pending = false;
                    self.input(node, Input::Tick);
                }
                Ev::Http {
                    node,
                    id,
                    start,
                    end,
                } => {
                    let truth = self.truth.clone();
                    let body = truth.get(start as usize..end as usize).unwrap_or_default();
                    self.input(
                        node,
                        Input::HttpResponse {
                            id,
                            result: Ok(body),
                        },
                    );
                }
                Ev::Import { node, piece } => self.import(node, piece),
            }
        }
    }

    /// Feeds an input to a node and routes everything it outputs.
    fn input(&mut self, i: usize, input: Input<'_>) {
        let now_ms = Millis(self.now / 1000);
        self.nodes[i].engine.handle_input(now_ms, input);
        self.nodes[i].inputs += 1;
        if self.cfg.check_invariants && self.nodes[i].inputs % 32 == 0 {
            if let Err(e) = self.nodes[i].engine.check_invariants() {
                self.violations.push(format!("node {i}: {e}"));
            }
        }
        self.drain(i);
    }

    /// Routes everything node `i` output, and re-arms its timer.
    fn drain(&mut self, i: usize) {
        while let Some(out) = self.nodes[i].engine.poll_output() {
            self.output(i, out);
        }
        self.schedule_tick(i);
    }

    /// The driver imports `piece` into trickling seeder `i` (outside any input, as the
    /// companion's seeder does); its haves go out at once.
    fn import(&mut self, i: usize, piece: u32) {
        let plen = self.cfg.piece_length as usize;
        let truth = self.truth.clone();
        let chunk = truth.chunks(plen).nth(piece as usize).unwrap_or_default();
        if !self.nodes[i].engine.import_piece(piece, chunk.to_vec()) {
            self.violations
                .push(format!("node {i}: import of piece {piece} failed"));
        }
        self.drain(i);
    }

    fn output(&mut self, i: usize, out: Output) {
        match out {
            Output::Send { peer, bytes } => {
                let to = peer.0 as usize;
                if self.closed.contains_key(&(i, to)) {
                    return;
                }
                let bytes = match self.nodes[i].role {
                    Role::Hostile(kind) => {
                        let st = self.links.entry((i, to)).or_default();
                        match mangle(kind, st, bytes) {
                            Some(b) => b,
                            None => {
                                self.disconnect(i, to);
                                return;
                            }
                        }
                    }
                    _ => bytes,
                };
                self.transmit(i, to, bytes);
            }
            Output::Close { peer, .. } => {
                let to = peer.0 as usize;
                if self.nodes[i].role == Role::Leecher {
                    if let Some(Role::Hostile(_)) = self.nodes.get(to).map(|n| n.role) {
                        self.hostile_disconnected += 1;
                    }
                }
                self.closed.insert((i, to), ());
                let at = self.now + self.cfg.latency_ms * 1000;
                self.push(at, Ev::Gone { to, from: i });
                self.closed.insert((to, i), ());
            }
            Output::HttpRequest { id, range, .. } => {
                let len = range.end - range.start;
                let bps = (self.cfg.webseed_kbps * 1000 / 8).max(1);
                let at = self.now + 2 * self.cfg.latency_ms * 1000 + len * 1_000_000 / bps;
                self.push(
                    at,
                    Ev::Http {
                        node: i,
                        id,
                        start: range.start,
                        end: range.end,
                    },
                );
            }
            Output::PieceVerified { piece } => {
                let now = self.now;
                self.nodes[i].verified_at.insert(piece, now);
            }
            Output::ReaderData { offset, bytes, .. } => {
                let n = &mut self.nodes[i];
                n.first_byte_at.get_or_insert(self.now);
                let want = self
                    .truth
                    .get(offset as usize..offset as usize + bytes.len())
                    .unwrap_or_default();
                let bad = bytes.iter().zip(want).filter(|(a, b)| a != b).count()
                    + bytes.len().abs_diff(want.len());
                self.corrupt_read += bad as u64;
            }
            Output::Complete => {
                let now = self.now;
                self.nodes[i].finished_at.get_or_insert(now);
            }
            Output::HashPiece { piece, data } => {
                // Only with deferred hashing, which the simulated nodes do not ask for; hashed
                // at once if one ever does, so the piece does not wait forever.
                let digest = Sha1Smol.sha1(&data);
                self.input(
                    i,
                    Input::PieceHashed {
                        piece,
                        digest,
                        data,
                    },
                );
            }
            // Simulated nodes keep pieces in their `SimStorage` (no `external_store`); a store
            // request is answered as by a platform without a store.
            Output::StorePiece { piece, .. } => {
                let result = Err(swarm::StoreError::Failed);
                self.input(i, Input::PieceStored { piece, result });
            }
            Output::LoadPiece { piece } => {
                let result = Err(swarm::StoreError::Missing);
                self.input(i, Input::PieceLoaded { piece, result });
            }
            // The scheduled response is still delivered; the engine ignores responses it no
            // longer waits for.
            Output::HttpCancel { .. } => {}
            // The simulation measures first bytes and completion, not the metadata's arrival.
            Output::MetadataReady => {}
            // Simulated peers find each other through the simulated tracker (no `pex`).
            Output::PeerAddrs { .. } => {}
        }
    }

    /// A hostile node drops a connection: both sides see it go.
    fn disconnect(&mut self, a: usize, b: usize) {
        self.closed.insert((a, b), ());
        self.closed.insert((b, a), ());
        let at = self.now + self.cfg.latency_ms * 1000;
        self.push(at, Ev::Gone { to: b, from: a });
        self.push(self.now, Ev::Gone { to: a, from: b });
        if self.nodes[b].role == Role::Leecher {
            self.hostile_disconnected += 1;
        }
    }

    /// Puts bytes on `from`'s uplink towards `to`, cut into data-channel messages as a
    /// browser would (WebTorrent sends at most 16 KiB + header per message; we cut at 64 KiB).
    fn transmit(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        if bytes.len() <= DC_MESSAGE {
            self.transmit_one(from, to, bytes);
        } else {
            for chunk in bytes.chunks(DC_MESSAGE) {
                self.transmit_one(from, to, chunk.to_vec());
            }
        }
    }

    fn transmit_one(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        let len = bytes.len() as u64;
        let node = &mut self.nodes[from];
        let start = node.uplink_free.max(self.now);
        let done = start + len * 1_000_000 / node.up_bps;
        node.uplink_free = done;
        let lat = self.cfg.latency_ms * 1000;
        let mut at = done + lat;
        if self.cfg.loss > 0.0 {
            let packets = bytes.len() / PACKET + 1;
            let p_any = 1.0 - (1.0 - self.cfg.loss.clamp(0.0, 1.0)).powi(packets as i32);
            if self.rng.random::<f64>() < p_any {
                at += 2 * lat + 10_000;
            }
        }
        let last = self.last_arrival.entry((from, to)).or_insert(0);
        at = at.max(*last);
        *last = at;
        self.push(at, Ev::Deliver { to, from, bytes });
    }

    fn summary(&self) -> Summary {
        let c = &self.cfg;
        let leechers: Vec<&Node> = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Leecher)
            .collect();
        let finish: Vec<u64> = leechers
            .iter()
            .filter_map(|n| n.finished_at)
            .map(|t| t / 1000)
            .collect();
        let mut from_peers = 0;
        let mut from_http = 0;
        let mut hash_failures = 0;
        let mut banned = 0;
        for n in &leechers {
            let s = n.engine.stats();
            from_peers += s.downloaded_from_peers;
            from_http += s.downloaded_from_webseeds;
            hash_failures += s.hash_failures;
            banned += s.peers_banned;
        }
        let seeder_uploaded: u64 = self
            .nodes
            .iter()
            .filter(|n| n.role == Role::Seeder)
            .map(|n| n.engine.stats().uploaded)
            .sum();
        let ttfb: Vec<u64> = leechers
            .iter()
            .filter_map(|n| n.first_byte_at)
            .map(|t| t / 1000)
            .collect();
        let behind: Vec<u64> = leechers
            .iter()
            .filter_map(|n| {
                let rp = n.reader_piece?;
                if rp == 0 {
                    return None;
                }
                (0..rp)
                    .map(|p| n.verified_at.get(&p).copied())
                    .collect::<Option<Vec<u64>>>()?
                    .into_iter()
                    .max()
            })
            .map(|t| t / 1000)
            .collect();
        let corrupt = self.corrupt_read + self.mismatches.get();
        let mut violations = self.violations.clone();
        if c.seeder_trickle_ms.is_some() {
            let fetched: u64 = self
                .nodes
                .iter()
                .filter(|n| n.role == Role::Seeder)
                .map(|n| {
                    let s = n.engine.stats();
                    s.downloaded_from_peers + s.downloaded_from_webseeds
                })
                .sum();
            if fetched > 0 {
                violations.push(format!("upload-only seeders fetched {fetched} bytes"));
            }
        }
        if corrupt > 0 {
            violations.push(format!(
                "{corrupt} corrupt bytes reached readers or storage"
            ));
        }
        if finish.len() < leechers.len() {
            violations.push(format!(
                "{} of {} leechers did not finish",
                leechers.len() - finish.len(),
                leechers.len()
            ));
        }
        let total = from_peers + from_http;
        Summary {
            peers: leechers.len(),
            peers_finished: finish.len(),
            finish_ms_median: median(finish.clone()),
            finish_ms_max: finish.iter().copied().max(),
            seeder_uploaded,
            seeder_upload_ratio: seeder_uploaded as f64 / c.size.max(1) as f64,
            bytes_from_peers: from_peers,
            bytes_from_webseeds: from_http,
            http_share: if total == 0 {
                0.0
            } else {
                from_http as f64 / total as f64
            },
            hash_failures,
            peers_banned: banned,
            hostile_disconnected: self.hostile_disconnected,
            corrupt_bytes_delivered: corrupt,
            reader_ttfb_ms: median(ttfb),
            reader_behind_done_ms: median(behind),
            virtual_ms: self.now / 1000,
            events: self.processed,
            violations,
        }
    }
}
