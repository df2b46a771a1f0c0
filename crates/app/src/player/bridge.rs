//! The page's half of the streaming bridge: registers `web/sw.js` and answers its requests
//! with bytes read from the runtime.
//!
//! The worker turns `GET /stream/<infohash>/<file>` into messages on a fresh `MessagePort`
//! (the protocol is written at the top of `web/sw.js`). For each port this module opens a
//! [`runtime::Reader`] over the asked range and hands over one verified chunk per `pull`, so the
//! engine reads ahead only as fast as the video element consumes. A `cancel` (the element
//! seeked, or went away) drops the reader, which tells the engine to forget that range. The
//! first answer on a port gives the file's length and its media type (from [`media`]), so the
//! worker has no table of its own.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use js_sys::{Array, Object, Reflect, Uint8Array};
use runtime::{Client, Reader, Torrent};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{MessageEvent, MessagePort, ServiceWorkerContainer};

use super::media;
use crate::tab::find_torrent;

/// Where Trunk puts the worker (`index.html` copies `web/sw.js` to the site root, so its scope
/// can be the whole origin).
const WORKER_URL: &str = "/sw.js";

/// How long the page waits for its worker to take control (it takes well under a second when
/// the install works).
const CONTROL_WAIT_MS: i32 = 30_000;

/// How often the page pings the worker while it is open, so an idle-looking worker that is
/// streaming a long response is not stopped (browsers stop idle workers after ~30 s).
const KEEPALIVE_MS: i32 = 20_000;

/// The tab's side of the bridge: it serves the open torrents of the tab's client, each at
/// `/stream/<info hash>/<file>`. One per tab (see [`crate::tab`]).
pub(crate) struct Bridge {
    client: Client,
    /// Whether [`Bridge::install`] already set up the message handler and keep-alive.
    listening: Cell<bool>,
}

impl Bridge {
    /// A bridge for `client`'s torrents; nothing is registered until [`Bridge::install`].
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            listening: Cell::new(false),
        }
    }

    /// Registers the worker and resolves once it controls this page (the first visit is not
    /// controlled until the worker's `clients.claim()`); the error is a sentence for the page.
    pub(crate) async fn install(&self) -> Result<(), String> {
        let window = web_sys::window().ok_or("There is no browser window.")?;
        let navigator = window.navigator();
        if !Reflect::has(&navigator, &"serviceWorker".into()).unwrap_or(false) {
            return Err(
            "This browser gives the page no Service Worker (private mode, or not an https:// or localhost address), so Shoal cannot stream into the video player."
                .to_owned(),
        );
        }
        let container = navigator.service_worker();
        if !self.listening.replace(true) {
            let client = self.client.clone();
            let on_message =
                Closure::<dyn Fn(MessageEvent)>::new(move |e| on_worker_message(&client, e));
            container.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            // The handler lives as long as the tab.
            on_message.forget();
            let ping = Closure::<dyn Fn()>::new(|| {
                if let Some(worker) =
                    web_sys::window().and_then(|w| w.navigator().service_worker().controller())
                {
                    let _ = worker.post_message(&JsValue::from_str("keepalive"));
                }
            });
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                ping.as_ref().unchecked_ref(),
                KEEPALIVE_MS,
            );
            ping.forget();
        }
        let options = web_sys::RegistrationOptions::new();
        options.set_scope("/");
        let registration: web_sys::ServiceWorkerRegistration =
            JsFuture::from(container.register_with_options(WORKER_URL, &options))
                .await
                .map_err(|e| {
                    format!(
                        "The streaming Service Worker could not be installed: {}",
                        js_error(&e)
                    )
                })?
                .unchecked_into();
        if container.controller().is_none() {
            wait_for_controller(&container, registration.active()).await?;
        }
        Ok(())
    }
}

/// Waits for the worker to take control, at most [`CONTROL_WAIT_MS`]: a worker that fails to
/// install never does, and the page must say so rather than wait forever.
///
/// An `active` worker that does not control this page missed it: its `clients.claim()` ran
/// while this document was still loading (the page navigated during the worker's install), and
/// nothing would claim it later. It is asked to claim again.
async fn wait_for_controller(
    container: &ServiceWorkerContainer,
    active: Option<web_sys::ServiceWorker>,
) -> Result<(), String> {
    let container_for_promise = container.clone();
    let promise = js_sys::Promise::new(&mut move |resolve, _reject| {
        container_for_promise.set_oncontrollerchange(Some(&resolve));
        if let Some(window) = web_sys::window() {
            let _ = window
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, CONTROL_WAIT_MS);
        }
    });
    if let Some(worker) = active {
        let message = Object::new();
        let _ = Reflect::set(&message, &"shoal".into(), &"claim".into());
        let _ = worker.post_message(&message);
    }
    // Checked again after arming the handler: the change may have happened in between.
    if container.controller().is_none() {
        let _ = JsFuture::from(promise).await;
    }
    container.set_oncontrollerchange(None);
    if container.controller().is_some() {
        return Ok(());
    }
    Err(format!(
        "The streaming Service Worker did not start within {} s; reload the page to try again.",
        CONTROL_WAIT_MS / 1000
    ))
}

/// The text of a JS exception.
fn js_error(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

fn on_worker_message(client: &Client, event: MessageEvent) {
    let data = event.data();
    let field = |name: &str| Reflect::get(&data, &name.into()).ok();
    if field("shoal").and_then(|v| v.as_string()).as_deref() != Some("open") {
        return;
    }
    let Some(port) = event.ports().get(0).dyn_into::<MessagePort>().ok() else {
        return;
    };
    let info_hash = field("infoHash")
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    // The worker's path pattern allows at most six digits.
    let file = field("file")
        .and_then(|v| v.as_f64())
        .filter(|f| *f >= 0.0 && *f < 1_000_000.0)
        .map(|f| f as usize);
    let torrent = find_torrent(client, &info_hash);
    spawn_local(async move {
        match open(torrent, &info_hash, file).await {
            Ok((torrent, file, length, path)) => {
                post(
                    &port,
                    &[
                        ("kind", "meta".into()),
                        ("length", (length as f64).into()),
                        ("type", media::content_type(&path).into()),
                    ],
                );
                Request::start(port, torrent, file);
            }
            Err((status, message)) => {
                post(
                    &port,
                    &[
                        ("kind", "error".into()),
                        ("status", status.into()),
                        ("message", message.into()),
                    ],
                );
                port.close();
            }
        }
    });
}

/// Finds the torrent and file; waits for a magnet's metadata. Errors carry an HTTP status.
async fn open(
    torrent: Option<Torrent>,
    info_hash: &str,
    file: Option<usize>,
) -> Result<(Torrent, usize, u64, String), (u16, String)> {
    let torrent = torrent.ok_or((404, format!("This page has no torrent {info_hash} open.")))?;
    let file = file.ok_or((400, "The file number is not a number.".to_owned()))?;
    let info = torrent
        .metadata()
        .await
        .map_err(|e| (503, capitalised(&e.to_string())))?;
    let entry = info.files.get(file).ok_or((
        404,
        format!(
            "The torrent has no file number {file} (it has {}).",
            info.files.len()
        ),
    ))?;
    Ok((torrent.clone(), file, entry.length, entry.path.clone()))
}

/// `s` with its first letter upper-cased as ASCII (our own clauses; see `format::sentence`).
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| std::iter::once(f.to_ascii_uppercase()).chain(c).collect())
        .unwrap_or_default()
}

/// Posts `{key: value, …}` on `port`.
fn post(port: &MessagePort, fields: &[(&str, JsValue)]) {
    let _ = port.post_message(&object(fields));
}

fn object(fields: &[(&str, JsValue)]) -> Object {
    let obj = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&obj, &(*k).into(), v);
    }
    obj
}

/// The `onmessage` closure of a request's port.
type PortHandler = Closure<dyn Fn(MessageEvent)>;

/// One streaming response in progress: the port, and the reader once the range is known. It
/// keeps itself alive: its port's handler holds it, and [`Request::close`] lets both go.
struct Request {
    port: MessagePort,
    torrent: Torrent,
    file: usize,
    /// `None` before `read`, while a pull is awaiting a chunk, and after the end.
    reader: RefCell<Option<Reader>>,
    closed: Cell<bool>,
    handler: RefCell<Option<PortHandler>>,
}

impl Request {
    fn start(port: MessagePort, torrent: Torrent, file: usize) {
        let request = Rc::new(Self {
            port,
            torrent,
            file,
            reader: RefCell::new(None),
            closed: Cell::new(false),
            handler: RefCell::new(None),
        });
        let held = Rc::clone(&request);
        let handler = PortHandler::new(move |event: MessageEvent| held.handle(&event.data()));
        request
            .port
            .set_onmessage(Some(handler.as_ref().unchecked_ref()));
        *request.handler.borrow_mut() = Some(handler);
    }

    fn handle(self: &Rc<Self>, data: &JsValue) {
        let kind = Reflect::get(data, &"kind".into())
            .ok()
            .and_then(|v| v.as_string());
        match kind.as_deref() {
            Some("read") => {
                let num = |k: &str| {
                    Reflect::get(data, &k.into())
                        .ok()
                        .and_then(|v| v.as_f64())
                        .filter(|n| *n >= 0.0)
                        .map(|n| n as u64)
                };
                let (Some(start), Some(end)) = (num("start"), num("end")) else {
                    return self.fail("The worker asked for a range without numbers.");
                };
                match self.torrent.reader(self.file, start, end) {
                    Ok(reader) => *self.reader.borrow_mut() = Some(reader),
                    Err(e) => self.fail(&capitalised(&e.to_string())),
                }
            }
            Some("pull") => self.pull(),
            Some("cancel") => self.close(),
            _ => {}
        }
    }

    fn pull(self: &Rc<Self>) {
        let Some(mut reader) = self.reader.borrow_mut().take() else {
            return self.fail("The worker pulled before asking for a range.");
        };
        let request = Rc::clone(self);
        spawn_local(async move {
            let next = reader.next_chunk().await;
            if request.closed.get() {
                return; // cancelled while waiting: `reader` drops here and the engine forgets it
            }
            match next {
                Some(Ok(bytes)) => {
                    *request.reader.borrow_mut() = Some(reader);
                    let chunk = Uint8Array::from(bytes.as_slice());
                    let buffer = chunk.buffer();
                    let msg = object(&[("kind", "chunk".into()), ("data", buffer.clone().into())]);
                    let _ = request
                        .port
                        .post_message_with_transferable(&msg, &Array::of1(&buffer));
                }
                Some(Err(e)) => request.fail(&capitalised(&e.to_string())),
                None => {
                    post(&request.port, &[("kind", "done".into())]);
                    request.close();
                }
            }
        });
    }

    fn fail(self: &Rc<Self>, message: &str) {
        post(
            &self.port,
            &[("kind", "error".into()), ("message", message.into())],
        );
        self.close();
    }

    fn close(self: &Rc<Self>) {
        if self.closed.replace(true) {
            return;
        }
        self.reader.borrow_mut().take();
        self.port.set_onmessage(None);
        self.port.close();
        // This may run inside the port's handler: drop the closure (and with it the handler's
        // hold on this request) after it returns.
        let handler = self.handler.borrow_mut().take();
        spawn_local(async move {
            drop(handler);
        });
    }
}
