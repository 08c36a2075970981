//! Finding the keys and opening the workspace: first-run setup, unlock, and the failures that
//! stop both. See the module docs of [`super`] for the rules.

use super::datadir::DataDir;
use super::{
    ANCHOR_RECORD, AUDIT_KEY_RECORD, DB_ID_META, TOKEN_KEY_RECORD, Workspace, WorkspaceError,
};
use crate::audit::{self, AuditKey, NewEntry, Verdict};
use crate::keystore::KeyStore;
use crate::secret::{Key32, SecretString, ct_eq, hex};
use crate::store::{DbKey, Store, StoreError, records};
use crate::vault::format::{FormatError, KeySource, ScryptParams};
use crate::vault::{Vault, VaultError};
use serde_json::json;
use std::path::PathBuf;

/// The passphrase variable: when set and non-empty it keys the database (and the vault).
pub const DB_KEY_ENV: &str = "TFTSR_DB_KEY";

/// Where this workspace's keys come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Random keys in the OS keyring.
    Keyring { name: &'static str },
    /// A passphrase: SQLCipher's PBKDF2 for the database, scrypt for the vault.
    Passphrase { from_env: bool },
}

impl Backend {
    pub fn describe(&self) -> String {
        match self {
            Backend::Keyring { name } => format!("random keys in the {name}"),
            Backend::Passphrase { from_env: true } => {
                format!("passphrase from {DB_KEY_ENV} (vault key: scrypt)")
            }
            Backend::Passphrase { from_env: false } => {
                "passphrase typed at unlock (vault key: scrypt)".into()
            }
        }
    }
}

pub struct UnlockRequest<'a> {
    pub keystore: &'a dyn KeyStore,
    /// `TFTSR_DB_KEY`, or what the person typed.
    pub passphrase: Option<SecretString>,
    pub passphrase_from_env: bool,
    /// Work factors for a *new* passphrase vault (an existing vault says its own).
    pub scrypt: ScryptParams,
}

impl<'a> UnlockRequest<'a> {
    /// Takes the passphrase from `TFTSR_DB_KEY` when it is set and non-empty.
    pub fn from_env(keystore: &'a dyn KeyStore) -> Self {
        let passphrase = std::env::var(DB_KEY_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(SecretString::new);
        UnlockRequest {
            keystore,
            passphrase_from_env: passphrase.is_some(),
            passphrase,
            scrypt: ScryptParams::DEFAULT,
        }
    }

    /// The same request with a passphrase the person typed.
    pub fn with_passphrase(mut self, passphrase: SecretString) -> Self {
        self.passphrase = Some(passphrase);
        self.passphrase_from_env = false;
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    #[error("{}", if *first_run {
        "no OS keyring is available: set a passphrase to create the encrypted store (or set TFTSR_DB_KEY)"
    } else {
        "this store is protected by a passphrase: enter it (or set TFTSR_DB_KEY)"
    })]
    NeedPassphrase {
        first_run: bool,
        keyring_problem: Option<String>,
    },
    #[error("wrong passphrase: the vault cannot be decrypted with it; nothing was changed")]
    WrongPassphrase,
    #[error("cannot decrypt the database {path}: wrong key{hint}; the file was left untouched")]
    DbCannotDecrypt { path: PathBuf, hint: &'static str },
    #[error(
        "the store's keys are kept in the OS keyring, which is not available: {0}. Start or unlock your keyring (Secret Service) and try again"
    )]
    KeyringUnavailable(String),
    #[error(
        "the {0} is missing from the OS keyring; TFTSR will not create a new key for existing data"
    )]
    KeyMissing(&'static str),
    #[error(
        "the database {0} exists but its vault is missing; TFTSR will not create new keys for an existing database (restore vault.bin, or move the database away to start over)"
    )]
    VaultMissing(PathBuf),
    #[error(
        "the vault holds an audit anchor but the database {0} is missing (restore it, or move vault.bin away to start over)"
    )]
    DbMissing(PathBuf),
    #[error(
        "the store in {0} is in use by another TFTSR (the window, or another command); close it and try again"
    )]
    Busy(PathBuf),
    #[error("cannot use the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Vault(VaultError),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

fn vault_account(id: &[u8; 16]) -> String {
    format!("vault-key/{}", hex(id))
}

fn db_account(id: &[u8; 16]) -> String {
    format!("db-key/{}", hex(id))
}

/// Opens the workspace in `dir`, creating it on first use.
pub fn unlock(dir: &DataDir, req: UnlockRequest<'_>) -> Result<Workspace, UnlockError> {
    dir.ensure().map_err(|source| UnlockError::DataDir {
        path: dir.root().to_path_buf(),
        source,
    })?;
    let lock = lock_dir(dir)?;
    let mut ws = open_locked(dir, req)?;
    ws.lock = Some(lock);
    Ok(ws)
}

/// How long a second process waits for the store before giving up.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// One process at a time: the vault is read once and rewritten whole, so two writers would
/// undo each other's changes (and the audit anchor). The lock is released when the workspace
/// (or the process) goes.
fn lock_dir(dir: &DataDir) -> Result<std::fs::File, UnlockError> {
    let path = dir.root().join(super::datadir::LOCK_FILE);
    let io = |source| UnlockError::DataDir {
        path: path.clone(),
        source,
    };
    if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
        return Err(io(std::io::Error::other(
            "the lock file is not a regular file",
        )));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(&path).map_err(io)?;
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(UnlockError::Busy(dir.root().to_path_buf()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
    }
}

fn open_locked(dir: &DataDir, req: UnlockRequest<'_>) -> Result<Workspace, UnlockError> {
    let (vault_path, db_path) = (dir.vault_path(), dir.db_path());
    let vault_exists = std::fs::symlink_metadata(&vault_path).is_ok();
    let db_exists = std::fs::symlink_metadata(&db_path).is_ok();
    if !vault_exists {
        if db_exists {
            return Err(UnlockError::VaultMissing(db_path));
        }
        return setup(dir, req);
    }

    let source = Vault::read_key_source(&vault_path).map_err(UnlockError::Vault)?;
    let (vault, backend, keyring_id) = match source {
        KeySource::KeyStore { id } => {
            let key = match req.keystore.get(&vault_account(&id)) {
                Ok(Some(k)) => Key32::from_slice(k.expose()),
                Ok(None) => None,
                Err(e) => {
                    dir.record_failure("keyring_unavailable");
                    return Err(UnlockError::KeyringUnavailable(e.to_string()));
                }
            };
            let Some(key) = key else {
                dir.record_failure("vault_key_missing");
                return Err(UnlockError::KeyMissing("vault key"));
            };
            let vault = Vault::open(&vault_path, |_| Ok(key)).map_err(|e| {
                dir.record_failure("vault_cannot_decrypt");
                UnlockError::Vault(e)
            })?;
            let backend = Backend::Keyring {
                name: req.keystore.backend_name(),
            };
            (vault, backend, Some(id))
        }
        KeySource::Scrypt { params, salt } => {
            let Some(passphrase) = &req.passphrase else {
                return Err(UnlockError::NeedPassphrase {
                    first_run: false,
                    keyring_problem: None,
                });
            };
            let key = params
                .derive(passphrase.expose().as_bytes(), &salt)
                .map_err(|source| {
                    UnlockError::Vault(VaultError::Format {
                        path: vault_path.clone(),
                        source,
                    })
                })?;
            let vault = Vault::open(&vault_path, |_| Ok(key)).map_err(|e| match e {
                VaultError::Format {
                    source: FormatError::Decrypt,
                    ..
                } => {
                    dir.record_failure("wrong_passphrase");
                    UnlockError::WrongPassphrase
                }
                other => UnlockError::Vault(other),
            })?;
            let backend = Backend::Passphrase {
                from_env: req.passphrase_from_env,
            };
            (vault, backend, None)
        }
    };

    let (db_key, hint) = match (&req.passphrase, keyring_id) {
        (Some(p), Some(_)) => (
            DbKey::Passphrase(SecretString::new(p.expose().to_string())),
            " (TFTSR_DB_KEY is set, but this store's key is in the OS keyring: unset it)",
        ),
        (Some(p), None) => (
            DbKey::Passphrase(SecretString::new(p.expose().to_string())),
            " or passphrase",
        ),
        (None, Some(id)) => match req.keystore.get(&db_account(&id)) {
            Ok(Some(k)) => match Key32::from_slice(k.expose()) {
                Some(k) => (DbKey::Raw(k), " (the key in the OS keyring does not fit)"),
                None => {
                    dir.record_failure("db_key_malformed");
                    return Err(UnlockError::KeyMissing("database key"));
                }
            },
            Ok(None) => {
                dir.record_failure("db_key_missing");
                return Err(UnlockError::KeyMissing("database key"));
            }
            Err(e) => {
                dir.record_failure("keyring_unavailable");
                return Err(UnlockError::KeyringUnavailable(e.to_string()));
            }
        },
        (None, None) => unreachable!("a passphrase vault returned early without a passphrase"),
    };
    if !db_exists && vault.contains(ANCHOR_RECORD) {
        return Err(UnlockError::DbMissing(db_path));
    }
    let store = Store::open(&db_path, &db_key).map_err(|e| match e {
        StoreError::CannotDecrypt(path) => {
            dir.record_failure("db_cannot_decrypt");
            UnlockError::DbCannotDecrypt { path, hint }
        }
        other => UnlockError::Store(other),
    })?;
    finish(dir, store, vault, backend)
}

/// First run: new keys (OS keyring, else the passphrase), a new vault, a new database.
fn setup(dir: &DataDir, req: UnlockRequest<'_>) -> Result<Workspace, UnlockError> {
    let vault_path = dir.vault_path();
    let vault_err = |e| UnlockError::Vault(e);
    let format_err = |source| {
        UnlockError::Vault(VaultError::Format {
            path: vault_path.clone(),
            source,
        })
    };
    let random = || Key32::random().map_err(|_| format_err(FormatError::Random));
    let (mut vault, db_key, backend) = match req.passphrase {
        Some(passphrase) => {
            let source = KeySource::new_scrypt(req.scrypt).map_err(format_err)?;
            let KeySource::Scrypt { params, salt } = source else {
                unreachable!()
            };
            let key = params
                .derive(passphrase.expose().as_bytes(), &salt)
                .map_err(format_err)?;
            let vault = Vault::create(&vault_path, source, key).map_err(vault_err)?;
            (
                vault,
                DbKey::Passphrase(passphrase),
                Backend::Passphrase {
                    from_env: req.passphrase_from_env,
                },
            )
        }
        None => {
            let source = KeySource::new_key_store().map_err(format_err)?;
            let KeySource::KeyStore { id } = source else {
                unreachable!()
            };
            let (vault_key, db_key) = (random()?, random()?);
            if let Err(problem) = store_keys(req.keystore, &id, &vault_key, &db_key) {
                let _ = req.keystore.delete(&vault_account(&id));
                let _ = req.keystore.delete(&db_account(&id));
                return Err(UnlockError::NeedPassphrase {
                    first_run: true,
                    keyring_problem: Some(problem),
                });
            }
            let vault = Vault::create(&vault_path, source, vault_key).map_err(vault_err)?;
            (
                vault,
                DbKey::Raw(db_key),
                Backend::Keyring {
                    name: req.keystore.backend_name(),
                },
            )
        }
    };
    vault
        .set(AUDIT_KEY_RECORD, random()?.to_secret_bytes())
        .map_err(vault_err)?;
    vault
        .set(TOKEN_KEY_RECORD, random()?.to_secret_bytes())
        .map_err(vault_err)?;
    let store = Store::open(&dir.db_path(), &db_key).map_err(UnlockError::Store)?;
    finish(dir, store, vault, backend)
}

/// A transmission whose intent was recorded but whose outcome never was: TFTSR stopped during
/// the send. It is reported (once, with an `ai_interrupted` entry) and never resent.
fn note_interrupted_sends(ws: &mut Workspace) -> Result<(), UnlockError> {
    let pending: Vec<(i64, String)> = {
        let mut stmt = ws
            .store
            .conn()
            .prepare(
                "SELECT a.seq, coalesce(json_extract(a.details, '$.provider'), '')
                 FROM audit_log a
                 WHERE a.action = 'ai_send' AND NOT EXISTS (
                     SELECT 1 FROM audit_log b
                     WHERE b.action IN ('ai_outcome', 'ai_interrupted')
                       AND json_extract(b.details, '$.send_seq') = a.seq)",
            )
            .map_err(|e| UnlockError::Store(e.into()))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| UnlockError::Store(e.into()))?;
        rows.collect::<Result<_, _>>()
            .map_err(|e| UnlockError::Store(e.into()))?
    };
    for (seq, provider) in pending {
        ws.record(NewEntry {
            action: "ai_interrupted",
            entity_type: "provider",
            entity_id: String::new(),
            details: json!({"send_seq": seq, "provider": provider}),
        })?;
        ws.notes.push(format!(
            "A request to {provider} (audit seq {seq}) was interrupted before its answer was recorded; it was not resent."
        ));
    }
    Ok(())
}

/// Sets both keys in the key store and reads them back: a store that "accepts" a key it cannot
/// return is no store.
fn store_keys(
    keystore: &dyn KeyStore,
    id: &[u8; 16],
    vault_key: &Key32,
    db_key: &Key32,
) -> Result<(), String> {
    for (account, key) in [(vault_account(id), vault_key), (db_account(id), db_key)] {
        keystore
            .set(&account, key.expose())
            .map_err(|e| e.to_string())?;
        match keystore.get(&account).map_err(|e| e.to_string())? {
            Some(back) if ct_eq(back.expose(), key.expose()) => {}
            _ => return Err("the keyring did not return the key it was given".into()),
        }
    }
    Ok(())
}

/// Common end of setup and unlock: the database id, the audit chain check (and re-anchor after
/// a crash), the key-creation records, and the failures recorded while locked.
fn finish(
    dir: &DataDir,
    store: Store,
    vault: Vault,
    backend: Backend,
) -> Result<Workspace, UnlockError> {
    let audit_key = vault
        .get(AUDIT_KEY_RECORD)
        .and_then(|k| Key32::from_slice(k.expose()))
        .map(AuditKey::new)
        .ok_or_else(|| {
            UnlockError::Workspace(WorkspaceError::Invalid(
                "the vault has no audit key; it is not a complete TFTSR vault".into(),
            ))
        })?;
    let store_err = UnlockError::Store;
    let existing_id = records::get_meta(store.conn(), DB_ID_META).map_err(store_err)?;
    let created = existing_id.is_none();
    let db_id = match existing_id {
        Some(id) => id,
        None => {
            if audit::count(store.conn()).map_err(store_err)? > 0 {
                return Err(UnlockError::Workspace(WorkspaceError::Invalid(
                    "the database has audit entries but no database id".into(),
                )));
            }
            let id = hex(&crate::secret::random_bytes::<16>().map_err(|_| WorkspaceError::Random)?);
            records::set_meta(store.conn(), DB_ID_META, &id).map_err(store_err)?;
            id
        }
    };
    let mut ws = Workspace {
        dir: dir.clone(),
        store,
        vault,
        audit_key,
        db_id,
        backend,
        verdict: Verdict::Intact { entries: 0 },
        notes: Vec::new(),
        lock: None,
    };
    match ws.verify_audit()? {
        Verdict::AheadByOne { entries } => {
            // TFTSR stopped between committing entry `entries` and moving the anchor.
            let newest = audit::page(ws.store.conn(), None, 1)
                .map_err(store_err)?
                .pop()
                .ok_or_else(|| WorkspaceError::Invalid("the newest entry vanished".into()))?;
            ws.set_anchor(&newest)?;
            ws.verdict = Verdict::Intact { entries };
            ws.notes.push(format!(
                "The audit log's newest entry (seq {entries}) was committed but its anchor was not updated (TFTSR stopped in between); it was re-anchored."
            ));
            ws.record(NewEntry {
                action: "audit_reanchored",
                entity_type: "audit_log",
                entity_id: String::new(),
                details: json!({"seq": entries}),
            })?;
        }
        Verdict::Broken { seq, reason } => ws.notes.push(format!(
            "The audit log failed verification at seq {seq}: {reason}."
        )),
        Verdict::Intact { .. } => {}
    }
    if created {
        let kdf = match &ws.backend {
            Backend::Keyring { .. } => "keyring",
            Backend::Passphrase { .. } => "passphrase",
        };
        for key in ["database", "vault", "audit", "token"] {
            ws.record(NewEntry {
                action: "key_created",
                entity_type: "key",
                entity_id: key.to_string(),
                details: json!({"source": kdf}),
            })?;
        }
    }
    let cut =
        crate::store::triage::interrupt_unfinished(ws.store.conn()).map_err(UnlockError::Store)?;
    if cut > 0 {
        ws.notes.push(format!(
            "{cut} assistant reply or replies were cut off when TFTSR stopped; they are kept, marked interrupted, and not resent."
        ));
    }
    if ws.verdict.is_ok() {
        note_interrupted_sends(&mut ws)?;
        let failures = dir.failures();
        for (at, reason) in &failures {
            ws.record(NewEntry {
                action: "unlock_failed",
                entity_type: "workspace",
                entity_id: String::new(),
                details: json!({"reason": reason, "at_ms": at}),
            })?;
        }
        if !failures.is_empty() {
            ws.notes.push(format!(
                "{} failed unlock attempt(s) since the last unlock were recorded in the audit log.",
                failures.len()
            ));
            dir.clear_failures();
        }
    }
    Ok(ws)
}
