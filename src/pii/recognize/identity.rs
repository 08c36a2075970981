//! Who a line is about: user names in home directories, person names in CSV exports with a
//! header, and names introduced by a cue ("opened by Carl Lowe", "Author: Jason Harvey").

use super::{Sink, line_end};
use crate::pii::PiiType;
use crate::pii::recognize::numbers::phone_ok;
use crate::pii::validate::ssn_ok;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::{memchr_iter, memmem};

const NOT_USERS: &[&str] = &[
    "public",
    "default",
    "default user",
    "all users",
    "shared",
    "defaultapppool",
    "guest",
];

/// Cues after which two or three capitalised words are a person's name.
const NAME_CUES: &[&str] = &[
    "opened by ",
    "created by ",
    "submitted by ",
    "reported by ",
    "assigned to ",
    "approved by ",
    "requested by ",
    "for user ",
    "Author: ",
    "author: ",
    "From: ",
    "To: ",
    "Cc: ",
    "contact ",
    "Contact: ",
    "signed by ",
    "on behalf of ",
    "customer ",
    "employee ",
    "Dear ",
    "Hi ",
    "Hello ",
    "owner: ",
    "Owner: ",
];

pub(crate) struct Identity {
    cues: AhoCorasick,
}

impl Identity {
    pub fn new() -> Self {
        Identity {
            cues: AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(NAME_CUES)
                .expect("name cues"),
        }
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        self.home_usernames(bytes, sink);
        self.cued_names(text, sink);
        csv_columns(bytes, sink);
    }

    fn home_usernames(&self, bytes: &[u8], sink: &mut Sink<'_>) {
        // Case-sensitive Unix forms; Windows forms found by "sers\\" then checked backwards
        // (C:\Users\, c:\users\, and the JSON-escaped C:\\Users\\).
        for p in memmem::find_iter(bytes, b"/home/") {
            home_name(bytes, p + 6, sink);
        }
        for p in memmem::find_iter(bytes, b"/Users/") {
            home_name(bytes, p + 7, sink);
        }
        for p in memmem::find_iter(bytes, b"sers\\") {
            let mut s = p + 5;
            while bytes.get(s) == Some(&b'\\') {
                s += 1;
            }
            let Some(u) = p.checked_sub(1) else { continue };
            if !matches!(bytes[u], b'U' | b'u') {
                continue;
            }
            let mut j = u;
            while j > 0 && bytes[j - 1] == b'\\' {
                j -= 1;
            }
            let drive =
                j >= 2 && j < u && bytes[j - 1] == b':' && bytes[j - 2].is_ascii_alphabetic();
            if drive {
                home_name(bytes, s, sink);
            }
        }
    }

    fn cued_names(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        for m in self.cues.find_iter(text) {
            // A name is at most 80 bytes: read a little more than that, not the rest of the
            // line, so a line of cues ("Hi Hi Hi …") stays linear.
            let mut end = line_end(&bytes[..bytes.len().min(m.end() + 128)], m.end());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let rest = &text[m.end()..end];
            if let Some((len, words)) = person_name_len(rest)
                && words >= 2
            {
                sink.push(m.end(), m.end() + len, PiiType::PersonName);
            }
        }
    }
}

/// Lower-case particles inside names: "Eliza van Waas", "Ana de la Cruz".
const PARTICLES: &[&str] = &[
    "van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "dos", "das",
    "bin", "al", "ter", "ten",
];

/// Length in bytes of a person name at the start of `text`, and its number of capitalised words:
/// up to five words separated by single spaces, each capitalised (Unicode; `-` and `'` may
/// start a new capital: "Hanne-Lore", "O'Brien") or a particle between two of them. ALL-CAPS and
/// CamelCase words are identifiers, not names.
pub(crate) fn person_name_len(text: &str) -> Option<(usize, usize)> {
    let mut end = 0;
    let mut capitalised = 0;
    let mut pos = 0;
    let mut particles = 0;
    for _ in 0..6 {
        let rest = &text[pos..];
        let word_len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphabetic() || matches!(c, '-' | '\'' | '’' | '.')))
            .map_or(rest.len(), |(i, _)| i);
        let word = rest[..word_len].trim_end_matches('.');
        let mut chars = word.chars();
        let Some(first) = chars.next() else { break };
        if first.is_lowercase() {
            // At most two in a row ("de la"), and only between capitalised words.
            if capitalised == 0 || particles == 2 || !PARTICLES.contains(&word) {
                break;
            }
            particles += 1;
        } else {
            if !first.is_uppercase() || word.chars().filter(|c| c.is_alphabetic()).count() < 2 {
                break;
            }
            if word.len() > 3 && word.chars().all(|c| !c.is_lowercase()) {
                return None;
            }
            let mut prev = first;
            for c in chars {
                if c.is_uppercase() && !matches!(prev, '-' | '\'' | '’') {
                    return None;
                }
                prev = c;
            }
            capitalised += 1;
            particles = 0;
            end = pos + word.len();
        }
        pos += word_len;
        if capitalised == 5 || !text[pos..].starts_with(' ') {
            break;
        }
        pos += 1;
    }
    (capitalised > 0 && end <= 80).then_some((end, capitalised))
}

/// The user name that starts at `s` (after a home prefix), unless it is a shared profile.
fn home_name(bytes: &[u8], s: usize, sink: &mut Sink<'_>) {
    let mut e = s;
    while e < bytes.len()
        && !matches!(
            bytes[e],
            b'/' | b'\\'
                | b'"'
                | b'\''
                | b':'
                | b';'
                | b','
                | b')'
                | b']'
                | b'}'
                | b'>'
                | b'<'
                | b'|'
                | b'`'
        )
        && !bytes[e].is_ascii_whitespace()
        && e - s < 64
    {
        e += 1;
    }
    if e == s || matches!(bytes[s], b'$' | b'%' | b'{' | b'<' | b'*' | b'.' | b'~') {
        return;
    }
    let name = String::from_utf8_lossy(&bytes[s..e]).to_ascii_lowercase();
    if !NOT_USERS.contains(&name.as_str()) {
        sink.push(s, e, PiiType::HomeUsername);
    }
}

/// What a CSV header column holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Ssn,
    Phone,
    Other,
}

fn column_kind(header: &str) -> Column {
    let h = header
        .trim()
        .trim_matches('"')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    match h.as_str() {
        "name" | "first_name" | "firstname" | "last_name" | "lastname" | "full_name"
        | "fullname" | "surname" | "given_name" | "family_name" | "display_name"
        | "middle_name" | "customer_name" | "contact_name" | "cardholder" | "cardholder_name"
        | "employee_name" => Column::Name,
        "ssn" | "social_security_number" | "tax_id" | "taxid" => Column::Ssn,
        "phone" | "phone_number" | "telephone" | "mobile" | "cell" | "tel" | "msisdn" => {
            Column::Phone
        }
        _ => Column::Other,
    }
}

/// CSV exports: a header line of identifiers names the columns; following lines with the same
/// number of fields are read by column. Shapes are still checked, so a stray line with the same
/// comma count does not turn into findings.
fn csv_columns(bytes: &[u8], sink: &mut Sink<'_>) {
    let mut header: Option<Vec<Column>> = None;
    let mut ls = 0;
    while ls < bytes.len() {
        let le = line_end(bytes, ls);
        let line = &bytes[ls..le];
        // Cheap checks first: most lines are neither a header nor a row of the current header.
        let header_shape = line
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'"')
            && line
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b' ' | b'"' | b',' | b'\r'));
        let wanted = header.as_ref().map_or(0, |c| c.len() - 1);
        let commas = if header_shape || wanted >= 2 {
            memchr_iter(b',', line).count()
        } else {
            0
        };
        if commas >= 2 && (header_shape || commas == wanted) {
            let fields: Vec<&[u8]> = line.split(|b| *b == b',').collect();
            let is_header = header_shape && fields.iter().all(|f| !f.is_empty());
            if is_header {
                let cols: Vec<Column> = fields
                    .iter()
                    .map(|f| column_kind(&String::from_utf8_lossy(f)))
                    .collect();
                header = cols.iter().any(|c| *c != Column::Other).then_some(cols);
            } else if let Some(cols) = header.as_ref().filter(|c| c.len() == fields.len()) {
                let mut off = ls;
                for (field, col) in fields.iter().zip(cols) {
                    let (s, e) = (off, off + field.len());
                    off = e + 1;
                    match col {
                        Column::Name => {
                            if let Ok(v) = std::str::from_utf8(field)
                                && !v.is_empty()
                                && v.chars().all(|c| {
                                    c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.')
                                })
                            {
                                sink.push(s, e, PiiType::PersonName);
                            }
                        }
                        Column::Ssn => {
                            let digits: String = field
                                .iter()
                                .filter(|b| b.is_ascii_digit())
                                .map(|&b| b as char)
                                .collect();
                            if field
                                .iter()
                                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b' '))
                                && ssn_ok(&digits)
                            {
                                sink.push(s, e, PiiType::Ssn);
                            }
                        }
                        Column::Phone => {
                            let shape = field.iter().all(|b| {
                                b.is_ascii_digit()
                                    || matches!(b, b'+' | b'-' | b' ' | b'.' | b'(' | b')')
                            });
                            let n = field.iter().filter(|b| b.is_ascii_digit()).count();
                            if shape
                                && (7..=15).contains(&n)
                                && (field.first() == Some(&b'+') || phone_ok(field) || n >= 7)
                            {
                                sink.push(s, e, PiiType::Phone);
                            }
                        }
                        Column::Other => {}
                    }
                }
            }
        }
        ls = le + 1;
    }
}
