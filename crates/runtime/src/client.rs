//! The handles the UI holds: [`Client`], [`Torrent`], [`Reader`].

use std::{cell::RefCell, future::poll_fn, rc::Rc, task::Poll};

use swarm::{Output, ReaderId};

use crate::{
    config::ClientConfig,
    core::Core,
    error::{AddError, RuntimeError},
    info::{Stats, TorrentInfo},
};

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A magnet link: the metadata comes from peers first.
    Magnet(metainfo::Magnet),
    /// The bytes of a .torrent file (the UI fetches `.torrent` URLs itself).
    Torrent(Vec<u8>),
}

/// A set of torrents sharing one configuration and peer id. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Rc<ClientInner>,
}

struct ClientInner {
    cfg: ClientConfig,
    peer_id: [u8; 20],
    torrents: RefCell<Vec<Torrent>>,
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        for t in self.torrents.borrow().iter() {
            t.destroy();
        }
    }
}

/// One torrent's shared state: the platform-free core and, in a browser, its I/O.
pub(crate) struct TorrentCell {
    pub(crate) core: RefCell<Core>,
    #[cfg(target_family = "wasm")]
    pub(crate) net: crate::browser::Net,
}

impl TorrentCell {
    /// Performs the engine's I/O outputs (in a browser; natively there is no I/O to do).
    pub(crate) fn act(self: &Rc<Self>, outs: Vec<Output>) {
        #[cfg(target_family = "wasm")]
        crate::browser::act(self, outs);
        #[cfg(not(target_family = "wasm"))]
        drop(outs);
    }
}

/// One torrent in a [`Client`]. Cheap to clone.
#[derive(Clone)]
pub struct Torrent {
    pub(crate) cell: Rc<TorrentCell>,
}

/// Verified bytes of one byte range of one file, in order. Dropping it tells the engine the
/// reader is gone.
pub struct Reader {
    cell: Rc<TorrentCell>,
    id: ReaderId,
}

/// Where a torrent's trackers and webseeds come from (its .torrent or magnet). Natively
/// nothing connects, so nothing reads them.
#[cfg_attr(not(target_family = "wasm"), allow(dead_code))]
struct Sources {
    trackers: Vec<String>,
    webseeds: Vec<String>,
}

/// A WebTorrent-style peer id: `-SH0001-` and 12 random bytes.
fn fresh_peer_id() -> [u8; 20] {
    let mut id = [0u8; 20];
    id[..8].copy_from_slice(b"-SH0001-");
    for chunk in id[8..].chunks_mut(4) {
        let r = crate_random().to_le_bytes();
        chunk.copy_from_slice(&r[..chunk.len()]);
    }
    id
}

/// Random bits for ids and seeds (not for secrets).
fn crate_random() -> u64 {
    #[cfg(target_family = "wasm")]
    {
        // Two draws: Math.random carries at most 53 bits.
        let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        (a << 32) | b
    }
    #[cfg(not(target_family = "wasm"))]
    {
        use std::hash::{BuildHasher, RandomState};
        RandomState::new().hash_one(0u8)
    }
}

impl Client {
    /// A client with these settings; nothing connects until a torrent is added.
    pub fn new(cfg: ClientConfig) -> Self {
        let peer_id = cfg.peer_id.unwrap_or_else(fresh_peer_id);
        Self {
            inner: Rc::new(ClientInner {
                cfg,
                peer_id,
                torrents: RefCell::new(Vec::new()),
            }),
        }
    }

    /// Our peer id.
    pub fn peer_id(&self) -> [u8; 20] {
        self.inner.peer_id
    }

    /// Opens a torrent and starts announcing it. A .torrent's metadata is known at once; a
    /// magnet's arrives from peers.
    pub fn add(&self, source: Source) -> Result<Torrent, AddError> {
        let (engine, sources) = self.engine_for(source)?;
        let hash = engine.info_hash();
        if self
            .torrents()
            .iter()
            .any(|t| t.cell.core.borrow().info_hash == hash)
        {
            return Err(AddError::Duplicate);
        }
        #[cfg(target_family = "wasm")]
        {
            let mut urls = self.inner.cfg.trackers.clone();
            for t in sources.trackers {
                if !urls.contains(&t) && (t.starts_with("ws://") || t.starts_with("wss://")) {
                    urls.push(t);
                }
            }
            let cell = crate::browser::start(
                engine,
                &self.inner.cfg,
                self.inner.peer_id,
                urls,
                sources.webseeds,
            );
            let torrent = Torrent { cell };
            self.inner.torrents.borrow_mut().push(torrent.clone());
            Ok(torrent)
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (engine, sources);
            Err(AddError::NotInBrowser)
        }
    }

    fn engine_for(
        &self,
        source: Source,
    ) -> Result<
        (
            swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
            Sources,
        ),
        AddError,
    > {
        let mut cfg =
            swarm::Config::new(metainfo::PeerId::from(self.inner.peer_id), crate_random());
        cfg.max_peers = self.inner.cfg.max_peers;
        // SubtleCrypto hashes faster than wasm and off the page's thread (browser/hashing.rs).
        #[cfg(target_family = "wasm")]
        {
            cfg.deferred_hashing = crate::browser::subtle_sha1_available();
        }
        let storage = swarm::MemoryStorage::new(crate::core::STORAGE_BYTES);
        Ok(match source {
            Source::Torrent(bytes) => {
                let meta = metainfo::Metainfo::from_bytes(&bytes)?;
                let sources = Sources {
                    trackers: meta.announce.iter().flatten().cloned().collect(),
                    webseeds: meta.url_list.clone(),
                };
                (
                    swarm::Engine::new(cfg, &meta, storage, swarm::Sha1Smol),
                    sources,
                )
            }
            Source::Magnet(m) => {
                let sources = Sources {
                    trackers: m.trackers,
                    webseeds: m.webseeds.clone(),
                };
                let engine = swarm::Engine::from_magnet(
                    cfg,
                    m.info_hash,
                    m.webseeds,
                    storage,
                    swarm::Sha1Smol,
                );
                (engine, sources)
            }
        })
    }

    /// The torrents added and not destroyed.
    pub fn torrents(&self) -> Vec<Torrent> {
        let mut list = self.inner.torrents.borrow_mut();
        list.retain(|t| !t.cell.core.borrow().destroyed);
        list.clone()
    }
}

impl Torrent {
    /// The info hash, 40 lowercase hex digits.
    pub fn info_hash(&self) -> String {
        self.cell.core.borrow().info_hash.to_hex()
    }

    /// The file layout; resolves when the metadata is known (at once for a .torrent).
    pub async fn metadata(&self) -> Result<TorrentInfo, RuntimeError> {
        poll_fn(|cx| {
            let mut core = self.cell.core.borrow_mut();
            if core.destroyed {
                return Poll::Ready(Err(RuntimeError::Destroyed));
            }
            if let Some(info) = core.info() {
                return Poll::Ready(Ok(info));
            }
            core.metadata_wakers.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// A reader of bytes `start..end` (end exclusive) of file `file`.
    pub fn reader(&self, file: usize, start: u64, end: u64) -> Result<Reader, RuntimeError> {
        let (id, outs) = {
            let mut core = self.cell.core.borrow_mut();
            if core.destroyed {
                return Err(RuntimeError::Destroyed);
            }
            let info = core.info().ok_or(RuntimeError::NoMetadata)?;
            let f = info.files.get(file).ok_or(RuntimeError::NoSuchFile {
                index: file,
                count: info.files.len(),
            })?;
            if start > end || end > f.length {
                return Err(RuntimeError::BadRange {
                    start,
                    end,
                    length: f.length,
                });
            }
            let now = crate::now();
            core.open_reader(now, f.offset + start, f.offset + end)
        };
        self.cell.act(outs);
        Ok(Reader {
            cell: Rc::clone(&self.cell),
            id,
        })
    }

    /// The figures for the stats panel.
    pub fn stats(&self) -> Stats {
        let mut s = self.cell.core.borrow().stats(crate::now());
        #[cfg(target_family = "wasm")]
        {
            s.trackers = self.cell.net.tracker_statuses();
        }
        #[cfg(not(target_family = "wasm"))]
        {
            s.trackers.clear();
        }
        s
    }

    /// Stops the torrent: leaves the trackers, closes peers and requests, ends readers.
    pub fn destroy(&self) {
        if self.cell.core.borrow().destroyed {
            return;
        }
        self.cell.core.borrow_mut().destroy();
        #[cfg(target_family = "wasm")]
        crate::browser::stop(&self.cell);
    }
}

impl Reader {
    /// The next verified chunk; `None` once the whole range was read.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, RuntimeError>> {
        poll_fn(|cx| {
            let mut core = self.cell.core.borrow_mut();
            let destroyed = core.destroyed;
            let Some(slot) = core.readers.get_mut(&self.id) else {
                return Poll::Ready(None);
            };
            if let Some(chunk) = slot.flow.pop() {
                let outs = core.after_pull(self.id);
                drop(core);
                self.cell.act(outs);
                return Poll::Ready(Some(Ok(chunk)));
            }
            if slot.flow.finished() {
                return Poll::Ready(None);
            }
            if destroyed {
                return Poll::Ready(Some(Err(RuntimeError::Destroyed)));
            }
            slot.waker = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Ok(mut core) = self.cell.core.try_borrow_mut() else {
            return;
        };
        let outs = core.close_reader(self.id);
        drop(core);
        self.cell.act(outs);
    }
}
