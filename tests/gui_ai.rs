//! Settings → Providers / Network and Ask AI, driven like a person would, with the real worker
//! and a loopback server speaking the OpenAI format.
#![cfg(feature = "gui")]

mod common;

use common::server::{Reply, Server};
use common::window::{step_until, type_into, window};
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::time::Duration;
use tftsr::gui::ask::AskState;
use tftsr::gui::{SettingsTab, Tab, TftsrApp};
use tftsr::input::decode;
use tftsr::keystore::MemoryKeyStore;
use tftsr::pii::Detector;
use tftsr::review::Review;

fn app(dir: &std::path::Path) -> Harness<'static, TftsrApp> {
    window(dir, Arc::new(MemoryKeyStore::default()))
}

#[test]
fn add_a_provider_test_it_and_ask_about_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let server = Server::start(|_, _| {
        Reply::stream(
            "text/event-stream",
            vec![
                "data: {\"choices\":[{\"delta\":{\"content\":\"OK: sshd on \"}}]}\n\n".into(),
                "data: {\"choices\":[{\"delta\":{\"content\":\"[IPV4-1] failed.\"}}]}\n\n".into(),
                "data: [DONE]\n\n".into(),
            ],
            Duration::from_millis(5),
        )
    });
    let mut h = app(&tmp.path().join("data"));
    step_until(&mut h, "the store", |a| a.security.is_open());

    // Settings → Network: allow the loopback server.
    h.get_by_label("Settings").click();
    h.step();
    h.get_by_label("Network").click();
    h.step();
    type_into(&mut h, Role::TextInput, "Add origin", &server.url());
    h.get_by_label("Allow").click();
    h.step();
    step_until(&mut h, "the origin", |a| {
        a.providers.network.added.contains(&server.url())
    });

    // Settings → Providers: add one with a key, then test it.
    h.get_by_label("Providers").click();
    h.step();
    assert_eq!(h.state().settings_tab, SettingsTab::Providers);
    let key = common::fake("sk-gui-", 30, common::ALNUM);
    type_into(&mut h, Role::TextInput, "Name", "loopback");
    type_into(
        &mut h,
        Role::TextInput,
        "Base URL",
        &format!("{}/v1", server.url()),
    );
    type_into(&mut h, Role::TextInput, "Model", "gpt-test");
    type_into(&mut h, Role::PasswordInput, "API key", &key);
    h.get_by_label("Add provider").click();
    h.step();
    step_until(&mut h, "the provider", |a| a.providers.providers.len() == 1);
    assert!(h.state().providers.providers[0].key_set);
    h.get_by_label("key: set");
    h.get_by_label("Test connection").click();
    h.step();
    step_until(&mut h, "the test", |a| {
        a.providers.tests.contains_key("loopback")
    });
    let (ok, message) = h.state().providers.tests["loopback"].clone();
    assert!(ok, "{message}");

    // Quick sanitise with a log, then Ask AI.
    let text = "Dec 10 sshd[1]: Failed password for root from 198.51.100.23 port 22\n";
    let loaded = decode(text.as_bytes().to_vec()).unwrap();
    let findings = Detector::builtin().scan(&loaded.text);
    h.state_mut().view.review = Some(Review::new("auth.log".into(), loaded, findings));
    h.get_by_label("Quick sanitise").click();
    h.step();
    h.get_by_label("Ask AI").click();
    h.step();
    type_into(
        &mut h,
        Role::MultilineTextInput,
        "Question",
        "why did 198.51.100.23 fail?",
    );
    h.get_by_label("Review what will be sent").click();
    h.step();
    step_until(&mut h, "the preview", |a| {
        matches!(a.ask.state, AskState::Prepared { .. })
    });
    let AskState::Prepared { text: outgoing, .. } = &h.state().ask.state else {
        unreachable!()
    };
    assert!(!outgoing.contains("198.51.100.23"), "{outgoing}");
    assert!(outgoing.contains("[IPV4-1]"));
    h.get_by_label("Approve and send to loopback").click();
    h.step();
    step_until(&mut h, "the answer", |a| {
        matches!(a.ask.state, AskState::Idle)
    });
    assert_eq!(h.state().ask.answer, "OK: sshd on [IPV4-1] failed.");
    assert_eq!(h.state().tab, Tab::Sanitise);

    // Everything the server saw: the test question and the redacted one. No value, no key leak.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert!(!r.raw_text().contains("198.51.100.23"));
    }
    assert_eq!(
        requests[1].header("authorization"),
        Some(format!("Bearer {key}").as_str())
    );
}
