//! Picking among several streaming servers: each is asked for its health as JSON
//! (`companion_api::Health`: load per core, free memory, the gateway's open streams) and the
//! round trip of that request is measured; [`rank`] orders them by a cost made of those, best
//! first. Servers that did not answer, answered something else, or run no gateway come last,
//! in the order the settings give (they are still tried: one may be back). With one server
//! nothing is asked.

use companion_api::{Health, HEALTH_PATH};
use futures_util::future::join_all;

use super::now_ms;
use crate::api::http;

/// How long a health answer may take; a server slower than this is no good pick anyway.
const PROBE_SECONDS: u32 = 3;
/// Largest health answer read.
const MAX_HEALTH: usize = 16 * 1024;
/// Below this much free memory a server is taken as nearly full.
const LOW_MEMORY: u64 = 256 << 20;

/// What one server said, and how long it took.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    pub(crate) server: String,
    /// `None`: no usable answer.
    pub(crate) health: Option<Health>,
    pub(crate) rtt_ms: f64,
}

/// The cost of a server that answered, in milliseconds of round trip: the round trip itself,
/// plus 250 ms per unit of load per core (capped at 4), 50 ms per open stream, and a second
/// when memory is low. Lower is better.
pub(crate) fn cost(p: &Probe) -> Option<f64> {
    let h = p.health.as_ref().filter(|h| h.ok && h.gateway)?;
    let load = h.load_per_core.unwrap_or(0.0).clamp(0.0, 4.0);
    let low_memory = h.free_memory_bytes.is_some_and(|m| m < LOW_MEMORY);
    Some(
        p.rtt_ms.max(0.0)
            + 250.0 * load
            + 50.0 * h.active_streams as f64
            + if low_memory { 1000.0 } else { 0.0 },
    )
}

/// The servers best first (see the module docs).
pub(crate) fn rank(probes: &[Probe]) -> Vec<String> {
    let mut scored: Vec<(usize, Option<f64>)> = probes
        .iter()
        .enumerate()
        .map(|(i, p)| (i, cost(p)))
        .collect();
    // Answered ones by cost, then the rest; ties and the rest keep the settings' order.
    vecmap::sort_by(&mut scored, |(ia, a), (ib, b)| match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(b).then(ia.cmp(ib)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => ia.cmp(ib),
    });
    scored
        .into_iter()
        .map(|(i, _)| probes[i].server.clone())
        .collect()
}

/// Asks every server at once; their order, best first, and one line on the pick.
pub(crate) async fn ranked(servers: &[String]) -> (Vec<String>, String) {
    if servers.len() < 2 {
        return (servers.to_vec(), String::new());
    }
    let probes = join_all(servers.iter().map(|s| probe(s))).await;
    let order = rank(&probes);
    let best = probes.iter().find(|p| Some(&p.server) == order.first());
    let why = match best.and_then(|p| cost(p).map(|c| (p, c))) {
        Some((p, c)) => format!(
            "best of {}: {:.0} ms round trip, cost {c:.0}",
            servers.len(),
            p.rtt_ms
        ),
        None => format!("none of {} answered its health", servers.len()),
    };
    (order, why)
}

/// Whether `server` still answers its health check as a working streaming server.
pub(crate) async fn answers(server: &str) -> bool {
    probe(server)
        .await
        .health
        .is_some_and(|h| h.ok && h.gateway)
}

async fn probe(server: &str) -> Probe {
    let url = format!("{}{HEALTH_PATH}", server.trim_end_matches('/'));
    let start = now_ms();
    let answer = http::get_accepting(&url, "application/json", PROBE_SECONDS, MAX_HEALTH).await;
    let rtt_ms = now_ms() - start;
    Probe {
        server: server.to_owned(),
        health: answer
            .ok()
            .and_then(|body| serde_json::from_slice::<Health>(&body).ok()),
        rtt_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn probe(server: &str, rtt_ms: f64, health: Option<(f64, u64, u64)>) -> Probe {
        Probe {
            server: server.to_owned(),
            health: health.map(|(load, streams, free)| Health {
                ok: true,
                load_per_core: Some(load),
                free_memory_bytes: Some(free),
                gateway: true,
                active_streams: streams,
                torrents: 0,
            }),
            rtt_ms,
        }
    }

    const GIB: u64 = 1 << 30;

    #[test]
    fn the_nearest_idle_server_goes_first_and_silent_ones_last_in_order() {
        let probes = [
            probe("a", 3000.0, None),
            probe("b", 80.0, Some((0.1, 0, GIB))),
            probe("c", 5.0, Some((0.1, 0, GIB))),
            probe("d", 3000.0, None),
        ];
        assert_eq!(rank(&probes), ["c", "b", "a", "d"]);
    }

    #[test]
    fn load_streams_and_low_memory_outweigh_a_short_round_trip() {
        let busy = probe("busy", 5.0, Some((2.0, 0, GIB)));
        let streaming = probe("streaming", 5.0, Some((0.0, 10, GIB)));
        let full = probe("full", 5.0, Some((0.0, 0, 100 << 20)));
        let far = probe("far", 120.0, Some((0.2, 1, GIB)));
        assert_eq!(
            rank(&[busy, streaming, full, far]),
            ["far", "busy", "streaming", "full"]
        );
    }

    #[test]
    fn a_server_without_a_gateway_or_not_ok_counts_as_silent() {
        let mut no_gateway = probe("plain", 1.0, Some((0.0, 0, GIB)));
        if let Some(h) = no_gateway.health.as_mut() {
            h.gateway = false;
        }
        let mut sick = probe("sick", 1.0, Some((0.0, 0, GIB)));
        if let Some(h) = sick.health.as_mut() {
            h.ok = false;
        }
        let fine = probe("fine", 400.0, Some((1.0, 3, GIB)));
        assert_eq!(rank(&[no_gateway, sick, fine]), ["fine", "plain", "sick"]);
        // A load the host reported wrongly (huge) is capped, not trusted.
        assert_eq!(cost(&probe("x", 0.0, Some((1e9, 0, GIB)))), Some(1000.0));
    }
}
