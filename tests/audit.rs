//! The audit chain against an attacker who can edit the database file (with the key, triggers
//! dropped) but not the vault: edits, removals, swaps, truncation, rollback, recomputed hashes —
//! and a crash between a commit and its anchor, which must not look like tampering.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use tftsr::audit::{AuditKey, Entry, Verdict, entry_hash};
use tftsr::keystore::MemoryKeyStore;
use tftsr::secret::{Key32, SecretString, hex};
use tftsr::store::records::NewIssue;
use tftsr::store::{DbKey, Store};
use tftsr::vault::format::ScryptParams;
use tftsr::workspace::{DataDir, UnlockRequest, Workspace, unlock};

const PASSPHRASE: &str = "audit tamper tests";

fn open(dir: &DataDir, keys: &MemoryKeyStore) -> Workspace {
    unlock(
        dir,
        UnlockRequest {
            keystore: keys,
            passphrase: Some(SecretString::new(PASSPHRASE.into())),
            passphrase_from_env: false,
            scrypt: ScryptParams {
                log_n: 10,
                r: 8,
                p: 1,
            },
        },
    )
    .unwrap()
}

/// A workspace with 4 key_created entries and `n` issue_created entries after them.
fn with_entries(n: usize) -> (tempfile::TempDir, DataDir, MemoryKeyStore) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeyStore::default();
    let mut ws = open(&dir, &keys);
    for i in 0..n {
        ws.create_issue(&NewIssue {
            title: &format!("issue {i}"),
            description: "",
            domain: "network",
            severity: "P3",
        })
        .unwrap();
    }
    (tmp, dir, keys)
}

/// The attacker's view: the database with its key, triggers dropped.
fn attacker(dir: &DataDir) -> Store {
    let store = Store::open(
        &dir.db_path(),
        &DbKey::Passphrase(SecretString::new(PASSPHRASE.into())),
    )
    .unwrap();
    store
        .conn()
        .execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
        .unwrap();
    store
}

fn verdict(dir: &DataDir, keys: &MemoryKeyStore) -> Verdict {
    open(dir, keys).verify_audit().unwrap()
}

fn broken_at(v: &Verdict) -> i64 {
    match v {
        Verdict::Broken { seq, .. } => *seq,
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn untouched_chain_verifies() {
    let (_tmp, dir, keys) = with_entries(5);
    assert_eq!(verdict(&dir, &keys), Verdict::Intact { entries: 9 });
}

#[test]
fn triggers_refuse_update_and_delete() {
    let (_tmp, dir, keys) = with_entries(1);
    let ws = open(&dir, &keys);
    let conn = ws.store().conn();
    let update = conn.execute("UPDATE audit_log SET action = 'x' WHERE seq = 1", []);
    let delete = conn.execute("DELETE FROM audit_log WHERE seq = 1", []);
    for result in [update, delete] {
        let err = result.unwrap_err().to_string();
        assert!(err.contains("append-only"), "{err}");
    }
}

#[test]
fn editing_entry_k_fails_at_k() {
    for k in [1, 3, 6] {
        let (_tmp, dir, keys) = with_entries(3);
        attacker(&dir)
            .conn()
            .execute(
                "UPDATE audit_log SET details = '{\"severity\":\"P4\"}' WHERE seq = ?1",
                [k],
            )
            .unwrap();
        assert_eq!(broken_at(&verdict(&dir, &keys)), k);
    }
}

#[test]
fn deleting_a_middle_entry_fails_there() {
    let (_tmp, dir, keys) = with_entries(3);
    attacker(&dir)
        .conn()
        .execute("DELETE FROM audit_log WHERE seq = 5", [])
        .unwrap();
    assert_eq!(broken_at(&verdict(&dir, &keys)), 5);
}

#[test]
fn swapping_two_entries_fails() {
    let (_tmp, dir, keys) = with_entries(3);
    let store = attacker(&dir);
    // Renumber 5 and 6 into each other's place (all fields travel with them).
    store
        .conn()
        .execute_batch(
            "UPDATE audit_log SET seq = -1 WHERE seq = 5;
             UPDATE audit_log SET seq = 5 WHERE seq = 6;
             UPDATE audit_log SET seq = 6 WHERE seq = -1;",
        )
        .unwrap();
    drop(store);
    assert_eq!(broken_at(&verdict(&dir, &keys)), 5);
}

#[test]
fn deleting_the_newest_entries_is_caught_by_the_anchor() {
    let (_tmp, dir, keys) = with_entries(4); // seq 1..=8
    attacker(&dir)
        .conn()
        .execute("DELETE FROM audit_log WHERE seq > 6", [])
        .unwrap();
    let v = verdict(&dir, &keys);
    assert_eq!(broken_at(&v), 7, "{v:?}");
}

#[test]
fn restoring_an_older_copy_of_the_database_is_detected() {
    let (tmp, dir, keys) = with_entries(1);
    let old = tmp.path().join("old.db");
    std::fs::copy(dir.db_path(), &old).unwrap();
    {
        let mut ws = open(&dir, &keys);
        for _ in 0..3 {
            ws.create_issue(&NewIssue {
                title: "later",
                description: "",
                domain: "linux",
                severity: "P1",
            })
            .unwrap();
        }
    }
    std::fs::copy(&old, dir.db_path()).unwrap();
    let v = verdict(&dir, &keys);
    assert!(matches!(v, Verdict::Broken { .. }), "{v:?}");
    // An audited operation on the rolled-back store is refused rather than hiding the gap.
    let mut ws = open(&dir, &keys);
    let err = ws
        .create_issue(&NewIssue {
            title: "after rollback",
            description: "",
            domain: "linux",
            severity: "P1",
        })
        .unwrap_err();
    assert!(err.to_string().contains("did not verify"), "{err}");
}

#[test]
fn recomputing_the_chain_without_the_key_fails() {
    let (_tmp, dir, keys) = with_entries(3);
    let store = attacker(&dir);
    let entries = tftsr::audit::page(store.conn(), None, 100).unwrap();
    let mut entries: Vec<Entry> = entries.into_iter().rev().collect();
    // Edit entry 5 and re-chain everything after it with a key of the attacker's own.
    let guess = AuditKey::new(Key32::random().unwrap());
    let mut prev = entries[3].entry_hash.clone();
    for e in entries.iter_mut().skip(4) {
        if e.seq == 5 {
            e.details = "{\"severity\":\"P4\"}".into();
        }
        e.prev_hash = prev.clone();
        e.entry_hash = hex(&entry_hash(&guess, e));
        prev = e.entry_hash.clone();
        store
            .conn()
            .execute(
                "UPDATE audit_log SET details = ?1, prev_hash = ?2, entry_hash = ?3 WHERE seq = ?4",
                rusqlite::params![e.details, e.prev_hash, e.entry_hash, e.seq],
            )
            .unwrap();
    }
    drop(store);
    assert_eq!(broken_at(&verdict(&dir, &keys)), 5);
}

#[test]
fn a_crash_between_commit_and_anchor_is_re_anchored_not_flagged() {
    let (tmp, dir, keys) = with_entries(2);
    let saved_vault = tmp.path().join("vault.before");
    std::fs::copy(dir.vault_path(), &saved_vault).unwrap();
    {
        let mut ws = open(&dir, &keys);
        ws.create_issue(&NewIssue {
            title: "the last one",
            description: "",
            domain: "linux",
            severity: "P2",
        })
        .unwrap();
    }
    // The vault as it was before the anchor moved: the database is exactly one entry ahead.
    std::fs::copy(&saved_vault, dir.vault_path()).unwrap();
    let mut ws = open(&dir, &keys);
    assert!(
        ws.notes.iter().any(|n| n.contains("re-anchored")),
        "{:?}",
        ws.notes
    );
    let v = ws.verify_audit().unwrap();
    assert_eq!(
        v,
        Verdict::Intact { entries: 8 },
        "7 entries + audit_reanchored"
    );
    // Two entries ahead is not a crash: it is flagged.
    std::fs::copy(dir.vault_path(), &saved_vault).unwrap();
    for title in ["x", "y"] {
        ws.create_issue(&NewIssue {
            title,
            description: "",
            domain: "linux",
            severity: "P2",
        })
        .unwrap();
    }
    drop(ws);
    std::fs::copy(&saved_vault, dir.vault_path()).unwrap();
    assert!(matches!(verdict(&dir, &keys), Verdict::Broken { .. }));
}

/// Run as a child by `kill_9_during_a_burst_loses_nothing_acknowledged`: creates issues until
/// killed, printing each id once its transaction has committed.
#[test]
fn burst_child() {
    let Some(root) = std::env::var_os("TFTSR_TEST_BURST_DIR") else {
        return;
    };
    let dir = DataDir::new(root);
    let keys = MemoryKeyStore::default();
    let mut ws = open(&dir, &keys);
    for i in 0.. {
        let id = ws
            .create_issue(&NewIssue {
                title: &format!("burst {i}"),
                description: "written under kill -9",
                domain: "databases",
                severity: "P4",
            })
            .unwrap();
        println!("ACK {id}");
    }
}

#[test]
fn kill_9_during_a_burst_loses_nothing_acknowledged() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    drop(open(&DataDir::new(&root), &MemoryKeyStore::default()));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "burst_child", "--nocapture", "--test-threads=1"])
        .env("TFTSR_TEST_BURST_DIR", &root)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 40 {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(id) = line.strip_prefix("ACK ") {
            acked.push(id.to_string());
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    assert_eq!(acked.len(), 40, "the child wrote its burst");

    let dir = DataDir::new(&root);
    let mut ws = open(&dir, &MemoryKeyStore::default());
    assert!(ws.store().integrity_check().unwrap());
    for id in &acked {
        assert!(
            tftsr::store::records::get_issue(ws.store().conn(), id)
                .unwrap()
                .is_some(),
            "acknowledged issue {id} is missing"
        );
    }
    assert!(ws.verify_audit().unwrap().is_ok(), "{:?}", ws.notes);
    assert!(!Path::new(&root).join("unlock-failures.log").exists());
}
