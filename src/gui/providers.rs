//! Settings → Providers (non-secret settings; keys go to the vault and are never shown again,
//! only "set" with replace/remove; Test connection) and Settings → Network (offline switch,
//! added origins, everything reachable).

use super::worker::{NetworkSummary, ProviderSummary};
use crate::ai::ProviderKind;
use crate::secret::SecretString;
use eframe::egui::{self, Color32, Grid, RichText};
use std::collections::HashMap;

#[must_use]
pub enum ProviderCommand {
    Add {
        name: String,
        kind: ProviderKind,
        url: Option<String>,
        model: String,
        key: Option<SecretString>,
    },
    SetKey {
        provider_id: String,
        key: SecretString,
    },
    RemoveKey {
        provider_id: String,
    },
    Remove {
        name: String,
    },
    Test {
        name: String,
    },
    SetOffline(bool),
    AddOrigin(String),
    RemoveOrigin(String),
}

pub struct ProvidersView {
    pub providers: Vec<ProviderSummary>,
    pub network: NetworkSummary,
    pub message: Option<String>,
    /// name → (ok, message) of the last connection test.
    pub tests: HashMap<String, (bool, String)>,
    pub testing: Option<String>,
    form_name: String,
    form_kind: ProviderKind,
    form_url: String,
    form_model: String,
    form_key: String,
    /// provider id → a replacement key being typed.
    replacing: HashMap<String, String>,
    origin: String,
}

impl Default for ProvidersView {
    fn default() -> Self {
        ProvidersView {
            providers: Vec::new(),
            network: NetworkSummary::default(),
            message: None,
            tests: HashMap::new(),
            testing: None,
            form_name: String::new(),
            form_kind: ProviderKind::OpenAi,
            form_url: String::new(),
            form_model: String::new(),
            form_key: String::new(),
            replacing: HashMap::new(),
            origin: String::new(),
        }
    }
}

fn labelled_edit(ui: &mut egui::Ui, label: &str, text: &mut String, password: bool, hint: &str) {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .password(password)
            .hint_text(hint)
            .desired_width(320.0),
    )
    .labelled_by(l.id);
    ui.end_row();
}

impl ProvidersView {
    pub fn providers_ui(&mut self, ui: &mut egui::Ui) -> Vec<ProviderCommand> {
        let mut commands = Vec::new();
        ui.heading("AI providers");
        ui.label("Keys are stored in the sealed vault and never shown again. Everything sent passes the redaction gate and is recorded in the audit log.");
        if let Some(m) = &self.message {
            ui.colored_label(Color32::LIGHT_RED, m);
        }
        ui.add_space(6.0);
        if self.providers.is_empty() {
            ui.label(RichText::new("No provider yet.").weak());
        }
        Grid::new("providers")
            .num_columns(5)
            .striped(true)
            .show(ui, |ui| {
                for p in &self.providers {
                    ui.label(RichText::new(&p.name).strong());
                    ui.label(format!("{} · {}", p.kind.name(), p.model));
                    ui.monospace(&p.base_url);
                    ui.horizontal(|ui| {
                        if p.key_set {
                            ui.label("key: set");
                            if ui.small_button("Replace").clicked() {
                                self.replacing.entry(p.id.clone()).or_default();
                            }
                            if ui.small_button("Remove key").clicked() {
                                commands.push(ProviderCommand::RemoveKey {
                                    provider_id: p.id.clone(),
                                });
                            }
                        } else {
                            ui.label("key: none");
                            if ui.small_button("Set key").clicked() {
                                self.replacing.entry(p.id.clone()).or_default();
                            }
                        }
                    });
                    ui.horizontal(|ui| {
                        let busy = self.testing.as_deref() == Some(p.name.as_str());
                        if ui
                            .add_enabled(!busy, egui::Button::new("Test connection"))
                            .clicked()
                        {
                            self.testing = Some(p.name.clone());
                            commands.push(ProviderCommand::Test {
                                name: p.name.clone(),
                            });
                        }
                        if busy {
                            ui.spinner();
                        }
                        if ui.small_button("Delete").clicked() {
                            commands.push(ProviderCommand::Remove {
                                name: p.name.clone(),
                            });
                        }
                    });
                    ui.end_row();
                    if let Some((ok, msg)) = self.tests.get(&p.name) {
                        ui.label("");
                        ui.colored_label(
                            if *ok {
                                Color32::LIGHT_GREEN
                            } else {
                                Color32::LIGHT_RED
                            },
                            msg,
                        );
                        ui.end_row();
                    }
                    if let Some(key) = self.replacing.get_mut(&p.id) {
                        ui.label("");
                        let mut done = None;
                        ui.horizontal(|ui| {
                            let l = ui.label("New key");
                            ui.add(
                                egui::TextEdit::singleline(key)
                                    .password(true)
                                    .desired_width(260.0),
                            )
                            .labelled_by(l.id);
                            if ui.button("Save key").clicked() && !key.is_empty() {
                                done = Some(true);
                            }
                            if ui.button("Cancel").clicked() {
                                done = Some(false);
                            }
                        });
                        ui.end_row();
                        if let Some(save) = done {
                            let typed = self.replacing.remove(&p.id).unwrap_or_default();
                            if save {
                                commands.push(ProviderCommand::SetKey {
                                    provider_id: p.id.clone(),
                                    key: SecretString::new(typed),
                                });
                            }
                        }
                    }
                }
            });
        ui.add_space(12.0);
        ui.heading("Add a provider");
        Grid::new("add-provider").num_columns(2).show(ui, |ui| {
            labelled_edit(ui, "Name", &mut self.form_name, false, "e.g. work-openai");
            ui.label("Kind");
            egui::ComboBox::from_id_salt("kind")
                .selected_text(self.form_kind.name())
                .show_ui(ui, |ui| {
                    for k in ProviderKind::ALL {
                        if k != ProviderKind::Custom {
                            ui.selectable_value(&mut self.form_kind, k, k.name());
                        }
                    }
                });
            ui.end_row();
            let default_url = self.form_kind.default_base_url();
            labelled_edit(ui, "Base URL", &mut self.form_url, false, default_url);
            labelled_edit(
                ui,
                "Model",
                &mut self.form_model,
                false,
                "e.g. gpt-4o-mini, claude-sonnet-4, llama3",
            );
            labelled_edit(
                ui,
                "API key",
                &mut self.form_key,
                true,
                "stored in the vault; empty for a local server",
            );
        });
        if ui.button("Add provider").clicked() {
            if self.form_name.trim().is_empty() || self.form_model.trim().is_empty() {
                self.message = Some("A provider needs a name and a model.".into());
            } else {
                let key = std::mem::take(&mut self.form_key);
                commands.push(ProviderCommand::Add {
                    name: std::mem::take(&mut self.form_name),
                    kind: self.form_kind,
                    url: Some(std::mem::take(&mut self.form_url)).filter(|u| !u.trim().is_empty()),
                    model: std::mem::take(&mut self.form_model),
                    key: Some(SecretString::new(key)).filter(|k| !k.is_empty()),
                });
            }
        }
        commands
    }

    pub fn network_ui(&mut self, ui: &mut egui::Ui) -> Vec<ProviderCommand> {
        let mut commands = Vec::new();
        ui.heading("Network");
        let mut offline = self.network.offline;
        if ui
            .checkbox(
                &mut offline,
                "Offline mode: reach loopback only (a local model)",
            )
            .changed()
        {
            commands.push(ProviderCommand::SetOffline(offline));
        }
        ui.label("TFTSR follows no redirects, ignores proxy variables and always verifies TLS certificates. Any URL outside this list is refused before connecting.");
        if let Some(m) = &self.message {
            ui.colored_label(Color32::LIGHT_RED, m);
        }
        ui.add_space(8.0);
        ui.label(RichText::new("Allowed origins").strong());
        Grid::new("origins")
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                for (origin, builtin) in &self.network.allowed {
                    ui.monospace(origin);
                    ui.label(if *builtin { "built in" } else { "added" });
                    if !*builtin && ui.small_button("Remove").clicked() {
                        commands.push(ProviderCommand::RemoveOrigin(origin.clone()));
                    } else if *builtin {
                        ui.label("");
                    }
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let l = ui.label("Add origin");
            ui.add(
                egui::TextEdit::singleline(&mut self.origin)
                    .hint_text("https://llm.corp.example or http://127.0.0.1:8080")
                    .desired_width(340.0),
            )
            .labelled_by(l.id);
            if ui.button("Allow").clicked() && !self.origin.trim().is_empty() {
                commands.push(ProviderCommand::AddOrigin(std::mem::take(&mut self.origin)));
            }
        });
        commands
    }
}

/// The provider drop-down (Ask AI, triage chat): keeps `selected` on an existing provider.
pub fn provider_picker_ui(
    ui: &mut egui::Ui,
    id_salt: &str,
    providers: &[ProviderSummary],
    selected: &mut Option<String>,
) {
    if selected
        .as_ref()
        .is_none_or(|p| !providers.iter().any(|x| &x.name == p))
    {
        *selected = providers.first().map(|p| p.name.clone());
    }
    ui.label("Provider");
    egui::ComboBox::from_id_salt(id_salt)
        .selected_text(selected.clone().unwrap_or_default())
        .show_ui(ui, |ui| {
            for p in providers {
                ui.selectable_value(
                    selected,
                    Some(p.name.clone()),
                    format!("{} ({})", p.name, p.model),
                );
            }
        });
}
