//! The first-run / unlock screen and Settings → Security: what protects the store, read back
//! from the open database, the audit chain's state with a Verify button, and a read-only,
//! paged audit log viewer. Like every view, it returns commands and does no I/O.

use crate::audit::{Entry, Verdict, format_ts};
use crate::secret::SecretString;
use crate::workspace::SecurityStatus;
use eframe::egui::{self, Color32, Grid, RichText, ScrollArea};

/// Entries per audit page.
pub const PAGE: usize = 50;
/// Passphrases chosen in the window are at least this long.
pub const MIN_PASSPHRASE: usize = 8;

#[must_use]
pub enum SecurityCommand {
    /// Open (or create) the store; `None` uses TFTSR_DB_KEY or the keyring.
    Unlock(Option<SecretString>),
    /// Carry on with quick sanitise only.
    WithoutStore,
    /// Back to the unlock screen from "without the store".
    ShowUnlock,
    Verify,
    AuditPage(Option<i64>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreState {
    Unlocking,
    /// A passphrase would open the store (`first_run`: create it).
    NeedsPassphrase {
        first_run: bool,
        message: String,
    },
    Failed {
        message: String,
    },
    Unlocked,
    WithoutStore,
}

pub struct SecurityView {
    pub state: StoreState,
    pub status: Option<SecurityStatus>,
    pub notes: Vec<String>,
    pub message: Option<String>,
    /// Typed passphrase fields, moved into a [`SecretString`] on submit.
    passphrase: String,
    confirm: String,
    pub audit: Vec<Entry>,
    /// `before` cursors of the pages above the current one (for "Newer").
    audit_newer: Vec<Option<i64>>,
    audit_before: Option<i64>,
}

impl Default for SecurityView {
    fn default() -> Self {
        SecurityView {
            state: StoreState::Unlocking,
            status: None,
            notes: Vec::new(),
            message: None,
            passphrase: String::new(),
            confirm: String::new(),
            audit: Vec::new(),
            audit_newer: Vec::new(),
            audit_before: None,
        }
    }
}

impl SecurityView {
    pub fn is_open(&self) -> bool {
        self.state == StoreState::Unlocked
    }

    /// The screen shown until the store is open or the person chose to go on without it.
    pub fn needs_unlock_screen(&self) -> bool {
        !matches!(self.state, StoreState::Unlocked | StoreState::WithoutStore)
    }

    /// A new audit page arrived.
    pub fn set_audit_page(&mut self, before: Option<i64>, entries: Vec<Entry>) {
        if before != self.audit_before {
            self.audit_newer.push(self.audit_before);
            self.audit_before = before;
        }
        self.audit = entries;
    }

    /// Reload the newest page (after a verify or a new entry).
    pub fn reset_audit_paging(&mut self) {
        self.audit_newer.clear();
        self.audit_before = None;
    }

    pub fn unlock_ui(&mut self, ui: &mut egui::Ui) -> Vec<SecurityCommand> {
        let mut commands = Vec::new();
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("TFTSR encrypted store");
            ui.add_space(8.0);
            ui.label("Issues, approved logs, chat and the audit log are kept in an encrypted SQLCipher database; provider keys in a sealed vault.");
            ui.add_space(16.0);
            match self.state.clone() {
                StoreState::Unlocking => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Opening the encrypted store…");
                    });
                }
                StoreState::NeedsPassphrase { first_run, message } => {
                    ui.label(message);
                    if let Some(m) = &self.message {
                        ui.colored_label(Color32::LIGHT_RED, m);
                    }
                    ui.add_space(8.0);
                    self.passphrase_ui(ui, first_run, &mut commands);
                }
                StoreState::Failed { message } => {
                    ui.colored_label(Color32::LIGHT_RED, message);
                    ui.add_space(8.0);
                    if ui.button("Try again").clicked() {
                        commands.push(SecurityCommand::Unlock(None));
                    }
                }
                StoreState::Unlocked | StoreState::WithoutStore => {}
            }
            ui.add_space(24.0);
            if ui.button("Continue without the store").clicked() {
                commands.push(SecurityCommand::WithoutStore);
            }
            ui.small("Quick sanitise only: nothing is kept, and saved copies are not recorded in the audit log.");
        });
        commands
    }

    fn passphrase_ui(
        &mut self,
        ui: &mut egui::Ui,
        first_run: bool,
        commands: &mut Vec<SecurityCommand>,
    ) {
        // Label above field, both centred: the screen is one column.
        let label = ui.label("Passphrase");
        ui.add(
            egui::TextEdit::singleline(&mut self.passphrase)
                .password(true)
                .desired_width(280.0),
        )
        .labelled_by(label.id);
        if first_run {
            let label = ui.label("Repeat passphrase");
            ui.add(
                egui::TextEdit::singleline(&mut self.confirm)
                    .password(true)
                    .desired_width(280.0),
            )
            .labelled_by(label.id);
        }
        if first_run {
            ui.small("It cannot be recovered: without it, the store cannot be opened.");
        }
        let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
        let label = if first_run {
            "Create encrypted store"
        } else {
            "Unlock"
        };
        if ui.button(label).clicked() || (enter && !self.passphrase.is_empty()) {
            if first_run && self.passphrase.chars().count() < MIN_PASSPHRASE {
                self.message = Some(format!(
                    "Choose a passphrase of at least {MIN_PASSPHRASE} characters."
                ));
            } else if first_run && self.passphrase != self.confirm {
                self.message = Some("The two passphrases differ.".into());
            } else if self.passphrase.is_empty() {
                self.message = Some("Enter the passphrase.".into());
            } else {
                self.message = None;
                self.confirm.clear();
                let typed = std::mem::take(&mut self.passphrase);
                self.state = StoreState::Unlocking;
                commands.push(SecurityCommand::Unlock(Some(SecretString::new(typed))));
            }
        }
    }

    /// Settings → Security.
    pub fn settings_ui(&mut self, ui: &mut egui::Ui) -> Vec<SecurityCommand> {
        let mut commands = Vec::new();
        ui.heading("Security");
        ui.add_space(6.0);
        let Some(status) = &self.status else {
            ui.label("The encrypted store is not open.");
            if ui.button("Unlock the store…").clicked() {
                commands.push(SecurityCommand::ShowUnlock);
            }
            return commands;
        };
        let c = &status.cipher;
        Grid::new("security")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, k: &str, v: String| {
                    ui.label(k);
                    ui.label(v);
                    ui.end_row();
                };
                row(
                    ui,
                    "Database",
                    format!(
                        "encrypted: SQLCipher {} ({}), AES-256-CBC pages",
                        c.cipher_version, c.provider
                    ),
                );
                row(ui, "Page size", c.page_size.to_string());
                row(
                    ui,
                    "Key derivation",
                    format!("{}, {} iterations", c.kdf_algorithm, c.kdf_iter),
                );
                row(ui, "Page HMAC", c.hmac_algorithm.clone());
                row(
                    ui,
                    "Journal",
                    format!("{} (synchronous=FULL)", c.journal_mode),
                );
                row(ui, "Database key", c.key_kind.to_string());
                row(
                    ui,
                    "Vault",
                    format!("{} ({} records)", status.backend, status.vault_records),
                );
                row(ui, "Schema version", status.schema_version.to_string());
                row(ui, "Data directory", status.data_dir.clone());
                ui.label("Audit chain");
                ui.horizontal(|ui| {
                    let (text, color) = verdict_text(&status.verdict);
                    ui.colored_label(color, text);
                    if ui
                        .button("Verify")
                        .on_hover_text("Check every entry and the anchor")
                        .clicked()
                    {
                        commands.push(SecurityCommand::Verify);
                    }
                });
                ui.end_row();
            });
        for note in &self.notes {
            ui.colored_label(Color32::YELLOW, note);
        }
        if let Some(m) = &self.message {
            ui.colored_label(Color32::LIGHT_RED, m);
        }
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            ui.heading("Audit log");
            ui.label(format!("({} entries, read-only)", status.audit_entries));
            if ui
                .add_enabled(!self.audit_newer.is_empty(), egui::Button::new("Newer"))
                .clicked()
            {
                let before = self.audit_newer.pop().flatten();
                self.audit_before = before;
                commands.push(SecurityCommand::AuditPage(before));
            }
            let oldest = self.audit.last().map(|e| e.seq);
            let more = oldest.is_some_and(|s| s > 1);
            if ui.add_enabled(more, egui::Button::new("Older")).clicked() {
                commands.push(SecurityCommand::AuditPage(oldest));
            }
        });
        ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                Grid::new("audit")
                    .num_columns(5)
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["seq", "time (UTC)", "action", "entity", "details"] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for e in &self.audit {
                            ui.monospace(e.seq.to_string());
                            ui.monospace(format_ts(e.ts_ms));
                            ui.label(&e.action);
                            ui.label(if e.entity_id.is_empty() {
                                e.entity_type.clone()
                            } else {
                                format!("{} {}", e.entity_type, short(&e.entity_id))
                            });
                            ui.monospace(short_details(&e.details));
                            ui.end_row();
                        }
                    });
            });
        commands
    }

    /// The short status for the top bar.
    pub fn badge(&self) -> (String, Color32) {
        match (&self.state, &self.status) {
            (StoreState::Unlocked, Some(s)) => {
                let audit = if s.verdict.is_ok() {
                    "audit ok"
                } else {
                    "audit BROKEN"
                };
                (
                    format!("DB encrypted · {audit} · vault: {}", s.key_source),
                    if s.verdict.is_ok() {
                        Color32::LIGHT_GREEN
                    } else {
                        Color32::LIGHT_RED
                    },
                )
            }
            (StoreState::WithoutStore, _) => (
                "store not open (quick sanitise only)".into(),
                Color32::YELLOW,
            ),
            _ => ("store locked".into(), Color32::YELLOW),
        }
    }
}

fn verdict_text(v: &Verdict) -> (String, Color32) {
    match v {
        Verdict::Intact { entries } | Verdict::AheadByOne { entries } => (
            format!("intact: {entries} entries, newest matches its anchor"),
            Color32::LIGHT_GREEN,
        ),
        Verdict::Broken { seq, reason } => {
            (format!("BROKEN at seq {seq}: {reason}"), Color32::LIGHT_RED)
        }
    }
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

fn short_details(details: &str) -> String {
    let mut s: String = details.chars().take(90).collect();
    if details.chars().count() > 90 {
        s.push('…');
    }
    s
}
