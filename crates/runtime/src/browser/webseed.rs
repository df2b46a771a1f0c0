//! Webseed GETs: one ranged `fetch` each, cancellable with an `AbortController`. Which GETs
//! an engine request needs, and joining their bodies, is the session's.

use std::ops::Range;

use session::{Event, GetId};
use swarm::HttpError;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Request, RequestInit, Response};

use super::{report, report_later, SharedNet};

/// Fetches bytes `range` of `url` and reports them (unless cancelled meanwhile).
pub(crate) fn get(net: &SharedNet, get: GetId, url: &str, range: Range<u64>) {
    let Ok(abort) = AbortController::new() else {
        let result = Err(HttpError::Network);
        report_later(net, Event::HttpDone { get, result });
        return;
    };
    net.borrow_mut().http.insert(get, abort.clone());
    let net = std::rc::Rc::clone(net);
    let url = url.to_owned();
    wasm_bindgen_futures::spawn_local(async move {
        let mut body = Vec::new();
        let result = fetch_range(&url, &range, &abort, &mut body).await;
        if net.borrow_mut().http.remove(&get).is_none() {
            return; // cancelled: the session no longer waits for it
        }
        let result = result.map(|()| body);
        report(&net, Event::HttpDone { get, result });
    });
}

async fn fetch_range(
    url: &str,
    range: &Range<u64>,
    abort: &AbortController,
    body: &mut Vec<u8>,
) -> Result<(), HttpError> {
    if range.is_empty() {
        return Ok(());
    }
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_signal(Some(&abort.signal()));
    let req = Request::new_with_str_and_init(url, &init).map_err(|_| HttpError::Network)?;
    req.headers()
        .set("Range", &format!("bytes={}-{}", range.start, range.end - 1))
        .map_err(|_| HttpError::Network)?;
    let promise = global_fetch(&req).ok_or(HttpError::Network)?;
    let resp: Response = JsFuture::from(promise)
        .await
        .map_err(|_| HttpError::Network)?
        .dyn_into()
        .map_err(|_| HttpError::Network)?;
    let status = resp.status();
    // 200 is the whole file: fine only when that is what we asked for (range from 0 and the
    // length check below catches the rest).
    if status != 206 && !(status == 200 && range.start == 0) {
        return Err(HttpError::Status(status));
    }
    let buf = JsFuture::from(resp.array_buffer().map_err(|_| HttpError::Network)?)
        .await
        .map_err(|_| HttpError::Network)?;
    let bytes = js_sys::Uint8Array::new(&buf);
    if u64::from(bytes.length()) != range.end - range.start {
        return Err(HttpError::Network);
    }
    let at = body.len();
    body.resize(at + bytes.length() as usize, 0);
    bytes.copy_to(&mut body[at..]);
    if let Ok(buf) = buf.dyn_into::<js_sys::ArrayBuffer>() {
        super::detach::release(&buf);
    }
    Ok(())
}

fn global_fetch(req: &Request) -> Option<js_sys::Promise> {
    if let Some(w) = web_sys::window() {
        return Some(w.fetch_with_request(req));
    }
    let scope: JsValue = js_sys::global().into();
    scope
        .dyn_into::<web_sys::WorkerGlobalScope>()
        .ok()
        .map(|s| s.fetch_with_request(req))
}
