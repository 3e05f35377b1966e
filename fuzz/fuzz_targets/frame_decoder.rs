//! Fuzz target for the data channel frame decoder: any bytes must decode to
//! a frame or an error, never a panic; a frame that decodes re-encodes to
//! one that decodes to the same message.
//!
//! Run: `cargo +nightly fuzz run frame_decoder` (from the repository root).

#![no_main]

use libfuzzer_sys::fuzz_target;
use ssmdeck_protocol::frame::ClientMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = ClientMessage::decode(data) {
        let again = ClientMessage::decode(&m.encode()).expect("a decoded frame re-encodes");
        assert_eq!(again, m);
    }
});
