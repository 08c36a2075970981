//! Quick sanitise: one log, every finding highlighted, toggled one by one or by type, saved as a
//! redacted copy. The view returns [`Command`]s for the app to carry out (open, save, rescan,
//! cancel); it never does I/O itself.

use super::type_color;
use crate::input::DEFAULT_MAX_BYTES;
use crate::pii::{DetectorOptions, Mode, PiiType};
use crate::review::Review;
use eframe::egui::{
    self, Align, CentralPanel, Color32, Key, KeyboardShortcut, Label, Layout, Modifiers, Panel,
    ProgressBar, RichText, ScrollArea, Sense, TextStyle, TextWrapMode,
};
use std::path::PathBuf;

/// What the view asks the app to do, applied once at the end of the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Command {
    /// Show the open dialog.
    PickFile,
    /// Load this file (dropped onto the window).
    Open(PathBuf),
    /// Show the save dialog for the redacted copy.
    PickSavePath,
    /// Scan the current text again with the edited rules.
    Rescan,
    /// Stop the running scan.
    Cancel,
    /// Save the redacted copy to a path typed in the window (when no file dialog works).
    SaveTo(PathBuf),
}

/// A scan in flight.
#[derive(Debug, Clone)]
pub struct Scanning {
    pub label: String,
    pub fraction: f32,
}

/// State of the quick-sanitise window. Runtime state only; nothing here is persisted.
#[derive(Default)]
pub struct QuickSanitise {
    pub review: Option<Review>,
    pub show_redacted: bool,
    pub mode: Mode,
    pub scanning: Option<Scanning>,
    /// The last outcome shown in the status bar ("Saved …", an error).
    pub message: Option<String>,
    /// Custom terms, one per line (session only).
    pub terms: String,
    /// Values never to redact, one per line (session only).
    pub allow: String,
    /// A typed save path, shown when the file dialog returned nothing (no dialog may exist on
    /// this desktop).
    pub save_path: Option<String>,
    /// Shown inside another view (an issue's log review): no Open/Save of its own.
    pub embedded: bool,
    /// `[TYPE-n]` numbers for the Redacted view, for the review version they were computed at.
    pub pseudonyms: Option<(u64, Vec<Option<usize>>)>,
}

impl QuickSanitise {
    /// Detector options from the rules panel.
    pub fn options(&self) -> DetectorOptions {
        let lines = |s: &str| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect()
        };
        DetectorOptions {
            terms: lines(&self.terms),
            allow: lines(&self.allow),
            ..Default::default()
        }
    }

    pub fn max_bytes(&self) -> u64 {
        DEFAULT_MAX_BYTES
    }

    /// The whole window: toolbar, status bar, findings panel, log view.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Vec<Command> {
        let mut commands = Vec::new();
        self.shortcuts(ui, &mut commands);
        Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui, &mut commands));
        Panel::bottom("status").show(ui, |ui| self.status_ui(ui, &mut commands));
        Panel::left("findings")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| self.findings_ui(ui, &mut commands));
        CentralPanel::default().show(ui, |ui| self.log_ui(ui, &mut commands));
        commands
    }

    fn shortcuts(&self, ui: &egui::Ui, commands: &mut Vec<Command>) {
        if self.embedded {
            return;
        }
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let save = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
        ui.ctx().input_mut(|i| {
            if i.consume_shortcut(&open) {
                commands.push(Command::PickFile);
            }
            if i.consume_shortcut(&save) && self.review.is_some() {
                commands.push(Command::PickSavePath);
            }
        });
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if !self.embedded {
                if ui
                    .button("Open…")
                    .on_hover_text("Open a log (Ctrl+O), or drop one on the window")
                    .clicked()
                {
                    commands.push(Command::PickFile);
                }
                let can_save = self.review.is_some() && self.scanning.is_none();
                if ui
                    .add_enabled(can_save, egui::Button::new("Save redacted…"))
                    .on_hover_text("Save a redacted copy (Ctrl+S)")
                    .clicked()
                {
                    commands.push(Command::PickSavePath);
                }
                ui.separator();
            }
            ui.selectable_value(&mut self.show_redacted, false, "Original");
            ui.selectable_value(&mut self.show_redacted, true, "Redacted");
            ui.separator();
            ui.label("Replace with:");
            ui.selectable_value(&mut self.mode, Mode::Label, "[TYPE]");
            ui.selectable_value(&mut self.mode, Mode::Pseudonym, "[TYPE-n]");
            ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                ui.label(
                    RichText::new("nothing leaves unredacted")
                        .color(Color32::from_rgb(0x59, 0xa1, 0x4f)),
                )
                .on_hover_text("Saving and reviewing make no network connection; Ask AI sends only the redacted text you approve.");
            });
        });
    }

    fn status_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        ui.horizontal(|ui| {
            if let Some(scan) = &self.scanning {
                ui.label(format!("Scanning {}", scan.label));
                ui.add(
                    ProgressBar::new(scan.fraction)
                        .desired_width(200.0)
                        .show_percentage(),
                );
                if ui.button("Cancel").clicked() {
                    commands.push(Command::Cancel);
                }
                ui.separator();
            }
            if let Some(r) = &self.review {
                let n = r.findings().len();
                let red = r.redacted_count();
                ui.label(format!(
                    "{} · {} · {} lines · {} findings · {} redacted · {} kept",
                    r.name,
                    human_size(r.input_bytes),
                    r.line_count(),
                    n,
                    red,
                    n - red
                ));
            } else if self.scanning.is_none() {
                ui.label("Open a log (Ctrl+O) or drop one here. Nothing leaves this machine.");
            }
            if let Some(m) = &self.message {
                ui.separator();
                ui.label(m);
            }
        });
        if self.review.is_some() {
            self.save_path_ui(ui, commands);
        }
    }

    fn save_path_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let Some(path) = &mut self.save_path else {
            return;
        };
        let mut close = false;
        ui.horizontal(|ui| {
            let label = ui.label("Save redacted copy to:");
            ui.add(egui::TextEdit::singleline(path).desired_width(420.0))
                .labelled_by(label.id);
            let typed = PathBuf::from(path.trim());
            if ui
                .add_enabled(typed.is_absolute(), egui::Button::new("Save here"))
                .on_hover_text("A full path; an existing file there is replaced")
                .clicked()
            {
                commands.push(Command::SaveTo(typed));
                close = true;
            }
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        if close {
            self.save_path = None;
        }
    }

    fn findings_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let Some(review) = &mut self.review else {
            ui.label("No log open.");
            return;
        };
        ui.heading(format!("Findings ({})", review.findings().len()));
        ui.label(
            RichText::new("Untick a type to keep all of it.")
                .small()
                .weak(),
        );
        ui.separator();
        let counts = review.counts().clone();
        let mut changes = Vec::new();
        for (kind, c) in &counts {
            ui.horizontal(|ui| {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
                ui.painter().rect_filled(rect, 2.0, type_color(*kind));
                let mut all = c.redacted == c.total;
                let mixed = c.redacted > 0 && c.redacted < c.total;
                let checkbox =
                    egui::Checkbox::new(&mut all, type_label(*kind, c.total)).indeterminate(mixed);
                let resp = ui.add(checkbox).on_hover_text(format!(
                    "{}: {} of {} redacted",
                    kind.description(),
                    c.redacted,
                    c.total
                ));
                if resp.changed() {
                    changes.push((*kind, all));
                }
            });
        }
        for (kind, on) in changes {
            review.set_type(kind, on);
        }
        ui.separator();
        egui::CollapsingHeader::new("Terms and allow-list").show(ui, |ui| {
            ui.label("Also redact (one per line):");
            ui.add(
                egui::TextEdit::multiline(&mut self.terms)
                    .desired_rows(3)
                    .hint_text("ACME Corp"),
            );
            ui.label("Never redact (one per line):");
            ui.add(
                egui::TextEdit::multiline(&mut self.allow)
                    .desired_rows(3)
                    .hint_text("10.0.0.1"),
            );
            if ui.button("Rescan with these rules").clicked() {
                commands.push(Command::Rescan);
            }
        });
    }

    fn log_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect()
        });
        if let Some(path) = dropped.into_iter().next() {
            commands.push(Command::Open(path));
        }
        let Some(review) = &self.review else {
            ui.centered_and_justified(|ui| {
                ui.label(
                    RichText::new("Drop a log here, or press Ctrl+O")
                        .heading()
                        .weak(),
                );
            });
            return;
        };
        let row_height = ui.text_style_height(&TextStyle::Monospace);
        let digits = review.line_count().to_string().len();
        let mut toggles = Vec::new();
        let show_redacted = self.show_redacted;
        if show_redacted && self.mode == Mode::Pseudonym {
            if self
                .pseudonyms
                .as_ref()
                .is_none_or(|(v, _)| *v != review.version())
            {
                self.pseudonyms = Some((review.version(), review.pseudonym_numbers()));
            }
        } else {
            self.pseudonyms = None;
        }
        let numbers = self.pseudonyms.as_ref().map(|(_, n)| n.as_slice());
        ScrollArea::both().auto_shrink(false).show_rows(
            ui,
            row_height,
            review.line_count(),
            |ui, rows| {
                for line in rows {
                    line_ui(
                        ui,
                        review,
                        line,
                        digits,
                        show_redacted,
                        numbers,
                        &mut toggles,
                    );
                }
            },
        );
        if let Some(review) = &mut self.review {
            for i in toggles {
                review.toggle(i);
            }
        }
    }
}

/// One log line: its number, then plain text and clickable findings side by side.
pub(crate) fn line_ui(
    ui: &mut egui::Ui,
    review: &Review,
    line: usize,
    digits: usize,
    show_redacted: bool,
    numbers: Option<&[Option<usize>]>,
    toggles: &mut Vec<usize>,
) {
    let range = review.line_range(line);
    let text = &review.text;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        ui.add(
            Label::new(
                RichText::new(format!("{:>digits$}  ", line + 1))
                    .monospace()
                    .weak(),
            )
            .selectable(false),
        );
        let mut pos = range.start;
        for i in review.findings_in(range.clone()) {
            let f = review.findings()[i];
            let s = f.start.max(range.start);
            let e = f.end.min(range.end);
            if s > pos {
                plain(ui, &text[pos..s]);
            }
            let redacted = review.is_redacted(i);
            let color = type_color(f.kind);
            let shown = if show_redacted && redacted {
                // A multi-line finding shows its replacement once, on its first line.
                if f.start >= range.start {
                    match numbers.and_then(|n| n.get(i).copied().flatten()) {
                        Some(n) => format!("[{}-{n}]", f.kind.label()),
                        None => format!("[{}]", f.kind.label()),
                    }
                } else {
                    "▒".to_string()
                }
            } else {
                display(&text[s..e])
            };
            let rich = if redacted {
                RichText::new(shown)
                    .monospace()
                    .background_color(color.gamma_multiply(0.55))
                    .color(Color32::WHITE)
            } else {
                RichText::new(shown).monospace().underline().color(color)
            };
            let action = if redacted {
                "redacted — click to keep"
            } else {
                "kept — click to redact"
            };
            let resp = ui
                .add(
                    Label::new(rich)
                        .sense(Sense::click())
                        .wrap_mode(TextWrapMode::Extend),
                )
                .on_hover_text(format!(
                    "{} ({})\n{action}",
                    f.kind.name(),
                    f.kind.description()
                ));
            if resp.clicked() {
                toggles.push(i);
            }
            pos = e;
        }
        if pos < range.end || range.is_empty() {
            plain(ui, &text[pos..range.end]);
        }
    });
}

fn plain(ui: &mut egui::Ui, s: &str) {
    ui.add(Label::new(RichText::new(display(s)).monospace()).wrap_mode(TextWrapMode::Extend));
}

/// Tabs as spaces so columns line up; a byte-order mark (kept in the text so offsets are file
/// offsets) is not drawn; an empty line still takes a row.
fn display(s: &str) -> String {
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    if s.is_empty() {
        " ".to_string()
    } else {
        s.replace('\t', "    ")
    }
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

/// The side panel's label for a type: `ipv4 (12)`.
pub fn type_label(kind: PiiType, total: usize) -> String {
    format!("{} ({total})", kind.name())
}
