//! The eframe application: the top bar, the unlock screen, the quick-sanitise view and
//! Settings → Security, wired to the worker and the file dialogs.

use super::ask::{AskCommand, AskState, AskView};
use super::issues::{IssueCommand, IssuesView};
use super::providers::{ProviderCommand, ProvidersView};
use super::sanitise::{Command, QuickSanitise, Scanning};
use super::security::{PAGE, SecurityCommand, SecurityView, StoreState};
use super::worker::{
    AiEvent, AiRequest, Event, IssueEvent, IssueRequest, LogContext, Request, RequestId,
    StoreConfig, Worker,
};
use eframe::egui::{self, CentralPanel, Panel};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Sanitise,
    Issues,
    Settings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsTab {
    Security,
    Providers,
    Network,
}

pub struct TftsrApp {
    pub view: QuickSanitise,
    pub security: SecurityView,
    pub providers: ProvidersView,
    pub ask: AskView,
    pub issues: IssuesView,
    pub tab: Tab,
    pub settings_tab: SettingsTab,
    /// The question being prepared or sent, and its cancel flag.
    ask_request: Option<(RequestId, Arc<AtomicBool>)>,
    /// The last provider/network settings request (its failure shows in that view).
    settings_request: Option<RequestId>,
    /// The chat message being sent, and its cancel flag.
    chat_request: Option<(RequestId, Arc<AtomicBool>)>,
    /// Scans whose result goes to the issue's pending log instead of quick sanitise.
    issue_scan: Option<RequestId>,
    /// The open dialog is for a log to attach to the issue.
    dialog_for_issue: bool,
    /// The open save dialog is for a document export: (issue, kind, html).
    export_pending: Option<(String, crate::triage::documents::DocKind, bool)>,
    worker: Worker,
    next_id: RequestId,
    /// The scan in flight: its id and cancel flag.
    active_scan: Option<(RequestId, Arc<AtomicBool>)>,
    dialog_open: bool,
}

impl TftsrApp {
    /// Starts the worker and asks it to open the store (TFTSR_DB_KEY or the keyring; the unlock
    /// screen asks for a passphrase when neither works).
    pub fn new(
        ctx: &egui::Context,
        open: Option<PathBuf>,
        store: StoreConfig,
    ) -> std::io::Result<Self> {
        let repaint_ctx = ctx.clone();
        let worker = Worker::start(move || repaint_ctx.request_repaint(), store)?;
        let mut app = TftsrApp {
            view: QuickSanitise::default(),
            security: SecurityView::default(),
            providers: ProvidersView::default(),
            ask: AskView::default(),
            issues: IssuesView::default(),
            tab: Tab::Sanitise,
            settings_tab: SettingsTab::Security,
            ask_request: None,
            settings_request: None,
            chat_request: None,
            issue_scan: None,
            dialog_for_issue: false,
            export_pending: None,
            worker,
            next_id: 1,
            active_scan: None,
            dialog_open: false,
        };
        app.apply_security(SecurityCommand::Unlock(None));
        if let Some(path) = open {
            app.apply(Command::Open(path), ctx);
        }
        Ok(app)
    }

    fn send(&mut self, request: impl FnOnce(RequestId) -> Request) {
        let id = self.id();
        if let Err(e) = self.worker.send(request(id)) {
            self.view.message = Some(e.to_string());
        }
    }

    fn apply_security(&mut self, command: SecurityCommand) {
        match command {
            SecurityCommand::Unlock(passphrase) => {
                self.security.state = StoreState::Unlocking;
                self.send(|id| Request::Unlock { id, passphrase });
            }
            SecurityCommand::WithoutStore => self.security.state = StoreState::WithoutStore,
            SecurityCommand::ShowUnlock => {
                self.apply_security(SecurityCommand::Unlock(None));
            }
            SecurityCommand::Verify => {
                self.security.reset_audit_paging();
                self.send(|id| Request::VerifyAudit { id });
                self.send(|id| Request::AuditPage {
                    id,
                    before: None,
                    limit: PAGE,
                });
            }
            SecurityCommand::AuditPage(before) => self.send(|id| Request::AuditPage {
                id,
                before,
                limit: PAGE,
            }),
        }
    }

    fn apply_provider(&mut self, command: ProviderCommand) {
        let id = self.id();
        self.settings_request = Some(id);
        self.providers.message = None;
        let request = match command {
            ProviderCommand::Add {
                name,
                kind,
                url,
                model,
                key,
            } => AiRequest::AddProvider {
                id,
                name,
                kind,
                url,
                model,
                key,
            },
            ProviderCommand::SetKey { provider_id, key } => AiRequest::SetKey {
                id,
                provider_id,
                key,
            },
            ProviderCommand::RemoveKey { provider_id } => AiRequest::RemoveKey { id, provider_id },
            ProviderCommand::Remove { name } => AiRequest::RemoveProvider { id, name },
            ProviderCommand::Test { name } => AiRequest::Test { id, name },
            ProviderCommand::SetOffline(offline) => AiRequest::SetOffline { id, offline },
            ProviderCommand::AddOrigin(origin) => AiRequest::AddOrigin { id, origin },
            ProviderCommand::RemoveOrigin(origin) => AiRequest::RemoveOrigin { id, origin },
        };
        if let Err(e) = self.worker.send(Request::Ai(request)) {
            self.providers.message = Some(e.to_string());
        }
        self.refresh_security();
    }

    fn apply_ask(&mut self, command: AskCommand) {
        match command {
            AskCommand::Prepare {
                question,
                include_log,
                mode,
            } => {
                let log = self
                    .view
                    .review
                    .as_ref()
                    .filter(|_| include_log)
                    .map(|r| LogContext {
                        name: r.name.clone(),
                        text: r.text.clone(),
                        findings: r.findings().to_vec(),
                        decisions: r.decisions().to_vec(),
                    });
                let id = self.id();
                self.ask.state = AskState::Preparing;
                self.ask_request = Some((id, Arc::new(AtomicBool::new(false))));
                let request = AiRequest::Prepare {
                    id,
                    question,
                    log,
                    mode,
                };
                if let Err(e) = self.worker.send(Request::Ai(request)) {
                    self.ask.note = Some(e.to_string());
                }
            }
            AskCommand::Send { prepared, provider } => {
                let id = self.id();
                let cancel = Arc::new(AtomicBool::new(false));
                self.ask.state = AskState::Sending;
                self.ask.answer.clear();
                self.ask.note = None;
                self.ask_request = Some((id, cancel.clone()));
                let request = AiRequest::Send {
                    id,
                    prepared,
                    provider,
                    cancel,
                };
                if let Err(e) = self.worker.send(Request::Ai(request)) {
                    self.ask.note = Some(e.to_string());
                }
            }
            AskCommand::Cancel => {
                if let Some((_, cancel)) = &self.ask_request {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
        }
    }

    fn issue_request(&mut self, request: impl FnOnce(RequestId) -> IssueRequest) {
        self.issues.message = None;
        self.send(|id| Request::Issue(request(id)));
    }

    fn apply_issue(&mut self, command: IssueCommand, ctx: &egui::Context) {
        match command {
            IssueCommand::Refresh => {
                let filter = self.issues.filter.clone();
                self.issue_request(|id| IssueRequest::List { id, filter });
            }
            IssueCommand::Create(fields) => {
                self.issue_request(|id| IssueRequest::Create { id, fields })
            }
            IssueCommand::Open(issue_id) => {
                self.issues.message_review = None;
                self.issues.pending_log.review = None;
                self.issues.root_cause.clear();
                self.issue_request(|id| IssueRequest::Load { id, issue_id });
            }
            IssueCommand::Edit(issue_id, fields) => self.issue_request(|id| IssueRequest::Edit {
                id,
                issue_id,
                fields,
            }),
            IssueCommand::SetStatus(issue_id, resolved) => {
                self.issue_request(|id| IssueRequest::SetStatus {
                    id,
                    issue_id,
                    resolved,
                })
            }
            IssueCommand::Delete(issue_id) => {
                self.issue_request(|id| IssueRequest::Delete { id, issue_id })
            }
            IssueCommand::PickLog => {
                self.dialog_for_issue = true;
                self.dialog(ctx, false);
            }
            IssueCommand::Attach(issue_id, mode) => {
                if let Some(review) = self.issues.pending_log.review.take() {
                    let review = Box::new(review);
                    self.issue_request(|id| IssueRequest::Attach {
                        id,
                        issue_id,
                        review,
                        mode,
                    });
                }
            }
            IssueCommand::Check(issue_id, text) => {
                self.issue_request(|id| IssueRequest::Check { id, issue_id, text })
            }
            IssueCommand::Send {
                issue_id,
                provider,
                mode,
            } => {
                let Some(message) = self.issues.message_review.take() else {
                    return;
                };
                let cancel = Arc::new(AtomicBool::new(false));
                let id = self.id();
                self.chat_request = Some((id, cancel.clone()));
                self.issues.streaming = Some(String::new());
                self.issues.chat_input.clear();
                let request = IssueRequest::Send {
                    id,
                    issue_id: issue_id.clone(),
                    message: Box::new(message),
                    provider,
                    mode,
                    cancel,
                };
                if let Err(e) = self.worker.send(Request::Issue(request)) {
                    self.issues.message = Some(e.to_string());
                }
                // Show the stored user message and the streaming placeholder right away.
                self.issue_request(|id| IssueRequest::Load { id, issue_id });
            }
            IssueCommand::Cancel => {
                if let Some((_, cancel)) = &self.chat_request {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            IssueCommand::ConfirmRootCause(issue_id, text) => {
                self.issue_request(|id| IssueRequest::ConfirmRootCause { id, issue_id, text })
            }
            IssueCommand::AddStep(issue_id, text) => {
                self.issue_request(|id| IssueRequest::AddStep { id, issue_id, text })
            }
            IssueCommand::UpdateStep(issue_id, step) => {
                self.issue_request(|id| IssueRequest::UpdateStep { id, issue_id, step })
            }
            IssueCommand::MoveStep(issue_id, step_id, up) => {
                self.issue_request(|id| IssueRequest::MoveStep {
                    id,
                    issue_id,
                    step_id,
                    up,
                })
            }
            IssueCommand::DeleteStep(issue_id, step_id) => {
                self.issue_request(|id| IssueRequest::DeleteStep {
                    id,
                    issue_id,
                    step_id,
                })
            }
            IssueCommand::GenerateDoc(issue_id, kind) => {
                self.issue_request(|id| IssueRequest::GenerateDoc { id, issue_id, kind })
            }
            IssueCommand::SaveDoc(issue_id, kind, markdown) => {
                self.issue_request(|id| IssueRequest::SaveDoc {
                    id,
                    issue_id,
                    kind,
                    markdown,
                })
            }
            IssueCommand::PickExport(issue_id, kind, html) => {
                let name = format!("{}.{}", kind.name(), if html { "html" } else { "md" });
                self.export_pending = Some((issue_id, kind, html));
                self.save_dialog(ctx, name);
            }
            IssueCommand::KeepPseudonyms(issue_id, keep) => {
                self.issue_request(|id| IssueRequest::KeepPseudonyms { id, issue_id, keep })
            }
        }
    }

    fn on_issue_event(&mut self, event: IssueEvent, ctx: &egui::Context) {
        match event {
            IssueEvent::List {
                issues,
                open_by_severity,
                recent,
                ..
            } => {
                self.issues.issues = issues;
                self.issues.open_by_severity = open_by_severity;
                self.issues.recent = recent;
            }
            IssueEvent::Detail { id, detail } => {
                let finished_chat = self.chat_request.as_ref().is_some_and(|(c, _)| *c == id);
                if finished_chat {
                    self.chat_request = None;
                    self.issues.streaming = None;
                }
                // A detail for another issue than the one shown (a late answer) is not shown.
                let same = self.issues.current_id().is_none()
                    || detail.row.as_ref().map(|r| &r.issue.id)
                        == self.issues.current_id().as_ref()
                    || !finished_chat;
                if same {
                    self.issues.detail = Some(*detail);
                }
                self.apply_issue(IssueCommand::Refresh, ctx);
                self.refresh_security();
            }
            IssueEvent::Deleted { .. } => {
                self.issues.detail = None;
                self.apply_issue(IssueCommand::Refresh, ctx);
                self.refresh_security();
            }
            IssueEvent::Checked { review, .. } => self.issues.message_review = Some(*review),
        }
    }

    fn on_ai_event(&mut self, event: AiEvent) {
        let ask_id = self.ask_request.as_ref().map(|(id, _)| *id);
        match event {
            AiEvent::Settings {
                providers, network, ..
            } => {
                self.providers.providers = providers;
                self.providers.network = network;
            }
            AiEvent::Tested {
                name, ok, message, ..
            } => {
                self.providers.testing = None;
                self.providers.tests.insert(name, (ok, message));
                self.refresh_security();
            }
            AiEvent::Prepared { id, text, counts } if Some(id) == ask_id => {
                self.ask.note = None;
                self.ask.state = AskState::Prepared { id, text, counts };
            }
            AiEvent::Delta { id, text } if Some(id) == ask_id => self.ask.answer.push_str(&text),
            AiEvent::Delta { id, text }
                if self.chat_request.as_ref().is_some_and(|(c, _)| *c == id) =>
            {
                if let Some(s) = &mut self.issues.streaming {
                    s.push_str(&text);
                }
            }
            AiEvent::Answered { id, text } if Some(id) == ask_id => {
                self.ask.answer = text;
                self.ask.state = AskState::Idle;
                self.ask_request = None;
                self.refresh_security();
            }
            AiEvent::Incomplete { id, text, reason } if Some(id) == ask_id => {
                self.ask.answer = text;
                self.ask.note = Some(format!("Incomplete answer: {reason}."));
                self.ask.state = AskState::Idle;
                self.ask_request = None;
                self.refresh_security();
            }
            AiEvent::Prepared { .. }
            | AiEvent::Delta { .. }
            | AiEvent::Answered { .. }
            | AiEvent::Incomplete { .. } => {}
        }
    }

    /// The status and the newest audit page, after anything that may have added an entry.
    fn refresh_security(&mut self) {
        if self.security.is_open() {
            self.security.reset_audit_paging();
            self.send(|id| Request::Security { id });
            self.apply_security(SecurityCommand::AuditPage(None));
        }
    }

    fn id(&mut self) -> RequestId {
        self.next_id += 1;
        self.next_id
    }

    fn apply(&mut self, command: Command, ctx: &egui::Context) {
        match command {
            Command::PickFile => self.dialog(ctx, false),
            Command::PickSavePath => self.dialog(ctx, true),
            Command::Open(path) => {
                let label = path
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                let options = self.view.options();
                let max_bytes = self.view.max_bytes();
                self.start_scan(label, |id, cancel| Request::Open {
                    id,
                    path,
                    options,
                    max_bytes,
                    cancel,
                });
            }
            Command::Rescan => {
                let Some(review) = &self.view.review else {
                    return;
                };
                let (name, text, options) = (
                    review.name.clone(),
                    review.text.clone(),
                    self.view.options(),
                );
                self.start_scan(name.clone(), |id, cancel| Request::Rescan {
                    id,
                    name,
                    text,
                    options,
                    cancel,
                });
            }
            Command::Cancel => {
                if let Some((_, cancel)) = &self.active_scan {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            Command::SaveTo(path) => self.save(path),
        }
    }

    fn start_scan(
        &mut self,
        label: String,
        request: impl FnOnce(RequestId, Arc<AtomicBool>) -> Request,
    ) {
        if let Some((_, old)) = self.active_scan.take() {
            old.store(true, Ordering::Relaxed);
        }
        let id = self.id();
        let cancel = Arc::new(AtomicBool::new(false));
        match self.worker.send(request(id, cancel.clone())) {
            Ok(()) => {
                self.active_scan = Some((id, cancel));
                self.view.scanning = Some(Scanning {
                    label,
                    fraction: 0.0,
                });
                self.view.message = None;
            }
            Err(e) => self.view.message = Some(e.to_string()),
        }
    }

    /// Exports a document to `path` (what the save dialog's answer does).
    pub fn export_document_to(
        &mut self,
        issue_id: String,
        kind: crate::triage::documents::DocKind,
        path: PathBuf,
        html: bool,
    ) {
        self.issue_request(|id| IssueRequest::ExportDoc {
            id,
            issue_id,
            kind,
            path,
            html,
        });
    }

    /// The save dialog for an export, starting in the home folder.
    fn save_dialog(&mut self, ctx: &egui::Context, name: String) {
        if self.dialog_open {
            return;
        }
        let events = self.worker.event_sender.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("tftsr-dialog".into())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new()
                    .set_title("Export")
                    .set_file_name(name);
                if let Some(home) = std::env::home_dir() {
                    dialog = dialog.set_directory(home);
                }
                if events.send(Event::PickedSave(dialog.save_file())).is_ok() {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(_) => self.dialog_open = true,
            Err(_) => self.issues.message = Some("Could not open the file dialog.".into()),
        }
    }

    /// Native dialogs run on their own thread: they may block, the frame must not.
    fn dialog(&mut self, ctx: &egui::Context, save: bool) {
        if self.dialog_open {
            return;
        }
        let suggested = self.view.review.as_ref().map(|r| redacted_name(&r.name));
        if save && suggested.is_none() {
            return;
        }
        let events = self.worker.event_sender.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("tftsr-dialog".into())
            .spawn(move || {
                let event = if save {
                    // Start in the home folder, never beside the original (or wherever TFTSR was
                    // started from): the person picks where the copy goes.
                    let mut dialog = rfd::FileDialog::new().set_title("Save redacted copy");
                    if let Some(home) = std::env::home_dir() {
                        dialog = dialog.set_directory(home);
                    }
                    Event::PickedSave(
                        dialog
                            .set_file_name(suggested.unwrap_or_default())
                            .save_file(),
                    )
                } else {
                    Event::PickedOpen(rfd::FileDialog::new().set_title("Open a log").pick_file())
                };
                if events.send(event).is_ok() {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(_) => self.dialog_open = true,
            Err(_) => self.view.message = Some("Could not open the file dialog.".into()),
        }
    }

    fn on_event(&mut self, event: Event, ctx: &egui::Context) {
        let current = self.active_scan.as_ref().map(|(id, _)| *id);
        match event {
            Event::Progress { id, fraction } if Some(id) == current => {
                if let Some(s) = &mut self.view.scanning {
                    s.fraction = fraction;
                }
            }
            Event::Opened { id, review } if Some(id) == current => {
                self.finish_scan();
                if self.issue_scan == Some(id) {
                    self.issue_scan = None;
                    self.issues.pending_log.review = Some(*review);
                } else {
                    self.view.message = None;
                    self.view.review = Some(*review);
                }
            }
            Event::Cancelled { id } if Some(id) == current => {
                self.finish_scan();
                self.view.message = Some("Scan cancelled.".into());
            }
            Event::Failed { id, message } => {
                if Some(id) == current {
                    self.finish_scan();
                }
                if self.ask_request.as_ref().is_some_and(|(a, _)| *a == id) {
                    self.ask.note = Some(message);
                    self.ask.state = AskState::Idle;
                    self.ask_request = None;
                    self.refresh_security();
                } else if self.chat_request.as_ref().is_some_and(|(c, _)| *c == id) {
                    self.chat_request = None;
                    self.issues.streaming = None;
                    self.issues.message = Some(message);
                    if let Some(issue_id) = self.issues.current_id() {
                        self.issue_request(|id| IssueRequest::Load { id, issue_id });
                    }
                } else if self.settings_request == Some(id) {
                    self.providers.testing = None;
                    self.providers.message = Some(message);
                } else {
                    self.view.message = Some(message);
                }
            }
            Event::Ai(event) => self.on_ai_event(event),
            Event::Issue(event) => self.on_issue_event(event, ctx),
            Event::Saved {
                path,
                redacted,
                audited,
                ..
            } => {
                let name = path
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                let recorded = if audited {
                    "; recorded in the audit log"
                } else {
                    "; not recorded: the store is not open"
                };
                self.view.message = Some(format!(
                    "Saved {name} ({redacted} values redacted{recorded})."
                ));
                self.refresh_security();
            }
            Event::Unlocked { status, notes, .. } => {
                self.security.state = StoreState::Unlocked;
                self.security.status = Some(*status);
                self.security.notes = notes;
                self.security.message = None;
                self.apply_security(SecurityCommand::AuditPage(None));
                self.send(|id| Request::Ai(AiRequest::Load { id }));
                let filter = self.issues.filter.clone();
                self.send(|id| Request::Issue(IssueRequest::List { id, filter }));
            }
            Event::Locked {
                passphrase,
                message,
                ..
            } => {
                self.security.state = match passphrase {
                    Some(first_run) => StoreState::NeedsPassphrase { first_run, message },
                    None => StoreState::Failed { message },
                };
            }
            Event::Security { status, .. } => {
                self.security.status = Some(*status);
                self.security.message = None;
            }
            Event::AuditPage {
                before, entries, ..
            } => self.security.set_audit_page(before, entries),
            Event::PickedOpen(path) => {
                self.dialog_open = false;
                let for_issue = std::mem::take(&mut self.dialog_for_issue);
                if let Some(path) = path {
                    self.apply(Command::Open(path), ctx);
                    if for_issue {
                        self.issue_scan = self.active_scan.as_ref().map(|(id, _)| *id);
                    }
                }
            }
            Event::PickedSave(path) => {
                self.dialog_open = false;
                if let Some((issue_id, kind, html)) = self.export_pending.take() {
                    match path {
                        Some(path) => self.export_document_to(issue_id, kind, path, html),
                        None => {
                            self.issues.message = Some(
                                "No file was chosen. If no dialog appeared, install xdg-desktop-portal or zenity.".into(),
                            )
                        }
                    }
                    return;
                }
                match path {
                    Some(path) => self.save(path),
                    None => {
                        // Cancelled, or no file chooser exists on this desktop (rfd cannot tell
                        // them apart): offer a typed path instead of failing silently.
                        let name = self.view.review.as_ref().map(|r| redacted_name(&r.name));
                        let home = std::env::home_dir().unwrap_or_default();
                        self.view.save_path =
                            Some(home.join(name.unwrap_or_default()).display().to_string());
                        self.view.message = Some(
                            "No file was chosen. If no dialog appeared, this desktop has no file chooser (install xdg-desktop-portal or zenity); you can type a path instead.".into(),
                        );
                    }
                }
            }
            // Events of a superseded scan.
            Event::Progress { .. } | Event::Opened { .. } | Event::Cancelled { .. } => {}
        }
    }

    fn save(&mut self, path: PathBuf) {
        let Some(review) = &self.view.review else {
            return;
        };
        let (text, findings, decisions, mode) = (
            review.text.clone(),
            review.findings().to_vec(),
            review.decisions().to_vec(),
            self.view.mode,
        );
        self.send(|id| Request::Save {
            id,
            path,
            text,
            findings,
            decisions,
            mode,
        });
    }

    fn finish_scan(&mut self) {
        self.active_scan = None;
        self.view.scanning = None;
    }
}

/// `app.log` -> `app.redacted.log`.
fn redacted_name(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.redacted.{ext}"),
        _ => format!("{name}.redacted"),
    }
}

impl TftsrApp {
    /// Applies every event the worker has sent (never blocks).
    pub fn drain_events(&mut self, ctx: &egui::Context) {
        while let Ok(event) = self.worker.events.try_recv() {
            self.on_event(event, ctx);
        }
    }

    /// The whole window: top bar, then the unlock screen or the selected tab.
    pub fn contents_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        Panel::top("nav").show(ui, |ui| self.nav_ui(ui));
        if self.security.needs_unlock_screen() {
            let commands = CentralPanel::default()
                .show(ui, |ui| self.security.unlock_ui(ui))
                .inner;
            for c in commands {
                self.apply_security(c);
            }
            return;
        }
        match self.tab {
            Tab::Sanitise => {
                if self.ask.open && self.security.is_open() {
                    let has_log = self.view.review.is_some();
                    let commands = Panel::right("ask")
                        .resizable(true)
                        .default_size(400.0)
                        .show(ui, |ui| self.ask.ui(ui, &self.providers.providers, has_log))
                        .inner;
                    for c in commands {
                        self.apply_ask(c);
                    }
                }
                for command in self.view.ui(ui) {
                    self.apply(command, &ctx);
                }
            }
            Tab::Issues => {
                let commands = self.issues.ui(ui, &self.providers.providers.clone());
                for c in commands {
                    self.apply_issue(c, &ctx);
                }
            }
            Tab::Settings => {
                Panel::top("settings-tabs").show(ui, |ui| {
                    ui.horizontal(|ui| {
                        for (tab, label) in [
                            (SettingsTab::Security, "Security"),
                            (SettingsTab::Providers, "Providers"),
                            (SettingsTab::Network, "Network"),
                        ] {
                            if ui
                                .selectable_label(self.settings_tab == tab, label)
                                .clicked()
                            {
                                self.settings_tab = tab;
                            }
                        }
                    });
                });
                match self.settings_tab {
                    SettingsTab::Security => {
                        let commands = CentralPanel::default()
                            .show(ui, |ui| self.security.settings_ui(ui))
                            .inner;
                        for c in commands {
                            self.apply_security(c);
                        }
                    }
                    SettingsTab::Providers | SettingsTab::Network => {
                        let providers_tab = self.settings_tab == SettingsTab::Providers;
                        let open = self.security.is_open();
                        let commands = CentralPanel::default()
                            .show(ui, |ui| {
                                if !open {
                                    ui.label("Open the encrypted store first: providers and their keys live there.");
                                    Vec::new()
                                } else if providers_tab {
                                    egui::ScrollArea::vertical()
                                        .show(ui, |ui| self.providers.providers_ui(ui))
                                        .inner
                                } else {
                                    self.providers.network_ui(ui)
                                }
                            })
                            .inner;
                        for c in commands {
                            self.apply_provider(c);
                        }
                    }
                }
            }
        }
    }

    fn nav_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("TFTSR");
            ui.separator();
            let unlocked_screen = !self.security.needs_unlock_screen();
            ui.add_enabled_ui(unlocked_screen, |ui| {
                if ui
                    .selectable_label(self.tab == Tab::Sanitise, "Quick sanitise")
                    .clicked()
                {
                    self.tab = Tab::Sanitise;
                }
                if ui
                    .add_enabled(
                        self.security.is_open(),
                        egui::Button::selectable(self.tab == Tab::Issues, "Issues"),
                    )
                    .clicked()
                {
                    self.tab = Tab::Issues;
                }
                if ui
                    .selectable_label(self.tab == Tab::Settings, "Settings")
                    .clicked()
                {
                    self.tab = Tab::Settings;
                    self.refresh_security();
                }
                if self.tab == Tab::Sanitise && self.security.is_open() {
                    ui.separator();
                    ui.toggle_value(&mut self.ask.open, "Ask AI");
                }
            });
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let (text, color) = self.security.badge();
                let (net, tip) = if !self.security.is_open() {
                    (
                        "no network",
                        "Nothing is sent without the store (providers live there)",
                    )
                } else if self.providers.network.offline {
                    ("offline", "Offline mode: loopback only")
                } else {
                    (
                        "online: allow-list",
                        "Only the origins in Settings › Network, only after redaction",
                    )
                };
                ui.label(egui::RichText::new(net).color(egui::Color32::LIGHT_GREEN))
                    .on_hover_text(tip);
                ui.separator();
                ui.colored_label(color, text);
            });
        });
    }
}

impl eframe::App for TftsrApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.drain_events(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.contents_ui(ui);
    }
}
