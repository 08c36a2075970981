//! The sealed credential vault: provider API keys, integration tokens and the keys that must
//! not live in the database (the audit HMAC key, the token-sealing key, the audit anchor).
//!
//! The file format is in [`format`]. This module reads and writes the file: never through a
//! symlink, atomically (temporary file, fsync, rename, fsync of the directory), mode 0600.
//! Every change is written before it is reported done; a failed write leaves the vault in memory
//! exactly as it was.

pub mod format;

use crate::secret::{Key32, SecretBytes};
use format::{FormatError, KeySource, Records};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the vault file {path} {source}")]
    Format {
        path: PathBuf,
        #[source]
        source: FormatError,
    },
    #[error("the vault file {0} is a symbolic link; TFTSR refuses to follow it")]
    Symlink(PathBuf),
    #[error("the vault file {0} is not a regular file")]
    NotAFile(PathBuf),
    #[error("the vault file {0} already exists; TFTSR never replaces a vault with a new key")]
    Exists(PathBuf),
    #[error("cannot read or write the vault file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// An open vault: its records in memory (zeroized on drop) and the key to re-seal them.
pub struct Vault {
    path: PathBuf,
    source: KeySource,
    key: Key32,
    records: Records,
}

impl Vault {
    /// Creates a new, empty vault file; refuses if anything is already at `path`.
    pub fn create(path: &Path, source: KeySource, key: Key32) -> Result<Vault, VaultError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => return Err(VaultError::Exists(path.to_path_buf())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(VaultError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        let vault = Vault {
            path: path.to_path_buf(),
            source,
            key,
            records: Records::new(),
        };
        vault.write(&vault.records)?;
        Ok(vault)
    }

    /// Reads the header only: which key source the vault at `path` needs.
    pub fn read_key_source(path: &Path) -> Result<KeySource, VaultError> {
        let bytes = read_file(path)?;
        format::read_key_source(&bytes).map_err(|source| VaultError::Format {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Opens the vault at `path`. `key_for` gets the header's key source and returns the key
    /// (from the key store, or derived from a passphrase with the header's checked parameters).
    pub fn open(
        path: &Path,
        key_for: impl FnOnce(&KeySource) -> Result<Key32, VaultError>,
    ) -> Result<Vault, VaultError> {
        let bytes = read_file(path)?;
        let format_err = |source| VaultError::Format {
            path: path.to_path_buf(),
            source,
        };
        let source = format::read_key_source(&bytes).map_err(format_err)?;
        let key = key_for(&source)?;
        let records = format::open(&bytes, &key).map_err(format_err)?;
        Ok(Vault {
            path: path.to_path_buf(),
            source,
            key,
            records,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn key_source(&self) -> &KeySource {
        &self.source
    }

    pub fn get(&self, name: &str) -> Option<&SecretBytes> {
        self.records.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.records.contains_key(name)
    }

    /// Names of the records (never their values).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.records.keys().map(String::as_str)
    }

    /// Stores `value` under `name` and writes the file before returning.
    pub fn set(&mut self, name: &str, value: SecretBytes) -> Result<(), VaultError> {
        let mut next = self.copy_records();
        next.insert(name.to_string(), value);
        self.write(&next)?;
        self.records = next;
        Ok(())
    }

    /// Removes `name`; `Ok(false)` when there was no such record.
    pub fn remove(&mut self, name: &str) -> Result<bool, VaultError> {
        if !self.records.contains_key(name) {
            return Ok(false);
        }
        let mut next = self.copy_records();
        next.remove(name);
        self.write(&next)?;
        self.records = next;
        Ok(true)
    }

    fn copy_records(&self) -> Records {
        self.records
            .iter()
            .map(|(k, v)| (k.clone(), SecretBytes::new(v.expose().to_vec())))
            .collect()
    }

    fn write(&self, records: &Records) -> Result<(), VaultError> {
        let sealed = format::seal(&self.source, &self.key, records).map_err(|source| {
            VaultError::Format {
                path: self.path.clone(),
                source,
            }
        })?;
        write_private_atomic(&self.path, &sealed).map_err(|e| match e {
            WriteError::Symlink => VaultError::Symlink(self.path.clone()),
            WriteError::Io(source) => VaultError::Io {
                path: self.path.clone(),
                source,
            },
        })
    }
}

/// Reads a vault file without following a symlink, refusing anything that is not a regular file
/// and anything larger than a vault can be.
fn read_file(path: &Path) -> Result<Vec<u8>, VaultError> {
    let io = |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::symlink_metadata(path).map_err(io)?;
    if meta.file_type().is_symlink() {
        return Err(VaultError::Symlink(path.to_path_buf()));
    }
    if !meta.is_file() {
        return Err(VaultError::NotAFile(path.to_path_buf()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(format::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

pub(crate) enum WriteError {
    Symlink,
    Io(std::io::Error),
}

impl From<std::io::Error> for WriteError {
    fn from(e: std::io::Error) -> Self {
        WriteError::Io(e)
    }
}

/// Writes a private file atomically: a 0600 temporary file in the same directory, fsynced,
/// renamed over `path`, then the directory fsynced so the rename itself survives a crash.
/// Refuses when `path` is a symlink (rename would replace the link, but a link there means
/// someone is trying to redirect the write).
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(WriteError::Symlink);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    // tempfile creates the file with mode 0600 on Unix, before any byte is written.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tftsr-vault-")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)?;
    Ok(())
}

#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}
