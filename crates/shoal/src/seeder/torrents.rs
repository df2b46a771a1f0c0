//! The seeder's table of torrents: which are seeded (library files, live channel segments,
//! gateway torrents), adding one (its session started on the shared host and tracker socket),
//! removing one (its session stopped, its connections closed, its slot freed for reuse), and
//! calling into one torrent's session with its platform.

use std::time::Duration;

use metainfo::InfoHash;
use rtc::{ConnId, DataChannelHost};
use session::{Event, Session, SessionConfig};
use swarm::HashedPiece;

use super::{
    platform::{HostPlatform, TorrentIo},
    Seeder,
};
use crate::{native_sha1::NativeSha1, seed_storage::SeedStorage, seedable::Seedable};

/// Where a seeded torrent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Library,
    /// A live channel's segment (its bytes count as channel origin bytes).
    Channel,
    Gateway,
}

/// One seeded file.
pub(super) struct Seeded {
    pub(super) name: String,
    pub(super) kind: Kind,
    pub(super) session: Session<SeedStorage, NativeSha1>,
    pub(super) io: TorrentIo,
}

/// Piece bytes sent over WebRTC, library and channel apart.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Uploaded {
    pub(super) library: u64,
    pub(super) channels: u64,
}

impl Uploaded {
    pub(super) fn add(&mut self, kind: Kind, bytes: u64) {
        if kind == Kind::Channel {
            self.channels += bytes;
        } else {
            self.library += bytes;
        }
    }
}

impl Seeder {
    pub(super) fn add<H: DataChannelHost>(&mut self, host: &mut H, seedable: Seedable, kind: Kind) {
        let Seedable { meta, engine, .. } = seedable;
        let seeding =
            |s: &Seeded| !s.session.is_stopped() && s.session.info_hash() == meta.info_hash;
        if self.torrents.iter().flatten().any(seeding) {
            // A library file and a gateway torrent can be the same torrent: one session each.
            return;
        }
        let mut cfg = SessionConfig::new(self.cfg.peer_id, crate::session_seed(&meta.info_hash));
        cfg.trackers = vec![self.cfg.tracker_url.clone()];
        cfg.max_peers = self.cfg.max_peers_per_torrent;
        // A seeder never makes offers: browsers offer, the tracker relays them to us.
        cfg.max_offers = 0;
        // The reference client's up-to-5-minute jitter suits millions of browsers, not one
        // companion waiting for its (often local) tracker to come back.
        cfg.reconnect_base = Some(Duration::from_secs(5));
        cfg.reconnect_jitter = Some(Duration::from_secs(5));
        let t = match self.torrents.iter().position(Option::is_none) {
            Some(free) => free,
            None => {
                self.torrents.push(None);
                self.torrents.len() - 1
            }
        };
        let now = self.now();
        let mut io = TorrentIo::default();
        let mut p = HostPlatform {
            host,
            torrent: t,
            io: &mut io,
            owners: &mut self.owners,
            tracker: &mut self.tracker,
            figures: &self.figures,
            name: &meta.info.name,
        };
        let session = Session::start(engine, cfg, now, &mut p);
        if let Some(slot) = self.torrents.get_mut(t) {
            *slot = Some(Seeded {
                name: meta.info.name.clone(),
                kind,
                session,
                io,
            });
        }
    }

    /// Stops seeding `hash` when it was added as `kind`: its session announces `stopped` and
    /// closes its peers, then its slot is freed (the `stopped` frame leaves with the next
    /// settle).
    pub(super) fn remove<H: DataChannelHost>(&mut self, host: &mut H, hash: InfoHash, kind: Kind) {
        let Some(t) = self.torrents.iter().position(|s| {
            s.as_ref()
                .is_some_and(|s| s.kind == kind && s.session.info_hash() == hash)
        }) else {
            return;
        };
        self.with(host, t, |session, p| session.stop(p));
        let conns: Vec<ConnId> = self
            .owners
            .iter()
            .filter(|(_, (owner, _))| *owner == t)
            .map(|(conn, _)| *conn)
            .collect();
        for conn in conns {
            self.owners.remove(&conn);
            host.close(conn);
        }
        if let Some(gone) = self.torrents.get_mut(t).and_then(Option::take) {
            if gone.kind != Kind::Channel {
                // Segments come and go every few seconds; other torrents are worth a line.
                tracing::info!(torrent = %gone.name, "no longer seeding over WebRTC: removed");
            }
            self.retired
                .add(gone.kind, gone.session.engine().stats().uploaded);
        }
    }

    /// Imports a piece of gateway torrent `hash` (see `gateway/hybrid.rs`); one it holds
    /// already is skipped, and one that does not match its hash is dropped. A piece of a
    /// torrent no longer seeded (removed meanwhile, or seeded as a library file) is ignored.
    pub(super) fn import<H: DataChannelHost>(
        &mut self,
        host: &mut H,
        hash: InfoHash,
        piece: u32,
        bytes: HashedPiece,
    ) {
        let Some(t) = self.torrents.iter().position(|s| {
            s.as_ref().is_some_and(|s| {
                s.kind == Kind::Gateway && !s.session.is_stopped() && s.session.info_hash() == hash
            })
        }) else {
            return;
        };
        let now = self.now();
        let mut stored = true;
        self.with(host, t, |session, p| {
            if !session.engine().has_piece(piece) {
                stored = session.import_hashed(now, piece, bytes, p);
            }
        });
        if !stored {
            let name = self
                .torrents
                .get(t)
                .and_then(Option::as_ref)
                .map(|s| s.name.as_str());
            tracing::warn!(
                torrent = name.unwrap_or_default(),
                piece,
                "a gateway piece does not match its hash: not seeded"
            );
        }
    }

    /// Calls into torrent `t`'s session with its platform.
    pub(super) fn with<H: DataChannelHost>(
        &mut self,
        host: &mut H,
        t: usize,
        f: impl FnOnce(&mut Session<SeedStorage, NativeSha1>, &mut HostPlatform<'_, H>),
    ) {
        let Some(Seeded {
            name, session, io, ..
        }) = self.torrents.get_mut(t).and_then(Option::as_mut)
        else {
            return;
        };
        let mut p = HostPlatform {
            host,
            torrent: t,
            io,
            owners: &mut self.owners,
            tracker: &mut self.tracker,
            figures: &self.figures,
            name,
        };
        f(session, &mut p);
    }

    pub(super) fn feed<H: DataChannelHost>(&mut self, host: &mut H, t: usize, event: Event) {
        let now = self.now();
        self.with(host, t, |session, p| session.handle(now, event, p));
    }
}
