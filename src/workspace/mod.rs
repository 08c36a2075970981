//! An unlocked workspace: the open store, the open vault and the audit key, and the operations
//! that must be recorded. This is where the key rules of DESIGN.md are enforced:
//!
//! - DB key: `TFTSR_DB_KEY` (a passphrase through SQLCipher's KDF) when set and non-empty; else a
//!   random 256-bit key in the OS keyring (raw key); else a passphrase the person sets and types.
//!   Never a built-in key, never a plaintext database.
//! - No new key is ever created while a database exists; a wrong key stops with a clear error and
//!   leaves every file as it was.
//! - Every audited operation writes its audit entry in the same transaction as its change (or,
//!   for work outside the database, before it); a failed audit write stops the operation. When
//!   the chain does not verify, audited operations are refused rather than chained onto it.

mod datadir;
mod providers;
mod triage;
mod unlock;

pub use datadir::{DATA_DIR_ENV, DataDir};
pub use triage::Turn;
pub use unlock::{Backend, DB_KEY_ENV, UnlockError, UnlockRequest, unlock};

use crate::audit::{self, Anchor, AuditKey, Entry, NewEntry, Verdict};
use crate::pii::{Mode, PiiType};
use crate::review::Review;
use crate::secret::{Key32, SecretBytes, SecretString, hex};
use crate::store::records::{self, ApprovedLog, NewIssue, SealedToken};
use crate::store::{CipherSettings, Store, StoreError};
use crate::vault::{Vault, VaultError};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rusqlite::TransactionBehavior;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Environment variable whose SHA-256 keys the integration-token seal instead of the vault key.
pub const ENCRYPTION_KEY_ENV: &str = "TFTSR_ENCRYPTION_KEY";

/// Vault record names. Provider keys are `provider/<id>`.
pub(crate) const AUDIT_KEY_RECORD: &str = "audit-hmac-key";
pub(crate) const TOKEN_KEY_RECORD: &str = "token-key";
pub(crate) const ANCHOR_RECORD: &str = "audit-anchor";
pub(crate) const DB_ID_META: &str = "db_id";

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(
        "the audit log did not verify (first bad entry: seq {seq}); operations that must be recorded are stopped until it is investigated — see `tftsr audit verify`"
    )]
    AuditBroken { seq: i64 },
    #[error(
        "no key to seal integration tokens: set {ENCRYPTION_KEY_ENV} or keep the vault's token key"
    )]
    NoTokenKey,
    #[error(
        "the integration token {0} could not be decrypted (wrong {ENCRYPTION_KEY_ENV}, or the record was altered)"
    )]
    TokenDecrypt(String),
    #[error("the system random source failed")]
    Random,
    #[error("{0}")]
    Invalid(String),
}

/// What Settings → Security shows.
#[derive(Clone, Debug)]
pub struct SecurityStatus {
    pub data_dir: String,
    pub cipher: CipherSettings,
    pub schema_version: i64,
    pub backend: String,
    /// "keyring" or "passphrase".
    pub key_source: &'static str,
    pub vault_records: usize,
    pub audit_entries: i64,
    pub verdict: Verdict,
}

pub struct Workspace {
    dir: DataDir,
    store: Store,
    vault: Vault,
    audit_key: AuditKey,
    db_id: String,
    backend: Backend,
    /// The chain's state as last verified; `Broken` stops audited operations.
    verdict: Verdict,
    /// Things the person should know about this unlock (a re-anchor, recorded failures).
    pub notes: Vec<String>,
    /// The data directory's lock, held while the workspace is open.
    lock: Option<std::fs::File>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workspace({})", self.dir.root().display())
    }
}

impl Workspace {
    pub fn data_dir(&self) -> &DataDir {
        &self.dir
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    pub fn db_id(&self) -> &str {
        &self.db_id
    }

    fn anchor(&self) -> Anchor {
        self.vault
            .get(ANCHOR_RECORD)
            .and_then(|a| Anchor::decode(a.expose()))
            .unwrap_or_else(|| audit::empty_anchor(&self.audit_key, &self.db_id))
    }

    fn set_anchor(&mut self, entry: &Entry) -> Result<(), WorkspaceError> {
        self.vault
            .set(ANCHOR_RECORD, SecretBytes::new(entry.anchor().encode()))?;
        Ok(())
    }

    /// Checks the whole chain against the anchor; remembers the verdict.
    pub fn verify_audit(&mut self) -> Result<Verdict, WorkspaceError> {
        let verdict = audit::verify(
            self.store.conn(),
            &self.audit_key,
            &self.db_id,
            &self.anchor(),
        )?;
        self.verdict = verdict.clone();
        Ok(verdict)
    }

    /// Runs `change` and appends the audit entry `entry(&result)` in one IMMEDIATE
    /// transaction, then moves the anchor. Nothing is committed if either fails.
    pub fn audited<T>(
        &mut self,
        change: impl FnOnce(&rusqlite::Connection) -> Result<T, WorkspaceError>,
        entry: impl FnOnce(&T) -> NewEntry,
    ) -> Result<T, WorkspaceError> {
        self.audited_entry(change, entry).map(|(value, _)| value)
    }

    /// Records an event that changes nothing else in the database (an export, a send).
    pub fn record(&mut self, new: NewEntry) -> Result<Entry, WorkspaceError> {
        self.audited_entry(|_| Ok(()), move |_| new)
            .map(|(_, entry)| entry)
    }

    fn audited_entry<T>(
        &mut self,
        change: impl FnOnce(&rusqlite::Connection) -> Result<T, WorkspaceError>,
        entry: impl FnOnce(&T) -> NewEntry,
    ) -> Result<(T, Entry), WorkspaceError> {
        if let Verdict::Broken { seq, .. } = self.verdict {
            return Err(WorkspaceError::AuditBroken { seq });
        }
        let tx = self
            .store
            .conn_mut()
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let value = change(&tx)?;
        let appended = audit::append(&tx, &self.audit_key, &self.db_id, entry(&value))?;
        tx.commit().map_err(StoreError::from)?;
        // A crash here leaves the database one entry ahead of its anchor: recognised and
        // re-anchored at the next unlock.
        self.set_anchor(&appended)?;
        self.verdict = Verdict::Intact {
            entries: appended.seq,
        };
        Ok((value, appended))
    }

    pub fn create_issue(&mut self, issue: &NewIssue<'_>) -> Result<String, WorkspaceError> {
        if !records::SEVERITIES.contains(&issue.severity) {
            return Err(WorkspaceError::Invalid(format!(
                "severity must be one of P1, P2, P3, P4 (got {:?})",
                issue.severity
            )));
        }
        self.audited(
            |tx| Ok(records::insert_issue(tx, issue)?),
            |id| NewEntry {
                action: "issue_created",
                entity_type: "issue",
                entity_id: id.to_string(),
                details: json!({"domain": issue.domain, "severity": issue.severity}),
            },
        )
    }

    pub fn delete_issue(&mut self, id: &str) -> Result<(), WorkspaceError> {
        self.audited::<i64>(
            |tx| {
                let logs: i64 = tx
                    .query_row(
                        "SELECT count(*) FROM log_files WHERE issue_id = ?1",
                        [id],
                        |r| r.get(0),
                    )
                    .map_err(StoreError::from)?;
                records::delete_issue(tx, id)?;
                Ok(logs)
            },
            |logs| NewEntry {
                action: "issue_deleted",
                entity_type: "issue",
                entity_id: id.to_string(),
                details: json!({"log_files": logs}),
            },
        )
        .map(|_| ())
    }

    /// Stores the approved redacted text of a reviewed log (never the original) with every
    /// decision, and records the approval: counts by type and the SHA-256 of the redacted text.
    pub fn approve_log(
        &mut self,
        issue_id: &str,
        review: &Review,
        mode: Mode,
    ) -> Result<String, WorkspaceError> {
        let approved = review
            .approve(
                mode,
                &mut crate::pii::Pseudonyms::new(),
                format!("log:{}", review.name),
            )
            .map_err(|e| WorkspaceError::Invalid(format!("redaction failed: {e}")))?;
        self.approve_log_text(issue_id, review, mode, &approved)
    }

    fn approve_log_text(
        &mut self,
        issue_id: &str,
        review: &Review,
        mode: Mode,
        approved: &crate::review::RedactedText,
    ) -> Result<String, WorkspaceError> {
        let sha = hex(&Sha256::digest(approved.as_str().as_bytes()));
        let kept: Vec<(PiiType, usize, usize)> = review
            .findings()
            .iter()
            .zip(review.decisions())
            .filter(|&(_, redact)| !redact)
            .map(|(f, _)| (f.kind, f.start, f.end))
            .collect();
        let counts: BTreeMap<&str, usize> = approved
            .counts()
            .iter()
            .map(|(k, v)| (k.name(), *v))
            .collect();
        // The decisions as stored: type and offsets of each finding, its replacement when
        // redacted (recomputed from the same decisions, so it matches the stored text).
        let spans = review
            .redacted(mode)
            .map_err(|e| WorkspaceError::Invalid(format!("redaction failed: {e}")))?;
        let log = ApprovedLog {
            issue_id,
            name: &review.name,
            size_bytes: review.input_bytes,
            encoding: review.encoding.name(),
            line_count: review.line_count(),
            redacted_text: approved.as_str(),
            redacted_sha256: &sha,
            mode: mode.name(),
            replaced: spans.spans(),
            kept: &kept,
        };
        self.audited(
            |tx| Ok(records::insert_log(tx, &log)?),
            |log_id| NewEntry {
                action: "redaction_approved",
                entity_type: "log_file",
                entity_id: log_id.to_string(),
                details: json!({
                    "issue_id": issue_id,
                    "redacted_by_type": counts,
                    "kept": kept.len(),
                    "redacted_sha256": sha,
                }),
            },
        )
    }

    /// Records an export *before* it is written (write-ahead): the destination and the SHA-256
    /// of the exact bytes. If this fails, the caller must not write.
    pub fn record_export(
        &mut self,
        what: &'static str,
        path: &std::path::Path,
        bytes: &[u8],
    ) -> Result<Entry, WorkspaceError> {
        let sha = hex(&Sha256::digest(bytes));
        self.record(NewEntry {
            action: "export",
            entity_type: what,
            entity_id: String::new(),
            details: json!({"path": path.display().to_string(), "sha256": sha, "bytes": bytes.len()}),
        })
    }

    fn provider_record(id: &str) -> String {
        format!("provider/{id}")
    }

    /// Stores a provider's API key in the vault; records that it was set (never the value).
    pub fn set_provider_key(
        &mut self,
        provider_id: &str,
        key: &SecretString,
    ) -> Result<(), WorkspaceError> {
        if key.is_empty() {
            return Err(WorkspaceError::Invalid("the API key is empty".into()));
        }
        let replaced = self.vault.contains(&Self::provider_record(provider_id));
        // Write-ahead: the record of the change first; if the vault write then fails, the log
        // says a change was attempted, never the other way round.
        self.record(NewEntry {
            action: "provider_key_set",
            entity_type: "provider",
            entity_id: provider_id.to_string(),
            details: json!({"replaced": replaced}),
        })?;
        self.vault.set(
            &Self::provider_record(provider_id),
            SecretBytes::new(key.expose().as_bytes().to_vec()),
        )?;
        Ok(())
    }

    pub fn remove_provider_key(&mut self, provider_id: &str) -> Result<bool, WorkspaceError> {
        if !self.vault.contains(&Self::provider_record(provider_id)) {
            return Ok(false);
        }
        self.record(NewEntry {
            action: "provider_key_removed",
            entity_type: "provider",
            entity_id: provider_id.to_string(),
            details: json!({}),
        })?;
        Ok(self.vault.remove(&Self::provider_record(provider_id))?)
    }

    pub fn has_provider_key(&self, provider_id: &str) -> bool {
        self.vault.contains(&Self::provider_record(provider_id))
    }

    /// The key, for the request header only.
    pub fn provider_key(&self, provider_id: &str) -> Option<&SecretBytes> {
        self.vault.get(&Self::provider_record(provider_id))
    }

    /// `SHA-256(TFTSR_ENCRYPTION_KEY)` when set, else the vault's random token key.
    fn token_key(&self) -> Result<(Key32, &'static str), WorkspaceError> {
        if let Some(material) = std::env::var_os(ENCRYPTION_KEY_ENV).filter(|v| !v.is_empty()) {
            let material = SecretBytes::new(material.into_encoded_bytes());
            let digest: [u8; 32] = Sha256::digest(material.expose()).into();
            return Ok((Key32::from_bytes(digest), "env"));
        }
        self.vault
            .get(TOKEN_KEY_RECORD)
            .and_then(|k| Key32::from_slice(k.expose()))
            .map(|k| (k, "vault"))
            .ok_or(WorkspaceError::NoTokenKey)
    }

    fn token_aad(id: &str, name: &str) -> Vec<u8> {
        let mut aad = b"tftsr-token-v1".to_vec();
        for part in [id, name] {
            aad.extend_from_slice(&(part.len() as u64).to_be_bytes());
            aad.extend_from_slice(part.as_bytes());
        }
        aad
    }

    /// Seals an integration token with AES-256-GCM, bound to its row (id and name) as
    /// associated data, and stores it; recorded without the value.
    pub fn set_integration_token(
        &mut self,
        name: &str,
        token: &SecretString,
    ) -> Result<(), WorkspaceError> {
        let (key, source) = self.token_key()?;
        let id = crate::store::new_id();
        let nonce = crate::secret::random_bytes::<12>().map_err(|_| WorkspaceError::Random)?;
        let cipher = Aes256Gcm::new(key.expose().into());
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: token.expose().as_bytes(),
                    aad: &Self::token_aad(&id, name),
                },
            )
            .map_err(|_| WorkspaceError::Random)?;
        let row = SealedToken {
            id,
            key_source: source.to_string(),
            nonce: nonce.to_vec(),
            sealed,
        };
        self.audited(
            |tx| Ok(records::upsert_token(tx, name, &row)?),
            |_| NewEntry {
                action: "integration_token_set",
                entity_type: "integration_token",
                entity_id: name.to_string(),
                details: json!({"key_source": source}),
            },
        )
    }

    pub fn integration_token(&self, name: &str) -> Result<Option<SecretString>, WorkspaceError> {
        let Some(row) = records::get_token(self.store.conn(), name)? else {
            return Ok(None);
        };
        let (key, _) = self.token_key()?;
        let nonce: [u8; 12] = row
            .nonce
            .as_slice()
            .try_into()
            .map_err(|_| WorkspaceError::TokenDecrypt(name.into()))?;
        let plain = Aes256Gcm::new(key.expose().into())
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &row.sealed,
                    aad: &Self::token_aad(&row.id, name),
                },
            )
            .map_err(|_| WorkspaceError::TokenDecrypt(name.into()))?;
        let plain = SecretBytes::new(plain);
        let text = std::str::from_utf8(plain.expose())
            .map_err(|_| WorkspaceError::TokenDecrypt(name.into()))?;
        Ok(Some(SecretString::new(text.to_string())))
    }

    pub fn remove_integration_token(&mut self, name: &str) -> Result<bool, WorkspaceError> {
        self.audited(
            |tx| Ok(records::delete_token(tx, name)?),
            |_| NewEntry {
                action: "integration_token_removed",
                entity_type: "integration_token",
                entity_id: name.to_string(),
                details: json!({}),
            },
        )
    }

    pub fn status(&self) -> Result<SecurityStatus, WorkspaceError> {
        Ok(SecurityStatus {
            data_dir: self.dir.root().display().to_string(),
            cipher: self.store.cipher_settings().clone(),
            schema_version: self.store.schema_version()?,
            backend: self.backend.describe(),
            key_source: match self.backend {
                Backend::Keyring { .. } => "keyring",
                Backend::Passphrase { .. } => "passphrase",
            },
            vault_records: self.vault.names().count(),
            audit_entries: audit::count(self.store.conn())?,
            verdict: self.verdict.clone(),
        })
    }
}
