//! The encrypted store: one SQLCipher database in the data directory.
//!
//! Every open applies the key and the cipher settings before the first query, then reads them
//! back and checks them; a plain SQLite (which would silently ignore `PRAGMA key`) is refused.
//! A wrong key is [`StoreError::CannotDecrypt`], and nothing is written to the file in that case:
//! no journal mode change, no migration. The schema is in [`schema`].

pub mod records;
pub mod schema;
pub mod triage;

use crate::secret::{Key32, SecretString, hex};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The cipher settings every TFTSR database uses (SQLCipher 4: AES-256-CBC pages).
pub const PAGE_SIZE: i64 = 16384;
pub const KDF_ITER: i64 = 256_000;
pub const HMAC_ALGORITHM: &str = "HMAC_SHA512";
pub const KDF_ALGORITHM: &str = "PBKDF2_HMAC_SHA512";

/// How the database is keyed.
pub enum DbKey {
    /// A passphrase, stretched by SQLCipher's PBKDF2-HMAC-SHA512 (256,000 iterations).
    Passphrase(SecretString),
    /// A random 256-bit key used as is (kept in the OS keyring).
    Raw(Key32),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Wrong key, or not a TFTSR database: SQLCipher cannot tell them apart.
    #[error(
        "cannot decrypt the database {0} (wrong key or passphrase, or not a TFTSR database); it was left untouched"
    )]
    CannotDecrypt(PathBuf),
    #[error("this build's SQLite has no SQLCipher; refusing to open a database unencrypted")]
    NoSqlCipher,
    #[error("the database cipher settings read back as {what} = {found}, not {expected}")]
    CipherMismatch {
        what: &'static str,
        found: String,
        expected: String,
    },
    #[error(
        "the database has schema version {found}, newer than this TFTSR knows ({known}); update TFTSR. The file was left untouched"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("the database could not switch to WAL journaling (got {0})")]
    JournalMode(String),
    #[error("{0} was not found")]
    NotFound(String),
    // Not a `source`: the message already includes it (error chains would print it twice).
    #[error("database error: {0}")]
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

/// The cipher settings as read back from an open database (shown in Settings → Security).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CipherSettings {
    pub cipher_version: String,
    pub provider: String,
    pub page_size: i64,
    pub kdf_iter: i64,
    pub hmac_algorithm: String,
    pub kdf_algorithm: String,
    pub journal_mode: String,
    pub key_kind: &'static str,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    cipher: CipherSettings,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

impl Store {
    /// Opens (or, when `path` does not exist, creates) the database, checks the key and the
    /// cipher settings, and migrates the schema to the latest version.
    pub fn open(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
        let mut store = Store::open_unmigrated(path, key)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens and checks the key and cipher settings without touching the schema (tests use it to
    /// build databases of older versions).
    pub fn open_unmigrated(path: &Path, key: &DbKey) -> Result<Store, StoreError> {
        create_private(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let cipher_version: Option<String> = conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))
            .ok();
        let cipher_version = match cipher_version {
            Some(v) if !v.trim().is_empty() => v,
            _ => return Err(StoreError::NoSqlCipher),
        };
        // SQLCipher logs "hmac check failed" on a wrong key; the error below says it better.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        apply_key(&conn, key)?;
        conn.execute_batch(&format!(
            "PRAGMA cipher_page_size = {PAGE_SIZE};
             PRAGMA kdf_iter = {KDF_ITER};
             PRAGMA cipher_hmac_algorithm = {HMAC_ALGORITHM};
             PRAGMA cipher_kdf_algorithm = {KDF_ALGORITHM};"
        ))?;
        // The first read decrypts page 1: a wrong key fails here, before anything is written.
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
                return Err(StoreError::CannotDecrypt(path.to_path_buf()));
            }
            Err(e) => return Err(e.into()),
        }
        let page_size = pragma_number(&conn, "cipher_page_size")?;
        let kdf_iter = pragma_number(&conn, "kdf_iter")?;
        let hmac_algorithm: String =
            conn.query_row("PRAGMA cipher_hmac_algorithm", [], |r| r.get(0))?;
        let kdf_algorithm: String =
            conn.query_row("PRAGMA cipher_kdf_algorithm", [], |r| r.get(0))?;
        let provider: String = conn
            .query_row("PRAGMA cipher_provider", [], |r| r.get(0))
            .unwrap_or_default();
        check(
            "cipher_page_size",
            page_size.to_string(),
            PAGE_SIZE.to_string(),
        )?;
        check("kdf_iter", kdf_iter.to_string(), KDF_ITER.to_string())?;
        check(
            "cipher_hmac_algorithm",
            hmac_algorithm.clone(),
            HMAC_ALGORITHM.into(),
        )?;
        check(
            "cipher_kdf_algorithm",
            kdf_algorithm.clone(),
            KDF_ALGORITHM.into(),
        )?;

        let journal_mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::JournalMode(journal_mode));
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA temp_store = MEMORY;
             PRAGMA foreign_keys = ON;
             PRAGMA secure_delete = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        let cipher = CipherSettings {
            cipher_version,
            provider,
            page_size,
            kdf_iter,
            hmac_algorithm,
            kdf_algorithm,
            journal_mode: journal_mode.to_lowercase(),
            key_kind: match key {
                DbKey::Passphrase(_) => "passphrase (PBKDF2-HMAC-SHA512, 256,000 iterations)",
                DbKey::Raw(_) => "random 256-bit raw key",
            },
        };
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            cipher,
        })
    }

    /// Applies the missing migrations in one IMMEDIATE transaction; refuses a newer schema.
    pub fn migrate(&mut self) -> Result<(), StoreError> {
        self.migrate_to(schema::LATEST)
    }

    /// Migrates up to `target` (tests build older schemas with it).
    pub fn migrate_to(&mut self, target: i64) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > schema::LATEST {
            return Err(StoreError::NewerSchema {
                found: version,
                known: schema::LATEST,
            });
        }
        if version >= target {
            return Ok(());
        }
        for sql in &schema::MIGRATIONS[version as usize..target as usize] {
            tx.execute_batch(sql)?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {target}"))?;
        tx.commit()?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn cipher_settings(&self) -> &CipherSettings {
        &self.cipher
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// `PRAGMA integrity_check` (and SQLCipher's own `cipher_integrity_check`): `Ok` when both
    /// report nothing wrong.
    pub fn integrity_check(&self) -> Result<bool, StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let mut stmt = self.conn.prepare("PRAGMA cipher_integrity_check")?;
        let cipher_errors = stmt.query_map([], |_| Ok(()))?.count();
        Ok(result == "ok" && cipher_errors == 0)
    }
}

/// Creates a missing database file empty with mode 0600 (SQLite gives its WAL and shared-memory
/// files the same mode); an existing file is left alone.
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
            Some(format!("cannot create {}: {e}", path.display())),
        ))),
    }
}

/// SQLCipher reports its numeric settings as text.
fn pragma_number(conn: &Connection, name: &'static str) -> Result<i64, StoreError> {
    let text: String = conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?;
    text.trim().parse().map_err(|_| StoreError::CipherMismatch {
        what: name,
        found: text,
        expected: "a number".into(),
    })
}

fn check(what: &'static str, found: String, expected: String) -> Result<(), StoreError> {
    if found.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(StoreError::CipherMismatch {
            what,
            found,
            expected,
        })
    }
}

/// `PRAGMA key` must be given as SQL text; the statement is built in a buffer that is wiped.
fn apply_key(conn: &Connection, key: &DbKey) -> Result<(), StoreError> {
    let sql = Zeroizing::new(match key {
        DbKey::Passphrase(p) => format!("PRAGMA key = '{}';", p.expose().replace('\'', "''")),
        // A raw key is written x'…' inside double quotes (see BUILD-NOTES).
        DbKey::Raw(k) => format!(
            "PRAGMA key = \"x'{}'\";",
            Zeroizing::new(hex(k.expose())).as_str()
        ),
    });
    conn.execute_batch(&sql)?;
    Ok(())
}

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A new random id (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
