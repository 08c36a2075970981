//! The eframe application: wires the quick-sanitise view to the worker and the file dialogs.

use super::sanitise::{Command, QuickSanitise, Scanning};
use super::worker::{Event, Request, RequestId, Worker};
use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct TftsrApp {
    view: QuickSanitise,
    worker: Worker,
    next_id: RequestId,
    /// The scan in flight: its id and cancel flag.
    active_scan: Option<(RequestId, Arc<AtomicBool>)>,
    dialog_open: bool,
}

impl TftsrApp {
    pub fn new(ctx: &egui::Context, open: Option<PathBuf>) -> std::io::Result<Self> {
        let repaint_ctx = ctx.clone();
        let worker = Worker::start(move || repaint_ctx.request_repaint())?;
        let mut app = TftsrApp {
            view: QuickSanitise::default(),
            worker,
            next_id: 1,
            active_scan: None,
            dialog_open: false,
        };
        if let Some(path) = open {
            app.apply(Command::Open(path), ctx);
        }
        Ok(app)
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
                self.view.message = None;
                self.view.review = Some(*review);
            }
            Event::Cancelled { id } if Some(id) == current => {
                self.finish_scan();
                self.view.message = Some("Scan cancelled.".into());
            }
            Event::Failed { id, message } => {
                if Some(id) == current {
                    self.finish_scan();
                }
                self.view.message = Some(message);
            }
            Event::Saved { path, redacted, .. } => {
                let name = path
                    .file_name()
                    .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
                self.view.message = Some(format!("Saved {name} ({redacted} values redacted)."));
            }
            Event::PickedOpen(path) => {
                self.dialog_open = false;
                if let Some(path) = path {
                    self.apply(Command::Open(path), ctx);
                }
            }
            Event::PickedSave(path) => {
                self.dialog_open = false;
                if let (Some(path), Some(review)) = (path, &self.view.review) {
                    let request = Request::Save {
                        id: self.next_id + 1,
                        path,
                        text: review.text.clone(),
                        findings: review.findings().to_vec(),
                        decisions: review.decisions().to_vec(),
                        mode: self.view.mode,
                    };
                    self.next_id += 1;
                    if let Err(e) = self.worker.send(request) {
                        self.view.message = Some(e.to_string());
                    }
                }
            }
            // Events of a superseded scan.
            Event::Progress { .. } | Event::Opened { .. } | Event::Cancelled { .. } => {}
        }
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

impl eframe::App for TftsrApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        while let Ok(event) = self.worker.events.try_recv() {
            self.on_event(event, ctx);
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        for command in self.view.ui(ui) {
            self.apply(command, &ctx);
        }
    }
}
