//! Issues: the list (filter, full-text search, dashboard), a new-issue form, and one issue with
//! its tabs — Logs (attach, review inline, approve), Triage chat (each message's findings
//! reviewed before it is sent, the Why 1–5 tracker), Resolution (steps, root cause) and
//! Timeline. Returns commands; no I/O here.

use super::sanitise::{QuickSanitise, line_ui};
use super::worker::{IssueDetail, IssueFields, ProviderSummary};
use crate::pii::Mode;
use crate::review::Review;
use crate::store::records::SEVERITIES;
use crate::store::triage::{DOMAINS, EventRow, IssueFilter, IssueRow, StepRow, domain_label};
use crate::triage::documents::{self, DocKind};
use crate::triage::whys;
use eframe::egui::{self, Color32, Panel, RichText, ScrollArea};

#[must_use]
pub enum IssueCommand {
    Refresh,
    Create(IssueFields),
    Open(String),
    Edit(String, IssueFields),
    SetStatus(String, bool),
    Delete(String),
    /// Show the file dialog for a log to attach.
    PickLog,
    /// Store the reviewed log.
    Attach(String, Mode),
    Check(String, String),
    Send {
        issue_id: String,
        provider: String,
        mode: Mode,
    },
    Cancel,
    ConfirmRootCause(String, String),
    AddStep(String, String),
    UpdateStep(String, StepRow),
    MoveStep(String, String, bool),
    DeleteStep(String, String),
    KeepPseudonyms(String, bool),
    GenerateDoc(String, DocKind),
    SaveDoc(String, DocKind, String),
    /// Ask where to export (the save dialog), then export.
    PickExport(String, DocKind, bool),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueTab {
    Logs,
    Chat,
    Resolution,
    Documents,
    Timeline,
    Audit,
}

pub struct IssuesView {
    pub issues: Vec<IssueRow>,
    pub open_by_severity: Vec<(String, i64)>,
    pub recent: Vec<EventRow>,
    pub filter: IssueFilter,
    pub search: String,
    pub detail: Option<IssueDetail>,
    pub tab: IssueTab,
    /// The new-issue (or edit) form, when open; `Some(id)` when editing.
    pub form: Option<(Option<String>, IssueFields)>,
    pub confirm_delete: bool,
    /// A log being reviewed before it is attached (same view as quick sanitise).
    pub pending_log: QuickSanitise,
    pub chat_input: String,
    /// The typed message under review (its findings shown inline).
    pub message_review: Option<Review>,
    pub streaming: Option<String>,
    pub provider: Option<String>,
    pub mode: Mode,
    pub show_originals: bool,
    pub new_step: String,
    pub root_cause: String,
    pub message: Option<String>,
    pub doc_kind: DocKind,
    /// The document being edited, and which version of which document it started from.
    pub editor: String,
    pub editor_from: Option<(DocKind, i64)>,
    md_cache: egui_commonmark::CommonMarkCache,
}

impl Default for IssuesView {
    fn default() -> Self {
        IssuesView {
            issues: Vec::new(),
            open_by_severity: Vec::new(),
            recent: Vec::new(),
            filter: IssueFilter::default(),
            search: String::new(),
            detail: None,
            tab: IssueTab::Chat,
            form: None,
            confirm_delete: false,
            pending_log: QuickSanitise {
                embedded: true,
                mode: Mode::Pseudonym,
                ..Default::default()
            },
            chat_input: String::new(),
            message_review: None,
            streaming: None,
            provider: None,
            mode: Mode::Pseudonym,
            show_originals: false,
            new_step: String::new(),
            root_cause: String::new(),
            message: None,
            doc_kind: DocKind::Rca,
            editor: String::new(),
            editor_from: None,
            md_cache: Default::default(),
        }
    }
}

fn blank_fields() -> IssueFields {
    IssueFields {
        title: String::new(),
        description: String::new(),
        domain: "linux".into(),
        severity: "P2".into(),
    }
}

impl IssuesView {
    pub fn current_id(&self) -> Option<String> {
        self.detail
            .as_ref()?
            .row
            .as_ref()
            .map(|r| r.issue.id.clone())
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, providers: &[ProviderSummary]) -> Vec<IssueCommand> {
        let mut commands = Vec::new();
        Panel::left("issue-list")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| self.list_ui(ui, &mut commands));
        egui::CentralPanel::default().show(ui, |ui| {
            if let Some(m) = &self.message {
                ui.colored_label(Color32::LIGHT_RED, m);
            }
            if self.form.is_some() {
                self.form_ui(ui, &mut commands);
            } else if self.detail.as_ref().is_some_and(|d| d.row.is_some()) {
                self.issue_ui(ui, providers, &mut commands);
            } else {
                self.dashboard_ui(ui);
            }
        });
        commands
    }

    fn list_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<IssueCommand>) {
        ui.horizontal(|ui| {
            ui.heading("Issues");
            if ui.button("New issue").clicked() {
                self.form = Some((None, blank_fields()));
            }
        });
        let counts: Vec<String> = self
            .open_by_severity
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        ui.label(if counts.is_empty() {
            "No open issues".to_string()
        } else {
            format!("Open: {}", counts.join(" · "))
        });
        ui.horizontal(|ui| {
            let l = ui.label("Search");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .desired_width(180.0)
                        .hint_text("titles, logs, chat"),
                )
                .labelled_by(l.id);
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.filter.search = Some(self.search.clone()).filter(|s| !s.trim().is_empty());
                commands.push(IssueCommand::Refresh);
            }
        });
        ui.horizontal(|ui| {
            for (label, status) in [
                ("All", None),
                ("Open", Some("open")),
                ("Resolved", Some("resolved")),
            ] {
                let status = status.map(String::from);
                if ui
                    .selectable_label(self.filter.status == status, label)
                    .clicked()
                {
                    self.filter.status = status;
                    commands.push(IssueCommand::Refresh);
                }
            }
        });
        ui.separator();
        let current = self.current_id();
        ScrollArea::vertical().show(ui, |ui| {
            for row in &self.issues {
                let i = &row.issue;
                let done = if i.status == "resolved" {
                    " (resolved)"
                } else {
                    ""
                };
                let text = format!("{} · {}{done}", i.severity, i.title);
                if ui
                    .selectable_label(current.as_deref() == Some(i.id.as_str()), text)
                    .on_hover_text(format!(
                        "{} · Why {} of 5",
                        domain_label(&i.domain),
                        row.why.level
                    ))
                    .clicked()
                {
                    commands.push(IssueCommand::Open(i.id.clone()));
                }
            }
        });
    }

    fn dashboard_ui(&self, ui: &mut egui::Ui) {
        ui.heading("Dashboard");
        for (s, n) in &self.open_by_severity {
            ui.label(format!("{s}: {n} open"));
        }
        ui.add_space(8.0);
        ui.label(RichText::new("Recent activity").strong());
        for e in &self.recent {
            ui.label(format!(
                "{} · {} · {} {}",
                crate::audit::format_ts(e.ts_ms),
                e.issue_title,
                e.kind.replace('_', " "),
                e.detail
            ));
        }
    }

    fn form_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<IssueCommand>) {
        let Some((editing, f)) = &mut self.form else {
            return;
        };
        ui.heading(if editing.is_some() {
            "Edit issue"
        } else {
            "New issue"
        });
        let l = ui.label("Title");
        ui.add(egui::TextEdit::singleline(&mut f.title).desired_width(600.0))
            .labelled_by(l.id);
        let l = ui.label("Description");
        ui.add(
            egui::TextEdit::multiline(&mut f.description)
                .desired_rows(5)
                .desired_width(600.0),
        )
        .labelled_by(l.id);
        ui.horizontal(|ui| {
            ui.label("Domain");
            egui::ComboBox::from_id_salt("domain")
                .selected_text(domain_label(&f.domain).to_string())
                .show_ui(ui, |ui| {
                    for (id, label) in DOMAINS {
                        ui.selectable_value(&mut f.domain, id.to_string(), label);
                    }
                });
            ui.label("Severity");
            for s in SEVERITIES {
                ui.selectable_value(&mut f.severity, s.to_string(), s);
            }
        });
        let label = if editing.is_some() {
            "Save changes"
        } else {
            "Create issue"
        };
        let (mut submit, mut cancel) = (false, false);
        ui.horizontal(|ui| {
            submit = ui.button(label).clicked();
            cancel = ui.button("Cancel").clicked();
        });
        if submit {
            if f.title.trim().is_empty() {
                self.message = Some("An issue needs a title.".into());
            } else {
                let fields = f.clone();
                commands.push(match editing.clone() {
                    Some(id) => IssueCommand::Edit(id, fields),
                    None => IssueCommand::Create(fields),
                });
                self.form = None;
                self.message = None;
            }
        } else if cancel {
            self.form = None;
        }
    }

    fn issue_ui(
        &mut self,
        ui: &mut egui::Ui,
        providers: &[ProviderSummary],
        commands: &mut Vec<IssueCommand>,
    ) {
        let Some(row) = self.detail.as_ref().and_then(|d| d.row.clone()) else {
            return;
        };
        let i = &row.issue;
        ui.horizontal(|ui| {
            ui.heading(&i.title);
            ui.label(format!(
                "{} · {} · {}",
                i.severity,
                domain_label(&i.domain),
                i.status
            ));
        });
        ui.horizontal(|ui| {
            if ui.small_button("Edit").clicked() {
                self.form = Some((
                    Some(i.id.clone()),
                    IssueFields {
                        title: i.title.clone(),
                        description: i.description.clone(),
                        domain: i.domain.clone(),
                        severity: i.severity.clone(),
                    },
                ));
            }
            let resolved = i.status == "resolved";
            if ui
                .small_button(if resolved { "Reopen" } else { "Resolve" })
                .clicked()
            {
                commands.push(IssueCommand::SetStatus(i.id.clone(), !resolved));
            }
            if self.confirm_delete {
                ui.colored_label(
                    Color32::LIGHT_RED,
                    "Delete this issue and everything attached?",
                );
                if ui.small_button("Yes, delete").clicked() {
                    commands.push(IssueCommand::Delete(i.id.clone()));
                    self.confirm_delete = false;
                }
                if ui.small_button("No").clicked() {
                    self.confirm_delete = false;
                }
            } else if ui.small_button("Delete…").clicked() {
                self.confirm_delete = true;
            }
        });
        why_tracker_ui(ui, row.why.level, row.why.confirmed_at.is_some());
        ui.horizontal(|ui| {
            for (tab, label) in [
                (IssueTab::Logs, "Logs"),
                (IssueTab::Chat, "Triage chat"),
                (IssueTab::Resolution, "Resolution"),
                (IssueTab::Documents, "Documents"),
                (IssueTab::Timeline, "Timeline"),
                (IssueTab::Audit, "Audit"),
            ] {
                if ui.selectable_label(self.tab == tab, label).clicked() {
                    self.tab = tab;
                }
            }
        });
        ui.separator();
        match self.tab {
            IssueTab::Logs => self.logs_ui(ui, &i.id, commands),
            IssueTab::Chat => self.chat_ui(ui, &row, providers, commands),
            IssueTab::Resolution => self.resolution_ui(ui, &row, commands),
            IssueTab::Documents => self.documents_ui(ui, &i.id, commands),
            IssueTab::Audit => {
                ui.label("Read-only: every recorded action about this issue, newest first.");
                let entries = self
                    .detail
                    .as_ref()
                    .map(|d| d.audit.clone())
                    .unwrap_or_default();
                ScrollArea::vertical().show(ui, |ui| {
                    egui::Grid::new("issue-audit")
                        .striped(true)
                        .num_columns(4)
                        .show(ui, |ui| {
                            for e in &entries {
                                ui.monospace(e.seq.to_string());
                                ui.monospace(crate::audit::format_ts(e.ts_ms));
                                ui.label(&e.action);
                                let details: String = e.details.chars().take(100).collect();
                                ui.monospace(details);
                                ui.end_row();
                            }
                        });
                });
            }
            IssueTab::Timeline => {
                ScrollArea::vertical().show(ui, |ui| {
                    for e in self
                        .detail
                        .as_ref()
                        .map(|d| d.timeline.as_slice())
                        .unwrap_or(&[])
                    {
                        ui.label(format!(
                            "{} · {} {}",
                            crate::audit::format_ts(e.ts_ms),
                            e.kind.replace('_', " "),
                            e.detail
                        ));
                    }
                });
            }
        }
    }

    fn logs_ui(&mut self, ui: &mut egui::Ui, issue_id: &str, commands: &mut Vec<IssueCommand>) {
        let logs = self
            .detail
            .as_ref()
            .map(|d| d.logs.clone())
            .unwrap_or_default();
        for l in &logs {
            ui.label(format!(
                "{} · {} bytes · {} redacted · {} kept · sha256 {}…",
                l.name,
                l.size_bytes,
                l.redacted,
                l.kept,
                &l.redacted_sha256[..12.min(l.redacted_sha256.len())]
            ));
        }
        if self.pending_log.review.is_none() {
            if ui.button("Attach log…").clicked() {
                commands.push(IssueCommand::PickLog);
            }
            ui.label(
                RichText::new(
                    "Only the redacted text you approve is kept; the original is not stored.",
                )
                .weak(),
            );
            return;
        }
        ui.horizontal(|ui| {
            if ui.button("Approve and attach").clicked() {
                commands.push(IssueCommand::Attach(
                    issue_id.to_string(),
                    self.pending_log.mode,
                ));
            }
            if ui.button("Discard").clicked() {
                self.pending_log.review = None;
            }
        });
        // The same inline-toggle review as quick sanitise (its own save/open buttons unused).
        let _ = self.pending_log.ui(ui);
    }

    fn chat_ui(
        &mut self,
        ui: &mut egui::Ui,
        row: &IssueRow,
        providers: &[ProviderSummary],
        commands: &mut Vec<IssueCommand>,
    ) {
        let issue_id = row.issue.id.clone();
        if providers.is_empty() {
            ui.label("No provider yet: add one in Settings › Providers.");
        }
        ui.horizontal(|ui| {
            super::providers::provider_picker_ui(
                ui,
                "chat-provider",
                providers,
                &mut self.provider,
            );
            ui.selectable_value(&mut self.mode, Mode::Pseudonym, "[TYPE-n]");
            ui.selectable_value(&mut self.mode, Mode::Label, "[TYPE]");
            ui.checkbox(
                &mut self.show_originals,
                "Show originals (this machine only)",
            );
            let mut keep = row.why.keep_pseudonyms;
            if ui
                .checkbox(
                    &mut keep,
                    "Keep the pseudonym map (identity types, encrypted)",
                )
                .changed()
            {
                commands.push(IssueCommand::KeepPseudonyms(issue_id.clone(), keep));
            }
        });
        let originals = self
            .detail
            .as_ref()
            .map(|d| d.originals.clone())
            .unwrap_or_default();
        let messages = self
            .detail
            .as_ref()
            .map(|d| d.messages.clone())
            .unwrap_or_default();
        ScrollArea::vertical()
            .max_height(ui.available_height() - 170.0)
            .stick_to_bottom(true)
            .show(ui, |ui| {
                for m in &messages {
                    let (visible, _) = whys::parse(&m.content);
                    let mut text = if self.show_originals {
                        restore(&visible, &originals)
                    } else {
                        visible
                    };
                    let who = if m.role == "user" {
                        "You (as sent)"
                    } else {
                        "Assistant"
                    };
                    let state = match m.state.as_str() {
                        "complete" => String::new(),
                        "streaming" if self.streaming.is_some() => {
                            text = self.streaming.clone().unwrap_or_default();
                            " · streaming…".into()
                        }
                        s => format!(" · {s}"),
                    };
                    ui.label(RichText::new(format!("{who}{state}")).strong());
                    ui.add(egui::Label::new(text).wrap());
                    ui.add_space(6.0);
                }
            });
        ui.separator();
        if let Some(review) = &mut self.message_review {
            ui.label(RichText::new("Review your message: click a highlight to keep it; everything highlighted is redacted.").strong());
            let mut toggles = Vec::new();
            let digits = review.line_count().to_string().len();
            for line in 0..review.line_count() {
                line_ui(ui, review, line, digits, false, None, &mut toggles);
            }
            for t in toggles {
                review.toggle(t);
            }
            ui.horizontal(|ui| {
                let can = self.provider.is_some() && self.streaming.is_none();
                if ui
                    .add_enabled(can, egui::Button::new("Approve and send"))
                    .clicked()
                {
                    commands.push(IssueCommand::Send {
                        issue_id: issue_id.clone(),
                        provider: self.provider.clone().unwrap_or_default(),
                        mode: self.mode,
                    });
                }
                if ui.button("Edit").clicked() {
                    self.message_review = None;
                }
            });
        } else {
            let l = ui.label("Message");
            ui.add(
                egui::TextEdit::multiline(&mut self.chat_input)
                    .desired_rows(3)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id);
            ui.horizontal(|ui| {
                let busy = self.streaming.is_some();
                if ui
                    .add_enabled(
                        !busy && !self.chat_input.trim().is_empty(),
                        egui::Button::new("Check and send…"),
                    )
                    .clicked()
                {
                    commands.push(IssueCommand::Check(
                        issue_id.clone(),
                        self.chat_input.clone(),
                    ));
                }
                if busy {
                    ui.spinner();
                    if ui.button("Cancel").clicked() {
                        commands.push(IssueCommand::Cancel);
                    }
                }
            });
        }
    }

    fn resolution_ui(
        &mut self,
        ui: &mut egui::Ui,
        row: &IssueRow,
        commands: &mut Vec<IssueCommand>,
    ) {
        let issue_id = row.issue.id.clone();
        ui.label(RichText::new("Root cause").strong());
        match (&row.why.root_cause, row.why.confirmed_at) {
            (Some(rc), Some(_)) => {
                ui.label(format!("Confirmed: {rc}"));
            }
            (proposed, None) => {
                if let Some(p) = proposed {
                    ui.label(format!("Proposed by the assistant: {p}"));
                    if self.root_cause.is_empty() {
                        self.root_cause = p.clone();
                    }
                }
                ui.horizontal(|ui| {
                    let l = ui.label("Root cause");
                    ui.add(egui::TextEdit::singleline(&mut self.root_cause).desired_width(500.0))
                        .labelled_by(l.id);
                    if ui.button("Confirm root cause").clicked()
                        && !self.root_cause.trim().is_empty()
                    {
                        commands.push(IssueCommand::ConfirmRootCause(
                            issue_id.clone(),
                            self.root_cause.clone(),
                        ));
                    }
                });
            }
            (None, Some(_)) => {}
        }
        ui.add_space(8.0);
        ui.label(RichText::new("Resolution steps").strong());
        let steps = self
            .detail
            .as_ref()
            .map(|d| d.steps.clone())
            .unwrap_or_default();
        for (n, step) in steps.iter().enumerate() {
            let mut s = step.clone();
            let mut changed = false;
            ui.horizontal(|ui| {
                changed |= ui.checkbox(&mut s.done, "").changed();
                let why = s.why_level.map_or(String::new(), |w| format!("Why {w}: "));
                ui.label(format!("{}. {why}{}", n + 1, s.question));
                if ui.small_button("Up").clicked() {
                    commands.push(IssueCommand::MoveStep(issue_id.clone(), s.id.clone(), true));
                }
                if ui.small_button("Down").clicked() {
                    commands.push(IssueCommand::MoveStep(
                        issue_id.clone(),
                        s.id.clone(),
                        false,
                    ));
                }
                if ui.small_button("Remove").clicked() {
                    commands.push(IssueCommand::DeleteStep(issue_id.clone(), s.id.clone()));
                }
            });
            if !s.answer.is_empty() {
                ui.label(RichText::new(&s.answer).weak());
            }
            ui.horizontal(|ui| {
                ui.label("Evidence");
                let r = ui.add(egui::TextEdit::singleline(&mut s.evidence).desired_width(500.0));
                changed |= r.lost_focus();
            });
            if changed {
                commands.push(IssueCommand::UpdateStep(issue_id.clone(), s));
            }
        }
        ui.horizontal(|ui| {
            let l = ui.label("New step");
            ui.add(egui::TextEdit::singleline(&mut self.new_step).desired_width(400.0))
                .labelled_by(l.id);
            if ui.button("Add step").clicked() && !self.new_step.trim().is_empty() {
                commands.push(IssueCommand::AddStep(
                    issue_id.clone(),
                    std::mem::take(&mut self.new_step),
                ));
            }
        });
    }
}

impl IssuesView {
    fn documents_ui(
        &mut self,
        ui: &mut egui::Ui,
        issue_id: &str,
        commands: &mut Vec<IssueCommand>,
    ) {
        let Some(d) = self.detail.as_ref() else {
            return;
        };
        if let Some(row) = &d.row {
            let (to_rc, to_resolve) = documents::metrics(&row.issue, &row.why, d.resolved_at);
            ui.label(format!(
                "Time to root cause: {} · time to resolve: {}",
                to_rc.unwrap_or_else(|| "—".into()),
                to_resolve.unwrap_or_else(|| "—".into())
            ));
        }
        let current = match self.doc_kind {
            DocKind::Rca => d.rca.clone(),
            DocKind::PostMortem => d.postmortem.clone(),
        };
        if let Some(m) = &d.exported {
            ui.colored_label(Color32::LIGHT_GREEN, m);
        }
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.doc_kind, DocKind::Rca, "RCA");
            ui.selectable_value(&mut self.doc_kind, DocKind::PostMortem, "Post-mortem");
            ui.separator();
            let label = if current.is_some() {
                "Regenerate from the issue"
            } else {
                "Generate"
            };
            if ui.button(label).clicked() {
                commands.push(IssueCommand::GenerateDoc(
                    issue_id.to_string(),
                    self.doc_kind,
                ));
            }
        });
        let Some((version, text)) = current else {
            ui.label("Generate the document from the issue's data, then edit it here.");
            return;
        };
        if self.editor_from != Some((self.doc_kind, version)) {
            self.editor = text;
            self.editor_from = Some((self.doc_kind, version));
        }
        ui.horizontal(|ui| {
            ui.label(format!("{} · version {version}", self.doc_kind.title()));
            if ui.button("Save version").clicked() {
                commands.push(IssueCommand::SaveDoc(
                    issue_id.to_string(),
                    self.doc_kind,
                    self.editor.clone(),
                ));
            }
            if ui.button("Export .md…").clicked() {
                commands.push(IssueCommand::PickExport(
                    issue_id.to_string(),
                    self.doc_kind,
                    false,
                ));
            }
            if ui.button("Export .html…").clicked() {
                commands.push(IssueCommand::PickExport(
                    issue_id.to_string(),
                    self.doc_kind,
                    true,
                ));
            }
        });
        ui.label(
            RichText::new("Exports are redacted again as a whole, and recorded in the audit log.")
                .weak(),
        );
        ui.columns(2, |cols| {
            let l = cols[0].label("Markdown");
            ScrollArea::vertical()
                .id_salt("doc-edit")
                .show(&mut cols[0], |ui| {
                    ui.add(
                        egui::TextEdit::multiline(&mut self.editor)
                            .code_editor()
                            .desired_width(f32::INFINITY)
                            .desired_rows(30),
                    )
                    .labelled_by(l.id);
                });
            cols[1].label("Preview");
            ScrollArea::vertical()
                .id_salt("doc-preview")
                .show(&mut cols[1], |ui| {
                    egui_commonmark::CommonMarkViewer::new().show(
                        ui,
                        &mut self.md_cache,
                        &self.editor,
                    );
                });
        });
    }
}

/// Why 1–5, filled up to the current level; the root cause marked once confirmed.
fn why_tracker_ui(ui: &mut egui::Ui, level: i64, confirmed: bool) {
    ui.horizontal(|ui| {
        for n in 1..=5 {
            let reached = n <= level;
            let text = RichText::new(format!("Why {n}")).color(if reached {
                Color32::BLACK
            } else {
                Color32::GRAY
            });
            let bg = if reached {
                Color32::from_rgb(0x8c, 0xc8, 0x7a)
            } else {
                Color32::TRANSPARENT
            };
            ui.label(text.background_color(bg));
        }
        if confirmed {
            ui.label(RichText::new("root cause confirmed").color(Color32::LIGHT_GREEN));
        }
    });
}

/// Pseudonyms replaced by their values, for display on this machine only.
fn restore(text: &str, originals: &std::collections::HashMap<String, String>) -> String {
    if originals.is_empty() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..start]);
        match rest[start..].find(']') {
            Some(end) => {
                let token = &rest[start..start + end + 1];
                out.push_str(originals.get(token).map_or(token, String::as_str));
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
