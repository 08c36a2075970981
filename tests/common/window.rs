//! The whole window under egui_kittest, with its real worker thread and a store in a temp dir.
#![cfg(feature = "gui")]
#![allow(dead_code)]

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tftsr::gui::TftsrApp;
use tftsr::gui::worker::StoreConfig;
use tftsr::keystore::MemoryKeyStore;
use tftsr::workspace::DataDir;

pub fn window(dir: &std::path::Path, keys: Arc<MemoryKeyStore>) -> Harness<'static, TftsrApp> {
    let store = StoreConfig {
        dir: DataDir::new(dir),
        keystore: keys,
        env_passphrase: None,
    };
    let app = TftsrApp::new(&eframe::egui::Context::default(), None, store).unwrap();
    Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_ui_state(
            |ui, app: &mut TftsrApp| {
                let ctx = ui.ctx().clone();
                app.drain_events(&ctx);
                app.contents_ui(ui);
            },
            app,
        )
}

/// Runs frames until `done` holds (the worker answers on its own thread).
pub fn step_until(h: &mut Harness<'_, TftsrApp>, what: &str, done: impl Fn(&TftsrApp) -> bool) {
    let start = Instant::now();
    while !done(h.state()) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}: {:?} {:?} {:?}",
            h.state().security.state,
            h.state().security.message,
            h.state().issues.message
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.step();
}

/// Focuses the field with this role and label, then types into it.
pub fn type_into(h: &mut Harness<'_, TftsrApp>, role: Role, field: &str, text: &str) {
    h.get_by_role_and_label(role, field).focus();
    h.step();
    h.get_by_role_and_label(role, field).type_text(text);
    h.step();
}
