//! Tracker JSON decoders: any text either fails with a `DecodeError` or decodes to a message
//! that re-encodes and decodes again to an equal value (and the same bytes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use tracker_proto::{InMessage, OutMessage};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = InMessage::from_json(text) {
        let json = message.to_json();
        let again = InMessage::from_json(&json).expect("our own encoding decodes");
        assert_eq!(again, message);
        assert_eq!(again.to_json(), json);
    }
    if let Ok(message) = OutMessage::from_json(text) {
        let json = message.to_json();
        let again = OutMessage::from_json(&json).expect("our own encoding decodes");
        assert_eq!(again, message);
        assert_eq!(again.to_json(), json);
    }
});
