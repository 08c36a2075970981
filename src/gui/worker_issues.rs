//! The worker's incident side: issues, attached logs, the triage chat (gate → store the turn →
//! send → store the reply and the 5-Whys progress), resolution steps, the timeline.

use super::worker::{AiEvent, Event, Notifier, RequestId, State};
use crate::ai::Conversation;
use crate::ai::send::{SendError, send};
use crate::egress::Egress;
use crate::pii::{Detector, Mode, Pseudonyms};
use crate::review::Review;
use crate::store::records::NewIssue;
use crate::store::triage::{EventRow, IssueFilter, IssueRow, LogRow, MessageRow, StepRow};
use crate::triage::documents::DocKind;
use crate::triage::whys;
use crate::workspace::{Workspace, WorkspaceError};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// How much of each approved log goes into the chat context.
const CONTEXT_LOG_BYTES: usize = 48 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueFields {
    pub title: String,
    pub description: String,
    pub domain: String,
    pub severity: String,
}

pub enum IssueRequest {
    List {
        id: RequestId,
        filter: IssueFilter,
    },
    Create {
        id: RequestId,
        fields: IssueFields,
    },
    Load {
        id: RequestId,
        issue_id: String,
    },
    Edit {
        id: RequestId,
        issue_id: String,
        fields: IssueFields,
    },
    SetStatus {
        id: RequestId,
        issue_id: String,
        resolved: bool,
    },
    Delete {
        id: RequestId,
        issue_id: String,
    },
    /// Store the reviewed log's approved redacted text.
    Attach {
        id: RequestId,
        issue_id: String,
        review: Box<Review>,
        mode: Mode,
    },
    /// Scan a typed chat message so the person can review its findings.
    Check {
        id: RequestId,
        issue_id: String,
        text: String,
    },
    /// Send the reviewed message (with the issue context) and store the turn.
    Send {
        id: RequestId,
        issue_id: String,
        message: Box<Review>,
        provider: String,
        mode: Mode,
        cancel: Arc<AtomicBool>,
    },
    ConfirmRootCause {
        id: RequestId,
        issue_id: String,
        text: String,
    },
    AddStep {
        id: RequestId,
        issue_id: String,
        text: String,
    },
    UpdateStep {
        id: RequestId,
        issue_id: String,
        step: StepRow,
    },
    MoveStep {
        id: RequestId,
        issue_id: String,
        step_id: String,
        up: bool,
    },
    DeleteStep {
        id: RequestId,
        issue_id: String,
        step_id: String,
    },
    KeepPseudonyms {
        id: RequestId,
        issue_id: String,
        keep: bool,
    },
    GenerateDoc {
        id: RequestId,
        issue_id: String,
        kind: DocKind,
    },
    SaveDoc {
        id: RequestId,
        issue_id: String,
        kind: DocKind,
        markdown: String,
    },
    ExportDoc {
        id: RequestId,
        issue_id: String,
        kind: DocKind,
        path: std::path::PathBuf,
        html: bool,
    },
}

/// Everything the issue view shows.
#[derive(Clone, Debug, Default)]
pub struct IssueDetail {
    pub row: Option<IssueRow>,
    pub logs: Vec<LogRow>,
    pub messages: Vec<MessageRow>,
    pub steps: Vec<StepRow>,
    pub timeline: Vec<EventRow>,
    /// `[TYPE-n]` → value, for showing answers with originals on this machine only.
    pub originals: HashMap<String, String>,
    /// Latest (version, Markdown) of the RCA and the post-mortem.
    pub rca: Option<(i64, String)>,
    pub postmortem: Option<(i64, String)>,
    /// The audit entries about this issue, newest first.
    pub audit: Vec<crate::audit::Entry>,
    pub resolved_at: Option<i64>,
    /// The last export's message ("Exported … (N bytes)").
    pub exported: Option<String>,
}

pub enum IssueEvent {
    List {
        id: RequestId,
        issues: Vec<IssueRow>,
        open_by_severity: Vec<(String, i64)>,
        recent: Vec<EventRow>,
    },
    Detail {
        id: RequestId,
        detail: Box<IssueDetail>,
    },
    Deleted {
        id: RequestId,
    },
    Checked {
        id: RequestId,
        review: Box<Review>,
    },
}

fn request_id(r: &IssueRequest) -> RequestId {
    use IssueRequest as R;
    match r {
        R::List { id, .. }
        | R::Create { id, .. }
        | R::Load { id, .. }
        | R::Edit { id, .. }
        | R::SetStatus { id, .. }
        | R::Delete { id, .. }
        | R::Attach { id, .. }
        | R::Check { id, .. }
        | R::Send { id, .. }
        | R::ConfirmRootCause { id, .. }
        | R::AddStep { id, .. }
        | R::UpdateStep { id, .. }
        | R::MoveStep { id, .. }
        | R::DeleteStep { id, .. }
        | R::KeepPseudonyms { id, .. }
        | R::GenerateDoc { id, .. }
        | R::SaveDoc { id, .. }
        | R::ExportDoc { id, .. } => *id,
    }
}

fn fields(f: &IssueFields) -> NewIssue<'_> {
    NewIssue {
        title: &f.title,
        description: &f.description,
        domain: &f.domain,
        severity: &f.severity,
    }
}

impl State {
    pub(super) fn handle_issue(&mut self, request: IssueRequest, n: &Notifier) {
        let id = request_id(&request);
        let Some(ws) = self.workspace.as_mut() else {
            return n.send(Event::Failed {
                id,
                message: "Open the encrypted store first: issues live there.".into(),
            });
        };
        let maps = &mut self.pseudonyms;
        use IssueRequest as R;
        let result: Result<Event, WorkspaceError> = (|| {
            let detail = |ws: &Workspace, issue_id: &str, maps: &HashMap<String, Pseudonyms>| {
                load_detail(ws, issue_id, maps).map(|d| {
                    Event::Issue(IssueEvent::Detail {
                        id,
                        detail: Box::new(d),
                    })
                })
            };
            match request {
                R::List { filter, .. } => Ok(Event::Issue(IssueEvent::List {
                    id,
                    issues: ws.issues(&filter)?,
                    open_by_severity: ws.open_by_severity()?,
                    recent: ws.timeline(None, 12)?,
                })),
                R::Create { fields: f, .. } => {
                    let issue_id = ws.open_issue(&fields(&f))?;
                    detail(ws, &issue_id, maps)
                }
                R::Load { issue_id, .. } => detail(ws, &issue_id, maps),
                R::Edit {
                    issue_id,
                    fields: f,
                    ..
                } => {
                    ws.edit_issue(&issue_id, &fields(&f))?;
                    detail(ws, &issue_id, maps)
                }
                R::SetStatus {
                    issue_id, resolved, ..
                } => {
                    ws.set_issue_status(&issue_id, resolved)?;
                    detail(ws, &issue_id, maps)
                }
                R::Delete { issue_id, .. } => {
                    ws.remove_issue(&issue_id)?;
                    maps.remove(&issue_id);
                    Ok(Event::Issue(IssueEvent::Deleted { id }))
                }
                R::Attach {
                    issue_id,
                    review,
                    mode,
                    ..
                } => {
                    let map = map_for(ws, maps, &issue_id)?;
                    ws.attach_log(&issue_id, &review, mode, map)?;
                    detail(ws, &issue_id, maps)
                }
                R::Check { issue_id, text, .. } => {
                    // Values met earlier in this issue (its logs, earlier messages) are found
                    // again in the new message.
                    let known = map_for(ws, maps, &issue_id)?.known_values();
                    let review =
                        Review::of_text_knowing("message", &text, &Detector::builtin(), &known);
                    Ok(Event::Issue(IssueEvent::Checked {
                        id,
                        review: Box::new(review),
                    }))
                }
                R::Send {
                    issue_id,
                    message,
                    provider,
                    mode,
                    cancel,
                    ..
                } => {
                    chat(
                        ws, maps, id, &issue_id, &message, &provider, mode, &cancel, n,
                    )?;
                    detail(ws, &issue_id, maps)
                }
                R::ConfirmRootCause { issue_id, text, .. } => {
                    ws.confirm_root_cause(&issue_id, &text)?;
                    detail(ws, &issue_id, maps)
                }
                R::AddStep { issue_id, text, .. } => {
                    ws.add_step(&issue_id, &text)?;
                    detail(ws, &issue_id, maps)
                }
                R::UpdateStep { issue_id, step, .. } => {
                    ws.update_step(&issue_id, &step)?;
                    detail(ws, &issue_id, maps)
                }
                R::MoveStep {
                    issue_id,
                    step_id,
                    up,
                    ..
                } => {
                    ws.move_step(&issue_id, &step_id, up)?;
                    detail(ws, &issue_id, maps)
                }
                R::DeleteStep {
                    issue_id, step_id, ..
                } => {
                    ws.delete_step(&step_id)?;
                    detail(ws, &issue_id, maps)
                }
                R::GenerateDoc { issue_id, kind, .. } => {
                    ws.generate_document(&issue_id, kind)?;
                    detail(ws, &issue_id, maps)
                }
                R::SaveDoc {
                    issue_id,
                    kind,
                    markdown,
                    ..
                } => {
                    ws.save_document(&issue_id, kind, &markdown)?;
                    detail(ws, &issue_id, maps)
                }
                R::ExportDoc {
                    issue_id,
                    kind,
                    path,
                    html,
                    ..
                } => {
                    let bytes = ws.export_document(&issue_id, kind, &path, html)?;
                    let mut d = load_detail(ws, &issue_id, maps)?;
                    let name = path
                        .file_name()
                        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                    d.exported = Some(format!(
                        "Exported {name} ({bytes} bytes, redacted; recorded in the audit log)."
                    ));
                    Ok(Event::Issue(IssueEvent::Detail {
                        id,
                        detail: Box::new(d),
                    }))
                }
                R::KeepPseudonyms { issue_id, keep, .. } => {
                    let map = map_for(ws, maps, &issue_id)?;
                    let map = std::mem::take(map);
                    ws.set_keep_pseudonyms(&issue_id, keep, &map)?;
                    maps.insert(issue_id.clone(), map);
                    detail(ws, &issue_id, maps)
                }
            }
        })();
        n.send(result.unwrap_or_else(|e| Event::Failed {
            id,
            message: e.to_string(),
        }));
    }
}

/// The issue's pseudonym map for this session (loaded from the store when the issue keeps it).
fn map_for<'a>(
    ws: &Workspace,
    maps: &'a mut HashMap<String, Pseudonyms>,
    issue_id: &str,
) -> Result<&'a mut Pseudonyms, WorkspaceError> {
    if !maps.contains_key(issue_id) {
        maps.insert(issue_id.to_string(), ws.load_pseudonyms(issue_id)?);
    }
    Ok(maps.get_mut(issue_id).expect("inserted above"))
}

fn load_detail(
    ws: &Workspace,
    issue_id: &str,
    maps: &HashMap<String, Pseudonyms>,
) -> Result<IssueDetail, WorkspaceError> {
    Ok(IssueDetail {
        row: Some(ws.issue(issue_id)?),
        logs: ws.logs(issue_id)?,
        messages: ws.messages(issue_id)?,
        steps: ws.steps(issue_id)?,
        timeline: ws.timeline(Some(issue_id), 200)?,
        originals: maps
            .get(issue_id)
            .map(Pseudonyms::reverse)
            .unwrap_or_default(),
        rca: ws.document(issue_id, DocKind::Rca)?,
        postmortem: ws.document(issue_id, DocKind::PostMortem)?,
        audit: ws.issue_audit(issue_id)?,
        resolved_at: ws.resolved_at(issue_id)?,
        exported: None,
    })
}

/// One chat turn: the approved message is stored before the network call; the reply (or what
/// arrived of it) and its progress block after.
#[allow(clippy::too_many_arguments)]
fn chat(
    ws: &mut Workspace,
    maps: &mut HashMap<String, Pseudonyms>,
    id: RequestId,
    issue_id: &str,
    message: &Review,
    provider: &str,
    mode: Mode,
    cancel: &AtomicBool,
    n: &Notifier,
) -> Result<(), WorkspaceError> {
    let cfg = ws.provider(provider)?;
    let egress = Egress::new(ws.network_policy()?);
    let domain = ws.issue(issue_id)?.issue.domain;
    let map = map_for(ws, maps, issue_id)?;
    let approved = message
        .approve(mode, map, format!("issue:{issue_id}:message"))
        .map_err(|e| WorkspaceError::Invalid(format!("redaction failed: {e}")))?;
    let context = ws.issue_context(issue_id, mode, map, CONTEXT_LOG_BYTES)?;
    let snapshot = std::mem::take(map);
    ws.keep_pseudonyms(issue_id, &snapshot)?;
    maps.insert(issue_id.to_string(), snapshot);
    let turn = ws.begin_turn(issue_id, &approved)?;
    let messages = ws.conversation_messages(issue_id, &turn, context)?;
    let conv = Conversation {
        system: crate::triage::system_prompt(&domain),
        messages: &messages,
    };
    let mut forward = |delta: &str| {
        n.send(Event::Ai(AiEvent::Delta {
            id,
            text: delta.to_string(),
        }))
    };
    match send(ws, &egress, &cfg, &conv, cancel, &mut forward) {
        Ok(outcome) => {
            let (_, update) = whys::parse(&outcome.reply.text);
            ws.finish_turn(
                issue_id,
                &turn,
                &outcome.reply.text,
                "complete",
                update.as_ref(),
            )?;
            Ok(())
        }
        Err(e) => {
            let (text, state) = match &e {
                SendError::Cancelled { partial } | SendError::Interrupted { partial, .. } => {
                    (partial.clone(), "interrupted")
                }
                _ => (String::new(), "failed"),
            };
            ws.finish_turn(issue_id, &turn, &text, state, None)?;
            if state == "failed" {
                Err(WorkspaceError::Invalid(e.to_string()))
            } else {
                Ok(())
            }
        }
    }
}
