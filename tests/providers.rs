//! Providers against real HTTP servers on loopback, each speaking its wire format: streaming,
//! errors, retries, redirects, timeouts, cancel — and a canary: what the server receives never
//! holds a value the gate redacted.

mod common;

use common::server::{Reply, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tftsr::ai::send::{SendError, send};
use tftsr::ai::{
    Content, Conversation, CustomShape, Message, ProviderConfig, ProviderKind, ProviderOptions,
    Role,
};
use tftsr::egress::{Egress, EgressError, Policy, Timeouts};
use tftsr::keystore::MemoryKeyStore;
use tftsr::pii::{Detector, Mode, Pseudonyms};
use tftsr::review::Review;
use tftsr::secret::SecretString;
use tftsr::workspace::{DataDir, UnlockRequest, Workspace, unlock};

struct Fixture {
    _tmp: tempfile::TempDir,
    ws: Workspace,
    key: String,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let keys = Box::leak(Box::new(MemoryKeyStore::default()));
    let ws = unlock(
        &DataDir::new(tmp.path().join("data")),
        UnlockRequest {
            keystore: keys,
            passphrase: None,
            passphrase_from_env: false,
            scrypt: tftsr::vault::format::ScryptParams::DEFAULT,
        },
    )
    .unwrap();
    Fixture {
        _tmp: tmp,
        ws,
        key: common::fake("sk-test-", 32, common::ALNUM),
    }
}

impl Fixture {
    /// A provider on `server`, its origin allowed, its key set.
    fn provider(
        &mut self,
        kind: ProviderKind,
        server: &Server,
        options: ProviderOptions,
    ) -> ProviderConfig {
        self.ws.add_origin(&server.url()).unwrap();
        let base = match kind {
            ProviderKind::OpenAi | ProviderKind::Mistral => format!("{}/v1", server.url()),
            _ => server.url(),
        };
        let name = format!("{}-{}", kind.name(), server.port);
        let cfg = self
            .ws
            .add_provider(&name, kind, Some(&base), "test-model", options)
            .unwrap();
        self.ws
            .set_provider_key(&cfg.id, &SecretString::new(self.key.clone()))
            .unwrap();
        cfg
    }

    fn egress(&self) -> Egress {
        Egress::with_timeouts(
            self.ws.network_policy().unwrap(),
            Timeouts {
                connect: Duration::from_secs(5),
                send: Duration::from_secs(5),
                first_byte: Duration::from_secs(3),
                per_read: Duration::from_secs(3),
            },
        )
    }

    fn ask(&mut self, cfg: &ProviderConfig, text: &str) -> Result<String, SendError> {
        self.ask_with(cfg, text, &AtomicBool::new(false), &mut |_| {})
    }

    fn ask_with(
        &mut self,
        cfg: &ProviderConfig,
        text: &str,
        cancel: &AtomicBool,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<String, SendError> {
        let question = Review::of_text("question", text, &Detector::builtin())
            .approve(Mode::Pseudonym, &mut Pseudonyms::new(), "question")
            .unwrap();
        let messages = [Message {
            role: Role::User,
            content: Content::Redacted(question),
        }];
        let conv = Conversation {
            system: "test system prompt".into(),
            messages: &messages,
        };
        let egress = self.egress();
        send(&mut self.ws, &egress, cfg, &conv, cancel, on_delta).map(|o| o.reply.text)
    }

    fn actions(&self) -> Vec<String> {
        let mut entries = tftsr::audit::page(self.ws.store().conn(), None, 1000).unwrap();
        entries.reverse();
        entries.into_iter().map(|e| e.action).collect()
    }
}

fn sse(events: &[&str]) -> Vec<String> {
    events.iter().map(|e| format!("data: {e}\n\n")).collect()
}

fn openai_stream() -> Reply {
    Reply::stream(
        "text/event-stream",
        sse(&[
            r#"{"choices":[{"delta":{"content":"The disk "}}]}"#,
            r#"{"choices":[{"delta":{"content":"is full."}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":5}}"#,
            "[DONE]",
        ]),
        Duration::from_millis(5),
    )
}

#[test]
fn openai_compatible_streams_with_bearer_auth() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    assert_eq!(f.ask(&cfg, "why?").unwrap(), "The disk is full.");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {}", f.key).as_str())
    );
    let body = req.json();
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["content"], "why?");
    let actions = f.actions();
    assert_eq!(&actions[actions.len() - 2..], ["ai_send", "ai_outcome"]);
}

#[test]
fn azure_style_custom_auth_header() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let options = ProviderOptions {
        auth_header: Some("api-key".into()),
        path: Some("chat/completions?api-version=2024-06-01".into()),
        ..Default::default()
    };
    let cfg = f.provider(ProviderKind::OpenAi, &server, options);
    f.ask(&cfg, "hi").unwrap();
    let req = &server.requests()[0];
    assert_eq!(req.header("api-key"), Some(f.key.as_str()));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.path, "/v1/chat/completions?api-version=2024-06-01");
}

#[test]
fn anthropic_messages_keep_the_system_prompt_separate() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        Reply::stream(
            "text/event-stream",
            vec![
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9}}}\n\n".into(),
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"Check \"}}\n\n".into(),
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"DNS.\"}}\n\n".into(),
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":3}}\n\n".into(),
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".into(),
            ],
            Duration::from_millis(5),
        )
    });
    let cfg = f.provider(ProviderKind::Anthropic, &server, ProviderOptions::default());
    assert_eq!(f.ask(&cfg, "what now").unwrap(), "Check DNS.");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.header("x-api-key"), Some(f.key.as_str()));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    let body = req.json();
    assert_eq!(body["system"], "test system prompt");
    assert_eq!(body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(body["messages"][0]["role"], "user");
}

#[test]
fn gemini_uses_the_key_header_and_escapes_the_model() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        Reply::stream(
            "text/event-stream",
            sse(&[
                r#"{"candidates":[{"content":{"parts":[{"text":"Restart "}]}}]}"#,
                r#"{"candidates":[{"content":{"parts":[{"text":"kubelet."}]}}],"usageMetadata":{"promptTokenCount":4,"candidatesTokenCount":2}}"#,
            ]),
            Duration::from_millis(5),
        )
    });
    let mut cfg = f.provider(ProviderKind::Gemini, &server, ProviderOptions::default());
    cfg.model = "gemini/../x y".into();
    assert_eq!(f.ask(&cfg, "fix?").unwrap(), "Restart kubelet.");
    let req = &server.requests()[0];
    assert_eq!(
        req.path,
        "/v1beta/models/gemini%2F..%2Fx%20y:streamGenerateContent?alt=sse"
    );
    assert_eq!(req.header("x-goog-api-key"), Some(f.key.as_str()));
    assert!(!req.path.contains(&f.key), "never in the URL");
    assert_eq!(
        req.json()["systemInstruction"]["parts"][0]["text"],
        "test system prompt"
    );
}

#[test]
fn ollama_streams_ndjson_without_a_key() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        Reply::stream(
            "application/x-ndjson",
            vec![
                "{\"message\":{\"content\":\"Look at \"},\"done\":false}\n".into(),
                "{\"message\":{\"content\":\"dmesg.\"},\"done\":false}\n".into(),
                "{\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":7,\"eval_count\":3}\n".into(),
            ],
            Duration::from_millis(5),
        )
    });
    f.ws.add_origin(&server.url()).unwrap();
    let cfg =
        f.ws.add_provider(
            "local",
            ProviderKind::Ollama,
            Some(&server.url()),
            "llama3",
            ProviderOptions::default(),
        )
        .unwrap();
    assert_eq!(f.ask(&cfg, "hm").unwrap(), "Look at dmesg.");
    let req = &server.requests()[0];
    assert_eq!(req.path, "/api/chat");
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn mistral_and_custom_rest_shapes() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let cfg = f.provider(ProviderKind::Mistral, &server, ProviderOptions::default());
    assert_eq!(f.ask(&cfg, "q").unwrap(), "The disk is full.");
    assert!(server.requests()[0].json().get("stream_options").is_none());

    let custom =
        Server::start(|_, _| Reply::json(200, r#"{"output":[{"text":"Rotate the logs."}]}"#));
    let options = ProviderOptions {
        path: Some("generate".into()),
        custom: Some(CustomShape {
            prompt_field: "input".into(),
            system_field: Some("instructions".into()),
            model_field: Some("engine".into()),
            response_path: "output.0.text".into(),
        }),
        ..Default::default()
    };
    let cfg = f.provider(ProviderKind::Custom, &custom, options);
    assert_eq!(f.ask(&cfg, "what").unwrap(), "Rotate the logs.");
    let body = custom.requests()[0].json();
    assert_eq!(body["engine"], "test-model");
    assert_eq!(body["instructions"], "test system prompt");
    assert!(body["input"].as_str().unwrap().contains("what"));
    assert_eq!(custom.requests()[0].path, "/generate");
}

#[test]
fn the_server_never_receives_a_redacted_value() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let aws = common::fake("AKIA", 16, common::UPPER_DIGITS);
    let gh = common::fake("ghp_", 36, common::ALNUM);
    let canaries = [
        "10.42.7.19",
        "jane.doe@example.org",
        "db-prod-07.corp.internal",
        aws.as_str(),
        gh.as_str(),
        "S3cr3t-Canary-Pw",
    ];
    let text = format!(
        "login from 10.42.7.19 by jane.doe@example.org on db-prod-07.corp.internal\n\
         aws_access_key_id={aws}\ntoken {gh}\npassword=S3cr3t-Canary-Pw\nwhat failed?"
    );
    f.ask(&cfg, &text).unwrap();
    let raw = server.requests()[0].raw_text();
    for c in canaries {
        assert!(!raw.contains(c), "the server received {c:?}");
    }
    assert!(
        raw.contains("[IPV4-1]") && raw.contains("[EMAIL-1]"),
        "{raw}"
    );
    // The audit record holds counts and a hash, never the values.
    let send = tftsr::audit::page(f.ws.store().conn(), None, 5)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "ai_send")
        .unwrap();
    for c in canaries {
        assert!(!send.details.contains(c));
    }
    assert!(send.details.contains("\"ipv4\":1"), "{}", send.details);
    assert!(f.ws.verify_audit().unwrap().is_ok());
}

/// The refused list from the issue, each refused before any connection.
#[test]
fn refused_urls_never_connect() {
    let trap = Server::start(|_, _| Reply::json(200, "{}"));
    let policy = Policy {
        offline: false,
        added: Vec::new(),
    };
    let p = trap.port;
    let refused = [
        "https://api.openai.com@evil.example".to_string(),
        "https://user:pw@api.openai.com".into(),
        "https://evil.example#@api.openai.com".into(),
        "https://api.openai.com.evil.example".into(),
        "https://api.openai.com%2eevil.example".into(),
        "http://api.openai.com".into(),
        "https://api.openai.com:8443".into(),
        "https://\u{0430}pi.openai.com".into(),
        "https://[::1]/".into(),
        "https://127.1/".into(),
        "https://169.254.169.254/".into(),
        "file:///etc/passwd".into(),
        "data:,x".into(),
        // The same tricks aimed at a live trap on this machine.
        format!("http://api.openai.com@127.0.0.1:{p}/"),
        format!("http://127.0.0.1:{p}#@api.openai.com"),
        format!("http://127.1:{p}/"),
        format!("http://localhost:{p}/"),
        format!("http://[::1]:{p}/"),
        format!("http://127.0.0.1:{p}/v1?key=abc"),
    ];
    let egress = Egress::new(policy.clone());
    for url in &refused {
        let err = policy.check(url).err();
        assert!(
            matches!(err, Some(EgressError::Refused(_))),
            "{url} should be refused, got {err:?}"
        );
        assert!(egress.check(url).is_err());
    }
    assert_eq!(trap.connection_count(), 0);
    let ok = policy.check("HTTPS://API.OPENAI.COM:443/v1").unwrap();
    assert_eq!(ok.uri.to_string(), "https://api.openai.com/v1");
}

#[test]
fn offline_mode_allows_loopback_only() {
    let policy = Policy {
        offline: true,
        added: vec![tftsr::egress::Origin::parse_addition("https://llm.corp.example").unwrap()],
    };
    assert!(policy.check("http://127.0.0.1:11434/api/chat").is_ok());
    let err = policy
        .check("https://api.openai.com/v1")
        .unwrap_err()
        .to_string();
    assert!(err.contains("offline mode"), "{err}");
    assert!(policy.check("https://llm.corp.example/v1").is_err());
    assert!(policy.allowed().iter().all(|o| o.is_loopback()));
}

#[test]
fn a_cross_host_redirect_is_not_followed_and_the_key_never_reaches_it() {
    let mut f = fixture();
    let second = Server::start(|_, _| openai_stream());
    let target = format!("{}/v1/chat/completions", second.url());
    let first = Server::start(move |_, _| Reply::json(302, "{}").with_header("location", &target));
    let cfg = f.provider(ProviderKind::OpenAi, &first, ProviderOptions::default());
    f.ws.add_origin(&second.url()).unwrap();
    let err = f.ask(&cfg, "q").unwrap_err();
    assert!(
        matches!(err, SendError::Egress(EgressError::Redirect(302))),
        "{err}"
    );
    assert_eq!(second.connection_count(), 0);
    assert!(
        second
            .requests()
            .iter()
            .all(|r| r.header("authorization").is_none())
    );
}

#[test]
fn a_silent_server_times_out() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        let mut r = openai_stream();
        r.delay = Duration::from_secs(6);
        r
    });
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let err = f.ask(&cfg, "q").unwrap_err();
    assert!(
        matches!(err, SendError::Egress(EgressError::Timeout)),
        "{err}"
    );
    assert_eq!(f.actions().last().map(String::as_str), Some("ai_outcome"));
}

#[test]
fn http_401_is_explained_redacted_and_never_retried() {
    let mut f = fixture();
    let echoed = common::fake("sk-live-", 24, common::ALNUM);
    let body = format!(r#"{{"error":"invalid key {echoed} for user ops@example.org"}}"#);
    let server = Server::start(move |_, _| Reply::json(401, &body));
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let err = f.ask(&cfg, "q").unwrap_err().to_string();
    assert!(err.contains("rejected the API key (HTTP 401)"), "{err}");
    assert!(err.contains("Settings → Providers"), "{err}");
    assert!(
        !err.contains(&echoed) && !err.contains("ops@example.org"),
        "{err}"
    );
    assert!(!err.contains(&f.key) && !err.contains("127.0.0.1"), "{err}");
    assert_eq!(server.connection_count(), 1);
}

/// Regression: a 401 body echoing an Azure-style (32 hex) key showed it in clear, because it
/// does not look like a token; the key is now removed by value.
#[test]
fn an_echoed_key_of_any_shape_is_never_shown() {
    let mut f = fixture();
    f.key = common::fake("", 32, "0123456789abcdef");
    let key = f.key.clone();
    let server = Server::start(move |_, _| {
        Reply::json(401, &format!(r#"{{"error":"key {key} is invalid"}}"#))
    });
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let err = f.ask(&cfg, "q").unwrap_err().to_string();
    assert!(!err.contains(&f.key), "{err}");
    assert!(err.contains("[API_KEY]"), "{err}");
}

#[test]
fn http_429_with_retry_after_is_retried_then_succeeds() {
    let mut f = fixture();
    let server = Server::start(|n, _| {
        if n == 0 {
            Reply::json(429, r#"{"error":"slow down"}"#).with_header("retry-after", "1")
        } else {
            openai_stream()
        }
    });
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    assert_eq!(f.ask(&cfg, "q").unwrap(), "The disk is full.");
    assert_eq!(server.connection_count(), 2);
    let sends = f.actions().iter().filter(|a| *a == "ai_send").count();
    assert_eq!(sends, 2, "each transmission is recorded");
}

#[test]
fn http_500_fails_without_retry() {
    let mut f = fixture();
    let server = Server::start(|_, _| Reply::json(500, "oops"));
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let err = f.ask(&cfg, "q").unwrap_err().to_string();
    assert!(err.contains("server error (HTTP 500)"), "{err}");
    assert_eq!(server.connection_count(), 1);
}

#[test]
fn cancel_mid_stream_keeps_the_partial_answer() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        let chunks: Vec<String> = (0..50)
            .map(|i| format!("data: {{\"choices\":[{{\"delta\":{{\"content\":\"w{i} \"}}}}]}}\n\n"))
            .collect();
        Reply::stream("text/event-stream", chunks, Duration::from_millis(40))
    });
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let cancel = AtomicBool::new(false);
    let mut seen = 0;
    let err = f
        .ask_with(&cfg, "q", &cancel, &mut |_| {
            seen += 1;
            if seen == 3 {
                cancel.store(true, Ordering::Relaxed);
            }
        })
        .unwrap_err();
    let SendError::Cancelled { partial } = err else {
        panic!("expected Cancelled, got {err}")
    };
    assert_eq!(partial, "w0 w1 w2 ");
    let outcome = tftsr::audit::page(f.ws.store().conn(), None, 1)
        .unwrap()
        .remove(0);
    assert_eq!(outcome.action, "ai_outcome");
    assert!(
        outcome.details.contains("\"result\":\"cancelled\""),
        "{}",
        outcome.details
    );
}

#[test]
fn a_cut_stream_is_incomplete_not_an_answer() {
    let mut f = fixture();
    let server = Server::start(|_, _| {
        Reply::stream(
            "text/event-stream",
            sse(&[r#"{"choices":[{"delta":{"content":"half an "}}]}"#]),
            Duration::ZERO,
        )
    });
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    let err = f.ask(&cfg, "q").unwrap_err();
    assert_eq!(err.partial(), Some("half an "));
    assert!(matches!(err, SendError::Interrupted { .. }), "{err}");
}

#[test]
fn without_a_recordable_intent_nothing_is_sent() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let cfg = f.provider(ProviderKind::OpenAi, &server, ProviderOptions::default());
    // Break the chain (as tampering would): audited operations now stop.
    f.ws.store()
        .conn()
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET details = '{}' WHERE seq = 1;",
        )
        .unwrap();
    assert!(!f.ws.verify_audit().unwrap().is_ok());
    let err = f.ask(&cfg, "q").unwrap_err();
    assert!(matches!(err, SendError::Audit(_)), "{err}");
    assert_eq!(server.connection_count(), 0);
}

#[test]
fn unknown_origins_and_missing_keys_fail_before_connecting() {
    let mut f = fixture();
    let server = Server::start(|_, _| openai_stream());
    let cfg =
        f.ws.add_provider(
            "unlisted",
            ProviderKind::OpenAi,
            Some(&format!("{}/v1", server.url())),
            "m",
            ProviderOptions::default(),
        )
        .unwrap();
    f.ws.set_provider_key(&cfg.id, &SecretString::new(f.key.clone()))
        .unwrap();
    let err = f.ask(&cfg, "q").unwrap_err().to_string();
    assert!(err.contains("not an allowed origin"), "{err}");
    let cfg =
        f.ws.add_provider(
            "keyless",
            ProviderKind::Anthropic,
            Some(&server.url()),
            "m",
            ProviderOptions::default(),
        )
        .unwrap();
    let err = f.ask(&cfg, "q").unwrap_err().to_string();
    assert!(err.contains("no API key"), "{err}");
    assert_eq!(server.connection_count(), 0);
}
