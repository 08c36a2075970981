//! Recognizers: each one walks the whole text once and pushes candidate spans.
//!
//! Candidates may overlap; `super::overlap` turns them into disjoint findings. Recognizers work on
//! bytes with ASCII-only regexes (`(?-u)`), which keeps every regex on the fast DFA path; spans are
//! widened to char boundaries when pushed, so a finding never splits a UTF-8 character.

pub(crate) mod identity;
pub(crate) mod keyed;
pub(crate) mod network;
pub(crate) mod numbers;
pub(crate) mod tokens;

use super::PiiType;

/// A possibly overlapping span proposed by one recognizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub start: usize,
    pub end: usize,
    pub kind: PiiType,
}

/// Collects candidates for one text; keeps spans on char boundaries.
pub(crate) struct Sink<'t> {
    text: &'t str,
    pub candidates: Vec<Candidate>,
}

impl<'t> Sink<'t> {
    pub fn new(text: &'t str) -> Self {
        Sink {
            text,
            candidates: Vec::new(),
        }
    }

    /// Adds `[start, end)` widened to char boundaries; empty spans are ignored.
    pub fn push(&mut self, start: usize, end: usize, kind: PiiType) {
        let mut start = start.min(self.text.len());
        let mut end = end.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        if start < end {
            self.candidates.push(Candidate { start, end, kind });
        }
    }
}

/// Bytes that continue an identifier-like word (ASCII letters, digits, `_`).
pub(crate) fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The byte before `i`, if any.
pub(crate) fn before(bytes: &[u8], i: usize) -> Option<u8> {
    i.checked_sub(1).map(|j| bytes[j])
}

/// The byte at `i`, if any.
pub(crate) fn at(bytes: &[u8], i: usize) -> Option<u8> {
    bytes.get(i).copied()
}

/// Start of the line containing byte `i`.
pub(crate) fn line_start(bytes: &[u8], i: usize) -> usize {
    memchr::memrchr(b'\n', &bytes[..i]).map_or(0, |p| p + 1)
}

/// End of the line containing byte `i` (the index of its `\n`, or the text length).
pub(crate) fn line_end(bytes: &[u8], i: usize) -> usize {
    memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |p| i + p)
}

/// The last word (ASCII letters only, lower-cased) ending at or before `i`, skipping separators
/// such as spaces, `=`, `:` and quotes; at most `max_gap` separator bytes are skipped.
pub(crate) fn previous_word(bytes: &[u8], i: usize, max_gap: usize) -> String {
    let mut j = i;
    let mut gap = 0;
    while j > 0 && !bytes[j - 1].is_ascii_alphanumeric() {
        if bytes[j - 1] == b'\n' || gap == max_gap {
            return String::new();
        }
        j -= 1;
        gap += 1;
    }
    let end = j;
    while j > 0 && bytes[j - 1].is_ascii_alphabetic() && end - j < 32 {
        j -= 1;
    }
    String::from_utf8_lossy(&bytes[j..end]).to_ascii_lowercase()
}
