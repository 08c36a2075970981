//! Values named by their key: `password=…`, `"api_key": "…"`, `--db-password '…'`,
//! `Authorization: Bearer …`, `DB_PASSWORD=…`, YAML/TOML/.env/logfmt/query strings, plus the
//! command-line forms that carry passwords (`mysql -u app -pSECRET`, `htpasswd -b f user pw`,
//! `ConvertTo-SecureString '…'`, `IDENTIFIED BY '…'`).
//!
//! A value after a clearly secret-named key is redacted whatever its shape; after an ambiguous key
//! (`key=`) only when it looks random. Identity keys (`ssn`, `phone`, `name`) need a matching shape.

use super::identity::person_name_len;
use super::{Sink, before, is_word, line_end, line_start};
use crate::pii::PiiType;
use crate::pii::validate::{looks_random, ssn_ok};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::memmem;

/// What a key says about its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyClass {
    Password,
    /// Clearly secret (`api_key`, `token`, `client_secret`): any shape.
    Secret,
    /// `key=`: secret only when the value looks random.
    Ambiguous,
    AwsSecret,
    AwsKeyId,
    /// `Authorization`: an optional scheme, then the credential.
    Auth,
    Cookie,
    Ssn,
    Phone,
    Name,
    /// A person's role in a ticket (`assignee`, `reporter`): a name only with two or more
    /// capitalised words, since `owner=Root` or `manager: System` are accounts, not people.
    RoleName,
}

/// Literal cues for the forms without `=`/`:`: long flags, protocol verbs and commands.
const CUES: &[&str] = &[
    "--",
    "PASS ",
    "AUTH ",
    "htpasswd ",
    "ConvertTo-SecureString ",
    "convertto-securestring ",
    "IDENTIFIED BY ",
    "identified by ",
    " -p",
    "sshpass ",
    "net user ",
];

pub(crate) struct Keyed {
    cues: AhoCorasick,
}

impl Keyed {
    pub fn new() -> Self {
        let cues = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(CUES)
            .expect("cues build");
        Keyed { cues }
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        // Every `=` and `:` is a possible separator; the key is read backwards from it. Most are
        // rejected by the last word of the key without allocating.
        for sep in memchr::memchr2_iter(b'=', b':', bytes) {
            let Some((ks, ke)) = key_before(bytes, sep) else {
                continue;
            };
            let mut buf = [0u8; 24];
            let key = &bytes[ks..ke];
            let last = last_word(key, &mut buf);
            // `…_id` keys are everywhere (request_id, trace_id); only tax and session ids matter.
            if !last_word_matters(last) || (last == b"id" && !id_key_matters(key)) {
                continue;
            }
            self.keyed_value(bytes, ks, ke, sink);
        }
        for m in self.cues.find_iter(bytes) {
            match CUES[m.pattern().as_usize()] {
                "--" => {
                    // A long flag followed by a space: `--db-password 'x'`.
                    if before(bytes, m.start())
                        .is_some_and(|b| !b.is_ascii_whitespace() && b != b'"' && b != b'\'')
                    {
                        continue;
                    }
                    let mut ke = m.end();
                    while ke < bytes.len()
                        && (is_word(bytes[ke]) || bytes[ke] == b'-')
                        && ke - m.end() < 48
                    {
                        ke += 1;
                    }
                    if bytes.get(ke) == Some(&b' ') {
                        self.keyed_value(bytes, m.start(), ke, sink);
                    }
                }
                "PASS " | "AUTH " => {
                    if before(bytes, m.start()).is_none_or(|b| !is_word(b)) {
                        self.keyed_value(bytes, m.start(), m.end() - 1, sink);
                    }
                }
                cue => command_line(bytes, cue, m.start(), m.end(), sink),
            }
        }
    }

    fn keyed_value(&self, bytes: &[u8], ks: usize, ke: usize, sink: &mut Sink<'_>) {
        // A path segment ("team/auth:1.2") or URL userinfo ("https://ci-token:…@") is no key.
        if matches!(before(bytes, ks), Some(b'/' | b'\\')) {
            return;
        }
        let Some(sep) = separator(bytes, ks, ke) else {
            return;
        };
        let Some(class) = classify_key(bytes, ks, ke, sep.space_only) else {
            return;
        };
        value_after(bytes, ks, sep, class, sink);
    }
}

/// The key that ends before a separator at `sep`: `password=`, `"password": `, `\"pw\":`.
fn key_before(bytes: &[u8], sep: usize) -> Option<(usize, usize)> {
    let mut j = sep;
    let mut blanks = 0;
    while j > 0 && matches!(bytes[j - 1], b' ' | b'\t') && blanks < 4 {
        j -= 1;
        blanks += 1;
    }
    if j > 0 && matches!(bytes[j - 1], b'"' | b'\'') {
        j -= 1;
        if j > 0 && bytes[j - 1] == b'\\' {
            j -= 1;
        }
    }
    // Every key worth reading ends in a letter: rejects timestamps ("12:45:29") at once.
    if j == 0 || !bytes[j - 1].is_ascii_alphabetic() {
        return None;
    }
    let ke = j;
    while j > 0 && key_byte(bytes[j - 1]) && ke - j < 64 {
        j -= 1;
    }
    (j < ke && bytes[j..ke].iter().any(u8::is_ascii_alphabetic)).then_some((j, ke))
}

/// The last word of a key (after `_`, `-`, `.` or a camelCase step), lower-cased into `buf`.
fn last_word<'b>(key: &[u8], buf: &'b mut [u8; 24]) -> &'b [u8] {
    let mut s = key.len();
    while s > 0 && key[s - 1].is_ascii_alphanumeric() && key.len() - s < buf.len() {
        s -= 1;
        // camelCase: "clientSecret" -> "secret" (but "SECRET" and "Secret" stay whole).
        if s > 0 && key[s].is_ascii_uppercase() && key[s - 1].is_ascii_lowercase() {
            break;
        }
    }
    let word = &key[s..];
    let n = word.len().min(buf.len());
    for (d, c) in buf.iter_mut().zip(&word[..n]) {
        *d = c.to_ascii_lowercase();
    }
    &buf[..n]
}

fn id_key_matters(key: &[u8]) -> bool {
    let k = key.to_ascii_lowercase();
    [
        &b"tax_id"[..],
        b"tax-id",
        b"taxid",
        b"session_id",
        b"session-id",
        b"sessionid",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// Last words `classify_key` may accept: a cheap filter before it allocates.
fn last_word_matters(w: &[u8]) -> bool {
    matches!(
        w,
        b"password"
            | b"passwd"
            | b"pass"
            | b"pwd"
            | b"pw"
            | b"passphrase"
            | b"passcode"
            | b"pword"
            | b"pswd"
            | b"passw"
            | b"authorization"
            | b"auth"
            | b"token"
            | b"apikey"
            | b"secret"
            | b"credential"
            | b"credentials"
            | b"authtoken"
            | b"accesstoken"
            | b"secretkey"
            | b"privatekey"
            | b"sessionid"
            | b"jsessionid"
            | b"phpsessid"
            | b"sessid"
            | b"signature"
            | b"sig"
            | b"sid"
            | b"id"
            | b"key"
            | b"cookie"
            | b"ssn"
            | b"taxid"
            | b"number"
            | b"phone"
            | b"telephone"
            | b"tel"
            | b"mobile"
            | b"cell"
            | b"fax"
            | b"msisdn"
            | b"phonenumber"
            | b"name"
            | b"fullname"
            | b"firstname"
            | b"lastname"
            | b"surname"
            | b"displayname"
            | b"givenname"
            | b"familyname"
            | b"cardholder"
            | b"author"
            | b"holder"
            | b"assignee"
            | b"reporter"
            | b"requester"
            | b"requestor"
            | b"approver"
            | b"manager"
            | b"owner"
            | b"recipient"
            | b"technician"
    )
}

/// Passwords given to commands: `htpasswd -b FILE USER PW`, `ConvertTo-SecureString 'pw'`,
/// `IDENTIFIED BY 'pw'`, `sshpass -p pw`, `net user NAME PW`, and `-p` of mysql/docker login.
fn command_line(bytes: &[u8], cue: &str, start: usize, end: usize, sink: &mut Sink<'_>) {
    let le = line_end(bytes, end);
    let lower = cue.to_ascii_lowercase();
    if lower.starts_with("htpasswd") {
        if before(bytes, start).is_some_and(is_word) {
            return;
        }
        // htpasswd [-flags] FILE USER PASSWORD, with a `b` flag: the third argument.
        let args: Vec<(usize, usize)> = words(bytes, end, le);
        let batch = args
            .iter()
            .take_while(|(s, _)| bytes[*s] == b'-')
            .any(|(s, e)| bytes[*s..*e].contains(&b'b'));
        let positional: Vec<_> = args.iter().filter(|(s, _)| bytes[*s] != b'-').collect();
        if batch && positional.len() >= 3 {
            let (s, e) = *positional[2];
            sink.push(s, e, PiiType::Password);
        }
    } else if lower.starts_with("convertto")
        || lower.starts_with("identified")
        || lower.starts_with("sshpass")
    {
        let mut i = end;
        let rest = bytes[i..le].to_ascii_lowercase();
        if lower.starts_with("convertto") && rest.starts_with(b"-string ") {
            i += 8;
        }
        if lower.starts_with("identified") && rest.starts_with(b"password ") {
            i += 9;
        }
        if lower.starts_with("sshpass") {
            if !bytes[i..le].starts_with(b"-p") {
                return;
            }
            i += 2;
            while i < le && bytes[i] == b' ' {
                i += 1;
            }
        }
        if let Some((s, e)) = token_at(bytes, i, le) {
            sink.push(s, e, PiiType::Password);
        }
    } else if lower.starts_with("net") {
        // net user NAME PASSWORD
        let args = words(bytes, end, le);
        if args.len() >= 2 && bytes[args[1].0] != b'/' && bytes[args[1].0] != b'*' {
            sink.push(args[1].0, args[1].1, PiiType::Password);
        }
    } else {
        // `-p` (password) of mysql, docker login and friends: only on a line that also names a
        // user (`-u`), so `ssh -p 2222` and `docker run -p 80:80` stay.
        let ls = line_start(bytes, start);
        let line = &bytes[ls..le];
        if memmem::find(line, b" -u").is_none() && memmem::find(line, b"--user").is_none() {
            return;
        }
        let mut i = end;
        if bytes
            .get(i)
            .is_some_and(|b| *b == b'-' || *b == b'=' || is_flag_letter_run(bytes, i))
        {
            return;
        }
        while i < le && bytes[i] == b' ' {
            i += 1;
        }
        if let Some((s, e)) = token_at(bytes, i, le)
            && !bytes[s..e].iter().all(u8::is_ascii_digit)
            && bytes[s] != b'-'
        {
            sink.push(s, e, PiiType::Password);
        }
    }
}

/// `-port`, `-print`: a longer flag, not `-p` followed by a glued password. A glued password is
/// accepted only when it has a non-letter in it.
fn is_flag_letter_run(bytes: &[u8], i: usize) -> bool {
    let mut j = i;
    while j < bytes.len() && !bytes[j].is_ascii_whitespace() {
        j += 1;
    }
    j > i && bytes[i..j].iter().all(u8::is_ascii_lowercase)
}

/// Whitespace-separated words in `[from, to)`.
fn words(bytes: &[u8], from: usize, to: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = from;
    while i < to {
        while i < to && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let s = i;
        while i < to && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if s < i {
            out.push((s, i));
        }
    }
    out
}

/// One argument at `i`: quoted (without the quotes) or up to whitespace.
fn token_at(bytes: &[u8], i: usize, le: usize) -> Option<(usize, usize)> {
    if i >= le {
        return None;
    }
    let q = bytes[i];
    if q == b'\'' || q == b'"' {
        let close = memchr::memchr(q, &bytes[i + 1..le])?;
        return (close > 0).then_some((i + 1, i + 1 + close));
    }
    let mut e = i;
    while e < le
        && !bytes[e].is_ascii_whitespace()
        && !matches!(bytes[e], b'"' | b'\'' | b';' | b')')
    {
        e += 1;
    }
    (e > i).then_some((i, e))
}

fn key_byte(b: u8) -> bool {
    is_word(b) || b == b'-' || b == b'.' || b == b'$'
}

/// Where the separator after a key ends, and what follows.
#[derive(Clone, Copy, Debug)]
struct Separator {
    /// First byte after the separator and any blanks.
    value_start: usize,
    /// The key was followed only by a space (CLI flag, `PASS x`).
    space_only: bool,
    /// The key starts its line and takes a colon (YAML): an unquoted value runs to the end of
    /// the line. (`KEY=value words` in .env files ends at the blank, as shells read it.)
    line_key: bool,
    /// The key is a URL query parameter: `&` ends an unquoted value.
    query: bool,
}

fn separator(bytes: &[u8], ks: usize, ke: usize) -> Option<Separator> {
    let mut i = ke;
    // Closing quote of a quoted key: "password": / 'password': / \"password\":
    if bytes.get(i) == Some(&b'\\') && matches!(bytes.get(i + 1), Some(b'"' | b'\'')) {
        i += 2;
    } else if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    let mut blanks = 0;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) && blanks < 4 {
        i += 1;
        blanks += 1;
    }
    let flag = bytes[ks] == b'-';
    let upper_cmd = {
        let k = &bytes[ks..ke];
        (k == b"PASS" || k == b"AUTH") && ke < bytes.len() && bytes[ke] == b' '
    };
    let mut space_only = false;
    match bytes.get(i) {
        Some(b'=') if bytes.get(i + 1) == Some(&b'>') => i += 2,
        // `password == x` compares; `password==x` is a value that starts with '='.
        Some(b'=')
            if bytes.get(i + 1) == Some(&b'=')
                && matches!(bytes.get(i + 2), None | Some(b' ' | b'\t' | b'\n')) =>
        {
            return None;
        }
        Some(b'=') => i += 1,
        Some(b':') if bytes.get(i + 1) == Some(&b'=') => i += 2,
        Some(b':') if !matches!(bytes.get(i + 1), Some(b':' | b'/')) => i += 1,
        _ if (flag || upper_cmd) && blanks > 0 => space_only = true,
        _ => return None,
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) && i - ke < 48 {
        i += 1;
    }
    let query = matches!(before(bytes, ks), Some(b'?' | b'&'));
    let colon = bytes[ke..i].contains(&b':');
    let indent_only = colon && !flag && key_starts_line(bytes, ks);
    Some(Separator {
        value_start: i,
        space_only,
        line_key: indent_only,
        query,
    })
}

/// Only indentation (or a YAML list dash or comment mark) before the key on its line; scanned
/// backwards so it stops at the first other byte.
fn key_starts_line(bytes: &[u8], ks: usize) -> bool {
    let mut j = ks;
    while j > 0 && matches!(bytes[j - 1], b' ' | b'\t' | b'-' | b'#') {
        j -= 1;
    }
    j == 0 || bytes[j - 1] == b'\n'
}

/// A key as lower-case words joined by `_`, split on `_`, `-`, `.` and camelCase:
/// `clientSecret` -> `client_secret`, `X-Api-Key` -> `x_api_key`.
fn key_words(key: &[u8]) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for &b in key {
        if !b.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
            out.push('_');
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        out.push(b.to_ascii_lowercase() as char);
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

fn classify_key(bytes: &[u8], ks: usize, ke: usize, space_only: bool) -> Option<KeyClass> {
    let key = &bytes[ks..ke];
    if space_only {
        // Only CLI flags and the two upper-case protocol verbs take a space separator.
        if key == b"PASS" || key == b"AUTH" {
            return Some(KeyClass::Password);
        }
        if key[0] != b'-' {
            return None;
        }
    }
    // The last dotted segment is the key proper: spring.datasource.password -> password.
    let seg = key.rsplit(|b| *b == b'.').next().unwrap_or(key);
    let joined = key_words(seg);
    let mut rev = joined.rsplit('_');
    let last = rev.next().filter(|w| !w.is_empty())?;
    let prev = rev.next();
    let single_word = prev.is_none();
    if joined.contains("secret_access_key") || (joined.contains("aws") && joined.contains("secret"))
    {
        return Some(KeyClass::AwsSecret);
    }
    if joined.ends_with("access_key_id") {
        return Some(KeyClass::AwsKeyId);
    }
    let class = match last {
        "password" | "passwd" | "pass" | "pwd" | "pw" | "passphrase" | "passcode" | "pword"
        | "pswd" | "passw" => KeyClass::Password,
        "authorization" | "auth" => KeyClass::Auth,
        "token" | "apikey" | "secret" | "credential" | "credentials" | "authtoken"
        | "accesstoken" | "secretkey" | "privatekey" => KeyClass::Secret,
        // Session ids and signatures are credentials when they look random; ZooKeeper's
        // "sessionid: 0x24ee…" or CBS's "Session: 3054_3175" are counters.
        "sessionid" | "jsessionid" | "phpsessid" | "sessid" | "signature" | "sig" => {
            KeyClass::Ambiguous
        }
        "sid" if matches!(prev, Some("session") | None) => KeyClass::Ambiguous,
        "id" if prev == Some("session") => KeyClass::Ambiguous,
        // tls.key, ca.key, server.key: names of key material (Kubernetes secret data).
        "key" if seg.len() < key.len() => KeyClass::Secret,
        "key" => match prev {
            None => KeyClass::Ambiguous,
            Some(
                "api" | "secret" | "private" | "access" | "client" | "app" | "master"
                | "encryption" | "signing" | "license" | "subscription" | "account" | "service"
                | "auth" | "webhook" | "consumer" | "shared" | "host" | "function" | "storage"
                | "admin" | "session" | "sas" | "ingest" | "integration",
            ) => KeyClass::Secret,
            _ => return None,
        },
        "cookie" => KeyClass::Cookie,
        "ssn" => KeyClass::Ssn,
        "id" if prev == Some("tax") => KeyClass::Ssn,
        "taxid" => KeyClass::Ssn,
        "number" if joined.contains("social_security") => KeyClass::Ssn,
        "phone" | "telephone" | "tel" | "mobile" | "cell" | "fax" | "msisdn" | "phonenumber" => {
            KeyClass::Phone
        }
        "number"
            if matches!(
                prev,
                Some("phone" | "telephone" | "mobile" | "cell" | "fax")
            ) =>
        {
            KeyClass::Phone
        }
        "name" => {
            let two_word = two_word_name_key(bytes, ks);
            let prev_ok = matches!(
                prev.or(two_word.as_deref()),
                Some(
                    "full"
                        | "first"
                        | "last"
                        | "display"
                        | "given"
                        | "family"
                        | "customer"
                        | "contact"
                        | "holder"
                        | "cardholder"
                        | "owner"
                        | "employee"
                        | "patient"
                        | "real"
                        | "legal"
                        | "middle"
                )
            );
            // A dotted `name` belongs to its parent: `user.name` is a person, `os.name` and
            // `service.name` are not.
            let parent = key.rsplit(|b| *b == b'.').nth(1);
            let parent_ok = parent.is_some_and(|p| {
                matches!(
                    p.to_ascii_lowercase().as_slice(),
                    b"user"
                        | b"author"
                        | b"committer"
                        | b"customer"
                        | b"contact"
                        | b"owner"
                        | b"employee"
                        | b"patient"
                        | b"person"
                        | b"cardholder"
                        | b"holder"
                )
            });
            let bare = if parent.is_some() {
                parent_ok
            } else {
                single_word && two_word.is_none()
            };
            if bare || prev_ok {
                KeyClass::Name
            } else {
                return None;
            }
        }
        "fullname" | "firstname" | "lastname" | "surname" | "displayname" | "givenname"
        | "familyname" | "cardholder" | "author" | "holder" => KeyClass::Name,
        "assignee" | "reporter" | "requester" | "requestor" | "approver" | "manager" | "owner"
        | "recipient" | "technician" => KeyClass::RoleName,
        _ => return None,
    };
    // `PWD=/home/alice` is sudo's working directory, not a password.
    if key == b"PWD" && bytes.get(ke + 1) == Some(&b'/') {
        return None;
    }
    Some(class)
}

/// "Display Name:" / "Full Name:" — the word before a bare `Name` key.
fn two_word_name_key(bytes: &[u8], ks: usize) -> Option<String> {
    if before(bytes, ks) != Some(b' ') {
        return None;
    }
    let mut j = ks - 1;
    while j > 0 && bytes[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    (j < ks - 1).then(|| String::from_utf8_lossy(&bytes[j..ks - 1]).to_ascii_lowercase())
}

/// Reads the value after the separator and pushes it with the type the key implies.
fn value_after(bytes: &[u8], ks: usize, sep: Separator, class: KeyClass, sink: &mut Sink<'_>) {
    let le = line_end(bytes, sep.value_start);
    let i = sep.value_start;
    if i >= le {
        return;
    }
    let (vs, ve) = match quoted_value(bytes, i, le) {
        Some(span) => span,
        // `$pw = ConvertTo-SecureString …`: in code, an unquoted right-hand side is an
        // expression, not a literal (the literal inside it is found on its own).
        None if bytes[ks] == b'$' => return,
        None => {
            let e = match class {
                KeyClass::Auth | KeyClass::Cookie | KeyClass::Name | KeyClass::RoleName => le,
                KeyClass::Phone => phone_end(bytes, i, le, sep.query),
                KeyClass::Password | KeyClass::Secret | KeyClass::AwsSecret
                    if sep.line_key && !sep.space_only =>
                {
                    trim_end(bytes, i, le)
                }
                _ => unquoted_end(bytes, i, le, sep.query),
            };
            (i, e)
        }
    };
    if vs >= ve {
        return;
    }
    let value = &bytes[vs..ve];
    match class {
        KeyClass::Auth => auth_value(bytes, vs, ve, sep.query, sink),
        KeyClass::Cookie => cookie_values(bytes, vs, ve, sink),
        KeyClass::Name => {
            if let Some((s, e)) = name_value(bytes, vs, ve, 1) {
                sink.push(s, e, PiiType::PersonName);
            }
        }
        KeyClass::RoleName => {
            if let Some((s, e)) = name_value(bytes, vs, ve, 2) {
                sink.push(s, e, PiiType::PersonName);
            }
        }
        KeyClass::Ssn => {
            let digits: String = value
                .iter()
                .filter(|b| b.is_ascii_digit())
                .map(|&b| b as char)
                .collect();
            let shape = value
                .iter()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b' '));
            if shape && ssn_ok(&digits) {
                sink.push(vs, ve, PiiType::Ssn);
            }
        }
        KeyClass::Phone => {
            let decoded = percent_decode(value);
            let shape = decoded.iter().all(|b| {
                b.is_ascii_digit() || matches!(b, b'+' | b'-' | b' ' | b'.' | b'(' | b')')
            });
            let digits = decoded.iter().filter(|b| b.is_ascii_digit()).count();
            if shape && (7..=15).contains(&digits) {
                sink.push(vs, ve, PiiType::Phone);
            }
        }
        _ => {
            // `$cred` is a variable after most keys, but after a password key it may be a
            // password that starts with '$': only upper-case `$VAR` is taken as a variable there.
            let lower_var =
                value.starts_with(b"$") && value[1..].iter().any(u8::is_ascii_lowercase);
            if is_placeholder(value) && !(class == KeyClass::Password && lower_var) {
                return;
            }
            if matches!(class, KeyClass::Ambiguous)
                && (!looks_random(&String::from_utf8_lossy(value)) || value.starts_with(b"0x"))
            {
                return;
            }
            if matches!(class, KeyClass::Secret) && value.len() < 3 {
                return;
            }
            let kind = match class {
                KeyClass::Password => {
                    if in_connection_string(bytes, ks) {
                        PiiType::DbConnection
                    } else {
                        PiiType::Password
                    }
                }
                KeyClass::AwsSecret => PiiType::AwsSecretKey,
                KeyClass::AwsKeyId => PiiType::AwsAccessKeyId,
                _ => PiiType::ApiKey,
            };
            sink.push(vs, ve, kind);
        }
    }
}

/// A quoted value at `i` (`"…"`, `'…'`, `` `…` `` or JSON-escaped `\"…\"`), without its quotes.
fn quoted_value(bytes: &[u8], i: usize, le: usize) -> Option<(usize, usize)> {
    if bytes[i] == b'\\' && matches!(bytes.get(i + 1), Some(b'"' | b'\'')) {
        let q = bytes[i + 1];
        let start = i + 2;
        let close = memmem::find(&bytes[start..le], &[b'\\', q])?;
        return Some((start, start + close));
    }
    let q = bytes[i];
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    let start = i + 1;
    let mut j = start;
    while j < le {
        if bytes[j] == b'\\' && q == b'"' {
            j += 2;
            continue;
        }
        if bytes[j] == q {
            return Some((start, j));
        }
        j += 1;
    }
    // Unterminated: up to the end of the line, fail closed.
    Some((start, le))
}

fn unquoted_end(bytes: &[u8], i: usize, le: usize, query: bool) -> usize {
    let mut e = i;
    while e < le {
        let b = bytes[e];
        if b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'`' | b';' | b'<' | b'>') {
            break;
        }
        // Closing punctuation ends a value only where it closes something: before a blank, the
        // end of the line or more punctuation ("pw=abc, user=x", "{pw=abc}"). Inside a value
        // ("Ab,c)d") it is part of the secret, and stopping there would leak the rest.
        if matches!(b, b',' | b')' | b']' | b'}')
            && bytes.get(e + 1).is_none_or(|n| {
                n.is_ascii_whitespace()
                    || matches!(n, b',' | b')' | b']' | b'}' | b'"' | b'\'' | b';' | b'&')
            })
        {
            break;
        }
        if b == b'&' && query {
            break;
        }
        // A JSON-escaped quote ends the value too.
        if b == b'\\' && matches!(bytes.get(e + 1), Some(b'"' | b'\'')) {
            break;
        }
        e += 1;
    }
    e
}

/// Phone values keep their brackets and url-encoded spaces: `(314)%20384-4650`.
fn phone_end(bytes: &[u8], i: usize, le: usize, query: bool) -> usize {
    let mut e = i;
    while e < le
        && !bytes[e].is_ascii_whitespace()
        && !matches!(bytes[e], b'"' | b'\'' | b',' | b';' | b'<' | b'>')
    {
        if bytes[e] == b'&' && query {
            break;
        }
        e += 1;
    }
    e
}

/// End of a line-level value: the line without trailing blanks or a ` #` comment.
fn trim_end(bytes: &[u8], i: usize, le: usize) -> usize {
    let mut e = le;
    if let Some(c) = memmem::find(&bytes[i..le], b" #") {
        e = i + c;
    }
    while e > i && bytes[e - 1].is_ascii_whitespace() {
        e -= 1;
    }
    e
}

/// Masked, empty, boolean and templated values are not secrets.
fn is_placeholder(v: &[u8]) -> bool {
    if v.iter()
        .all(|b| matches!(b, b'*' | b'x' | b'X' | b'#' | b'.' | b'-'))
    {
        return true;
    }
    const WORDS: &[&[u8]] = &[
        b"null",
        b"none",
        b"nil",
        b"undefined",
        b"true",
        b"false",
        b"yes",
        b"no",
        b"on",
        b"off",
        b"redacted",
        b"[redacted]",
        b"<redacted>",
        b"<hidden>",
        b"hidden",
        b"[filtered]",
        b"filtered",
        b"required",
        b"optional",
        b"set",
        b"unset",
        b"empty",
        b"n/a",
        b"na",
        b"masked",
        b"[masked]",
        b"<masked>",
        b"(hidden)",
        b"(none)",
        b"secret",
        b"password",
        b"login",
        b"plain",
        b"ok",
        b"simple",
        b"kerberos",
        b"basic",
        b"bearer",
        b"ntlm",
        b"negotiate",
        b"digest",
        b"anonymous",
    ];
    if v.len() <= 12 && WORDS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        return true;
    }
    let starts = |p: &[u8]| v.starts_with(p);
    starts(b"${") || starts(b"{{") || starts(b"%(") || starts(b"$(") || starts(b"{") || starts(b"[")
        || (starts(b"<") && v.ends_with(b">"))
        || v == b"%s"
        // $VAR, $cred, %VAR%: variables, not values (upper-case for %…%, where a password
        // could also start and end with a percent sign).
        || (starts(b"$") && v.len() > 1 && v[1..].iter().all(|b| is_word(*b)))
        || (starts(b"%") && v.ends_with(b"%") && v.len() > 2 && v[1..v.len() - 1].iter().all(|b| b.is_ascii_uppercase() || *b == b'_'))
}

/// `Authorization: Bearer xyz` → `xyz`, typed as JWT when it is one.
fn auth_value(bytes: &[u8], vs: usize, ve: usize, query: bool, sink: &mut Sink<'_>) {
    let mut s = vs;
    let mut word_end = s;
    while word_end < ve && bytes[word_end].is_ascii_alphabetic() {
        word_end += 1;
    }
    let scheme = bytes[s..word_end].to_ascii_lowercase();
    const SCHEMES: &[&[u8]] = &[
        b"bearer",
        b"basic",
        b"token",
        b"digest",
        b"negotiate",
        b"bot",
        b"oauth",
        b"apikey",
        b"ssws",
        b"hmac",
        b"ntlm",
    ];
    if SCHEMES.contains(&scheme.as_slice()) && bytes.get(word_end) == Some(&b' ') {
        s = word_end + 1;
        while s < ve && bytes[s] == b' ' {
            s += 1;
        }
    }
    let e = if scheme.as_slice() == b"digest" {
        ve
    } else {
        unquoted_end(bytes, s, ve, query)
    };
    if s >= e || is_placeholder(&bytes[s..e]) {
        return;
    }
    let kind = if bytes[s..e].starts_with(b"eyJ")
        && bytes[s..e].iter().filter(|b| **b == b'.').count() == 2
    {
        PiiType::Jwt
    } else {
        PiiType::BearerToken
    };
    sink.push(s, e, kind);
}

/// `Cookie: a=1; sid=xyz` → each value.
fn cookie_values(bytes: &[u8], vs: usize, ve: usize, sink: &mut Sink<'_>) {
    let mut i = vs;
    while i < ve {
        let Some(eq) = memchr::memchr(b'=', &bytes[i..ve]) else {
            break;
        };
        let s = i + eq + 1;
        let mut e = s;
        while e < ve && !matches!(bytes[e], b';' | b' ' | b'"' | b'\'') {
            e += 1;
        }
        if e > s && !is_placeholder(&bytes[s..e]) {
            sink.push(s, e, PiiType::BearerToken);
        }
        i = e;
        while i < ve && matches!(bytes[i], b';' | b' ') {
            i += 1;
        }
        // Attributes of Set-Cookie (Path=/, Domain=…) are not values worth hiding, but hiding them
        // costs nothing; stop only at the end of the header.
    }
}

/// A person name value: see [`person_name_len`].
fn name_value(bytes: &[u8], vs: usize, ve: usize, min_words: usize) -> Option<(usize, usize)> {
    let text = std::str::from_utf8(&bytes[vs..ve]).ok()?;
    let (len, words) = person_name_len(text)?;
    (words >= min_words).then_some((vs, vs + len))
}

/// Whether a `password=`/`pwd=` key sits in a JDBC, ADO.NET or ODBC connection string.
fn in_connection_string(bytes: &[u8], ks: usize) -> bool {
    let ls = line_start(bytes, ks);
    let from = ks.saturating_sub(256).max(ls);
    let raw = &bytes[from..ks];
    // ADO.NET/ODBC strings separate their keys with ';', JDBC URLs start with "jdbc:".
    if memchr::memchr(b';', raw).is_none() && memmem::find(raw, b"jdbc:").is_none() {
        return false;
    }
    let window = raw.to_ascii_lowercase();
    const MARKERS: &[&[u8]] = &[
        b"jdbc:",
        b"server=",
        b"data source=",
        b"database=",
        b"databasename=",
        b"uid=",
        b"user id=",
        b"driver=",
        b"initial catalog=",
        b"host=",
        b"dbname=",
    ];
    MARKERS.iter().any(|m| memmem::find(&window, m).is_some())
}

/// Decodes `%XX` escapes (for url-encoded phone numbers); invalid escapes are kept as they are.
fn percent_decode(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && i + 2 < v.len()
            && let (Some(h), Some(l)) = (
                (v[i + 1] as char).to_digit(16),
                (v[i + 2] as char).to_digit(16),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_words_split() {
        assert_eq!(key_words(b"DB_PASSWORD"), "db_password");
        assert_eq!(key_words(b"clientSecret"), "client_secret");
        assert_eq!(key_words(b"X-Api-Key"), "x_api_key");
        assert_eq!(key_words(b"_authToken"), "auth_token");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode(b"%2B1%20773"), b"+1 773");
        assert_eq!(percent_decode(b"100%"), b"100%");
    }
}
