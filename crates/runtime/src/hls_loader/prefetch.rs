//! Prefetching from peers: while the buffer is healthy, the tagged segments right after the
//! one hls.js asked for (at most [`MAX_AHEAD`]) are asked of the channel's peers ahead of
//! time. Only peers, never HTTP: the segment's session downloads it from the peers that have
//! it, its engine verifying every piece against the tag, and keeps it; when hls.js asks for it
//! the loader reads it from that session (verified once more) at once.
//!
//! A prefetch is abandoned, its session dropped (its data channels close, so peers stop
//! sending), when hls.js asks for something else (a seek, another rendition) or the buffer
//! runs low (the bandwidth goes to what is needed now). Bans of peers that sent a bad piece
//! during a prefetch are acted on here as in the loader ([`HlsSwarm::ban_liars`]).

use std::rc::Rc;

use gloo::timers::future::TimeoutFuture;
use hls::{Policy, SegmentTag};

use super::{
    channel::HlsChannel,
    peers::{HlsSwarm, SegmentSwarm},
};

/// Most segments prefetched after the one asked for.
const MAX_AHEAD: u64 = 2;
/// How often a prefetch looks at its segment, the buffer and what hls.js asks for, ms.
const POLL_MS: u32 = 100;

/// hls.js just asked for the segment at `url`: prefetch the next ones from peers if the
/// buffer is healthy and the channel has peers.
pub(crate) fn ahead(channel: &HlsChannel, url: &str) {
    let Some(known) = channel.segment(url) else {
        return;
    };
    if !healthy(channel, known.duration_ms) {
        return;
    }
    let Some(swarm) = channel.state.borrow().swarm.clone() else {
        return;
    };
    if swarm.open_peers() == 0 {
        return;
    }
    for (next, sequence, tag) in channel.tagged_after(url, MAX_AHEAD) {
        let Some(seg) = swarm.segment(&next, &tag) else {
            continue;
        };
        if seg.complete() || !seg.start_prefetch() {
            continue;
        }
        let (channel, swarm) = (channel.clone(), Rc::clone(&swarm));
        let from = known.sequence;
        let duration_ms = known.duration_ms;
        wasm_bindgen_futures::spawn_local(async move {
            let why = run(&channel, &swarm, &seg, &tag, from, sequence, duration_ms).await;
            seg.end_prefetch();
            trace(&next, why);
        });
    }
}

/// Whether the buffer holds enough to spend bandwidth on later segments.
fn healthy(channel: &HlsChannel, segment_ms: u64) -> bool {
    let (buffer_ahead_ms, playing) = channel.buffer();
    playing && Policy::default().prefetch_count(buffer_ahead_ms, segment_ms) > 0
}

/// Runs one prefetch until its segment is whole, hls.js asks for it (the loader takes over
/// the same session), or it is abandoned. Says how it ended.
async fn run(
    channel: &HlsChannel,
    swarm: &HlsSwarm,
    seg: &SegmentSwarm,
    tag: &SegmentTag,
    from: u64,
    target: u64,
    segment_ms: u64,
) -> &'static str {
    let Some((playlist, _)) = channel.asked() else {
        return "nothing asked";
    };
    let mut asked_any = false;
    loop {
        swarm.ban_liars(seg);
        if seg.complete() {
            swarm.credit_senders(seg);
            return "whole from peers";
        }
        let asked = channel.asked();
        match asked {
            Some((p, s)) if p == playlist && s == target => return "asked for by hls.js",
            Some((p, s)) if p == playlist && (from..target).contains(&s) => {}
            _ => {
                swarm.forget(tag.info_hash);
                return "abandoned: hls.js asked for something else";
            }
        }
        if !healthy(channel, segment_ms) {
            swarm.forget(tag.info_hash);
            return "abandoned: the buffer ran low";
        }
        let linked = swarm.ask(seg, tag);
        if linked > 0 {
            asked_any = true;
        } else if asked_any {
            // Every peer closed its channel: none lists it yet. The loader asks again
            // when hls.js wants it.
            swarm.forget(tag.info_hash);
            return "abandoned: no peer knows it yet";
        }
        TimeoutFuture::new(POLL_MS).await;
    }
}

/// One line at the console's debug level per prefetch.
fn trace(url: &str, why: &str) {
    let line = format!("Shoal HLS prefetch {}: {why}", hls::segment_name(url));
    web_sys::console::debug_1(&line.into());
}
