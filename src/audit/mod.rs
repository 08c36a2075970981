//! The tamper-evident audit log.
//!
//! Entries live in the `audit_log` table (triggers refuse UPDATE and DELETE). Each entry's
//! `entry_hash` is HMAC-SHA256, keyed by a key held in the vault (never in the database), over a
//! canonical length-prefixed encoding of all its fields and the previous entry's hash. The first
//! entry's `prev_hash` is derived from the database's random id, so entries cannot be spliced
//! in from another database. After each append the newest `(seq, hash)` is written to the
//! vault as the *anchor*: removing the newest entries, or putting back an older copy of the
//! database, leaves the database behind its anchor and is detected.

use crate::secret::{Key32, ct_eq, hex};
use crate::store::{StoreError, new_id, now_ms};
use hmac::{KeyInit, Mac};
use rusqlite::{Connection, OptionalExtension, named_params};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The only user of a desktop installation.
pub const USER_ID: &str = "local";
const DOMAIN: &[u8] = b"tftsr-audit-v1";
const GENESIS: &[u8] = b"tftsr-audit-genesis-v1";

/// The audit HMAC key (from the vault).
pub struct AuditKey(Key32);

impl AuditKey {
    pub fn new(key: Key32) -> Self {
        AuditKey(key)
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as KeyInit>::new_from_slice(self.0.expose()).expect("HMAC takes any key length")
    }
}

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub seq: i64,
    pub id: String,
    pub ts_ms: i64,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub user_id: String,
    /// JSON text, exactly as hashed.
    pub details: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

/// What to record. `details` must never hold an original value (counts, hashes, ids only).
pub struct NewEntry {
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub details: serde_json::Value,
}

/// The newest `(seq, hash)`, kept outside the database. `seq` 0 is the empty log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: [u8; 32],
}

impl Anchor {
    /// 8 bytes of seq (big-endian) and the 32-byte hash.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.seq.to_be_bytes().to_vec();
        out.extend_from_slice(&self.hash);
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Anchor> {
        if bytes.len() != 40 {
            return None;
        }
        Some(Anchor {
            seq: i64::from_be_bytes(bytes[..8].try_into().ok()?),
            hash: bytes[8..].try_into().ok()?,
        })
    }
}

/// The chain's starting point for a database id.
pub fn genesis(key: &AuditKey, db_id: &str) -> [u8; 32] {
    let mut mac = key.mac();
    field(&mut mac, GENESIS);
    field(&mut mac, db_id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The anchor of an empty log.
pub fn empty_anchor(key: &AuditKey, db_id: &str) -> Anchor {
    Anchor {
        seq: 0,
        hash: genesis(key, db_id),
    }
}

fn field(mac: &mut HmacSha256, bytes: &[u8]) {
    mac.update(&(bytes.len() as u64).to_be_bytes());
    mac.update(bytes);
}

/// HMAC over the canonical encoding: every field length-prefixed, in a fixed order.
pub fn entry_hash(key: &AuditKey, e: &Entry) -> [u8; 32] {
    let mut mac = key.mac();
    field(&mut mac, DOMAIN);
    field(&mut mac, e.seq.to_string().as_bytes());
    field(&mut mac, e.id.as_bytes());
    field(&mut mac, e.ts_ms.to_string().as_bytes());
    field(&mut mac, e.action.as_bytes());
    field(&mut mac, e.entity_type.as_bytes());
    field(&mut mac, e.entity_id.as_bytes());
    field(&mut mac, e.user_id.as_bytes());
    field(&mut mac, e.details.as_bytes());
    field(&mut mac, e.prev_hash.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Appends an entry inside the caller's transaction and returns it; the caller commits, then
/// moves the anchor with [`Anchor`] of the returned entry.
pub fn append(
    conn: &Connection,
    key: &AuditKey,
    db_id: &str,
    new: NewEntry,
) -> Result<Entry, StoreError> {
    let last: Option<(i64, String)> = conn
        .prepare_cached("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, hex(&genesis(key, db_id))),
    };
    let mut entry = Entry {
        seq,
        id: new_id(),
        ts_ms: now_ms(),
        action: new.action.to_string(),
        entity_type: new.entity_type.to_string(),
        entity_id: new.entity_id,
        user_id: USER_ID.to_string(),
        details: serde_json::to_string(&new.details)
            .map_err(|e| StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?,
        prev_hash,
        entry_hash: String::new(),
    };
    entry.entry_hash = hex(&entry_hash(key, &entry));
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, id, ts_ms, action, entity_type, entity_id, user_id,
                                details, prev_hash, entry_hash)
         VALUES (:seq, :id, :ts, :action, :etype, :eid, :user, :details, :prev, :hash)",
    )?
    .execute(named_params! {
        ":seq": entry.seq,
        ":id": entry.id,
        ":ts": entry.ts_ms,
        ":action": entry.action,
        ":etype": entry.entity_type,
        ":eid": entry.entity_id,
        ":user": entry.user_id,
        ":details": entry.details,
        ":prev": entry.prev_hash,
        ":hash": entry.entry_hash,
    })?;
    Ok(entry)
}

impl Entry {
    pub fn anchor(&self) -> Anchor {
        let mut hash = [0u8; 32];
        if let Some(bytes) = unhex(&self.entry_hash) {
            hash.copy_from_slice(&bytes);
        }
        Anchor {
            seq: self.seq,
            hash,
        }
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// The result of checking the whole chain against its anchor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry checks out and the newest matches the anchor.
    Intact { entries: i64 },
    /// Every entry checks out and the database is exactly one entry past its anchor, which
    /// that entry's `prev_hash` continues: TFTSR stopped between the commit and the anchor
    /// update. Not tampering; the caller re-anchors and notes it.
    AheadByOne { entries: i64 },
    /// The first bad entry, and why.
    Broken { seq: i64, reason: String },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        !matches!(self, Verdict::Broken { .. })
    }
}

/// Checks every entry in `seq` order: contiguous from 1, each `prev_hash` the previous entry's
/// hash (the first: the genesis of `db_id`), each `entry_hash` the HMAC of the entry; then the
/// newest entry against `anchor`.
pub fn verify(
    conn: &Connection,
    key: &AuditKey,
    db_id: &str,
    anchor: &Anchor,
) -> Result<Verdict, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, id, ts_ms, action, entity_type, entity_id, user_id, details, prev_hash,
                entry_hash
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1;
    let mut prev = hex(&genesis(key, db_id));
    // The stored hash of the entry at the anchor's seq, when reached.
    let mut at_anchor: Option<String> = None;
    let broken = |seq: i64, reason: &str| Verdict::Broken {
        seq,
        reason: reason.to_string(),
    };
    while let Some(row) = rows.next()? {
        let e = entry_from_row(row)?;
        if e.seq != expected_seq {
            return Ok(broken(
                expected_seq,
                if e.seq > expected_seq {
                    "this entry is missing (the sequence jumps past it)"
                } else {
                    "the sequence repeats"
                },
            ));
        }
        if e.prev_hash != prev {
            return Ok(broken(
                e.seq,
                "its prev_hash does not match the previous entry (an entry was removed, swapped or inserted)",
            ));
        }
        let computed = entry_hash(key, &e);
        let stored = unhex(&e.entry_hash).unwrap_or_default();
        if !ct_eq(&computed, &stored) {
            return Ok(broken(
                e.seq,
                "its contents do not match its HMAC (the entry was altered)",
            ));
        }
        if e.seq == anchor.seq {
            at_anchor = Some(e.entry_hash.clone());
        }
        prev = e.entry_hash;
        expected_seq += 1;
    }
    let newest = expected_seq - 1;
    let anchor_hash = hex(&anchor.hash);
    if newest < anchor.seq {
        return Ok(Verdict::Broken {
            seq: newest + 1,
            reason: format!(
                "the log ends at seq {newest} but its anchor is at seq {}: newer entries were removed or an older copy of the database was restored",
                anchor.seq
            ),
        });
    }
    let anchor_matches = if anchor.seq == 0 {
        ct_eq(anchor_hash.as_bytes(), hex(&genesis(key, db_id)).as_bytes())
    } else {
        at_anchor.is_some_and(|h| ct_eq(h.as_bytes(), anchor_hash.as_bytes()))
    };
    if !anchor_matches {
        return Ok(broken(
            anchor.seq.max(1),
            "this entry does not match the anchor kept outside the database (the database was replaced or rolled back)",
        ));
    }
    Ok(match newest - anchor.seq {
        0 => Verdict::Intact { entries: newest },
        1 => Verdict::AheadByOne { entries: newest },
        _ => Verdict::Broken {
            seq: anchor.seq + 2,
            reason: format!(
                "entries after seq {} were added without moving the anchor",
                anchor.seq + 1
            ),
        },
    })
}

fn entry_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: row.get(0)?,
        id: row.get(1)?,
        ts_ms: row.get(2)?,
        action: row.get(3)?,
        entity_type: row.get(4)?,
        entity_id: row.get(5)?,
        user_id: row.get(6)?,
        details: row.get(7)?,
        prev_hash: row.get(8)?,
        entry_hash: row.get(9)?,
    })
}

/// A page of entries, newest first (`before`: only entries with a smaller seq).
pub fn page(
    conn: &Connection,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<Entry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, ts_ms, action, entity_type, entity_id, user_id, details, prev_hash,
                entry_hash
         FROM audit_log WHERE seq < :before ORDER BY seq DESC LIMIT :limit",
    )?;
    let rows = stmt.query_map(
        named_params! {":before": before.unwrap_or(i64::MAX), ":limit": limit as i64},
        entry_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every entry, oldest first, to a callback (for export).
pub fn for_each(
    conn: &Connection,
    mut f: impl FnMut(&Entry) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, id, ts_ms, action, entity_type, entity_id, user_id, details, prev_hash,
                entry_hash
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let e = entry_from_row(row)?;
        f(&e).map_err(|e| StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
    }
    Ok(())
}

pub fn count(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))?)
}

/// RFC 3339 UTC with milliseconds, for display and export.
pub fn format_ts(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| ts_ms.to_string())
}
