//! The worker's AI side: provider and network settings, connection tests, and asking a
//! question about the log under review — prepared (redacted) first, shown to the person, and
//! sent only as prepared.

use super::worker::{Event, Notifier, RequestId, State};
use crate::ai::send::{SendError, send};
use crate::ai::{
    ASK_SYSTEM_PROMPT, Content, Conversation, Message, ProviderKind, ProviderOptions, Role,
};
use crate::egress::{Egress, Origin};
use crate::pii::{Detector, Finding, Mode, Pseudonyms};
use crate::review::{RedactedText, Review};
use crate::secret::SecretString;
use crate::workspace::Workspace;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The reviewed log a question is about: the window's immutable copy and the decisions.
pub struct LogContext {
    pub name: String,
    pub text: Arc<str>,
    pub findings: Vec<Finding>,
    pub decisions: Vec<bool>,
}

pub enum AiRequest {
    Load {
        id: RequestId,
    },
    AddProvider {
        id: RequestId,
        name: String,
        kind: ProviderKind,
        url: Option<String>,
        model: String,
        key: Option<SecretString>,
    },
    SetKey {
        id: RequestId,
        provider_id: String,
        key: SecretString,
    },
    RemoveKey {
        id: RequestId,
        provider_id: String,
    },
    RemoveProvider {
        id: RequestId,
        name: String,
    },
    Test {
        id: RequestId,
        name: String,
    },
    SetOffline {
        id: RequestId,
        offline: bool,
    },
    AddOrigin {
        id: RequestId,
        origin: String,
    },
    RemoveOrigin {
        id: RequestId,
        origin: String,
    },
    /// Redact the question (and the log, with the person's decisions) and show the result.
    Prepare {
        id: RequestId,
        question: String,
        log: Option<LogContext>,
        mode: Mode,
    },
    /// Send exactly what `prepared` produced.
    Send {
        id: RequestId,
        prepared: RequestId,
        provider: String,
        cancel: Arc<AtomicBool>,
    },
}

/// A provider as the window sees it: no key, only whether one is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSummary {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub model: String,
    pub base_url: String,
    pub key_set: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkSummary {
    pub offline: bool,
    pub added: Vec<String>,
    /// Every reachable origin and whether it is built in.
    pub allowed: Vec<(String, bool)>,
}

pub enum AiEvent {
    Settings {
        id: RequestId,
        providers: Vec<ProviderSummary>,
        network: NetworkSummary,
    },
    Tested {
        id: RequestId,
        name: String,
        ok: bool,
        message: String,
    },
    Prepared {
        id: RequestId,
        /// Exactly what will be sent (the redacted text).
        text: String,
        counts: Vec<(&'static str, usize)>,
    },
    Delta {
        id: RequestId,
        text: String,
    },
    Answered {
        id: RequestId,
        text: String,
    },
    /// Cancelled or cut: what arrived is kept, marked incomplete.
    Incomplete {
        id: RequestId,
        text: String,
        reason: String,
    },
}

/// The redacted tail of a log sent with a question.
const MAX_LOG_BYTES: usize = crate::cli::ai::MAX_LOG_BYTES;

impl State {
    pub(super) fn handle_ai(&mut self, request: AiRequest, n: &Notifier) {
        let Some(ws) = self.workspace.as_mut() else {
            let id = request_id(&request);
            return n.send(Event::Failed {
                id,
                message: "Open the encrypted store first: providers and their keys live there."
                    .into(),
            });
        };
        let id = request_id(&request);
        let result: Result<Option<Event>, String> = match request {
            AiRequest::Load { .. } => Ok(None),
            AiRequest::AddProvider {
                name,
                kind,
                url,
                model,
                key,
                ..
            } => ws
                .add_provider(
                    &name,
                    kind,
                    url.as_deref().filter(|u| !u.trim().is_empty()),
                    &model,
                    ProviderOptions::default(),
                )
                .map_err(|e| e.to_string())
                .and_then(|cfg| match key.filter(|k| !k.is_empty()) {
                    Some(k) => ws.set_provider_key(&cfg.id, &k).map_err(|e| e.to_string()),
                    None => Ok(()),
                })
                .map(|()| None),
            AiRequest::SetKey {
                provider_id, key, ..
            } => ws
                .set_provider_key(&provider_id, &key)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            AiRequest::RemoveKey { provider_id, .. } => ws
                .remove_provider_key(&provider_id)
                .map(|_| None)
                .map_err(|e| e.to_string()),
            AiRequest::RemoveProvider { name, .. } => ws
                .remove_provider(&name)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            AiRequest::SetOffline { offline, .. } => ws
                .set_offline(offline)
                .map(|()| None)
                .map_err(|e| e.to_string()),
            AiRequest::AddOrigin { origin, .. } => ws
                .add_origin(&origin)
                .map(|_| None)
                .map_err(|e| e.to_string()),
            AiRequest::RemoveOrigin { origin, .. } => Origin::parse_addition(&origin)
                .map_err(|e| e.to_string())
                .and_then(|o| ws.remove_origin(&o).map_err(|e| e.to_string()))
                .map(|()| None),
            AiRequest::Test { name, .. } => {
                let (ok, message) = match crate::cli::ai::test_provider(ws, &name) {
                    Ok(reply) => (true, format!("{name} answered: {}", first_words(&reply))),
                    Err(e) => (false, format!("{e:#}")),
                };
                Ok(Some(Event::Ai(AiEvent::Tested {
                    id,
                    name,
                    ok,
                    message,
                })))
            }
            AiRequest::Prepare {
                question,
                log,
                mode,
                ..
            } => match prepare(&question, log.as_ref(), mode) {
                Ok(text) => {
                    let event = AiEvent::Prepared {
                        id,
                        text: text.as_str().to_string(),
                        counts: text.counts().iter().map(|(k, v)| (k.name(), *v)).collect(),
                    };
                    self.prepared = Some((id, text));
                    Ok(Some(Event::Ai(event)))
                }
                Err(e) => Err(e),
            },
            AiRequest::Send {
                prepared,
                provider,
                cancel,
                ..
            } => {
                let Some((pid, text)) = self.prepared.take().filter(|(pid, _)| *pid == prepared)
                else {
                    return n.send(Event::Failed {
                        id,
                        message: "Prepare the question again: what was shown is no longer current."
                            .into(),
                    });
                };
                debug_assert_eq!(pid, prepared);
                return ask(ws, id, &provider, text, &cancel, n);
            }
        };
        n.send(match result {
            Ok(Some(event)) => event,
            Ok(None) => settings_event(ws, id),
            Err(message) => Event::Failed { id, message },
        });
    }
}

fn request_id(r: &AiRequest) -> RequestId {
    match r {
        AiRequest::Load { id }
        | AiRequest::AddProvider { id, .. }
        | AiRequest::SetKey { id, .. }
        | AiRequest::RemoveKey { id, .. }
        | AiRequest::RemoveProvider { id, .. }
        | AiRequest::Test { id, .. }
        | AiRequest::SetOffline { id, .. }
        | AiRequest::AddOrigin { id, .. }
        | AiRequest::RemoveOrigin { id, .. }
        | AiRequest::Prepare { id, .. }
        | AiRequest::Send { id, .. } => *id,
    }
}

fn settings_event(ws: &Workspace, id: RequestId) -> Event {
    let result = (|| {
        let providers = ws
            .providers()?
            .into_iter()
            .map(|p| ProviderSummary {
                key_set: ws.has_provider_key(&p.id),
                id: p.id,
                name: p.name,
                kind: p.kind,
                model: p.model,
                base_url: p.base_url,
            })
            .collect();
        let policy = ws.network_policy()?;
        let network = NetworkSummary {
            offline: policy.offline,
            added: policy.added.iter().map(Origin::to_string).collect(),
            allowed: policy
                .allowed()
                .iter()
                .map(|o| (o.to_string(), o.is_builtin()))
                .collect(),
        };
        Ok::<_, crate::workspace::WorkspaceError>((providers, network))
    })();
    match result {
        Ok((providers, network)) => Event::Ai(AiEvent::Settings {
            id,
            providers,
            network,
        }),
        Err(e) => Event::Failed {
            id,
            message: format!("Reading the provider settings failed: {e}"),
        },
    }
}

/// The question and the reviewed log, through the gate: one pseudonym map, so a value in the
/// question and in the log gets the same number.
fn prepare(question: &str, log: Option<&LogContext>, mode: Mode) -> Result<RedactedText, String> {
    if question.trim().is_empty() {
        return Err("Type a question first.".into());
    }
    let detector = Detector::builtin();
    let mut pseudonyms = Pseudonyms::new();
    let mut parts = Vec::new();
    let log = log.map(|log| {
        let review = Review::reviewed(
            &log.name,
            log.text.clone(),
            log.findings.clone(),
            &log.decisions,
        );
        (log.name.clone(), review)
    });
    // A value found in the log is found again in the question and the header.
    let known = log
        .as_ref()
        .map(|(_, r)| r.redacted_values())
        .unwrap_or_default();
    let knowing = |source: &str, text: &str, pseudonyms: &mut Pseudonyms| {
        Review::of_text_knowing(source, text, &detector, &known)
            .approve(mode, pseudonyms, source)
            .map_err(|e| format!("redaction failed: {e}"))
    };
    parts.push(knowing(
        "question",
        &format!("Question: {question}"),
        &mut pseudonyms,
    )?);
    if let Some((name, review)) = log {
        parts.push(knowing(
            "log header",
            &format!("Log file {name} (values redacted as reviewed):"),
            &mut pseudonyms,
        )?);
        let review = review.tail(MAX_LOG_BYTES).unwrap_or(review);
        let text = review
            .approve(mode, &mut pseudonyms, format!("log:{name}"))
            .map_err(|e| format!("redaction failed: {e}"))?;
        parts.push(text);
    }
    Ok(RedactedText::concat(parts))
}

enum AskError {
    /// Cancelled or cut after some text arrived (or cancelled before any).
    Incomplete {
        text: String,
        reason: String,
    },
    Failed(String),
}

fn ask(
    ws: &mut Workspace,
    id: RequestId,
    provider: &str,
    text: RedactedText,
    cancel: &AtomicBool,
    n: &Notifier,
) {
    n.send(match ask_inner(ws, id, provider, text, cancel, n) {
        Ok(text) => Event::Ai(AiEvent::Answered { id, text }),
        Err(AskError::Incomplete { text, reason }) => {
            Event::Ai(AiEvent::Incomplete { id, text, reason })
        }
        Err(AskError::Failed(message)) => Event::Failed { id, message },
    });
}

fn ask_inner(
    ws: &mut Workspace,
    id: RequestId,
    provider: &str,
    text: RedactedText,
    cancel: &AtomicBool,
    n: &Notifier,
) -> Result<String, AskError> {
    let failed = |e: &dyn std::fmt::Display| AskError::Failed(e.to_string());
    let cfg = ws.provider(provider).map_err(|e| failed(&e))?;
    let egress = Egress::new(ws.network_policy().map_err(|e| failed(&e))?);
    let messages = [Message {
        role: Role::User,
        content: Content::Redacted(text),
    }];
    let conv = Conversation {
        system: ASK_SYSTEM_PROMPT.into(),
        messages: &messages,
    };
    let mut forward = |delta: &str| {
        n.send(Event::Ai(AiEvent::Delta {
            id,
            text: delta.to_string(),
        }))
    };
    match send(ws, &egress, &cfg, &conv, cancel, &mut forward) {
        Ok(outcome) => Ok(outcome.reply.text),
        Err(SendError::Cancelled { partial }) => Err(AskError::Incomplete {
            text: partial,
            reason: "cancelled".into(),
        }),
        Err(SendError::Interrupted { partial, reason }) => Err(AskError::Incomplete {
            text: partial,
            reason,
        }),
        Err(other) => Err(failed(&other)),
    }
}

fn first_words(reply: &str) -> String {
    let mut s: String = reply.chars().take(60).collect();
    if reply.chars().count() > 60 {
        s.push('…');
    }
    s
}
