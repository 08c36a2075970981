//! The window's worker thread: real files in a temp dir, one final event per request.
#![cfg(feature = "gui")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tftsr::gui::worker::{Event, Request, StoreConfig, Worker};
use tftsr::keystore::MemoryKeyStore;
use tftsr::pii::{DetectorOptions, Mode};
use tftsr::secret::SecretString;
use tftsr::workspace::DataDir;

/// A worker whose (never unlocked) store would live in a temp dir.
fn worker() -> Worker {
    worker_in(
        &std::env::temp_dir().join("tftsr-test-never-created"),
        false,
    )
    .0
}

/// A worker with its store in `dir` and an in-memory key store, working or not.
fn worker_in(dir: &std::path::Path, keyring_works: bool) -> (Worker, Arc<MemoryKeyStore>) {
    let keys = Arc::new(MemoryKeyStore::default());
    keys.unavailable.store(!keyring_works, Ordering::Relaxed);
    let w = Worker::start(
        || {},
        StoreConfig {
            dir: DataDir::new(dir),
            keystore: keys.clone(),
            env_passphrase: None,
        },
    )
    .expect("worker starts");
    (w, keys)
}

fn next(w: &Worker) -> Event {
    loop {
        match w
            .events
            .recv_timeout(Duration::from_secs(30))
            .expect("an event within 30 s")
        {
            Event::Progress { .. } => continue,
            e => return e,
        }
    }
}

fn open(path: std::path::PathBuf, cancel: bool) -> Request {
    Request::Open {
        id: 7,
        path,
        options: DetectorOptions::default(),
        max_bytes: 1 << 20,
        cancel: Arc::new(AtomicBool::new(cancel)),
    }
}

#[test]
fn open_scan_and_save_a_redacted_copy() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "login from 198.51.100.23\npassword=Fake-pw-123 ok\n").unwrap();
    let w = worker();
    w.send(open(log.clone(), false)).unwrap();
    let Event::Opened { id: 7, review } = next(&w) else {
        panic!("expected Opened")
    };
    assert_eq!(review.findings().len(), 2);

    let out = dir.path().join("chosen").join("copy.log");
    std::fs::create_dir(out.parent().unwrap()).unwrap();
    let mut decisions = review.decisions().to_vec();
    decisions[0] = false; // the person kept the address
    w.send(Request::Save {
        id: 8,
        path: out.clone(),
        text: review.text.clone(),
        findings: review.findings().to_vec(),
        decisions,
        mode: Mode::Label,
    })
    .unwrap();
    let Event::Saved {
        id: 8, redacted: 1, ..
    } = next(&w)
    else {
        panic!("expected Saved")
    };
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "login from 198.51.100.23\npassword=[PASSWORD] ok\n"
    );
    // Nothing was written beside the original.
    let beside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 2, "{beside:?}");
}

#[test]
fn a_directory_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let w = worker();
    w.send(open(dir.path().to_path_buf(), false)).unwrap();
    let Event::Failed { id: 7, message } = next(&w) else {
        panic!("expected Failed")
    };
    assert!(message.contains("is a directory"), "{message}");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let w = worker();
    w.send(open(fifo, false)).unwrap();
    let Event::Failed { message, .. } = next(&w) else {
        panic!("expected Failed")
    };
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn a_cancelled_scan_ends_with_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    std::fs::write(&log, "10.1.2.3\n").unwrap();
    let w = worker();
    w.send(open(log, true)).unwrap();
    assert!(matches!(next(&w), Event::Cancelled { id: 7 }));
}

#[test]
fn unlock_with_the_keyring_then_saves_are_recorded_before_they_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (w, keys) = worker_in(&tmp.path().join("data"), true);
    w.send(Request::Unlock {
        id: 1,
        passphrase: None,
    })
    .unwrap();
    let Event::Unlocked { id: 1, status, .. } = next(&w) else {
        panic!("expected Unlocked")
    };
    assert_eq!(status.key_source, "keyring");
    assert_eq!(status.cipher.page_size, 16384);
    assert_eq!(keys.accounts().len(), 2);

    let log = tmp.path().join("app.log");
    std::fs::write(&log, "login from 198.51.100.23\n").unwrap();
    w.send(open(log, false)).unwrap();
    let Event::Opened { review, .. } = next(&w) else {
        panic!("expected Opened")
    };
    let out = tmp.path().join("out.log");
    w.send(Request::Save {
        id: 9,
        path: out.clone(),
        text: review.text.clone(),
        findings: review.findings().to_vec(),
        decisions: review.decisions().to_vec(),
        mode: Mode::Label,
    })
    .unwrap();
    let Event::Saved {
        id: 9,
        audited: true,
        ..
    } = next(&w)
    else {
        panic!("expected an audited Saved")
    };
    w.send(Request::AuditPage {
        id: 10,
        before: None,
        limit: 5,
    })
    .unwrap();
    let Event::AuditPage { entries, .. } = next(&w) else {
        panic!("expected AuditPage")
    };
    assert_eq!(entries[0].action, "export");
    assert!(entries[0].details.contains(&out.display().to_string()));
    w.send(Request::VerifyAudit { id: 11 }).unwrap();
    let Event::Security { status, .. } = next(&w) else {
        panic!("expected Security")
    };
    assert!(status.verdict.is_ok());
    assert_eq!(status.audit_entries, 5);
}

#[test]
fn no_keyring_asks_for_a_passphrase_then_a_wrong_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (w, _) = worker_in(&data, false);
    w.send(Request::Unlock {
        id: 1,
        passphrase: None,
    })
    .unwrap();
    let Event::Locked {
        passphrase: Some(true),
        message,
        ..
    } = next(&w)
    else {
        panic!("expected a first-run passphrase request")
    };
    assert!(message.contains("keyring"), "{message}");
    w.send(Request::Unlock {
        id: 2,
        passphrase: Some(SecretString::new("first run passphrase".into())),
    })
    .unwrap();
    assert!(matches!(next(&w), Event::Unlocked { id: 2, .. }));
    drop(w);

    let (w, _) = worker_in(&data, false);
    w.send(Request::Unlock {
        id: 3,
        passphrase: None,
    })
    .unwrap();
    assert!(matches!(
        next(&w),
        Event::Locked {
            passphrase: Some(false),
            ..
        }
    ));
    w.send(Request::Unlock {
        id: 4,
        passphrase: Some(SecretString::new("not it".into())),
    })
    .unwrap();
    let Event::Locked {
        passphrase: Some(false),
        message,
        ..
    } = next(&w)
    else {
        panic!("expected a wrong-passphrase refusal")
    };
    assert!(message.contains("wrong passphrase"), "{message}");
}
