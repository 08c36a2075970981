//! Rows of the incident workflow: issue lists and search, edits, attached logs, the chat,
//! resolution steps, timeline events and kept pseudonyms.

use super::records::Issue;
use super::{StoreError, new_id, now_ms};
use rusqlite::{Connection, OptionalExtension, named_params};

/// The 16 domains an issue can belong to: (id, label). The id names the prompt file.
pub const DOMAINS: [(&str, &str); 16] = [
    ("linux", "Linux"),
    ("windows", "Windows"),
    ("network", "Network"),
    ("kubernetes", "Kubernetes"),
    ("databases", "Databases"),
    ("virtualisation", "Virtualisation"),
    ("hardware", "Hardware"),
    ("observability", "Observability"),
    ("telephony", "Telephony"),
    ("security", "Security"),
    ("public_safety", "Public safety"),
    ("application", "Application"),
    ("automation", "Automation / CI-CD"),
    ("hpe", "HPE infrastructure"),
    ("dell", "Dell hardware"),
    ("identity", "Identity & access"),
];

pub fn domain_label(id: &str) -> &str {
    DOMAINS
        .iter()
        .find(|(d, _)| *d == id)
        .map_or(id, |(_, l)| l)
}

/// The 5-Whys state of an issue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WhyState {
    pub level: i64,
    /// Proposed by the assistant (or typed), until confirmed.
    pub root_cause: Option<String>,
    pub confirmed_at: Option<i64>,
    pub keep_pseudonyms: bool,
}

/// One row of the issue list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueRow {
    pub issue: Issue,
    pub why: WhyState,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IssueFilter {
    /// `open`, `resolved`, or everything.
    pub status: Option<String>,
    pub severity: Option<String>,
    /// Full-text search over titles, descriptions, redacted logs and messages.
    pub search: Option<String>,
}

fn issue_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<IssueRow> {
    Ok(IssueRow {
        issue: Issue {
            id: r.get(0)?,
            title: r.get(1)?,
            description: r.get(2)?,
            domain: r.get(3)?,
            severity: r.get(4)?,
            status: r.get(5)?,
            created_at: r.get(6)?,
            updated_at: r.get(7)?,
        },
        why: WhyState {
            level: r.get(8)?,
            root_cause: r.get(9)?,
            confirmed_at: r.get(10)?,
            keep_pseudonyms: r.get::<_, i64>(11)? != 0,
        },
    })
}

const ISSUE_COLUMNS: &str = "i.id, i.title, i.description, i.domain, i.severity, i.status, \
    i.created_at, i.updated_at, i.why_level, i.root_cause, i.root_cause_confirmed_at, i.keep_pseudonyms";

/// FTS5 query text from what a person typed: each word quoted, so operators cannot be
/// injected and punctuation does not break the query.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

pub fn list_issues(conn: &Connection, filter: &IssueFilter) -> Result<Vec<IssueRow>, StoreError> {
    let query = filter.search.as_deref().and_then(fts_query);
    let sql = format!(
        "SELECT {ISSUE_COLUMNS} FROM issues i
         WHERE (:status IS NULL OR i.status = :status)
           AND (:severity IS NULL OR i.severity = :severity)
           AND (:query IS NULL OR i.id IN (SELECT issue_id FROM search WHERE search MATCH :query))
         ORDER BY i.updated_at DESC LIMIT 500"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        named_params! {":status": filter.status, ":severity": filter.severity, ":query": query},
        issue_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_issue_row(conn: &Connection, id: &str) -> Result<Option<IssueRow>, StoreError> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = :id");
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(named_params! {":id": id}, issue_row)
        .optional()?)
}

pub fn index(
    conn: &Connection,
    issue_id: &str,
    source: &str,
    text: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT INTO search (issue_id, source, text) VALUES (:i, :s, :t)")?
        .execute(named_params! {":i": issue_id, ":s": source, ":t": text})?;
    Ok(())
}

pub fn unindex(conn: &Connection, issue_id: &str, source: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM search WHERE issue_id = :i AND source = :s")?
        .execute(named_params! {":i": issue_id, ":s": source})?;
    Ok(())
}

pub fn unindex_issue(conn: &Connection, issue_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM search WHERE issue_id = :i")?
        .execute(named_params! {":i": issue_id})?;
    Ok(())
}

pub fn update_issue(
    conn: &Connection,
    id: &str,
    title: &str,
    description: &str,
    domain: &str,
    severity: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE issues SET title = :t, description = :d, domain = :dom, severity = :s,
         updated_at = :now WHERE id = :id",
    )?
    .execute(named_params! {":t": title, ":d": description, ":dom": domain, ":s": severity, ":now": now_ms(), ":id": id})?;
    Ok(())
}

pub fn set_status(conn: &Connection, id: &str, status: &str) -> Result<(), StoreError> {
    let now = now_ms();
    conn.prepare_cached(
        "UPDATE issues SET status = :s, updated_at = :now,
         resolved_at = CASE WHEN :s = 'resolved' THEN :now ELSE NULL END WHERE id = :id",
    )?
    .execute(named_params! {":s": status, ":now": now, ":id": id})?;
    Ok(())
}

pub fn touch(conn: &Connection, id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE issues SET updated_at = :now WHERE id = :id")?
        .execute(named_params! {":now": now_ms(), ":id": id})?;
    Ok(())
}

pub fn set_why(conn: &Connection, id: &str, why: &WhyState) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE issues SET why_level = :l, root_cause = :r, root_cause_confirmed_at = :c,
         keep_pseudonyms = :k, updated_at = :now WHERE id = :id",
    )?
    .execute(named_params! {
        ":l": why.level, ":r": why.root_cause, ":c": why.confirmed_at,
        ":k": why.keep_pseudonyms as i64, ":now": now_ms(), ":id": id,
    })?;
    Ok(())
}

/// An attached log as listed (the redacted text is loaded separately).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRow {
    pub id: String,
    pub name: String,
    pub size_bytes: i64,
    pub redacted_sha256: String,
    pub redacted: i64,
    pub kept: i64,
    pub approved_at: i64,
}

pub fn list_logs(conn: &Connection, issue_id: &str) -> Result<Vec<LogRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.name, l.size_bytes, l.redacted_sha256, l.approved_at,
                (SELECT count(*) FROM redaction_decisions d WHERE d.log_file_id = l.id AND d.decision = 'redact'),
                (SELECT count(*) FROM redaction_decisions d WHERE d.log_file_id = l.id AND d.decision = 'keep')
         FROM log_files l WHERE l.issue_id = :i ORDER BY l.approved_at",
    )?;
    let rows = stmt.query_map(named_params! {":i": issue_id}, |r| {
        Ok(LogRow {
            id: r.get(0)?,
            name: r.get(1)?,
            size_bytes: r.get(2)?,
            redacted_sha256: r.get(3)?,
            approved_at: r.get(4)?,
            redacted: r.get(5)?,
            kept: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn log_text(conn: &Connection, log_id: &str) -> Result<String, StoreError> {
    Ok(conn.query_row(
        "SELECT redacted_text FROM log_files WHERE id = ?1",
        [log_id],
        |r| r.get(0),
    )?)
}

/// The issue's conversation, created on first use.
pub fn conversation(conn: &Connection, issue_id: &str) -> Result<String, StoreError> {
    if let Some(id) = conn
        .prepare_cached(
            "SELECT id FROM conversations WHERE issue_id = :i ORDER BY created_at LIMIT 1",
        )?
        .query_row(named_params! {":i": issue_id}, |r| r.get::<_, String>(0))
        .optional()?
    {
        return Ok(id);
    }
    let id = new_id();
    conn.prepare_cached(
        "INSERT INTO conversations (id, issue_id, created_at) VALUES (:id, :i, :now)",
    )?
    .execute(named_params! {":id": id, ":i": issue_id, ":now": now_ms()})?;
    Ok(id)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageRow {
    pub id: String,
    pub ordinal: i64,
    pub role: String,
    pub content: String,
    pub state: String,
    pub created_at: i64,
}

pub fn messages(conn: &Connection, conversation_id: &str) -> Result<Vec<MessageRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ordinal, role, content, state, created_at FROM messages
         WHERE conversation_id = :c ORDER BY ordinal",
    )?;
    let rows = stmt.query_map(named_params! {":c": conversation_id}, |r| {
        Ok(MessageRow {
            id: r.get(0)?,
            ordinal: r.get(1)?,
            role: r.get(2)?,
            content: r.get(3)?,
            state: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn add_message(
    conn: &Connection,
    conversation_id: &str,
    role: &str,
    content: &str,
    state: &str,
) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO messages (id, conversation_id, ordinal, role, content, state, created_at, updated_at)
         VALUES (:id, :c, (SELECT coalesce(max(ordinal), 0) + 1 FROM messages WHERE conversation_id = :c),
                 :role, :content, :state, :now, :now)",
    )?
    .execute(named_params! {":id": id, ":c": conversation_id, ":role": role, ":content": content, ":state": state, ":now": now})?;
    Ok(id)
}

pub fn update_message(
    conn: &Connection,
    id: &str,
    content: &str,
    state: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE messages SET content = :content, state = :state, updated_at = :now WHERE id = :id",
    )?
    .execute(named_params! {":content": content, ":state": state, ":now": now_ms(), ":id": id})?;
    Ok(())
}

/// Replies left streaming or pending by a crash are interrupted, not resumed.
pub fn interrupt_unfinished(conn: &Connection) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "UPDATE messages SET state = 'interrupted', updated_at = ?1 WHERE state IN ('pending', 'streaming')",
        [now_ms()],
    )?)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRow {
    pub id: String,
    pub position: i64,
    pub why_level: Option<i64>,
    pub question: String,
    pub answer: String,
    pub evidence: String,
    pub done: bool,
}

pub fn steps(conn: &Connection, issue_id: &str) -> Result<Vec<StepRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, position, why_level, question, answer, evidence, done FROM resolution_steps
         WHERE issue_id = :i ORDER BY position",
    )?;
    let rows = stmt.query_map(named_params! {":i": issue_id}, |r| {
        Ok(StepRow {
            id: r.get(0)?,
            position: r.get(1)?,
            why_level: r.get(2)?,
            question: r.get(3)?,
            answer: r.get(4)?,
            evidence: r.get(5)?,
            done: r.get::<_, i64>(6)? != 0,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn add_step(
    conn: &Connection,
    issue_id: &str,
    why_level: Option<i64>,
    question: &str,
    answer: &str,
) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO resolution_steps (id, issue_id, position, why_level, question, answer, created_at, updated_at)
         VALUES (:id, :i, (SELECT coalesce(max(position), 0) + 1 FROM resolution_steps WHERE issue_id = :i),
                 :w, :q, :a, :now, :now)",
    )?
    .execute(named_params! {":id": id, ":i": issue_id, ":w": why_level, ":q": question, ":a": answer, ":now": now})?;
    Ok(id)
}

pub fn update_step(conn: &Connection, step: &StepRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE resolution_steps SET question = :q, answer = :a, evidence = :e, done = :d,
         updated_at = :now WHERE id = :id",
    )?
    .execute(named_params! {":q": step.question, ":a": step.answer, ":e": step.evidence, ":d": step.done as i64, ":now": now_ms(), ":id": step.id})?;
    Ok(())
}

/// Swaps a step with its neighbour (`up`: the one before it).
pub fn move_step(
    conn: &Connection,
    issue_id: &str,
    step_id: &str,
    up: bool,
) -> Result<(), StoreError> {
    let list = steps(conn, issue_id)?;
    let Some(i) = list.iter().position(|s| s.id == step_id) else {
        return Err(StoreError::NotFound(format!("step {step_id}")));
    };
    let j = if up {
        i.checked_sub(1)
    } else {
        Some(i + 1).filter(|&j| j < list.len())
    };
    if let Some(j) = j {
        let mut stmt =
            conn.prepare_cached("UPDATE resolution_steps SET position = :p WHERE id = :id")?;
        stmt.execute(named_params! {":p": -1, ":id": list[i].id})?;
        stmt.execute(named_params! {":p": list[i].position, ":id": list[j].id})?;
        stmt.execute(named_params! {":p": list[j].position, ":id": list[i].id})?;
    }
    Ok(())
}

pub fn delete_step(conn: &Connection, step_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM resolution_steps WHERE id = :id")?
        .execute(named_params! {":id": step_id})?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    pub ts_ms: i64,
    pub kind: String,
    pub detail: String,
    pub issue_title: String,
}

pub fn add_event(
    conn: &Connection,
    issue_id: &str,
    kind: &str,
    detail: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO timeline_events (id, issue_id, ts_ms, kind, detail) VALUES (:id, :i, :now, :k, :d)",
    )?
    .execute(named_params! {":id": new_id(), ":i": issue_id, ":now": now_ms(), ":k": kind, ":d": detail})?;
    Ok(())
}

/// Timeline of one issue, or (None) the recent activity of all.
pub fn events(
    conn: &Connection,
    issue_id: Option<&str>,
    limit: usize,
) -> Result<Vec<EventRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.ts_ms, e.kind, e.detail, i.title FROM timeline_events e JOIN issues i ON i.id = e.issue_id
         WHERE (:i IS NULL OR e.issue_id = :i) ORDER BY e.ts_ms DESC, e.rowid DESC LIMIT :n",
    )?;
    let rows = stmt.query_map(named_params! {":i": issue_id, ":n": limit as i64}, |r| {
        Ok(EventRow {
            ts_ms: r.get(0)?,
            kind: r.get(1)?,
            detail: r.get(2)?,
            issue_title: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Open issues per severity, for the dashboard.
pub fn open_by_severity(conn: &Connection) -> Result<Vec<(String, i64)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT severity, count(*) FROM issues WHERE status = 'open' GROUP BY severity ORDER BY severity",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn pseudonyms(
    conn: &Connection,
    issue_id: &str,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT kind, value, number FROM pseudonyms WHERE issue_id = :i")?;
    let rows = stmt.query_map(named_params! {":i": issue_id}, |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn save_pseudonym(
    conn: &Connection,
    issue_id: &str,
    kind: &str,
    value: &str,
    number: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO pseudonyms (issue_id, kind, value, number) VALUES (:i, :k, :v, :n)
         ON CONFLICT DO UPDATE SET number = excluded.number",
    )?
    .execute(named_params! {":i": issue_id, ":k": kind, ":v": value, ":n": number})?;
    Ok(())
}

pub fn clear_pseudonyms(conn: &Connection, issue_id: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM pseudonyms WHERE issue_id = :i")?
        .execute(named_params! {":i": issue_id})?;
    Ok(())
}

/// The newest version of a document, with its number.
pub fn latest_document(
    conn: &Connection,
    issue_id: &str,
    kind: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT version, content_md FROM documents WHERE issue_id = :i AND kind = :k
             ORDER BY version DESC LIMIT 1",
        )?
        .query_row(named_params! {":i": issue_id, ":k": kind}, |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?)
}

/// Saves a new version; returns its number.
pub fn save_document(
    conn: &Connection,
    issue_id: &str,
    kind: &str,
    content: &str,
) -> Result<i64, StoreError> {
    let version = latest_document(conn, issue_id, kind)?.map_or(1, |(v, _)| v + 1);
    conn.prepare_cached(
        "INSERT INTO documents (id, issue_id, kind, version, content_md, created_at)
         VALUES (:id, :i, :k, :v, :c, :now)",
    )?
    .execute(named_params! {":id": new_id(), ":i": issue_id, ":k": kind, ":v": version, ":c": content, ":now": now_ms()})?;
    Ok(version)
}

pub fn resolved_at(conn: &Connection, issue_id: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn.query_row(
        "SELECT resolved_at FROM issues WHERE id = ?1",
        [issue_id],
        |r| r.get(0),
    )?)
}
