//! TFTSR: triage IT incidents with AI help without leaking what is in your logs.
//!
//! The library is the pure core (PII engine, safe input loading, encrypted store, vault, audit
//! log) shared by the CLI and the GUI.
//! Core modules never import egui, eframe or crossbeam; the `gui` module (feature `gui`) is the
//! only one that does.
#![forbid(unsafe_code)]

pub mod ai;
pub mod audit;
pub mod cli;
pub mod egress;
pub mod input;
pub mod keystore;
pub mod output;
pub mod pii;
pub mod review;
pub mod secret;
pub mod store;
pub mod triage;
pub mod vault;
pub mod workspace;

#[cfg(feature = "gui")]
pub mod gui;
