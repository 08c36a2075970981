//! The PII engine: find secrets and personal data in text, resolve overlaps into disjoint
//! findings, and redact them with labels or consistent pseudonyms.
//!
//! This is the gate every outbound byte goes through, so it is pure (no I/O, no threads, no UI)
//! and offsets are always UTF-8 byte offsets on char boundaries into the one text it was given.

pub mod kind;
mod overlap;
pub mod propagate;
mod recognize;
pub mod redact;
pub mod validate;

pub use kind::PiiType;
pub use redact::{Mode, Pseudonyms, Redacted, ReplacedSpan, redact};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use recognize::{
    Sink, identity::Identity, keyed::Keyed, network::Network, numbers::Numbers, tokens::Tokens,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use std::ops::ControlFlow;

/// One disjoint span of sensitive data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Byte offset of the first byte (a char boundary).
    pub start: usize,
    /// Byte offset one past the last byte (a char boundary).
    pub end: usize,
    #[serde(rename = "type")]
    pub kind: PiiType,
}

impl Finding {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// What to look for. The default finds every built-in type and nothing custom.
#[derive(Clone, Debug, Default)]
pub struct DetectorOptions {
    /// Types to report; `None` means all built-in types.
    pub enabled: Option<BTreeSet<PiiType>>,
    /// Literal terms (a company or project name), matched case-insensitively (ASCII).
    pub terms: Vec<String>,
    /// Regular expressions of the person's own.
    pub patterns: Vec<String>,
    /// Values never redacted (compared case-insensitively to the whole finding).
    pub allow: Vec<String>,
}

/// Errors in the person's own options. Messages never repeat the pattern text, which may itself
/// contain a sensitive literal.
#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("custom pattern #{0} is not a valid regular expression")]
    BadPattern(usize),
    #[error("custom pattern #{0} matches the empty string")]
    EmptyPattern(usize),
    #[error("the custom term list could not be compiled")]
    BadTerms,
}

/// The compiled engine. Build it once and reuse it: compilation is the expensive part.
pub struct Detector {
    tokens: Tokens,
    network: Network,
    numbers: Numbers,
    keyed: Keyed,
    identity: Identity,
    terms: Option<AhoCorasick>,
    patterns: Vec<regex::Regex>,
    allow: HashSet<String>,
    enabled: [bool; PiiType::ALL.len()],
}

impl Detector {
    /// Compiles the built-in recognizers plus the person's terms and patterns.
    pub fn new(options: &DetectorOptions) -> Result<Self, OptionsError> {
        let terms: Vec<&str> = options
            .terms
            .iter()
            .map(|t| t.trim())
            .filter(|t| !t.is_empty())
            .collect();
        let terms = if terms.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&terms)
                    .map_err(|_| OptionsError::BadTerms)?,
            )
        };
        let mut patterns = Vec::new();
        for (i, p) in options.patterns.iter().enumerate() {
            let re = regex::RegexBuilder::new(p)
                .size_limit(1 << 22)
                .build()
                .map_err(|_| OptionsError::BadPattern(i + 1))?;
            if re.is_match("") {
                return Err(OptionsError::EmptyPattern(i + 1));
            }
            patterns.push(re);
        }
        let mut enabled = [true; PiiType::ALL.len()];
        if let Some(set) = &options.enabled {
            for t in PiiType::ALL {
                enabled[t as usize] = set.contains(&t);
            }
            // Custom terms and patterns are on when given, unless types were listed without them.
            enabled[PiiType::CustomTerm as usize] =
                set.contains(&PiiType::CustomTerm) || !options.terms.is_empty();
            enabled[PiiType::CustomPattern as usize] =
                set.contains(&PiiType::CustomPattern) || !options.patterns.is_empty();
        }
        Ok(Detector {
            tokens: Tokens::new(),
            network: Network::new(),
            numbers: Numbers::new(),
            keyed: Keyed::new(),
            identity: Identity::new(),
            terms,
            patterns,
            allow: options
                .allow
                .iter()
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty())
                .collect(),
            enabled,
        })
    }

    /// The built-in engine with default options.
    pub fn builtin() -> Self {
        Detector::new(&DetectorOptions::default()).expect("default options are valid")
    }

    /// Finds every enabled type in `text`; findings are disjoint and sorted by start.
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        self.scan_with(text, &mut |_| ControlFlow::Continue(()))
            .unwrap_or_default()
    }

    /// Like [`scan`](Self::scan), reporting progress in `0.0..=1.0` between passes; returns
    /// `None` when `progress` asks to stop.
    pub fn scan_with(
        &self,
        text: &str,
        progress: &mut dyn FnMut(f32) -> ControlFlow<()>,
    ) -> Option<Vec<Finding>> {
        // A UTF-8 byte-order mark stays in the text (offsets are file offsets) but is no part of
        // the first line: the recognizers read after it, so a CSV header or a `key:` on line 1
        // still starts its line.
        let base = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        let body = &text[base..];
        let mut sink = Sink::new(body);
        let passes: [(&Pass<'_>, f32); 6] = [
            (&|s| self.tokens.scan(body, s), 0.10),
            (&|s| self.keyed.scan(body, s), 0.30),
            (&|s| self.network.scan(body, s), 0.70),
            (&|s| self.numbers.scan(body, s), 0.85),
            (&|s| self.identity.scan(body, s), 0.95),
            (&|s| self.custom(body, s), 1.0),
        ];
        progress(0.0).is_continue().then_some(())?;
        for (pass, done) in passes {
            pass(&mut sink);
            progress(done).is_continue().then_some(())?;
        }
        let candidates = sink
            .candidates
            .into_iter()
            .map(|mut c| {
                c.start += base;
                c.end += base;
                c
            })
            .filter(|c| self.enabled[c.kind as usize])
            .filter(|c| {
                self.allow.is_empty() || !self.allow.contains(&text[c.start..c.end].to_lowercase())
            })
            .collect();
        Some(propagate::propagate(
            text,
            overlap::resolve(text, candidates),
            &[],
        ))
    }

    fn custom(&self, text: &str, sink: &mut Sink<'_>) {
        if let Some(terms) = &self.terms {
            for m in terms.find_iter(text) {
                sink.push(m.start(), m.end(), PiiType::CustomTerm);
            }
        }
        for re in &self.patterns {
            for m in re.find_iter(text) {
                sink.push(m.start(), m.end(), PiiType::CustomPattern);
            }
        }
    }
}

/// One recognizer pass over the whole text.
type Pass<'a> = dyn Fn(&mut Sink<'_>) + 'a;

/// 1-based line number of each finding, computed in one pass (findings sorted by start).
pub fn line_numbers(text: &str, findings: &[Finding]) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut pos = 0;
    findings
        .iter()
        .map(|f| {
            line += memchr::memchr_iter(b'\n', &bytes[pos..f.start]).count();
            pos = f.start;
            line
        })
        .collect()
}
