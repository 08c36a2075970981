//! Writing files the person chose: atomically, never through a half-written file, and only
//! over a regular file (or a new name) — never over a device, a FIFO, a directory or a symlink.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::Path;

/// Checks that `path` can take a new file: its folder exists, and nothing but a regular file is
/// there. Called before any work, so a bad destination fails before anything is written.
pub fn check_destination(path: &Path) -> Result<()> {
    let dir = parent(path);
    if !dir.is_dir() {
        bail!(
            "cannot write {}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => bail!(
            "refusing to write {}: it is a symbolic link (give the real path)",
            path.display()
        ),
        Ok(m) if m.is_dir() => bail!("cannot write {}: it is a directory", path.display()),
        Ok(m) if !m.is_file() => bail!(
            "refusing to write {}: it is a device, FIFO or socket, not a regular file",
            path.display()
        ),
        _ => {
            if inside_data_dir(dir) {
                bail!(
                    "refusing to write {}: it is inside TFTSR's data directory (the encrypted store and the vault live there); choose another folder",
                    path.display()
                );
            }
            Ok(())
        }
    }
}

/// Whether `dir` is TFTSR's data directory (or inside it): exports and redacted copies never
/// go there, so they can never replace the store or the vault.
fn inside_data_dir(dir: &Path) -> bool {
    let Ok(data) = crate::workspace::DataDir::from_env() else {
        return false;
    };
    match (
        std::fs::canonicalize(dir),
        std::fs::canonicalize(data.root()),
    ) {
        (Ok(d), Ok(data)) => d.starts_with(data),
        _ => false,
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory, then renames it,
/// so a reader never sees half a file and a crash leaves the old file intact.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    check_destination(path)?;
    let dir = parent(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tftsr-")
        .tempfile_in(dir)
        .map_err(|e| anyhow::anyhow!("cannot write to {}: {}", dir.display(), e.kind()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Whether two paths name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Whether two paths name the same file, existing or not (same folder, same name).
pub fn same_destination(a: &Path, b: &Path) -> bool {
    if same_file(a, b) {
        return true;
    }
    let folder = |p: &Path| std::fs::canonicalize(parent(p)).ok();
    a.file_name() == b.file_name() && folder(a).is_some() && folder(a) == folder(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_destination(&dir.path().join("new.log")).is_ok());
        assert!(check_destination(dir.path()).is_err());
        assert!(check_destination(&dir.path().join("missing/x.log")).is_err());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
            assert!(write_atomic(&link, b"x").is_err());
            assert!(!dir.path().join("target").exists());
            assert!(write_atomic(Path::new("/dev/null"), b"x").is_err());
        }
    }

    #[test]
    fn same_destination_sees_new_names_too() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("r.json");
        let b = dir.path().join(".").join("r.json");
        assert!(same_destination(&a, &b));
        assert!(!same_destination(&a, &dir.path().join("s.json")));
    }
}
