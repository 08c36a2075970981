//! Every row of the shared `cases.tsv` (small inputs from other tools' bug reports), plus our own
//! rows of the same kinds in `tests/data/cases_extra.tsv`. Each row is a kind of failure:
//! after redaction no `must_remove` substring may remain and every `must_keep` must be intact.

mod common;

use std::path::Path;

/// The PEM key label, assembled so that no secret scanner mistakes these fixtures for a leak.
const PK: &str = concat!("PRIVATE", " KEY");

struct Case {
    id: String,
    input: String,
    must_remove: Vec<String>,
    must_keep: Vec<String>,
}

/// TSV with optional CSV-style quoting (`"…""…"`); `\n` in a field stands for a newline.
fn parse(path: &Path) -> Vec<Case> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let unquote = |f: &str| -> String {
        let f = if f.len() >= 2 && f.starts_with('"') && f.ends_with('"') {
            f[1..f.len() - 1].replace("\"\"", "\"")
        } else {
            f.to_string()
        };
        // `{PEM}` stands for the PEM key label, assembled here so that no secret scanner
        // mistakes the fixture file for a leaked key.
        f.replace("\\n", "\n").replace("{PEM}", PK)
    };
    let list = |f: &str| -> Vec<String> {
        unquote(f)
            .split(" || ")
            .map(str::to_string)
            .filter(|s| !s.is_empty())
            .collect()
    };
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(
                cols.len() >= 4,
                "malformed row in {}: {line}",
                path.display()
            );
            Case {
                id: cols[0].to_string(),
                input: unquote(cols[2]),
                must_remove: list(cols[3]),
                must_keep: cols.get(4).map(|c| list(c)).unwrap_or_default(),
            }
        })
        .collect()
}

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let out = common::redact_all(&case.input);
        for r in &case.must_remove {
            if out.contains(r.as_str()) {
                failures.push(format!(
                    "{}: a value that must be removed survived (len {})",
                    case.id,
                    r.len()
                ));
            }
        }
        for k in &case.must_keep {
            if !out.contains(k.as_str()) {
                failures.push(format!(
                    "{}: context that must be kept was lost: {k:?} (output {out:?})",
                    case.id
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shared_cases_all_pass() {
    let cases = parse(&common::corpus_dir().join("cases.tsv"));
    assert!(
        cases.len() >= 18,
        "expected the shared rows, got {}",
        cases.len()
    );
    check(&cases);
}

#[test]
fn our_cases_of_the_same_kinds_pass() {
    let cases = parse(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases_extra.tsv"));
    assert!(cases.len() >= 20);
    check(&cases);
}

/// Token-shaped rows are assembled at run time (no literal token in the repository).
#[test]
fn token_cases_pass() {
    let gh = common::fake("github_pat_", 82, common::ALNUM);
    let aws = common::fake("AKIA", 16, common::UPPER_DIGITS);
    let stripe = common::fake("sk_live_", 24, common::ALNUM);
    let slack = common::fake("xoxb-123456789012-123456789012-", 24, common::ALNUM);
    let pem_body = common::fake("", 64, common::ALNUM);
    let cases = vec![
        Case {
            id: "T01 token glued after key".into(),
            input: format!("clone failed token={gh}"),
            must_remove: vec![gh.clone(), gh[20..40].to_string()],
            must_keep: vec!["clone failed token=".into()],
        },
        Case {
            id: "T02 aws key in JSON".into(),
            input: format!("{{\"aws\":{{\"access_key_id\":\"{aws}\"}}}}"),
            must_remove: vec![aws.clone()],
            must_keep: vec!["\"access_key_id\":\"".into()],
        },
        Case {
            id: "T03 stripe in prose".into(),
            input: format!("charge failed with key {stripe}, retrying"),
            must_remove: vec![stripe.clone()],
            must_keep: vec![", retrying".into()],
        },
        Case {
            id: "T04 slack in logfmt".into(),
            input: format!("msg=sent slack_token={slack} channel=#ops"),
            must_remove: vec![slack.clone()],
            must_keep: vec![" channel=#ops".into()],
        },
        Case {
            id: "T05 PEM block spanning lines".into(),
            input: format!(
                "loaded key\n-----BEGIN RSA {PK}-----\n{pem_body}\n{pem_body}\n-----END RSA {PK}-----\ndone"
            ),
            must_remove: vec![pem_body.clone()],
            must_keep: vec!["loaded key\n".into(), "\ndone".into()],
        },
        Case {
            id: "T06 truncated PEM block fails closed".into(),
            input: format!("-----BEGIN {PK}-----\n{pem_body}\n{pem_body}"),
            must_remove: vec![pem_body.clone()],
            must_keep: vec![],
        },
        Case {
            id: "T07 JSON-escaped PEM".into(),
            input: format!(
                "{{\"private_key\":\"-----BEGIN {PK}-----\\n{pem_body}\\n-----END {PK}-----\\n\",\"x\":1}}"
            ),
            must_remove: vec![pem_body.clone()],
            must_keep: vec![",\"x\":1}".into()],
        },
        Case {
            id: "T08 bearer JWT".into(),
            input: format!(
                "Authorization: Bearer eyJ{}.eyJ{}.{}",
                common::fake("", 20, common::ALNUM),
                common::fake("", 30, common::ALNUM),
                common::fake("", 43, common::ALNUM)
            ),
            must_remove: vec!["eyJ".into()],
            must_keep: vec!["Authorization: Bearer ".into()],
        },
    ];
    check(&cases);
}
