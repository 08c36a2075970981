//! Overlapping candidates become disjoint findings: the longest span wins, then the more
//! specific type; a loser keeps only the parts no winner covers, so no fragment of any candidate
//! survives unredacted.

use super::Finding;
use super::recognize::Candidate;
use std::cmp::Reverse;
use std::collections::BTreeMap;

pub(crate) fn resolve(text: &str, mut candidates: Vec<Candidate>) -> Vec<Finding> {
    // Most candidates overlap nothing: sort by position, and only run the greedy resolution on
    // clusters of mutually overlapping candidates.
    candidates.sort_unstable_by_key(|c| (c.start, Reverse(c.end), c.kind));
    candidates.dedup();
    let mut out = Vec::with_capacity(candidates.len());
    let mut i = 0;
    while i < candidates.len() {
        let mut j = i + 1;
        let mut cluster_end = candidates[i].end;
        while j < candidates.len() && candidates[j].start < cluster_end {
            cluster_end = cluster_end.max(candidates[j].end);
            j += 1;
        }
        if j == i + 1 {
            let c = candidates[i];
            out.push(Finding {
                start: c.start,
                end: c.end,
                kind: c.kind,
            });
        } else {
            resolve_cluster(text, &mut candidates[i..j], &mut out);
        }
        i = j;
    }
    out.sort_unstable_by_key(|f| f.start);
    out
}

fn resolve_cluster(text: &str, cluster: &mut [Candidate], out: &mut Vec<Finding>) {
    cluster.sort_unstable_by_key(|c| {
        (
            Reverse(c.end - c.start),
            Reverse(c.kind.priority()),
            c.start,
            c.kind,
        )
    });
    // start -> end of every span taken so far; disjoint by construction.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    for c in cluster.iter() {
        for (s, e) in uncovered(&taken, c.start, c.end) {
            // A leftover of pure punctuation (the ":" of "user:pw") is not a value.
            if text[s..e].chars().any(char::is_alphanumeric) {
                taken.insert(s, e);
                out.push(Finding {
                    start: s,
                    end: e,
                    kind: c.kind,
                });
            }
        }
    }
}

/// The parts of `[s, e)` not covered by `taken`.
fn uncovered(taken: &BTreeMap<usize, usize>, s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut cursor = s;
    // The span starting before `s` may reach into it.
    if let Some((_, &pe)) = taken.range(..s).next_back()
        && pe > cursor
    {
        cursor = pe;
    }
    for (&ts, &te) in taken.range(s..e) {
        if ts > cursor {
            pieces.push((cursor, ts));
        }
        cursor = cursor.max(te);
    }
    if cursor < e {
        pieces.push((cursor, e));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pii::PiiType;

    fn cand(start: usize, end: usize, kind: PiiType) -> Candidate {
        Candidate { start, end, kind }
    }

    #[test]
    fn longest_wins_and_contained_spans_vanish() {
        let text = "4111111111111111.blob.corp.internal";
        let f = resolve(
            text,
            vec![
                cand(0, 16, PiiType::CreditCard),
                cand(0, 35, PiiType::Hostname),
            ],
        );
        assert_eq!(
            f,
            vec![Finding {
                start: 0,
                end: 35,
                kind: PiiType::Hostname
            }]
        );
    }

    #[test]
    fn equal_length_goes_to_priority() {
        let text = "abcdef";
        let f = resolve(
            text,
            vec![cand(0, 6, PiiType::Email), cand(0, 6, PiiType::Password)],
        );
        assert_eq!(f[0].kind, PiiType::Password);
    }

    #[test]
    fn partial_overlap_keeps_the_remainder() {
        let text = "aaaa:bbbb@ccccc";
        let email = cand(5, 15, PiiType::Email);
        let f = resolve(text, vec![email, cand(0, 9, PiiType::UrlCredentials)]);
        // The longer email wins; the loser keeps the part no winner covers.
        let url = Finding {
            start: 0,
            end: 5,
            kind: PiiType::UrlCredentials,
        };
        let mail = Finding {
            start: 5,
            end: 15,
            kind: PiiType::Email,
        };
        assert_eq!(f, vec![url, mail]);
    }

    #[test]
    fn remainders_on_both_sides() {
        let text = "0123456789";
        let f = resolve(
            text,
            vec![
                cand(0, 10, PiiType::Phone),
                cand(3, 5, PiiType::Ssn),
                cand(0, 10, PiiType::Ipv4),
            ],
        );
        assert_eq!(f.len(), 1);
        let f = resolve(
            text,
            vec![
                cand(3, 6, PiiType::Ssn),
                cand(0, 9, PiiType::Phone),
                cand(2, 8, PiiType::Ipv4),
            ],
        );
        let covered: usize = f.iter().map(Finding::len).sum();
        assert_eq!(covered, 9);
        assert!(f.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
