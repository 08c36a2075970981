//! The window's worker thread: real files in a temp dir, one final event per request.
#![cfg(feature = "gui")]

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tftsr::gui::worker::{Event, Request, Worker};
use tftsr::pii::{DetectorOptions, Mode};

fn worker() -> Worker {
    Worker::start(|| {}).expect("worker starts")
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
