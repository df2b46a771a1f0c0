//! Hostile peers: honest engines whose outgoing bytes the simulator mangles on the wire, so the
//! engines under test face real protocol bytes.

use serde::Serialize;

/// How a hostile peer misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hostile {
    /// Has everything, flips a byte in every block it sends.
    Corrupt,
    /// Has nothing but claims `have_all`, and never answers (its rejects are dropped).
    LyingBitfield,
    /// Has everything, takes requests and never answers them.
    NeverAnswer,
    /// Sends a message whose length prefix claims 1 GiB.
    Oversized,
    /// Has everything and disconnects after a few blocks, in the middle of a piece.
    DisconnectMidPiece,
}

impl Hostile {
    /// Kinds used in order for `--hostile N`.
    pub const ALL: [Self; 5] = [
        Self::Corrupt,
        Self::LyingBitfield,
        Self::NeverAnswer,
        Self::Oversized,
        Self::DisconnectMidPiece,
    ];

    /// Whether the node starts with all the data (everything but the liar).
    pub fn has_data(self) -> bool {
        self != Self::LyingBitfield
    }
}

/// Per-connection state of the mangling.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkState {
    handshake_seen: bool,
    blocks_sent: u32,
    injected: bool,
}

/// Blocks a `DisconnectMidPiece` peer sends on a connection before it drops it.
const BLOCKS_BEFORE_DROP: u32 = 3;

/// Rewrites one `Send` of a hostile engine. `None`: the hostile peer drops the connection.
pub(crate) fn mangle(kind: Hostile, st: &mut LinkState, bytes: Vec<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    if !st.handshake_seen && rest.len() >= wire::HANDSHAKE_LEN {
        out.extend_from_slice(&rest[..wire::HANDSHAKE_LEN]);
        rest = &rest[wire::HANDSHAKE_LEN..];
        st.handshake_seen = true;
    }
    // The engine only emits whole messages, so this walk never splits one.
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(msg) = rest.get(..4 + len) else {
            break;
        };
        rest = &rest[4 + len..];
        let id = msg.get(4).copied();
        let mut msg = msg.to_vec();
        match (kind, id) {
            (Hostile::Corrupt, Some(wire::id::PIECE)) if msg.len() > 13 => {
                if let Some(b) = msg.last_mut() {
                    *b ^= 0x5a;
                }
            }
            (Hostile::LyingBitfield, Some(wire::id::HAVE_NONE)) => msg[4] = wire::id::HAVE_ALL,
            (Hostile::LyingBitfield, Some(wire::id::REJECT_REQUEST)) => continue,
            (Hostile::NeverAnswer, Some(wire::id::PIECE | wire::id::REJECT_REQUEST)) => continue,
            (Hostile::DisconnectMidPiece, Some(wire::id::PIECE)) => {
                if st.blocks_sent >= BLOCKS_BEFORE_DROP {
                    return None;
                }
                st.blocks_sent += 1;
            }
            _ => {}
        }
        out.extend_from_slice(&msg);
    }
    if kind == Hostile::Oversized && st.handshake_seen && !st.injected {
        st.injected = true;
        out.extend_from_slice(&(1u32 << 30).to_be_bytes());
        out.push(wire::id::PIECE);
    }
    Some(out)
}
