//! The command-line front end: `tftsr redact` and `tftsr scan`, non-interactive, for pipelines
//! and one-off sanitisation (they never open the store), and `tftsr audit`. Exit codes follow grep: `scan` exits 0 when nothing was found, 1 when
//! something was, 2 on error; `redact` exits 0 or 2.

pub mod ai;
pub mod audit;
mod output;

use crate::input::{self, Encoding, Loaded};
use crate::pii::{Detector, DetectorOptions, Mode, PiiType, Pseudonyms, line_numbers, redact};
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "tftsr", version, about = "Find and redact secrets and personal data in logs.", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a redacted copy of a log (to stdout, or to -o OUT).
    Redact(RedactArgs),
    /// List findings, one per line, without their values. Exit 0: none, 1: found, 2: error.
    Scan(ScanArgs),
    /// List the types TFTSR detects.
    Types,
    /// Check or export the tamper-evident audit log (opens the encrypted store in
    /// TFTSR_DATA_DIR; the key comes from TFTSR_DB_KEY, the OS keyring, or a prompt).
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// AI providers: add (key from stdin or a prompt), list, remove, test.
    #[command(subcommand)]
    Provider(ai::ProviderCommand),
    /// Offline mode and the allowed origins.
    #[command(subcommand)]
    Network(ai::NetworkCommand),
    /// Ask a provider a question, with logs; everything passes the redaction gate first and
    /// the answer streams to stdout. Exit 0 ok, 2 error.
    Ask(ai::AskArgs),
    /// Start the desktop window (also what `tftsr` with no arguments does).
    Gui {
        /// A log to open right away.
        file: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct InputArgs {
    /// The log to read; `-` or nothing reads standard input.
    #[arg(value_name = "FILE|-")]
    pub file: Option<PathBuf>,
    /// Size cap in MiB for the input.
    #[arg(long, value_name = "MiB", default_value_t = input::DEFAULT_MAX_BYTES / (1024 * 1024))]
    pub max_size: u64,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// What to find: types, custom terms and patterns, and values never to redact.
#[derive(Args, Debug)]
pub struct RuleArgs {
    /// Only these types (comma-separated names, see `tftsr types`).
    #[arg(long, value_delimiter = ',', value_name = "a,b,…")]
    pub types: Vec<String>,
    /// A custom term to redact wherever it appears, case-insensitively (repeatable).
    #[arg(long = "term", value_name = "TERM")]
    pub terms: Vec<String>,
    /// A file of custom terms, one per line.
    #[arg(long, value_name = "FILE")]
    pub terms_file: Option<PathBuf>,
    /// A custom regular expression to redact (repeatable).
    #[arg(long = "pattern", value_name = "REGEX")]
    pub patterns: Vec<String>,
    /// A value never to redact, compared case-insensitively with the whole finding (repeatable).
    #[arg(long = "allow", value_name = "VALUE")]
    pub allow: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RedactArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the redacted text here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// `label` writes [IPV4]; `pseudonym` writes [IPV4-1], the same number for the same value.
    #[arg(long, value_enum, default_value_t = ModeArg::Label)]
    pub mode: ModeArg,
    /// Write a JSON report (counts per type and replaced spans; never a value) here.
    #[arg(long, value_name = "REPORT.json")]
    pub report: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// `jsonl`: {"start","end","type","line"} per finding (byte offsets); `text`: LINE:START-END TYPE.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    Label,
    Pseudonym,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Jsonl,
    Text,
}

/// Runs a parsed CLI command (not `Gui`, which the binary handles).
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Redact(args) => run_redact(&args).map(|()| ExitCode::SUCCESS),
        Command::Scan(args) => run_scan(&args),
        Command::Types => {
            for t in PiiType::ALL {
                println!("{:<18} {}", t.name(), t.description());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(command) => audit::run(&command),
        Command::Provider(command) => ai::run_provider(&command),
        Command::Network(command) => ai::run_network(&command),
        Command::Ask(args) => ai::run_ask(&args),
        Command::Gui { .. } => Ok(ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tftsr: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The input's display name and decoded text; warns on stderr about lossy decoding.
fn load(args: &InputArgs) -> Result<(String, Loaded)> {
    let cap = args
        .max_size
        .checked_mul(1024 * 1024)
        .context("--max-size is too large")?;
    let (name, loaded) = match args.file.as_deref() {
        None => (
            "<stdin>".to_string(),
            input::load_reader(std::io::stdin().lock(), cap),
        ),
        Some(p) if p == Path::new("-") => (
            "<stdin>".to_string(),
            input::load_reader(std::io::stdin().lock(), cap),
        ),
        Some(p) => (p.display().to_string(), input::load_file(p, cap)),
    };
    let loaded = loaded.with_context(|| name.clone())?;
    match loaded.encoding {
        Encoding::Utf8Lossy => eprintln!(
            "tftsr: warning: {name} is not valid UTF-8; invalid bytes were replaced with U+FFFD and offsets refer to the decoded text"
        ),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            eprintln!(
                "tftsr: note: {name} is UTF-16; it was decoded and offsets refer to the UTF-8 text"
            )
        }
        Encoding::Utf8 => {}
    }
    Ok((name, loaded))
}

pub(crate) fn detector(args: &RuleArgs) -> Result<Detector> {
    let enabled = if args.types.is_empty() {
        None
    } else {
        let set = args
            .types
            .iter()
            .filter(|t| !t.trim().is_empty())
            .map(|t| t.parse::<PiiType>())
            .collect::<Result<BTreeSet<_>, _>>()?;
        if set.is_empty() {
            bail!("--types needs at least one type name");
        }
        Some(set)
    };
    let mut terms = args.terms.clone();
    if let Some(path) = &args.terms_file {
        let loaded = input::load_file(path, 4 * 1024 * 1024)
            .with_context(|| format!("terms file {}", path.display()))?;
        terms.extend(
            loaded
                .text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from),
        );
    }
    let options = DetectorOptions {
        enabled,
        terms,
        patterns: args.patterns.clone(),
        allow: args.allow.clone(),
    };
    Ok(Detector::new(&options)?)
}

fn run_redact(args: &RedactArgs) -> Result<()> {
    let detector = detector(&args.input.rules)?;
    check_outputs(args)?;
    let (_, loaded) = load(&args.input)?;
    let findings = detector.scan(&loaded.text);
    let mode = match args.mode {
        ModeArg::Label => Mode::Label,
        ModeArg::Pseudonym => Mode::Pseudonym,
    };
    let redacted = redact(
        &loaded.text,
        &findings,
        &vec![true; findings.len()],
        mode,
        &mut Pseudonyms::new(),
    )?;
    match &args.output {
        Some(path) => crate::output::write_atomic(path, redacted.text().as_bytes())?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(redacted.text().as_bytes())?;
            out.flush()?;
        }
    }
    if let Some(path) = &args.report {
        let report = output::report(&loaded, &redacted, mode);
        crate::output::write_atomic(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(())
}

/// Refuses destinations that would destroy the input or each other, or are not files, before
/// any work is done (so a bad `--report` never follows a half-finished run).
fn check_outputs(args: &RedactArgs) -> Result<()> {
    let input = args.input.file.as_deref().filter(|p| *p != Path::new("-"));
    let outputs = [
        ("-o", args.output.as_deref()),
        ("--report", args.report.as_deref()),
    ];
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        if let Some(input) = input
            && crate::output::same_destination(path, input)
        {
            bail!("refusing to overwrite the input file with {flag}; choose another path");
        }
        crate::output::check_destination(path)?;
    }
    if let (Some(out), Some(report)) = (&args.output, &args.report)
        && crate::output::same_destination(out, report)
    {
        bail!("-o and --report name the same file; choose two paths");
    }
    Ok(())
}

fn run_scan(args: &ScanArgs) -> Result<ExitCode> {
    let detector = detector(&args.input.rules)?;
    let (_, loaded) = load(&args.input)?;
    let findings = detector.scan(&loaded.text);
    let lines = line_numbers(&loaded.text, &findings);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (f, line) in findings.iter().zip(lines) {
        match args.format {
            Format::Jsonl => writeln!(
                out,
                "{{\"start\":{},\"end\":{},\"type\":\"{}\",\"line\":{}}}",
                f.start,
                f.end,
                f.kind.name(),
                line
            )?,
            Format::Text => writeln!(out, "{line}:{}-{} {}", f.start, f.end, f.kind.name())?,
        }
    }
    out.flush()?;
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
