//! The swarm shards behind their locks, and one connection's way into them.
//!
//! Each shard has its own `std` mutex (the critical sections never await) and, beside its swarms,
//! the send queues of the connections that have used it: everything a shard's message produces
//! for other connections goes to peers of that same shard, so the queue is found under the lock
//! already held. A connection registers its queue in a shard the first time it uses it and
//! removes it from each of those shards when it closes.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use tokio::sync::mpsc;
use tracker_proto::OutMessage;

use super::Shared;
use crate::swarm::{dispatch, ConnId, Connection, Out, Shard, ShardAccess, Tally};

/// One shard and the send queues (JSON text for each connection's task) of the connections that used it.
pub(crate) struct Slot {
    pub(crate) shard: Shard,
    senders: HashMap<ConnId, mpsc::Sender<String>>,
}

/// Every shard, each behind its own lock.
pub(crate) struct Shards(Box<[Mutex<Slot>]>);

impl Shards {
    pub(crate) fn new(shards: impl Iterator<Item = Shard>) -> Self {
        Self(
            shards
                .map(|shard| {
                    Mutex::new(Slot {
                        shard,
                        senders: HashMap::new(),
                    })
                })
                .collect(),
        )
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// Locks shard `index` (clamped to the last one).
    pub(crate) fn lock(&self, index: usize) -> MutexGuard<'_, Slot> {
        let last = self.0.len().saturating_sub(1);
        // A panic elsewhere must not take the tracker down with it: the shard stays usable.
        self.0[index.min(last)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Where one reply goes: our own socket, or another connection's queue.
pub(crate) enum Delivery {
    Mine(OutMessage),
    CloseMine,
    Other(mpsc::Sender<String>, OutMessage),
}

/// What one connection task keeps to reach the shards: its send queue (to register), the
/// shards it registered in, and reusable buffers.
pub(crate) struct Route {
    sender: mpsc::Sender<String>,
    registered: Vec<u64>,
    outs: Vec<Out>,
    pub(crate) deliveries: Vec<Delivery>,
}

impl Route {
    pub(crate) fn new(sender: mpsc::Sender<String>, shards: usize) -> Self {
        Self {
            sender,
            registered: vec![0; shards.div_ceil(64)],
            outs: Vec::new(),
            deliveries: Vec::new(),
        }
    }

    /// Runs one message of `connection` through the shards; the deliveries are left in
    /// `self.deliveries`.
    pub(crate) fn dispatch(
        &mut self,
        shared: &Shared,
        connection: &mut Connection,
        message: Result<tracker_proto::InMessage, tracker_proto::DecodeError>,
    ) {
        let now = shared.now();
        let mut access = Access {
            shared,
            route: self,
            conn: connection.id(),
        };
        dispatch::handle_message(&shared.swarm_config, connection, now, message, &mut access);
    }

    /// Answers a frame the state never sees (binary) with a failure, through the limits.
    pub(crate) fn reject(
        &mut self,
        shared: &Shared,
        connection: &mut Connection,
        kind: crate::ErrorKind,
        reason: &str,
    ) {
        let now = shared.now();
        let mut access = Access {
            shared,
            route: self,
            conn: connection.id(),
        };
        let config = &shared.swarm_config;
        dispatch::reject(
            config,
            connection,
            now,
            kind,
            reason.to_owned(),
            &mut access,
        );
    }

    /// The connection closed: it leaves every swarm, and its queue leaves every shard.
    pub(crate) fn close(&mut self, shared: &Shared, connection: &mut Connection) {
        let conn = connection.id();
        let mut access = Access {
            shared,
            route: self,
            conn,
        };
        dispatch::leave_all(connection, &mut access);
        self.deliveries.clear();
        for (word_index, word) in self.registered.iter().enumerate() {
            for bit in 0..64 {
                if word & (1 << bit) != 0 {
                    shared
                        .shards
                        .lock(word_index * 64 + bit)
                        .senders
                        .remove(&conn);
                }
            }
        }
        self.registered.fill(0);
    }
}

/// [`ShardAccess`] for one message of one connection.
struct Access<'a> {
    shared: &'a Shared,
    route: &'a mut Route,
    conn: ConnId,
}

impl ShardAccess for Access<'_> {
    fn shard_count(&self) -> usize {
        self.shared.shards.len()
    }

    fn with_shard<R>(&mut self, index: usize, f: impl FnOnce(&mut Shard, &mut Vec<Out>) -> R) -> R {
        let route = &mut *self.route;
        let mut slot = self.shared.shards.lock(index);
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if let Some(registered) = route.registered.get_mut(word) {
            if *registered & bit == 0 {
                *registered |= bit;
                slot.senders.insert(self.conn, route.sender.clone());
            }
        }
        let result = f(&mut slot.shard, &mut route.outs);
        // Serialization happens after the lock is released; here only the queues are looked up.
        for out in route.outs.drain(..) {
            match out {
                Out::Send(to, message) if to == self.conn => {
                    route.deliveries.push(Delivery::Mine(message));
                }
                Out::Close(to) if to == self.conn => route.deliveries.push(Delivery::CloseMine),
                Out::Send(to, message) => {
                    if let Some(tx) = slot.senders.get(&to) {
                        route.deliveries.push(Delivery::Other(tx.clone(), message));
                    }
                }
                // A shard closes no connection but the one whose message it handles.
                Out::Close(_) => {}
            }
        }
        result
    }

    fn to_self(&mut self, out: Out) {
        match out {
            Out::Send(_, message) => self.route.deliveries.push(Delivery::Mine(message)),
            Out::Close(_) => self.route.deliveries.push(Delivery::CloseMine),
        }
    }

    fn count(&mut self, tally: Tally) {
        self.shared.counters.tally(tally);
    }
}
