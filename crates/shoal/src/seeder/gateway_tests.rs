//! The seeder's side of the hybrid peer (`gateway/hybrid.rs`): a gateway torrent is seeded
//! from its metadata on and takes each piece the gateway hands over; a piece that does not
//! match is dropped, one for a torrent not seeded (removed, or seeded as a library file) is
//! ignored, and a removed torrent leaves the seeder.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use rtc::{ConnId, DataChannelHost, RtcError, RtcEvent};
use swarm::HashedPiece;

use super::{
    platform::SharedTracker,
    torrents::{Kind, Uploaded},
    Seeder, SeederConfig,
};
use crate::{gateway_fixture::GatewayFixture, seedable::for_gateway};

/// A host no browser reaches: the sessions start, announce (into the outbox) and wait.
struct NoBrowsers;

impl DataChannelHost for NoBrowsers {
    fn accept_offer(&mut self, _offer_sdp: &str) -> Result<(ConnId, String), RtcError> {
        Err(RtcError::Full(0))
    }

    fn send(&mut self, _conn: ConnId, _bytes: &[u8]) -> Result<(), RtcError> {
        Err(RtcError::UnknownConnection)
    }

    fn close(&mut self, _conn: ConnId) {}

    fn connection_count(&self) -> usize {
        0
    }

    fn next_event(&mut self) -> impl std::future::Future<Output = RtcEvent> + Send {
        std::future::pending()
    }
}

fn seeder() -> Seeder {
    let start = Instant::now();
    Seeder {
        cfg: SeederConfig {
            tracker_url: "ws://127.0.0.1:9/announce".to_owned(),
            peer_id: [2; 20],
            max_peers_per_torrent: 4,
        },
        start,
        torrents: Vec::new(),
        owners: BTreeMap::new(),
        tracker: SharedTracker::default(),
        ws: None,
        next_connect: start + Duration::from_secs(3600),
        figures: Arc::default(),
        retired: Uploaded::default(),
    }
}

/// Whether the seeder's `kind` torrent has `piece`; `None` when it seeds no such torrent.
fn has(s: &Seeder, kind: Kind, piece: u32) -> Option<bool> {
    s.torrents
        .iter()
        .flatten()
        .find(|t| t.kind == kind)
        .map(|t| t.session.engine().has_piece(piece))
}

#[test]
fn gateway_pieces_are_imported_checked_and_dropped_with_their_torrent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut f = GatewayFixture::new(dir.path(), 5);
    f.write(0);
    f.write(1);
    let (hash, info) = (f.library.meta.info_hash, f.info.clone());
    let piece = |p: u32| HashedPiece::new(f.piece(p));
    let folder = f.folder.clone();

    let mut host = NoBrowsers;
    let mut s = seeder();
    let partial = for_gateway(&info, folder.clone(), [2; 20]).expect("partial");
    s.add(&mut host, partial, Kind::Gateway);
    assert_eq!(has(&s, Kind::Gateway, 0), Some(false));
    s.import(&mut host, hash, 0, piece(0));
    assert_eq!(has(&s, Kind::Gateway, 0), Some(true));
    // Twice: skipped. Bytes that are not the piece: dropped, nothing stored.
    s.import(&mut host, hash, 0, piece(0));
    s.import(&mut host, hash, 1, piece(0));
    assert_eq!(has(&s, Kind::Gateway, 1), Some(false));
    // Another torrent's piece goes nowhere.
    s.import(&mut host, metainfo::Id20([9; 20]), 1, piece(1));
    assert_eq!(has(&s, Kind::Gateway, 1), Some(false));
    s.import(&mut host, hash, 1, piece(1));
    assert_eq!(has(&s, Kind::Gateway, 1), Some(true));

    // Removed by the gateway: the seeder leaves it; a piece still on its way is ignored.
    s.remove(&mut host, hash, Kind::Gateway);
    assert!(s.torrents.iter().all(Option::is_none));
    s.import(&mut host, hash, 2, piece(2));

    // Seeded as a library file already: one session, which gateway pieces do not touch.
    let first = piece(0);
    s.add(&mut host, f.library, Kind::Library);
    let again = for_gateway(&info, folder, [2; 20]).expect("partial");
    s.add(&mut host, again, Kind::Gateway);
    assert_eq!(has(&s, Kind::Gateway, 0), None);
    s.import(&mut host, hash, 0, first);
    assert_eq!(s.torrents.iter().flatten().count(), 1);
    assert_eq!(has(&s, Kind::Library, 0), Some(true));
}
