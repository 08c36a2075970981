//! The request/response protocol between the window and its worker thread, and the worker.
//!
//! Every request carries an id and gets exactly one final event (`Opened`/`Saved`, `Failed` or
//! `Cancelled`), with `Progress` events before it. The worker owns all file I/O and scanning, so
//! the UI never blocks a frame; after each event it asks egui to repaint.

use crate::input;
use crate::pii::{Detector, DetectorOptions, Finding, Mode, Pseudonyms, redact};
use crate::review::Review;
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
    },
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
        })
    }
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Event::Progress { .. } => "Event::Progress",
            Event::Opened { .. } => "Event::Opened",
            Event::Saved { .. } => "Event::Saved",
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

impl Worker {
    /// Starts the named worker thread. `repaint` is called after every event.
    pub fn start(repaint: impl Fn() + Send + Sync + Clone + 'static) -> std::io::Result<Self> {
        let (req_tx, req_rx) = bounded::<Request>(16);
        let (ev_tx, ev_rx) = bounded::<Event>(64);
        let notifier = Notifier {
            events: ev_tx.clone(),
            repaint: Arc::new(repaint),
        };
        std::thread::Builder::new()
            .name("tftsr-worker".into())
            .spawn(move || {
                for request in req_rx {
                    handle(request, &notifier);
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

fn handle(request: Request, n: &Notifier) {
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
            let result = redact(&text, &findings, &decisions, mode, &mut Pseudonyms::new())
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    crate::output::write_atomic(&path, r.text().as_bytes())
                        .map_err(|e| format!("{e:#}"))?;
                    Ok(r.spans().len())
                });
            n.send(match result {
                Ok(redacted) => Event::Saved { id, path, redacted },
                Err(message) => Event::Failed {
                    id,
                    message: format!("Saving failed: {message}"),
                },
            });
        }
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
