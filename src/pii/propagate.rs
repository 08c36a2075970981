//! Every other occurrence of a value already found is a finding too. A password recognised
//! after `password=` must not stay in clear where it appears again without its key — later in
//! the log, in a question, in a file name.

use super::{Finding, PiiType};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

/// Values shorter than this are not propagated (too likely to be ordinary words or numbers).
const MIN_LEN: usize = 4;
/// Longer values are blobs (certificates, dumps), not repeated secrets.
const MAX_LEN: usize = 128;
/// Beyond this many distinct values the text is a dump or crafted; the search is skipped (its
/// cost would grow with values × text).
const MAX_VALUES: usize = 20_000;

/// Home-directory names that are ordinary words or system accounts: propagating them would
/// redact every "test" or "admin" in a log.
const COMMON_USERS: &[&str] = &[
    "root", "admin", "user", "users", "test", "guest", "ubuntu", "debian", "centos", "ec2-user",
    "daemon", "nobody", "www", "www-data", "shared", "public", "default", "local", "home", "opt",
];

/// Only the kinds found from their context (a key, a path, a cue) are searched for again: the
/// others (addresses, e-mails, vendor tokens, numbers) are found by their shape wherever they
/// are, and searching for every address again would cost more than the scan itself.
fn worth_propagating(kind: PiiType, value: &str) -> bool {
    if value.len() < MIN_LEN || value.len() > MAX_LEN || value.contains('\n') {
        return false;
    }
    match kind {
        PiiType::HomeUsername => !COMMON_USERS.contains(&value.to_ascii_lowercase().as_str()),
        PiiType::Password
        | PiiType::ApiKey
        | PiiType::BearerToken
        | PiiType::AwsSecretKey
        | PiiType::UrlCredentials
        | PiiType::DbConnection
        | PiiType::PersonName
        | PiiType::CustomPattern => true,
        _ => false,
    }
}

/// The values of `findings` in `text` that are worth finding again elsewhere.
pub fn values(text: &str, findings: &[Finding]) -> Vec<(PiiType, String)> {
    let mut out: Vec<(PiiType, String)> = findings
        .iter()
        .map(|f| (f.kind, &text[f.start..f.end]))
        .filter(|(k, v)| worth_propagating(*k, v))
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup_by(|a, b| a.1 == b.1);
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Adds a finding for every occurrence of a `known` value (or of a value in `findings`) that no
/// finding covers yet, on word boundaries. `findings` must be sorted and disjoint; so is the
/// result.
pub fn propagate(
    text: &str,
    mut findings: Vec<Finding>,
    known: &[(PiiType, String)],
) -> Vec<Finding> {
    let mut all = values(text, &findings);
    all.extend(
        known
            .iter()
            .filter(|(k, v)| worth_propagating(*k, v))
            .cloned(),
    );
    if all.is_empty() || all.len() > MAX_VALUES {
        return findings;
    }
    // Longest first, so a value that contains another wins.
    all.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.1.cmp(&b.1)));
    all.dedup_by(|a, b| a.1 == b.1);
    // A DFA searches fastest; with many values its memory would grow, so the automaton decides.
    let kind = (all.len() <= 2_000).then_some(AhoCorasickKind::DFA);
    let Ok(ac) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(kind)
        .build(all.iter().map(|(_, v)| v.as_str()))
    else {
        return findings;
    };
    let bytes = text.as_bytes();
    let mut added = Vec::new();
    for m in ac.find_iter(text) {
        let (s, e) = (m.start(), m.end());
        let bounded = (s == 0 || !is_word_byte(bytes[s - 1]))
            && (e == bytes.len() || !is_word_byte(bytes[e]));
        if !bounded || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        let i = findings.partition_point(|f| f.end <= s);
        let covered = findings.get(i).is_some_and(|f| f.start < e);
        if !covered {
            added.push(Finding {
                start: s,
                end: e,
                kind: all[m.pattern().as_usize()].0,
            });
        }
    }
    if !added.is_empty() {
        findings.extend(added);
        findings.sort_by_key(|f| (f.start, f.end));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::Detector;

    #[test]
    fn a_password_found_once_is_found_everywhere() {
        let text =
            "login password=Tr0ub4dor-x9 ok\nlater the user typed Tr0ub4dor-x9 in the chat\n";
        let findings = Detector::builtin().scan(text);
        let hits: Vec<&str> = findings.iter().map(|f| &text[f.start..f.end]).collect();
        assert_eq!(
            hits.iter().filter(|h| **h == "Tr0ub4dor-x9").count(),
            2,
            "{hits:?}"
        );
    }

    #[test]
    fn only_whole_words_and_not_common_names() {
        let text = "/home/frank/x and /home/test/y; frankly frank left; test passed";
        let findings = Detector::builtin().scan(text);
        let hits: Vec<&str> = findings.iter().map(|f| &text[f.start..f.end]).collect();
        assert_eq!(
            hits.iter().filter(|h| **h == "frank").count(),
            2,
            "{hits:?}"
        );
        assert_eq!(hits.iter().filter(|h| **h == "test").count(), 1, "{hits:?}");
    }

    #[test]
    fn known_values_from_elsewhere_are_found() {
        let known = vec![(PiiType::Password, "S3cret-Val".to_string())];
        let found = propagate("why does S3cret-Val fail?", Vec::new(), &known);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, PiiType::Password);
    }
}
