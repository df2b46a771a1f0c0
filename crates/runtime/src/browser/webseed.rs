//! Webseed (BEP 19) range requests: one engine `HttpRequest` becomes one ranged GET per file
//! it touches, fetched in order and cancellable with an `AbortController`.

use std::{ops::Range, rc::Rc};

use swarm::{HttpError, HttpRequestId, Input};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Request, RequestInit, Response};

use crate::client::TorrentCell;

/// Starts fetching `range` of the torrent from webseed `webseed`.
pub(crate) fn start(cell: &Rc<TorrentCell>, id: HttpRequestId, webseed: usize, range: Range<u64>) {
    let gets = {
        let core = cell.core.borrow();
        match (core.engine.info(), cell.net.webseeds.get(webseed)) {
            (Some(info), Some(url)) => swarm::webseed_gets(info, url, range.clone()),
            _ => Vec::new(),
        }
    };
    let Ok(abort) = AbortController::new() else {
        super::feed(
            cell,
            Input::HttpResponse {
                id,
                result: Err(HttpError::Network),
            },
        );
        return;
    };
    cell.net.http.borrow_mut().insert(id, abort.clone());
    let cell = Rc::clone(cell);
    wasm_bindgen_futures::spawn_local(async move {
        let want = range.end - range.start;
        let mut body = Vec::new();
        let mut result = if gets.is_empty() {
            Err(HttpError::Network)
        } else {
            Ok(())
        };
        for get in &gets {
            if result.is_err() {
                break;
            }
            result = fetch_range(&get.url, &get.range, &abort, &mut body).await;
        }
        if cell.net.http.borrow_mut().remove(&id).is_none() {
            return; // cancelled: the engine no longer waits for it
        }
        let result = match result {
            Ok(()) if body.len() as u64 == want => Ok(body.as_slice()),
            Ok(()) => Err(HttpError::Network),
            Err(e) => Err(e),
        };
        super::feed(&cell, Input::HttpResponse { id, result });
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
    body.extend_from_slice(&bytes.to_vec());
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
