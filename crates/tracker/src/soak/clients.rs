//! The soak's clients: well-behaved ones that announce like WebTorrent and time each answer,
//! and abusive ones that misbehave in one of the [`Abuse`] ways and come back when thrown out.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{atomic::Ordering, Arc, PoisonError},
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use rand::{rngs::SmallRng, Rng, SeedableRng};
use tokio::{io::AsyncReadExt, net::TcpSocket, sync::watch};
use tokio_tungstenite::{client_async, tungstenite::Message, WebSocketStream};
use tracker_proto::{AnnounceEvent, Id20, InAnnounce, InMessage, InOffer, SessionDescription};

use super::{Abuse, Shared, SoakConfig};
use crate::load::{fake_sdp, pick_torrent};

type Socket = WebSocketStream<tokio::net::TcpStream>;

async fn tcp_from(server: SocketAddr, source: IpAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    match tokio::time::timeout(Duration::from_secs(10), socket.connect(server)).await {
        Ok(connected) => connected,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

async fn ws_from(url: &str, server: SocketAddr, source: IpAddr) -> Option<Socket> {
    let tcp = tcp_from(server, source).await.ok()?;
    let handshake = tokio::time::timeout(Duration::from_secs(10), client_async(url, tcp));
    Some(handshake.await.ok()?.ok()?.0)
}

fn announce(rng: &mut SmallRng, hash: Id20, peer_id: Id20, first: bool, sdp: &str) -> String {
    let offers = (0..5)
        .map(|_| InOffer {
            offer_id: Id20(rng.random()),
            offer: SessionDescription::offer(sdp.to_owned()),
        })
        .collect();
    InMessage::Announce(InAnnounce {
        info_hash: hash,
        peer_id,
        numwant: Some(5),
        uploaded: Some(0),
        downloaded: Some(0),
        left: Some(1_000_000),
        event: first.then_some(AnnounceEvent::Started),
        tracker_id: None,
        offers: Some(offers),
    })
    .to_json()
}

fn random_peer_id(rng: &mut SmallRng) -> Id20 {
    let mut id = *b"-SL0001-000000000000";
    rng.fill(&mut id[8..]);
    Id20(id)
}

pub(super) async fn normal(
    config: Arc<SoakConfig>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    server: SocketAddr,
    source: IpAddr,
    index: u64,
) {
    let mut rng = SmallRng::seed_from_u64(config.seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let sdp = fake_sdp("offer");
    let period = Duration::from_secs(config.announce_every_secs);
    while !*stop.borrow() {
        let Some(mut ws) = ws_from(&config.url, server, source).await else {
            shared
                .normal_connect_failures
                .fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        shared.normal_open.fetch_add(1, Ordering::Relaxed);
        let peer_id = random_peer_id(&mut rng);
        let hash = pick_torrent(&mut rng, config.torrents, 3.0);
        // Spread the clients' announces over the period.
        let mut next = Instant::now() + period.mul_f64(rng.random());
        let mut pending: Option<Instant> = None;
        let mut first = true;
        let ended = loop {
            let deadline = pending.map_or(next, |sent| sent + Duration::from_secs(5));
            let frame = tokio::select! {
                _ = stop.changed() => break false,
                _ = tokio::time::sleep_until(deadline.into()) => None,
                frame = ws.next() => Some(frame),
            };
            match frame {
                None if pending.is_some() => {
                    shared.late.fetch_add(1, Ordering::Relaxed);
                    pending = None;
                }
                None => {
                    let text = announce(&mut rng, hash, peer_id, first, &sdp);
                    if ws.send(Message::text(text)).await.is_err() {
                        break true;
                    }
                    first = false;
                    pending = Some(Instant::now());
                    next += period;
                }
                Some(Some(Ok(Message::Text(text)))) if text.contains("\"interval\"") => {
                    if let Some(sent) = pending.take() {
                        let us = sent.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        shared.answered.fetch_add(1, Ordering::Relaxed);
                        shared
                            .latencies
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(us);
                    }
                }
                Some(Some(Ok(_))) => {}
                Some(None | Some(Err(_))) => break true,
            }
        };
        shared.normal_open.fetch_sub(1, Ordering::Relaxed);
        if !ended {
            return;
        }
        shared.normal_dropped.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

pub(super) async fn abusive(
    config: Arc<SoakConfig>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    server: SocketAddr,
    source: IpAddr,
    kind: Abuse,
) {
    let kind_index = Abuse::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let mut rng = SmallRng::seed_from_u64(config.seed ^ (0xAB << 32) ^ kind_index as u64);
    while !*stop.borrow() {
        let misbehave = misbehave(&config, server, source, kind, &mut rng);
        tokio::select! {
            _ = stop.changed() => return,
            () = misbehave => {}
        }
        shared.abusive_ended.fetch_add(1, Ordering::Relaxed);
        shared.abusive_ended_by_kind[kind_index].fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One connection of an abusive client; returns when the tracker has ended it.
async fn misbehave(
    config: &SoakConfig,
    server: SocketAddr,
    source: IpAddr,
    kind: Abuse,
    rng: &mut SmallRng,
) {
    if kind == Abuse::Silent {
        let Ok(mut tcp) = tcp_from(server, source).await else {
            return;
        };
        // The tracker should close it once its handshake timeout passes.
        let mut byte = [0u8; 1];
        let _ = tcp.read(&mut byte).await;
        return;
    }
    let Some(ws) = ws_from(&config.url, server, source).await else {
        return;
    };
    let (mut tx, mut rx) = ws.split();
    let peer_id = random_peer_id(rng);
    let sdp = fake_sdp("offer");
    match kind {
        Abuse::Oversize => {
            let _ = tx.send(Message::text("x".repeat(1 << 20))).await;
            while let Some(Ok(_)) = rx.next().await {}
        }
        Abuse::SlowReader => {
            // Never polls `rx`: what the tracker sends stays in the socket buffers.
            let mut first = true;
            loop {
                let hash = pick_torrent(rng, config.torrents.min(10), 1.0);
                let text = announce(rng, hash, peer_id, first, &sdp);
                first = false;
                if tx.send(Message::text(text)).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
        Abuse::Malformed | Abuse::Flood => {
            let send = async {
                let mut first = true;
                loop {
                    let text = if kind == Abuse::Malformed {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        "{\"action\":\"announce\",\"info_hash\":".to_owned()
                    } else {
                        let hash = pick_torrent(rng, config.torrents, 3.0);
                        announce(rng, hash, peer_id, first, &sdp)
                    };
                    first = false;
                    if tx.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
            };
            let drain = async { while let Some(Ok(_)) = rx.next().await {} };
            tokio::select! {
                () = send => {}
                () = drain => {}
            }
        }
        Abuse::Silent => {}
    }
}
