//! `tftsr`: with no arguments, the desktop window; otherwise the CLI.

use clap::Parser;
use std::process::ExitCode;
use tftsr::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => gui(None),
        Some(Command::Gui { file }) => gui(file),
        Some(command) => tftsr::cli::run(command),
    }
}

#[cfg(feature = "gui")]
fn gui(open: Option<std::path::PathBuf>) -> ExitCode {
    match tftsr::gui::run(open) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tftsr: the window could not start: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(not(feature = "gui"))]
fn gui(_open: Option<std::path::PathBuf>) -> ExitCode {
    eprintln!("tftsr: this build has no GUI (built without the `gui` feature); see `tftsr --help`");
    ExitCode::from(2)
}
