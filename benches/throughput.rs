//! Throughput of the engine on one thread, in release: scan, and scan + redact, over the labeled
//! corpus concatenated 50 times (about 50 MB), plus peak memory; then crafted single lines (a
//! line of `a@`, of `password=`, …) that a quadratic recognizer would never finish.
//!
//! Run: `cargo bench --no-default-features --bench throughput` (optionally `-- PATH` for another
//! input, `TFTSR_CORPUS=DIR` for the shared corpus folder, or `TFTSR_BENCH_REPEAT=N`).

use std::hint::black_box;
use std::time::Instant;
use tftsr::pii::{Detector, Mode, Pseudonyms, redact};

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| {
            let corpus = std::env::var("TFTSR_CORPUS").unwrap_or_else(|_| {
                concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus").to_string()
            });
            format!("{corpus}/labeled/corpus.log")
        });
    let repeat: usize = std::env::var("TFTSR_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let one = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let text = one.repeat(repeat);
    let mb = text.len() as f64 / 1e6;
    println!("input: {path} x{repeat} = {mb:.1} MB");

    let t = Instant::now();
    let detector = Detector::builtin();
    println!("compile: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);

    let mut best_scan = f64::MAX;
    let mut best_total = f64::MAX;
    let mut findings_len = 0;
    for _ in 0..3 {
        let t = Instant::now();
        let findings = detector.scan(black_box(&text));
        let scan = t.elapsed().as_secs_f64();
        let r = redact(
            &text,
            &findings,
            &vec![true; findings.len()],
            Mode::Label,
            &mut Pseudonyms::new(),
        )
        .unwrap();
        let total = t.elapsed().as_secs_f64();
        black_box(r.text().len());
        findings_len = findings.len();
        best_scan = best_scan.min(scan);
        best_total = best_total.min(total);
    }
    println!("findings: {findings_len}");
    println!(
        "scan:          {:7.1} MB/s  ({:.3} s)",
        mb / best_scan,
        best_scan
    );
    println!(
        "scan+redact:   {:7.1} MB/s  ({:.3} s)",
        mb / best_total,
        best_total
    );
    crafted(&detector);
    if let Some(peak) = peak_rss_kib() {
        println!(
            "peak RSS: {:.0} MB ({:.1}x the input)",
            peak as f64 / 1024.0,
            peak as f64 * 1024.0 / text.len() as f64
        );
    }
}

/// Crafted 4 MB single lines, each of one repeated unit: the worst cases for the recognizers'
/// backward and forward walks. Linear code scans them at corpus speed or better.
fn crafted(detector: &Detector) {
    const LEN: usize = 4 << 20;
    let units = [
        "a@",
        "a%40",
        "http://a:b@",
        "password=",
        "Password=;",
        "key=",
        "cookie=",
        "name=",
        "Hi ",
        "curl -u a:b ",
        " -p -u",
        "a:1.2.3.4",
        concat!("-----BEGIN PRIVATE", " KEY-----\n"),
    ];
    println!("crafted lines, {} MB each:", LEN >> 20);
    for unit in units {
        let text = unit.repeat(LEN / unit.len() + 1);
        let t = Instant::now();
        let n = detector.scan(black_box(&text)).len();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  {:<34} {:7.1} MB/s  ({:.3} s, {n} findings)",
            format!("{unit:?}"),
            text.len() as f64 / 1e6 / secs,
            secs
        );
    }
}

/// VmHWM from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
