//! The incident workflow's pure parts: the system prompt (an incident-response framework, the
//! 5-Whys protocol, and one expert prompt per domain, compiled in from `assets/prompts/`) and
//! the parser for the assistant's progress block.

pub mod documents;
pub mod whys;

use crate::ai::SystemPrompt;

const FRAMEWORK: &str = include_str!("../../assets/prompts/framework.md");

/// (domain id, prompt). The ids are those of `store::triage::DOMAINS`.
const DOMAIN_PROMPTS: [(&str, &str); 16] = [
    ("linux", include_str!("../../assets/prompts/linux.md")),
    ("windows", include_str!("../../assets/prompts/windows.md")),
    ("network", include_str!("../../assets/prompts/network.md")),
    (
        "kubernetes",
        include_str!("../../assets/prompts/kubernetes.md"),
    ),
    (
        "databases",
        include_str!("../../assets/prompts/databases.md"),
    ),
    (
        "virtualisation",
        include_str!("../../assets/prompts/virtualisation.md"),
    ),
    ("hardware", include_str!("../../assets/prompts/hardware.md")),
    (
        "observability",
        include_str!("../../assets/prompts/observability.md"),
    ),
    (
        "telephony",
        include_str!("../../assets/prompts/telephony.md"),
    ),
    ("security", include_str!("../../assets/prompts/security.md")),
    (
        "public_safety",
        include_str!("../../assets/prompts/public_safety.md"),
    ),
    (
        "application",
        include_str!("../../assets/prompts/application.md"),
    ),
    (
        "automation",
        include_str!("../../assets/prompts/automation.md"),
    ),
    ("hpe", include_str!("../../assets/prompts/hpe.md")),
    ("dell", include_str!("../../assets/prompts/dell.md")),
    ("identity", include_str!("../../assets/prompts/identity.md")),
];

const REDACTION_NOTE: &str = "Values in everything you receive were redacted on the engineer's \
machine before it was sent: they appear as labels such as [IPV4] or pseudonyms such as \
[HOSTNAME-2] (the same pseudonym is the same value across the logs and the conversation). Treat \
them as opaque names; never ask for the original values.";

/// The system prompt for an issue of `domain` (an unknown domain gets the framework only).
pub fn system_prompt(domain: &str) -> SystemPrompt {
    match DOMAIN_PROMPTS.iter().find(|(d, _)| *d == domain) {
        Some((_, prompt)) => SystemPrompt::compose(&[prompt, FRAMEWORK, REDACTION_NOTE]),
        None => SystemPrompt::compose(&[FRAMEWORK, REDACTION_NOTE]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::triage::DOMAINS;

    #[test]
    fn every_domain_has_a_prompt_with_the_protocol() {
        for (id, _) in DOMAINS {
            let p = system_prompt(id);
            assert!(DOMAIN_PROMPTS.iter().any(|(d, _)| *d == id), "{id}");
            assert!(
                p.as_str().contains("```tftsr"),
                "{id}: the framework states the protocol"
            );
            assert!(p.as_str().len() > 1500, "{id}: a real prompt");
        }
    }
}
