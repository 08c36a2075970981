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
    "curl ",
    "mysqladmin ",
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
        let mut memo = Memo::default();
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
            keyed_value(bytes, ks, ke, &mut memo, sink);
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
                        keyed_value(bytes, m.start(), ke, &mut memo, sink);
                    }
                }
                "PASS " | "AUTH " => {
                    if before(bytes, m.start()).is_none_or(|b| !is_word(b)) {
                        keyed_value(bytes, m.start(), m.end() - 1, &mut memo, sink);
                    }
                }
                cue => command_line(bytes, cue, m.start(), m.end(), &mut memo, sink),
            }
        }
    }
}

/// What one scan remembers from one key to the next. Keys come in increasing order, and on a
/// crafted line (`password=password=…`, `Password=;` ten thousand times) every key would
/// otherwise re-read the rest of its line: quadratic time. With these, each byte is read a
/// bounded number of times.
#[derive(Default)]
struct Memo {
    /// `(from, end)`: every position in `from..=end` has its line end at `end`.
    line: Option<(usize, usize)>,
    /// The last [`unquoted_end`] and [`phone_end`] runs.
    unquoted: Option<Run>,
    phone: Option<Run>,
    /// Cookie headers are read to the end of their line: a cookie key before this offset sits
    /// inside a header already read.
    cookie_until: usize,
    /// `(line start, line end, names a user)` of the last ` -p` cue's line.
    user_line: Option<(usize, usize, bool)>,
}

/// A value run: scanning from any position in `from..=end` (with the same line end and query
/// flag) stops at `end`, since the stop test looks only at the bytes at and after the cursor.
#[derive(Clone, Copy)]
struct Run {
    from: usize,
    end: usize,
    le: usize,
    query: bool,
}

type EndFn = fn(&[u8], usize, usize, bool) -> usize;

impl Memo {
    fn line_end(&mut self, bytes: &[u8], i: usize) -> usize {
        if let Some((from, end)) = self.line
            && (from..=end).contains(&i)
        {
            return end;
        }
        let end = line_end(bytes, i);
        self.line = Some((i, end));
        end
    }

    fn run_end(
        slot: &mut Option<Run>,
        f: EndFn,
        bytes: &[u8],
        i: usize,
        le: usize,
        query: bool,
    ) -> usize {
        if let Some(r) = *slot
            && r.le == le
            && r.query == query
            && (r.from..=r.end).contains(&i)
        {
            return r.end;
        }
        let end = f(bytes, i, le, query);
        *slot = Some(Run {
            from: i,
            end,
            le,
            query,
        });
        end
    }

    fn unquoted_end(&mut self, bytes: &[u8], i: usize, le: usize, query: bool) -> usize {
        Self::run_end(&mut self.unquoted, unquoted_end, bytes, i, le, query)
    }

    fn phone_end(&mut self, bytes: &[u8], i: usize, le: usize, query: bool) -> usize {
        Self::run_end(&mut self.phone, phone_end, bytes, i, le, query)
    }

    /// Whether the line around `i` also names a user (`-u`, `--user`), read once per line.
    fn line_names_user(&mut self, bytes: &[u8], i: usize) -> bool {
        if let Some((ls, le, yes)) = self.user_line
            && (ls..=le).contains(&i)
        {
            return yes;
        }
        let (ls, le) = (line_start(bytes, i), self.line_end(bytes, i));
        let line = &bytes[ls..le];
        let yes = memmem::find(line, b" -u").is_some() || memmem::find(line, b"--user").is_some();
        self.user_line = Some((ls, le, yes));
        yes
    }
}

fn keyed_value(bytes: &[u8], ks: usize, ke: usize, memo: &mut Memo, sink: &mut Sink<'_>) {
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
    value_after(bytes, ks, sep, class, memo, sink);
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
    let ke = j;
    // Every key worth reading ends in a letter, or in a letter and a few digits (`PASSWORD1`):
    // rejects timestamps ("12:45:29") at once.
    while j > 0 && bytes[j - 1].is_ascii_digit() && ke - j < 3 {
        j -= 1;
    }
    if j == 0 || !bytes[j - 1].is_ascii_alphabetic() {
        return None;
    }
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
    is_password_word(w)
        || matches!(
            w,
            b"authorization"
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

/// Password words, also glued to a prefix or followed by digits as environment variables and
/// configs spell them: `PGPASSWORD`, `dbpassword`, `ROOTPASSWORD`, `PASSWORD1`, `mailpass`,
/// `dbpwd2`. The long words take any prefix; the short `pass`/`pwd`/`pw` only a known one, since
/// `bypass`, `compass`, `passport` and `OLDPWD` are no passwords. `w` is lower-case.
fn is_password_word(w: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pass",
        b"pwd",
        b"pw",
        b"passphrase",
        b"passcode",
        b"pword",
        b"pswd",
        b"passw",
    ];
    const LONG: &[&[u8]] = &[b"password", b"passwd", b"passphrase", b"passcode"];
    const SHORT: &[&[u8]] = &[b"pass", b"pwd", b"pw"];
    /// What a short password word is glued to: a service, an account or a role.
    const PREFIXES: &[&[u8]] = &[
        b"db",
        b"pg",
        b"psql",
        b"mysql",
        b"sql",
        b"mssql",
        b"ora",
        b"oracle",
        b"mongo",
        b"redis",
        b"ldap",
        b"smtp",
        b"mail",
        b"imap",
        b"pop",
        b"pop3",
        b"ftp",
        b"sftp",
        b"ssh",
        b"vnc",
        b"rdp",
        b"wifi",
        b"wlan",
        b"vpn",
        b"proxy",
        b"http",
        b"web",
        b"api",
        b"app",
        b"svc",
        b"root",
        b"admin",
        b"user",
        b"usr",
        b"login",
        b"master",
        b"sudo",
        b"sys",
        b"my",
        b"new",
        b"old",
        b"cur",
        b"default",
        b"initial",
        b"tmp",
        b"temp",
        b"bind",
        b"keystore",
        b"truststore",
        b"store",
        b"key",
        b"rabbit",
        b"amqp",
        b"kafka",
        b"jdbc",
        b"auth",
        b"sa",
        b"db2",
        b"enc",
    ];
    let digits = w.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let w = &w[..w.len() - digits];
    if w.is_empty() || w == b"htpasswd" {
        return false;
    }
    WORDS.contains(&w)
        || LONG.iter().any(|l| w.ends_with(l))
        || SHORT
            .iter()
            .any(|s| w.strip_suffix(*s).is_some_and(|p| PREFIXES.contains(&p)))
}

/// Passwords given to commands: `htpasswd -b FILE USER PW`, `ConvertTo-SecureString 'pw'`,
/// `IDENTIFIED BY 'pw'`, `sshpass -p pw`, `net user NAME PW`, `curl -u USER:PW`,
/// `mysqladmin … password PW`, and `-p` of mysql/docker login.
fn command_line(
    bytes: &[u8],
    cue: &str,
    start: usize,
    end: usize,
    memo: &mut Memo,
    sink: &mut Sink<'_>,
) {
    let le = memo.line_end(bytes, end);
    let lower = cue.to_ascii_lowercase();
    if lower.starts_with("htpasswd") {
        if before(bytes, start).is_some_and(is_word) {
            return;
        }
        // htpasswd [-flags] FILE USER PASSWORD, with a `b` flag: the third argument.
        let args: Vec<(usize, usize)> = words(bytes, end, le, 12);
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
        // Only the next word matters: lower-casing the whole rest of the line for every cue
        // would be quadratic on a line of cues.
        let rest = &bytes[i..le.min(i + 9)];
        if lower.starts_with("convertto") && rest.eq_ignore_ascii_case(b"-string ") {
            i += 8;
        }
        if lower.starts_with("identified") && rest.eq_ignore_ascii_case(b"password ") {
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
        let args = words(bytes, end, le, 2);
        if args.len() >= 2 && bytes[args[1].0] != b'/' && bytes[args[1].0] != b'*' {
            sink.push(args[1].0, args[1].1, PiiType::Password);
        }
    } else if lower.starts_with("curl") {
        if before(bytes, start).is_none_or(|b| !is_word(b)) {
            curl_user(bytes, end, le, sink);
        }
    } else if lower.starts_with("mysqladmin") {
        // mysqladmin [options] password NEW: the word after `password`.
        if before(bytes, start).is_some_and(is_word) {
            return;
        }
        let args = words(bytes, end, le, 16);
        if let Some(w) = args
            .windows(2)
            .find(|w| bytes[w[0].0..w[0].1].eq_ignore_ascii_case(b"password"))
            && let Some((s, e)) = token_at(bytes, w[1].0, le)
            && bytes[s] != b'-'
            && !is_placeholder(&bytes[s..e])
        {
            sink.push(s, e, PiiType::Password);
        }
    } else {
        // `-p` (password) of mysql, docker login and friends: only on a line that also names a
        // user (`-u`), so `ssh -p 2222` and `docker run -p 80:80` stay.
        if !memo.line_names_user(bytes, start) {
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

/// `curl -u USER:PW`, `--user USER:PW`, `--user=USER:PW`, `-uUSER:PW` (and the proxy forms
/// `-U`, `--proxy-user`): the password after the first colon. Without a colon curl prompts, and
/// the user name alone stays.
fn curl_user(bytes: &[u8], from: usize, le: usize, sink: &mut Sink<'_>) {
    let args = words(bytes, from, le, 32);
    for (n, &(s, e)) in args.iter().enumerate() {
        let w = &bytes[s..e];
        let value_start = if matches!(w, b"-u" | b"-U" | b"--user" | b"--proxy-user") {
            match args.get(n + 1) {
                Some(next) => next.0,
                None => continue,
            }
        } else if let Some(p) = [&b"--user="[..], b"--proxy-user="]
            .iter()
            .find(|p| w.starts_with(p))
        {
            s + p.len()
        } else if w.len() > 2 && (w.starts_with(b"-u") || w.starts_with(b"-U")) {
            s + 2
        } else {
            continue;
        };
        let Some((vs, ve)) = token_at(bytes, value_start, le) else {
            continue;
        };
        if let Some(colon) = memchr::memchr(b':', &bytes[vs..ve])
            && vs + colon + 1 < ve
            && !is_placeholder(&bytes[vs + colon + 1..ve])
        {
            sink.push(vs + colon + 1, ve, PiiType::Password);
        }
    }
}

/// The first `max` whitespace-separated words in `[from, to)`: commands need only their first
/// few arguments, and the bound keeps a line of repeated commands linear.
fn words(bytes: &[u8], from: usize, to: usize, max: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = from;
    while i < to && out.len() < max {
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
        w if is_password_word(w.as_bytes()) => KeyClass::Password,
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
    // `PWD=/home/alice` is sudo's working directory (and `OLDPWD=` the shell's), not a password.
    if key.len() >= 3
        && key[key.len() - 3..].eq_ignore_ascii_case(b"pwd")
        && key.iter().all(u8::is_ascii_uppercase)
        && bytes.get(ke + 1) == Some(&b'/')
    {
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
fn value_after(
    bytes: &[u8],
    ks: usize,
    sep: Separator,
    class: KeyClass,
    memo: &mut Memo,
    sink: &mut Sink<'_>,
) {
    let le = memo.line_end(bytes, sep.value_start);
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
                KeyClass::Phone => memo.phone_end(bytes, i, le, sep.query),
                KeyClass::Password | KeyClass::Secret | KeyClass::AwsSecret
                    if sep.line_key && !sep.space_only =>
                {
                    trim_end(bytes, i, le)
                }
                _ => memo.unquoted_end(bytes, i, le, sep.query),
            };
            (i, e)
        }
    };
    if vs >= ve {
        return;
    }
    let value = &bytes[vs..ve];
    match class {
        KeyClass::Auth => auth_value(bytes, vs, ve, sep.query, memo, sink),
        KeyClass::Cookie => {
            if vs >= memo.cookie_until {
                cookie_values(bytes, vs, ve, sink);
                memo.cookie_until = ve;
            }
        }
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
        // SSNs and phones are short: a longer value is something else (and the bound keeps a
        // line of `ssn=ssn=…` from being decoded once per key).
        KeyClass::Ssn if value.len() > 16 => {}
        KeyClass::Phone if value.len() > 64 => {}
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
            // (Read only for placeholders, which are short runs of word bytes.)
            let lower_var =
                || value.starts_with(b"$") && value[1..].iter().any(u8::is_ascii_lowercase);
            if is_placeholder(value) && !(class == KeyClass::Password && lower_var()) {
                return;
            }
            if matches!(class, KeyClass::Ambiguous) && !ambiguous_value_is_secret(value) {
                return;
            }
            if matches!(class, KeyClass::Secret) && value.len() < 3 {
                return;
            }
            if matches!(class, KeyClass::Secret | KeyClass::Ambiguous)
                && is_object_dump(bytes, vs, ve)
            {
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

/// After an ambiguous key (`key=`, `sessionid=`) a value counts only when it looks random,
/// judged on its first 256 bytes: enough to tell, and bounded so a line of `key=key=…` stays
/// linear. Fields joined by `|` are a record (`key=0|com.tencent.mm|4097|null|10112`, Android's
/// pending-intent keys), not a token; `0x…` is a counter.
fn ambiguous_value_is_secret(value: &[u8]) -> bool {
    let head = &value[..value.len().min(256)];
    !value.starts_with(b"0x")
        && !head.contains(&b'|')
        && looks_random(&String::from_utf8_lossy(head))
}

/// A printed object rather than a credential, after a token or key name: Java's identity form
/// `android.os.BinderProxy@2bd79ce`, Android's `Token{78af589 ActivityRecord{…}}`, and a
/// structure dump that opens after a type name (Hadoop's `Token: Token { kind: … }`). The class
/// name must be capitalised and the identity 1-8 hex digits, as `Object.toString` prints it.
/// Password keys are exempt: a password is redacted whatever its shape.
fn is_object_dump(bytes: &[u8], vs: usize, ve: usize) -> bool {
    let v = &bytes[vs..ve];
    let n = v
        .iter()
        .position(|b| !(is_word(*b) || matches!(b, b'.' | b'$')))
        .unwrap_or(v.len());
    let class = v[..n].rsplit(|b| *b == b'.').next().unwrap_or_default();
    if !class.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    // What follows the type name, also past the value's end (`Token { kind: …` ends the value
    // at the blank).
    let rest = &bytes[vs + n..bytes.len().min(vs + n + 12)];
    if rest.starts_with(b" {") || rest.starts_with(b"{ ") {
        return true;
    }
    if !matches!(rest.first(), Some(b'{' | b'@')) {
        return false;
    }
    let id = &rest[1..];
    let hex_len = id.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    (1..=8).contains(&hex_len)
        && id[hex_len..]
            .first()
            .is_none_or(|b| matches!(b, b'}' | b' ' | b'\n' | b'\r' | b','))
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
fn auth_value(
    bytes: &[u8],
    vs: usize,
    ve: usize,
    query: bool,
    memo: &mut Memo,
    sink: &mut Sink<'_>,
) {
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
        memo.unquoted_end(bytes, s, ve, query)
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

/// `Cookie: a=1; sid=xyz` → each value. `Set-Cookie` attributes (`Path=/`, `Expires=…`,
/// `SameSite=Lax`) describe the cookie and are kept as context; only the values are secrets.
fn cookie_values(bytes: &[u8], vs: usize, ve: usize, sink: &mut Sink<'_>) {
    let mut i = vs;
    while i < ve {
        let Some(eq) = memchr::memchr(b'=', &bytes[i..ve]) else {
            break;
        };
        let name_end = i + eq;
        let s = name_end + 1;
        if is_cookie_attribute(&bytes[i..name_end]) {
            // An attribute value may hold spaces ("Expires=Wed, 21 Oct 2015 07:28:00 GMT"):
            // it runs to the next ';'.
            i = memchr::memchr(b';', &bytes[s..ve]).map_or(ve, |p| s + p);
        } else {
            let mut e = s;
            while e < ve && !matches!(bytes[e], b';' | b' ' | b'"' | b'\'') {
                e += 1;
            }
            if e > s && !is_placeholder(&bytes[s..e]) {
                sink.push(s, e, PiiType::BearerToken);
            }
            i = e;
        }
        while i < ve && matches!(bytes[i], b';' | b' ') {
            i += 1;
        }
    }
}

/// The attribute names of RFC 6265 `Set-Cookie` (plus the common extensions), in any case.
fn is_cookie_attribute(name: &[u8]) -> bool {
    const ATTRIBUTES: &[&[u8]] = &[
        b"path",
        b"domain",
        b"expires",
        b"max-age",
        b"samesite",
        b"secure",
        b"httponly",
        b"priority",
        b"partitioned",
        b"version",
        b"comment",
    ];
    let name = name.trim_ascii();
    ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// A person name value: see [`person_name_len`].
fn name_value(bytes: &[u8], vs: usize, ve: usize, min_words: usize) -> Option<(usize, usize)> {
    // A name is at most 80 bytes; reading a little more gives the same answer (a word cut at
    // the bound ends past 80 and is refused either way) and keeps a line of keys linear.
    let mut cut = ve.min(vs + 128);
    while cut > vs && cut < bytes.len() && (bytes[cut] & 0xC0) == 0x80 {
        cut -= 1;
    }
    let text = std::str::from_utf8(&bytes[vs..cut]).ok()?;
    let (len, words) = person_name_len(text)?;
    (words >= min_words).then_some((vs, vs + len))
}

/// Whether a `password=`/`pwd=` key sits in a JDBC, ADO.NET or ODBC connection string.
fn in_connection_string(bytes: &[u8], ks: usize) -> bool {
    // Only the 256 bytes before the key are read, so only they are searched for the line start.
    let window = ks.saturating_sub(256);
    let from = memchr::memrchr(b'\n', &bytes[window..ks]).map_or(window, |p| window + p + 1);
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
