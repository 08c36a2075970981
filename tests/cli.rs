//! The built binary, run as a person or a pipeline would: exit codes, output, reports, bad input.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn tftsr(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tftsr"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const SAMPLE: &str = "Dec 10 sshd: Failed password for root from 198.51.100.23 port 22\nmail jane.doe@example.org\nversion 4.2.1.8 ok\n";

#[test]
fn redact_stdin_to_stdout() {
    let out = tftsr(&["redact"], Some(SAMPLE.as_bytes()));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Dec 10 sshd: Failed password for root from [IPV4] port 22\nmail [EMAIL]\nversion 4.2.1.8 ok\n"
    );
}

#[test]
fn pseudonyms_are_consistent_within_a_run() {
    let out = tftsr(
        &["redact", "--mode", "pseudonym", "-"],
        Some(b"a 10.0.0.5 b 10.0.0.6 c 10.0.0.5\n"),
    );
    assert_eq!(text(&out.stdout), "a [IPV4-1] b [IPV4-2] c [IPV4-1]\n");
}

#[test]
fn redact_to_file_with_report_holds_no_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.log");
    let secret = common::fake("", 20, common::ALNUM);
    std::fs::write(&input, format!("{SAMPLE}db_password={secret}\n")).unwrap();
    let out_path = dir.path().join("out.log");
    let report_path = dir.path().join("report.json");
    let out = tftsr(
        &[
            "redact",
            input.to_str().unwrap(),
            "-o",
            out_path.to_str().unwrap(),
            "--report",
            report_path.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let redacted = std::fs::read_to_string(&out_path).unwrap();
    assert_eq!(redacted.lines().count(), 4);
    let report = std::fs::read_to_string(&report_path).unwrap();
    for value in ["198.51.100.23", "jane.doe@example.org", secret.as_str()] {
        assert!(!redacted.contains(value) && !report.contains(value));
        assert!(!text(&out.stderr).contains(value));
    }
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(json["counts"]["ipv4"], 1);
    assert_eq!(json["counts"]["password"], 1);
    assert_eq!(json["total"], 3);
    let span = &json["spans"][0];
    assert_eq!(span["type"], "ipv4");
    assert_eq!(span["replacement"], "[IPV4]");
    assert_eq!(
        &SAMPLE[span["start"].as_u64().unwrap() as usize..span["end"].as_u64().unwrap() as usize],
        "198.51.100.23"
    );
}

#[test]
fn scan_jsonl_is_exact_and_exit_codes_follow_grep() {
    let out = tftsr(&["scan", "--format", "jsonl"], Some(SAMPLE.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
    assert_eq!(lines[0], r#"{"start":43,"end":56,"type":"ipv4","line":1}"#);
    assert_eq!(lines[1], r#"{"start":70,"end":90,"type":"email","line":2}"#);
    assert_eq!(lines.len(), 2);

    let none = tftsr(
        &["scan", "--format", "jsonl", "-"],
        Some(b"nothing to see here\n"),
    );
    assert_eq!(none.status.code(), Some(0));
    assert!(none.stdout.is_empty());
}

#[test]
fn scan_text_format_and_type_filter() {
    let out = tftsr(&["scan", "--types", "email"], Some(SAMPLE.as_bytes()));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "2:70-90 email\n");
    let bad = tftsr(&["scan", "--types", "emails"], Some(SAMPLE.as_bytes()));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("unknown type 'emails'"));
}

#[test]
fn terms_patterns_and_allow_list() {
    let input = b"ACME Corp ticket INC-12345 from 198.51.100.23 and 203.0.113.9\n";
    let out = tftsr(
        &[
            "redact",
            "--term",
            "acme corp",
            "--pattern",
            r"INC-\d+",
            "--allow",
            "203.0.113.9",
        ],
        Some(input),
    );
    assert_eq!(
        text(&out.stdout),
        "[CUSTOM_TERM] ticket [CUSTOM_PATTERN] from [IPV4] and 203.0.113.9\n"
    );
    let bad = tftsr(&["redact", "--pattern", "(unclosed"], Some(input));
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("custom pattern #1 is not a valid regular expression"));
    assert!(
        !text(&bad.stderr).contains("unclosed"),
        "the pattern text is not echoed"
    );
}

fn assert_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(2), "stderr: {}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains(needle), "expected {needle:?} in {err:?}");
    assert_eq!(err.lines().count(), 1, "one-line error: {err:?}");
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_inputs_are_one_line_errors_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert_error(
        &tftsr(&["redact", &format!("{d}/missing.log")], None),
        "no such file",
    );
    assert_error(&tftsr(&["scan", d], None), "is a directory");
    assert_error(&tftsr(&["redact", "/dev/null"], None), "not a regular file");

    let big = dir.path().join("big.log");
    std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024 + 10]).unwrap();
    assert_error(
        &tftsr(&["redact", big.to_str().unwrap(), "--max-size", "2"], None),
        "over the 2097152-byte limit",
    );
    assert_eq!(
        tftsr(
            &[
                "redact",
                big.to_str().unwrap(),
                "--max-size",
                "3",
                "-o",
                &format!("{d}/o")
            ],
            None
        )
        .status
        .code(),
        Some(0)
    );

    let bin = dir.path().join("a.out");
    std::fs::write(&bin, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    assert_error(&tftsr(&["scan", bin.to_str().unwrap()], None), "binary");
    assert_error(
        &tftsr(&["redact"], Some(b"\x00\x01\x02\x03 binary")),
        "binary",
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    // Nobody writes to the FIFO: if tftsr opened it blocking, this would hang.
    assert_error(
        &tftsr(&["scan", fifo.to_str().unwrap()], None),
        "not a regular file",
    );
}

#[test]
fn refuses_to_overwrite_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.log");
    std::fs::write(&input, SAMPLE).unwrap();
    let p = input.to_str().unwrap();
    assert_error(
        &tftsr(&["redact", p, "-o", p], None),
        "refusing to overwrite the input",
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), SAMPLE);
}

/// Regression: `--report in.log` replaced the log with its report (data loss), and `-o` and
/// `--report` naming one file let the report replace the redacted copy.
#[test]
fn report_never_overwrites_the_input_or_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.log");
    std::fs::write(&input, SAMPLE).unwrap();
    let p = input.to_str().unwrap();
    assert_error(
        &tftsr(&["redact", p, "--report", p], None),
        "refusing to overwrite the input",
    );
    assert_eq!(std::fs::read_to_string(&input).unwrap(), SAMPLE);
    let out = dir.path().join("out.log");
    let o = out.to_str().unwrap();
    assert_error(
        &tftsr(&["redact", p, "-o", o, "--report", o], None),
        "same file",
    );
    assert!(!out.exists(), "nothing was written");
}

/// Regression: `-o` renamed a regular file over whatever was there — a device, a FIFO, a
/// symlink — so `-o /dev/null` as root replaced /dev/null.
#[cfg(unix)]
#[test]
fn output_is_never_written_over_a_device_fifo_or_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let target = dir.path().join("target.log");
    let link = dir.path().join("link.log");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for (path, why) in [
        (Path::new("/dev/null"), "not a regular file"),
        (fifo.as_path(), "not a regular file"),
        (link.as_path(), "symbolic link"),
        (dir.path(), "is a directory"),
    ] {
        let out = tftsr(
            &["redact", "-", "-o", path.to_str().unwrap()],
            Some(SAMPLE.as_bytes()),
        );
        assert_error(&out, why);
        let out = tftsr(
            &["redact", "-", "--report", path.to_str().unwrap()],
            Some(SAMPLE.as_bytes()),
        );
        assert_error(&out, why);
        assert!(out.stdout.is_empty(), "nothing is written before the check");
    }
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(!target.exists());
    let missing = dir.path().join("no/such/dir/out.log");
    let out = tftsr(
        &["redact", "-", "-o", missing.to_str().unwrap()],
        Some(SAMPLE.as_bytes()),
    );
    assert_error(&out, "does not exist");
    assert!(
        !text(&out.stderr).contains(".tftsr-"),
        "no temporary names in errors"
    );
}

#[test]
fn encodings_utf16_and_lossy_utf8() {
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "from 198.51.100.23\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let out = tftsr(&["redact"], Some(&utf16));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "from [IPV4]\n");

    let out = tftsr(&["redact"], Some(b"caf\xe9 from 198.51.100.23\n"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "caf\u{FFFD} from [IPV4]\n");
    assert!(text(&out.stderr).contains("not valid UTF-8"));
}

#[test]
fn redact_keeps_line_count_on_every_loghub_sample() {
    let dir = common::corpus_dir().join("loghub");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with("_2k.log") {
            continue;
        }
        seen += 1;
        let out = tftsr(&["redact", path.to_str().unwrap()], None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            path.display(),
            text(&out.stderr)
        );
        let original = std::fs::read(&path).unwrap();
        let count = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count();
        assert_eq!(count(&out.stdout), count(&original), "{}", path.display());
        assert_no_personal_ipv4(&text(&out.stdout), &path);
    }
    assert_eq!(seen, 16);
}

/// No dotted quad survives except loopback/unspecified and quads after a version keyword.
fn assert_no_personal_ipv4(out: &str, path: &Path) {
    let re =
        regex::Regex::new(r"(^|[^\d.])(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})($|[^\d.])").unwrap();
    for line in out.lines() {
        for c in re.captures_iter(line) {
            let ip = &c[2];
            let prefix = &line[..c.get(2).unwrap().start()];
            let ok = ip.starts_with("127.")
                || ip == "0.0.0.0"
                || prefix.ends_with("~~")
                || prefix
                    .to_lowercase()
                    .trim_end_matches([' ', '='])
                    .ends_with("version");
            assert!(ok, "{}: an address survived in: {line}", path.display());
        }
    }
}
