//! One writer per item across the tabs of an origin, through the Web Locks API: a tab that
//! starts storing a torrent asks for the lock `shoal-store:<info hash>` without waiting
//! (`ifAvailable`) and holds it until the page goes; a tab that does not get it leaves the
//! item's writes to the holder (its pieces stay in its memory window). Without the API (old
//! browsers) every tab writes: IndexedDB transactions still keep each record whole.

use std::{cell::RefCell, rc::Rc};
use vecmap::VecMap;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// Where a tab stands with an item's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lock {
    /// Asked, no answer yet.
    Pending,
    /// This tab writes the item.
    Held,
    /// Another tab writes it.
    Denied,
}

/// The tab's locks.
#[derive(Default, Clone)]
pub(crate) struct Locks {
    states: Rc<RefCell<VecMap<String, Lock>>>,
}

fn lock_manager() -> Option<JsValue> {
    let global = js_sys::global();
    let navigator = Reflect::get(&global, &"navigator".into()).ok()?;
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (!locks.is_undefined() && !locks.is_null()).then_some(locks)
}

impl Locks {
    /// This tab's standing for item `id`, asking for the lock on first use.
    pub(crate) fn state(&self, id: &str) -> Lock {
        if let Some(s) = self.states.borrow().get(id) {
            return *s;
        }
        let state = self.request(id);
        self.states.borrow_mut().insert(id.to_owned(), state);
        state
    }

    fn request(&self, id: &str) -> Lock {
        let Some(manager) = lock_manager() else {
            return Lock::Held;
        };
        let Ok(request) = Reflect::get(&manager, &"request".into()) else {
            return Lock::Held;
        };
        let Ok(request) = request.dyn_into::<Function>() else {
            return Lock::Held;
        };
        let options = Object::new();
        let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        let states = Rc::clone(&self.states);
        let key = id.to_owned();
        // Granted: `lock` is an object, and the lock is held until the returned promise
        // settles — never, so until the page goes. Not available: `lock` is null.
        let callback = Closure::once_into_js(move |lock: JsValue| -> JsValue {
            let granted = !lock.is_null() && !lock.is_undefined();
            let state = if granted { Lock::Held } else { Lock::Denied };
            states.borrow_mut().insert(key, state);
            if granted {
                Promise::new(&mut |_, _| {}).into()
            } else {
                JsValue::UNDEFINED
            }
        });
        let name = JsValue::from_str(&format!("shoal-store:{id}"));
        match request.call3(&manager, &name, &options, &callback) {
            Ok(_) => Lock::Pending,
            Err(_) => Lock::Held,
        }
    }
}
