//! The quick-sanitise window, driven like a person would: click findings and type toggles by
//! their labels, and check the redacted output. No GPU or display needed.
#![cfg(feature = "gui")]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tftsr::gui::{Command, QuickSanitise};
use tftsr::input::decode;
use tftsr::pii::{Detector, Mode, PiiType};
use tftsr::review::Review;

const FIXTURE: &str = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 198.51.100.23 port 38926 ssh2\n\
Dec 10 06:55:48 LabSZ sshd[24200]: Accepted password for ops from 203.0.113.77 port 40001 ssh2\n\
Dec 10 06:56:01 web-01 app: mail to jane.doe@example.org bounced via relay01.corp.internal\n";

struct Window {
    view: QuickSanitise,
    commands: Vec<Command>,
}

fn window(text: &str) -> Harness<'static, Window> {
    window_with(text, false)
}

/// `tofu`: allow missing glyphs (test machines may have no CJK or emoji font).
fn window_with(text: &str, tofu: bool) -> Harness<'static, Window> {
    let loaded = decode(text.as_bytes().to_vec()).unwrap();
    let findings = Detector::builtin().scan(&loaded.text);
    let view = QuickSanitise {
        review: Some(Review::new("fixture.log".into(), loaded, findings)),
        ..Default::default()
    };
    let mut builder = Harness::builder().with_size([1200.0, 600.0]);
    if tofu {
        builder = builder.allow_missing_glyphs();
    }
    let mut harness = builder.build_ui_state(
        |ui, w: &mut Window| {
            let commands = w.view.ui(ui);
            w.commands.extend(commands);
        },
        Window {
            view,
            commands: Vec::new(),
        },
    );
    harness.run();
    harness
}

fn redacted(h: &Harness<'_, Window>) -> String {
    h.state()
        .view
        .review
        .as_ref()
        .unwrap()
        .redacted(Mode::Label)
        .unwrap()
        .text()
        .to_string()
}

#[test]
fn every_finding_starts_redacted() {
    let h = window(FIXTURE);
    let out = redacted(&h);
    for value in [
        "198.51.100.23",
        "203.0.113.77",
        "jane.doe@example.org",
        "relay01.corp.internal",
    ] {
        assert!(
            !out.contains(value),
            "{value} should be redacted by default"
        );
    }
    assert!(out.contains("Failed password for root from [IPV4] port 38926"));
}

#[test]
fn clicking_a_finding_keeps_it_and_clicking_again_redacts_it() {
    let mut h = window(FIXTURE);
    h.get_by_label("203.0.113.77").click();
    h.run();
    let out = redacted(&h);
    assert!(
        out.contains("from 203.0.113.77 port 40001"),
        "clicked finding is kept: {out}"
    );
    assert!(
        !out.contains("198.51.100.23"),
        "the other address stays redacted"
    );

    h.get_by_label("203.0.113.77").click();
    h.run();
    assert!(!redacted(&h).contains("203.0.113.77"));
}

#[test]
fn a_type_toggle_keeps_all_of_that_type() {
    let mut h = window(FIXTURE);
    h.get_by_label("ipv4 (2)").click();
    h.run();
    let out = redacted(&h);
    assert!(out.contains("198.51.100.23") && out.contains("203.0.113.77"));
    assert!(
        !out.contains("jane.doe@example.org"),
        "other types are untouched"
    );
    let counts = h.state().view.review.as_ref().unwrap().counts();
    assert_eq!(counts[&PiiType::Ipv4].redacted, 0);
    assert_eq!(counts[&PiiType::Email].redacted, 1);
}

#[test]
fn the_redacted_view_shows_replacements_and_the_status_bar_counts() {
    let mut h = window(FIXTURE);
    h.get_by_label("Redacted").click();
    h.run();
    assert!(h.state().view.show_redacted);
    assert!(
        h.query_by_label("198.51.100.23").is_none(),
        "the value is hidden in the redacted view"
    );
    assert_eq!(h.get_all_by_label("[IPV4]").count(), 2);
    assert!(
        h.query_by_label_contains("4 findings · 4 redacted · 0 kept")
            .is_some()
    );
}

/// Regression: with [TYPE-n] chosen, the Redacted view showed `[IPV4]` while the saved copy had
/// `[IPV4-1]`. What you see is what you save.
#[test]
fn the_pseudonym_view_shows_the_numbers_the_save_writes() {
    let mut h = window(FIXTURE);
    h.get_by_label("Redacted").click();
    h.get_by_label("[TYPE-n]").click();
    h.run();
    h.get_by_label("[IPV4-1]");
    h.get_by_label("[IPV4-2]");
    assert!(h.query_by_label("[IPV4]").is_none());
    h.get_by_label("[IPV4-1]").click(); // keep the first address
    h.run();
    h.get_by_label("[IPV4-1]"); // the second address is now number 1, as a save would write it
    assert!(h.query_by_label("[IPV4-2]").is_none());
    let saved = h
        .state()
        .view
        .review
        .as_ref()
        .unwrap()
        .redacted(Mode::Pseudonym)
        .unwrap()
        .text()
        .to_string();
    assert!(
        saved.contains("from 198.51.100.23 port") && saved.contains("from [IPV4-1] port 40001"),
        "{saved}"
    );
}

#[test]
fn buttons_ask_the_app_for_dialogs() {
    let mut h = window(FIXTURE);
    h.get_by_label("Save redacted…").click();
    h.run();
    h.get_by_label("Open…").click();
    h.run();
    assert_eq!(
        h.state().commands,
        vec![Command::PickSavePath, Command::PickFile]
    );
}

#[test]
fn multibyte_lines_render_and_toggle() {
    let mut h = window_with("日本語 ログ 10.9.8.7 😀 終\n", true);
    h.get_by_label("10.9.8.7").click();
    h.run();
    assert_eq!(redacted(&h), "日本語 ログ 10.9.8.7 😀 終\n");
}

#[test]
fn empty_window_invites_a_file() {
    let mut h = Harness::new_ui_state(
        |ui, w: &mut Window| {
            let commands = w.view.ui(ui);
            w.commands.extend(commands);
        },
        Window {
            view: QuickSanitise::default(),
            commands: Vec::new(),
        },
    );
    h.run();
    assert!(h.query_by_label_contains("Drop a log here").is_some());
}

#[derive(Debug)]
struct DroppedPath(std::path::PathBuf);

impl eframe::egui::DroppedFile for DroppedPath {
    fn path(&self) -> &std::path::Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        Err("the window never reads dropped bytes itself".into())
    }
}

#[test]
fn dropping_a_file_asks_the_app_to_open_it() {
    let mut h = window(FIXTURE);
    let path = std::path::PathBuf::from("/var/log/dropped.log");
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(path.clone())));
    h.run();
    assert_eq!(h.state().commands, vec![Command::Open(path)]);
}

#[test]
fn ctrl_o_and_ctrl_s_are_shortcuts() {
    let mut h = window(FIXTURE);
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::O);
    h.run();
    h.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::S);
    h.run();
    assert_eq!(
        h.state().commands,
        vec![Command::PickFile, Command::PickSavePath]
    );
}

/// Regression: with no file chooser on the desktop, Save did nothing and said nothing. The
/// window now offers a typed path, which saves through the same request.
#[test]
fn a_typed_save_path_is_offered_when_no_dialog_answers() {
    let mut h = window(FIXTURE);
    h.state_mut().view.save_path = Some("relative.log".into());
    h.run();
    h.get_by_label("Save here").click();
    h.run();
    assert!(
        h.state().commands.is_empty(),
        "a relative path is not accepted"
    );
    h.state_mut().view.save_path = Some("/tmp/tftsr-typed/copy.log".into());
    h.run();
    h.get_by_label("Save here").click();
    h.run();
    assert_eq!(
        h.state().commands,
        vec![Command::SaveTo("/tmp/tftsr-typed/copy.log".into())]
    );
    assert!(h.state().view.save_path.is_none(), "the entry closes");
}
