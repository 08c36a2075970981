//! `tftsr provider`, `tftsr network` and `tftsr ask` as a person runs them, against a loopback
//! server speaking the OpenAI format.

mod common;

use common::server::{Reply, Server};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const KEY: &str = "cli ai passphrase";

fn tftsr(data: &Path, args: &[&str], stdin: &[u8], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tftsr"));
    cmd.args(args)
        .env("TFTSR_DATA_DIR", data)
        .env("TFTSR_DB_KEY", KEY)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/tftsr-test-bus",
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    text(&out.stdout)
}

/// Allows the loopback server's origin and adds it as an OpenAI-compatible provider.
fn loopback_provider(data: &Path, server: &Server, name: &str, key: &[u8]) {
    ok(&tftsr(data, &["network", "allow", &server.url()], b"", &[]));
    let url = format!("{}/v1", server.url());
    let args = [
        "provider", "add", name, "--kind", "openai", "--model", "m", "--url", &url,
    ];
    ok(&tftsr(data, &args, key, &[]));
}

fn openai() -> Server {
    Server::start(|_, _| {
        Reply::stream(
            "text/event-stream",
            vec![
                "data: {\"choices\":[{\"delta\":{\"content\":\"The disk on \"}}]}\n\n".into(),
                "data: {\"choices\":[{\"delta\":{\"content\":\"[HOSTNAME-1] is full.\"}}]}\n\n"
                    .into(),
                "data: [DONE]\n\n".into(),
            ],
            Duration::from_millis(5),
        )
    })
}

#[test]
fn ask_sends_only_redacted_text_and_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = openai();
    let key = common::fake("sk-cli-", 32, common::ALNUM);
    ok(&tftsr(
        &data,
        &["network", "allow", &server.url()],
        b"",
        &[],
    ));
    let url = format!("{}/v1", server.url());
    let added = tftsr(
        &data,
        &[
            "provider",
            "add",
            "local-openai",
            "--kind",
            "openai",
            "--model",
            "gpt-test",
            "--url",
            &url,
        ],
        key.as_bytes(),
        &[],
    );
    ok(&added);
    assert!(
        !text(&added.stderr).contains(&key),
        "the key is never echoed"
    );
    let list = ok(&tftsr(&data, &["provider", "list"], b"", &[]));
    assert!(
        list.contains("local-openai\topenai\tgpt-test") && list.contains("key: set"),
        "{list}"
    );
    assert!(!list.contains(&key));

    let aws = common::fake("AKIA", 16, common::UPPER_DIGITS);
    let log = tmp.path().join("canary.log");
    std::fs::write(
        &log,
        format!(
            "Dec 10 02:13:07 db-prod-07.corp.internal postgres: auth failed for svc_billing from 10.42.7.19\n\
             Dec 10 02:13:08 app: contact jane.doe@example.org, password=Canary-Pw-991\n\
             Dec 10 02:13:09 app: AWS_ACCESS_KEY_ID={aws}\n"
        ),
    )
    .unwrap();
    // Proxy variables pointing at a trap: ignored, the trap sees nothing.
    let trap = Server::start(|_, _| Reply::json(200, "{}"));
    let proxy = trap.url();
    let asked = tftsr(
        &data,
        &[
            "ask",
            "--provider",
            "local-openai",
            "--file",
            log.to_str().unwrap(),
            "what failed on 10.42.7.19?",
        ],
        b"",
        &[
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("http_proxy", &proxy),
        ],
    );
    let answer = ok(&asked);
    assert_eq!(answer.trim(), "The disk on [HOSTNAME-1] is full.");
    let summary = text(&asked.stderr);
    assert!(
        summary.contains("redacted before sending") && summary.contains("ipv4 2"),
        "{summary}"
    );
    assert_eq!(trap.connection_count(), 0, "proxy variables are ignored");
    let raw = server.requests()[0].raw_text();
    for value in [
        "db-prod-07.corp.internal",
        "10.42.7.19",
        "jane.doe@example.org",
        "Canary-Pw-991",
        aws.as_str(),
    ] {
        assert!(!raw.contains(value), "the server received {value}");
    }
    assert!(
        raw.contains("[IPV4-1]"),
        "the question and the log share pseudonyms: {raw}"
    );

    let verify = ok(&tftsr(&data, &["audit", "verify"], b"", &[]));
    assert!(verify.contains("intact"), "{verify}");
    let export = ok(&tftsr(&data, &["audit", "export"], b"", &[]));
    let actions: Vec<String> = export
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let send = actions
        .iter()
        .position(|a| a == "ai_send")
        .expect("an ai_send entry");
    assert_eq!(actions[send + 1], "ai_outcome");
    assert!(!export.contains("Canary-Pw-991") && !export.contains(&key));
}

#[test]
fn disallowed_and_confused_urls_are_refused_without_a_connection() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = openai();
    // Not on the allow-list: refused at ask time, no connection.
    let url = format!("{}/v1", server.url());
    ok(&tftsr(
        &data,
        &[
            "provider", "add", "p", "--kind", "openai", "--model", "m", "--url", &url,
        ],
        b"k-123",
        &[],
    ));
    let out = tftsr(&data, &["ask", "--provider", "p", "hello"], b"", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not an allowed origin"),
        "{}",
        text(&out.stderr)
    );
    // A userinfo-confused URL is refused when the provider is added.
    let confused = format!("http://api.openai.com@127.0.0.1:{}/v1", server.port);
    let out = tftsr(
        &data,
        &[
            "provider", "add", "q", "--kind", "openai", "--model", "m", "--url", &confused,
        ],
        b"k",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("user name or password"),
        "{}",
        text(&out.stderr)
    );
    // Plain HTTP to a non-loopback host cannot be allowed.
    let out = tftsr(
        &data,
        &["network", "allow", "http://llm.corp.example"],
        b"",
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(server.connection_count(), 0);
}

#[test]
fn provider_test_and_remove() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = openai();
    loopback_provider(&data, &server, "t", b"k-1");
    let tested = ok(&tftsr(&data, &["provider", "test", "t"], b"", &[]));
    assert!(tested.starts_with("ok: t answered"), "{tested}");
    ok(&tftsr(&data, &["provider", "remove", "t"], b"", &[]));
    assert_eq!(
        ok(&tftsr(&data, &["provider", "list"], b"", &[])).trim(),
        ""
    );
}

/// Regression: a password redacted on its `password=` line went out in clear where it appeared
/// again — later in the log, or in the question; and a home-path user name stayed in clear as
/// `user=`. A value found once is redacted everywhere it is sent.
#[test]
fn a_value_found_once_is_redacted_wherever_it_appears() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = openai();
    loopback_provider(&data, &server, "p", b"k-12345");
    let pw = common::fake("Pw-", 12, common::ALNUM);
    let log = tmp.path().join("app.log");
    std::fs::write(
        &log,
        format!("db password={pw} set\nretrying with {pw} again\nopened /home/usrqzx/app.conf user=usrqzx\n"),
    )
    .unwrap();
    // The question comes on stdin (`-`), out of the process list, and repeats the password.
    let asked = tftsr(
        &data,
        &[
            "ask",
            "--provider",
            "p",
            "--file",
            log.to_str().unwrap(),
            "-",
        ],
        format!("does {pw} still work for usrqzx?").as_bytes(),
        &[],
    );
    ok(&asked);
    let raw = server.requests()[0].raw_text();
    assert!(!raw.contains(&pw), "the password went out: {raw}");
    assert!(!raw.contains("usrqzx"), "the user name went out: {raw}");
    let empty = tftsr(&data, &["ask", "--provider", "p", "-"], b"   \n", &[]);
    assert_eq!(empty.status.code(), Some(2));
    assert!(
        text(&empty.stderr).contains("empty"),
        "{}",
        text(&empty.stderr)
    );
    assert_eq!(
        server.connection_count(),
        1,
        "an empty question is not sent"
    );
}

/// `ask` takes the same rules as `redact`: custom terms and patterns are redacted from what it
/// sends, allowed values are kept.
#[test]
fn ask_applies_custom_terms_patterns_and_the_allow_list() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let server = openai();
    loopback_provider(&data, &server, "p", b"k-12345");
    ok(&tftsr(
        &data,
        &[
            "ask",
            "--provider",
            "p",
            "--term",
            "Globex Corp",
            "--pattern",
            "TKT-[0-9]{5}",
            "--allow",
            "192.0.2.10",
            "why does Globex Corp ticket TKT-48213 mention 192.0.2.10 and 192.0.2.11?",
        ],
        b"",
        &[],
    ));
    let raw = server.requests()[0].raw_text();
    assert!(
        !raw.contains("Globex Corp") && !raw.contains("TKT-48213") && !raw.contains("192.0.2.11"),
        "{raw}"
    );
    assert!(
        raw.contains("192.0.2.10"),
        "an allowed value is kept: {raw}"
    );
}
