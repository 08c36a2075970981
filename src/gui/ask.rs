//! "Ask AI" beside the log under review: a question, shown redacted exactly as it will be sent
//! (with the log as the person reviewed it), sent only on approval; the answer streams in and
//! can be cancelled.

use super::worker::{ProviderSummary, RequestId};
use crate::pii::Mode;
use eframe::egui::{self, Color32, RichText, ScrollArea};

#[must_use]
pub enum AskCommand {
    /// Redact the question (and the reviewed log) and show the result.
    Prepare {
        question: String,
        include_log: bool,
        mode: Mode,
    },
    /// Send exactly what was shown.
    Send {
        prepared: RequestId,
        provider: String,
    },
    Cancel,
}

#[derive(Default)]
pub enum AskState {
    #[default]
    Idle,
    Preparing,
    Prepared {
        id: RequestId,
        text: String,
        counts: Vec<(&'static str, usize)>,
    },
    Sending,
}

pub struct AskView {
    pub open: bool,
    pub provider: Option<String>,
    pub question: String,
    pub include_log: bool,
    pub mode: Mode,
    pub state: AskState,
    pub answer: String,
    /// Set when the answer is cut off, cancelled or failed.
    pub note: Option<String>,
}

impl Default for AskView {
    fn default() -> Self {
        AskView {
            open: false,
            provider: None,
            question: String::new(),
            include_log: true,
            mode: Mode::Pseudonym,
            state: AskState::Idle,
            answer: String::new(),
            note: None,
        }
    }
}

impl AskView {
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        providers: &[ProviderSummary],
        has_log: bool,
    ) -> Vec<AskCommand> {
        let mut commands = Vec::new();
        ui.heading("Ask AI");
        if providers.is_empty() {
            ui.label("No provider yet: add one in Settings › Providers.");
            return commands;
        }
        ui.horizontal(|ui| {
            super::providers::provider_picker_ui(ui, "ask-provider", providers, &mut self.provider);
        });
        let l = ui.label("Question");
        ui.add(
            egui::TextEdit::multiline(&mut self.question)
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .hint_text("What failed here?"),
        )
        .labelled_by(l.id);
        ui.add_enabled(
            has_log,
            egui::Checkbox::new(
                &mut self.include_log,
                "Include the log, redacted as reviewed",
            ),
        );
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, Mode::Pseudonym, "[TYPE-n]")
                .on_hover_text(
                    "The same value gets the same number, so the assistant can tell hosts apart",
                );
            ui.selectable_value(&mut self.mode, Mode::Label, "[TYPE]");
        });
        let busy = matches!(self.state, AskState::Preparing | AskState::Sending);
        if ui
            .add_enabled(!busy, egui::Button::new("Review what will be sent"))
            .clicked()
        {
            commands.push(AskCommand::Prepare {
                question: self.question.clone(),
                include_log: self.include_log && has_log,
                mode: self.mode,
            });
        }
        match &self.state {
            AskState::Idle => {}
            AskState::Preparing => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Redacting…");
                });
            }
            AskState::Prepared { id, text, counts } => {
                ui.separator();
                ui.label(RichText::new("This exact text will be sent:").strong());
                let summary = if counts.is_empty() {
                    "nothing was found to redact".to_string()
                } else {
                    counts
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                ui.label(format!("Redacted: {summary} · {} KB", text.len() / 1024));
                ScrollArea::vertical()
                    .id_salt("outgoing")
                    .max_height(180.0)
                    .show(ui, |ui| {
                        let shown: String = text.chars().take(20_000).collect();
                        ui.add(egui::Label::new(RichText::new(shown).monospace().small()).wrap());
                    });
                let (id, provider) = (*id, self.provider.clone().unwrap_or_default());
                if ui
                    .button(format!("Approve and send to {provider}"))
                    .clicked()
                {
                    commands.push(AskCommand::Send {
                        prepared: id,
                        provider,
                    });
                }
            }
            AskState::Sending => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Waiting for the answer…");
                    if ui.button("Cancel").clicked() {
                        commands.push(AskCommand::Cancel);
                    }
                });
            }
        }
        if !self.answer.is_empty() || self.note.is_some() {
            ui.separator();
            ui.label(RichText::new("Answer").strong());
            if let Some(note) = &self.note {
                ui.colored_label(Color32::YELLOW, note);
            }
            ScrollArea::vertical().id_salt("answer").show(ui, |ui| {
                ui.add(egui::Label::new(&self.answer).wrap());
            });
        }
        commands
    }
}
