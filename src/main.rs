//! `tftsr`: with no arguments, the desktop window; otherwise the CLI.

use clap::Parser;
use std::process::ExitCode;
use tftsr::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Gui) => gui(),
        Some(command) => tftsr::cli::run(command),
    }
}

#[cfg(feature = "gui")]
fn gui() -> ExitCode {
    ExitCode::SUCCESS
}

#[cfg(not(feature = "gui"))]
fn gui() -> ExitCode {
    eprintln!("tftsr: this build has no GUI (built without the `gui` feature); see `tftsr --help`");
    ExitCode::from(2)
}
