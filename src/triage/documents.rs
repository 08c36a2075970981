//! RCA and blameless post-mortem documents: generated as Markdown from an issue's data, edited by
//! the person, exported as `.md` or a self-contained `.html`.
//!
//! Text from people or the assistant is escaped where it lands: table cells get `|` escaped and
//! line breaks folded; everywhere, `<`, `>` and `&` are entities and `[`, `]`, `!` are escaped, so
//! hostile text cannot become HTML, a link or an image. Exports pass through the redactor first:
//! they contain only redacted text whatever was typed into the editor.

use crate::pii::{Detector, Mode, Pseudonyms, redact};
use crate::store::records::Issue;
use crate::store::triage::{EventRow, LogRow, StepRow, WhyState, domain_label};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocKind {
    Rca,
    PostMortem,
}

impl DocKind {
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Rca => "rca",
            DocKind::PostMortem => "postmortem",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DocKind::Rca => "Root cause analysis",
            DocKind::PostMortem => "Post-mortem",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        [DocKind::Rca, DocKind::PostMortem]
            .into_iter()
            .find(|k| k.name() == s)
    }
}

/// What a document is generated from.
pub struct DocInput<'a> {
    pub issue: &'a Issue,
    pub why: &'a WhyState,
    pub resolved_at: Option<i64>,
    pub steps: &'a [StepRow],
    pub logs: &'a [LogRow],
    /// Oldest first.
    pub timeline: &'a [EventRow],
}

/// Text for running Markdown: nothing in it can become HTML, a link or an image.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '[' | ']' | '!' | '`' | '*' | '_' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text for a table cell: as [`text`], with `|` escaped and line breaks folded into ` / `.
pub fn cell(s: &str) -> String {
    let folded: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    text(&folded.join(" / ")).replace('|', "\\|")
}

/// A paragraph: every line escaped, blank-line structure kept.
fn para(s: &str) -> String {
    let t: Vec<String> = s.lines().map(text).collect();
    let joined = t.join("  \n");
    if joined.trim().is_empty() {
        "_(none recorded)_".into()
    } else {
        joined
    }
}

pub fn format_ts(ms: Option<i64>) -> String {
    ms.map_or_else(
        || "—".into(),
        |ms| {
            chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default()
        },
    )
}

/// "3 h 12 min" from milliseconds.
pub fn duration(ms: i64) -> String {
    let min = (ms / 60_000).max(0);
    match (min / 60, min % 60) {
        (0, m) => format!("{m} min"),
        (h, m) if h < 48 => format!("{h} h {m} min"),
        (h, _) => format!("{} d {} h", h / 24, h % 24),
    }
}

/// Time to root cause and time to resolve, when reached.
pub fn metrics(
    issue: &Issue,
    why: &WhyState,
    resolved_at: Option<i64>,
) -> (Option<String>, Option<String>) {
    (
        why.confirmed_at.map(|t| duration(t - issue.created_at)),
        resolved_at.map(|t| duration(t - issue.created_at)),
    )
}

fn summary_table(d: &DocInput<'_>) -> String {
    let i = d.issue;
    let (to_rc, to_resolve) = metrics(i, d.why, d.resolved_at);
    let rows = [
        ("Issue", cell(&i.id)),
        ("Title", cell(&i.title)),
        ("Domain", cell(domain_label(&i.domain))),
        ("Severity", cell(&i.severity)),
        ("Status", cell(&i.status)),
        ("Created", format_ts(Some(i.created_at))),
        ("Resolved", format_ts(d.resolved_at)),
        ("Time to root cause", to_rc.unwrap_or_else(|| "—".into())),
        ("Time to resolve", to_resolve.unwrap_or_else(|| "—".into())),
    ];
    let mut out = String::from("| Field | Value |\n| --- | --- |\n");
    for (k, v) in rows {
        out.push_str(&format!("| {k} | {v} |\n"));
    }
    out
}

fn timeline_table(events: &[EventRow]) -> String {
    if events.is_empty() {
        return "_(no events)_\n".into();
    }
    let mut out = String::from("| Time | Event | Detail |\n| --- | --- | --- |\n");
    for e in events {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            format_ts(Some(e.ts_ms)),
            cell(&e.kind.replace('_', " ")),
            cell(&e.detail)
        ));
    }
    out
}

fn whys_table(steps: &[StepRow]) -> String {
    let whys: Vec<&StepRow> = steps.iter().filter(|s| s.why_level.is_some()).collect();
    if whys.is_empty() {
        return "_(no whys recorded)_\n".into();
    }
    let mut out =
        String::from("| Why | Question | Answer | Evidence |\n| --- | --- | --- | --- |\n");
    for s in whys {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            s.why_level.unwrap_or(0),
            cell(&s.question),
            cell(&s.answer),
            cell(&s.evidence)
        ));
    }
    out
}

fn actions(steps: &[StepRow], with_owner: bool) -> String {
    let acts: Vec<&StepRow> = steps.iter().filter(|s| s.why_level.is_none()).collect();
    if acts.is_empty() {
        return "_(none yet)_\n".into();
    }
    let mut out = if with_owner {
        String::from(
            "| Action | Owner | Priority | Due | Done |\n| --- | --- | --- | --- | --- |\n",
        )
    } else {
        String::from("| Action | Evidence | Done |\n| --- | --- | --- |\n")
    };
    for s in acts {
        let done = if s.done { "yes" } else { "no" };
        if with_owner {
            out.push_str(&format!("| {} |  |  |  | {done} |\n", cell(&s.question)));
        } else {
            out.push_str(&format!(
                "| {} | {} | {done} |\n",
                cell(&s.question),
                cell(&s.evidence)
            ));
        }
    }
    out
}

fn root_cause(why: &WhyState) -> String {
    match (&why.root_cause, why.confirmed_at) {
        (Some(rc), Some(_)) => para(rc),
        (Some(rc), None) => format!("{} _(proposed, not yet confirmed)_", para(rc)),
        (None, _) => "_(not yet identified)_".into(),
    }
}

/// The RCA document.
pub fn rca(d: &DocInput<'_>) -> String {
    let mut out = format!("# Root cause analysis: {}\n\n", text(&d.issue.title));
    out.push_str("## Summary\n\n");
    out.push_str(&summary_table(d));
    out.push_str("\n## Description\n\n");
    out.push_str(&para(&d.issue.description));
    out.push_str("\n\n## Timeline\n\n");
    out.push_str(&timeline_table(d.timeline));
    out.push_str("\n## 5 Whys\n\n");
    out.push_str(&whys_table(d.steps));
    out.push_str("\n## Root cause\n\n");
    out.push_str(&root_cause(d.why));
    out.push_str("\n\n## Logs analysed\n\n");
    if d.logs.is_empty() {
        out.push_str("_(none)_\n");
    } else {
        out.push_str("| Log | Size | Redacted | Kept | SHA-256 (redacted text) |\n| --- | --- | --- | --- | --- |\n");
        for l in d.logs {
            let sha: String = l.redacted_sha256.chars().take(12).collect();
            out.push_str(&format!(
                "| {} | {} B | {} | {} | {sha}… |\n",
                cell(&l.name),
                l.size_bytes,
                l.redacted,
                l.kept
            ));
        }
    }
    out.push_str("\n## Corrective actions\n\n### Immediate\n\n");
    out.push_str(&actions(d.steps, false));
    out.push_str(
        "\n### Long-term\n\n_(to be completed)_\n\n## Lessons learned\n\n_(to be completed)_\n",
    );
    out
}

/// The blameless post-mortem.
pub fn postmortem(d: &DocInput<'_>) -> String {
    let mut out = format!("# Post-mortem: {}\n\n", text(&d.issue.title));
    out.push_str("_Blameless: this document describes systems and decisions, not people._\n\n");
    out.push_str("## Metadata\n\n");
    out.push_str(&summary_table(d));
    out.push_str("\n## Executive summary\n\n");
    out.push_str(&para(&d.issue.description));
    out.push_str("\n\n## Impact\n\n_(who and what was affected, for how long)_\n\n## Timeline\n\n");
    out.push_str(&timeline_table(d.timeline));
    out.push_str("\n## Root cause and 5 Whys\n\n");
    out.push_str(&root_cause(d.why));
    out.push_str("\n\n");
    out.push_str(&whys_table(d.steps));
    out.push_str("\n## Contributing factors\n\n_(to be completed)_\n\n## What went well\n\n_(to be completed)_\n\n## What could be improved\n\n_(to be completed)_\n\n## Action items\n\n");
    out.push_str(&actions(d.steps, true));
    out
}

/// The document with every finding redacted: what an export contains, whatever was typed.
pub fn redacted(markdown: &str) -> String {
    let detector = Detector::builtin();
    let findings = detector.scan(markdown);
    redact(
        markdown,
        &findings,
        &vec![true; findings.len()],
        Mode::Label,
        &mut Pseudonyms::new(),
    )
    .map(|r| r.into_text())
    .unwrap_or_else(|_| String::new())
}

/// A self-contained HTML page: no scripts, no remote resources; raw HTML in the Markdown is
/// shown as text and images as their description, links keep only their text.
pub fn html_page(title: &str, markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let events = parser.filter_map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Some(Event::Text(h)),
        Event::Start(Tag::Image { .. }) => Some(Event::Text("[image: ".into())),
        Event::End(TagEnd::Image) => Some(Event::Text("]".into())),
        Event::Start(Tag::Link { .. }) | Event::End(TagEnd::Link) => None,
        other => Some(other),
    });
    let mut body = String::new();
    html::push_html(&mut body, events);
    let mut escaped_title = String::new();
    for c in title.chars() {
        match c {
            '<' => escaped_title.push_str("&lt;"),
            '>' => escaped_title.push_str("&gt;"),
            '&' => escaped_title.push_str("&amp;"),
            '"' => escaped_title.push_str("&quot;"),
            _ => escaped_title.push(c),
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
<title>{escaped_title}</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}}\
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3em .6em;vertical-align:top}}</style></head>\n<body>\n{body}</body></html>\n"
    )
}
