//! The request/response protocol between the window and its worker thread, and the worker.
//!
//! Every request carries an id and gets exactly one final event (`Opened`/`Saved`/`Unlocked`/
//! `Security`/`AuditPage`, or `Failed`/`Locked`/`Cancelled`), with `Progress` events before it.
//! The worker owns all file I/O, scanning, the key store, the encrypted store and the vault, so
//! the UI never blocks a frame and never holds a database connection or a key; after each event
//! it asks egui to repaint.

pub use super::worker_ai::{AiEvent, AiRequest, LogContext, NetworkSummary, ProviderSummary};
pub use super::worker_issues::{IssueDetail, IssueEvent, IssueFields, IssueRequest};
use crate::audit::Entry;
use crate::input;
use crate::keystore::{KeyStore, OsKeyring};
use crate::pii::{Detector, DetectorOptions, Finding, Mode, Pseudonyms, redact};
use crate::review::Review;
use crate::secret::SecretString;
use crate::workspace::{DataDir, SecurityStatus, UnlockError, UnlockRequest, Workspace, unlock};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub type RequestId = u64;

/// What the window asks of the worker.
pub enum Request {
    /// Load and scan a file the person chose.
    Open {
        id: RequestId,
        path: PathBuf,
        options: DetectorOptions,
        max_bytes: u64,
        cancel: Arc<AtomicBool>,
    },
    /// Scan text already in memory (a rescan with new rules).
    Rescan {
        id: RequestId,
        name: String,
        text: Arc<str>,
        options: DetectorOptions,
        cancel: Arc<AtomicBool>,
    },
    /// Redact with the person's decisions and write to a path they picked.
    Save {
        id: RequestId,
        path: PathBuf,
        text: Arc<str>,
        findings: Vec<Finding>,
        decisions: Vec<bool>,
        mode: Mode,
    },
    /// Open the encrypted store: keys from TFTSR_DB_KEY or the keyring, or this passphrase.
    Unlock {
        id: RequestId,
        passphrase: Option<SecretString>,
    },
    /// Read the security status again (cipher settings, vault, audit chain).
    Security { id: RequestId },
    /// Verify the whole audit chain, then report the status.
    VerifyAudit { id: RequestId },
    /// A page of audit entries, newest first, older than `before`.
    AuditPage {
        id: RequestId,
        before: Option<i64>,
        limit: usize,
    },
    /// Providers, network settings, tests and questions.
    Ai(AiRequest),
    /// Issues, their logs, chat and resolution.
    Issue(IssueRequest),
}

/// What the worker (or a dialog thread) reports back.
pub enum Event {
    Progress {
        id: RequestId,
        fraction: f32,
    },
    Opened {
        id: RequestId,
        review: Box<Review>,
    },
    Saved {
        id: RequestId,
        path: PathBuf,
        redacted: usize,
        /// Whether the export was recorded in the audit log (false only without the store).
        audited: bool,
    },
    Unlocked {
        id: RequestId,
        status: Box<SecurityStatus>,
        notes: Vec<String>,
    },
    /// The store stays locked. `passphrase`: `Some(first_run)` when a passphrase would open
    /// (or create) it.
    Locked {
        id: RequestId,
        passphrase: Option<bool>,
        message: String,
    },
    Security {
        id: RequestId,
        status: Box<SecurityStatus>,
    },
    AuditPage {
        id: RequestId,
        before: Option<i64>,
        entries: Vec<Entry>,
    },
    Ai(AiEvent),
    Issue(IssueEvent),
    Failed {
        id: RequestId,
        message: String,
    },
    Cancelled {
        id: RequestId,
    },
    /// A file dialog closed: `None` when the person cancelled it.
    PickedOpen(Option<PathBuf>),
    PickedSave(Option<PathBuf>),
}

// Debug prints only the variant: payloads hold log text.
impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Request::Open { .. } => "Request::Open",
            Request::Rescan { .. } => "Request::Rescan",
            Request::Save { .. } => "Request::Save",
            Request::Unlock { .. } => "Request::Unlock",
            Request::Security { .. } => "Request::Security",
            Request::VerifyAudit { .. } => "Request::VerifyAudit",
            Request::AuditPage { .. } => "Request::AuditPage",
            Request::Ai(_) => "Request::Ai",
            Request::Issue(_) => "Request::Issue",
        })
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Event::Progress { .. } => "Event::Progress",
            Event::Opened { .. } => "Event::Opened",
            Event::Saved { .. } => "Event::Saved",
            Event::Unlocked { .. } => "Event::Unlocked",
            Event::Locked { .. } => "Event::Locked",
            Event::Security { .. } => "Event::Security",
            Event::AuditPage { .. } => "Event::AuditPage",
            Event::Ai(_) => "Event::Ai",
            Event::Issue(_) => "Event::Issue",
            Event::Failed { .. } => "Event::Failed",
            Event::Cancelled { .. } => "Event::Cancelled",
            Event::PickedOpen(_) => "Event::PickedOpen",
            Event::PickedSave(_) => "Event::PickedSave",
        })
    }
}

/// The window's end of the worker: send requests, drain events.
pub struct Worker {
    requests: Sender<Request>,
    pub events: Receiver<Event>,
    /// For dialog threads, which report through the same channel.
    pub event_sender: Sender<Event>,
}

/// Where the worker finds the encrypted store and its keys.
pub struct StoreConfig {
    pub dir: DataDir,
    pub keystore: Arc<dyn KeyStore>,
    /// `TFTSR_DB_KEY`, read once at start (tests pass `None`, whatever the environment says).
    pub env_passphrase: Option<SecretString>,
}

impl StoreConfig {
    /// The data directory from TFTSR_DATA_DIR (or the platform's), the OS keyring, and
    /// TFTSR_DB_KEY when set.
    pub fn from_env() -> Result<Self, String> {
        Ok(StoreConfig {
            dir: DataDir::from_env()?,
            keystore: Arc::new(OsKeyring),
            env_passphrase: std::env::var(crate::workspace::DB_KEY_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .map(SecretString::new),
        })
    }
}

impl Worker {
    /// Starts the named worker thread. `repaint` is called after every event.
    pub fn start(
        repaint: impl Fn() + Send + Sync + Clone + 'static,
        store: StoreConfig,
    ) -> std::io::Result<Self> {
        let (req_tx, req_rx) = bounded::<Request>(16);
        let (ev_tx, ev_rx) = bounded::<Event>(64);
        let notifier = Notifier {
            events: ev_tx.clone(),
            repaint: Arc::new(repaint),
        };
        std::thread::Builder::new()
            .name("tftsr-worker".into())
            .spawn(move || {
                let mut state = State {
                    store,
                    workspace: None,
                    prepared: None,
                    pseudonyms: Default::default(),
                };
                for request in req_rx {
                    state.handle(request, &notifier);
                }
            })?;
        Ok(Worker {
            requests: req_tx,
            events: ev_rx,
            event_sender: ev_tx,
        })
    }

    /// Queues a request; fails only if the worker is gone.
    pub fn send(&self, request: Request) -> Result<(), &'static str> {
        self.requests
            .send(request)
            .map_err(|_| "the background worker stopped; restart TFTSR")
    }
}

#[derive(Clone)]
pub struct Notifier {
    events: Sender<Event>,
    repaint: Arc<dyn Fn() + Send + Sync>,
}

impl Notifier {
    pub fn new(events: Sender<Event>, repaint: Arc<dyn Fn() + Send + Sync>) -> Self {
        Notifier { events, repaint }
    }

    /// Final events always arrive (blocking if the window is behind).
    pub fn send(&self, event: Event) {
        if self.events.send(event).is_ok() {
            (self.repaint)();
        }
    }

    /// Progress may be dropped when the window has not caught up yet.
    fn progress(&self, id: RequestId, fraction: f32) {
        match self.events.try_send(Event::Progress { id, fraction }) {
            Ok(()) => (self.repaint)(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }
}

/// What the worker thread owns besides the channels.
pub(super) struct State {
    store: StoreConfig,
    pub(super) workspace: Option<Workspace>,
    /// The last prepared (redacted) question, sent only as it was shown.
    pub(super) prepared: Option<(RequestId, crate::review::RedactedText)>,
    /// Per-issue pseudonym maps for this session (kept in the store only when an issue asks).
    pub(super) pseudonyms: std::collections::HashMap<String, crate::pii::Pseudonyms>,
}

impl State {
    fn handle(&mut self, request: Request, n: &Notifier) {
        match request {
            Request::Open {
                id,
                path,
                options,
                max_bytes,
                cancel,
            } => {
                let name = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |f| f.to_string_lossy().into_owned(),
                );
                n.progress(id, 0.0);
                let loaded = match input::load_file(&path, max_bytes) {
                    Ok(l) => l,
                    Err(e) => {
                        return n.send(Event::Failed {
                            id,
                            message: format!("Cannot open {name}: it {e}."),
                        });
                    }
                };
                scan(id, name, loaded, &options, &cancel, n);
            }
            Request::Rescan {
                id,
                name,
                text,
                options,
                cancel,
            } => {
                let loaded = input::Loaded {
                    input_bytes: text.len() as u64,
                    text: text.to_string(),
                    encoding: input::Encoding::Utf8,
                };
                scan(id, name, loaded, &options, &cancel, n);
            }
            Request::Save {
                id,
                path,
                text,
                findings,
                decisions,
                mode,
            } => {
                let audited = self.workspace.is_some();
                let result = self.save(&path, &text, &findings, &decisions, mode);
                n.send(match result {
                    Ok(redacted) => Event::Saved {
                        id,
                        path,
                        redacted,
                        audited,
                    },
                    Err(message) => Event::Failed {
                        id,
                        message: format!("Saving failed: {message}"),
                    },
                });
            }
            Request::Unlock { id, passphrase } => n.send(self.unlock(id, passphrase)),
            Request::Ai(request) => self.handle_ai(request, n),
            Request::Issue(request) => self.handle_issue(request, n),
            Request::Security { id } => n.send(self.security(id, false)),
            Request::VerifyAudit { id } => n.send(self.security(id, true)),
            Request::AuditPage { id, before, limit } => {
                n.send(match &self.workspace {
                    Some(ws) => match crate::audit::page(ws.store().conn(), before, limit) {
                        Ok(entries) => Event::AuditPage {
                            id,
                            before,
                            entries,
                        },
                        Err(e) => Event::Failed {
                            id,
                            message: format!("Reading the audit log failed: {e}"),
                        },
                    },
                    None => locked(id),
                });
            }
        }
    }

    /// Redacts and writes; with the store open, the export is recorded first (write-ahead): no
    /// record, no file.
    fn save(
        &mut self,
        path: &std::path::Path,
        text: &str,
        findings: &[Finding],
        decisions: &[bool],
        mode: Mode,
    ) -> Result<usize, String> {
        let redacted = redact(text, findings, decisions, mode, &mut Pseudonyms::new())
            .map_err(|e| e.to_string())?;
        crate::output::check_destination(path).map_err(|e| format!("{e:#}"))?;
        if let Some(ws) = &mut self.workspace {
            ws.record_export("redacted_log", path, redacted.text().as_bytes())
                .map_err(|e| {
                    format!("the export could not be recorded in the audit log, so nothing was written ({e})")
                })?;
        }
        crate::output::write_atomic(path, redacted.text().as_bytes())
            .map_err(|e| format!("{e:#}"))?;
        Ok(redacted.spans().len())
    }

    fn unlock(&mut self, id: RequestId, passphrase: Option<SecretString>) -> Event {
        if self.workspace.is_some() {
            return self.security(id, false);
        }
        let from_env = self
            .store
            .env_passphrase
            .as_ref()
            .map(|p| SecretString::new(p.expose().to_string()));
        let mut request = UnlockRequest {
            keystore: &*self.store.keystore,
            passphrase_from_env: from_env.is_some(),
            passphrase: from_env,
            scrypt: crate::vault::format::ScryptParams::DEFAULT,
        };
        if let Some(p) = passphrase {
            request = request.with_passphrase(p);
        }
        match unlock(&self.store.dir, request) {
            Ok(ws) => match ws.status() {
                Ok(status) => {
                    let notes = ws.notes.clone();
                    self.workspace = Some(ws);
                    Event::Unlocked {
                        id,
                        status: Box::new(status),
                        notes,
                    }
                }
                Err(e) => Event::Locked {
                    id,
                    passphrase: None,
                    message: e.to_string(),
                },
            },
            Err(UnlockError::NeedPassphrase {
                first_run,
                keyring_problem,
            }) => Event::Locked {
                id,
                passphrase: Some(first_run),
                message: match (first_run, keyring_problem) {
                    (true, Some(problem)) => format!(
                        "No OS keyring is available to hold the store's key ({problem}). Choose a passphrase instead."
                    ),
                    (true, None) => "Choose a passphrase for the new encrypted store.".into(),
                    (false, _) => "This store is protected by a passphrase.".into(),
                },
            },
            Err(e @ UnlockError::WrongPassphrase) => Event::Locked {
                id,
                passphrase: Some(false),
                message: e.to_string(),
            },
            Err(e) => Event::Locked {
                id,
                passphrase: None,
                message: e.to_string(),
            },
        }
    }

    fn security(&mut self, id: RequestId, verify: bool) -> Event {
        let Some(ws) = &mut self.workspace else {
            return locked(id);
        };
        let result = (|| {
            if verify {
                ws.verify_audit()?;
            }
            ws.status()
        })();
        match result {
            Ok(status) => Event::Security {
                id,
                status: Box::new(status),
            },
            Err(e) => Event::Failed {
                id,
                message: format!("Reading the store failed: {e}"),
            },
        }
    }
}

fn locked(id: RequestId) -> Event {
    Event::Failed {
        id,
        message: "The encrypted store is not open.".into(),
    }
}

fn scan(
    id: RequestId,
    name: String,
    loaded: input::Loaded,
    options: &DetectorOptions,
    cancel: &AtomicBool,
    n: &Notifier,
) {
    let detector = match Detector::new(options) {
        Ok(d) => d,
        Err(e) => {
            return n.send(Event::Failed {
                id,
                message: format!("Your rules have a problem: {e}."),
            });
        }
    };
    let findings = detector.scan_with(&loaded.text, &mut |fraction| {
        n.progress(id, fraction);
        if cancel.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    n.send(match findings {
        Some(findings) => Event::Opened {
            id,
            review: Box::new(Review::new(name, loaded, findings)),
        },
        None => Event::Cancelled { id },
    });
}
