//! AI providers: configurations (non-secret, in the database; keys in the vault), the pure wire
//! formats ([`wire`]), and the one send path ([`send`]) that takes only gate-approved text.

pub mod send;
pub mod wire;

use crate::review::RedactedText;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI chat completions and compatible servers (Azure, LiteLLM, vLLM, LM Studio).
    OpenAi,
    Anthropic,
    Gemini,
    Mistral,
    Ollama,
    /// A REST endpoint with configurable JSON fields.
    Custom,
}

impl ProviderKind {
    pub const ALL: [ProviderKind; 6] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::Mistral,
        ProviderKind::Ollama,
        ProviderKind::Custom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Mistral => "mistral",
            ProviderKind::Ollama => "ollama",
            ProviderKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s))
    }

    /// The official endpoint, used when no base URL is given.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::Gemini => "https://generativelanguage.googleapis.com",
            ProviderKind::Mistral => "https://api.mistral.ai/v1",
            ProviderKind::Ollama => "http://127.0.0.1:11434",
            ProviderKind::Custom => "",
        }
    }

    pub fn needs_key(self) -> bool {
        matches!(
            self,
            ProviderKind::Anthropic | ProviderKind::Gemini | ProviderKind::Mistral
        )
    }

    pub fn streams(self) -> bool {
        self != ProviderKind::Custom
    }
}

/// The fields of a custom REST shape: the request is `{prompt_field: "...", system_field: "...",
/// model_field: "..."}`, the answer is read at `response_path` (dot-separated, numbers index
/// arrays, e.g. `output.0.text`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomShape {
    pub prompt_field: String,
    pub system_field: Option<String>,
    pub model_field: Option<String>,
    pub response_path: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderOptions {
    /// OpenAI-compatible servers with their own auth header (Azure: `api-key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_header: Option<String>,
    /// What goes before the key in that header (default `Bearer ` for `authorization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_prefix: Option<String>,
    /// A path other than the provider's usual one (appended to the base URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom: Option<CustomShape>,
}

/// A provider as configured: nothing secret (the key is in the vault under its id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderConfig {
    pub id: String,
    pub name: String,
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    pub options: ProviderOptions,
}

impl ProviderConfig {
    /// Loopback servers (Ollama, LM Studio) usually need no key.
    pub fn is_loopback_hint(&self) -> bool {
        crate::egress::CheckedUrl::parse(&self.base_url).is_ok_and(|u| u.origin.is_loopback())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

/// Outgoing content: text that passed the gate, or text that came from the provider earlier
/// in the conversation (already outside). Nothing else can be sent.
pub enum Content {
    Redacted(RedactedText),
    FromProvider(String),
}

pub struct Message {
    pub role: Role,
    pub content: Content,
}

/// A system prompt: only ever built from TFTSR's own constant texts, never from data.
pub struct SystemPrompt(String);

impl SystemPrompt {
    pub fn compose(parts: &[&'static str]) -> SystemPrompt {
        SystemPrompt(parts.join("\n\n"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for SystemPrompt {
    fn from(s: &'static str) -> Self {
        SystemPrompt(s.to_string())
    }
}

/// A conversation to send.
pub struct Conversation<'a> {
    pub system: SystemPrompt,
    pub messages: &'a [Message],
}

/// The system prompt for one-off questions about a log.
pub const ASK_SYSTEM_PROMPT: &str = "You are an experienced site reliability engineer helping \
to triage an IT incident. Values in the logs were redacted before they reached you and appear \
as labels such as [IPV4] or pseudonyms such as [HOSTNAME-2]; the same pseudonym is the same \
value. Be concrete: name the likely cause, the evidence in the log for it, and the next checks \
to run.";
