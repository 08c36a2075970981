//! `tftsr audit verify` and `tftsr audit export`: open (or on first use create) the store in the
//! data directory with the usual key rules, then check or export the audit chain.

use crate::audit::{self, Verdict};
use crate::keystore::OsKeyring;
use crate::secret::SecretString;
use crate::workspace::{DataDir, UnlockError, UnlockRequest, Workspace, unlock};
use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check the whole chain and its anchor. Exit 0 intact, 1 tampered (names the first bad
    /// entry), 2 error.
    Verify,
    /// Write every entry, oldest first (the export itself is recorded).
    Export {
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Write here instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "OUT")]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
}

/// Unlocks the workspace for a CLI command: `TFTSR_DB_KEY`, else the OS keyring, else a
/// passphrase typed at a terminal prompt (never an argument).
pub fn open_workspace() -> Result<Workspace> {
    let dir = DataDir::from_env().map_err(anyhow::Error::msg)?;
    let keystore = OsKeyring;
    let result = match unlock(&dir, UnlockRequest::from_env(&keystore)) {
        Err(UnlockError::NeedPassphrase {
            first_run,
            keyring_problem,
        }) => {
            if !std::io::stdin().is_terminal() {
                let why = keyring_problem.map_or_else(String::new, |p| format!(" ({p})"));
                bail!(
                    "{}{why}; set TFTSR_DB_KEY or run in a terminal to type it",
                    if first_run {
                        "no OS keyring is available to hold a new store's key"
                    } else {
                        "this store is protected by a passphrase"
                    }
                );
            }
            let passphrase = prompt_passphrase(first_run)?;
            unlock(
                &dir,
                UnlockRequest::from_env(&keystore).with_passphrase(passphrase),
            )
        }
        other => other,
    };
    let ws = result?;
    for note in &ws.notes {
        eprintln!("tftsr: note: {note}");
    }
    Ok(ws)
}

fn prompt_passphrase(first_run: bool) -> Result<SecretString> {
    if first_run {
        eprintln!(
            "tftsr: no OS keyring is available; choose a passphrase for the new encrypted store."
        );
    }
    let first = SecretString::new(
        rpassword::prompt_password("Passphrase: ").context("cannot read the passphrase")?,
    );
    if first.is_empty() {
        bail!("the passphrase is empty");
    }
    if first_run {
        if first.expose().chars().count() < 8 {
            bail!("choose a passphrase of at least 8 characters");
        }
        let again = SecretString::new(
            rpassword::prompt_password("Repeat it: ").context("cannot read the passphrase")?,
        );
        if again.expose() != first.expose() {
            bail!("the two passphrases differ");
        }
    }
    Ok(first)
}

pub fn run(command: &AuditCommand) -> Result<ExitCode> {
    let mut ws = open_workspace()?;
    match command {
        AuditCommand::Verify => {
            let verdict = ws.verify_audit()?;
            Ok(match verdict {
                Verdict::Intact { entries } | Verdict::AheadByOne { entries } => {
                    println!("audit log intact: {entries} entries, newest matches its anchor");
                    ExitCode::SUCCESS
                }
                Verdict::Broken { seq, reason } => {
                    println!("audit log TAMPERED: first bad entry seq {seq}: {reason}");
                    ExitCode::from(1)
                }
            })
        }
        AuditCommand::Export { format, output } => {
            let ExportFormat::Jsonl = format;
            if let Some(path) = output {
                crate::output::check_destination(path)?;
            }
            let mut bytes = Vec::new();
            audit::for_each(ws.store().conn(), |e| {
                let mut value = serde_json::to_value(e).map_err(std::io::Error::other)?;
                value["ts"] = audit::format_ts(e.ts_ms).into();
                if let Ok(details) = serde_json::from_str::<serde_json::Value>(&e.details) {
                    value["details"] = details;
                }
                serde_json::to_writer(&mut bytes, &value).map_err(std::io::Error::other)?;
                bytes.push(b'\n');
                Ok(())
            })?;
            // Write-ahead: the export is recorded before it is written; no record, no export.
            let target = output.clone().unwrap_or_else(|| PathBuf::from("-"));
            ws.record_export("audit_log", &target, &bytes)?;
            match output {
                Some(path) => crate::output::write_atomic(path, &bytes)?,
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
