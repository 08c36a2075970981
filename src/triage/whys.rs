//! The assistant's machine-readable 5-Whys progress: the last fenced block with the info string
//! `tftsr` in a reply, holding one JSON object. Parsed as JSON, never guessed from prose.

use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct WhyUpdate {
    /// 0 (still gathering facts) to 5.
    #[serde(default)]
    pub why_level: u8,
    #[serde(default)]
    pub why_question: Option<String>,
    #[serde(default)]
    pub why_answer: Option<String>,
    #[serde(default)]
    pub root_cause: Option<String>,
}

/// Splits a reply into the text to show and the progress block (if a valid one is present).
pub fn parse(reply: &str) -> (String, Option<WhyUpdate>) {
    let Some(start) = reply.rfind("```tftsr") else {
        return (reply.trim_end().to_string(), None);
    };
    let after = &reply[start + "```tftsr".len()..];
    let Some(body_start) = after.find('\n') else {
        return (reply.trim_end().to_string(), None);
    };
    let body = &after[body_start + 1..];
    let Some(end) = body.find("```") else {
        return (reply.trim_end().to_string(), None);
    };
    let rest = &body[end + 3..];
    let update: Option<WhyUpdate> = serde_json::from_str(body[..end].trim()).ok();
    let Some(mut update) = update else {
        return (reply.trim_end().to_string(), None);
    };
    update.why_level = update.why_level.min(5);
    let clean = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    update.why_question = clean(update.why_question);
    update.why_answer = clean(update.why_answer);
    update.root_cause = clean(update.root_cause);
    let mut visible = reply[..start].trim_end().to_string();
    if !rest.trim().is_empty() {
        visible.push_str("\n\n");
        visible.push_str(rest.trim());
    }
    (visible, Some(update))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_last_block_and_hides_it() {
        let reply = "Check rotation.\n\n```tftsr\n{\"why_level\": 2, \"why_question\": \"Why full?\", \"why_answer\": \"No rotation.\", \"root_cause\": null}\n```\n";
        let (text, update) = parse(reply);
        assert_eq!(text, "Check rotation.");
        let u = update.unwrap();
        assert_eq!(u.why_level, 2);
        assert_eq!(u.why_answer.as_deref(), Some("No rotation."));
        assert_eq!(u.root_cause, None);
    }

    #[test]
    fn prose_mentions_are_not_parsed() {
        let (text, update) = parse("We are at WHY-LEVEL: 3 and the root cause is DNS.");
        assert!(update.is_none());
        assert!(text.contains("WHY-LEVEL"));
        let (_, bad) = parse("x\n```tftsr\n{not json}\n```");
        assert!(bad.is_none());
        let (_, big) = parse("```tftsr\n{\"why_level\": 9}\n```");
        assert_eq!(big.unwrap().why_level, 5);
    }
}
