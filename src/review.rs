//! A scanned document under review: one immutable copy of the text (with its SHA-256), its
//! findings, and the person's redact/keep decision for each. Redaction always works from this
//! copy; the file is never read again between detection and redaction.

use crate::input::{Encoding, Loaded};
use crate::pii::{Finding, Mode, PiiType, Pseudonyms, Redacted, redact, redact::RedactError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

pub struct Review {
    pub name: String,
    pub text: Arc<str>,
    pub sha256: [u8; 32],
    pub input_bytes: u64,
    pub encoding: Encoding,
    line_starts: Vec<usize>,
    findings: Vec<Finding>,
    redact: Vec<bool>,
    /// Kept up to date on every change, so the window never recounts per frame.
    counts: BTreeMap<PiiType, TypeCount>,
    /// Bumped on every decision change (views cache what they derive from the decisions).
    version: u64,
}

/// Per-type totals for the side panel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TypeCount {
    pub total: usize,
    pub redacted: usize,
}

impl Review {
    /// Every finding starts as "redact": keeping something is the person's explicit choice.
    pub fn new(name: String, loaded: Loaded, findings: Vec<Finding>) -> Self {
        Self::from_parts(
            name,
            Arc::from(loaded.text),
            loaded.input_bytes,
            loaded.encoding,
            findings,
        )
    }

    /// The window's reviewed copy again (on the worker), with the person's decisions.
    pub fn reviewed(
        name: &str,
        text: Arc<str>,
        findings: Vec<Finding>,
        decisions: &[bool],
    ) -> Self {
        let bytes = text.len() as u64;
        let mut review = Self::from_parts(name.to_string(), text, bytes, Encoding::Utf8, findings);
        for (i, &d) in decisions.iter().enumerate() {
            if !d {
                review.toggle(i);
            }
        }
        review
    }

    fn from_parts(
        name: String,
        text: Arc<str>,
        input_bytes: u64,
        encoding: Encoding,
        findings: Vec<Finding>,
    ) -> Self {
        let sha256 = Sha256::digest(text.as_bytes()).into();
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|p| p + 1));
        if line_starts.len() > 1 && *line_starts.last().unwrap_or(&0) == text.len() {
            line_starts.pop(); // a trailing newline does not start a line
        }
        let redact = vec![true; findings.len()];
        let mut counts: BTreeMap<PiiType, TypeCount> = BTreeMap::new();
        for f in &findings {
            let c = counts.entry(f.kind).or_default();
            c.total += 1;
            c.redacted += 1;
        }
        Review {
            name,
            text,
            sha256,
            input_bytes,
            encoding,
            line_starts,
            findings,
            redact,
            counts,
            version: 0,
        }
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn decisions(&self) -> &[bool] {
        &self.redact
    }

    pub fn is_redacted(&self, i: usize) -> bool {
        self.redact.get(i).copied().unwrap_or(false)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of line `i` (0-based), without its line break.
    pub fn line_range(&self, i: usize) -> Range<usize> {
        let start = self.line_starts[i];
        let mut end = self
            .line_starts
            .get(i + 1)
            .map_or(self.text.len(), |n| n - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        start..end
    }

    /// Indices of the findings that intersect `range`.
    pub fn findings_in(&self, range: Range<usize>) -> Range<usize> {
        let first = self.findings.partition_point(|f| f.end <= range.start);
        let last = first
            + self.findings[first..].partition_point(|f| f.start < range.end.max(range.start + 1));
        first..last
    }

    /// Changes with every toggle.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Each finding's `[TYPE-n]` number as a save would assign it (a fresh map, redacted
    /// findings only, in text order), so the Redacted view shows exactly what is written.
    pub fn pseudonym_numbers(&self) -> Vec<Option<usize>> {
        let mut map = Pseudonyms::new();
        self.findings
            .iter()
            .zip(&self.redact)
            .map(|(f, &r)| r.then(|| map.number(f.kind, &self.text[f.start..f.end])))
            .collect()
    }

    /// Flips one finding between redact and keep.
    pub fn toggle(&mut self, i: usize) {
        self.version += 1;
        if let (Some(d), Some(f)) = (self.redact.get_mut(i), self.findings.get(i)) {
            *d = !*d;
            let c = self.counts.entry(f.kind).or_default();
            if *d {
                c.redacted += 1;
            } else {
                c.redacted -= 1;
            }
        }
    }

    /// Redacts (or keeps) every finding of one type.
    pub fn set_type(&mut self, kind: PiiType, redact_it: bool) {
        self.version += 1;
        for (f, d) in self.findings.iter().zip(self.redact.iter_mut()) {
            if f.kind == kind {
                *d = redact_it;
            }
        }
        if let Some(c) = self.counts.get_mut(&kind) {
            c.redacted = if redact_it { c.total } else { 0 };
        }
    }

    /// Findings and redactions per type.
    pub fn counts(&self) -> &BTreeMap<PiiType, TypeCount> {
        &self.counts
    }

    pub fn redacted_count(&self) -> usize {
        self.counts.values().map(|c| c.redacted).sum()
    }

    /// The redacted text as decided so far.
    pub fn redacted(&self, mode: Mode) -> Result<Redacted, RedactError> {
        redact(
            &self.text,
            &self.findings,
            &self.redact,
            mode,
            &mut Pseudonyms::new(),
        )
    }
}

/// Text that passed the gate: detected, reviewed, and redacted with the person's decisions on
/// that exact text. Only this module constructs it, and the provider layer accepts nothing else
/// as outgoing content, so there is no second path to the network.
pub struct RedactedText {
    text: String,
    counts: BTreeMap<PiiType, usize>,
    source: String,
}

impl RedactedText {
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Redactions by type (for the audit record; never values).
    pub fn counts(&self) -> &BTreeMap<PiiType, usize> {
        &self.counts
    }

    /// What it came from: "question", "log:<name>", "issue:<id>:title"…
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Text that was approved and stored earlier (an attached log's redacted text, a sent
    /// message): it is re-sent as it was approved, not redacted again (that would undo what the
    /// person chose to keep). Only the crate's store layer reads such text back.
    pub(crate) fn previously_approved(text: String, source: String) -> RedactedText {
        RedactedText {
            text,
            counts: BTreeMap::new(),
            source,
        }
    }

    /// Several approved texts as one message, separated by blank lines.
    pub fn concat(parts: Vec<RedactedText>) -> RedactedText {
        let mut out = RedactedText {
            text: String::new(),
            counts: BTreeMap::new(),
            source: String::new(),
        };
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.text.push_str("\n\n");
                out.source.push(',');
            }
            out.text.push_str(&part.text);
            out.source.push_str(&part.source);
            for (k, n) in part.counts {
                *out.counts.entry(k).or_insert(0) += n;
            }
        }
        out
    }
}

impl std::fmt::Debug for RedactedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RedactedText({} bytes from {})",
            self.text.len(),
            self.source
        )
    }
}

impl Review {
    /// The approved redaction of this exact text, with the decisions as they stand now.
    /// `pseudonyms` is shared across everything sent in one conversation, so a value keeps its
    /// number.
    pub fn approve(
        &self,
        mode: Mode,
        pseudonyms: &mut Pseudonyms,
        source: impl Into<String>,
    ) -> Result<RedactedText, RedactError> {
        let redacted = redact(&self.text, &self.findings, &self.redact, mode, pseudonyms)?;
        let counts = redacted.counts();
        Ok(RedactedText {
            text: redacted.into_text(),
            counts,
            source: source.into(),
        })
    }

    /// The end of this review: from the first line start (never inside a finding) after which
    /// at most `max_bytes` of text remain, with the decisions carried over. `None` when the
    /// whole text fits. Cutting the original, not the redacted text, keeps the counts exact.
    pub fn tail(&self, max_bytes: usize) -> Option<Review> {
        if self.text.len() <= max_bytes {
            return None;
        }
        let min_start = self.text.len() - max_bytes;
        let first_line = self.line_starts.partition_point(|&s| s < min_start);
        let mut cut = *self.line_starts.get(first_line)?;
        // Move forward past any finding the cut would split.
        while let Some(f) = self.findings.iter().find(|f| f.start < cut && f.end > cut) {
            let next = self.line_starts.partition_point(|&s| s < f.end);
            cut = *self.line_starts.get(next)?;
        }
        let first = self.findings.partition_point(|f| f.start < cut);
        let findings = self.findings[first..]
            .iter()
            .map(|f| Finding {
                start: f.start - cut,
                end: f.end - cut,
                kind: f.kind,
            })
            .collect();
        Some(Review::reviewed(
            &self.name,
            Arc::from(&self.text[cut..]),
            findings,
            &self.redact[first..],
        ))
    }

    /// Like [`Review::of_text`], also finding `known` values (found elsewhere: in the log a
    /// question is about, earlier in the issue) wherever they appear in this text.
    pub fn of_text_knowing(
        name: impl Into<String>,
        text: &str,
        detector: &crate::pii::Detector,
        known: &[(PiiType, String)],
    ) -> Review {
        let loaded = Loaded {
            input_bytes: text.len() as u64,
            text: text.to_string(),
            encoding: Encoding::Utf8,
        };
        let findings =
            crate::pii::propagate::propagate(&loaded.text, detector.scan(&loaded.text), known);
        Review::new(name.into(), loaded, findings)
    }

    /// The values this review redacts (as decided), to be found again in other texts.
    pub fn redacted_values(&self) -> Vec<(PiiType, String)> {
        let chosen: Vec<Finding> = self
            .findings
            .iter()
            .zip(&self.redact)
            .filter(|&(_, r)| *r)
            .map(|(f, _)| *f)
            .collect();
        crate::pii::propagate::values(&self.text, &chosen)
    }

    /// A review of text typed or built in memory (a question, a title), every finding redacted.
    pub fn of_text(name: impl Into<String>, text: &str, detector: &crate::pii::Detector) -> Review {
        let loaded = Loaded {
            input_bytes: text.len() as u64,
            text: text.to_string(),
            encoding: Encoding::Utf8,
        };
        let findings = detector.scan(&loaded.text);
        Review::new(name.into(), loaded, findings)
    }
}

impl std::fmt::Debug for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Review({} bytes, {} findings)",
            self.text.len(),
            self.findings.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::decode;
    use crate::pii::Detector;

    fn review(text: &str) -> Review {
        let loaded = decode(text.as_bytes().to_vec()).unwrap();
        let findings = Detector::builtin().scan(&loaded.text);
        Review::new("t".into(), loaded, findings)
    }

    #[test]
    fn lines_and_findings_per_line() {
        let r = review("a 10.1.1.1\r\nb\nc 10.2.2.2 10.3.3.3\n");
        assert_eq!(r.line_count(), 3);
        assert_eq!(&r.text[r.line_range(0)], "a 10.1.1.1");
        assert_eq!(r.findings_in(r.line_range(1)), 1..1);
        assert_eq!(r.findings_in(r.line_range(2)).len(), 2);
    }

    #[test]
    fn tail_starts_on_a_line_never_inside_a_finding_and_keeps_decisions() {
        let text = &format!(
            "a 10.1.1.1\n-----BEGIN RSA {pk}-----\nMIIEowIBAAKCAQEAabc\n-----END RSA {pk}-----\nb 10.2.2.2\nc 10.3.3.3\n",
            pk = concat!("PRIVATE", " KEY")
        );
        let mut r = review(text);
        assert!(r.tail(text.len()).is_none());
        let last = r.findings().len() - 1;
        r.toggle(last); // keep 10.3.3.3
        // A cut that would land inside the key block moves past it.
        let t = r.tail(text.len() - 20).unwrap();
        assert!(t.text.starts_with("b 10.2.2.2\n"), "{:?}", &t.text[..20]);
        let out = t.approve(Mode::Label, &mut Pseudonyms::new(), "t").unwrap();
        assert_eq!(out.as_str(), "b [IPV4]\nc 10.3.3.3\n");
        assert_eq!(out.counts()[&PiiType::Ipv4], 1);
    }

    /// Regression: the Redacted view showed `[IPV4]` in pseudonym mode while Save wrote
    /// `[IPV4-1]`; the view now numbers findings exactly as the save does.
    #[test]
    fn pseudonym_numbers_match_the_saved_text() {
        let mut r = review("a 10.1.1.1 b 10.2.2.2 c 10.1.1.1 d 10.3.3.3");
        r.toggle(1);
        assert_eq!(r.pseudonym_numbers(), vec![Some(1), None, Some(1), Some(2)]);
        let saved = r.redacted(Mode::Pseudonym).unwrap();
        assert_eq!(saved.text(), "a [IPV4-1] b 10.2.2.2 c [IPV4-1] d [IPV4-2]");
    }

    #[test]
    fn toggles_change_the_output() {
        let mut r = review("x 10.1.1.1 y 10.2.2.2");
        assert_eq!(r.redacted(Mode::Label).unwrap().text(), "x [IPV4] y [IPV4]");
        r.toggle(1);
        assert_eq!(
            r.redacted(Mode::Label).unwrap().text(),
            "x [IPV4] y 10.2.2.2"
        );
        r.set_type(PiiType::Ipv4, false);
        assert_eq!(r.pseudonym_numbers(), vec![None, None]);
        assert_eq!(
            r.redacted(Mode::Label).unwrap().text(),
            "x 10.1.1.1 y 10.2.2.2"
        );
        assert_eq!(
            r.counts()[&PiiType::Ipv4],
            TypeCount {
                total: 2,
                redacted: 0
            }
        );
    }
}
