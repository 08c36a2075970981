//! Replacing findings: `[TYPE]` labels, or consistent `[TYPE-n]` pseudonyms so a reader (or an
//! AI) can still tell two hosts apart without learning either.
//!
//! [`Redacted`] can only be built here, from a text and the findings the person approved: later
//! outbound paths accept nothing else.

use super::{Finding, PiiType};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// How a redacted span is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `[IPV4]`
    #[default]
    Label,
    /// `[IPV4-3]`, the same number for the same value within one [`Pseudonyms`] map.
    Pseudonym,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Label => "label",
            Mode::Pseudonym => "pseudonym",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "label" => Ok(Mode::Label),
            "pseudonym" => Ok(Mode::Pseudonym),
            other => Err(format!(
                "unknown mode '{other}' (expected label or pseudonym)"
            )),
        }
    }
}

/// Value -> number, per type. Held in memory only; the values it keys on never leave it.
#[derive(Default)]
pub struct Pseudonyms {
    numbers: HashMap<(PiiType, String), usize>,
    next: HashMap<PiiType, usize>,
}

impl Pseudonyms {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number `value` has in this map (a new value gets the next number of its type).
    pub fn number(&mut self, kind: PiiType, value: &str) -> usize {
        // Host names, e-mails and custom terms are case-insensitive: one entity, one number.
        let key = match kind {
            PiiType::Hostname
            | PiiType::Email
            | PiiType::CustomTerm
            | PiiType::Mac
            | PiiType::Ipv6 => value.to_lowercase(),
            _ => value.to_string(),
        };
        let next = &mut self.next;
        *self.numbers.entry((kind, key)).or_insert_with(|| {
            let n = next.entry(kind).or_insert(0);
            *n += 1;
            *n
        })
    }
}

/// Keeping a map across sessions (per issue, in the encrypted store) and reading it backwards
/// for local display. Only identity types are ever kept: never secrets.
impl Pseudonyms {
    /// Types whose numbers may be kept in the store: IP, MAC, host, e-mail, user and person
    /// names. Passwords, keys and tokens never are.
    pub fn is_identity(kind: PiiType) -> bool {
        matches!(
            kind,
            PiiType::Ipv4
                | PiiType::Ipv6
                | PiiType::Mac
                | PiiType::Hostname
                | PiiType::Email
                | PiiType::HomeUsername
                | PiiType::PersonName
        )
    }

    /// Every (type, value key, number) of identity types.
    pub fn identity_entries(&self) -> impl Iterator<Item = (PiiType, &str, usize)> {
        self.numbers
            .iter()
            .filter(|((k, _), _)| Self::is_identity(*k))
            .map(|((k, v), n)| (*k, v.as_str(), *n))
    }

    /// Puts back a kept entry (identity types only; others are ignored).
    pub fn restore(&mut self, kind: PiiType, key: String, number: usize) {
        if !Self::is_identity(kind) {
            return;
        }
        let next = self.next.entry(kind).or_insert(0);
        *next = (*next).max(number);
        self.numbers.insert((kind, key), number);
    }

    /// Every value in the map with its type (in memory only), so a value seen earlier in an
    /// issue is found again in a new message.
    pub fn known_values(&self) -> Vec<(PiiType, String)> {
        self.numbers.keys().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// `[TYPE-n]` → the value, for showing answers with originals on this machine only.
    pub fn reverse(&self) -> HashMap<String, String> {
        self.numbers
            .iter()
            .map(|((k, v), n)| (format!("[{}-{n}]", k.label()), v.clone()))
            .collect()
    }
}

impl std::fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pseudonyms({} values)", self.numbers.len())
    }
}

/// One replaced span, for reports: offsets in the original and in the output. No value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReplacedSpan {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub kind: PiiType,
    pub replacement: String,
    pub out_start: usize,
    pub out_end: usize,
}

/// Why findings could not be applied. Never carries text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RedactError {
    #[error("finding {0} is outside the text or not on a character boundary")]
    BadOffsets(usize),
    #[error("finding {0} overlaps or precedes the one before it")]
    Unordered(usize),
    #[error("{decisions} decisions given for {findings} findings")]
    DecisionCount { decisions: usize, findings: usize },
}

/// Redacted text with what was replaced, built only by [`redact`].
#[derive(Clone)]
pub struct Redacted {
    text: String,
    spans: Vec<ReplacedSpan>,
}

impl Redacted {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn spans(&self) -> &[ReplacedSpan] {
        &self.spans
    }

    /// SHA-256 of the redacted text.
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(self.text.as_bytes()).into()
    }

    /// Number of replaced spans per type.
    pub fn counts(&self) -> BTreeMap<PiiType, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.spans {
            *counts.entry(s.kind).or_insert(0) += 1;
        }
        counts
    }

    pub fn into_text(self) -> String {
        self.text
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Redacted({} bytes, {} spans)",
            self.text.len(),
            self.spans.len()
        )
    }
}

/// `[IPV4]`, built once per type.
fn label(kind: PiiType) -> &'static str {
    static LABELS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    &LABELS.get_or_init(|| {
        PiiType::ALL
            .iter()
            .map(|t| format!("[{}]", t.label()))
            .collect()
    })[kind as usize]
}

/// Replaces each finding whose decision is `true` (redact); `false` keeps it. `decisions` must
/// have one entry per finding; findings must be sorted, disjoint and on char boundaries.
pub fn redact(
    text: &str,
    findings: &[Finding],
    decisions: &[bool],
    mode: Mode,
    pseudonyms: &mut Pseudonyms,
) -> Result<Redacted, RedactError> {
    if decisions.len() != findings.len() {
        return Err(RedactError::DecisionCount {
            decisions: decisions.len(),
            findings: findings.len(),
        });
    }
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::new();
    let mut pos = 0;
    for (i, (f, &redact_it)) in findings.iter().zip(decisions).enumerate() {
        if f.start > f.end
            || f.end > text.len()
            || !text.is_char_boundary(f.start)
            || !text.is_char_boundary(f.end)
        {
            return Err(RedactError::BadOffsets(i));
        }
        if f.start < pos {
            return Err(RedactError::Unordered(i));
        }
        if !redact_it {
            continue;
        }
        out.push_str(&text[pos..f.start]);
        let value = &text[f.start..f.end];
        let one = match mode {
            Mode::Label => label(f.kind).to_string(),
            Mode::Pseudonym => format!("[{}-{}]", f.kind.label(), pseudonyms.number(f.kind, value)),
        };
        let replacement = keep_lines(value, one);
        let out_start = out.len();
        out.push_str(&replacement);
        spans.push(ReplacedSpan {
            start: f.start,
            end: f.end,
            kind: f.kind,
            replacement,
            out_start,
            out_end: out.len(),
        });
        pos = f.end;
    }
    out.push_str(&text[pos..]);
    Ok(Redacted { text: out, spans })
}

/// The replacement for `value`: `one` label, or, when the value spans lines (a PEM block), one
/// label per non-empty line with the value's own line breaks (`\n` or `\r\n`) between them, so
/// the output has as many lines as the input and line N still is line N.
fn keep_lines(value: &str, one: String) -> String {
    if !value.contains('\n') {
        return one;
    }
    let mut out = String::with_capacity(value.len().min(4 * one.len()));
    for piece in value.split_inclusive('\n') {
        let (content, eol) = match piece.strip_suffix("\r\n") {
            Some(c) => (c, "\r\n"),
            None => match piece.strip_suffix('\n') {
                Some(c) => (c, "\n"),
                None => (piece, ""),
            },
        };
        if !content.trim().is_empty() {
            out.push_str(&one);
        }
        out.push_str(eol);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(start: usize, end: usize, kind: PiiType) -> Finding {
        Finding { start, end, kind }
    }

    #[test]
    fn labels_and_kept_findings() {
        let text = "a 10.0.0.1 b 10.0.0.2 c";
        let fs = [f(2, 10, PiiType::Ipv4), f(13, 21, PiiType::Ipv4)];
        let r = redact(
            text,
            &fs,
            &[true, false],
            Mode::Label,
            &mut Pseudonyms::new(),
        )
        .unwrap();
        assert_eq!(r.text(), "a [IPV4] b 10.0.0.2 c");
        assert_eq!(r.spans()[0].out_start, 2);
        assert_eq!(r.spans()[0].out_end, 8);
    }

    #[test]
    fn pseudonyms_are_consistent() {
        let text = "x y x";
        let fs = [
            f(0, 1, PiiType::Hostname),
            f(2, 3, PiiType::Hostname),
            f(4, 5, PiiType::Hostname),
        ];
        let r = redact(
            text,
            &fs,
            &[true; 3],
            Mode::Pseudonym,
            &mut Pseudonyms::new(),
        )
        .unwrap();
        assert_eq!(r.text(), "[HOSTNAME-1] [HOSTNAME-2] [HOSTNAME-1]");
    }

    #[test]
    fn multi_line_spans_keep_their_line_breaks() {
        let text = "a\n-----BEGIN X-----\r\nAAAA\n\n-----END X-----\nb";
        let start = 2;
        let end = text.len() - 2;
        let r = redact(
            text,
            &[f(start, end, PiiType::PrivateKey)],
            &[true],
            Mode::Label,
            &mut Pseudonyms::new(),
        )
        .unwrap();
        let l = "[PRIVATE_KEY]";
        assert_eq!(r.text(), format!("a\n{l}\r\n{l}\n\n{l}\nb"));
        assert_eq!(r.text().lines().count(), text.lines().count());
        let span = &r.spans()[0];
        assert_eq!(&r.text()[span.out_start..span.out_end], span.replacement);
        assert_eq!(span.out_end, r.text().len() - 2);
    }

    #[test]
    fn bad_findings_are_errors_not_panics() {
        let text = "héllo";
        let run = |fs: &[Finding], ds: &[bool]| {
            redact(text, fs, ds, Mode::Label, &mut Pseudonyms::new()).unwrap_err()
        };
        assert_eq!(
            run(&[f(0, 2, PiiType::Ipv4)], &[true]),
            RedactError::BadOffsets(0),
            "inside 'é'"
        );
        assert_eq!(
            run(&[f(0, 99, PiiType::Ipv4)], &[true]),
            RedactError::BadOffsets(0)
        );
        let overlapping = [f(0, 3, PiiType::Ipv4), f(1, 4, PiiType::Ipv4)];
        assert_eq!(run(&overlapping, &[true, true]), RedactError::Unordered(1));
        assert!(matches!(
            run(&[], &[true]),
            RedactError::DecisionCount { .. }
        ));
    }
}
