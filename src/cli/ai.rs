//! `tftsr provider …`, `tftsr network …` and `tftsr ask`: providers and the allow-list in the
//! encrypted store, and one question (with logs) through the gate to a provider.

use super::audit::open_workspace;
use crate::ai::send::{SendError, send};
use crate::ai::{
    ASK_SYSTEM_PROMPT, Content, Conversation, CustomShape, Message, ProviderKind, ProviderOptions,
    Role,
};
use crate::egress::Egress;
use crate::input;
use crate::pii::{Detector, Mode, Pseudonyms};
use crate::review::{RedactedText, Review};
use crate::secret::SecretString;
use crate::workspace::Workspace;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// A log attached to a question is sent as its redacted tail, at most this long.
pub const MAX_LOG_BYTES: usize = 128 * 1024;

#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Add a provider. The API key is read from standard input or a no-echo prompt, never
    /// from the command line.
    Add(Box<AddArgs>),
    /// List providers (the key shows only as set or not).
    List,
    /// Remove a provider and its key.
    Remove { name: String },
    /// Send a fixed test question through the gate and show whether an answer came back.
    Test { name: String },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    pub name: String,
    /// openai (and compatible: Azure, LiteLLM, vLLM, LM Studio), anthropic, gemini, mistral,
    /// ollama, custom.
    #[arg(long)]
    pub kind: String,
    #[arg(long)]
    pub model: String,
    /// Base URL (default: the provider's official endpoint; Ollama: http://127.0.0.1:11434).
    #[arg(long)]
    pub url: Option<String>,
    /// Store no key (local servers).
    #[arg(long)]
    pub no_key: bool,
    /// OpenAI-compatible servers with their own key header (Azure: api-key).
    #[arg(long)]
    pub auth_header: Option<String>,
    #[arg(long)]
    pub auth_prefix: Option<String>,
    /// A path other than the provider's usual one, appended to the base URL.
    #[arg(long)]
    pub path: Option<String>,
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Custom REST: the request field for the conversation text.
    #[arg(long)]
    pub prompt_field: Option<String>,
    #[arg(long)]
    pub system_field: Option<String>,
    #[arg(long)]
    pub model_field: Option<String>,
    /// Custom REST: where the answer is in the reply (dot path, e.g. output.0.text).
    #[arg(long)]
    pub response_path: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum NetworkCommand {
    /// Offline mode (loopback only), allowed origins.
    Show,
    /// Allow an origin: https://host[:port], or http:// on localhost/127.0.0.1/[::1].
    Allow { origin: String },
    /// Remove an added origin.
    Remove { origin: String },
    /// Offline mode: `on` allows loopback origins only.
    Offline { state: OnOff },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Args, Debug)]
pub struct AskArgs {
    /// The provider's name (see `tftsr provider list`).
    #[arg(long)]
    pub provider: String,
    /// A log to include (redacted; repeatable).
    #[arg(long = "file", value_name = "LOG")]
    pub files: Vec<PathBuf>,
    /// `label` sends [IPV4]; `pseudonym` sends [IPV4-1] so the assistant can tell values apart.
    #[arg(long, value_enum, default_value_t = super::ModeArg::Pseudonym)]
    pub mode: super::ModeArg,
    #[command(flatten)]
    pub rules: super::RuleArgs,
    /// The question (`-` reads it from standard input, keeping it out of the process list).
    pub question: String,
}

pub fn run_provider(command: &ProviderCommand) -> Result<ExitCode> {
    let mut ws = open_workspace()?;
    match command {
        ProviderCommand::Add(a) => {
            let kind = ProviderKind::parse(&a.kind).with_context(|| {
                format!(
                    "unknown provider kind {:?} (known: {})",
                    a.kind,
                    ProviderKind::ALL.map(|k| k.name()).join(", ")
                )
            })?;
            let custom = match (&a.prompt_field, &a.response_path) {
                (Some(p), Some(r)) => Some(CustomShape {
                    prompt_field: p.clone(),
                    system_field: a.system_field.clone(),
                    model_field: a.model_field.clone(),
                    response_path: r.clone(),
                }),
                (None, None) => None,
                _ => bail!("a custom shape needs both --prompt-field and --response-path"),
            };
            let options = ProviderOptions {
                auth_header: a.auth_header.clone(),
                auth_prefix: a.auth_prefix.clone(),
                path: a.path.clone(),
                max_tokens: a.max_tokens,
                custom,
            };
            let key = if a.no_key {
                if kind.needs_key() {
                    bail!("{} needs an API key; drop --no-key", kind.name());
                }
                None
            } else {
                Some(read_key()?)
            };
            let cfg = ws.add_provider(&a.name, kind, a.url.as_deref(), &a.model, options)?;
            if let Some(key) = key {
                ws.set_provider_key(&cfg.id, &key)?;
            }
            eprintln!(
                "tftsr: added provider {} ({}, {}), key {}",
                cfg.name,
                kind.name(),
                cfg.model,
                if ws.has_provider_key(&cfg.id) {
                    "set"
                } else {
                    "not set"
                }
            );
            let policy = ws.network_policy()?;
            if let Err(e) = policy.check(&cfg.base_url) {
                eprintln!("tftsr: note: {e}");
            }
        }
        ProviderCommand::List => {
            for p in ws.providers()? {
                let origin = crate::egress::CheckedUrl::parse(&p.base_url)
                    .map_or_else(|_| "(invalid URL)".to_string(), |u| u.origin.to_string());
                println!(
                    "{}\t{}\t{}\t{}\tkey: {}",
                    p.name,
                    p.kind.name(),
                    p.model,
                    origin,
                    if ws.has_provider_key(&p.id) {
                        "set"
                    } else {
                        "none"
                    }
                );
            }
        }
        ProviderCommand::Remove { name } => {
            ws.remove_provider(name)?;
            eprintln!("tftsr: removed provider {name} and its key");
        }
        ProviderCommand::Test { name } => {
            let reply = test_provider(&mut ws, name)?;
            println!("ok: {name} answered ({} characters)", reply.chars().count());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The API key from standard input (a pipe) or a no-echo prompt.
fn read_key() -> Result<SecretString> {
    let key = if std::io::stdin().is_terminal() {
        SecretString::new(
            rpassword::prompt_password("API key (not echoed): ").context("cannot read the key")?,
        )
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(64 * 1024)
            .read_to_string(&mut text)
            .context("cannot read the key from standard input")?;
        let key = SecretString::new(text.trim().to_string());
        drop(text);
        key
    };
    if key.expose().chars().any(char::is_control) {
        bail!("the API key has control characters (a line break inside it?)");
    }
    if key.is_empty() {
        bail!("no API key given (pipe it on standard input, or use --no-key for a local server)");
    }
    Ok(key)
}

/// The fixed test question, through the gate like anything else.
pub fn test_provider(ws: &mut Workspace, name: &str) -> Result<String> {
    let cfg = ws.provider(name)?;
    let egress = Egress::new(ws.network_policy()?);
    let detector = Detector::builtin();
    let question = Review::of_text("test", "Reply with the single word OK.", &detector).approve(
        Mode::Label,
        &mut Pseudonyms::new(),
        "connection test",
    )?;
    let messages = [Message {
        role: Role::User,
        content: Content::Redacted(question),
    }];
    let conv = Conversation {
        system: "You are a connection test. Reply with the single word OK.".into(),
        messages: &messages,
    };
    let outcome = send(
        ws,
        &egress,
        &cfg,
        &conv,
        &AtomicBool::new(false),
        &mut |_| {},
    )?;
    Ok(outcome.reply.text)
}

pub fn run_network(command: &NetworkCommand) -> Result<ExitCode> {
    let mut ws = open_workspace()?;
    match command {
        NetworkCommand::Show => {}
        NetworkCommand::Allow { origin } => {
            let o = ws.add_origin(origin)?;
            eprintln!("tftsr: allowed {o}");
        }
        NetworkCommand::Remove { origin } => {
            let o = crate::egress::Origin::parse_addition(origin)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            ws.remove_origin(&o)?;
        }
        NetworkCommand::Offline { state } => ws.set_offline(matches!(state, OnOff::On))?,
    }
    let policy = ws.network_policy()?;
    println!(
        "offline: {}",
        if policy.offline {
            "on (loopback only)"
        } else {
            "off"
        }
    );
    for o in policy.allowed() {
        let how = if o.is_builtin() { "built-in" } else { "added" };
        println!("allowed\t{o}\t{how}");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_ask(args: &AskArgs) -> Result<ExitCode> {
    let mut ws = open_workspace()?;
    let cfg = ws.provider(&args.provider)?;
    let egress = Egress::new(ws.network_policy()?);
    let mode = match args.mode {
        super::ModeArg::Label => Mode::Label,
        super::ModeArg::Pseudonym => Mode::Pseudonym,
    };
    let detector = super::detector(&args.rules)?;
    let mut pseudonyms = Pseudonyms::new();
    // Every part passes the gate; non-interactively, every finding is redacted.
    // Logs first, so a value found in a log is found again in the question (and in file names).
    let mut logs = Vec::new();
    let mut known = Vec::new();
    for path in &args.files {
        let loaded = input::load_file(path, input::DEFAULT_MAX_BYTES)
            .with_context(|| path.display().to_string())?;
        let name = path
            .file_name()
            .map_or_else(|| "log".to_string(), |n| n.to_string_lossy().into_owned());
        let review = Review::of_text(format!("log:{name}"), &loaded.text, &detector);
        known.extend(review.redacted_values());
        logs.push((name, review));
    }
    let question = question_text(&args.question)?;
    let mut parts = vec![
        Review::of_text_knowing(
            "question",
            &format!("Question: {question}"),
            &detector,
            &known,
        )
        .approve(mode, &mut pseudonyms, "question")?,
    ];
    for (name, review) in logs {
        let header = Review::of_text_knowing(
            "log header",
            &format!("Log file {name} (values redacted):"),
            &detector,
            &known,
        )
        .approve(mode, &mut pseudonyms, "log header")?;
        parts.push(header);
        let tail = review.tail(MAX_LOG_BYTES);
        if tail.is_some() {
            eprintln!(
                "tftsr: note: only the last {} KiB of {name} is sent",
                MAX_LOG_BYTES / 1024
            );
        }
        let source = format!("log:{name}");
        parts.push(
            tail.unwrap_or(review)
                .approve(mode, &mut pseudonyms, source)?,
        );
    }
    let message = RedactedText::concat(parts);
    eprintln!(
        "tftsr: redacted before sending: {}",
        summary(message.counts())
    );
    let messages = [Message {
        role: Role::User,
        content: Content::Redacted(message),
    }];
    let conv = Conversation {
        system: ASK_SYSTEM_PROMPT.into(),
        messages: &messages,
    };
    let mut out = std::io::stdout().lock();
    let mut print = |delta: &str| {
        let _ = out.write_all(terminal_safe(delta).as_bytes());
        let _ = out.flush();
    };
    match send(
        &mut ws,
        &egress,
        &cfg,
        &conv,
        &AtomicBool::new(false),
        &mut print,
    ) {
        Ok(_) => {
            println!();
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ SendError::Interrupted { .. }) => {
            println!();
            Err(e.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The question: the argument, or standard input when it is `-` (so it is not visible in the
/// process list). Empty questions are refused.
fn question_text(arg: &str) -> Result<String> {
    let text = if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(1024 * 1024)
            .read_to_string(&mut text)
            .context("cannot read the question from standard input")?;
        text
    } else {
        arg.to_string()
    };
    if text.trim().is_empty() {
        bail!("the question is empty");
    }
    Ok(text.trim().to_string())
}

/// Provider text for a terminal: control characters (escape sequences) dropped, except line
/// breaks and tabs.
fn terminal_safe(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

fn summary(counts: &BTreeMap<crate::pii::PiiType, usize>) -> String {
    if counts.is_empty() {
        return "nothing found".into();
    }
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts
        .iter()
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect();
    format!("{} ({total} in total)", parts.join(", "))
}
