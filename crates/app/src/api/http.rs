//! One GET from the page: `fetch` with a time limit, cancelled when the page that asked is left,
//! and the body read from the response's stream under a size cap.

use std::{cell::Cell, rc::Rc};

use js_sys::{Reflect, Uint8Array};
use leptos::prelude::on_cleanup;
use send_wrapper::SendWrapper;
use wasm_bindgen::{closure::Closure, JsCast};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, RequestInit, Response, Window};

use super::{cap::CappedBody, ApiError};

/// How long one request may take, body included. Add-ons on free hosting can take a while to
/// wake up; longer than this, a person has given up anyway.
pub(crate) const TIMEOUT_SECONDS: u32 = 30;

/// Fetches `url` and returns the body of a 2xx answer, at most `limit` bytes.
///
/// Called inside a reactive owner (a component, a resource, a scoped task), the request is
/// aborted when that owner is cleaned up, i.e. when its page is left; dropping the future
/// aborts it too.
pub(crate) async fn get(url: &str, limit: usize) -> Result<Vec<u8>, ApiError> {
    request("GET", url, None, TIMEOUT_SECONDS, limit).await
}

/// [`get`] with another method, an optional text body and its own time limit.
pub(crate) async fn request(
    method: &str,
    url: &str,
    body: Option<&str>,
    seconds: u32,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    fetch(method, url, body, None, seconds, limit).await
}

/// A GET that asks for `accept` (a CORS-safelisted header: no preflight), with its own time
/// limit.
pub(crate) async fn get_accepting(
    url: &str,
    accept: &str,
    seconds: u32,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    fetch("GET", url, None, Some(accept), seconds, limit).await
}

async fn fetch(
    method: &str,
    url: &str,
    body: Option<&str>,
    accept: Option<&str>,
    seconds: u32,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let window = web_sys::window().ok_or(ApiError::NoWindow)?;
    let abort = Abort::new(&window, seconds)?;
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    if let Some(accept) = accept {
        let headers = web_sys::Headers::new().map_err(|_| ApiError::Network)?;
        headers
            .set("Accept", accept)
            .map_err(|_| ApiError::Network)?;
        init.set_headers(&headers);
    }
    init.set_signal(Some(&abort.controller.signal()));
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|_| abort.explain(ApiError::Network))?;
    let response = answer
        .dyn_into::<Response>()
        .map_err(|_| ApiError::Network)?;
    if !response.ok() {
        return Err(ApiError::Status {
            code: response.status(),
            text: response.status_text(),
        });
    }
    read_capped(&response, limit)
        .await
        .map_err(|e| abort.explain(e))
}

/// Reads `response`'s body chunk by chunk, stopping (and cancelling the stream) as soon as it
/// passes `limit`; a `Content-Length` over the limit is refused before reading.
pub(crate) async fn read_capped(response: &Response, limit: usize) -> Result<Vec<u8>, ApiError> {
    let declared = response.headers().get("content-length").ok().flatten();
    let stream = response.body();
    let mut body = match CappedBody::new(limit, declared.as_deref()) {
        Ok(body) => body,
        Err(e) => {
            if let Some(stream) = stream {
                // Nothing will read it: let the browser stop downloading it.
                let _ = stream.cancel();
            }
            return Err(e);
        }
    };
    // A response without a body (204, or a HEAD) is an empty body.
    let Some(stream) = stream else {
        return Ok(body.into_bytes());
    };
    let reader = ReadableStreamDefaultReader::new(&stream).map_err(|_| ApiError::Cut)?;
    loop {
        let step = JsFuture::from(reader.read())
            .await
            .map_err(|_| ApiError::Cut)?;
        let done = Reflect::get(&step, &"done".into())
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(body.into_bytes());
        }
        let chunk = Reflect::get(&step, &"value".into())
            .ok()
            .and_then(|v| v.dyn_into::<Uint8Array>().ok())
            .ok_or(ApiError::Cut)?;
        match body.admit(chunk.length() as usize) {
            Ok(space) => chunk.copy_to(space),
            Err(e) => {
                let _ = reader.cancel();
                return Err(e);
            }
        }
    }
}

/// A request's `AbortController`, fired by its timer, by the owner's cleanup, or on drop.
struct Abort {
    controller: AbortController,
    seconds: u32,
    timed_out: Rc<Cell<bool>>,
    timer: Option<i32>,
    window: Window,
    /// Kept alive until the timer is cleared.
    _on_timeout: Closure<dyn FnMut()>,
}

impl Abort {
    fn new(window: &Window, seconds: u32) -> Result<Self, ApiError> {
        let controller = AbortController::new().map_err(|_| ApiError::NoWindow)?;
        let timed_out = Rc::new(Cell::new(false));
        let on_timeout = {
            let (controller, timed_out) = (controller.clone(), Rc::clone(&timed_out));
            Closure::<dyn FnMut()>::new(move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let timer = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                on_timeout.as_ref().unchecked_ref(),
                (seconds.saturating_mul(1000)).min(i32::MAX as u32) as i32,
            )
            .ok();
        // Leaving the page that asked cleans its owner up. The browser is single-threaded, so
        // the wrapper that satisfies `on_cleanup`'s `Send` bound is never sent anywhere.
        let on_leave = SendWrapper::new(controller.clone());
        on_cleanup(move || on_leave.abort());
        Ok(Self {
            controller,
            seconds,
            timed_out,
            timer,
            window: window.clone(),
            _on_timeout: on_timeout,
        })
    }

    /// What a failure really was: a timeout or a cancellation show up as network errors.
    fn explain(&self, error: ApiError) -> ApiError {
        if self.timed_out.get() {
            ApiError::Timeout {
                seconds: self.seconds,
            }
        } else if self.controller.signal().aborted() {
            ApiError::Aborted
        } else {
            error
        }
    }
}

impl Drop for Abort {
    fn drop(&mut self) {
        if let Some(timer) = self.timer {
            self.window.clear_timeout_with_handle(timer);
        }
        // Stops whatever is still downloading (nothing, after a complete read).
        self.controller.abort();
    }
}

#[cfg(all(test, target_family = "wasm"))]
mod tests {
    use js_sys::Object;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use web_sys::{ReadableStream, ResponseInit};

    use super::*;

    #[wasm_bindgen(inline_js = r#"
export function counted_stream(chunks, size, state) {
  state.pulled = 0;
  state.cancelled = false;
  return new ReadableStream({
    pull(controller) {
      if (state.pulled === chunks) { controller.close(); return }
      state.pulled++;
      controller.enqueue(new Uint8Array(size).fill(state.pulled));
    },
    cancel() { state.cancelled = true }
  }, { highWaterMark: 0 });
}
"#)]
    extern "C" {
        /// A stream of `chunks` chunks of `size` bytes made only when read; `state` counts the
        /// chunks made (`pulled`) and says whether the stream was cancelled.
        fn counted_stream(chunks: u32, size: u32, state: &Object) -> ReadableStream;
    }

    fn field(state: &Object, name: &str) -> JsValue {
        Reflect::get(state, &name.into()).expect("field")
    }

    fn response(stream: &ReadableStream, content_length: Option<&str>) -> Response {
        let init = ResponseInit::new();
        if let Some(len) = content_length {
            let headers = web_sys::Headers::new().expect("headers");
            headers.set("content-length", len).expect("header");
            init.set_headers(&headers);
        }
        Response::new_with_opt_readable_stream_and_init(Some(stream), &init).expect("response")
    }

    #[test]
    async fn a_body_within_the_cap_is_read_whole() {
        let state = Object::new();
        let stream = counted_stream(3, 100, &state);
        let body = read_capped(&response(&stream, None), 1000)
            .await
            .expect("within the cap");
        assert_eq!(body.len(), 300);
        assert_eq!(body[0], 1);
        assert_eq!(body[299], 3);
    }

    #[test]
    async fn an_oversized_body_stops_at_the_chunk_past_the_cap() {
        let state = Object::new();
        // A megabyte in 1000 chunks, with a cap of four chunks.
        let stream = counted_stream(1000, 1024, &state);
        let result = read_capped(&response(&stream, None), 4096).await;
        assert_eq!(result, Err(ApiError::TooLarge { limit: 4096 }));
        // The fifth chunk passed the cap; nothing after it was asked for.
        assert_eq!(field(&state, "pulled").as_f64(), Some(5.0));
        assert_eq!(field(&state, "cancelled").as_bool(), Some(true));
    }

    #[test]
    async fn a_declared_length_over_the_cap_reads_nothing() {
        let state = Object::new();
        let stream = counted_stream(1000, 1024, &state);
        let result = read_capped(&response(&stream, Some("1024000")), 4096).await;
        assert_eq!(result, Err(ApiError::TooLarge { limit: 4096 }));
        assert_eq!(field(&state, "pulled").as_f64(), Some(0.0));
        assert_eq!(field(&state, "cancelled").as_bool(), Some(true));
    }

    #[test]
    fn leaving_the_page_aborts_the_request() {
        let window = web_sys::window().expect("a window");
        let page = leptos::prelude::Owner::new();
        let abort = page.with(|| Abort::new(&window, TIMEOUT_SECONDS).expect("a controller"));
        assert!(!abort.controller.signal().aborted());
        assert_eq!(abort.explain(ApiError::Network), ApiError::Network);
        page.cleanup();
        assert!(abort.controller.signal().aborted());
        assert_eq!(abort.explain(ApiError::Cut), ApiError::Aborted);
    }

    #[test]
    fn a_finished_request_lets_go_of_its_download() {
        let window = web_sys::window().expect("a window");
        let abort = Abort::new(&window, TIMEOUT_SECONDS).expect("a controller");
        let signal = abort.controller.signal();
        drop(abort);
        assert!(signal.aborted());
    }

    #[test]
    async fn a_blob_body_is_read() {
        let response = Response::new_with_opt_str(Some("{\"items\":[]}")).expect("response");
        let body = read_capped(&response, 64).await.expect("small");
        assert_eq!(body, b"{\"items\":[]}");
        let response = Response::new_with_opt_str(Some("{\"items\":[]}")).expect("response");
        assert_eq!(
            read_capped(&response, 5).await,
            Err(ApiError::TooLarge { limit: 5 })
        );
    }
}
