//! The whole window (top bar, unlock screen, Settings → Security) driven like a person would,
//! with its real worker thread and a store in a temp dir. No GPU or display needed.
#![cfg(feature = "gui")]

mod common;

use common::window::{step_until, type_into, window};

use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tftsr::gui::security::StoreState;
use tftsr::gui::{Tab, TftsrApp};
use tftsr::keystore::MemoryKeyStore;

fn app(dir: &std::path::Path, keyring_works: bool) -> Harness<'static, TftsrApp> {
    let keys = Arc::new(MemoryKeyStore::default());
    keys.unavailable.store(!keyring_works, Ordering::Relaxed);
    window(dir, keys)
}

/// Runs frames until `done` holds (the worker answers on its own thread).

#[test]
fn first_run_without_a_keyring_sets_a_passphrase_then_shows_the_security_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = app(&tmp.path().join("data"), false);
    step_until(&mut h, "the passphrase prompt", |a| {
        matches!(
            a.security.state,
            StoreState::NeedsPassphrase {
                first_run: true,
                ..
            }
        )
    });
    type_into(&mut h, Role::PasswordInput, "Passphrase", "short");
    h.get_by_label("Create encrypted store").click();
    h.run();
    assert!(
        h.state()
            .security
            .message
            .as_deref()
            .unwrap_or("")
            .contains("at least 8"),
        "a short passphrase is refused in the window"
    );
    type_into(
        &mut h,
        Role::PasswordInput,
        "Passphrase",
        " but now long enough",
    );
    type_into(
        &mut h,
        Role::PasswordInput,
        "Repeat passphrase",
        "short but now long enough",
    );
    h.get_by_label("Create encrypted store").click();
    h.step(); // the spinner repaints until the worker answers
    step_until(&mut h, "the store to open", |a| a.security.is_open());
    assert!(h.state().security.status.as_ref().unwrap().verdict.is_ok());

    h.get_by_label("Settings").click();
    h.run();
    assert_eq!(h.state().tab, Tab::Settings);
    step_until(&mut h, "the audit page", |a| a.security.audit.len() == 4);
    h.get_by_label("HMAC_SHA512");
    h.get_by_label("16384");
    h.get_by_label("Verify").click();
    h.run();
    step_until(&mut h, "the verified status", |a| {
        a.security
            .status
            .as_ref()
            .is_some_and(|s| s.verdict.is_ok() && s.audit_entries == 4)
    });
    h.get_by_label("intact: 4 entries, newest matches its anchor");
}

#[test]
fn with_a_keyring_the_window_opens_straight_away_and_can_go_without_the_store() {
    let tmp = tempfile::tempdir().unwrap();
    let mut h = app(&tmp.path().join("data"), true);
    step_until(&mut h, "the store to open", |a| a.security.is_open());
    h.get_by_label("DB encrypted · audit ok · vault: keyring");

    // Another window on a store whose keyring is gone: it can carry on without the store.
    let tmp2 = tempfile::tempdir().unwrap();
    let mut h2 = app(&tmp2.path().join("data"), false);
    step_until(&mut h2, "the passphrase prompt", |a| {
        matches!(a.security.state, StoreState::NeedsPassphrase { .. })
    });
    h2.get_by_label("Continue without the store").click();
    h2.run();
    assert_eq!(h2.state().security.state, StoreState::WithoutStore);
    h2.get_by_label("Open…");
    h2.get_by_label("store not open (quick sanitise only)");
}
