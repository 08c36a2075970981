//! RCA and post-mortem documents: golden Markdown for a fixture issue with hostile text, HTML
//! export without scripts, images or links, and the export round trip on a real store (redacted,
//! audited with path and SHA-256).

mod common;

use sha2::{Digest, Sha256};
use std::path::Path;
use tftsr::keystore::MemoryKeyStore;
use tftsr::store::records::{Issue, NewIssue};
use tftsr::store::triage::{EventRow, LogRow, StepRow, WhyState};
use tftsr::triage::documents::{self, DocInput, DocKind};

const HOSTILE: &str = "db | cache\nsecond line <script>alert(1)</script> ![x](http://evil.example/p.png) [click](http://evil.example)";

fn fixture() -> (Issue, WhyState, Vec<StepRow>, Vec<LogRow>, Vec<EventRow>) {
    let issue = Issue {
        id: "issue-1".into(),
        title: "Checkout fails | <b>P1</b>".into(),
        description: HOSTILE.into(),
        domain: "databases".into(),
        severity: "P1".into(),
        status: "resolved".into(),
        created_at: 1_796_342_400_000,
        updated_at: 1_796_350_000_000,
    };
    let why = WhyState {
        level: 2,
        root_cause: Some("Pool size | max_connections mismatch".into()),
        confirmed_at: Some(1_796_346_000_000),
        keep_pseudonyms: false,
    };
    let steps = vec![
        StepRow {
            id: "s1".into(),
            position: 1,
            why_level: Some(1),
            question: "Why did checkout fail?".into(),
            answer: HOSTILE.into(),
            evidence: "pg.log | line 3".into(),
            done: true,
        },
        StepRow {
            id: "s2".into(),
            position: 2,
            why_level: None,
            question: "Raise max_connections\nand alert at 80%".into(),
            answer: String::new(),
            evidence: String::new(),
            done: false,
        },
    ];
    let logs = vec![LogRow {
        id: "l1".into(),
        name: "pg|main.log".into(),
        size_bytes: 2048,
        redacted_sha256: "0123456789abcdef0123".into(),
        redacted: 7,
        kept: 1,
        approved_at: 1_796_343_000_000,
    }];
    let timeline = vec![EventRow {
        ts_ms: 1_796_342_400_000,
        kind: "created".into(),
        detail: "P1 · Databases".into(),
        issue_title: String::new(),
    }];
    (issue, why, steps, logs, timeline)
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[test]
fn rca_and_postmortem_match_their_golden_markdown() {
    let (issue, why, steps, logs, timeline) = fixture();
    let input = DocInput {
        issue: &issue,
        why: &why,
        resolved_at: Some(1_796_353_200_000),
        steps: &steps,
        logs: &logs,
        timeline: &timeline,
    };
    let rca = documents::rca(&input);
    let pm = documents::postmortem(&input);
    if std::env::var_os("TFTSR_BLESS").is_some() {
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rca_golden.md"),
            &rca,
        )
        .unwrap();
        std::fs::write(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/postmortem_golden.md"),
            &pm,
        )
        .unwrap();
    }
    assert_eq!(rca, golden("rca_golden.md"));
    assert_eq!(pm, golden("postmortem_golden.md"));
    // Hostile text stays text: no raw tags, no image or link syntax, no unescaped cell pipes.
    for doc in [&rca, &pm] {
        assert!(!doc.contains("<script>") && !doc.contains("<b>"));
        assert!(!doc.contains("![x]") && !doc.contains("[click]("));
        for line in doc.lines().filter(|l| l.starts_with('|')) {
            let cells = line.replace("\\|", "").matches('|').count();
            let header = doc
                .lines()
                .find(|h| h.starts_with("| ") && line.starts_with('|'))
                .unwrap();
            assert!(cells >= 3, "{line} / {header}");
        }
    }
    let html = documents::html_page("RCA", &rca);
    assert!(
        !html.contains("<script") && !html.contains("<img") && !html.contains("<a "),
        "{html}"
    );
    assert!(html.contains("&lt;script&gt;"));
    assert!(html.contains("default-src 'none'"));
}

#[test]
fn generate_edit_export_round_trip_is_redacted_and_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ws = common::open_workspace(&tmp.path().join("data"), &keys);
    let id = ws
        .open_issue(&NewIssue {
            title: "db-canary-3.corp.internal refusing 10.20.30.40",
            description: "paged by canary.ops@example.org",
            domain: "databases",
            severity: "P2",
        })
        .unwrap();
    let (v1, md) = ws.generate_document(&id, DocKind::Rca).unwrap();
    assert_eq!(v1, 1);
    for value in [
        "db-canary-3.corp.internal",
        "10.20.30.40",
        "canary.ops@example.org",
    ] {
        assert!(
            !md.contains(value),
            "generated documents are redacted: {value}"
        );
    }
    // The person edits a line — and types a secret into it, which the export redacts.
    let edited = md.replace(
        "_(to be completed)_",
        "Add a connection-pool alert; password=Hunter2-Edit",
    );
    assert_eq!(ws.save_document(&id, DocKind::Rca, &edited).unwrap(), 2);
    let out_md = tmp.path().join("rca.md");
    let out_html = tmp.path().join("rca.html");
    ws.export_document(&id, DocKind::Rca, &out_md, false)
        .unwrap();
    ws.export_document(&id, DocKind::Rca, &out_html, true)
        .unwrap();
    let md_file = std::fs::read_to_string(&out_md).unwrap();
    let html_file = std::fs::read_to_string(&out_html).unwrap();
    for file in [&md_file, &html_file] {
        assert!(
            file.contains("Add a connection-pool alert"),
            "the edit is exported"
        );
        assert!(
            !file.contains("Hunter2-Edit"),
            "a typed secret is redacted on export"
        );
        assert!(!file.contains("10.20.30.40"));
    }
    assert!(html_file.starts_with("<!DOCTYPE html>"));
    // Both exports are recorded, with the path and the SHA-256 of the exact bytes.
    let audit = ws.issue_audit(&id).unwrap();
    let exports: Vec<_> = audit.iter().filter(|e| e.action == "export").collect();
    assert_eq!(exports.len(), 2);
    for (e, path) in exports.iter().rev().zip([&out_md, &out_html]) {
        let sha = tftsr::secret::hex(&Sha256::digest(std::fs::read(path).unwrap()));
        assert!(
            e.details.contains(&sha) && e.details.contains(&path.display().to_string()),
            "{}",
            e.details
        );
    }
    assert!(ws.verify_audit().unwrap().is_ok());
    // The timeline has the whole story.
    let kinds: Vec<String> = ws
        .timeline(Some(&id), 50)
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "created",
        "document_generated",
        "document_saved",
        "document_exported",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k}: {kinds:?}");
    }
}

/// Fields are redacted before Markdown escaping: escaping first turned `ann_lee@example.org`
/// into `ann\_lee@…`, and detection then missed `ann`.
#[test]
fn values_with_markdown_characters_are_redacted_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = MemoryKeyStore::default();
    let mut ws = common::open_workspace(&tmp.path().join("data"), &keys);
    let id = ws
        .open_issue(&NewIssue {
            title: "mail bounce",
            description: "reported by ann_lee@example.org",
            domain: "application",
            severity: "P3",
        })
        .unwrap();
    let (_, md) = ws.generate_document(&id, DocKind::PostMortem).unwrap();
    assert!(!md.contains("ann"), "{md}");
}
