//! Keyboard and TV remote: arrow keys move the focus to the nearest visible control in that
//! direction ([`super::spatial`]), Enter activates (the browser's own behaviour on links and
//! buttons), Escape/Backspace and the TV back keys go back, and media keys drive the video
//! (on Tizen once [`super::tizen`] has registered them).
//!
//! Text fields keep Left/Right for the caret until it reaches that end (a text area and a select
//! keep all four), Up/Down leave a field; a
//! focused video keeps Left/Right for seeking and Enter for play/pause.

use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlMediaElement, KeyboardEvent};

use super::spatial::{nearest, Direction, Rect};

/// What can take the focus.
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), summary, video[controls], [tabindex]:not([tabindex='-1'])";

/// Key codes TV browsers send for their remotes' Back key (webOS 461, Tizen 10009).
const TV_BACK_CODES: [u32; 2] = [461, 10009];

/// Seconds a seek key or a Left/Right on the video moves.
const SEEK_S: f64 = 10.0;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Action {
    Move(Direction),
    Back,
    PlayPause,
    Play,
    Pause,
    Seek(f64),
}

/// The action for a key, from its `key` name and legacy `keyCode` (old TV engines send
/// `Unidentified` names for remote keys).
pub(crate) fn action(key: &str, code: u32) -> Option<Action> {
    if let Some(d) = Direction::from_key(key) {
        return Some(Action::Move(d));
    }
    match (key, code) {
        ("Escape" | "GoBack" | "BrowserBack" | "Backspace", _) => Some(Action::Back),
        (_, c) if TV_BACK_CODES.contains(&c) => Some(Action::Back),
        ("MediaPlayPause", _) | (_, 10252) => Some(Action::PlayPause),
        ("MediaPlay", _) | (_, 415) => Some(Action::Play),
        ("MediaPause" | "MediaStop", _) | (_, 19 | 413) => Some(Action::Pause),
        // Tizen's codes for the track keys are 10233 (next) and 10232 (previous).
        ("MediaFastForward" | "MediaTrackNext", _) | (_, 417 | 10233) => Some(Action::Seek(SEEK_S)),
        ("MediaRewind" | "MediaTrackPrevious", _) | (_, 412 | 10232) => Some(Action::Seek(-SEEK_S)),
        _ => None,
    }
}

/// Listens for keys on the whole document, for the tab's life.
pub(crate) fn install() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let on_key = Closure::<dyn Fn(KeyboardEvent)>::new(on_key);
    let _ = document.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    on_key.forget();
}

fn on_key(event: KeyboardEvent) {
    if event.default_prevented() || event.alt_key() || event.ctrl_key() || event.meta_key() {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let active = document.active_element();
    let tag = active
        .as_ref()
        .map(|a| a.tag_name().to_ascii_lowercase())
        .unwrap_or_default();
    let typing = matches!(tag.as_str(), "input" | "textarea" | "select");
    let key = event.key();
    // Enter on a focused video toggles it (the browser does nothing there).
    if key == "Enter" && tag == "video" {
        if let Some(v) = active.and_then(|a| a.dyn_into::<HtmlMediaElement>().ok()) {
            toggle(&v);
            event.prevent_default();
        }
        return;
    }
    let Some(action) = action(&key, event.key_code()) else {
        return;
    };
    let handled = match action {
        Action::Move(d @ (Direction::Left | Direction::Right)) if typing => {
            caret_at_edge(active.as_ref(), d) && move_focus(&document, active.as_ref(), d)
        }
        Action::Move(d @ (Direction::Left | Direction::Right)) if tag == "video" => {
            let seek = if d == Direction::Left {
                -SEEK_S
            } else {
                SEEK_S
            };
            active
                .and_then(|a| a.dyn_into::<HtmlMediaElement>().ok())
                .map(|v| v.set_current_time((v.current_time() + seek).max(0.0)))
                .is_some()
        }
        // A text area's lines need Up/Down too; Escape leaves it.
        Action::Move(_) if tag == "textarea" => false,
        Action::Move(d) => move_focus(&document, active.as_ref(), d),
        Action::Back if key == "Backspace" && typing => false,
        Action::Back if typing => {
            // Escape leaves the field first; the next one goes back.
            active
                .and_then(|a| a.dyn_into::<HtmlElement>().ok())
                .map(|a| a.blur())
                .is_some()
        }
        Action::Back => go_back(),
        media => media_key(&document, media),
    };
    if handled {
        event.prevent_default();
    }
}

/// Whether Left/Right would leave a text field: its caret is at that end (or it has none).
fn caret_at_edge(active: Option<&Element>, direction: Direction) -> bool {
    let Some(input) = active.and_then(|a| a.dyn_ref::<HtmlInputElement>()) else {
        // A text area or a select keeps its arrow keys.
        return false;
    };
    let (Ok(Some(start)), Ok(Some(end))) = (input.selection_start(), input.selection_end()) else {
        return true;
    };
    let length = u32::try_from(input.value().encode_utf16().count()).unwrap_or(u32::MAX);
    match direction {
        Direction::Left => start == 0 && end == 0,
        _ => start == length && end == length,
    }
}

/// Moves the focus to the nearest control in `direction`; from nothing focused, to the first.
fn move_focus(
    document: &web_sys::Document,
    active: Option<&Element>,
    direction: Direction,
) -> bool {
    let Ok(list) = document.query_selector_all(FOCUSABLE) else {
        return false;
    };
    let mut elements = Vec::new();
    let mut rects = Vec::new();
    for i in 0..list.length() {
        let Some(el) = list.item(i).and_then(|n| n.dyn_into::<HtmlElement>().ok()) else {
            continue;
        };
        let r = el.get_bounding_client_rect();
        // Hidden (display: none, collapsed <details>) boxes are empty.
        if r.width() < 1.0 || r.height() < 1.0 {
            continue;
        }
        rects.push(Rect {
            left: r.left(),
            top: r.top(),
            right: r.right(),
            bottom: r.bottom(),
        });
        elements.push(el);
    }
    let from = active
        .filter(|a| a.tag_name() != "BODY")
        .map(|a| a.get_bounding_client_rect());
    let target = match from {
        Some(r) => nearest(
            Rect {
                left: r.left(),
                top: r.top(),
                right: r.right(),
                bottom: r.bottom(),
            },
            direction,
            &rects,
        ),
        None => (!elements.is_empty()).then_some(0),
    };
    let Some(el) = target.and_then(|i| elements.get(i)) else {
        return false;
    };
    let _ = el.focus();
    let options = web_sys::ScrollIntoViewOptions::new();
    options.set_block(web_sys::ScrollLogicalPosition::Nearest);
    options.set_inline(web_sys::ScrollLogicalPosition::Nearest);
    el.scroll_into_view_with_scroll_into_view_options(&options);
    true
}

/// History back, except on the home page (where Back would leave the app).
fn go_back() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let at_home = window.location().pathname().is_ok_and(|p| p == "/");
    if at_home {
        return false;
    }
    window.history().and_then(|h| h.back()).is_ok()
}

/// Play, pause or seek the page's video.
fn media_key(document: &web_sys::Document, action: Action) -> bool {
    let Some(video) = document
        .query_selector("video")
        .ok()
        .flatten()
        .and_then(|v| v.dyn_into::<HtmlMediaElement>().ok())
    else {
        return false;
    };
    match action {
        Action::PlayPause => toggle(&video),
        Action::Play => {
            let _ = video.play();
        }
        Action::Pause => {
            let _ = video.pause();
        }
        Action::Seek(s) => video.set_current_time((video.current_time() + s).max(0.0)),
        Action::Move(_) | Action::Back => return false,
    }
    true
}

fn toggle(video: &HtmlMediaElement) {
    if video.paused() {
        let _ = video.play();
    } else {
        let _ = video.pause();
    }
}

#[cfg(test)]
mod tests {
    use super::{action, Action, Direction};
    #[cfg(target_family = "wasm")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn remote_keys_map_to_actions() {
        assert_eq!(action("ArrowDown", 40), Some(Action::Move(Direction::Down)));
        assert_eq!(action("Escape", 27), Some(Action::Back));
        assert_eq!(action("Unidentified", 461), Some(Action::Back));
        assert_eq!(action("Unidentified", 10009), Some(Action::Back));
        assert_eq!(action("MediaPlayPause", 179), Some(Action::PlayPause));
        assert_eq!(action("Unidentified", 417), Some(Action::Seek(10.0)));
        assert_eq!(action("a", 65), None);
    }
}
