//! One WebSocket connection's task: read frames, run them through the state, write replies,
//! forward what other connections queued for us, and leave every swarm when it ends.

use std::{sync::atomic::Ordering, sync::Arc, time::Duration};

use futures_util::{SinkExt, StreamExt};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    sync::mpsc,
};
use tokio_tungstenite::{tungstenite::Message, WebSocketStream};
use tracker_proto::{DecodeError, InMessage};

use super::{
    shards::{Delivery, Route},
    text_message, Shared,
};
use crate::{metrics::ErrorKind, swarm::Connection};

/// Most queued messages written per wake-up before we go back to reading.
const BATCH: usize = 64;

enum Step {
    Continue,
    Stop,
}

pub(super) async fn run<S>(
    shared: Arc<Shared>,
    mut ws: WebSocketStream<S>,
    addr: std::net::SocketAddr,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let conn = shared.next_conn();
    let (tx, mut rx) = mpsc::channel(shared.config.limits.send_queue_len);
    let mut connection = Connection::new(conn, shared.now());
    let mut route = Route::new(tx, shared.shards.len());
    shared.open_ws.fetch_add(1, Ordering::Relaxed);
    shared.total_ws.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(conn = conn.0, %addr, "websocket open");

    let max_len = shared.config.limits.max_message_size;
    let idle = Duration::from_secs(shared.config.limits.idle_timeout_secs);
    let idle_timer = tokio::time::sleep(idle);
    tokio::pin!(idle_timer);
    let mut stop = shared.stop.clone();
    loop {
        let step = tokio::select! {
            _ = stop.changed() => Step::Stop,
            () = &mut idle_timer => Step::Stop,
            frame = ws.next() => match frame {
                None | Some(Ok(Message::Close(_))) => Step::Stop,
                Some(Err(err)) => {
                    tracing::debug!(conn = conn.0, %err, "websocket error");
                    shared.count(ErrorKind::Socket);
                    Step::Stop
                }
                Some(Ok(Message::Text(text))) => {
                    idle_timer.as_mut().reset(tokio::time::Instant::now() + idle);
                    let decoded = if text.len() > max_len {
                        Err(DecodeError::TooLarge { len: text.len(), max: max_len })
                    } else {
                        InMessage::from_json(&text)
                    };
                    route.dispatch(&shared, &mut connection, decoded);
                    deliver(&shared, &mut ws, &mut route.deliveries).await
                }
                Some(Ok(Message::Binary(_))) => {
                    idle_timer.as_mut().reset(tokio::time::Instant::now() + idle);
                    let reason = "binary frames are not tracker messages: send JSON text";
                    route.reject(&shared, &mut connection, ErrorKind::BinaryFrame, reason);
                    deliver(&shared, &mut ws, &mut route.deliveries).await
                }
                // Pings are answered by tungstenite itself on the next write or flush.
                Some(Ok(_)) => Step::Continue,
            },
            Some(item) = rx.recv() => forward(&mut ws, &mut rx, item).await,
        };
        if matches!(step, Step::Stop) {
            break;
        }
    }
    route.close(&shared, &mut connection);
    shared.open_ws.fetch_sub(1, Ordering::Relaxed);
    // A polite close, but never wait long for a client that does not read.
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    tracing::debug!(conn = conn.0, "websocket closed");
}

/// Writes our own replies (one flush) and queues the others'.
async fn deliver<S>(
    shared: &Shared,
    ws: &mut WebSocketStream<S>,
    deliveries: &mut Vec<Delivery>,
) -> Step
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut step = Step::Continue;
    let mut wrote = false;
    for delivery in deliveries.drain(..) {
        match delivery {
            Delivery::Mine(message) => {
                if ws.feed(text_message(&message)).await.is_err() {
                    step = Step::Stop;
                }
                wrote = true;
            }
            Delivery::CloseMine => step = Step::Stop,
            Delivery::Other(tx, message) => {
                if tx.try_send(message.to_json()).is_err() {
                    shared.count(ErrorKind::SendQueueFull);
                }
            }
        }
    }
    if wrote && ws.flush().await.is_err() {
        step = Step::Stop;
    }
    step
}

/// Writes a message another connection queued for us, and up to a batch more, then flushes.
async fn forward<S>(
    ws: &mut WebSocketStream<S>,
    rx: &mut mpsc::Receiver<String>,
    first: String,
) -> Step
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut item = Some(first);
    let mut written = 0;
    while let Some(text) = item.take() {
        if ws.feed(Message::text(text)).await.is_err() {
            return Step::Stop;
        }
        written += 1;
        if written < BATCH {
            item = rx.try_recv().ok();
        }
    }
    if ws.flush().await.is_err() {
        return Step::Stop;
    }
    Step::Continue
}
