//! The data directory: `TFTSR_DATA_DIR`, else the platform data dir (`~/.local/share/tftsr` on
//! Linux). It holds the database, the vault and the unlock-failure log, and nothing else.

use std::io::Write;
use std::path::{Path, PathBuf};

pub const DATA_DIR_ENV: &str = "TFTSR_DATA_DIR";
pub const DB_FILE: &str = "tftsr.db";
pub const VAULT_FILE: &str = "vault.bin";
/// Failed unlocks, recorded here (time and a reason code only) because the audit log cannot be
/// opened without the key; moved into the audit log at the next successful unlock.
pub const FAILURES_FILE: &str = "unlock-failures.log";
const MAX_FAILURE_LINES: usize = 1000;
/// Held (locked) by the one process that has the store open.
pub const LOCK_FILE: &str = "tftsr.lock";

#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DataDir { root: root.into() }
    }

    /// `TFTSR_DATA_DIR` when set and non-empty, else the platform's data directory.
    pub fn from_env() -> Result<Self, String> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(DataDir::new(dir));
        }
        platform_data_dir()
            .map(|d| DataDir::new(d.join("tftsr")))
            .ok_or_else(|| format!("cannot find a data directory; set {DATA_DIR_ENV}"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn db_path(&self) -> PathBuf {
        self.root.join(DB_FILE)
    }

    pub fn vault_path(&self) -> PathBuf {
        self.root.join(VAULT_FILE)
    }

    /// Creates the directory (mode 0700) if needed, or tightens an existing one to 0700;
    /// refuses a symlink or a non-directory.
    pub fn ensure(&self) -> std::io::Result<()> {
        match std::fs::symlink_metadata(&self.root) {
            Ok(m) if m.is_dir() => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    if m.permissions().mode() & 0o077 != 0 {
                        std::fs::set_permissions(
                            &self.root,
                            std::fs::Permissions::from_mode(0o700),
                        )?;
                    }
                }
                Ok(())
            }
            Ok(_) => Err(std::io::Error::other(format!(
                "{} is not a directory",
                self.root.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder.create(&self.root)
            }
            Err(e) => Err(e),
        }
    }

    /// Appends one failed unlock (time and reason code; never a key or a passphrase).
    pub fn record_failure(&self, reason: &str) {
        let path = self.root.join(FAILURES_FILE);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            return;
        }
        let lines = std::fs::read_to_string(&path).map_or(0, |s| s.lines().count());
        if lines >= MAX_FAILURE_LINES || self.ensure().is_err() {
            return;
        }
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        if let Ok(mut f) = options.open(&path) {
            let _ = writeln!(f, "{} {reason}", crate::store::now_ms());
        }
    }

    /// The recorded failures as (time, reason); the file is removed by [`Self::clear_failures`].
    pub fn failures(&self) -> Vec<(i64, String)> {
        let path = self.root.join(FAILURES_FILE);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_file()) {
            return Vec::new();
        }
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (ts, reason) = l.split_once(' ')?;
                let reason: String = reason
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .take(40)
                    .collect();
                Some((ts.parse().ok()?, reason))
            })
            .take(MAX_FAILURE_LINES)
            .collect()
    }

    pub fn clear_failures(&self) {
        let _ = std::fs::remove_file(self.root.join(FAILURES_FILE));
    }
}

fn platform_data_dir() -> Option<PathBuf> {
    let home = std::env::home_dir();
    if cfg!(windows) {
        return std::env::var_os("APPDATA").map(PathBuf::from);
    }
    if cfg!(target_os = "macos") {
        return home.map(|h| h.join("Library/Application Support"));
    }
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| home.map(|h| h.join(".local/share")))
}
