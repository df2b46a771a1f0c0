//! The handles the UI holds: [`Client`], [`Torrent`], [`Reader`].

use std::{cell::RefCell, future::poll_fn, rc::Rc, task::Poll};

use session::{Read, Stats};
use swarm::ReaderId;

use crate::{
    cell::TorrentCell,
    config::ClientConfig,
    error::{AddError, RuntimeError},
    info::TorrentInfo,
    seed::{SeedError, SeedJob, SeedOptions, SeedProgress, SeedStep},
    store::Store,
};

/// Verified pieces kept in memory per torrent without a store (older ones are evicted and
/// re-fetched), and the most a seeded file may be (it is hashed into memory).
pub(crate) const STORAGE_BYTES: u64 = 512 * 1024 * 1024;

/// Bytes hashed between two yields to the event loop while seeding: tens of milliseconds of
/// SHA-1 in wasm, so the page stays responsive.
const SEED_SLICE: usize = 4 * 1024 * 1024;

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A magnet link: the metadata comes from peers first.
    Magnet(metainfo::Magnet),
    /// The bytes of a .torrent file (the UI fetches `.torrent` URLs itself).
    Torrent(Vec<u8>),
    /// A magnet together with the .torrent its `xs=` points to (fetched by the UI): the
    /// torrent must have the magnet's info hash ([`AddError::WrongTorrent`] otherwise); the
    /// trackers and webseeds of both are used.
    MagnetWithTorrent {
        /// The magnet link.
        magnet: metainfo::Magnet,
        /// The .torrent file's bytes.
        torrent: Vec<u8>,
    },
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
    /// The persistent store, once opened.
    store: RefCell<Option<Store>>,
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        for t in self.torrents.borrow().iter() {
            t.destroy();
        }
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
pub(crate) struct Sources {
    pub(crate) trackers: Vec<String>,
    pub(crate) webseeds: Vec<String>,
}

/// The magnet link of a torrent: its info hash, name, trackers and webseeds, without repeats.
pub(crate) fn magnet_link(
    info_hash: metainfo::InfoHash,
    name: Option<&str>,
    sources: &Sources,
) -> metainfo::Magnet {
    let mut m = metainfo::Magnet::new(info_hash);
    m.display_name = name.map(str::to_owned);
    merge(&mut m.trackers, sources.trackers.clone());
    merge(&mut m.webseeds, sources.webseeds.clone());
    m
}

/// Appends the entries of `more` not yet in `list`.
fn merge(list: &mut Vec<String>, more: Vec<String>) {
    for m in more {
        if !list.contains(&m) {
            list.push(m);
        }
    }
}

/// A .torrent holding only `info` (a bencoded info dict): enough to start an engine.
pub(crate) fn torrent_of_info(info: &[u8]) -> Vec<u8> {
    let mut t = Vec::with_capacity(info.len() + 8);
    t.extend_from_slice(b"d4:info");
    t.extend_from_slice(info);
    t.push(b'e');
    t
}

/// Names the store item of a torrent and keeps its info dict, once its metadata is known.
#[cfg(target_family = "wasm")]
fn describe<S: swarm::Storage, H: swarm::PieceHasher>(
    store: &Store,
    id: &str,
    engine: &swarm::Engine<S, H>,
) {
    if let (Some(info), Some(bytes)) = (engine.info(), engine.info_bytes()) {
        let kind = crate::ItemKind::Torrent;
        store.describe(id, &info.name, kind, info.total_length, info.piece_length);
        store.keep_info(id, bytes);
    }
}

/// Whether the torrent's metadata is still to come (a magnet).
#[cfg(target_family = "wasm")]
fn engine_info_missing(cell: &TorrentCell) -> bool {
    cell.session().info().is_none()
}

/// Gives the browser's event loop a turn (a zero-delay timer); nothing to wait for natively.
async fn yield_to_event_loop() {
    #[cfg(target_family = "wasm")]
    gloo::timers::future::TimeoutFuture::new(0).await;
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
pub(crate) fn crate_random() -> u64 {
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
                store: RefCell::new(None),
            }),
        }
    }

    /// Keeps torrents added from now on in `store` (pieces written as they verify, a
    /// torrent's stored pieces restored when it is added).
    pub fn set_store(&self, store: Store) {
        *self.inner.store.borrow_mut() = Some(store);
    }

    /// The store, if one was set.
    pub fn store(&self) -> Option<Store> {
        self.inner.store.borrow().clone()
    }

    /// Our peer id.
    pub fn peer_id(&self) -> [u8; 20] {
        self.inner.peer_id
    }

    /// The ICE servers connections are made through.
    pub fn ice_servers(&self) -> Vec<crate::IceServer> {
        self.inner.cfg.ice_servers.clone()
    }

    /// Opens a torrent and starts announcing it. A .torrent's metadata is known at once; a
    /// magnet's arrives from peers.
    pub fn add(&self, source: Source) -> Result<Torrent, AddError> {
        let store = self.store();
        // A magnet whose info dict the store kept starts like a .torrent: no metadata round
        // trip, its stored pieces known at once (offline too).
        let source = match (source, &store) {
            (Source::Magnet(m), Some(s)) => match s.info_dict(&m.info_hash.to_hex()) {
                Some(info) => Source::MagnetWithTorrent {
                    torrent: torrent_of_info(&info),
                    magnet: m,
                },
                None => Source::Magnet(m),
            },
            (source, _) => source,
        };
        let (mut engine, sources) = self.engine_for(source, store.is_some())?;
        if self.has(engine.info_hash()) {
            return Err(AddError::Duplicate);
        }
        let hash = engine.info_hash().to_hex();
        if let Some(store) = &store {
            // A reload: what the store holds is verified at once (checked again on reading).
            for piece in store.stored_pieces(&hash) {
                engine.restore_piece(piece);
            }
        }
        let link = store.map(|s| (s, hash));
        self.start(engine, sources, link)
            .ok_or(AddError::NotInBrowser)
    }

    /// Shares `bytes` as a one-file torrent called `name`: hashes them in slices (giving the
    /// event loop back between slices and calling `progress` after each), builds the .torrent
    /// with `opts`, and starts seeding it with every piece verified — announcing to the
    /// trackers, answering peers' offers and uploading. [`Torrent::magnet`] gives its link.
    pub async fn seed(
        &self,
        name: &str,
        bytes: Vec<u8>,
        opts: &SeedOptions,
        mut progress: impl FnMut(SeedProgress),
    ) -> Result<Torrent, SeedError> {
        let mut job = SeedJob::new(name, bytes, opts, self.engine_config())?;
        let seeded = loop {
            match job.step(SEED_SLICE)? {
                SeedStep::Working(p) => {
                    progress(p);
                    yield_to_event_loop().await;
                }
                SeedStep::Done(seeded) => {
                    let total = 2 * seeded.meta.info.total_length;
                    progress(SeedProgress { done: total, total });
                    break seeded;
                }
            }
        };
        if self.has(seeded.meta.info_hash) {
            return Err(SeedError::Duplicate);
        }
        let sources = Sources {
            trackers: seeded.meta.announce.iter().flatten().cloned().collect(),
            webseeds: seeded.meta.url_list.clone(),
        };
        let torrent = self
            .start(seeded.engine, sources, None)
            .ok_or(SeedError::NotInBrowser)?;
        *torrent.cell.torrent_file.borrow_mut() = Some(seeded.torrent_file);
        Ok(torrent)
    }

    fn has(&self, hash: metainfo::InfoHash) -> bool {
        self.torrents()
            .iter()
            .any(|t| t.cell.session().info_hash() == hash)
    }

    /// Starts the I/O of an engine (in a browser; `None` natively), keeping its pieces in the
    /// store under the given item id when there is one.
    fn start(
        &self,
        engine: swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
        sources: Sources,
        store: Option<(Store, String)>,
    ) -> Option<Torrent> {
        let name = engine.info().map(|i| i.name.as_str());
        let magnet = magnet_link(engine.info_hash(), name, &sources);
        #[cfg(target_family = "wasm")]
        {
            let mut cfg = session::SessionConfig::new(self.inner.peer_id, crate_random());
            cfg.trackers = self.inner.cfg.trackers.clone();
            for t in sources.trackers {
                let websocket = t.starts_with("ws://") || t.starts_with("wss://");
                if websocket && !cfg.trackers.contains(&t) {
                    cfg.trackers.push(t);
                }
            }
            cfg.webseeds = sources.webseeds;
            cfg.max_peers = self.inner.cfg.max_peers.max(1);
            let ice_servers = self.inner.cfg.ice_servers.clone();
            if let Some((store, id)) = &store {
                describe(store, id, &engine);
            }
            let kept = store.as_ref().map(|(s, _)| s.clone());
            // Playing until destroyed: then its item may be evicted again.
            let playing = store
                .as_ref()
                .map(|(s, id)| crate::store::Playing::new(s.clone(), id.clone()));
            let held = playing.clone();
            let cell = TorrentCell::start(engine, cfg, magnet, |sink| {
                let store = store.zip(held).map(|((s, id), playing)| {
                    crate::store::TorrentStore::new(s, id, Rc::clone(&sink), playing)
                });
                Box::new(crate::browser::BrowserPlatform::new(
                    sink,
                    ice_servers,
                    store,
                ))
            });
            let waits_for_metadata = kept.is_some() && engine_info_missing(&cell);
            *cell.store.borrow_mut() = kept;
            *cell.playing.borrow_mut() = playing;
            let torrent = Torrent { cell };
            if waits_for_metadata {
                // A magnet: the item is described (and its info dict kept) once peers sent it.
                let t = torrent.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if t.metadata().await.is_ok() {
                        let store = t.cell.store.borrow().clone();
                        if let Some(store) = store {
                            describe(&store, &t.info_hash(), t.cell.session().engine());
                        }
                    }
                });
            }
            self.inner.torrents.borrow_mut().push(torrent.clone());
            Some(torrent)
        }
        #[cfg(not(target_family = "wasm"))]
        {
            let _ = (engine, sources, magnet, store);
            None
        }
    }

    fn engine_config(&self) -> swarm::Config {
        let mut cfg =
            swarm::Config::new(metainfo::PeerId::from(self.inner.peer_id), crate_random());
        cfg.max_peers = self.inner.cfg.max_peers;
        // SubtleCrypto hashes faster than wasm and off the page's thread (browser/hashing.rs).
        #[cfg(target_family = "wasm")]
        {
            cfg.deferred_hashing = crate::browser::subtle_sha1_available();
        }
        cfg
    }

    fn engine_for(
        &self,
        source: Source,
        stored: bool,
    ) -> Result<
        (
            swarm::Engine<swarm::MemoryStorage, swarm::Sha1Smol>,
            Sources,
        ),
        AddError,
    > {
        let mut cfg = self.engine_config();
        // With a store, memory holds a window and IndexedDB everything verified; pieces on
        // their way in (downloading, hashing, waiting for their write) share the budget.
        cfg.external_store = stored;
        let memory = if stored {
            let budget = self.inner.cfg.memory_window_bytes;
            cfg.max_inflight_bytes = budget / 4;
            let window = budget - budget / 4;
            // Two thirds of the window hold what the readers reach next, so a download
            // running ahead of a slow reader does not push those pieces out to be loaded back
            // from IndexedDB (the read-back is where the page's memory swung most).
            cfg.keep_ahead_bytes = window / 3 * 2;
            window
        } else {
            STORAGE_BYTES
        };
        let storage = swarm::MemoryStorage::new(memory);
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
            Source::MagnetWithTorrent { magnet, torrent } => {
                let meta = metainfo::Metainfo::from_bytes(&torrent)?;
                if meta.info_hash != magnet.info_hash {
                    return Err(AddError::WrongTorrent {
                        magnet: magnet.info_hash.to_hex(),
                        torrent: meta.info_hash.to_hex(),
                    });
                }
                let mut sources = Sources {
                    trackers: meta.announce.iter().flatten().cloned().collect(),
                    webseeds: meta.url_list.clone(),
                };
                merge(&mut sources.trackers, magnet.trackers);
                merge(&mut sources.webseeds, magnet.webseeds);
                // The engine reads webseeds from the metainfo it is given.
                let mut meta = meta;
                meta.url_list = sources.webseeds.clone();
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
        list.retain(|t| !t.cell.session().is_stopped());
        list.clone()
    }
}

impl Torrent {
    /// The info hash, 40 lowercase hex digits.
    pub fn info_hash(&self) -> String {
        self.cell.session().info_hash().to_hex()
    }

    /// A magnet link for this torrent: its info hash, name (once known), trackers and webseeds.
    pub fn magnet(&self) -> metainfo::Magnet {
        let mut m = self.cell.magnet.borrow().clone();
        if m.display_name.is_none() {
            m.display_name = self.cell.session().info().map(|i| i.name.clone());
        }
        m
    }

    /// The .torrent file, when this client made it ([`Client::seed`]).
    pub fn torrent_file(&self) -> Option<Vec<u8>> {
        self.cell.torrent_file.borrow().clone()
    }

    /// The file layout; resolves when the metadata is known (at once for a .torrent).
    pub async fn metadata(&self) -> Result<TorrentInfo, RuntimeError> {
        poll_fn(|cx| {
            let session = self.cell.session();
            if session.is_stopped() {
                return Poll::Ready(Err(RuntimeError::Destroyed));
            }
            if let Some(info) = session.info() {
                return Poll::Ready(Ok(TorrentInfo::from_info(info)));
            }
            self.cell.wait_metadata(cx.waker());
            Poll::Pending
        })
        .await
    }

    /// A reader of bytes `start..end` (end exclusive) of file `file`.
    pub fn reader(&self, file: usize, start: u64, end: u64) -> Result<Reader, RuntimeError> {
        let (from, to) = {
            let session = self.cell.session();
            if session.is_stopped() {
                return Err(RuntimeError::Destroyed);
            }
            let info = session.info().ok_or(RuntimeError::NoMetadata)?;
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
            (f.offset + start, f.offset + end)
        };
        let now = crate::now();
        let id = self
            .cell
            .with(|s, p| s.open_reader(now, from, to, p))
            // Only a platform call re-entering finds the session busy; handles never do.
            .ok_or(RuntimeError::Destroyed)?;
        Ok(Reader {
            cell: Rc::clone(&self.cell),
            id,
        })
    }

    /// Adds a companion's gateway (`{server}/gateway/webseed/{info hash}`) as an HTTP source:
    /// the player found too few peers. Peers still come first; the figures count its bytes
    /// apart (`bytes_via_gateway`).
    pub fn add_gateway(&self, url: &str) {
        let now = crate::now();
        self.cell.with(|s, p| s.add_gateway(now, url, p));
    }

    /// Installs the info dict fetched from a gateway, for a magnet whose peers have not sent
    /// it; refused unless its SHA-1 is the info hash. Wakes whoever waits in
    /// [`Torrent::metadata`].
    pub fn provide_metadata(&self, info_bytes: &[u8]) -> Result<(), RuntimeError> {
        let now = crate::now();
        self.cell
            .with(|s, p| s.provide_metadata(now, info_bytes, p))
            .ok_or(RuntimeError::Destroyed)?
            .map_err(|e| RuntimeError::Metadata(e.to_string()))
    }

    /// The figures for the stats panel.
    pub fn stats(&self) -> Stats {
        let stats = self.cell.session().stats(crate::now());
        // Seeded bytes count toward the stored item across sessions.
        #[cfg(target_family = "wasm")]
        if let Some(store) = self.cell.store.borrow().as_ref() {
            let noted = self.cell.uploaded_noted.replace(stats.uploaded);
            if stats.uploaded > noted {
                store.add_seeded(&self.info_hash(), stats.uploaded - noted);
            }
        }
        stats
    }

    /// Stops the torrent: leaves the trackers, closes peers and requests, ends readers.
    pub fn destroy(&self) {
        if !self.cell.session().is_stopped() {
            self.cell.destroy();
        }
    }
}

impl Reader {
    /// The next verified chunk; `None` once the whole range was read.
    pub async fn next_chunk(&mut self) -> Option<Result<Vec<u8>, RuntimeError>> {
        poll_fn(|cx| {
            let now = crate::now();
            let read = self.cell.with(|s, p| s.read(now, self.id, p));
            match read {
                Some(Read::Chunk(chunk)) => Poll::Ready(Some(Ok(chunk))),
                Some(Read::Finished) => Poll::Ready(None),
                Some(Read::Waiting) | None => {
                    if self.cell.session().is_stopped() {
                        return Poll::Ready(Some(Err(RuntimeError::Destroyed)));
                    }
                    self.cell.wait_reader(self.id, cx.waker());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let now = crate::now();
        self.cell.with(|s, p| s.close_reader(now, self.id, p));
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    fn torrent(webseed: &str) -> (Vec<u8>, metainfo::InfoHash) {
        let data = vec![7u8; 40_000];
        let mut b = metainfo::TorrentBuilder::new(
            "v.mp4",
            vec![(vec!["v.mp4".into()], data.len() as u64)],
            16 * 1024,
        )
        .announce(vec![vec!["wss://t1".into()]])
        .url_list(vec![webseed.to_owned()]);
        b.update(&data);
        let bytes = b.finish().expect("built");
        let hash = metainfo::Metainfo::from_bytes(&bytes)
            .expect("parses")
            .info_hash;
        (bytes, hash)
    }

    #[test]
    fn a_kept_info_dict_makes_a_torrent_with_the_same_info_hash() {
        let (bytes, hash) = torrent("https://a/v.mp4");
        let meta = metainfo::Metainfo::from_bytes(&bytes).expect("parses");
        let again = metainfo::Metainfo::from_bytes(&torrent_of_info(&meta.info_bytes))
            .expect("an info-only torrent parses");
        assert_eq!(again.info_hash, hash);
        assert_eq!(again.info, meta.info);
    }

    #[test]
    fn an_exact_source_for_another_torrent_is_refused_by_name() {
        let (bytes, hash) = torrent("https://a/v.mp4");
        let other = metainfo::Magnet::new(metainfo::Id20([9; 20]));
        let client = Client::new(ClientConfig::default());
        let err = client
            .add(Source::MagnetWithTorrent {
                magnet: other,
                torrent: bytes,
            })
            .err()
            .expect("refused");
        assert_eq!(
            err,
            AddError::WrongTorrent {
                magnet: "09".repeat(20),
                torrent: hash.to_hex(),
            }
        );
        assert!(err.to_string().contains("is for a different torrent"));
    }

    #[test]
    fn an_exact_source_joins_the_magnets_trackers_and_webseeds() {
        let (bytes, hash) = torrent("https://a/v.mp4");
        let mut magnet = metainfo::Magnet::new(hash);
        magnet.trackers = vec!["wss://t2".into(), "wss://t1".into()];
        magnet.webseeds = vec!["https://b/v.mp4".into()];
        let client = Client::new(ClientConfig::default());
        let Ok((engine, sources)) = client.engine_for(
            Source::MagnetWithTorrent {
                magnet,
                torrent: bytes,
            },
            false,
        ) else {
            panic!("the torrent has the magnet's info hash");
        };
        assert_eq!(engine.info_hash(), hash);
        assert_eq!(sources.trackers, ["wss://t1", "wss://t2"]);
        assert_eq!(sources.webseeds, ["https://a/v.mp4", "https://b/v.mp4"]);
        let link = magnet_link(hash, Some("v.mp4"), &sources);
        assert_eq!(
            link.to_uri(),
            format!(
                "magnet:?xt=urn:btih:{}&dn=v.mp4&tr=wss%3A%2F%2Ft1&tr=wss%3A%2F%2Ft2\
                 &ws=https%3A%2F%2Fa%2Fv.mp4&ws=https%3A%2F%2Fb%2Fv.mp4",
                hash.to_hex()
            )
        );
    }
}
