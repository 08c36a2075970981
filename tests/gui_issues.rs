//! The Issues tab driven like a person would: create an issue, attach and review a log, toggle
//! a finding, approve, chat with a loopback provider (each message reviewed first), see the
//! streamed reply and the Why tracker advance, then find it all again after a restart.
#![cfg(feature = "gui")]

mod common;

use common::server::{Reply, Server};
use common::window::{step_until, type_into, window};
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::sync::Arc;
use std::time::Duration;
use tftsr::gui::{Tab, TftsrApp};
use tftsr::input::decode;
use tftsr::keystore::MemoryKeyStore;
use tftsr::pii::Detector;
use tftsr::review::Review;

fn app(dir: &std::path::Path, keys: Arc<MemoryKeyStore>) -> Harness<'static, TftsrApp> {
    window(dir, keys)
}

#[test]
fn create_attach_approve_chat_and_find_it_again_after_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemoryKeyStore::default());
    let server = Server::start(|_, _| {
        let block = "```tftsr\n{\"why_level\": 1, \"why_question\": \"Why did sshd lock out?\", \"why_answer\": \"A scanner at [IPV4-1] hammered it.\", \"root_cause\": null}\n```";
        Reply::stream(
            "text/event-stream",
            vec![
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"choices":[{"delta":{"content":"Block [IPV4-1]. "}}]})
                ),
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"choices":[{"delta":{"content": block}}]})
                ),
                "data: [DONE]\n\n".into(),
            ],
            Duration::from_millis(5),
        )
    });
    // A provider set up beforehand, as `tftsr provider add` would.
    {
        let mut ws = common::open_workspace(&data, &keys);
        ws.add_origin(&server.url()).unwrap();
        let cfg = ws
            .add_provider(
                "loop",
                tftsr::ai::ProviderKind::OpenAi,
                Some(&format!("{}/v1", server.url())),
                "m",
                Default::default(),
            )
            .unwrap();
        ws.set_provider_key(
            &cfg.id,
            &tftsr::secret::SecretString::new(common::fake("sk-", 30, common::ALNUM)),
        )
        .unwrap();
    }
    let mut h = app(&data, keys.clone());
    step_until(&mut h, "the store", |a| {
        a.security.is_open() && !a.providers.providers.is_empty()
    });
    h.get_by_label("Issues").click();
    h.step();
    assert_eq!(h.state().tab, Tab::Issues);
    h.get_by_label("New issue").click();
    h.step();
    type_into(&mut h, Role::TextInput, "Title", "sshd lockouts on bastion");
    type_into(
        &mut h,
        Role::MultilineTextInput,
        "Description",
        "users cannot log in since 02:00",
    );
    h.get_by_label("P1").click();
    h.get_by_label("Create issue").click();
    h.step();
    step_until(&mut h, "the issue", |a| {
        a.issues.detail.is_some() && a.issues.issues.len() == 1
    });

    // Attach a fixture log (the dialog's result), toggle a finding, approve.
    h.get_by_label("Logs").click();
    h.step();
    let text = "Dec 10 sshd[1]: Failed password for root from 198.51.100.23 port 22\nDec 10 sshd[2]: Accepted password for ops from 203.0.113.77 port 40001\n";
    let loaded = decode(text.as_bytes().to_vec()).unwrap();
    let findings = Detector::builtin().scan(&loaded.text);
    h.state_mut().issues.pending_log.review =
        Some(Review::new("auth.log".into(), loaded, findings));
    h.step();
    h.get_by_label("203.0.113.77").click(); // keep it
    h.step();
    assert_eq!(
        h.state()
            .issues
            .pending_log
            .review
            .as_ref()
            .unwrap()
            .redacted_count(),
        1
    );
    h.get_by_label("Approve and attach").click();
    h.step();
    step_until(&mut h, "the attached log", |a| {
        a.issues.detail.as_ref().is_some_and(|d| d.logs.len() == 1)
    });
    assert_eq!(h.state().issues.detail.as_ref().unwrap().logs[0].kept, 1);

    // Chat: the message's findings are shown for review before sending.
    h.get_by_label("Triage chat").click();
    h.step();
    type_into(
        &mut h,
        Role::MultilineTextInput,
        "Message",
        "why is 198.51.100.23 locking us out?",
    );
    h.get_by_label("Check and send…").click();
    h.step();
    step_until(&mut h, "the message review", |a| {
        a.issues.message_review.is_some()
    });
    h.get_by_label("198.51.100.23"); // highlighted inline
    h.get_by_label("Approve and send").click();
    h.step();
    step_until(&mut h, "the reply", |a| {
        a.issues.streaming.is_none()
            && a.issues
                .detail
                .as_ref()
                .is_some_and(|d| d.messages.len() == 2 && d.messages[1].state == "complete")
    });
    h.get_by_label("Block [IPV4-1].");
    let level = h
        .state()
        .issues
        .detail
        .as_ref()
        .unwrap()
        .row
        .as_ref()
        .unwrap()
        .why
        .level;
    assert_eq!(level, 1, "the Why tracker advanced");
    let raw = server.requests()[0].raw_text();
    assert!(
        !raw.contains("198.51.100.23"),
        "the provider never saw the address"
    );
    assert!(
        raw.contains("203.0.113.77"),
        "the value the person kept went as kept"
    );

    // Restart: the conversation, the tracker and the step are there.
    drop(h);
    let mut h = app(&data, keys);
    step_until(&mut h, "the store again", |a| {
        a.security.is_open() && a.issues.issues.len() == 1
    });
    h.get_by_label("Issues").click();
    h.step();
    h.get_by_label("P1 · sshd lockouts on bastion").click();
    h.step();
    step_until(&mut h, "the issue again", |a| a.issues.detail.is_some());
    let d = h.state().issues.detail.clone().unwrap();
    assert_eq!(d.messages.len(), 2);
    assert_eq!(d.row.unwrap().why.level, 1);
    assert_eq!(d.steps.len(), 1);
    h.get_by_label("Resolution").click();
    h.step();
    h.get_by_label_contains("Why 1: Why did sshd lock out?");
}

#[test]
fn generate_edit_and_export_a_document() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let keys = Arc::new(MemoryKeyStore::default());
    {
        let mut ws = common::open_workspace(&data, &keys);
        ws.open_issue(&tftsr::store::records::NewIssue {
            title: "disk full on 10.1.2.3",
            description: "logs stopped rotating",
            domain: "linux",
            severity: "P2",
        })
        .unwrap();
    }
    let mut h = app(&data, keys);
    step_until(&mut h, "the list", |a| a.issues.issues.len() == 1);
    h.get_by_label("Issues").click();
    h.step();
    h.get_by_label("P2 · disk full on 10.1.2.3").click();
    h.step();
    step_until(&mut h, "the issue", |a| a.issues.detail.is_some());
    h.get_by_label("Documents").click();
    h.step();
    h.get_by_label("Generate").click();
    h.step();
    step_until(&mut h, "the RCA", |a| {
        a.issues.detail.as_ref().is_some_and(|d| d.rca.is_some())
    });
    assert!(
        !h.state()
            .issues
            .detail
            .as_ref()
            .unwrap()
            .rca
            .as_ref()
            .unwrap()
            .1
            .contains("10.1.2.3")
    );
    h.step();
    type_into(
        &mut h,
        Role::MultilineTextInput,
        "Markdown",
        "\nEdited: add a logrotate check.\n",
    );
    h.get_by_label("Save version").click();
    h.step();
    step_until(&mut h, "version 2", |a| {
        a.issues
            .detail
            .as_ref()
            .and_then(|d| d.rca.as_ref())
            .is_some_and(|(v, _)| *v == 2)
    });
    let issue_id = h.state().issues.current_id().unwrap();
    let out = tmp.path().join("rca.html");
    h.state_mut().export_document_to(
        issue_id,
        tftsr::triage::documents::DocKind::Rca,
        out.clone(),
        true,
    );
    step_until(&mut h, "the export", |a| {
        a.issues
            .detail
            .as_ref()
            .is_some_and(|d| d.exported.is_some())
    });
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("Edited: add a logrotate check."), "{html}");
    assert!(!html.contains("10.1.2.3"));
    h.get_by_label("Audit").click();
    h.step();
    h.get_by_label("export");
}
