//! hls.js's `LoaderStats` object, made once per loader and updated in place: hls.js keeps a
//! reference to it (`frag.stats = loader.stats`) and reads it every 100 ms for its abandon
//! rules and, when the fragment is buffered, for its bandwidth sample.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// A `LoaderStats` object and setters for the fields a loader owns.
#[derive(Clone)]
pub(crate) struct JsStats {
    obj: Object,
    loading: Object,
}

fn set(o: &Object, key: &str, v: JsValue) {
    // Setting a property of a plain object we made cannot fail.
    let _ = Reflect::set(o, &key.into(), &v);
}

fn times(keys: &[&str]) -> Object {
    let o = Object::new();
    for k in keys {
        set(&o, k, 0.0.into());
    }
    o
}

impl JsStats {
    pub(crate) fn new() -> Self {
        let obj = Object::new();
        let loading = times(&["start", "first", "end"]);
        set(&obj, "aborted", false.into());
        for k in ["loaded", "retry", "total", "chunkCount", "bwEstimate"] {
            set(&obj, k, 0.0.into());
        }
        set(&obj, "loading", loading.clone().into());
        set(&obj, "parsing", times(&["start", "end"]).into());
        set(&obj, "buffering", times(&["start", "first", "end"]).into());
        Self { obj, loading }
    }

    pub(crate) fn js(&self) -> JsValue {
        self.obj.clone().into()
    }

    /// Back to zero for a new load (the same object: hls.js may still hold it).
    pub(crate) fn reset(&self, start: f64) {
        set(&self.obj, "aborted", false.into());
        for k in ["loaded", "total", "chunkCount"] {
            set(&self.obj, k, 0.0.into());
        }
        set(&self.loading, "start", start.into());
        set(&self.loading, "first", 0.0.into());
        set(&self.loading, "end", 0.0.into());
    }

    pub(crate) fn first_byte(&self, at: f64) {
        if Reflect::get(&self.loading, &"first".into())
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
            == 0.0
        {
            set(&self.loading, "first", at.into());
        }
    }

    pub(crate) fn progress(&self, loaded: u64, total: u64, chunks: u32) {
        set(&self.obj, "loaded", (loaded as f64).into());
        set(&self.obj, "total", (total as f64).into());
        set(&self.obj, "chunkCount", f64::from(chunks).into());
    }

    pub(crate) fn end(&self, at: f64) {
        set(&self.loading, "end", at.into());
    }

    pub(crate) fn aborted(&self) {
        set(&self.obj, "aborted", true.into());
    }
}
