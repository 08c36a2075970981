//! Numbers that identify people: payment cards (Luhn + brand), US SSNs (issued ranges), phones.

use super::network::ipv4_candidate;
use super::{Sink, at, before};
use crate::pii::PiiType;
use crate::pii::validate::{card_brand_ok, luhn_ok, ssn_ok};
use regex::bytes::Regex;

/// One pass over digit shapes, classified afterwards by shape. Order matters for the
/// leftmost-first alternation: IPv4 dotted quads; SSNs (3-2-4); cards grouped 4-4-4-4(-3),
/// Amex/Diners 4-6-5 and 4-6-4, or 13-19 bare digits; phones: international (`+` and 1-3 country
/// digits), NANP with parentheses, dashes, dots or `1-`.
const NUMERIC: &str = concat!(
    r"(?-u)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    r"|\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}",
    r"|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{6}[ -]\d{4,5}|\d{13,19}",
    r"|\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){1,6}|(?:\+?1[ .\-])?\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|(?:1-)?\d{3}-\d{3}-\d{4}|\d{3}\.\d{3}\.\d{4}",
);

pub(crate) struct Numbers {
    numeric: Regex,
}

impl Numbers {
    pub fn new() -> Self {
        Numbers {
            numeric: Regex::new(NUMERIC).expect("numeric pattern"),
        }
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        for m in self.numeric.find_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            let tok = m.as_bytes();
            let dots = tok.iter().filter(|b| **b == b'.').count();
            if dots == 3 && tok.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
                ipv4_candidate(bytes, s, e, sink);
            } else if tok.len() == 11
                && matches!(tok[3], b'-' | b' ')
                && tok[6] == tok[3]
                && tok[0] != b'+'
            {
                if digit_bounded(bytes, s, e) && ssn_ok(&digits(tok)) {
                    sink.push(s, e, PiiType::Ssn);
                }
            } else if tok[0] != b'+' && tok[0] != b'(' && is_card_shape(tok) {
                let d = digits(tok);
                if digit_bounded(bytes, s, e)
                    && !glued_to_identifier(bytes, s)
                    && card_brand_ok(&d)
                    && luhn_ok(&d)
                {
                    sink.push(s, e, PiiType::CreditCard);
                }
            } else {
                // A phone may be glued to a word ("oncall_phone415-555-0134") but not to digits.
                if before(bytes, s).is_some_and(|b| b.is_ascii_digit() || b == b'.' || b == b'+')
                    || at(bytes, e).is_some_and(|b| b.is_ascii_digit())
                {
                    continue;
                }
                if phone_ok(tok) {
                    sink.push(s, e, PiiType::Phone);
                }
            }
        }
    }
}

fn digits(tok: &[u8]) -> String {
    tok.iter()
        .filter(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect()
}

/// Groups of digits separated by single spaces or dashes, 13-19 digits in all.
fn is_card_shape(tok: &[u8]) -> bool {
    let n = tok.iter().filter(|b| b.is_ascii_digit()).count();
    (13..=19).contains(&n)
        && tok
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'-'))
}

/// Not part of a longer number: no digit (or decimal point + digit) directly around the span.
fn digit_bounded(bytes: &[u8], s: usize, e: usize) -> bool {
    let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
    if digit(before(bytes, s)) || digit(at(bytes, e)) {
        return false;
    }
    let dotted_before = before(bytes, s) == Some(b'.') && s >= 2 && bytes[s - 2].is_ascii_digit();
    let dotted_after = at(bytes, e) == Some(b'.') && digit(at(bytes, e + 1));
    !(dotted_before || dotted_after)
}

/// `blk_5018…`, `blk_-4380…`: a numeric id inside an identifier, not a card.
fn glued_to_identifier(bytes: &[u8], s: usize) -> bool {
    match before(bytes, s) {
        Some(b'_') => true,
        Some(b'-') => s >= 2 && (bytes[s - 2] == b'_' || bytes[s - 2].is_ascii_alphanumeric()),
        _ => false,
    }
}

/// Digit count and NANP area-code sanity for a phone candidate.
pub(crate) fn phone_ok(tok: &[u8]) -> bool {
    let digits: Vec<u8> = tok.iter().filter(|b| b.is_ascii_digit()).copied().collect();
    if tok.first() == Some(&b'+') {
        // Country code + subscriber: E.164 allows up to 15 digits; fewer than 8 is a time zone
        // offset ("+0000") or a count.
        if !(8..=15).contains(&digits.len()) {
            return false;
        }
        if digits.first() == Some(&b'0') {
            return false;
        }
        // +1 numbers follow the NANP shape.
        if digits[0] == b'1' && digits.len() == 11 {
            return digits[1] >= b'2';
        }
        return true;
    }
    let national = match digits.len() {
        10 => &digits[..],
        11 if digits[0] == b'1' => &digits[1..],
        _ => return false,
    };
    national[0] >= b'2'
}
