//! Property tests (native only): every message type round-trips, re-chunking a stream does not
//! change what is decoded, and arbitrary bytes never panic a decoder.

use metainfo::{InfoHash, PeerId};
use proptest::{collection::vec, prelude::*};

use crate::*;

/// An owned message from which a borrowed [`Message`] is built.
#[derive(Debug, Clone)]
enum Owned {
    Simple(u8),
    Have(u32),
    Bitfield(Vec<u8>),
    Request(BlockInfo),
    Piece(u32, u32, Vec<u8>),
    Cancel(BlockInfo),
    Port(u16),
    Suggest(u32),
    Reject(BlockInfo),
    AllowedFast(u32),
    Extended(u8, Vec<u8>),
    Unknown(u8, u32),
}

impl Owned {
    fn msg(&self) -> Message<'_> {
        match self {
            Self::Simple(0) => Message::KeepAlive,
            Self::Simple(1) => Message::Choke,
            Self::Simple(2) => Message::Unchoke,
            Self::Simple(3) => Message::Interested,
            Self::Simple(4) => Message::NotInterested,
            Self::Simple(5) => Message::HaveAll,
            Self::Simple(_) => Message::HaveNone,
            Self::Have(n) => Message::Have(*n),
            Self::Bitfield(b) => Message::Bitfield(b),
            Self::Request(b) => Message::Request(*b),
            Self::Piece(index, begin, block) => Message::Piece {
                index: *index,
                begin: *begin,
                block,
            },
            Self::Cancel(b) => Message::Cancel(*b),
            Self::Port(p) => Message::Port(*p),
            Self::Suggest(n) => Message::Suggest(*n),
            Self::Reject(b) => Message::RejectRequest(*b),
            Self::AllowedFast(n) => Message::AllowedFast(*n),
            Self::Extended(id, p) => Message::Extended {
                id: *id,
                payload: p,
            },
            Self::Unknown(id, len) => Message::Unknown { id: *id, len: *len },
        }
    }
}

fn block_info(max_len: u32) -> impl Strategy<Value = BlockInfo> {
    (any::<u32>(), any::<u32>(), 0..=max_len).prop_map(|(index, begin, length)| BlockInfo {
        index,
        begin,
        length,
    })
}

fn owned() -> impl Strategy<Value = Owned> {
    let unknown_id =
        any::<u8>().prop_filter("unknown id", |id| !matches!(id, 0..=9 | 13..=17 | 20));
    prop_oneof![
        (0u8..7).prop_map(Owned::Simple),
        any::<u32>().prop_map(Owned::Have),
        vec(any::<u8>(), 0..300).prop_map(Owned::Bitfield),
        block_info(128 * 1024).prop_map(Owned::Request),
        (any::<u32>(), any::<u32>(), vec(any::<u8>(), 0..600))
            .prop_map(|(i, b, d)| Owned::Piece(i, b, d)),
        block_info(u32::MAX).prop_map(Owned::Cancel),
        any::<u16>().prop_map(Owned::Port),
        any::<u32>().prop_map(Owned::Suggest),
        block_info(u32::MAX).prop_map(Owned::Reject),
        any::<u32>().prop_map(Owned::AllowedFast),
        (any::<u8>(), vec(any::<u8>(), 0..300)).prop_map(|(id, p)| Owned::Extended(id, p)),
        (unknown_id, 0u32..200).prop_map(|(id, len)| Owned::Unknown(id, len)),
    ]
}

fn split_points(len: usize, cuts: &[usize]) -> Vec<usize> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
    points.push(0);
    points.push(len);
    points.sort_unstable();
    points.dedup();
    points
}

fn extended_handshake() -> impl Strategy<Value = ExtendedHandshake> {
    (
        proptest::collection::btree_map("[a-z_]{1,12}", any::<u8>(), 0..8),
        proptest::option::of(1..=MAX_METADATA_SIZE),
        proptest::option::of(any::<u32>()),
        proptest::option::of("[ -~]{0,20}"),
        proptest::option::of(any::<u16>()),
        proptest::option::of(prop_oneof![vec(any::<u8>(), 4), vec(any::<u8>(), 16)]),
    )
        .prop_map(|(m, metadata_size, reqq, v, p, yourip)| ExtendedHandshake {
            m: m.into_iter().collect::<vecmap::VecMap<_, _>>(),
            metadata_size,
            reqq,
            v,
            p,
            yourip,
        })
}

proptest! {
    #[test]
    fn every_message_round_trips(o in owned()) {
        let msg = o.msg();
        let bytes = msg.to_vec();
        prop_assert_eq!(bytes.len(), msg.encoded_len());
        prop_assert_eq!(Message::decode(&bytes, &Limits::default()), Ok((msg, bytes.len())));
    }

    #[test]
    fn chunking_does_not_change_the_stream(
        msgs in vec(owned(), 0..20),
        cuts in vec(any::<usize>(), 0..30),
    ) {
        let hs = Handshake::new(InfoHash::from([3; 20]), PeerId::from([4; 20]));
        let mut stream = hs.to_bytes().to_vec();
        for o in &msgs {
            o.msg().encode(&mut stream);
        }
        let mut d = FrameDecoder::new(DecoderConfig::default());
        let mut got_hs = None;
        let mut i = 0;
        let points = split_points(stream.len(), &cuts);
        for w in points.windows(2) {
            d.push(&stream[w[0]..w[1]]).unwrap();
            while let Some(frame) = d.next_frame().unwrap() {
                match frame {
                    Frame::Handshake(h) => got_hs = Some(h),
                    Frame::Message(m) => {
                        prop_assert_eq!(m, msgs[i].msg());
                        i += 1;
                    }
                }
            }
        }
        prop_assert_eq!(got_hs, Some(hs));
        prop_assert_eq!(i, msgs.len());
        prop_assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_stream_decoder(
        with_handshake in any::<bool>(),
        bytes in vec(any::<u8>(), 0..2000),
        cuts in vec(any::<usize>(), 0..10),
    ) {
        let mut stream = Vec::new();
        if with_handshake {
            Handshake::new(InfoHash::from([3; 20]), PeerId::from([4; 20])).encode(&mut stream);
        }
        stream.extend_from_slice(&bytes);
        let mut d = FrameDecoder::new(DecoderConfig::default());
        'outer: for w in split_points(stream.len(), &cuts).windows(2) {
            if d.push(&stream[w[0]..w[1]]).is_err() {
                break;
            }
            loop {
                match d.next_frame() {
                    Ok(Some(Frame::Message(m))) => {
                        let again = m.to_vec();
                        prop_assert_eq!(Message::decode(&again, &Limits::default()), Ok((m, again.len())));
                    }
                    Ok(Some(Frame::Handshake(_))) => {}
                    Ok(None) => break,
                    Err(_) => break 'outer,
                }
            }
        }
    }

    #[test]
    fn decoded_bytes_re_encode_exactly(bytes in vec(any::<u8>(), 0..64)) {
        if let Ok((m, n)) = Message::decode(&bytes, &Limits::default()) {
            if !matches!(m, Message::Unknown { .. }) {
                prop_assert_eq!(m.to_vec(), &bytes[..n]);
            }
        }
    }

    #[test]
    fn extended_handshake_round_trips(hs in extended_handshake()) {
        prop_assert_eq!(ExtendedHandshake::decode(&hs.to_vec()), Ok(hs));
    }

    #[test]
    fn pex_decoding_never_panics(bytes in vec(any::<u8>(), 0..300)) {
        let _ = PexMessage::decode(&bytes);
    }

    #[test]
    fn pex_messages_round_trip(
        v4 in vec((any::<[u8; 4]>(), 1u16..), 0..60),
        v6 in vec((any::<[u8; 16]>(), 1u16..), 0..20),
        dropped in vec((any::<[u8; 4]>(), 1u16..), 0..60),
    ) {
        use std::net::SocketAddr;
        let mut added: Vec<SocketAddr> = v4.iter().map(|(ip, p)| SocketAddr::from((*ip, *p))).collect();
        added.extend(v6.iter().map(|(ip, p)| SocketAddr::from((*ip, *p))));
        let dropped = dropped.iter().map(|(ip, p)| SocketAddr::from((*ip, *p))).collect();
        let msg = PexMessage { added, dropped };
        prop_assert_eq!(PexMessage::decode(&msg.to_vec()), Ok(msg));
    }

    #[test]
    fn metadata_messages_round_trip(
        kind in 0u8..3,
        piece in any::<u32>(),
        total_size in 1..=MAX_METADATA_SIZE,
        data in vec(any::<u8>(), 0..400),
    ) {
        let msg = match kind {
            0 => MetadataMessage::Request { piece },
            1 => MetadataMessage::Data { piece, total_size, data: &data },
            _ => MetadataMessage::Reject { piece },
        };
        let bytes = msg.to_vec();
        prop_assert_eq!(MetadataMessage::decode(&bytes), Ok(msg));
    }

    #[test]
    fn extension_decoders_never_panic(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(hs) = ExtendedHandshake::decode(&bytes) {
            prop_assert_eq!(ExtendedHandshake::decode(&hs.to_vec()), Ok(hs));
        }
        if let Ok(m) = MetadataMessage::decode(&bytes) {
            let again = m.to_vec();
            prop_assert_eq!(MetadataMessage::decode(&again), Ok(m));
        }
        let _ = decode_donthave(&bytes);
    }

    #[test]
    fn bitfield_round_trips(pieces in 0u32..100, set in vec(any::<u32>(), 0..40)) {
        let mut bf = Bitfield::new(pieces);
        for i in &set {
            if pieces > 0 {
                prop_assert!(bf.set(i % pieces, true));
            }
        }
        let again = Bitfield::from_payload(bf.as_bytes(), pieces).unwrap();
        prop_assert!(!Bitfield::spare_bits_set(bf.as_bytes(), pieces));
        prop_assert_eq!(&again, &bf);
        let ones: Vec<u32> = again.iter_ones().collect();
        prop_assert_eq!(ones.len() as u32, again.count_ones());
        prop_assert!(ones.iter().all(|&i| set.iter().any(|s| pieces > 0 && s % pieces == i)));
    }
}
