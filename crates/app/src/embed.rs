//! The embed's side of `/embed.js`: the messages between the host page (which loaded
//! `<shoal-player>`) and the `/embed` frame.
//!
//! The host origin comes in the frame's `host=` parameter, written by `/embed.js`. The frame
//! talks to that origin only: events go to `window.parent` with it as the target origin (the
//! browser drops them if the parent is another origin), and a command is obeyed only when it
//! comes from `window.parent` *and* from that origin. A page that frames `/embed` with a false
//! `host=` therefore can neither read the events nor send commands. Where the browser knows
//! the frame's ancestors (`location.ancestorOrigins`), a `host=` that is not the parent's is
//! refused outright.
//!
//! Frame → host: `{shoal: "event", type, detail}`, `type` one of ready, play, pause,
//! timeupdate, ended, error, stats.
//! Host → frame: `{shoal: "command", method, value}`, `method` one of play, pause, seek
//! (seconds), volume (0..1), muted (bool), setSource (a source string).

use js_sys::{Object, Reflect};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// What the host asks the frame to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    Play,
    Pause,
    Seek(f64),
    Volume(f64),
    Muted(bool),
    SetSource(String),
}

/// Longest source string a command may carry (a magnet with many trackers fits).
const MAX_SOURCE: usize = 8 * 1024;

impl Command {
    /// Reads a command from a message's data; anything else (another script's message, a
    /// malformed value) is `None`.
    pub(crate) fn parse(method: &str, value: &JsValue) -> Option<Self> {
        let number = || value.as_f64().filter(|v| v.is_finite());
        match method {
            "play" => Some(Self::Play),
            "pause" => Some(Self::Pause),
            "seek" => number().filter(|s| *s >= 0.0).map(Self::Seek),
            "volume" => number().map(|v| Self::Volume(v.clamp(0.0, 1.0))),
            "muted" => value.as_bool().map(Self::Muted),
            "setSource" => value
                .as_string()
                .filter(|s| !s.trim().is_empty() && s.len() <= MAX_SOURCE)
                .map(Self::SetSource),
            _ => None,
        }
    }
}

/// An origin as `URL.origin` writes it, or `None` for anything that is not one.
pub(crate) fn origin_of(text: &str) -> Option<String> {
    let url = web_sys::Url::new(text).ok()?;
    let origin = url.origin();
    (origin != "null" && (origin.starts_with("https://") || origin.starts_with("http://")))
        .then_some(origin)
}

/// The host this frame may talk to: `host=` when it is an origin, this frame is framed, and
/// the browser's list of ancestors (where it has one) agrees.
pub(crate) fn host_origin(host_param: Option<&str>) -> Option<String> {
    let origin = origin_of(host_param?)?;
    let window = web_sys::window()?;
    if !crate::shell::framed() {
        return None;
    }
    let ancestors = Reflect::get(&window.location(), &"ancestorOrigins".into()).ok();
    if let Some(list) = ancestors.filter(|a| !a.is_undefined() && !a.is_null()) {
        let parent = Reflect::get(&list, &0.into())
            .ok()
            .and_then(|p| p.as_string());
        if parent.as_deref() != Some(origin.as_str()) {
            return None;
        }
    }
    Some(origin)
}

/// The frame's link to its host.
#[derive(Clone)]
pub(crate) struct Host {
    origin: String,
}

impl Host {
    /// Talks to the host at `origin`.
    pub(crate) fn new(origin: String) -> Self {
        Self { origin }
    }

    /// Sends one event to the host.
    pub(crate) fn send(&self, kind: &str, detail: &JsValue) {
        let Some(parent) = web_sys::window().and_then(|w| w.parent().ok().flatten()) else {
            return;
        };
        let message = Object::new();
        let _ = Reflect::set(&message, &"shoal".into(), &"event".into());
        let _ = Reflect::set(&message, &"type".into(), &kind.into());
        let _ = Reflect::set(&message, &"detail".into(), detail);
        let _ = parent.post_message(&message, &self.origin);
    }

    /// Calls `on_command` with each command the host sends, for the tab's life.
    pub(crate) fn listen(&self, on_command: impl Fn(Command) + 'static) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let origin = self.origin.clone();
        let handler =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let Some(command) = command_from(&e, &origin) {
                    on_command(command);
                }
            });
        let _ =
            window.add_event_listener_with_callback("message", handler.as_ref().unchecked_ref());
        handler.forget();
    }
}

/// The command in a message, if the message is one and comes from the host: the parent window
/// at the expected origin. Every other message is ignored.
fn command_from(e: &web_sys::MessageEvent, origin: &str) -> Option<Command> {
    if e.origin() != origin {
        return None;
    }
    let parent: JsValue = web_sys::window()?.parent().ok().flatten()?.into();
    let source: JsValue = e.source()?.into();
    if !Object::is(&source, &parent) {
        return None;
    }
    let data = e.data();
    let tag = Reflect::get(&data, &"shoal".into()).ok()?.as_string()?;
    if tag != "command" {
        return None;
    }
    let method = Reflect::get(&data, &"method".into()).ok()?.as_string()?;
    let value = Reflect::get(&data, &"value".into()).unwrap_or(JsValue::UNDEFINED);
    Command::parse(&method, &value)
}

#[cfg(all(test, target_family = "wasm"))]
mod tests {
    use super::{origin_of, Command};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn commands_are_checked_before_use() {
        assert_eq!(
            Command::parse("play", &JsValue::UNDEFINED),
            Some(Command::Play)
        );
        assert_eq!(
            Command::parse("seek", &JsValue::from(12.5)),
            Some(Command::Seek(12.5))
        );
        assert_eq!(Command::parse("seek", &JsValue::from(-1.0)), None);
        assert_eq!(Command::parse("seek", &JsValue::from("12")), None);
        assert_eq!(
            Command::parse("volume", &JsValue::from(3.0)),
            Some(Command::Volume(1.0))
        );
        assert_eq!(Command::parse("setSource", &JsValue::from("")), None);
        assert_eq!(Command::parse("eval", &JsValue::from("x")), None);
    }

    #[test]
    fn only_http_origins_are_hosts() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/page?x").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
        assert_eq!(origin_of("not a url"), None);
    }
}
