//! Writing results: atomic file writes to paths the person chose, and the JSON report.

use crate::input::Loaded;
use crate::pii::{Mode, Redacted, ReplacedSpan};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Serialize)]
pub struct Report<'a> {
    tool: &'static str,
    version: &'static str,
    input: InputInfo,
    mode: Mode,
    total: usize,
    counts: BTreeMap<&'static str, usize>,
    /// SHA-256 of the redacted output (not of the input: a hash of a short input could be used
    /// to confirm a guessed secret).
    output_sha256: String,
    spans: &'a [ReplacedSpan],
}

#[derive(Serialize)]
struct InputInfo {
    bytes: u64,
    encoding: &'static str,
}

pub fn report<'a>(loaded: &Loaded, redacted: &'a Redacted, mode: Mode) -> Report<'a> {
    let encoding = loaded.encoding.name();
    Report {
        tool: "tftsr",
        version: env!("CARGO_PKG_VERSION"),
        input: InputInfo {
            bytes: loaded.input_bytes,
            encoding,
        },
        mode,
        total: redacted.spans().len(),
        counts: redacted
            .counts()
            .into_iter()
            .map(|(k, v)| (k.name(), v))
            .collect(),
        output_sha256: hex(&redacted.sha256()),
        spans: redacted.spans(),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
