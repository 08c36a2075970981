//! The incident workflow on the store: issue edits and status, attached logs, the triage chat
//! with its 5-Whys progress, resolution steps, the timeline and per-issue pseudonyms. Changes
//! that matter for the record are audited; every step lands in the issue's timeline.

use super::{Workspace, WorkspaceError};
use crate::ai::{Content, Message, Role};
use crate::audit::NewEntry;
use crate::pii::{Detector, Mode, PiiType, Pseudonyms};
use crate::review::{RedactedText, Review};
use crate::store::records::{self, NewIssue};
use crate::store::triage::{self as t, IssueFilter, IssueRow, StepRow, WhyState};
use crate::triage::documents::{self, DocInput, DocKind};
use crate::triage::whys::WhyUpdate;
use serde_json::json;

/// A chat turn in flight: the stored user message and the assistant's placeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn {
    pub conversation_id: String,
    pub user_message_id: String,
    pub assistant_message_id: String,
}

fn invalid(s: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Invalid(s.into())
}

impl Workspace {
    pub fn issues(&self, filter: &IssueFilter) -> Result<Vec<IssueRow>, WorkspaceError> {
        Ok(t::list_issues(self.store.conn(), filter)?)
    }

    pub fn issue(&self, id: &str) -> Result<IssueRow, WorkspaceError> {
        t::get_issue_row(self.store.conn(), id)?
            .ok_or_else(|| invalid("that issue no longer exists"))
    }

    /// Creates an issue (audited), indexes it and starts its timeline.
    pub fn open_issue(&mut self, issue: &NewIssue<'_>) -> Result<String, WorkspaceError> {
        check_issue(issue)?;
        let id = self.create_issue(issue)?;
        let conn = self.store.conn();
        t::index(conn, &id, "title", issue.title)?;
        t::index(conn, &id, "description", issue.description)?;
        t::add_event(
            conn,
            &id,
            "created",
            &format!("{} · {}", issue.severity, t::domain_label(issue.domain)),
        )?;
        Ok(id)
    }

    pub fn edit_issue(&mut self, id: &str, issue: &NewIssue<'_>) -> Result<(), WorkspaceError> {
        check_issue(issue)?;
        self.audited(
            |tx| {
                t::update_issue(
                    tx,
                    id,
                    issue.title,
                    issue.description,
                    issue.domain,
                    issue.severity,
                )?;
                t::unindex(tx, id, "title")?;
                t::unindex(tx, id, "description")?;
                t::index(tx, id, "title", issue.title)?;
                t::index(tx, id, "description", issue.description)?;
                t::add_event(tx, id, "edited", "")?;
                Ok(())
            },
            |_| NewEntry {
                action: "issue_updated",
                entity_type: "issue",
                entity_id: id.to_string(),
                details: json!({"domain": issue.domain, "severity": issue.severity}),
            },
        )
    }

    pub fn set_issue_status(&mut self, id: &str, resolved: bool) -> Result<(), WorkspaceError> {
        let status = if resolved { "resolved" } else { "open" };
        self.audited(
            |tx| {
                t::set_status(tx, id, status)?;
                t::add_event(tx, id, if resolved { "resolved" } else { "reopened" }, "")?;
                Ok(())
            },
            |_| NewEntry {
                action: if resolved {
                    "issue_resolved"
                } else {
                    "issue_reopened"
                },
                entity_type: "issue",
                entity_id: id.to_string(),
                details: json!({}),
            },
        )
    }

    /// Deletes an issue with everything attached (audited) and its search entries.
    pub fn remove_issue(&mut self, id: &str) -> Result<(), WorkspaceError> {
        self.delete_issue(id)?;
        t::unindex_issue(self.store.conn(), id)?;
        Ok(())
    }

    /// Stores a reviewed log's approved redacted text (see `approve_log`), indexes it and
    /// records it in the timeline. Pseudonyms come from the issue's map.
    pub fn attach_log(
        &mut self,
        issue_id: &str,
        review: &Review,
        mode: Mode,
        pseudonyms: &mut Pseudonyms,
    ) -> Result<String, WorkspaceError> {
        let approved = review
            .approve(mode, pseudonyms, format!("log:{}", review.name))
            .map_err(|e| invalid(format!("redaction failed: {e}")))?;
        let log_id = self.approve_log_text(issue_id, review, mode, &approved)?;
        let conn = self.store.conn();
        t::index(conn, issue_id, &format!("log:{log_id}"), approved.as_str())?;
        let total: usize = approved.counts().values().sum();
        t::add_event(
            conn,
            issue_id,
            "log_attached",
            &format!("{} ({total} values redacted)", review.name),
        )?;
        t::touch(conn, issue_id)?;
        self.keep_pseudonyms(issue_id, pseudonyms)?;
        Ok(log_id)
    }

    pub fn logs(&self, issue_id: &str) -> Result<Vec<t::LogRow>, WorkspaceError> {
        Ok(t::list_logs(self.store.conn(), issue_id)?)
    }

    /// The issue's pseudonym map: the kept one (identity types) when the issue keeps it.
    pub fn load_pseudonyms(&self, issue_id: &str) -> Result<Pseudonyms, WorkspaceError> {
        let mut map = Pseudonyms::new();
        if self.issue(issue_id)?.why.keep_pseudonyms {
            for (kind, value, number) in t::pseudonyms(self.store.conn(), issue_id)? {
                if let Ok(kind) = kind.parse::<PiiType>() {
                    map.restore(kind, value, number as usize);
                }
            }
        }
        Ok(map)
    }

    /// Writes the identity part of the map when the issue keeps it.
    pub fn keep_pseudonyms(
        &mut self,
        issue_id: &str,
        map: &Pseudonyms,
    ) -> Result<(), WorkspaceError> {
        if !self.issue(issue_id)?.why.keep_pseudonyms {
            return Ok(());
        }
        let conn = self.store.conn();
        for (kind, value, number) in map.identity_entries() {
            t::save_pseudonym(conn, issue_id, kind.name(), value, number as i64)?;
        }
        Ok(())
    }

    /// Turns keeping the pseudonym map in the store on or off (off deletes the kept map).
    pub fn set_keep_pseudonyms(
        &mut self,
        issue_id: &str,
        keep: bool,
        map: &Pseudonyms,
    ) -> Result<(), WorkspaceError> {
        let mut why = self.issue(issue_id)?.why;
        why.keep_pseudonyms = keep;
        self.audited(
            |tx| {
                t::set_why(tx, issue_id, &why)?;
                if !keep {
                    t::clear_pseudonyms(tx, issue_id)?;
                }
                Ok(())
            },
            |_| NewEntry {
                action: "pseudonym_map_kept",
                entity_type: "issue",
                entity_id: issue_id.to_string(),
                details: json!({"keep": keep}),
            },
        )?;
        self.keep_pseudonyms(issue_id, map)
    }

    /// What the assistant is told about the issue first: title and description through the
    /// gate (every finding redacted, the issue's pseudonyms), then the approved logs' tails.
    pub fn issue_context(
        &self,
        issue_id: &str,
        mode: Mode,
        pseudonyms: &mut Pseudonyms,
        max_log_bytes: usize,
    ) -> Result<RedactedText, WorkspaceError> {
        let row = self.issue(issue_id)?;
        let i = &row.issue;
        let detector = Detector::builtin();
        let text = format!(
            "Incident (severity {}, domain {}).\nTitle: {}\nDescription: {}",
            i.severity,
            t::domain_label(&i.domain),
            i.title,
            i.description
        );
        let mut parts = vec![
            Review::of_text("issue", &text, &detector)
                .approve(mode, pseudonyms, format!("issue:{issue_id}"))
                .map_err(|e| invalid(e.to_string()))?,
        ];
        for log in self.logs(issue_id)? {
            let stored = t::log_text(self.store.conn(), &log.id)?;
            let mut cut = stored.len().saturating_sub(max_log_bytes);
            while !stored.is_char_boundary(cut) {
                cut += 1;
            }
            let start = stored[cut..]
                .find('\n')
                .filter(|_| cut > 0)
                .map_or(cut, |n| cut + n + 1);
            let header = Review::of_text(
                "log header",
                &format!("Attached log {} (approved, redacted):", log.name),
                &detector,
            )
            .approve(mode, pseudonyms, "log header")
            .map_err(|e| invalid(e.to_string()))?;
            parts.push(header);
            parts.push(RedactedText::previously_approved(
                stored[start..].to_string(),
                format!("log:{}", log.id),
            ));
        }
        Ok(RedactedText::concat(parts))
    }

    /// Commits the approved user message and an empty assistant reply marked streaming, before
    /// anything is sent.
    pub fn begin_turn(
        &mut self,
        issue_id: &str,
        message: &RedactedText,
    ) -> Result<Turn, WorkspaceError> {
        let tx = self
            .store
            .conn_mut()
            .transaction()
            .map_err(crate::store::StoreError::from)?;
        let conversation_id = t::conversation(&tx, issue_id)?;
        let user_message_id =
            t::add_message(&tx, &conversation_id, "user", message.as_str(), "complete")?;
        let assistant_message_id =
            t::add_message(&tx, &conversation_id, "assistant", "", "streaming")?;
        t::index(
            &tx,
            issue_id,
            &format!("message:{user_message_id}"),
            message.as_str(),
        )?;
        t::add_event(&tx, issue_id, "message_sent", "")?;
        t::touch(&tx, issue_id)?;
        tx.commit().map_err(crate::store::StoreError::from)?;
        Ok(Turn {
            conversation_id,
            user_message_id,
            assistant_message_id,
        })
    }

    /// The conversation to send: the issue context first, then every earlier message as it was
    /// stored (approved user text, provider replies), without the placeholder of this turn.
    pub fn conversation_messages(
        &self,
        issue_id: &str,
        turn: &Turn,
        context: RedactedText,
    ) -> Result<Vec<Message>, WorkspaceError> {
        let rows = t::messages(self.store.conn(), &turn.conversation_id)?;
        let mut out = vec![Message {
            role: Role::User,
            content: Content::Redacted(context),
        }];
        for m in rows {
            if m.id == turn.assistant_message_id {
                continue;
            }
            let message = match m.role.as_str() {
                "user" => Message {
                    role: Role::User,
                    content: Content::Redacted(RedactedText::previously_approved(
                        m.content,
                        format!("issue:{issue_id}:message"),
                    )),
                },
                "assistant" if !m.content.is_empty() => Message {
                    role: Role::Assistant,
                    content: Content::FromProvider(m.content),
                },
                _ => continue,
            };
            out.push(message);
        }
        Ok(out)
    }

    /// Stores the reply (complete, or what arrived: `interrupted`/`failed`) and applies the
    /// assistant's progress block: the why level, a resolution step per answered why, and a
    /// proposed root cause (confirmed only by the person).
    pub fn finish_turn(
        &mut self,
        issue_id: &str,
        turn: &Turn,
        reply: &str,
        state: &str,
        update: Option<&WhyUpdate>,
    ) -> Result<WhyState, WorkspaceError> {
        let mut why = self.issue(issue_id)?.why;
        let tx = self
            .store
            .conn_mut()
            .transaction()
            .map_err(crate::store::StoreError::from)?;
        t::update_message(&tx, &turn.assistant_message_id, reply, state)?;
        if !reply.is_empty() {
            t::index(
                &tx,
                issue_id,
                &format!("message:{}", turn.assistant_message_id),
                reply,
            )?;
        }
        if let Some(u) = update.filter(|_| state == "complete") {
            let level = i64::from(u.why_level);
            if level > why.level {
                t::add_event(&tx, issue_id, "why_advanced", &format!("Why {level}"))?;
                why.level = level;
            }
            if let (Some(q), Some(a)) = (&u.why_question, &u.why_answer) {
                t::add_step(&tx, issue_id, Some(level.max(1)), q, a)?;
            }
            if why.confirmed_at.is_none()
                && let Some(rc) = &u.root_cause
            {
                why.root_cause = Some(rc.clone());
            }
            t::set_why(&tx, issue_id, &why)?;
        }
        if state != "complete" {
            t::add_event(&tx, issue_id, "reply_incomplete", state)?;
        }
        tx.commit().map_err(crate::store::StoreError::from)?;
        Ok(why)
    }

    pub fn messages(&self, issue_id: &str) -> Result<Vec<t::MessageRow>, WorkspaceError> {
        let conversation = t::conversation(self.store.conn(), issue_id)?;
        Ok(t::messages(self.store.conn(), &conversation)?)
    }

    /// The person confirms the root cause (theirs or the assistant's proposal).
    pub fn confirm_root_cause(
        &mut self,
        issue_id: &str,
        root_cause: &str,
    ) -> Result<(), WorkspaceError> {
        let root_cause = root_cause.trim();
        if root_cause.is_empty() {
            return Err(invalid("the root cause is empty"));
        }
        let mut why = self.issue(issue_id)?.why;
        why.root_cause = Some(root_cause.to_string());
        why.confirmed_at = Some(crate::store::now_ms());
        self.audited(
            |tx| {
                t::set_why(tx, issue_id, &why)?;
                t::add_event(tx, issue_id, "root_cause_confirmed", "")?;
                Ok(())
            },
            |_| NewEntry {
                action: "root_cause_confirmed",
                entity_type: "issue",
                entity_id: issue_id.to_string(),
                details: json!({"why_level": why.level}),
            },
        )
    }

    pub fn steps(&self, issue_id: &str) -> Result<Vec<StepRow>, WorkspaceError> {
        Ok(t::steps(self.store.conn(), issue_id)?)
    }

    pub fn add_step(&mut self, issue_id: &str, text: &str) -> Result<(), WorkspaceError> {
        t::add_step(self.store.conn(), issue_id, None, text, "")?;
        t::add_event(self.store.conn(), issue_id, "step_added", "")?;
        Ok(())
    }

    pub fn update_step(&mut self, issue_id: &str, step: &StepRow) -> Result<(), WorkspaceError> {
        t::update_step(self.store.conn(), step)?;
        if step.done {
            t::add_event(self.store.conn(), issue_id, "step_done", "")?;
        }
        Ok(())
    }

    pub fn move_step(
        &mut self,
        issue_id: &str,
        step_id: &str,
        up: bool,
    ) -> Result<(), WorkspaceError> {
        Ok(t::move_step(self.store.conn(), issue_id, step_id, up)?)
    }

    pub fn delete_step(&mut self, step_id: &str) -> Result<(), WorkspaceError> {
        Ok(t::delete_step(self.store.conn(), step_id)?)
    }

    pub fn timeline(
        &self,
        issue_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<t::EventRow>, WorkspaceError> {
        Ok(t::events(self.store.conn(), issue_id, limit)?)
    }

    pub fn open_by_severity(&self) -> Result<Vec<(String, i64)>, WorkspaceError> {
        Ok(t::open_by_severity(self.store.conn())?)
    }
}

/// Documents: generated redacted, edited, versioned, exported redacted and audited.
impl Workspace {
    /// A fresh RCA or post-mortem from the issue's data, redacted, saved as a new version.
    pub fn generate_document(
        &mut self,
        issue_id: &str,
        kind: DocKind,
    ) -> Result<(i64, String), WorkspaceError> {
        // Every field is redacted before it is escaped into Markdown (escaping first could split
        // a value, say an e-mail with `_`, so that detection misses part of it).
        let r = documents::redacted;
        let mut row = self.issue(issue_id)?;
        row.issue.title = r(&row.issue.title);
        row.issue.description = r(&row.issue.description);
        row.why.root_cause = row.why.root_cause.as_deref().map(r);
        let mut steps = self.steps(issue_id)?;
        for s in &mut steps {
            (s.question, s.answer, s.evidence) = (r(&s.question), r(&s.answer), r(&s.evidence));
        }
        let mut logs = self.logs(issue_id)?;
        for l in &mut logs {
            l.name = r(&l.name);
        }
        let mut timeline = self.timeline(Some(issue_id), 500)?;
        timeline.reverse();
        for e in &mut timeline {
            e.detail = r(&e.detail);
        }
        let input = DocInput {
            issue: &row.issue,
            why: &row.why,
            resolved_at: t::resolved_at(self.store.conn(), issue_id)?,
            steps: &steps,
            logs: &logs,
            timeline: &timeline,
        };
        let markdown = documents::redacted(&match kind {
            DocKind::Rca => documents::rca(&input),
            DocKind::PostMortem => documents::postmortem(&input),
        });
        let version = t::save_document(self.store.conn(), issue_id, kind.name(), &markdown)?;
        t::add_event(
            self.store.conn(),
            issue_id,
            "document_generated",
            kind.title(),
        )?;
        Ok((version, markdown))
    }

    pub fn resolved_at(&self, issue_id: &str) -> Result<Option<i64>, WorkspaceError> {
        Ok(t::resolved_at(self.store.conn(), issue_id)?)
    }

    pub fn document(
        &self,
        issue_id: &str,
        kind: DocKind,
    ) -> Result<Option<(i64, String)>, WorkspaceError> {
        Ok(t::latest_document(
            self.store.conn(),
            issue_id,
            kind.name(),
        )?)
    }

    /// Saves the person's edit as a new version.
    pub fn save_document(
        &mut self,
        issue_id: &str,
        kind: DocKind,
        markdown: &str,
    ) -> Result<i64, WorkspaceError> {
        let version = t::save_document(self.store.conn(), issue_id, kind.name(), markdown)?;
        t::add_event(
            self.store.conn(),
            issue_id,
            "document_saved",
            &format!("{} v{version}", kind.title()),
        )?;
        Ok(version)
    }

    /// Writes the latest version, redacted, as Markdown or self-contained HTML; the export is
    /// recorded (path and SHA-256) before the file is written.
    pub fn export_document(
        &mut self,
        issue_id: &str,
        kind: DocKind,
        path: &std::path::Path,
        as_html: bool,
    ) -> Result<usize, WorkspaceError> {
        let (_, markdown) = self
            .document(issue_id, kind)?
            .ok_or_else(|| invalid("generate the document first"))?;
        let markdown = documents::redacted(&markdown);
        let bytes = if as_html {
            let title = format!(
                "{} — {}",
                kind.title(),
                documents::redacted(&self.issue(issue_id)?.issue.title)
            );
            documents::html_page(&title, &markdown).into_bytes()
        } else {
            markdown.into_bytes()
        };
        crate::output::check_destination(path).map_err(|e| invalid(format!("{e:#}")))?;
        let sha = crate::secret::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        self.record(NewEntry {
            action: "export",
            entity_type: "document",
            entity_id: issue_id.to_string(),
            details: json!({
                "issue_id": issue_id,
                "kind": kind.name(),
                "format": if as_html { "html" } else { "md" },
                "path": path.display().to_string(),
                "sha256": sha,
                "bytes": bytes.len(),
            }),
        })?;
        crate::output::write_atomic(path, &bytes).map_err(|e| invalid(format!("{e:#}")))?;
        t::add_event(
            self.store.conn(),
            issue_id,
            "document_exported",
            &format!("{} ({})", kind.title(), if as_html { "html" } else { "md" }),
        )?;
        Ok(bytes.len())
    }

    /// The audit entries about one issue (its own, and those naming it in their details).
    pub fn issue_audit(&self, issue_id: &str) -> Result<Vec<crate::audit::Entry>, WorkspaceError> {
        let all = crate::audit::page(self.store.conn(), None, 100_000)?;
        Ok(all
            .into_iter()
            .filter(|e| {
                e.entity_id == issue_id
                    || serde_json::from_str::<serde_json::Value>(&e.details)
                        .is_ok_and(|d| d["issue_id"] == issue_id)
            })
            .collect())
    }
}

fn check_issue(issue: &NewIssue<'_>) -> Result<(), WorkspaceError> {
    if issue.title.trim().is_empty() {
        return Err(invalid("an issue needs a title"));
    }
    if !t::DOMAINS.iter().any(|(d, _)| *d == issue.domain) {
        return Err(invalid(format!("unknown domain {:?}", issue.domain)));
    }
    if !records::SEVERITIES.contains(&issue.severity) {
        return Err(invalid("severity must be P1, P2, P3 or P4"));
    }
    Ok(())
}
