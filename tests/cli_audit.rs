//! `tftsr audit verify|export` as a person runs them: a fresh data directory, a passphrase in
//! TFTSR_DB_KEY, a wrong passphrase, an edited database, no keyring at all.

use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use tftsr::secret::{SecretString, hex};
use tftsr::store::{DbKey, Store};

const KEY: &str = "cli audit passphrase";

fn tftsr(data: &Path, db_key: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tftsr"));
    cmd.args(args)
        .env("TFTSR_DATA_DIR", data)
        .env_remove("TFTSR_DB_KEY")
        .env_remove("TFTSR_ENCRYPTION_KEY")
        // Never reach a real desktop keyring from a test.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/tftsr-test-bus",
        )
        .stdin(Stdio::null());
    if let Some(k) = db_key {
        cmd.env("TFTSR_DB_KEY", k);
    }
    cmd.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sha(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn verify_creates_the_store_on_first_use_and_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tftsr(&data, Some(KEY), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("intact: 4 entries"),
        "{}",
        text(&out.stdout)
    );
    assert!(data.join("tftsr.db").is_file() && data.join("vault.bin").is_file());
}

#[test]
fn wrong_passphrase_exits_2_and_leaves_the_database_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert_eq!(
        tftsr(&data, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
    let before = sha(&data.join("tftsr.db"));
    let out = tftsr(&data, Some("not the passphrase"), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(
        !err.contains("not the passphrase"),
        "the key is never echoed"
    );
    assert_eq!(sha(&data.join("tftsr.db")), before);
}

#[test]
fn no_keyring_and_no_passphrase_is_a_clear_error_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tftsr(&data, None, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("TFTSR_DB_KEY"), "{err}");
    assert!(!data.join("tftsr.db").exists() && !data.join("vault.bin").exists());
}

#[test]
fn an_edited_row_exits_1_naming_it_and_removed_rows_are_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert_eq!(
        tftsr(&data, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
    // Two exports add entries 5 and 6.
    for _ in 0..2 {
        let out = tftsr(&data, Some(KEY), &["audit", "export", "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let store = Store::open(
        &data.join("tftsr.db"),
        &DbKey::Passphrase(SecretString::new(KEY.into())),
    )
    .unwrap();
    store
        .conn()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
             UPDATE audit_log SET entity_id = 'edited' WHERE seq = 2;",
        )
        .unwrap();
    drop(store);
    let out = tftsr(&data, Some(KEY), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("seq 2"), "{}", text(&out.stdout));

    // Removing the newest rows of another store is caught by its anchor.
    let data2 = tmp.path().join("data2");
    assert_eq!(
        tftsr(&data2, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
    let store = Store::open(
        &data2.join("tftsr.db"),
        &DbKey::Passphrase(SecretString::new(KEY.into())),
    )
    .unwrap();
    store
        .conn()
        .execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 3;")
        .unwrap();
    drop(store);
    let out = tftsr(&data2, Some(KEY), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("seq 3"), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("anchor"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn export_writes_jsonl_and_is_itself_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let out = tftsr(&data, Some(KEY), &["audit", "export", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], i as i64 + 1);
        assert_eq!(line["user_id"], "local");
        assert_eq!(line["action"], "key_created");
        assert!(line["ts"].as_str().unwrap().ends_with('Z'));
    }
    let file = tmp.path().join("audit.jsonl");
    let out = tftsr(
        &data,
        Some(KEY),
        &["audit", "export", "-o", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0));
    let exported = std::fs::read_to_string(&file).unwrap();
    let last: serde_json::Value = serde_json::from_str(exported.lines().last().unwrap()).unwrap();
    assert_eq!(
        last["action"], "export",
        "the first export is in the second"
    );
    assert_eq!(
        tftsr(&data, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
}

/// Regression: `audit export -o $TFTSR_DATA_DIR/tftsr.db` replaced the encrypted store with the
/// plaintext export (and `-o …/vault.bin` destroyed every key). Nothing is written into the
/// data directory by an export or a redacted copy.
#[test]
fn exports_never_write_into_the_data_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    assert_eq!(
        tftsr(&data, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
    let (db, vault) = (data.join("tftsr.db"), data.join("vault.bin"));
    let (db_sha, vault_sha) = (sha(&db), sha(&vault));
    for target in [&db, &vault, &data.join("new.jsonl")] {
        let out = tftsr(
            &data,
            Some(KEY),
            &["audit", "export", "-o", target.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("data directory"),
            "{}",
            text(&out.stderr)
        );
    }
    let log = tmp.path().join("in.log");
    std::fs::write(&log, "from 10.0.0.1\n").unwrap();
    let out = tftsr(
        &data,
        None,
        &["redact", log.to_str().unwrap(), "-o", db.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!((sha(&db), sha(&vault)), (db_sha, vault_sha));
    assert!(!data.join("new.jsonl").exists());
    assert_eq!(
        tftsr(&data, Some(KEY), &["audit", "verify"]).status.code(),
        Some(0)
    );
}
