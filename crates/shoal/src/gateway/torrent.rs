//! One torrent of the gateway: its [`Session`] and [`TcpPlatform`] in a task of their own (so a
//! slow or broken torrent never blocks another), driven by the events its sockets report and
//! the commands of the HTTP side ([`Cmd`]).

use std::{
    collections::BTreeMap,
    sync::{atomic::Ordering, Arc},
    time::Instant,
};

use serde::Serialize;
use session::{Event, Read, Session};
use swarm::{Millis, ReaderId};
use tokio::{
    net::TcpStream,
    sync::{mpsc, oneshot},
};

use crate::native_sha1::NativeSha1;

use super::{
    hybrid::SeedHandoff, piece_store::PieceStore, platform::TcpPlatform, wait::Health,
    GatewayFigures,
};

/// How finely the time of the last useful byte is published (see `wait.rs`).
const USEFUL_RESOLUTION: std::time::Duration = std::time::Duration::from_millis(250);

/// A file of the torrent, as the HTTP side needs it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FileSpan {
    pub(crate) index: usize,
    pub(crate) path: String,
    pub(crate) length: u64,
    #[serde(skip)]
    pub(crate) offset: u64,
}

/// What `GET /api/torrents/HASH` shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TorrentStatus {
    pub(crate) info_hash: String,
    pub(crate) name: Option<String>,
    pub(crate) metadata_ready: bool,
    pub(crate) files: Vec<FileSpan>,
    pub(crate) length: Option<u64>,
    /// Verified pieces / all pieces (0 before the metadata).
    pub(crate) progress: f64,
    pub(crate) pieces_verified: u32,
    pub(crate) pieces_total: u32,
    pub(crate) peers: usize,
    pub(crate) connecting: usize,
    pub(crate) known_addresses: usize,
    pub(crate) download_bps: f64,
    pub(crate) upload_bps: f64,
    pub(crate) downloaded: u64,
    pub(crate) uploaded: u64,
    pub(crate) bytes_on_disk: u64,
    pub(crate) waiting_for_peers_ms: Option<u64>,
    /// Why the last open peer connection ended.
    pub(crate) last_peer_close: Option<String>,
    pub(crate) trackers: Vec<session::TrackerStatus>,
}

/// What the HTTP side asks of a torrent.
pub(crate) enum Cmd {
    /// A peer the listener accepted for this info hash, with the bytes it already read.
    Incoming {
        stream: TcpStream,
        read: Vec<u8>,
    },
    /// Its figures.
    Status(oneshot::Sender<TorrentStatus>),
    /// Answered at once: every command sent before it has been acted on (see `wait.rs`).
    Ping(oneshot::Sender<()>),
    /// Its files, answered once the metadata is known.
    Files(oneshot::Sender<Vec<FileSpan>>),
    /// The bencoded info dict, answered once the metadata is known.
    InfoDict(oneshot::Sender<Vec<u8>>),
    /// A reader over torrent bytes `[start, end)`.
    OpenReader {
        start: u64,
        end: u64,
        reply: oneshot::Sender<ReaderId>,
    },
    /// The reader's next chunk, answered when there is one.
    Read {
        reader: ReaderId,
        reply: oneshot::Sender<Read>,
    },
    CloseReader(ReaderId),
}

/// The running torrent.
pub(crate) struct Torrent {
    session: Session<PieceStore, NativeSha1>,
    platform: TcpPlatform,
    start: Instant,
    waiting_reads: BTreeMap<ReaderId, oneshot::Sender<Read>>,
    waiting_files: Vec<oneshot::Sender<Vec<FileSpan>>>,
    waiting_info: Vec<oneshot::Sender<Vec<u8>>>,
    figures: Arc<GatewayFigures>,
    /// What was last added to the gateway's counters.
    counted: (u64, u64),
    /// Whether the metadata was there at the last settle (its arrival counts as useful).
    had_metadata: bool,
    /// The torrent's piece folder, deleted when the torrent ends.
    dir: std::path::PathBuf,
    /// Where the HTTP side's waits watch its peers.
    health: tokio::sync::watch::Sender<Health>,
    /// Where it goes to be seeded over WebRTC from its metadata on (`None`: no WebRTC
    /// seeder).
    handoff: Option<SeedHandoff>,
    /// Whether it was handed over (its pieces then follow, and the seeder is told when it is
    /// removed).
    handed: bool,
}

impl Torrent {
    pub(crate) fn new(
        session: Session<PieceStore, NativeSha1>,
        platform: TcpPlatform,
        start: Instant,
        figures: Arc<GatewayFigures>,
        dir: std::path::PathBuf,
        health: tokio::sync::watch::Sender<Health>,
        handoff: Option<SeedHandoff>,
    ) -> Self {
        Self {
            session,
            platform,
            start,
            waiting_reads: BTreeMap::new(),
            waiting_files: Vec::new(),
            waiting_info: Vec::new(),
            figures,
            counted: (0, 0),
            had_metadata: false,
            dir,
            health,
            handoff,
            handed: false,
        }
    }

    fn now(&self) -> Millis {
        Millis(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// Runs until the command channel closes (the torrent was removed), then leaves the swarm
    /// and deletes its pieces.
    pub(crate) async fn run(
        mut self,
        mut events: mpsc::UnboundedReceiver<Event>,
        mut cmds: mpsc::UnboundedReceiver<Cmd>,
    ) {
        loop {
            self.settle();
            let wake = self
                .platform
                .timer
                .map(|at| self.start + std::time::Duration::from_millis(at.0));
            let timer = async move {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some(event) = events.recv() => {
                    let now = self.now();
                    self.session.handle(now, event, &mut self.platform);
                }
                cmd = cmds.recv() => match cmd {
                    Some(cmd) => self.command(cmd),
                    None => break,
                },
                () = timer => {
                    self.platform.timer = None;
                    let now = self.now();
                    self.session.handle(now, Event::Timer, &mut self.platform);
                }
            }
        }
        self.session.stop(&mut self.platform);
        self.platform.shut();
        if let (true, Some(handoff)) = (self.handed, &self.handoff) {
            handoff.removed(self.session.info_hash());
        }
        self.figures.peers.fetch_sub(
            self.platform
                .open
                .min(self.figures.peers.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        if let Err(error) = tokio::fs::remove_dir_all(&self.dir).await {
            tracing::warn!(%error, dir = %self.dir.display(), "deleting a removed torrent's pieces");
        }
    }

    /// Feeds queued results, answers readers and file lists that can be answered, and keeps
    /// the gateway's counters current.
    fn settle(&mut self) {
        let open_before = self.platform.open;
        while let Some(event) = self.platform.queue.pop_front() {
            let now = self.now();
            self.session.handle(now, event, &mut self.platform);
        }
        for reader in std::mem::take(&mut self.platform.ready) {
            if let Some(reply) = self.waiting_reads.remove(&reader) {
                self.read(reader, reply);
            }
        }
        if let Some(info) = self.session.engine().info_bytes() {
            for reply in self.waiting_info.drain(..) {
                let _ = reply.send(info.to_vec());
            }
        }
        if self.platform.metadata_ready && !self.waiting_files.is_empty() {
            let files = self.files();
            for reply in self.waiting_files.drain(..) {
                let _ = reply.send(files.clone());
            }
        }
        self.hand_over();
        let f = &self.figures;
        let open = self.platform.open;
        if open >= open_before {
            f.peers.fetch_add(open - open_before, Ordering::Relaxed);
        } else {
            f.peers.fetch_sub(open_before - open, Ordering::Relaxed);
        }
        let s = self.session.engine().stats();
        let (down, up) = (s.downloaded_from_peers, s.uploaded);
        // Piece bytes, or the metadata (sent over ut_metadata, not counted as piece bytes).
        let useful = down > self.counted.0 || (self.platform.metadata_ready && !self.had_metadata);
        self.had_metadata = self.platform.metadata_ready;
        let now = tokio::time::Instant::now();
        self.health.send_if_modified(|h| {
            let before = *h;
            h.open_peers = open;
            // Waiters need it to the grace (seconds), not to every settle.
            if useful && now.duration_since(h.last_useful) >= USEFUL_RESOLUTION {
                h.last_useful = now;
            }
            *h != before
        });
        f.downloaded
            .fetch_add(down.saturating_sub(self.counted.0), Ordering::Relaxed);
        f.uploaded
            .fetch_add(up.saturating_sub(self.counted.1), Ordering::Relaxed);
        self.counted = (down, up);
    }

    /// The WebRTC seeder gets the torrent once its metadata is known, then each piece as it
    /// is verified and written (`hybrid.rs`): one message per piece, from the store's list of
    /// what it wrote, so a piece is only announced once it is on disk to be read.
    fn hand_over(&mut self) {
        // Taken whether or not there is a seeder, so the list stays short.
        let written = self.session.engine_mut().storage_mut().take_written();
        let Some(handoff) = &self.handoff else {
            return;
        };
        let engine = self.session.engine();
        if self.handed {
            for piece in written {
                handoff.piece(engine.info_hash(), self.dir.clone(), piece);
            }
            return;
        }
        let (Some(info), Some(count)) =
            (engine.info_bytes(), engine.info().map(|i| i.piece_count()))
        else {
            return;
        };
        // Every piece held so far, those just written included.
        let held = (0..count).filter(|&p| engine.has_piece(p)).collect();
        // Not tried again if refused: the same info dict would be refused again.
        handoff.metadata(info, self.dir.clone(), held);
        self.handed = true;
    }

    fn command(&mut self, cmd: Cmd) {
        let now = self.now();
        match cmd {
            Cmd::Incoming { stream, read } => match stream
                .peer_addr()
                .ok()
                .and_then(|remote| self.session.accept_peer_from(remote))
            {
                Some(peer) => self.platform.adopt(peer, stream, read),
                None => drop(stream),
            },
            Cmd::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Cmd::Ping(reply) => {
                let _ = reply.send(());
            }
            Cmd::Files(reply) => {
                if self.session.info().is_some() {
                    let _ = reply.send(self.files());
                } else {
                    self.waiting_files.push(reply);
                }
            }
            Cmd::InfoDict(reply) => match self.session.engine().info_bytes() {
                Some(info) => {
                    let _ = reply.send(info.to_vec());
                }
                None => self.waiting_info.push(reply),
            },
            Cmd::OpenReader { start, end, reply } => {
                let id = self
                    .session
                    .open_reader(now, start, end, &mut self.platform);
                let _ = reply.send(id);
            }
            Cmd::Read { reader, reply } => self.read(reader, reply),
            Cmd::CloseReader(reader) => {
                self.waiting_reads.remove(&reader);
                self.session.close_reader(now, reader, &mut self.platform);
            }
        }
    }

    fn read(&mut self, reader: ReaderId, reply: oneshot::Sender<Read>) {
        let now = self.now();
        match self.session.read(now, reader, &mut self.platform) {
            Read::Waiting => {
                self.waiting_reads.insert(reader, reply);
            }
            done => {
                let _ = reply.send(done);
            }
        }
    }

    fn files(&self) -> Vec<FileSpan> {
        let Some(info) = self.session.info() else {
            return Vec::new();
        };
        info.files
            .iter()
            .enumerate()
            .map(|(index, f)| FileSpan {
                index,
                path: f.path.join("/"),
                length: f.length,
                offset: f.offset,
            })
            .collect()
    }

    fn status(&mut self) -> TorrentStatus {
        let s = self.session.stats(self.now());
        let info = self.session.info();
        let progress = if s.pieces_total == 0 {
            0.0
        } else {
            f64::from(s.pieces_verified) / f64::from(s.pieces_total)
        };
        TorrentStatus {
            info_hash: self.session.info_hash().to_hex(),
            name: info.map(|i| i.name.clone()),
            metadata_ready: s.metadata_ready,
            files: self.files(),
            length: info.map(|i| i.total_length),
            progress,
            pieces_verified: s.pieces_verified,
            pieces_total: s.pieces_total,
            peers: s.peers,
            connecting: s.connecting,
            known_addresses: self.session.known_addrs(),
            download_bps: s.download_bps,
            upload_bps: s.upload_bps,
            downloaded: s.bytes_from_peers,
            uploaded: s.uploaded,
            bytes_on_disk: self.session.engine_mut().storage_mut().bytes(),
            waiting_for_peers_ms: s.waiting_for_peers_ms,
            last_peer_close: s.last_peer_close,
            trackers: s.trackers,
        }
    }
}
