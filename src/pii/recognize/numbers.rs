//! Numbers that identify people: payment cards (Luhn + brand), US SSNs (issued ranges), phones.

use super::{Sink, at, before};
use crate::pii::PiiType;
use crate::pii::validate::{card_brand_ok, luhn_ok, ssn_ok};
use regex::bytes::Regex;

/// Grouped 4-4-4-4(-3), Amex/Diners 4-6-5 and 4-6-4, or 13-19 bare digits.
const CARD: &str = r"(?-u)\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{3})?|\d{4}[ -]\d{6}[ -]\d{4,5}|\d{13,19}";
const SSN: &str = r"(?-u)\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}";
/// International (`+` and 1-3 country digits), NANP with parentheses, dashes, dots or `1-`.
const PHONE: &str = r"(?-u)\+\d{1,3}(?:[ .\-]?\(?\d{1,5}\)?){1,6}|(?:\+?1[ .\-])?\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|(?:1-)?\d{3}-\d{3}-\d{4}|\d{3}\.\d{3}\.\d{4}";

pub(crate) struct Numbers {
    card: Regex,
    ssn: Regex,
    phone: Regex,
}

impl Numbers {
    pub fn new() -> Self {
        Numbers {
            card: Regex::new(CARD).expect("card pattern"),
            ssn: Regex::new(SSN).expect("ssn pattern"),
            phone: Regex::new(PHONE).expect("phone pattern"),
        }
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        for m in self.card.find_iter(bytes) {
            if !digit_bounded(bytes, m.start(), m.end()) || glued_to_identifier(bytes, m.start()) {
                continue;
            }
            let digits: String = m.as_bytes().iter().filter(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
            if card_brand_ok(&digits) && luhn_ok(&digits) {
                sink.push(m.start(), m.end(), PiiType::CreditCard);
            }
        }
        for m in self.ssn.find_iter(bytes) {
            if !digit_bounded(bytes, m.start(), m.end()) {
                continue;
            }
            let digits: String = m.as_bytes().iter().filter(|b| b.is_ascii_digit()).map(|&b| b as char).collect();
            if ssn_ok(&digits) {
                sink.push(m.start(), m.end(), PiiType::Ssn);
            }
        }
        for m in self.phone.find_iter(bytes) {
            let (s, e) = (m.start(), m.end());
            let tok = m.as_bytes();
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
