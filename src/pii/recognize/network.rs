//! Addresses and names: IPv4, IPv6, MAC, e-mail, internal host names, and credentials in URLs.

use super::{Sink, at, before, previous_word};
use crate::pii::PiiType;
use memchr::memmem;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Top-level domains that only exist inside organisations.
const INTERNAL_TLDS: &[&str] = &[
    "internal",
    "intranet",
    "intra",
    "lan",
    "local",
    "localdomain",
    "corp",
    "home",
    "private",
    "priv",
    "localnet",
    "cluster",
    "svc",
    "ad",
    "int",
];
/// Public top-level domains a host name candidate may end with.
const PUBLIC_TLDS: &[&str] = &[
    "com", "net", "org", "io", "co", "us", "uk", "de", "fr", "nl", "eu", "ca", "au", "jp", "cn",
    "in", "br", "ru", "ch", "se", "no", "es", "it", "pl", "be", "at", "dk", "fi", "ie", "nz", "sg",
    "hk", "kr", "tw", "za", "mx", "ar", "edu", "gov", "mil", "info", "biz", "cloud", "app", "dev",
    "ai", "me", "tv", "xyz", "tech", "online", "site", "cz", "pt", "gr", "hu", "ro", "il", "tr",
    "ua", "vn", "id", "my", "th", "ph", "cl", "pe",
];
/// Labels that mark a name under a public TLD as an internal machine.
const INTERNAL_HINTS: &[&str] = &[
    "corp",
    "internal",
    "intranet",
    "intra",
    "int",
    "lan",
    "local",
    "ad",
    "prod",
    "production",
    "dev",
    "stg",
    "stage",
    "staging",
    "qa",
    "uat",
    "test",
    "dr",
    "mgmt",
    "dmz",
    "priv",
    "private",
    "infra",
    "office",
    "hq",
    "vpn",
    "ops",
    "compute",
];
/// Labels that mark a name as internal even under a public service's domain: the company's own
/// network (`*.corp.microsoft.com`, `*.internal.google.com`), never a public service name.
const CORPORATE_HINTS: &[&str] = &[
    "corp", "corpnet", "internal", "intranet", "intra", "lan", "priv", "private", "dmz", "mgmt",
];
/// Content delivery and advertising domains: their host names carry numbers (`yt3.ggpht.com`,
/// `pagead2.googlesyndication.com`) that look machine-like but name public servers.
const PUBLIC_CDN_DOMAINS: &[&str] = &[
    "ggpht.com",
    "googlesyndication.com",
    "googleadservices.com",
    "doubleclick.net",
    "googlevideo.com",
    "gvt1.com",
    "gvt2.com",
    "ytimg.com",
    "ydstatic.com",
    "youdao.com",
    "sogoucdn.com",
    "baidustatic.com",
    "qpic.cn",
    "gtimg.cn",
    "gtimg.com",
    "alicdn.com",
    "akamaihd.net",
    "edgekey.net",
    "edgesuite.net",
    "fastly.net",
    "jsdelivr.net",
    "dropboxstatic.com",
    "evernote.com",
    "githubapp.com",
];
/// Registrable domains of public services: names under them are not personal data.
const PUBLIC_DOMAINS: &[&str] = &[
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "googleusercontent.com",
    "github.com",
    "githubusercontent.com",
    "gitlab.com",
    "amazonaws.com",
    "amazon.com",
    "cloudfront.net",
    "microsoft.com",
    "windows.net",
    "azure.com",
    "office.com",
    "live.com",
    "apple.com",
    "icloud.com",
    "dropbox.com",
    "slack.com",
    "sogou.com",
    "baidu.com",
    "bdimg.com",
    "bdstatic.com",
    "qq.com",
    "facebook.com",
    "fbcdn.net",
    "twitter.com",
    "mozilla.org",
    "mozilla.net",
    "ubuntu.com",
    "debian.org",
    "docker.io",
    "docker.com",
    "npmjs.org",
    "npmjs.com",
    "pypi.org",
    "python.org",
    "cloudflare.com",
    "akamai.net",
    "akamaiedge.net",
    "yahoo.com",
    "bing.com",
    "wikipedia.org",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "sina.com.cn",
    "163.com",
    "youtube.com",
    "kernel.org",
    "redhat.com",
    "centos.org",
    "fedoraproject.org",
    "java.com",
    "oracle.com",
    "apache.org",
    "openssl.org",
    "letsencrypt.org",
    "digicert.com",
    "visualstudio.com",
    "msftncsi.com",
    "skype.com",
    "adobe.com",
    "mcafee.com",
    "symantec.com",
    "nvidia.com",
    "intel.com",
];

pub(crate) struct Network;

impl Network {
    pub fn new() -> Self {
        Network
    }

    pub fn scan(&self, text: &str, sink: &mut Sink<'_>) {
        let bytes = text.as_bytes();
        self.hex_shapes(bytes, sink);
        emails(bytes, sink);
        url_userinfo(bytes, sink);
        self.hostnames(bytes, sink);
    }

    /// MACs and IPv6 addresses, found from their separators (`:`, `-`, `.`) with SIMD search and
    /// checked by hand: several times faster than a regex that must consider every hex byte.
    fn hex_shapes(&self, bytes: &[u8], sink: &mut Sink<'_>) {
        let mut done = 0;
        for p in memchr::memchr3_iter(b':', b'-', b'.', bytes) {
            if p < done {
                continue;
            }
            done = match bytes[p] {
                b':' => colon_token(bytes, p, sink),
                b'-' => dash_mac(bytes, p, sink),
                _ => cisco_mac(bytes, p, sink),
            };
        }
    }

    /// Host names, found from the dot before a known top-level domain (SIMD search for dots,
    /// then a table lookup), and read backwards label by label.
    fn hostnames(&self, bytes: &[u8], sink: &mut Sink<'_>) {
        let mut done = 0;
        for p in memchr::memchr_iter(b'.', bytes) {
            if p < done || p == 0 {
                continue;
            }
            let mut e = p + 1;
            while e < bytes.len() && bytes[e].is_ascii_alphabetic() && e - p <= 12 {
                e += 1;
            }
            // The TLD ends the name: not followed by more label bytes or another label.
            match at(bytes, e) {
                Some(b) if word_byte(b) || b == b'-' => continue,
                Some(b'.') if at(bytes, e + 1).is_some_and(|b| b.is_ascii_alphanumeric()) => {
                    continue;
                }
                _ => {}
            }
            if e == p + 1 || !is_tld(&bytes[p + 1..e]) {
                continue;
            }
            let s = name_start(bytes, p);
            done = e;
            if s == p
                || !bytes[s].is_ascii_alphanumeric()
                || e - s > 253
                || before(bytes, s).is_some_and(|b| matches!(b, b'.' | b'%' | b'$'))
            {
                continue;
            }
            let name = String::from_utf8_lossy(&bytes[s..e]).to_ascii_lowercase();
            if host_is_internal(&name) {
                sink.push(s, e, PiiType::Hostname);
            }
        }
    }
}

/// Whether `label` (ASCII letters) is a top-level domain we look for, in any case.
fn is_tld(label: &[u8]) -> bool {
    let mut buf = [0u8; 16];
    let n = label.len().min(buf.len());
    buf[..n].copy_from_slice(&label[..n]);
    buf[..n].make_ascii_lowercase();
    let Ok(tld) = std::str::from_utf8(&buf[..n]) else {
        return false;
    };
    INTERNAL_TLDS.contains(&tld) || PUBLIC_TLDS.contains(&tld)
}

/// Start of the dotted name whose last dot is at `p`: labels of `[A-Za-z0-9_-]` joined by dots.
fn name_start(bytes: &[u8], p: usize) -> usize {
    let label = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut s = p;
    loop {
        // Bounded like the whole name, so one huge label is not re-read for every dot after it.
        while s > 0 && label(bytes[s - 1]) && p - s < 254 {
            s -= 1;
        }
        if s >= 2 && bytes[s - 1] == b'.' && label(bytes[s - 2]) && p - s < 253 {
            s -= 1;
        } else {
            return s;
        }
    }
}

fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The colon-separated hex token around the colon at `p`: a MAC run or an IPv6 candidate.
/// Returns where scanning may resume.
fn colon_token(bytes: &[u8], p: usize, sink: &mut Sink<'_>) -> usize {
    let mut s = p;
    while s > 0 && (hex(bytes[s - 1]) || bytes[s - 1] == b':') && p - s < 40 {
        s -= 1;
    }
    let mut e = p + 1;
    while e < bytes.len() && (hex(bytes[e]) || matches!(bytes[e], b':' | b'.')) && e - s < 46 {
        e += 1;
    }
    let resume = e;
    while e > p + 1 && bytes[e - 1] == b'.' {
        e -= 1; // sentence end: "from fe80::1."
    }
    // Glued to a word after: part of something longer ("en0::IO80211Interface").
    if at(bytes, e).is_some_and(word_byte) {
        return resume;
    }
    // Inside a longer word ("SHA256:…", "T13:44:02"), or an interface name before an address
    // ("en0:2607:f140::1", "eth0:fe80::1").
    if before(bytes, s).is_some_and(|b| word_byte(b) || b == b'.') {
        ipv6_after_ifname(bytes, s, p, e, sink);
        return resume;
    }
    let tok = &bytes[s..e];
    if memchr::memchr_iter(b':', tok).count() < 2 {
        return resume;
    }
    let mac_end = if tok.ends_with(b":") && !tok.ends_with(b"::") {
        e - 1
    } else {
        e
    };
    if is_pair_run(&bytes[s..mac_end], b':') {
        mac_run(bytes, s, mac_end, sink);
    } else if memmem::find(tok, b"::").is_some() || memchr::memchr_iter(b':', tok).count() >= 6 {
        // An IPv6 address has "::" or at least seven groups (six with an IPv4 tail); this
        // rejects times ("12:45:29") before the parser runs.
        ipv6_candidate(bytes, s, e, sink);
    }
    resume
}

/// `aa<sep>bb<sep>…`: hex pairs joined by one separator, at least six of them.
fn is_pair_run(tok: &[u8], sep: u8) -> bool {
    tok.len() >= 17
        && tok.len() % 3 == 2
        && tok
            .iter()
            .enumerate()
            .all(|(i, &b)| if i % 3 == 2 { b == sep } else { hex(b) })
}

/// `aa-bb-cc-dd-ee-ff` whose first dash is at `p`.
fn dash_mac(bytes: &[u8], p: usize, sink: &mut Sink<'_>) -> usize {
    if p < 2 || !hex(bytes[p - 1]) || !hex(bytes[p - 2]) || at(bytes, p + 3) != Some(b'-') {
        return p + 1;
    }
    let s = p - 2;
    if before(bytes, s).is_some_and(|b| word_byte(b) || b == b'-') {
        return p + 1;
    }
    let mut e = s + 2;
    while at(bytes, e) == Some(b'-')
        && at(bytes, e + 1).is_some_and(hex)
        && at(bytes, e + 2).is_some_and(hex)
    {
        e += 3;
    }
    if at(bytes, e).is_some_and(word_byte) || !is_pair_run(&bytes[s..e], b'-') {
        return e.max(p + 1);
    }
    mac_run(bytes, s, e, sink);
    e
}

/// Cisco `aabb.ccdd.eeff` whose first dot is at `p`.
fn cisco_mac(bytes: &[u8], p: usize, sink: &mut Sink<'_>) -> usize {
    if p < 4 || p + 10 > bytes.len() || bytes[p + 5] != b'.' {
        return p + 1;
    }
    let s = p - 4;
    let e = p + 10;
    let tok = &bytes[s..e];
    let shape = tok
        .iter()
        .enumerate()
        .all(|(i, &b)| if i == 4 || i == 9 { b == b'.' } else { hex(b) });
    if !shape
        || before(bytes, s).is_some_and(|b| word_byte(b) || b == b'.')
        || at(bytes, e).is_some_and(|b| word_byte(b) || b == b'.')
    {
        return p + 1;
    }
    // 1234.5678.9012 is a number, not a Cisco MAC.
    if !tok.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
        sink.push(s, e, PiiType::Mac);
    }
    e
}

/// A run of hex pairs: one MAC, two (netfilter's `MAC=dst:src:type`), or a fingerprint.
fn mac_run(bytes: &[u8], s: usize, e: usize, sink: &mut Sink<'_>) {
    let sep = bytes[s + 2];
    // A run continuing another run ("…:aa:bb") is part of something longer.
    if before(bytes, s) == Some(sep) && s >= 2 && bytes[s - 2].is_ascii_hexdigit() {
        return;
    }
    match (e - s + 1) / 3 {
        6 | 8 => sink.push(s, e, PiiType::Mac),
        12 | 14 => {
            sink.push(s, s + 17, PiiType::Mac);
            sink.push(s + 18, s + 35, PiiType::Mac);
        }
        _ => {} // fingerprints (16, 20, 32 pairs) are public material
    }
}

/// `NAME:ADDR` where `NAME` ends in the hex bytes before the colon at `p` (`en0:2001:db8::5`,
/// macOS's `v6(en0:2607:f140:6000:8:c6b3:1ff:fecd:467f)`): the address after the colon, when the
/// name is one short word and the rest is a strong IPv6 shape — `::` or seven colons — and not
/// a run of hex pairs (`MD5:aa:bb:…` is a fingerprint).
fn ipv6_after_ifname(bytes: &[u8], s: usize, p: usize, e: usize, sink: &mut Sink<'_>) {
    let mut name = s;
    while name > 0 && bytes[name - 1].is_ascii_alphanumeric() && p - name <= 15 {
        name -= 1;
    }
    let name_ok = p - name <= 15
        && bytes[name].is_ascii_alphabetic()
        && before(bytes, name).is_none_or(|b| !(word_byte(b) || matches!(b, b'.' | b':' | b'-')));
    let rest = &bytes[p + 1..e];
    let colons = memchr::memchr_iter(b':', rest).count();
    let strong =
        memmem::find(rest, b"::").is_some() || colons >= 7 || (colons >= 6 && rest.contains(&b'.'));
    if name_ok && strong && !is_pair_run(rest, b':') {
        ipv6_tail(bytes, p + 1, e, sink);
    }
}

fn ipv6_candidate(bytes: &[u8], s: usize, e: usize, sink: &mut Sink<'_>) {
    if before(bytes, s).is_some_and(|b| b == b':' || b == b'.') {
        return;
    }
    ipv6_tail(bytes, s, e, sink);
}

/// The checks after the start of an IPv6 candidate: what follows it, then the parser.
fn ipv6_tail(bytes: &[u8], s: usize, mut e: usize, sink: &mut Sink<'_>) {
    if at(bytes, e).is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return;
    }
    // A longer run of colon-separated hex is a MAC field or a fingerprint.
    if at(bytes, e) == Some(b':') && at(bytes, e + 1).is_some_and(|b| b.is_ascii_hexdigit()) {
        return;
    }
    // "addr 2001:db8::1:" — a trailing single colon is punctuation.
    if e - s >= 2 && bytes[e - 1] == b':' && bytes[e - 2] != b':' {
        e -= 1;
    }
    let Ok(candidate) = std::str::from_utf8(&bytes[s..e]) else {
        return;
    };
    let Ok(addr) = candidate.parse::<Ipv6Addr>() else {
        return;
    };
    if addr.is_unspecified() || addr.is_loopback() || !ipv6_shape_ok(candidate) {
        return;
    }
    sink.push(s, e, PiiType::Ipv6);
}

/// An IPv4-shaped match (from the numbers pass): checks the octets, the surroundings and the
/// version-keyword policy.
pub(crate) fn ipv4_candidate(bytes: &[u8], s: usize, e: usize, sink: &mut Sink<'_>) {
    // Part of a longer dotted number (OID, 5-part version) or of a word: not an address. An
    // underscore joins names (`backup_10.9.8.7.tar`, `host_10.0.0.5`): it is a boundary.
    if before(bytes, s).is_some_and(|b| b.is_ascii_alphanumeric())
        || at(bytes, e).is_some_and(|b| b.is_ascii_alphanumeric())
    {
        return;
    }
    if before(bytes, s) == Some(b'.') && before(bytes, s - 1).is_some_and(|b| b.is_ascii_digit()) {
        return;
    }
    if at(bytes, e) == Some(b'.') && at(bytes, e + 1).is_some_and(|b| b.is_ascii_digit()) {
        return;
    }
    let Some(addr) = std::str::from_utf8(&bytes[s..e])
        .ok()
        .and_then(parse_ipv4_lenient)
    else {
        return;
    };
    if !ipv4_is_personal(addr) || is_version_context(bytes, s) {
        return;
    }
    sink.push(s, e, PiiType::Ipv4);
}

/// IPv4 with each octet <= 255; leading zeros are tolerated (as some logs print them).
fn parse_ipv4_lenient(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        *o = parts.next()?.parse::<u16>().ok().filter(|v| *v <= 255)? as u8;
    }
    Some(Ipv4Addr::from(octets))
}

/// Loopback, unspecified, broadcast and netmasks are not personal data.
fn ipv4_is_personal(addr: Ipv4Addr) -> bool {
    let bits = u32::from(addr);
    let netmask =
        bits != 0 && bits.leading_ones() + bits.trailing_zeros() == 32 && addr.octets()[0] == 255;
    !(addr.is_loopback() || addr.is_unspecified() || addr.is_broadcast() || netmask)
}

/// A dotted quad right after a version keyword is a version: "version 4.2.1.8", "ver 9.1.8.231",
/// "v1.2.3.4", "build 10.0.1.2", "~~6.1.1.0" (Windows CBS), "image:1.10.99.238" (image tags),
/// `"version":"7.19.5.209"`.
fn is_version_context(bytes: &[u8], start: usize) -> bool {
    if matches!(before(bytes, start), Some(b'v' | b'V'))
        && before(bytes, start - 1).is_none_or(|b| !b.is_ascii_alphanumeric())
    {
        return true;
    }
    if start >= 2 && &bytes[start - 2..start] == b"~~" {
        return true;
    }
    let word = previous_word(bytes, start, 4);
    const KEYWORDS: &[&str] = &[
        "version",
        "ver",
        "v",
        "build",
        "firmware",
        "fw",
        "release",
        "rev",
        "revision",
        "bios",
        "kernel",
        "agent",
        "tag",
        "vers",
        "versionid",
        "release_version",
        "app_version",
        "os_version",
    ];
    if KEYWORDS.contains(&word.as_str()) || word.ends_with("version") {
        return true;
    }
    // An image reference: registry/team/app:1.2.3.4
    if before(bytes, start) == Some(b':') {
        let mut j = start - 1;
        let mut saw_slash = false;
        // Image references are short; the bound keeps `a:1.2.3.4:1.2.3.4:…` linear.
        while j > 0
            && !bytes[j - 1].is_ascii_whitespace()
            && !matches!(bytes[j - 1], b'"' | b'\'' | b'=')
            && start - j < 256
        {
            j -= 1;
            if bytes[j] == b'/' {
                saw_slash = true;
            }
        }
        let token = &bytes[j..start];
        if saw_slash && memmem::find(token, b"://").is_none() {
            return true;
        }
    }
    false
}

/// Rejects hex words that happen to parse ("dead::", "cafe::beef"): an address needs at least
/// three groups, or two groups with a digit.
fn ipv6_shape_ok(s: &str) -> bool {
    if s.contains('.') {
        return true; // IPv4-mapped/embedded
    }
    let groups = s.split(':').filter(|g| !g.is_empty()).count();
    groups >= 3 || (groups == 2 && s.bytes().any(|b| b.is_ascii_digit()))
}

/// Whether a dotted name (lower-case) names an internal machine rather than a public service
/// or a file: internal TLDs always; public TLDs only with an internal hint or a machine-like
/// first label, outside well-known public domains.
pub(crate) fn host_is_internal(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    if labels.len() < 2 {
        return false;
    }
    if INTERNAL_TLDS.contains(tld) {
        // "foo.int"/"x.ad" are too ambiguous on two labels.
        return labels.len() >= 3 || !matches!(*tld, "int" | "ad" | "home" | "svc" | "cluster");
    }
    let first = labels[0];
    if encodes_ip(first) {
        return true;
    }
    if labels.len() < 3 {
        return false;
    }
    // Registrable domain: two labels, three under two-letter second levels (co.uk, com.au).
    let sld_len = if labels.len() >= 3
        && matches!(
            labels[labels.len() - 2],
            "co" | "com" | "ac" | "edu" | "gov" | "org" | "net"
        )
        && tld.len() == 2
    {
        3
    } else {
        2
    };
    let sub = &labels[..labels.len() - sld_len];
    if sub.is_empty() {
        return false;
    }
    let has = |hints: &[&str]| {
        sub.iter()
            .any(|l| hints.contains(l) || l.split('-').any(|p| hints.contains(&p)))
    };
    let domain = labels[labels.len() - sld_len..].join(".");
    if PUBLIC_DOMAINS.contains(&domain.as_str()) || PUBLIC_CDN_DOMAINS.contains(&domain.as_str()) {
        // A public company's own network: `WKS-17.fareast.corp.microsoft.com` is a machine,
        // `dev.azure.com` and `test.github.com` are services, so only the unambiguous hints count.
        return has(CORPORATE_HINTS);
    }
    let hinted = has(INTERNAL_HINTS);
    let machine_like =
        first.bytes().any(|b| b.is_ascii_digit()) && first.bytes().any(|b| b.is_ascii_alphabetic());
    hinted || machine_like
}

/// "ip-10-0-3-17", "10-0-3-17", "ec2-54-1-2-3": a label that spells an IPv4 address.
fn encodes_ip(label: &str) -> bool {
    let digits: Vec<&str> = label.split('-').filter(|p| !p.is_empty()).collect();
    let numeric = digits
        .iter()
        .rev()
        .take(4)
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.len() <= 3)
        .count();
    numeric == 4 && digits.len() <= 5
}

/// E-mail addresses around each `@` (and url-encoded `%40`).
fn emails(bytes: &[u8], sink: &mut Sink<'_>) {
    let mut tokens = TokenStarts::default();
    for at_pos in memchr::memchr_iter(b'@', bytes) {
        email_at(bytes, at_pos, 1, &mut tokens, sink);
    }
    let mut tokens = TokenStarts::default();
    for p in memmem::find_iter(bytes, b"%40") {
        email_at(bytes, p, 3, &mut tokens, sink);
    }
}

/// Bytes that end the token an e-mail sits in, looking backwards.
fn token_boundary(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'=' | b'<' | b'(')
}

/// Whether the token around each e-mail candidate holds a `://` before it, remembered from one
/// candidate to the next. Candidates come in increasing order, so each byte is read backwards
/// once per pass: a line of `a@a@a@…` stays linear instead of re-reading the whole token for
/// every `@`.
#[derive(Default)]
struct TokenStarts {
    /// The last local-part start asked about, its token start, and whether `://` lies between.
    last: Option<(usize, usize, bool)>,
}

impl TokenStarts {
    /// Whether `bytes[token_start..s]` contains `://`, where `token_start` is found by walking
    /// back from `s` to a [`token_boundary`].
    fn url_before(&mut self, bytes: &[u8], s: usize) -> bool {
        let (floor, inherited) = match self.last {
            Some((prev_s, prev_token, prev_url)) if prev_s <= s => {
                (prev_s, Some((prev_token, prev_url)))
            }
            _ => (0, None),
        };
        let mut t = s;
        while t > floor && !token_boundary(bytes[t - 1]) {
            t -= 1;
        }
        let answer = match inherited {
            // Reached the previous candidate: same token, so its answer plus the bytes since
            // (from two bytes back, so a `://` straddling `floor` is seen).
            Some((prev_token, prev_url))
                if t == floor && (t == 0 || !token_boundary(bytes[t - 1])) =>
            {
                let from = floor.saturating_sub(2).max(prev_token);
                (
                    prev_token,
                    prev_url || memmem::find(&bytes[from..s], b"://").is_some(),
                )
            }
            _ => (t, memmem::find(&bytes[t..s], b"://").is_some()),
        };
        self.last = Some((s, answer.0, answer.1));
        answer.1
    }
}

fn email_at(
    bytes: &[u8],
    at_pos: usize,
    at_len: usize,
    tokens: &mut TokenStarts,
    sink: &mut Sink<'_>,
) {
    let local_ok =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let mut s = at_pos;
    while s > 0 && local_ok(bytes[s - 1]) && at_pos - s < 64 {
        s -= 1;
    }
    while s < at_pos && matches!(bytes[s], b'.' | b'-') {
        s += 1;
    }
    if s == at_pos {
        return;
    }
    // userinfo of a URL ("https://bob:pw@host"): handled by `url_userinfo`.
    if tokens.url_before(bytes, s) {
        return;
    }
    let Some(e) = email_domain_end(bytes, at_pos + at_len) else {
        return;
    };
    sink.push(s, e, PiiType::Email);
}

/// End of the domain of an e-mail that starts at `d0`, if it is one (a dot and an alphabetic
/// TLD of two letters or more).
fn email_domain_end(bytes: &[u8], d0: usize) -> Option<usize> {
    let mut e = d0;
    while e < bytes.len()
        && (bytes[e].is_ascii_alphanumeric() || matches!(bytes[e], b'.' | b'-'))
        && e - d0 < 255
    {
        e += 1;
    }
    while e > d0 && matches!(bytes[e - 1], b'.' | b'-') {
        e -= 1;
    }
    let domain = &bytes[d0..e];
    let dot = memchr::memrchr(b'.', domain)?;
    let tld = &domain[dot + 1..];
    (dot > 0 && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then_some(e)
}

/// `scheme://user:password@host`: the userinfo is a credential. Database schemes make it a
/// `db_connection`; an empty user (`redis://:pw@host`) leaves only the password.
fn url_userinfo(bytes: &[u8], sink: &mut Sink<'_>) {
    for p in memmem::find_iter(bytes, b"://") {
        let mut scheme_start = p;
        // Schemes are short ("jdbc:postgresql+asyncpg"): the bound keeps a run of scheme bytes
        // from being re-read for every `://` in it.
        while scheme_start > 0
            && (bytes[scheme_start - 1].is_ascii_alphanumeric()
                || matches!(bytes[scheme_start - 1], b'+' | b'.' | b'-'))
            && p - scheme_start < 32
        {
            scheme_start -= 1;
        }
        let scheme = String::from_utf8_lossy(&bytes[scheme_start..p]).to_ascii_lowercase();
        let auth_start = p + 3;
        let mut auth_end = auth_start;
        while auth_end < bytes.len()
            && !matches!(
                bytes[auth_end],
                b'/' | b'?'
                    | b'#'
                    | b'"'
                    | b'\''
                    | b'<'
                    | b'>'
                    | b'`'
                    | b' '
                    | b'\t'
                    | b'\r'
                    | b'\n'
            )
            && auth_end - auth_start < 512
        {
            auth_end += 1;
        }
        let authority = &bytes[auth_start..auth_end];
        let Some(at_rel) = memchr::memrchr(b'@', authority) else {
            continue;
        };
        let userinfo = &authority[..at_rel];
        if userinfo.is_empty() {
            continue;
        }
        let db = is_db_scheme(&scheme);
        let kind = if db {
            PiiType::DbConnection
        } else {
            PiiType::UrlCredentials
        };
        match memchr::memchr(b':', userinfo) {
            Some(0) => sink.push(auth_start + 1, auth_start + at_rel, kind),
            Some(_) => sink.push(auth_start, auth_start + at_rel, kind),
            // An e-mail as the user ("https://bob%40acme.com@dav…"): `email_at` skips URL
            // userinfo, so it is found here, decoded or not.
            None if is_email(userinfo) => {
                sink.push(auth_start, auth_start + at_rel, PiiType::Email)
            }
            // A lone user part is a credential only when it looks like a token.
            None if userinfo.len() >= 20
                && super::super::validate::looks_random(&String::from_utf8_lossy(userinfo)) =>
            {
                sink.push(auth_start, auth_start + at_rel, kind)
            }
            None => {}
        }
    }
}

/// `local@domain.tld` or `local%40domain.tld`, the whole of `v`.
fn is_email(v: &[u8]) -> bool {
    let (at, at_len) = match memchr::memchr(b'@', v) {
        Some(i) => (i, 1),
        None => match memmem::find(v, b"%40") {
            Some(i) => (i, 3),
            None => return false,
        },
    };
    let local_ok =
        |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    at > 0 && v[..at].iter().all(local_ok) && email_domain_end(v, at + at_len) == Some(v.len())
}

fn is_db_scheme(scheme: &str) -> bool {
    let s = scheme.strip_prefix("jdbc:").unwrap_or(scheme);
    let s = s.split('+').next().unwrap_or(s);
    matches!(
        s,
        "postgres"
            | "postgresql"
            | "mysql"
            | "mariadb"
            | "mongodb"
            | "redis"
            | "rediss"
            | "mssql"
            | "sqlserver"
            | "oracle"
            | "db2"
            | "clickhouse"
            | "cockroachdb"
            | "cassandra"
            | "couchdb"
            | "neo4j"
            | "memcached"
    )
}
