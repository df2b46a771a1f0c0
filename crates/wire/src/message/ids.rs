//! Message ids and the BEP 6 fast-only rule.

/// Message ids.
pub mod id {
    /// `choke`
    pub const CHOKE: u8 = 0;
    /// `unchoke`
    pub const UNCHOKE: u8 = 1;
    /// `interested`
    pub const INTERESTED: u8 = 2;
    /// `not interested`
    pub const NOT_INTERESTED: u8 = 3;
    /// `have`
    pub const HAVE: u8 = 4;
    /// `bitfield`
    pub const BITFIELD: u8 = 5;
    /// `request`
    pub const REQUEST: u8 = 6;
    /// `piece`
    pub const PIECE: u8 = 7;
    /// `cancel`
    pub const CANCEL: u8 = 8;
    /// `port` (DHT)
    pub const PORT: u8 = 9;
    /// `suggest` (BEP 6)
    pub const SUGGEST: u8 = 0x0D;
    /// `have_all` (BEP 6)
    pub const HAVE_ALL: u8 = 0x0E;
    /// `have_none` (BEP 6)
    pub const HAVE_NONE: u8 = 0x0F;
    /// `reject_request` (BEP 6)
    pub const REJECT_REQUEST: u8 = 0x10;
    /// `allowed_fast` (BEP 6)
    pub const ALLOWED_FAST: u8 = 0x11;
    /// `extended` (BEP 10)
    pub const EXTENDED: u8 = 20;
}

/// True for the BEP 6 message ids (suggest, have_all, have_none, reject_request, allowed_fast).
/// Receiving one without negotiated fast extension is a protocol error (close the connection).
pub fn is_fast_only(id: u8) -> bool {
    matches!(id, id::SUGGEST..=id::ALLOWED_FAST)
}
