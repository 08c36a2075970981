//! The incident workflow on a real store: issues, search, attached logs, a chat turn with a
//! loopback provider (the 5-Whys block parsed and applied), resolution steps, pseudonyms per
//! issue, and everything still there after reopening.

mod common;

use common::server::{Reply, Server};
use std::sync::atomic::AtomicBool;
use std::time::Duration;
use tftsr::ai::send::send;
use tftsr::ai::{Conversation, ProviderKind, ProviderOptions};
use tftsr::egress::Egress;
use tftsr::input::decode;
use tftsr::keystore::MemoryKeyStore;
use tftsr::pii::{Detector, Mode, Pseudonyms};
use tftsr::review::Review;
use tftsr::secret::SecretString;
use tftsr::store::records::NewIssue;
use tftsr::store::triage::IssueFilter;
use tftsr::triage::whys;
use tftsr::workspace::{DataDir, Workspace};

fn open(dir: &DataDir, keys: &MemoryKeyStore) -> Workspace {
    common::open_workspace(dir.root(), keys)
}

const CANARY_HOST: &str = "db-canary-07.corp.internal";
const CANARY_IP: &str = "10.77.1.99";
const CANARY_MAIL: &str = "oncall.canary@example.org";

fn reply_with_why() -> Reply {
    let block = "```tftsr\n{\"why_level\": 1, \"why_question\": \"Why did the API fail?\", \"why_answer\": \"The database refused connections.\", \"root_cause\": null}\n```";
    Reply::stream(
        "text/event-stream",
        vec![
            format!(
                "data: {}\n\n",
                serde_json::json!({"choices":[{"delta":{"content":"[HOSTNAME-1] refused connections. "}}]})
            ),
            format!(
                "data: {}\n\n",
                serde_json::json!({"choices":[{"delta":{"content": block}}]})
            ),
            "data: [DONE]\n\n".into(),
        ],
        Duration::from_millis(5),
    )
}

/// One chat turn exactly as the window's worker does it.
fn turn(
    ws: &mut Workspace,
    map: &mut Pseudonyms,
    issue: &str,
    provider: &str,
    text: &str,
) -> String {
    let cfg = ws.provider(provider).unwrap();
    let egress = Egress::new(ws.network_policy().unwrap());
    let message = Review::of_text("message", text, &Detector::builtin())
        .approve(Mode::Pseudonym, map, format!("issue:{issue}:message"))
        .unwrap();
    let context = ws
        .issue_context(issue, Mode::Pseudonym, map, 48 * 1024)
        .unwrap();
    ws.keep_pseudonyms(issue, map).unwrap();
    let t = ws.begin_turn(issue, &message).unwrap();
    let messages = ws.conversation_messages(issue, &t, context).unwrap();
    let domain = ws.issue(issue).unwrap().issue.domain;
    let conv = Conversation {
        system: tftsr::triage::system_prompt(&domain),
        messages: &messages,
    };
    let outcome = send(
        ws,
        &egress,
        &cfg,
        &conv,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    let (_, update) = whys::parse(&outcome.reply.text);
    ws.finish_turn(issue, &t, &outcome.reply.text, "complete", update.as_ref())
        .unwrap();
    outcome.reply.text
}

#[test]
fn an_incident_from_creation_to_root_cause_survives_a_restart_and_leaks_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeyStore::default();
    let server = Server::start(|_, _| reply_with_why());
    let issue_id;
    {
        let mut ws = open(&dir, &keys);
        ws.add_origin(&server.url()).unwrap();
        let cfg = ws
            .add_provider(
                "local",
                ProviderKind::OpenAi,
                Some(&format!("{}/v1", server.url())),
                "m",
                ProviderOptions::default(),
            )
            .unwrap();
        ws.set_provider_key(
            &cfg.id,
            &SecretString::new(common::fake("sk-t-", 30, common::ALNUM)),
        )
        .unwrap();
        issue_id = ws
            .open_issue(&NewIssue {
                title: &format!("API down, {CANARY_HOST} refusing"),
                description: &format!("Paged by {CANARY_MAIL}; first seen from {CANARY_IP}"),
                domain: "databases",
                severity: "P1",
            })
            .unwrap();
        let log = format!(
            "02:13:07 postgres[1]: connection from {CANARY_IP} refused on {CANARY_HOST}\n02:13:08 kept 192.0.2.55 ok\n"
        );
        let loaded = decode(log.into_bytes()).unwrap();
        let findings = Detector::builtin().scan(&loaded.text);
        let mut review = Review::new("pg.log".into(), loaded, findings);
        let keep = review
            .findings()
            .iter()
            .position(|f| review.text[f.start..f.end] == *"192.0.2.55")
            .unwrap();
        review.toggle(keep); // the person keeps one address
        let mut map = ws.load_pseudonyms(&issue_id).unwrap();
        ws.set_keep_pseudonyms(&issue_id, true, &map).unwrap();
        ws.attach_log(&issue_id, &review, Mode::Pseudonym, &mut map)
            .unwrap();
        let answer = turn(
            &mut ws,
            &mut map,
            &issue_id,
            "local",
            &format!("why would {CANARY_HOST} refuse {CANARY_IP}?"),
        );
        assert!(answer.contains("[HOSTNAME-1]"));

        // The provider saw pseudonyms, the kept value, and none of the canaries.
        let raw = server.requests()[0].raw_text();
        for canary in [CANARY_HOST, CANARY_IP, CANARY_MAIL] {
            assert!(!raw.contains(canary), "the provider received {canary}");
        }
        assert!(
            raw.contains("192.0.2.55"),
            "a value the person kept is sent as kept"
        );
        assert!(raw.contains("[HOSTNAME-1]") && raw.contains("[IPV4-1]"));
        let body = server.requests()[0].json();
        assert!(
            body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains("database"),
            "domain prompt"
        );
        assert!(
            body["messages"][0]["content"]
                .as_str()
                .unwrap()
                .contains("```tftsr"),
            "5 whys protocol"
        );

        // The why block moved the tracker and became a resolution step.
        let row = ws.issue(&issue_id).unwrap();
        assert_eq!(row.why.level, 1);
        let steps = ws.steps(&issue_id).unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(steps[0].answer, "The database refused connections.");
        ws.confirm_root_cause(&issue_id, "Connection limit too low for the new pool size")
            .unwrap();
        let mut step = steps[0].clone();
        step.done = true;
        step.evidence = "pg.log line 1".into();
        ws.update_step(&issue_id, &step).unwrap();
        ws.add_step(&issue_id, "Raise max_connections").unwrap();
        assert!(ws.verify_audit().unwrap().is_ok());
    }
    // Restart: everything is as it was.
    let mut ws = open(&dir, &keys);
    let row = ws.issue(&issue_id).unwrap();
    assert_eq!(row.why.level, 1);
    assert!(row.why.confirmed_at.is_some());
    let messages = ws.messages(&issue_id).unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[1].state, "complete");
    assert!(
        !messages[0].content.contains(CANARY_HOST),
        "messages are stored as sent (redacted)"
    );
    let steps = ws.steps(&issue_id).unwrap();
    assert_eq!(steps.len(), 2);
    assert!(steps[0].done && steps[0].evidence == "pg.log line 1");
    // The kept map gives the same pseudonyms in the next session; never a secret in it.
    let map = ws.load_pseudonyms(&issue_id).unwrap();
    let reverse = map.reverse();
    assert_eq!(
        reverse.get("[HOSTNAME-1]").map(String::as_str),
        Some(CANARY_HOST)
    );
    let kinds: Vec<String> = ws
        .store()
        .conn()
        .prepare("SELECT DISTINCT kind FROM pseudonyms")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        kinds
            .iter()
            .all(|k| ["ipv4", "hostname", "email"].contains(&k.as_str())),
        "{kinds:?}"
    );
    // Search covers titles, logs and messages.
    for (query, hits) in [("refusing", 1), ("postgres", 1), ("nothing-like-this", 0)] {
        let found = ws
            .issues(&IssueFilter {
                search: Some(query.into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.len(), hits, "{query}");
    }
    // Resolve, then delete (audited); the search entries go with it.
    ws.set_issue_status(&issue_id, true).unwrap();
    assert_eq!(
        ws.issues(&IssueFilter {
            status: Some("resolved".into()),
            ..Default::default()
        })
        .unwrap()
        .len(),
        1
    );
    ws.remove_issue(&issue_id).unwrap();
    let left: i64 = ws
        .store()
        .conn()
        .query_row("SELECT count(*) FROM search", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    let actions: Vec<String> = tftsr::audit::page(ws.store().conn(), None, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "issue_created",
        "redaction_approved",
        "ai_send",
        "ai_outcome",
        "root_cause_confirmed",
        "issue_resolved",
        "issue_deleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} is audited");
    }
    assert!(ws.verify_audit().unwrap().is_ok());
}

#[test]
fn a_reply_cut_by_a_crash_is_marked_interrupted_at_the_next_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeyStore::default();
    let issue;
    {
        let mut ws = open(&dir, &keys);
        issue = ws
            .open_issue(&NewIssue {
                title: "t",
                description: "",
                domain: "linux",
                severity: "P3",
            })
            .unwrap();
        let message = Review::of_text("m", "hello", &Detector::builtin())
            .approve(Mode::Label, &mut Pseudonyms::new(), "m")
            .unwrap();
        ws.begin_turn(&issue, &message).unwrap();
        // TFTSR stops here: the assistant row stays "streaming".
    }
    let ws = open(&dir, &keys);
    assert!(
        ws.notes.iter().any(|n| n.contains("interrupted")),
        "{:?}",
        ws.notes
    );
    let messages = ws.messages(&issue).unwrap();
    assert_eq!(messages[1].state, "interrupted");
}

#[test]
fn issue_input_is_validated() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ws = open(&DataDir::new(tmp.path()), &MemoryKeyStore::default());
    for (title, domain, severity) in [
        ("", "linux", "P1"),
        ("x", "mainframe", "P1"),
        ("x", "linux", "P9"),
    ] {
        assert!(
            ws.open_issue(&NewIssue {
                title,
                description: "",
                domain,
                severity
            })
            .is_err()
        );
    }
}
