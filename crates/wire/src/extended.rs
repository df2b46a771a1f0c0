//! BEP 10 extension protocol: the extended handshake and our extension registry.
//!
//! Each side lists the extensions it understands in `m` (name → message id it wants to *receive*
//! that extension on). So incoming extended messages carry **our** ids
//! ([`Extension::from_local_id`]) and outgoing ones must use the **remote's** ids
//! ([`ExtendedHandshake::remote_id`]). An id of 0 means "disabled".
//!
//! Decoding is lenient the way WebTorrent is: unknown keys are ignored, and a known key with the
//! wrong type or an out-of-range value is treated as absent (e.g. a `metadata_size` above
//! 10,000,000 — WebTorrent then does not fetch metadata from that peer but keeps the connection).
//! It is bounded: the payload goes through [`bencode::Limits::small`] and `m` may hold at most
//! [`MAX_EXTENSIONS`] entries.

use vecmap::VecMap;

use bencode::{Dict, Value};

use crate::{error::ExtensionError, ut_metadata::MAX_METADATA_SIZE};

/// Most entries accepted in a remote `m` dictionary (ids are one byte, so 255 is the useful
/// maximum; real clients list fewer than a dozen).
pub const MAX_EXTENSIONS: usize = 128;

/// The extensions we implement, with the ids we advertise (the ones WebTorrent uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Extension {
    /// BEP 9 metadata exchange, our id 1.
    UtMetadata,
    /// `lt_donthave`, our id 2.
    LtDonthave,
    /// BEP 11 peer exchange, our id 3 (advertised only where peers have addresses to dial:
    /// TCP, not WebRTC).
    UtPex,
}

impl Extension {
    /// Every extension we advertise.
    pub const ALL: [Self; 3] = [Self::UtMetadata, Self::LtDonthave, Self::UtPex];

    /// The name used as the key in `m`.
    pub fn name(self) -> &'static str {
        match self {
            Self::UtMetadata => "ut_metadata",
            Self::LtDonthave => "lt_donthave",
            Self::UtPex => "ut_pex",
        }
    }

    /// The id we advertise, i.e. the id the remote uses when sending this extension to us.
    pub fn local_id(self) -> u8 {
        match self {
            Self::UtMetadata => 1,
            Self::LtDonthave => 2,
            Self::UtPex => 3,
        }
    }

    /// Which of our extensions an incoming extended message id (≠ 0) belongs to.
    pub fn from_local_id(id: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.local_id() == id)
    }

    /// The extension with this `m` name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// The extended handshake (extended message id 0).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtendedHandshake {
    /// Extension name → id the sender receives it on (0 = disabled).
    pub m: VecMap<String, u8>,
    /// Size in bytes of the info dict, from a peer that has the metadata (1..=10,000,000).
    pub metadata_size: Option<u64>,
    /// How many outstanding requests the sender accepts; cap our pipeline to it.
    pub reqq: Option<u32>,
    /// Client name and version (not UTF-8 is decoded lossily).
    pub v: Option<String>,
    /// The sender's listen port (meaningless over WebRTC).
    pub p: Option<u16>,
    /// Our address as the sender sees it (4 or 16 bytes).
    pub yourip: Option<Vec<u8>>,
}

impl ExtendedHandshake {
    /// Our handshake: `m = {ut_metadata: 1, lt_donthave: 2}` (and `ut_pex: 3` with `pex`) and
    /// `metadata_size` once we have the metadata. Like WebTorrent's, no `v`, `reqq`, `p`
    /// or `yourip` (the engine adds `reqq`, and `p` when TCP peers can dial it).
    pub fn ours(metadata_size: Option<u64>, pex: bool) -> Self {
        Self {
            m: Extension::ALL
                .into_iter()
                .filter(|e| pex || *e != Extension::UtPex)
                .map(|e| (e.name().to_owned(), e.local_id()))
                .collect(),
            metadata_size,
            ..Self::default()
        }
    }

    /// The id to use when sending `ext` to the peer that sent this handshake (`None` if the peer
    /// does not support it or disabled it).
    pub fn remote_id(&self, ext: Extension) -> Option<u8> {
        self.m.get(ext.name()).copied().filter(|&id| id != 0)
    }

    /// Decodes the payload of an extended message with id 0.
    pub fn decode(payload: &[u8]) -> Result<Self, ExtensionError> {
        let value = bencode::decode(payload, &bencode::Limits::small())?;
        let dict = value.as_dict().ok_or(ExtensionError::NotADict)?;
        let mut hs = Self::default();
        if let Some(m) = dict.get(b"m").and_then(Value::as_dict) {
            if m.len() > MAX_EXTENSIONS {
                return Err(ExtensionError::TooManyExtensions {
                    count: m.len(),
                    max: MAX_EXTENSIONS,
                });
            }
            for (name, id) in m.iter() {
                let name = std::str::from_utf8(name).ok();
                let id = id.as_int().and_then(|i| u8::try_from(i).ok());
                if let (Some(name), Some(id)) = (name, id) {
                    hs.m.insert(name.to_owned(), id);
                }
            }
        }
        let int = |key: &[u8]| dict.get(key).and_then(Value::as_int);
        hs.metadata_size = int(b"metadata_size")
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| (1..=MAX_METADATA_SIZE).contains(&n));
        hs.reqq = int(b"reqq").and_then(|n| u32::try_from(n).ok());
        hs.p = int(b"p").and_then(|n| u16::try_from(n).ok());
        hs.v = dict
            .get(b"v")
            .and_then(Value::as_bytes)
            .map(|b| String::from_utf8_lossy(b).into_owned());
        hs.yourip = dict
            .get(b"yourip")
            .and_then(Value::as_bytes)
            .filter(|b| b.len() == 4 || b.len() == 16)
            .map(<[u8]>::to_vec);
        Ok(hs)
    }

    /// Appends the canonical bencoding (keys sorted) of this handshake to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut m = Dict::new();
        for (name, id) in &self.m {
            m.insert(name.as_bytes(), Value::Int(i64::from(*id)));
        }
        let mut dict = Dict::new();
        dict.insert(b"m", Value::Dict(m));
        if let Some(n) = self.metadata_size {
            dict.insert(b"metadata_size", Value::Int(saturating_i64(n)));
        }
        if let Some(p) = self.p {
            dict.insert(b"p", Value::Int(i64::from(p)));
        }
        if let Some(n) = self.reqq {
            dict.insert(b"reqq", Value::Int(i64::from(n)));
        }
        if let Some(v) = &self.v {
            dict.insert(b"v", Value::Bytes(v.as_bytes()));
        }
        if let Some(ip) = &self.yourip {
            dict.insert(b"yourip", Value::Bytes(ip));
        }
        out.extend_from_slice(&bencode::encode(&Value::Dict(dict)));
    }

    /// The canonical bencoding as a new vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

pub(crate) fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn ours_matches_webtorrent_bytes() {
        // What WebTorrent 3.0.21 sends before / after it has the metadata (captured).
        assert_eq!(
            ExtendedHandshake::ours(None, false).to_vec(),
            b"d1:md11:lt_donthavei2e11:ut_metadatai1eee"
        );
        assert_eq!(
            ExtendedHandshake::ours(Some(20555), false).to_vec(),
            b"d1:md11:lt_donthavei2e11:ut_metadatai1ee13:metadata_sizei20555ee".as_slice()
        );
        // Over TCP, peer exchange too.
        assert_eq!(
            ExtendedHandshake::ours(None, true).to_vec(),
            b"d1:md11:lt_donthavei2e11:ut_metadatai1e6:ut_pexi3eee"
        );
    }

    #[test]
    fn decodes_leniently() {
        let payload = b"d1:md3:badi300e11:lt_donthavei0e3:negi-1e11:ut_metadatai1e6:ut_pexi3ee\
            13:metadata_sizei20000000e1:pi6881e4:reqqi250e7:unknownli1ei2ee\
            1:v13:qBittorrent 56:yourip4:\x7f\0\0\x01e";
        let hs = ExtendedHandshake::decode(payload).unwrap();
        assert_eq!(hs.m.len(), 3);
        assert_eq!(hs.remote_id(Extension::UtMetadata), Some(1));
        assert_eq!(hs.remote_id(Extension::LtDonthave), None); // 0 = disabled
        assert_eq!(hs.m.get("ut_pex"), Some(&3));
        assert_eq!(hs.metadata_size, None); // above WebTorrent's 10,000,000 cap
        assert_eq!(hs.reqq, Some(250));
        assert_eq!(hs.p, Some(6881));
        assert_eq!(hs.v.as_deref(), Some("qBittorrent 5"));
        assert_eq!(hs.yourip.as_deref(), Some(&[127, 0, 0, 1][..]));
    }

    #[test]
    fn rejects_non_dicts_and_huge_m() {
        assert_eq!(
            ExtendedHandshake::decode(b"i1e"),
            Err(ExtensionError::NotADict)
        );
        assert!(matches!(
            ExtendedHandshake::decode(b"d1:m"),
            Err(ExtensionError::Bencode(_))
        ));
        let mut m = Dict::new();
        let names: Vec<String> = (0..200).map(|i| format!("x{i:03}")).collect();
        for n in &names {
            m.insert(n.as_bytes(), Value::Int(1));
        }
        let mut d = Dict::new();
        d.insert(b"m", Value::Dict(m));
        let bytes = bencode::encode(&Value::Dict(d));
        assert_eq!(
            ExtendedHandshake::decode(&bytes),
            Err(ExtensionError::TooManyExtensions {
                count: 200,
                max: MAX_EXTENSIONS
            })
        );
    }

    #[test]
    fn registry_ids() {
        assert_eq!(Extension::from_local_id(1), Some(Extension::UtMetadata));
        assert_eq!(Extension::from_local_id(2), Some(Extension::LtDonthave));
        assert_eq!(Extension::from_local_id(0), None);
        assert_eq!(
            Extension::from_name("lt_donthave"),
            Some(Extension::LtDonthave)
        );
        // A Node peer adds ut_pex, shifting ids: always use the remote's m for sending.
        let node =
            ExtendedHandshake::decode(b"d1:md11:lt_donthavei3e11:ut_metadatai2e6:ut_pexi1eee")
                .unwrap();
        assert_eq!(node.remote_id(Extension::UtMetadata), Some(2));
        assert_eq!(node.remote_id(Extension::LtDonthave), Some(3));
    }
}
