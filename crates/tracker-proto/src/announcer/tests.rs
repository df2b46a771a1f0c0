//! Scenario tests driven with virtual time.

#[cfg(target_family = "wasm")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use core::time::Duration;

use super::*;
use crate::{
    AnnounceEvent, Id20, InAnnounce, Millis, OutAnnounceResponse, OutAnswer, OutError, OutOffer,
};

const SEED: u64 = 42;

fn info_hash() -> Id20 {
    Id20([0x0f; 20])
}
fn me() -> Id20 {
    Id20(*b"-SH0001-aaaaaaaaaaaa")
}
fn them() -> Id20 {
    Id20(*b"-WW0300-bbbbbbbbbbbb")
}
fn oid(n: u8) -> OfferId {
    Id20([n; 20])
}
fn secs(s: u64) -> Millis {
    Millis::from_secs(s)
}
fn offers(ids: impl IntoIterator<Item = u8>) -> Vec<InOffer> {
    ids.into_iter()
        .map(|n| InOffer {
            offer_id: oid(n),
            offer: SessionDescription::offer(format!("v=0\r\no=- {n} 2 IN IP4 127.0.0.1\r\n")),
        })
        .collect()
}
fn config() -> AnnouncerConfig {
    AnnouncerConfig::new(info_hash(), me()).with_rng_seed(SEED)
}
fn drain(a: &mut Announcer) -> Vec<Output> {
    std::iter::from_fn(|| a.poll_output()).collect()
}
fn announce(out: &Output) -> &InAnnounce {
    match out {
        Output::Send(InMessage::Announce(m)) => m,
        other => panic!("expected an announce, got {other:?}"),
    }
}
fn response(interval: Option<u64>, min_interval: Option<u64>) -> Input {
    Input::Message(OutMessage::AnnounceResponse(OutAnnounceResponse {
        info_hash: info_hash(),
        complete: Some(1),
        incomplete: Some(2),
        interval,
        min_interval,
        tracker_id: None,
        warning_message: None,
    }))
}
fn relayed_answer(offer: u8, from: Id20, hash: Id20) -> Input {
    Input::Message(OutMessage::Answer(OutAnswer {
        answer: SessionDescription::answer("v=0\r\n"),
        offer_id: oid(offer),
        peer_id: from,
        info_hash: hash,
    }))
}
/// A connected announcer whose `started` announce (offers 1..=5) went out at t = 0.
fn started() -> Announcer {
    let mut a = Announcer::new(config());
    assert_eq!(drain(&mut a), vec![Output::Connect]);
    a.handle_input(Millis::ZERO, Input::Connected);
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    a.handle_input(Millis::ZERO, Input::OffersReady(offers(1..=5)));
    let out = drain(&mut a);
    assert_eq!(out.len(), 1);
    assert_eq!(announce(&out[0]).event, Some(AnnounceEvent::Started));
    a
}

#[test]
fn full_lifecycle_started_periodic_expiry_answer_completed_stopped() {
    let mut a = Announcer::new(config().with_stats(Stats {
        uploaded: 0,
        downloaded: 0,
        left: None,
    }));
    assert_eq!(drain(&mut a), vec![Output::Connect]);
    assert_eq!(a.poll_timeout(), None);

    // Connect: ask for min(50, 5) offers; the first periodic announce is 30 s away.
    a.handle_input(Millis::ZERO, Input::Connected);
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    assert_eq!(a.poll_timeout(), Some(secs(30)));

    // Offers ready after 1 s: one `started` announce carrying all five.
    a.handle_input(secs(1), Input::OffersReady(offers(1..=5)));
    let out = drain(&mut a);
    assert_eq!(out.len(), 1);
    let m = announce(&out[0]);
    assert_eq!(m.event, Some(AnnounceEvent::Started));
    assert_eq!(m.numwant, Some(5));
    assert_eq!(m.left, None);
    assert_eq!(m.offers.as_ref().map(Vec::len), Some(5));
    assert_eq!((m.info_hash, m.peer_id), (info_hash(), me()));

    // The response re-arms the periodic announce to `interval` from now.
    a.handle_input(secs(2), response(Some(120), None));
    assert_eq!(
        drain(&mut a),
        vec![Output::Swarm {
            complete: Some(1),
            incomplete: Some(2)
        }]
    );
    assert_eq!(a.interval(), Duration::from_secs(120));
    // Offer expiry (1 s + 50 s) comes before the next announce (2 s + 120 s).
    assert_eq!(a.poll_timeout(), Some(secs(51)));

    // A relayed answer for offer 3 is matched; unknown ids, our own peer id and other
    // torrents are ignored.
    a.handle_input(secs(20), relayed_answer(3, them(), info_hash()));
    a.handle_input(secs(20), relayed_answer(99, them(), info_hash()));
    a.handle_input(secs(20), relayed_answer(4, me(), info_hash()));
    a.handle_input(secs(20), relayed_answer(4, them(), Id20([9; 20])));
    let out = drain(&mut a);
    assert_eq!(out.len(), 1);
    assert!(matches!(
        &out[0],
        Output::RelayedAnswer { peer_id, offer_id, .. } if *peer_id == them() && *offer_id == oid(3)
    ));
    // A second answer for the same offer is ignored.
    a.handle_input(secs(21), relayed_answer(3, them(), info_hash()));
    assert_eq!(drain(&mut a), vec![]);

    // 50 s after they were sent, the four unanswered offers expire.
    a.handle_timeout(secs(50));
    assert_eq!(drain(&mut a), vec![]);
    a.handle_timeout(secs(51));
    let expired: Vec<_> = [1, 2, 4, 5].map(|n| Output::ExpireOffer(oid(n))).into();
    assert_eq!(drain(&mut a), expired);
    assert_eq!(a.pending_offers().count(), 0);
    assert_eq!(a.poll_timeout(), Some(secs(122)));

    // A relayed offer is surfaced; our answer goes out with to_peer_id = the offerer.
    let offer = OutOffer {
        offer: SessionDescription::offer("v=0\r\n"),
        offer_id: oid(77),
        peer_id: them(),
        info_hash: info_hash(),
    };
    a.handle_input(secs(60), Input::Message(OutMessage::Offer(offer.clone())));
    let own = OutOffer {
        peer_id: me(),
        ..offer
    };
    a.handle_input(secs(60), Input::Message(OutMessage::Offer(own)));
    assert_eq!(
        drain(&mut a),
        vec![Output::RelayedOffer {
            peer_id: them(),
            offer_id: oid(77),
            offer: SessionDescription::offer("v=0\r\n"),
        }]
    );
    a.handle_input(
        secs(61),
        Input::AnswerReady {
            to_peer_id: them(),
            offer_id: oid(77),
            answer: SessionDescription::answer("v=0\r\n"),
        },
    );
    match drain(&mut a).as_slice() {
        [Output::Send(InMessage::Answer(ans))] => {
            assert_eq!((ans.peer_id, ans.to_peer_id), (me(), them()));
            assert_eq!(ans.offer_id, oid(77));
        }
        other => panic!("{other:?}"),
    }

    // Periodic announce at 122 s: no event, fresh offers; the timer re-arms by itself.
    a.handle_input(
        secs(100),
        Input::Stats(Stats {
            uploaded: 10,
            downloaded: 500,
            left: Some(1000),
        }),
    );
    a.handle_timeout(secs(122));
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    assert_eq!(a.poll_timeout(), Some(secs(242)));
    a.handle_input(secs(123), Input::OffersReady(offers(6..=10)));
    let out = drain(&mut a);
    let m = announce(&out[0]);
    assert_eq!(m.event, None);
    assert_eq!(
        (m.uploaded, m.downloaded, m.left),
        (Some(10), Some(500), Some(1000))
    );
    assert_eq!(m.offers.as_ref().map(Vec::len), Some(5));

    // Completed: once, without offers, numwant 50.
    a.handle_input(
        secs(130),
        Input::Stats(Stats {
            uploaded: 10,
            downloaded: 1500,
            left: Some(0),
        }),
    );
    a.handle_input(secs(130), Input::Completed);
    let out = drain(&mut a);
    assert_eq!(out.len(), 1);
    let m = announce(&out[0]);
    assert_eq!(m.event, Some(AnnounceEvent::Completed));
    assert_eq!(
        (m.numwant, m.left, m.offers.clone()),
        (Some(50), Some(0), None)
    );
    a.handle_input(secs(131), Input::Completed);
    assert_eq!(drain(&mut a), vec![]);

    // Stop: `stopped` without offers, then every pending offer expires; nothing after that.
    a.handle_input(secs(140), Input::Stop);
    let out = drain(&mut a);
    let m = announce(&out[0]);
    assert_eq!(
        (m.event, m.numwant, m.offers.clone()),
        (Some(AnnounceEvent::Stopped), Some(50), None)
    );
    let expired: Vec<_> = (6..=10).map(|n| Output::ExpireOffer(oid(n))).collect();
    assert_eq!(&out[1..], expired.as_slice());
    assert!(a.is_stopped());
    assert_eq!(a.poll_timeout(), None);
    a.handle_timeout(secs(1000));
    a.handle_input(secs(1000), response(Some(5), None));
    a.handle_input(secs(1000), Input::Completed);
    assert_eq!(drain(&mut a), vec![]);
    a.handle_input(secs(1000), Input::OffersReady(offers([11])));
    assert_eq!(drain(&mut a), vec![Output::ExpireOffer(oid(11))]);
}

#[test]
fn hostile_intervals_are_clamped() {
    let cases = [
        (Some(0), None, 10),
        (Some(1), None, 10),
        (Some(u64::MAX), None, 1800),
        (Some(12), None, 12),
        (None, Some(45), 45),
        (Some(20), Some(60), 60),
        (Some(90), Some(60), 90),
    ];
    for (interval, min_interval, expect) in cases {
        let mut a = started();
        a.handle_input(secs(5), response(interval, min_interval));
        assert_eq!(
            a.interval(),
            Duration::from_secs(expect),
            "{interval:?} {min_interval:?}"
        );
        let next_announce = secs(5 + expect);
        assert_eq!(a.poll_timeout(), Some(next_announce.min(secs(50))));
    }
    // Without any interval the 30 s timer keeps running.
    let mut a = started();
    a.handle_input(secs(5), response(None, None));
    assert_eq!(a.interval(), Duration::from_secs(30));
}

#[test]
fn reconnect_backoff_sequence_with_seeded_jitter() {
    let cfg = config();
    let mut a = started();
    let mut rng = SplitMix64::new(SEED);
    let mut now = secs(10);
    for retries in 0u32..12 {
        a.handle_input(now, Input::Disconnected);
        let out = drain(&mut a);
        if retries == 0 {
            // The five offers of the `started` announce die with the socket.
            assert_eq!(
                out,
                (1..=5)
                    .map(|n| Output::ExpireOffer(oid(n)))
                    .collect::<Vec<_>>()
            );
        } else {
            assert_eq!(out, vec![]);
        }
        let delay = reconnect_delay(retries, rng.next_u64(), &cfg);
        let base = Duration::from_secs((10u64 << retries).min(3600));
        assert!(
            delay >= base && delay <= base + Duration::from_secs(300),
            "{delay:?}"
        );
        let at = now + delay;
        assert_eq!(a.poll_timeout(), Some(at));
        a.handle_timeout(Millis(at.0 - 1));
        assert_eq!(drain(&mut a), vec![]);
        a.handle_timeout(at);
        assert_eq!(drain(&mut a), vec![Output::Connect]);
        assert_eq!(a.poll_timeout(), None);
        now = at;
    }
    assert_eq!(a.retries(), 12);

    // Reconnected: announce again without event, with fresh offers.
    a.handle_input(now, Input::Connected);
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    a.handle_input(now, Input::OffersReady(offers(20..=24)));
    let out = drain(&mut a);
    assert_eq!(announce(&out[0]).event, None);
    assert_eq!(announce(&out[0]).offers.as_ref().map(Vec::len), Some(5));
    // A response resets the retry count: the next failure waits 10–310 s again.
    a.handle_input(now, response(Some(120), None));
    assert_eq!(a.retries(), 0);
    a.handle_input(now, Input::Disconnected);
    let until = a.poll_timeout().map(|t| t.saturating_duration_since(now));
    assert!(until.is_some_and(|d| d >= Duration::from_secs(10) && d <= Duration::from_secs(310)));
}

#[test]
fn reconnect_delay_formula() {
    let cfg = config();
    assert_eq!(reconnect_delay(0, 0, &cfg), Duration::from_secs(10));
    assert_eq!(reconnect_delay(1, 0, &cfg), Duration::from_secs(20));
    assert_eq!(reconnect_delay(0, 300_000, &cfg), Duration::from_secs(310));
    assert_eq!(reconnect_delay(0, 300_001, &cfg), Duration::from_secs(10));
    assert_eq!(reconnect_delay(8, 0, &cfg), Duration::from_secs(2560));
    assert_eq!(reconnect_delay(9, 0, &cfg), Duration::from_secs(3600));
    assert_eq!(
        reconnect_delay(u32::MAX, u64::MAX, &cfg),
        Duration::from_millis(3_600_000 + u64::MAX % 300_001)
    );
}

#[test]
fn disconnect_before_offers_are_ready_retries_started_and_expires_late_offers() {
    let mut a = Announcer::new(config());
    drain(&mut a);
    a.handle_input(Millis::ZERO, Input::Connected);
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    a.handle_input(secs(1), Input::Disconnected);
    // The offers arrive after the socket died: they are expired, nothing is sent.
    a.handle_input(secs(2), Input::OffersReady(offers(1..=2)));
    assert_eq!(
        drain(&mut a),
        vec![Output::ExpireOffer(oid(1)), Output::ExpireOffer(oid(2))]
    );
    // `Completed` while disconnected waits for `started`.
    a.handle_input(secs(3), Input::Completed);
    assert_eq!(drain(&mut a), vec![]);
    // A shared socket may come back before our backoff ends: `Connected` is accepted.
    a.handle_input(secs(4), Input::Connected);
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    // More offers than asked: the extra ones expire at once.
    a.handle_input(secs(5), Input::OffersReady(offers(3..=9)));
    let out = drain(&mut a);
    assert_eq!(
        &out[..2],
        &[Output::ExpireOffer(oid(8)), Output::ExpireOffer(oid(9))]
    );
    assert_eq!(announce(&out[2]).event, Some(AnnounceEvent::Started));
    assert_eq!(announce(&out[2]).offers.as_ref().map(Vec::len), Some(5));
    assert_eq!(announce(&out[3]).event, Some(AnnounceEvent::Completed));
    assert_eq!(out.len(), 4);
}

#[test]
fn tracker_id_is_echoed_and_failures_are_warnings() {
    let mut a = started();
    let resp = OutAnnounceResponse {
        info_hash: info_hash(),
        complete: None,
        incomplete: None,
        interval: Some(60),
        min_interval: None,
        tracker_id: Some("trk-1".into()),
        warning_message: Some("slow down".into()),
    };
    a.handle_input(secs(1), Input::Message(resp.into()));
    assert_eq!(drain(&mut a), vec![Output::Warning("slow down".into())]);
    assert_eq!(a.tracker_id(), Some("trk-1"));

    let failure = |hash| {
        Input::Message(OutMessage::Error(OutError {
            failure_reason: "offer may have expired".into(),
            action: None,
            info_hash: hash,
        }))
    };
    a.handle_input(secs(2), failure(Some(Id20([7; 20]))));
    assert_eq!(drain(&mut a), vec![]);
    a.handle_input(secs(2), failure(Some(info_hash())));
    a.handle_input(secs(2), failure(None));
    assert_eq!(
        drain(&mut a),
        vec![Output::Warning("offer may have expired".into()); 2]
    );
    assert!(a.is_connected());

    // At 50 s the started offers expire; at 61 s (1 s + 60 s) the periodic announce is due.
    a.handle_timeout(secs(50));
    assert_eq!(drain(&mut a).len(), 5);
    a.handle_timeout(secs(61));
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    a.handle_input(secs(61), Input::OffersReady(vec![]));
    let out = drain(&mut a);
    assert_eq!(announce(&out[0]).tracker_id.as_deref(), Some("trk-1"));
    assert_eq!(announce(&out[0]).offers, Some(vec![]));
}

#[test]
fn numwant_zero_announces_without_offers() {
    let mut a = Announcer::new(config().with_numwant(0));
    drain(&mut a);
    a.handle_input(Millis::ZERO, Input::Connected);
    let out = drain(&mut a);
    let m = announce(&out[0]);
    assert_eq!(
        (m.event, m.numwant, m.offers.clone()),
        (Some(AnnounceEvent::Started), Some(0), None)
    );
}

#[test]
fn periodic_timer_skips_while_offers_are_being_made() {
    let mut a = Announcer::new(config());
    drain(&mut a);
    a.handle_input(Millis::ZERO, Input::Connected);
    drain(&mut a);
    a.handle_timeout(secs(30));
    assert_eq!(drain(&mut a), vec![]);
    assert_eq!(a.poll_timeout(), Some(secs(60)));
}

#[test]
fn want_peers_brings_the_announce_forward_within_the_min_interval() {
    // The tracker asks for 120 s between announces and allows 15 s at least.
    let mut a = started();
    a.handle_input(secs(1), response(Some(120), Some(15)));
    drain(&mut a);
    assert_eq!(
        a.poll_timeout(),
        Some(secs(50)),
        "offer expiry first, then 121 s"
    );
    // Peers lost at 5 s: not before 0 + 15 s.
    a.handle_input(secs(5), Input::WantPeers);
    assert_eq!(a.poll_timeout(), Some(secs(15)));
    a.handle_timeout(secs(15));
    assert_eq!(drain(&mut a), vec![Output::NeedOffers(5)]);
    a.handle_input(secs(15), Input::OffersReady(offers(6..=10)));
    assert_eq!(announce(&drain(&mut a)[0]).event, None);
    // Lost again long after the min interval: now, but never later than already planned.
    a.handle_input(secs(40), Input::WantPeers);
    assert_eq!(a.poll_timeout(), Some(secs(40)));
    a.handle_input(secs(41), Input::WantPeers);
    assert_eq!(a.poll_timeout(), Some(secs(40)), "never postponed");
}

#[test]
fn want_peers_uses_our_floor_without_a_tracker_min_interval_and_needs_a_socket() {
    let mut a = started();
    a.handle_input(secs(1), response(Some(300), None));
    a.handle_input(secs(2), Input::WantPeers);
    assert_eq!(
        a.poll_timeout(),
        Some(secs(10)),
        "config.min_interval = 10 s"
    );
    // Disconnected: nothing to bring forward (the reconnect announces anyway).
    let mut b = started();
    b.handle_input(secs(1), Input::Disconnected);
    let before = b.poll_timeout();
    b.handle_input(secs(2), Input::WantPeers);
    assert_eq!(b.poll_timeout(), before);
    assert!(drain(&mut b)
        .iter()
        .all(|o| !matches!(o, Output::NeedOffers(_))));
}
