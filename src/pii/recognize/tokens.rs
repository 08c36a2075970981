//! Credentials recognisable by their own shape: vendor-prefixed tokens, JWTs and PEM private keys.

use super::{Sink, at, before, is_word};
use crate::pii::PiiType;
use memchr::memmem;
use regex::bytes::Regex;

/// Vendor-prefixed tokens. One alternation, so the regex engine prefilters on the prefixes.
const PREFIXED: &str = r"(?-u)(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}|(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255}|https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]+|xox[abposre]-[A-Za-z0-9\-]{10,250}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,250}|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*|AIza[0-9A-Za-z_\-]{35}|sk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_\-]{20,}|SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}|npm_[A-Za-z0-9]{36}|(?:glpat|glcbt|glptt|gldt|glrt)-[A-Za-z0-9_\-]{20,}|hvs\.[A-Za-z0-9_\-]{20,}|xkeysib-[A-Za-z0-9\-]{20,}|ya29\.[0-9A-Za-z_\-]{20,}";

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
        for m in self.prefixed.find_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            // A token glued to a longer word is part of something else (a hash, a path).
            if before(bytes, s).is_some_and(|b| is_word(b) || b == b'-')
                && !m.as_bytes().starts_with(b"http")
            {
                continue;
            }
            let tok = m.as_bytes();
            let kind = classify(tok);
            if kind == PiiType::AwsAccessKeyId && at(bytes, e).is_some_and(is_word) {
                continue;
            }
            sink.push(s, e, kind);
        }
        private_keys(bytes, sink);
    }
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
        let end = match memmem::find(&bytes[header_end..], b"-----END ") {
            Some(q) => {
                let e = header_end + q + 9;
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
