//! A segment from other viewers, within the time budget: the segment's session reads it from
//! the peers that have it (its engine verifies every piece against the tag; the loader checks
//! each released piece once more with a [`SegmentVerifier`] before hls.js sees it), while
//! [`SegmentBudget`] judges whether HTTP must take over the missing remainder.

use std::{cell::Cell, rc::Rc};

use gloo::timers::future::TimeoutFuture;
use hls::{
    Conditions, Outcome, PeerWatch, Policy, SegmentBudget, SegmentTag, SegmentVerifier, Source,
};
use session::Read;

use super::{
    channel::HlsChannel,
    peers::{HlsSwarm, SegmentSwarm},
};

/// How often the loader looks at the segment's session and the budget, ms.
const POLL_MS: u32 = 40;

/// The budget's knobs for one segment. When no peer has the segment yet, viewers at the live
/// edge would all wait for each other and then all fetch it over HTTP; a random wait before
/// the peers are judged (0.3–1.2 s) lets one of them fetch it first and the others take it
/// from that one.
fn policy() -> Policy {
    Policy {
        peer_judge_after_ms: 300 + (js_sys::Math::random() * 900.0) as u64,
        ..Policy::default()
    }
}

/// The channel's swarm and the session of the segment at `url`, when peers are in use.
pub(crate) fn segment_swarm(
    channel: &HlsChannel,
    url: &str,
    tag: &SegmentTag,
) -> Option<(Rc<HlsSwarm>, Rc<SegmentSwarm>)> {
    let swarm = channel.state.borrow().swarm.clone()?;
    let seg = swarm.segment(url, tag)?;
    Some((swarm, seg))
}

/// Reads the segment from peers into `body` (verified bytes only, in order) until it is whole,
/// the budget hands over to HTTP, no peer is left, or the request is over. `on_bytes` sees
/// each verified run as it is added. Returns the bytes that came from peers; `verifier` then
/// stands at the first missing byte (where an HTTP `Range` resumes).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn from_peers(
    channel: &HlsChannel,
    swarm: &HlsSwarm,
    seg: &SegmentSwarm,
    url: &str,
    tag: &SegmentTag,
    verifier: &mut SegmentVerifier,
    body: &mut Vec<u8>,
    over: &Rc<Cell<bool>>,
    mut on_bytes: impl FnMut(&[u8]),
) -> u64 {
    let linked = swarm.ask(seg, tag);
    // Peers that let an earlier segment down are asked too, but not waited on.
    let mut watch = PeerWatch::new();
    let now = crate::now();
    watch.observe(now, 0, seg.peer_states(swarm), &swarm.strikes.borrow());
    let peers = watch.waited_on();
    let benched = swarm.strikes.borrow().benched(now);
    // A viewer that just joined has no connection open yet: the ones on their way get the
    // same chance within the same deadline (they are asked as they open).
    let coming = if linked == 0 { swarm.coming() } else { 0 };
    let (buffer_ahead_ms, playing) = channel.buffer();
    let conditions = Conditions {
        buffer_ahead_ms,
        playing,
        length: tag.length,
        peers_with_segment: peers,
        peers_coming: coming,
        http: channel.http_estimate(),
    };
    let policy = policy();
    let mut budget = SegmentBudget::start(policy, now, &conditions);
    let name = hls::segment_name(url);
    if matches!(budget.source(), Source::Http { .. }) {
        // Nothing is waited for, but the start of the segment its session holds already (a
        // prefetch that peers stopped feeding) is used: HTTP resumes after it.
        let got = held_start(seg, tag, verifier, body, &mut on_bytes);
        let why = if got > 0 {
            "HTTP at once after the start already held"
        } else {
            "HTTP at once"
        };
        trace(name, why, &conditions, benched, 0, got);
        return got;
    }
    let Some(reader) = seg.cell.with(|s, p| s.open_reader(now, 0, tag.length, p)) else {
        return 0;
    };
    let mut got = 0u64;
    let mut outcome = Outcome::Abandoned;
    let mut why = if seg.complete() {
        "whole from peers, held before it was asked for (prefetched)"
    } else {
        "whole from peers"
    };
    loop {
        match drain(seg, reader, verifier, body, &mut on_bytes) {
            Ok(n) => got += n,
            Err(n) => {
                got += n;
                // The engine checked these already; disagreeing means something is wrong
                // here: take nothing more from peers for this segment.
                why = "a piece disagreed with the tag";
                break;
            }
        }
        if verifier.is_complete() || over.get() {
            break;
        }
        swarm.ban_liars(seg);
        // Channel peers that opened since: asked too.
        let linked = swarm.ask(seg, tag);
        let coming = if linked == 0 { swarm.coming() } else { 0 };
        let mut view = watch.observe(
            crate::now(),
            verifier.verified(),
            seg.peer_states(swarm),
            &swarm.strikes.borrow(),
        );
        view.unheard += coming;
        let switch = budget.poll(
            crate::now(),
            verifier.verified(),
            tag.length,
            channel.http_estimate(),
            view,
        );
        if switch.is_some() {
            why = "the budget handed over to HTTP";
            outcome = Outcome::HandedOver;
            break;
        }
        if linked == 0 && coming == 0 {
            // Every peer asked closed the channel: none of them knows the segment yet (its
            // playlist is behind ours), so this viewer fetches it first.
            why = "no peer knows it";
            break;
        }
        TimeoutFuture::new(POLL_MS).await;
    }
    swarm.ban_liars(seg);
    let end = crate::now();
    if verifier.is_complete() {
        outcome = Outcome::Complete;
    }
    // Who let this segment down is not waited on for the next ones; who sent is again.
    watch.observe(
        end,
        verifier.verified(),
        seg.peer_states(swarm),
        &swarm.strikes.borrow(),
    );
    {
        let mut strikes = swarm.strikes.borrow_mut();
        for (id, turn) in watch.turns(end, outcome, policy.peer_judge_after_ms) {
            strikes.record(end, id, turn);
        }
    }
    seg.cell.with(|s, p| s.close_reader(end, reader, p));
    verifier.rewind_partial();
    trace(name, why, &conditions, benched, end.since(now), got);
    got
}

/// The verified start of the segment that its session already holds, read into `body` without
/// waiting for anything. A reader is opened only when the first piece is there (opening one
/// asks peers for what it lacks). Returns the bytes added.
fn held_start(
    seg: &SegmentSwarm,
    tag: &SegmentTag,
    verifier: &mut SegmentVerifier,
    body: &mut Vec<u8>,
    on_bytes: &mut impl FnMut(&[u8]),
) -> u64 {
    if !seg.cell.session().engine().has_piece(0) {
        return 0;
    }
    let now = crate::now();
    let Some(reader) = seg.cell.with(|s, p| s.open_reader(now, 0, tag.length, p)) else {
        return 0;
    };
    let got = match drain(seg, reader, verifier, body, on_bytes) {
        Ok(got) | Err(got) => got,
    };
    seg.cell
        .with(|s, p| s.close_reader(crate::now(), reader, p));
    verifier.rewind_partial();
    got
}

/// Moves every chunk the reader has now through `verifier` into `body`; `on_bytes` sees each
/// verified run. The bytes added, as `Err` when a piece disagreed with the tag (the engine
/// checked it already, so something is wrong here: nothing more is taken from peers).
fn drain(
    seg: &SegmentSwarm,
    reader: swarm::ReaderId,
    verifier: &mut SegmentVerifier,
    body: &mut Vec<u8>,
    on_bytes: &mut impl FnMut(&[u8]),
) -> Result<u64, u64> {
    let mut got = 0u64;
    loop {
        let read = seg.cell.with(|s, p| s.read(crate::now(), reader, p));
        let Some(Read::Chunk(chunk)) = read else {
            return Ok(got);
        };
        let pushed = verifier.push(&chunk);
        if let Some(released) = pushed.released {
            // These pieces are the engine's own: nothing to offer back. Appended to the body
            // piece by piece (no buffer of their own), then reported as one run.
            let from = body.len();
            for piece in released.bytes() {
                body.extend_from_slice(piece);
            }
            got += (body.len() - from) as u64;
            on_bytes(&body[from..]);
        }
        if pushed.mismatch.is_some() {
            return Err(got);
        }
    }
}

/// One line per segment at the console's debug level: where its bytes came from and why.
fn trace(name: &str, why: &str, c: &Conditions, benched: usize, waited_ms: u64, got: u64) {
    let line = format!(
        "Shoal HLS {name}: {why} ({got} B from peers after {waited_ms} ms; {} peers asked, \
         {} coming, {benched} benched, buffer {} ms, playing {})",
        c.peers_with_segment, c.peers_coming, c.buffer_ahead_ms, c.playing
    );
    web_sys::console::debug_1(&line.into());
}

/// Offers the pieces of a segment the loader verified against `tag` to the channel's viewers:
/// they go into the segment's session as verified (hashed once, by the loader's
/// [`SegmentVerifier`]), which tells its peers (`have`) and serves them.
pub(crate) fn offer(
    channel: &HlsChannel,
    url: &str,
    tag: &SegmentTag,
    pieces: Vec<(u32, swarm::HashedPiece)>,
) {
    if pieces.is_empty() {
        return;
    }
    let Some((_, seg)) = segment_swarm(channel, url, tag) else {
        return;
    };
    if seg.complete() {
        return;
    }
    seg.import(pieces);
}
