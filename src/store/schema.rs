//! The database schema, one migration per `PRAGMA user_version` step.
//!
//! - `meta`: the random database id (bound into the first audit entry) and similar facts.
//! - `settings`: non-secret preferences (offline mode, added origins, privacy rules).
//! - `provider_configs`: AI provider settings without keys (keys live in the vault).
//! - `issues`: incidents (title, description, domain, severity P1–P4, status).
//! - `log_files`: attached logs: metadata, the approved *redacted* text and its SHA-256. The
//!   original content is never stored, nor a hash of it (a hash of a short log could confirm a
//!   guessed secret).
//! - `redaction_decisions`: per finding: type, byte offsets, replacement, redact/keep — never
//!   the original value.
//! - `conversations`, `messages`: the triage chat; a message has a job state so a reply cut by a
//!   crash shows as interrupted.
//! - `resolution_steps`, `documents`, `timeline_events`: the rest of the workflow.
//! - `audit_log`: the append-only, HMAC-chained audit trail; triggers refuse UPDATE and DELETE.
//! - `integration_tokens` (v2): tokens sealed with AES-256-GCM, bound to their row.
//! - v3: the 5-Whys state on `issues` (level, proposed and confirmed root cause), the per-issue
//!   pseudonym option and `pseudonyms` (identity types only), and `search` (FTS5 over titles,
//!   descriptions, redacted log text and messages).

/// Migrations in order; `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE provider_configs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    base_url   TEXT NOT NULL,
    model      TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE issues (
    id          TEXT PRIMARY KEY,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    domain      TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    resolved_at INTEGER
) STRICT;

CREATE TABLE log_files (
    id              TEXT PRIMARY KEY,
    issue_id        TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    size_bytes      INTEGER NOT NULL,
    encoding        TEXT NOT NULL,
    line_count      INTEGER NOT NULL,
    redacted_text   TEXT NOT NULL,
    redacted_sha256 TEXT NOT NULL,
    mode            TEXT NOT NULL,
    approved_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX log_files_issue ON log_files(issue_id);

CREATE TABLE redaction_decisions (
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    ordinal     INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    start       INTEGER NOT NULL,
    end         INTEGER NOT NULL,
    replacement TEXT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('redact', 'keep')),
    PRIMARY KEY (log_file_id, ordinal)
) STRICT;

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    issue_id    TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    provider_id TEXT,
    model       TEXT,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    ordinal         INTEGER NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('complete', 'pending', 'streaming', 'interrupted', 'failed')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (conversation_id, ordinal)
) STRICT;

CREATE TABLE resolution_steps (
    id         TEXT PRIMARY KEY,
    issue_id   TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    why_level  INTEGER,
    question   TEXT NOT NULL DEFAULT '',
    answer     TEXT NOT NULL DEFAULT '',
    evidence   TEXT NOT NULL DEFAULT '',
    done       INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE documents (
    id         TEXT PRIMARY KEY,
    issue_id   TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    content_md TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (issue_id, kind, version)
) STRICT;

CREATE TABLE timeline_events (
    id       TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    ts_ms    INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    ts_ms       INTEGER NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    entry_hash  TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"#;

const V2: &str = r#"
CREATE TABLE integration_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    key_source TEXT NOT NULL CHECK (key_source IN ('env', 'vault')),
    nonce      BLOB NOT NULL,
    sealed     BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
"#;

const V3: &str = r#"
ALTER TABLE issues ADD COLUMN why_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN root_cause TEXT;
ALTER TABLE issues ADD COLUMN root_cause_confirmed_at INTEGER;
ALTER TABLE issues ADD COLUMN keep_pseudonyms INTEGER NOT NULL DEFAULT 0;

CREATE TABLE pseudonyms (
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    kind     TEXT NOT NULL,
    value    TEXT NOT NULL,
    number   INTEGER NOT NULL,
    PRIMARY KEY (issue_id, kind, value)
) STRICT;

CREATE VIRTUAL TABLE search USING fts5(
    issue_id UNINDEXED,
    source UNINDEXED,
    text,
    tokenize = 'unicode61'
);
"#;
