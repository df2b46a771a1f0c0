//! Entry point of the browser app: mounts [`shoal_app::App`] on `<body>`.

fn main() {
    // A panic in wasm otherwise shows only "unreachable" in the console.
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(shoal_app::App);
}
