//! The installable-app side of the page: registers the Service Worker at start (it precaches
//! the app so it opens offline, see `web/sw.js`), notices a new deployment waiting and applies
//! it only when the viewer says so, offers the browser's install prompt, and tracks whether the
//! browser is online.
//!
//! Updates are never half applied: the new worker installs its own cache beside the old one and
//! waits; the page keeps running the old version until [`Pwa::apply_update`] tells the waiting
//! worker to take over, and reloads once it controls the page.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Reflect};
use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{ServiceWorkerRegistration, ServiceWorkerState};

/// How often an open tab asks the server whether a new deployment exists.
const UPDATE_CHECK_MS: i32 = 15 * 60 * 1000;

/// The app's install and update state, shared through context. Cheap to copy.
#[derive(Clone, Copy)]
pub(crate) struct Pwa {
    /// The browser offered `beforeinstallprompt`: an install button can call it.
    pub(crate) can_install: RwSignal<bool>,
    /// A new version is installed and waiting for the viewer's go-ahead.
    pub(crate) update_ready: RwSignal<bool>,
    /// What `navigator.onLine` says.
    pub(crate) online: RwSignal<bool>,
    /// The app runs as an installed app (display-mode standalone).
    pub(crate) installed: bool,
    prompt: StoredValue<Option<JsValue>, LocalStorage>,
    registration: StoredValue<Option<ServiceWorkerRegistration>, LocalStorage>,
}

impl Pwa {
    /// Shows the browser's install dialog, when it offered one.
    pub(crate) fn install(&self) {
        let Some(prompt) = self.prompt.get_value() else {
            return;
        };
        // The event can prompt once; the button goes either way.
        self.prompt.set_value(None);
        self.can_install.set(false);
        if let Ok(f) = Reflect::get(&prompt, &"prompt".into()) {
            if let Some(f) = f.dyn_ref::<Function>() {
                let _ = f.call0(&prompt);
            }
        }
    }

    /// Lets the waiting worker take over, then reloads into the new version.
    pub(crate) fn apply_update(&self) {
        let Some(waiting) = self.registration.get_value().and_then(|r| r.waiting()) else {
            reload();
            return;
        };
        if let Some(window) = web_sys::window() {
            let container = window.navigator().service_worker();
            let once = Closure::once_into_js(reload);
            let _ = container
                .add_event_listener_with_callback("controllerchange", once.unchecked_ref());
        }
        let message = js_sys::Object::new();
        let _ = Reflect::set(&message, &"shoal".into(), &"activate".into());
        let _ = waiting.post_message(&message);
    }
}

fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Starts the worker and the listeners, and shares [`Pwa`] with every page. Called once.
pub(crate) fn provide() -> Pwa {
    let window = web_sys::window();
    let navigator_online = window.as_ref().is_none_or(|w| w.navigator().on_line());
    let installed = window
        .as_ref()
        .and_then(|w| w.match_media("(display-mode: standalone)").ok().flatten())
        .is_some_and(|m| m.matches());
    let pwa = Pwa {
        can_install: RwSignal::new(false),
        update_ready: RwSignal::new(false),
        online: RwSignal::new(navigator_online),
        installed,
        prompt: StoredValue::new_local(None),
        registration: StoredValue::new_local(None),
    };
    provide_context(pwa);
    let Some(window) = window else { return pwa };
    listen(
        &window,
        "beforeinstallprompt",
        move |event: web_sys::Event| {
            // Keeps the browser's mini-bar away; the app shows its own button instead.
            event.prevent_default();
            pwa.prompt.set_value(Some(event.into()));
            pwa.can_install.set(true);
        },
    );
    listen(&window, "appinstalled", move |_| pwa.can_install.set(false));
    listen(&window, "online", move |_| pwa.online.set(true));
    listen(&window, "offline", move |_| pwa.online.set(false));
    if Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false) {
        spawn_local(register(pwa));
    }
    pwa
}

fn listen(target: &web_sys::EventTarget, name: &str, f: impl Fn(web_sys::Event) + 'static) {
    let closure = Closure::<dyn Fn(web_sys::Event)>::new(f);
    let _ = target.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
    // Listeners of the whole tab's life.
    closure.forget();
}

async fn register(pwa: Pwa) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let container = window.navigator().service_worker();
    let options = web_sys::RegistrationOptions::new();
    options.set_scope("/");
    let Ok(registration) =
        JsFuture::from(container.register_with_options("/sw.js", &options)).await
    else {
        // No worker (private mode, an insecure origin): the app works online only.
        return;
    };
    let registration: ServiceWorkerRegistration = registration.unchecked_into();
    pwa.registration.set_value(Some(registration.clone()));
    // A worker that is the first one here takes over at once; only a worker installed while
    // another controls the page is an update.
    let controlled = Rc::new(Cell::new(container.controller().is_some()));
    if registration.waiting().is_some() && controlled.get() {
        pwa.update_ready.set(true);
    }
    let reg = registration.clone();
    let on_found = move |_| {
        let Some(installing) = reg.installing() else {
            return;
        };
        let worker = installing.clone();
        let controlled = controlled.clone();
        listen(&installing, "statechange", move |_| {
            let has_controller = web_sys::window()
                .is_some_and(|w| w.navigator().service_worker().controller().is_some());
            controlled.set(controlled.get() || has_controller);
            if worker.state() == ServiceWorkerState::Installed && controlled.get() {
                pwa.update_ready.set(true);
            }
        });
    };
    listen(&registration, "updatefound", on_found);
    let reg = registration.clone();
    let check = Closure::<dyn Fn()>::new(move || {
        let _ = reg.update();
    });
    let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
        check.as_ref().unchecked_ref(),
        UPDATE_CHECK_MS,
    );
    check.forget();
}
