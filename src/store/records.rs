//! Reading and writing rows. Functions take a `Connection` (a `Transaction` derefs to one) so
//! the caller decides the transaction, and with it which audit entry commits together with the
//! change it records.

use super::{StoreError, new_id, now_ms};
use crate::pii::{PiiType, ReplacedSpan};
use rusqlite::{Connection, OptionalExtension, named_params};

pub const SEVERITIES: [&str; 4] = ["P1", "P2", "P3", "P4"];

/// A new incident as the person typed it.
pub struct NewIssue<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub domain: &'a str,
    pub severity: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub id: String,
    pub title: String,
    pub description: String,
    pub domain: String,
    pub severity: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub fn insert_issue(conn: &Connection, issue: &NewIssue<'_>) -> Result<String, StoreError> {
    let id = new_id();
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO issues (id, title, description, domain, severity, created_at, updated_at)
         VALUES (:id, :title, :description, :domain, :severity, :now, :now)",
    )?
    .execute(named_params! {
        ":id": id,
        ":title": issue.title,
        ":description": issue.description,
        ":domain": issue.domain,
        ":severity": issue.severity,
        ":now": now,
    })?;
    Ok(id)
}

pub fn get_issue(conn: &Connection, id: &str) -> Result<Option<Issue>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, title, description, domain, severity, status, created_at, updated_at
             FROM issues WHERE id = :id",
        )?
        .query_row(named_params! {":id": id}, |r| {
            Ok(Issue {
                id: r.get(0)?,
                title: r.get(1)?,
                description: r.get(2)?,
                domain: r.get(3)?,
                severity: r.get(4)?,
                status: r.get(5)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })
        .optional()?)
}

/// Deletes an issue and everything attached to it (logs, decisions, chat, steps, documents).
pub fn delete_issue(conn: &Connection, id: &str) -> Result<(), StoreError> {
    let n = conn
        .prepare_cached("DELETE FROM issues WHERE id = :id")?
        .execute(named_params! {":id": id})?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("issue {id}")));
    }
    Ok(())
}

pub fn count_issues(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM issues", [], |r| r.get(0))?)
}

/// An approved log: only the redacted text and what was decided about each finding.
pub struct ApprovedLog<'a> {
    pub issue_id: &'a str,
    pub name: &'a str,
    pub size_bytes: u64,
    pub encoding: &'a str,
    pub line_count: usize,
    pub redacted_text: &'a str,
    pub redacted_sha256: &'a str,
    pub mode: &'a str,
    /// Every finding with its decision: the replaced spans, and the kept ones (type and
    /// offsets only).
    pub replaced: &'a [ReplacedSpan],
    pub kept: &'a [(PiiType, usize, usize)],
}

pub fn insert_log(conn: &Connection, log: &ApprovedLog<'_>) -> Result<String, StoreError> {
    let id = new_id();
    conn.prepare_cached(
        "INSERT INTO log_files (id, issue_id, name, size_bytes, encoding, line_count,
                                redacted_text, redacted_sha256, mode, approved_at)
         VALUES (:id, :issue, :name, :size, :encoding, :lines, :text, :sha, :mode, :now)",
    )?
    .execute(named_params! {
        ":id": id,
        ":issue": log.issue_id,
        ":name": log.name,
        ":size": log.size_bytes as i64,
        ":encoding": log.encoding,
        ":lines": log.line_count as i64,
        ":text": log.redacted_text,
        ":sha": log.redacted_sha256,
        ":mode": log.mode,
        ":now": now_ms(),
    })?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO redaction_decisions (log_file_id, ordinal, kind, start, end, replacement, decision)
         VALUES (:log, :ordinal, :kind, :start, :end, :replacement, :decision)",
    )?;
    let replaced = log
        .replaced
        .iter()
        .map(|s| (s.kind, s.start, s.end, s.replacement.as_str(), "redact"));
    let kept = log.kept.iter().map(|&(k, s, e)| (k, s, e, "", "keep"));
    let mut all: Vec<_> = replaced.chain(kept).collect();
    all.sort_by_key(|&(_, start, end, _, _)| (start, end));
    for (ordinal, (kind, start, end, replacement, decision)) in all.into_iter().enumerate() {
        stmt.execute(named_params! {
            ":log": id,
            ":ordinal": ordinal as i64,
            ":kind": kind.name(),
            ":start": start as i64,
            ":end": end as i64,
            ":replacement": replacement,
            ":decision": decision,
        })?;
    }
    Ok(id)
}

pub fn get_meta(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE key = :key")?
        .query_row(named_params! {":key": key}, |r| r.get(0))
        .optional()?)
}

pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (:key, :value)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(named_params! {":key": key, ":value": value})?;
    Ok(())
}

pub fn get_setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = :key")?
        .query_row(named_params! {":key": key}, |r| r.get(0))
        .optional()?)
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value, updated_at) VALUES (:key, :value, :now)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )?
    .execute(named_params! {":key": key, ":value": value, ":now": now_ms()})?;
    Ok(())
}

/// A sealed integration token row.
pub struct SealedToken {
    pub id: String,
    pub key_source: String,
    pub nonce: Vec<u8>,
    pub sealed: Vec<u8>,
}

pub fn upsert_token(conn: &Connection, name: &str, token: &SealedToken) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO integration_tokens (id, name, key_source, nonce, sealed, created_at)
         VALUES (:id, :name, :source, :nonce, :sealed, :now)
         ON CONFLICT (name) DO UPDATE SET id = excluded.id, key_source = excluded.key_source,
             nonce = excluded.nonce, sealed = excluded.sealed, created_at = excluded.created_at",
    )?
    .execute(named_params! {
        ":id": token.id,
        ":name": name,
        ":source": token.key_source,
        ":nonce": token.nonce,
        ":sealed": token.sealed,
        ":now": now_ms(),
    })?;
    Ok(())
}

pub fn get_token(conn: &Connection, name: &str) -> Result<Option<SealedToken>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, key_source, nonce, sealed FROM integration_tokens WHERE name = :name",
        )?
        .query_row(named_params! {":name": name}, |r| {
            Ok(SealedToken {
                id: r.get(0)?,
                key_source: r.get(1)?,
                nonce: r.get(2)?,
                sealed: r.get(3)?,
            })
        })
        .optional()?)
}

pub fn delete_token(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM integration_tokens WHERE name = :name")?
        .execute(named_params! {":name": name})?
        > 0)
}

/// A provider row (the key is in the vault).
pub struct ProviderRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub base_url: String,
    pub model: String,
    pub options: String,
}

pub fn insert_provider(conn: &Connection, p: &ProviderRow) -> Result<(), StoreError> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO provider_configs (id, name, kind, base_url, model, options, created_at, updated_at)
         VALUES (:id, :name, :kind, :url, :model, :options, :now, :now)",
    )?
    .execute(named_params! {
        ":id": p.id, ":name": p.name, ":kind": p.kind, ":url": p.base_url,
        ":model": p.model, ":options": p.options, ":now": now,
    })?;
    Ok(())
}

pub fn list_providers(conn: &Connection) -> Result<Vec<ProviderRow>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, kind, base_url, model, options FROM provider_configs ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ProviderRow {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            base_url: r.get(3)?,
            model: r.get(4)?,
            options: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn delete_provider(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached("DELETE FROM provider_configs WHERE id = :id")?
        .execute(named_params! {":id": id})?
        > 0)
}
