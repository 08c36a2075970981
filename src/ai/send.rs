//! The one send path: gate-approved conversation → wire request → write-ahead audit entry →
//! egress → streamed reply → outcome entry. If the intent cannot be recorded, nothing is sent.

use super::wire::{self, Reply, StreamDecoder, StreamEvent, WireError};
use super::{Content, Conversation, ProviderConfig};
use crate::audit::NewEntry;
use crate::egress::{Egress, EgressError};
use crate::pii::{Detector, Mode, Pseudonyms, redact};
use crate::secret::hex;
use crate::workspace::{Workspace, WorkspaceError};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// 429 responses are retried this many times, waiting what Retry-After asks (capped).
pub const MAX_RETRIES: u32 = 2;
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// Error bodies are shown at most this long, after redaction.
const ERROR_SNIPPET_CHARS: usize = 300;
/// A complete (non-streamed) reply is read up to this size.
const MAX_REPLY_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Wire(#[from] WireError),
    // Not a `source`: the message already includes it (error chains would print it twice).
    #[error("AI request refused or failed: {0}")]
    Egress(EgressError),
    #[error("the transmission could not be recorded in the audit log, so nothing was sent ({0})")]
    Audit(WorkspaceError),
    #[error("AI request failed: {0}")]
    Http(String),
    #[error("cancelled")]
    Cancelled { partial: String },
    #[error("the answer was cut off ({reason}); what arrived is kept, marked incomplete")]
    Interrupted { partial: String, reason: String },
}

impl From<EgressError> for SendError {
    fn from(e: EgressError) -> Self {
        SendError::Egress(e)
    }
}

impl SendError {
    /// Text that arrived before a cancel or a cut.
    pub fn partial(&self) -> Option<&str> {
        match self {
            SendError::Cancelled { partial } | SendError::Interrupted { partial, .. } => {
                Some(partial)
            }
            _ => None,
        }
    }
}

/// What a successful send returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub reply: Reply,
    pub status: u16,
    pub attempts: u32,
    /// The audit `seq` of the (last) `ai_send` entry.
    pub send_seq: i64,
}

/// The user-facing message for an HTTP error status: what failed and what to do.
pub fn http_message(status: u16, provider: &str, snippet: &str) -> String {
    let what = match status {
        401 => format!("{provider} rejected the API key (HTTP 401) — check Settings → Providers"),
        403 => format!(
            "{provider} refused access (HTTP 403) — check the key's permissions in Settings → Providers"
        ),
        404 => format!(
            "{provider} answered \"not found\" (HTTP 404) — check the model name and the URL"
        ),
        429 => {
            format!("{provider} is rate-limiting requests (HTTP 429) — wait a moment and try again")
        }
        s if s >= 500 => format!("{provider} had a server error (HTTP {s}) — try again later"),
        s => format!("{provider} refused the request (HTTP {s})"),
    };
    if snippet.is_empty() {
        what
    } else {
        format!("{what}. The provider said: {snippet}")
    }
}

/// A provider's error body, safe to show: one line, truncated on a char boundary, and every
/// finding redacted (it may echo the request).
pub fn error_snippet(body: &str, secrets: &[&str]) -> String {
    // The provider may echo the key it rejected, in any shape: it is removed by value first.
    let mut body = body.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        body = body.replace(s, "[API_KEY]");
    }
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(ERROR_SNIPPET_CHARS)
        .collect();
    let detector = Detector::builtin();
    let findings = detector.scan(&one_line);
    let text = redact(
        &one_line,
        &findings,
        &vec![true; findings.len()],
        Mode::Label,
        &mut Pseudonyms::new(),
    )
    .map(|r| r.into_text())
    .unwrap_or_default();
    let mut text = text.trim().to_string();
    if body.chars().count() > ERROR_SNIPPET_CHARS {
        text.push('…');
    }
    text
}

/// Sends `conv` to `cfg`, streaming deltas to `on_delta`.
pub fn send(
    ws: &mut Workspace,
    egress: &Egress,
    cfg: &ProviderConfig,
    conv: &Conversation<'_>,
    cancel: &AtomicBool,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Outcome, SendError> {
    let stream = cfg.kind.streams();
    let request = wire::build(cfg, ws.provider_key(&cfg.id), conv, stream)?;
    let url = egress.check(&request.url)?;
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut sources = Vec::new();
    for m in conv.messages {
        if let Content::Redacted(r) = &m.content {
            for (kind, n) in r.counts() {
                *counts.entry(kind.name()).or_insert(0) += n;
            }
            sources.push(r.source().to_string());
        }
    }
    let body_sha = hex(&Sha256::digest(&request.body));
    let mut attempt = 0;
    loop {
        attempt += 1;
        if cancel.load(Ordering::Relaxed) {
            return Err(SendError::Cancelled {
                partial: String::new(),
            });
        }
        // Write-ahead: the intent is committed before the first byte leaves.
        let intent = ws
            .record(NewEntry {
                action: "ai_send",
                entity_type: "provider",
                entity_id: cfg.id.clone(),
                details: json!({
                    "provider": cfg.name,
                    "kind": cfg.kind.name(),
                    "model": cfg.model,
                    "origin": url.origin.to_string(),
                    "request_sha256": body_sha,
                    "request_bytes": request.body.len(),
                    "redactions_by_type": counts,
                    "sources": sources,
                    "attempt": attempt,
                }),
            })
            .map_err(SendError::Audit)?;
        let started = Instant::now();
        let outcome =
            |ws: &mut Workspace, result: &str, status: Option<u16>, reply: Option<&Reply>| {
                ws.record(NewEntry {
                    action: "ai_outcome",
                    entity_type: "provider",
                    entity_id: cfg.id.clone(),
                    details: json!({
                        "send_seq": intent.seq,
                        "result": result,
                        "status": status,
                        "duration_ms": started.elapsed().as_millis() as u64,
                        "input_tokens": reply.and_then(|r| r.input_tokens),
                        "output_tokens": reply.and_then(|r| r.output_tokens),
                        "reply_chars": reply.map(|r| r.text.chars().count()),
                    }),
                })
                .map_err(SendError::Audit)
            };
        let response = match egress.post(&url, &request.headers, &request.body) {
            Ok(r) => r,
            Err(e) => {
                let status = match e {
                    EgressError::Redirect(s) => Some(s),
                    _ => None,
                };
                outcome(ws, "failed", status, None)?;
                return Err(e.into());
            }
        };
        let status = response.status;
        if status == 429 && attempt <= MAX_RETRIES {
            let wait = response
                .retry_after
                .unwrap_or(Duration::from_secs(2))
                .min(MAX_RETRY_WAIT);
            outcome(ws, "rate_limited", Some(status), None)?;
            drop(response);
            if !sleep_unless_cancelled(wait, cancel) {
                return Err(SendError::Cancelled {
                    partial: String::new(),
                });
            }
            continue;
        }
        if status >= 400 {
            let key = ws.provider_key(&cfg.id).and_then(|k| {
                std::str::from_utf8(k.expose())
                    .ok()
                    .map(|k| k.trim().to_string())
            });
            let snippet = error_snippet(&response.error_text(), &[key.as_deref().unwrap_or("")]);
            outcome(ws, "failed", Some(status), None)?;
            return Err(SendError::Http(http_message(status, &cfg.name, &snippet)));
        }
        let received = if request.stream {
            read_stream(cfg, response.body, cancel, on_delta)
        } else {
            read_whole(cfg, response.body).inspect(|r| on_delta(&r.text))
        };
        return match received {
            Ok(reply) => {
                outcome(ws, "ok", Some(status), Some(&reply))?;
                Ok(Outcome {
                    reply,
                    status,
                    attempts: attempt,
                    send_seq: intent.seq,
                })
            }
            Err(e) => {
                let partial = Reply {
                    text: e.partial().unwrap_or_default().to_string(),
                    ..Reply::default()
                };
                let result = match &e {
                    SendError::Cancelled { .. } => "cancelled",
                    SendError::Interrupted { .. } => "incomplete",
                    _ => "failed",
                };
                outcome(ws, result, Some(status), Some(&partial))?;
                Err(e)
            }
        };
    }
}

fn sleep_unless_cancelled(total: Duration, cancel: &AtomicBool) -> bool {
    let until = Instant::now() + total;
    while Instant::now() < until {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !cancel.load(Ordering::Relaxed)
}

fn read_whole(cfg: &ProviderConfig, body: Box<dyn Read + Send>) -> Result<Reply, SendError> {
    let mut bytes = Vec::new();
    body.take(MAX_REPLY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| SendError::Interrupted {
            partial: String::new(),
            reason: format!("{:?}", e.kind()),
        })?;
    Ok(wire::parse_reply(cfg, &bytes)?)
}

fn read_stream(
    cfg: &ProviderConfig,
    body: Box<dyn Read + Send>,
    cancel: &AtomicBool,
    on_delta: &mut dyn FnMut(&str),
) -> Result<Reply, SendError> {
    let mut decoder = StreamDecoder::new(cfg.kind);
    let mut reply = Reply::default();
    let mut reader = BufReader::new(body);
    let mut line = String::new();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(SendError::Cancelled {
                partial: reply.text,
            });
        }
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => {
                return if decoder.ends_at_eof() && !reply.text.is_empty() {
                    Ok(reply)
                } else {
                    Err(SendError::Interrupted {
                        partial: reply.text,
                        reason: "the stream ended before the provider finished".into(),
                    })
                };
            }
            Ok(_) => {}
            Err(e) => {
                return Err(SendError::Interrupted {
                    partial: reply.text,
                    reason: match e.kind() {
                        std::io::ErrorKind::TimedOut => "no data within the read timeout".into(),
                        k => format!("{k:?}"),
                    },
                });
            }
        }
        let events = match decoder.line(line.trim_end_matches('\n')) {
            Ok(events) => events,
            Err(e) => {
                return Err(SendError::Interrupted {
                    partial: reply.text,
                    reason: e.to_string(),
                });
            }
        };
        for event in events {
            match event {
                StreamEvent::Delta(t) => {
                    on_delta(&t);
                    reply.text.push_str(&t);
                }
                StreamEvent::Usage { input, output } => {
                    reply.input_tokens = input.or(reply.input_tokens);
                    reply.output_tokens = output.or(reply.output_tokens);
                }
                StreamEvent::Done if reply.text.is_empty() => {
                    return Err(SendError::Interrupted {
                        partial: String::new(),
                        reason: "the provider sent no text (is the provider kind right for this server?)".into(),
                    });
                }
                StreamEvent::Done => return Ok(reply),
            }
        }
    }
}
