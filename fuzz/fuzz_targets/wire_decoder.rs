//! Stream decoder fuzzing: the input is the byte stream, split at fuzzer-chosen points and
//! pushed through a `FrameDecoder`; every decoded message must re-encode and decode to itself,
//! and extended handshakes / ut_metadata / ut_pex / lt_donthave payloads are decoded and
//! round-tripped too.
//!
//! Layout (so that raw captured streams in `fuzz/seeds/wire_decoder` work as seeds): the whole
//! input is the stream. The chunk sizes come from a small xorshift generator seeded with the last
//! four input bytes, so mutating the tail changes the split points. A stream starting with 0x13
//! is decoded from the handshake on; any other stream is decoded as messages only, with fast
//! negotiated when the first byte is even (so both sides of the BEP 6 rule are reached).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::{
    decode_donthave, DecoderConfig, ExtendedHandshake, Frame, FrameDecoder, Handshake, Limits,
    Message, MetadataMessage, PexMessage, Reserved,
};

fn check_message(msg: Message<'_>) {
    let bytes = msg.to_vec();
    assert_eq!(bytes.len(), msg.encoded_len());
    let (again, used) = Message::decode(&bytes, &Limits::default()).expect("re-decodes");
    assert_eq!(again, msg);
    assert_eq!(used, bytes.len());

    if let Message::Extended { id, payload } = msg {
        if id == 0 {
            if let Ok(hs) = ExtendedHandshake::decode(payload) {
                let enc = hs.to_vec();
                assert_eq!(ExtendedHandshake::decode(&enc).expect("re-decodes"), hs);
            }
        } else {
            if let Ok(m) = MetadataMessage::decode(payload) {
                let enc = m.to_vec();
                assert_eq!(MetadataMessage::decode(&enc).expect("re-decodes"), m);
                if let MetadataMessage::Data { total_size, .. } = m {
                    let _ = m.validate(total_size);
                }
            }
            if let Ok(pex) = PexMessage::decode(payload) {
                assert!(pex.added.len() <= 2 * wire::MAX_PEX_PEERS);
                assert_eq!(PexMessage::decode(&pex.to_vec()).expect("re-decodes"), pex);
            }
            if let Ok(piece) = decode_donthave(payload) {
                let mut enc = Vec::new();
                wire::encode_donthave(piece, &mut enc);
                assert_eq!(enc, payload);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some(&first) = data.first() else {
        return;
    };
    let mut seed = data
        .iter()
        .rev()
        .take(4)
        .fold(0x9e37_79b9u32, |acc, &b| acc.rotate_left(8) ^ u32::from(b))
        | 1;
    let mut next_chunk = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        // Mostly small chunks (like WebTorrent's 5-byte headers), sometimes large ones.
        1 + (seed % if seed & 0x100 == 0 { 8 } else { 400 }) as usize
    };

    let mut decoder = if first == 0x13 {
        FrameDecoder::new(DecoderConfig::default())
    } else {
        let remote = Reserved::WEBTORRENT.with_fast(first % 2 == 0);
        FrameDecoder::after_handshake(DecoderConfig::default(), remote)
    };
    let mut at = 0;
    while at < data.len() {
        let end = (at + next_chunk()).min(data.len());
        if decoder.push(&data[at..end]).is_err() {
            return;
        }
        at = end;
        loop {
            match decoder.next_frame() {
                Ok(Some(Frame::Handshake(hs))) => {
                    assert_eq!(Handshake::decode(&hs.to_bytes()).map(|(h, _)| h), Ok(hs));
                }
                Ok(Some(Frame::Message(msg))) => check_message(msg),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
