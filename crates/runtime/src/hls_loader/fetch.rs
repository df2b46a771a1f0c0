//! One streaming HTTP GET with an `AbortController`: each body chunk is handed on as it
//! arrives (for truthful progress), and dropping the abort handle cancels the request.

use std::ops::Range;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, Request, RequestInit, Response};

/// Why a GET failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// The server answered with this status.
    Status(u16),
    /// No answer, a cut body, or an abort.
    Network,
}

/// Fetches `url` (bytes `range` when given; `None` for the whole resource), calling `chunk`
/// with each piece of body in order. Returns the final URL after redirects.
pub(crate) async fn stream(
    url: &str,
    range: Option<Range<u64>>,
    abort: &AbortController,
    mut chunk: impl FnMut(Vec<u8>),
) -> Result<String, FetchError> {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&abort.signal()));
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| FetchError::Network)?;
    if let Some(r) = &range {
        let last = if r.end == u64::MAX {
            String::new()
        } else {
            (r.end - 1).to_string()
        };
        req.headers()
            .set("Range", &format!("bytes={}-{last}", r.start))
            .map_err(|_| FetchError::Network)?;
    }
    let window = web_sys::window().ok_or(FetchError::Network)?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| FetchError::Network)?
        .dyn_into()
        .map_err(|_| FetchError::Network)?;
    let status = resp.status();
    let ok = match &range {
        Some(r) if r.start > 0 => status == 206,
        _ => (200..300).contains(&status),
    };
    if !ok {
        return Err(FetchError::Status(status));
    }
    let final_url = resp.url();
    let Some(body) = resp.body() else {
        return Ok(final_url);
    };
    let reader = ReadableStreamDefaultReader::new(&body).map_err(|_| FetchError::Network)?;
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|_| FetchError::Network)?;
        let done = field(&step, "done")
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(final_url);
        }
        let bytes = field(&step, "value")
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .ok_or(FetchError::Network)?;
        chunk(bytes.to_vec());
    }
}

fn field(o: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(o, &key.into()).ok()
}
