//! Credentials recognisable by their own shape: vendor-prefixed tokens, JWTs and PEM private keys.

use super::{Sink, at, before, is_word};
use crate::pii::PiiType;
use memchr::memmem;
use regex::bytes::Regex;

/// Where vendor-prefixed tokens start: each prefix with the shortest tail it needs. One
/// alternation of bounded shapes, so the regex engine prefilters on the prefixes and never reads
/// far ahead; [`token_end`] then reads each tail by hand. (A single regex with the unbounded
/// tails, `eyJ[…]{8,}\.…`, is quadratic on a crafted line such as `eyJAKIA…` repeated: every
/// AKIA match waits for the open JWT candidate to fail at the end of the run.)
const PREFIXED: &str = concat!(
    r"(?-u)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}",
    r"|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30}|github_pat_[A-Za-z0-9_]{30}",
    r"|https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]",
    r"|xox[abposre]-[A-Za-z0-9\-]{10}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10}",
    r"|eyJ[A-Za-z0-9_\-]{8}|AIza[0-9A-Za-z_\-]{35}|sk-[A-Za-z0-9_\-]{20}",
    r"|SG\.[A-Za-z0-9_\-]{16}|npm_[A-Za-z0-9]{36}",
    r"|(?:glpat|glcbt|glptt|gldt|glrt)-[A-Za-z0-9_\-]{20}|hvs\.[A-Za-z0-9_\-]{20}",
    r"|xkeysib-[A-Za-z0-9\-]{20}|ya29\.[0-9A-Za-z_\-]{20}",
);

pub(crate) struct Tokens {
    prefixed: Regex,
}

impl Tokens {
    pub fn new() -> Self {
        Tokens {
            prefixed: Regex::new(PREFIXED).expect("token pattern compiles"),
        }
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        let mut runs = Runs::default();
        let mut from = 0;
        while let Some(m) = self.prefixed.find_at(bytes, from) {
            let s = m.start();
            // A prefix whose tail does not complete (a JWT without its dots) is no token; a
            // token may still start inside it.
            let Some(e) = token_end(bytes, s, m.end(), &mut runs) else {
                from = s + 1;
                continue;
            };
            from = e;
            let tok = &bytes[s..e];
            // A token glued to a longer word is part of something else (a hash, a path).
            if before(bytes, s).is_some_and(|b| is_word(b) || b == b'-')
                && !tok.starts_with(b"http")
            {
                continue;
            }
            let kind = classify(tok);
            if kind == PiiType::AwsAccessKeyId && at(bytes, e).is_some_and(is_word) {
                continue;
            }
            sink.push(s, e, kind);
        }
        private_keys(bytes, sink);
    }
}

/// The byte classes token tails are made of.
#[derive(Clone, Copy)]
enum Class {
    /// `[A-Za-z0-9]`
    Alnum,
    /// `[A-Za-z0-9_]`
    Word,
    /// `[A-Za-z0-9_-]` (base64url)
    Url64,
    /// `[A-Za-z0-9-]`
    Dashed,
    /// `[A-Za-z0-9_/-]`
    Path,
}

impl Class {
    fn has(self, b: u8) -> bool {
        b.is_ascii_alphanumeric()
            || match self {
                Class::Alnum => false,
                Class::Word => b == b'_',
                Class::Url64 => matches!(b, b'_' | b'-'),
                Class::Dashed => b == b'-',
                Class::Path => matches!(b, b'_' | b'-' | b'/'),
            }
    }
}

/// The end of the run of one class from a position, remembered per class: any position inside
/// a run has the same end, so candidates that start inside one run read it once between them.
#[derive(Default)]
struct Runs {
    known: [Option<(usize, usize)>; 5],
}

impl Runs {
    fn end(&mut self, bytes: &[u8], class: Class, i: usize) -> usize {
        let slot = &mut self.known[class as usize];
        if let Some((from, end)) = *slot
            && (from..=end).contains(&i)
        {
            return end;
        }
        let mut e = i;
        while e < bytes.len() && class.has(bytes[e]) {
            e += 1;
        }
        *slot = Some((i, e));
        e
    }

    /// `class{min,max}` from `i`, greedy: where it ends, if it is long enough.
    fn tail(
        &mut self,
        bytes: &[u8],
        class: Class,
        i: usize,
        min: usize,
        max: usize,
    ) -> Option<usize> {
        let e = self.end(bytes, class, i).min(i.saturating_add(max));
        (e - i >= min).then_some(e)
    }
}

/// End of the token whose prefix (and shortest tail) the prefix pattern matched at `[s, m)`;
/// the same greedy tails as the vendors' formats: `ghp_` + 30-255, JWTs as three base64url
/// parts joined by dots, and so on.
fn token_end(bytes: &[u8], s: usize, m: usize, runs: &mut Runs) -> Option<usize> {
    let tok = &bytes[s..];
    let starts = |p: &[u8]| tok.starts_with(p);
    // Where the tail starts: after the literal prefix.
    let after = |len: usize| s + len;
    if starts(b"eyJ") {
        let dot1 = runs.end(bytes, Class::Url64, after(3));
        if dot1 - after(3) < 8 || at(bytes, dot1) != Some(b'.') {
            return None;
        }
        let dot2 = runs.tail(bytes, Class::Url64, dot1 + 1, 8, usize::MAX)?;
        if at(bytes, dot2) != Some(b'.') {
            return None;
        }
        return Some(runs.end(bytes, Class::Url64, dot2 + 1));
    }
    if starts(b"SG.") {
        let dot = runs.end(bytes, Class::Url64, after(3));
        if dot - after(3) < 16 || at(bytes, dot) != Some(b'.') {
            return None;
        }
        return runs.tail(bytes, Class::Url64, dot + 1, 16, usize::MAX);
    }
    if starts(b"github_pat_") {
        return runs.tail(bytes, Class::Word, after(11), 30, 255);
    }
    if starts(b"gh") {
        return runs.tail(bytes, Class::Alnum, after(4), 30, 255);
    }
    if starts(b"http") {
        // The literal prefix ends at the `/` before the first tail byte.
        return runs.tail(bytes, Class::Path, m - 1, 1, usize::MAX);
    }
    if starts(b"xox") {
        return runs.tail(bytes, Class::Dashed, after(5), 10, 250);
    }
    if starts(b"sk_") || starts(b"rk_") {
        return runs.tail(bytes, Class::Alnum, after(8), 10, 250);
    }
    if starts(b"sk-") || starts(b"hvs.") || starts(b"ya29.") || starts(b"gl") {
        let prefix = memchr::memchr2(b'-', b'.', tok).map_or(0, |p| p + 1);
        return runs.tail(bytes, Class::Url64, s + prefix, 20, usize::MAX);
    }
    if starts(b"xkeysib-") {
        return runs.tail(bytes, Class::Dashed, after(8), 20, usize::MAX);
    }
    // Fixed lengths: AWS key ids (prefix + 16), Google API keys (AIza + 35), npm (npm_ + 36).
    Some(m)
}

fn classify(tok: &[u8]) -> PiiType {
    let starts = |p: &[u8]| tok.starts_with(p);
    if tok.len() == 20 && tok[..4].iter().all(u8::is_ascii_uppercase) && tok[0] == b'A' {
        PiiType::AwsAccessKeyId
    } else if starts(b"gh") || starts(b"github_pat_") {
        PiiType::GithubToken
    } else if starts(b"http") || starts(b"xox") {
        PiiType::SlackToken
    } else if starts(b"sk_") || starts(b"rk_") {
        PiiType::StripeKey
    } else if starts(b"eyJ") {
        PiiType::Jwt
    } else if starts(b"ya29.") {
        PiiType::BearerToken
    } else {
        PiiType::ApiKey
    }
}

/// PEM private key blocks, BEGIN line through END line, in plain form or JSON-escaped on one line
/// (`\n` as two characters). A block with no END is redacted through the end of its base64 body:
/// a truncated log must not leak the key material it does contain.
fn private_keys(bytes: &[u8], sink: &mut Sink<'_>) {
    let finder = memmem::Finder::new(b"-----BEGIN ");
    let mut ends = NextEnd::default();
    let mut from = 0;
    while let Some(p) = finder.find(&bytes[from..]) {
        let start = from + p;
        let header_end =
            match memmem::find(&bytes[start + 11..(start + 80).min(bytes.len())], b"-----") {
                Some(q) => start + 11 + q + 5,
                None => {
                    from = start + 11;
                    continue;
                }
            };
        let label = &bytes[start + 11..header_end - 5];
        if !label.ends_with(b"PRIVATE KEY") && !label.ends_with(b"PRIVATE KEY BLOCK") {
            from = header_end;
            continue;
        }
        let end = match ends.at_or_after(bytes, header_end) {
            Some(q) => {
                let e = q + 9;
                match memmem::find(&bytes[e..(e + 80).min(bytes.len())], b"-----") {
                    Some(r) => e + r + 5,
                    None => e,
                }
            }
            None => base64_body_end(bytes, header_end),
        };
        sink.push(start, end, PiiType::PrivateKey);
        from = end.max(start + 1);
    }
}

/// The next `-----END ` at or after a position, remembered: BEGIN lines come in increasing
/// order, so a text of many BEGIN lines and no END is searched once, not once per BEGIN.
#[derive(Default)]
struct NextEnd {
    /// Searched from `.0` onwards; found at `.1` (or nowhere).
    known: Option<(usize, Option<usize>)>,
}

impl NextEnd {
    fn at_or_after(&mut self, bytes: &[u8], from: usize) -> Option<usize> {
        match self.known {
            Some((searched, found)) if searched <= from && found.is_none_or(|f| f >= from) => found,
            _ => {
                let found = memmem::find(&bytes[from..], b"-----END ").map(|q| from + q);
                self.known = Some((from, found));
                found
            }
        }
    }
}

/// End of a run of base64 body text (base64 alphabet, line breaks, escaped `\n`); stops at the
/// first space or punctuation, which real PEM bodies never contain.
fn base64_body_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r' | b'\\') {
            i += 1;
        } else {
            break;
        }
    }
    i
}
