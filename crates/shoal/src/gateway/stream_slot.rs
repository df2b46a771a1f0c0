//! Concurrent streams per client address (`per_ip_streams`): a slot is taken for each `/stream`
//! response and freed when the response is dropped; it also tells the disk cap the torrent is
//! being streamed.

use std::{
    net::IpAddr,
    sync::{atomic::Ordering, Arc},
};

use super::{disk_cap, Gateway};

impl Gateway {
    /// Takes a stream slot for `ip` reading the torrent of `usage`; `None` at the per-address
    /// limit.
    pub(crate) fn stream_slot(
        self: &Arc<Self>,
        ip: IpAddr,
        usage: &Arc<disk_cap::Usage>,
    ) -> Option<StreamSlot> {
        let mut map = self
            .streams_per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if *n >= self.cfg.per_ip_streams {
            return None;
        }
        *n += 1;
        self.figures.streams.fetch_add(1, Ordering::Relaxed);
        usage.opened(self.now_ms());
        Some(StreamSlot {
            gateway: Arc::clone(self),
            ip,
            usage: Arc::clone(usage),
        })
    }
}

/// One open stream of a client address; freed when dropped.
pub(crate) struct StreamSlot {
    gateway: Arc<Gateway>,
    ip: IpAddr,
    usage: Arc<disk_cap::Usage>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut map = self
            .gateway
            .streams_per_ip
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
        self.gateway.figures.streams.fetch_sub(1, Ordering::Relaxed);
        self.usage.closed(self.gateway.now_ms());
    }
}
