//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use tftsr::pii::{Detector, Mode, Pseudonyms, redact};

/// The shared yardsticks (`../shared/corpus` beside the repository, or `TFTSR_CORPUS`).
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("TFTSR_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        dir.join("cases.tsv").is_file(),
        "the shared corpus is missing at {} (set TFTSR_CORPUS to its folder)",
        dir.display()
    );
    dir
}

/// Redacts everything the built-in engine finds, with labels.
pub fn redact_all(text: &str) -> String {
    let detector = Detector::builtin();
    let findings = detector.scan(text);
    redact(
        text,
        &findings,
        &vec![true; findings.len()],
        Mode::Label,
        &mut Pseudonyms::new(),
    )
    .expect("findings apply")
    .into_text()
}

/// A fake token built at run time, so no secret scanner mistakes the repository for a leak:
/// `prefix` followed by `len` characters cycling through `alphabet`.
pub fn fake(prefix: &str, len: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut s = String::from(prefix);
    for i in 0..len {
        s.push(chars[(i * 7 + 3) % chars.len()]);
    }
    s
}

pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
pub mod server;
pub mod window;

pub const UPPER_DIGITS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A workspace in `root` with its keys in `keys` (the keyring path, with the in-memory store).
pub fn open_workspace(
    root: &std::path::Path,
    keys: &tftsr::keystore::MemoryKeyStore,
) -> tftsr::workspace::Workspace {
    tftsr::workspace::unlock(
        &tftsr::workspace::DataDir::new(root),
        tftsr::workspace::UnlockRequest {
            keystore: keys,
            passphrase: None,
            passphrase_from_env: false,
            scrypt: tftsr::vault::format::ScryptParams::DEFAULT,
        },
    )
    .expect("the workspace opens")
}
