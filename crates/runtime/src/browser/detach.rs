//! Giving back a JS `ArrayBuffer`'s memory as soon as its bytes are copied into wasm, instead
//! of when the garbage collector next runs: every data-channel message and every piece read
//! back from IndexedDB arrives as a fresh buffer, and between collections they piled up to
//! tens of MiB of the page's memory while reading a large torrent.
//!
//! How: `ArrayBuffer.prototype.transfer(0)` (ES2024) detaches the buffer, and a detached
//! buffer's bytes are freed once nothing else holds them. Browsers without it (older TV
//! engines) leave the buffer to the collector, as before.

use js_sys::{ArrayBuffer, Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// `ArrayBuffer.prototype.transfer`, when the browser has it.
    static TRANSFER: Option<Function> = Reflect::get(&ArrayBuffer::new(0), &"transfer".into())
        .ok()
        .and_then(|f| f.dyn_into().ok());
}

/// Detaches `buf` (its bytes must not be used afterwards). Does nothing where `transfer` is
/// missing or refuses (a buffer already detached, or not transferable).
pub(crate) fn release(buf: &ArrayBuffer) {
    TRANSFER.with(|t| {
        if let Some(f) = t {
            let _ = f.call1(buf, &JsValue::from(0));
        }
    });
}

#[cfg(test)]
mod tests {
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn a_released_buffer_is_detached() {
        let buf = ArrayBuffer::new(1 << 16);
        assert_eq!(buf.byte_length(), 1 << 16);
        release(&buf);
        // Chromium has `transfer` (since 114): the buffer is empty, its bytes given back.
        assert_eq!(buf.byte_length(), 0);
        release(&buf);
    }
}
