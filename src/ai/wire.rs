//! Provider wire formats, pure: build a request, parse a reply, decode stream events. No I/O
//! here; [`super::send`] moves the bytes through the egress gate.

use super::{Content, Conversation, ProviderConfig, ProviderKind, Role};
use crate::egress::HeaderValue;
use crate::secret::{SecretBytes, SecretString};
use serde_json::{Value, json};

/// Anthropic's API version header.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
const DEFAULT_MAX_TOKENS: u32 = 2048;

/// A request ready for the gate: URL (checked by egress before use), headers, body.
pub struct WireRequest {
    pub url: String,
    pub headers: Vec<(&'static str, HeaderValue)>,
    pub body: Vec<u8>,
    pub stream: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error(
        "no API key is set for this provider — add one in Settings → Providers (or `tftsr provider add`)"
    )]
    MissingKey,
    #[error("the provider's reply was not in the expected format ({0})")]
    BadReply(String),
    #[error("the provider's custom shape is incomplete: {0}")]
    BadShape(String),
    #[error("the provider reported an error in the stream: {0}")]
    StreamError(String),
}

/// What a finished reply holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
}

/// One decoded stream event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    Delta(String),
    Usage {
        input: Option<u64>,
        output: Option<u64>,
    },
    Done,
}

fn text_of(c: &Content) -> &str {
    match c {
        Content::Redacted(r) => r.as_str(),
        Content::FromProvider(s) => s,
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn join(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// Path-escapes one segment (a model name): only unreserved characters pass.
pub fn escape_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn key_text(key: Option<&SecretBytes>) -> Result<SecretString, WireError> {
    let key = key.filter(|k| !k.is_empty()).ok_or(WireError::MissingKey)?;
    let text = std::str::from_utf8(key.expose()).map_err(|_| WireError::MissingKey)?;
    Ok(SecretString::new(text.trim().to_string()))
}

/// Builds the HTTP request for `conv` in the provider's format.
pub fn build(
    cfg: &ProviderConfig,
    key: Option<&SecretBytes>,
    conv: &Conversation<'_>,
    stream: bool,
) -> Result<WireRequest, WireError> {
    let json_header = ("content-type", HeaderValue::plain("application/json"));
    let max_tokens = cfg.options.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    match cfg.kind {
        ProviderKind::OpenAi | ProviderKind::Mistral => {
            let mut messages = vec![json!({"role": "system", "content": conv.system.as_str()})];
            messages.extend(
                conv.messages
                    .iter()
                    .map(|m| json!({"role": role_name(m.role), "content": text_of(&m.content)})),
            );
            let mut body = json!({"model": cfg.model, "messages": messages, "stream": stream});
            if stream && cfg.kind == ProviderKind::OpenAi {
                body["stream_options"] = json!({"include_usage": true});
            }
            let mut headers = vec![json_header];
            // Local OpenAI-compatible servers (LM Studio, vLLM) often need no key.
            if let Some(header) = configured_auth(cfg, key)? {
                headers.push(header);
            } else if !cfg.is_loopback_hint() {
                return Err(WireError::MissingKey);
            }
            Ok(WireRequest {
                url: join(
                    &cfg.base_url,
                    cfg.options.path.as_deref().unwrap_or("chat/completions"),
                ),
                headers,
                body: body.to_string().into_bytes(),
                stream,
            })
        }
        ProviderKind::Anthropic => {
            let key = key_text(key)?;
            let messages: Vec<Value> = conv
                .messages
                .iter()
                .map(|m| json!({"role": role_name(m.role), "content": text_of(&m.content)}))
                .collect();
            let body = json!({
                "model": cfg.model,
                "max_tokens": max_tokens,
                "system": conv.system.as_str(),
                "messages": messages,
                "stream": stream,
            });
            Ok(WireRequest {
                url: join(
                    &cfg.base_url,
                    cfg.options.path.as_deref().unwrap_or("v1/messages"),
                ),
                headers: vec![
                    json_header,
                    ("x-api-key", HeaderValue::secret(key)),
                    ("anthropic-version", HeaderValue::plain(ANTHROPIC_VERSION)),
                ],
                body: body.to_string().into_bytes(),
                stream,
            })
        }
        ProviderKind::Gemini => {
            let key = key_text(key)?;
            let contents: Vec<Value> = conv
                .messages
                .iter()
                .map(|m| {
                    let role = if m.role == Role::Assistant {
                        "model"
                    } else {
                        "user"
                    };
                    json!({"role": role, "parts": [{"text": text_of(&m.content)}]})
                })
                .collect();
            let body = json!({
                "systemInstruction": {"parts": [{"text": conv.system.as_str()}]},
                "contents": contents,
                "generationConfig": {"maxOutputTokens": max_tokens},
            });
            let method = if stream {
                "streamGenerateContent?alt=sse"
            } else {
                "generateContent"
            };
            Ok(WireRequest {
                url: join(
                    &cfg.base_url,
                    &format!("v1beta/models/{}:{method}", escape_segment(&cfg.model)),
                ),
                headers: vec![json_header, ("x-goog-api-key", HeaderValue::secret(key))],
                body: body.to_string().into_bytes(),
                stream,
            })
        }
        ProviderKind::Ollama => {
            let mut messages = vec![json!({"role": "system", "content": conv.system.as_str()})];
            messages.extend(
                conv.messages
                    .iter()
                    .map(|m| json!({"role": role_name(m.role), "content": text_of(&m.content)})),
            );
            let body = json!({"model": cfg.model, "messages": messages, "stream": stream});
            Ok(WireRequest {
                url: join(
                    &cfg.base_url,
                    cfg.options.path.as_deref().unwrap_or("api/chat"),
                ),
                headers: vec![json_header],
                body: body.to_string().into_bytes(),
                stream,
            })
        }
        ProviderKind::Custom => {
            let shape = cfg
                .options
                .custom
                .as_ref()
                .ok_or_else(|| WireError::BadShape("no request/response fields".into()))?;
            let mut prompt = String::new();
            for m in conv.messages {
                prompt.push_str(role_name(m.role));
                prompt.push_str(": ");
                prompt.push_str(text_of(&m.content));
                prompt.push_str("\n\n");
            }
            let mut body = serde_json::Map::new();
            body.insert(shape.prompt_field.clone(), Value::String(prompt));
            if let Some(f) = &shape.system_field {
                body.insert(f.clone(), Value::String(conv.system.as_str().to_string()));
            }
            if let Some(f) = &shape.model_field {
                body.insert(f.clone(), Value::String(cfg.model.clone()));
            }
            let mut headers = vec![json_header];
            headers.extend(configured_auth(cfg, key)?);
            Ok(WireRequest {
                url: join(&cfg.base_url, cfg.options.path.as_deref().unwrap_or("")),
                headers,
                body: Value::Object(body).to_string().into_bytes(),
                stream: false,
            })
        }
    }
}

/// The key in the configured header (default `authorization: Bearer …`; Azure-style
/// `api-key: …`), or nothing when no key is set.
fn configured_auth(
    cfg: &ProviderConfig,
    key: Option<&SecretBytes>,
) -> Result<Option<(&'static str, HeaderValue)>, WireError> {
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Ok(None);
    };
    let key = key_text(Some(key))?;
    let header = cfg
        .options
        .auth_header
        .as_deref()
        .unwrap_or("authorization");
    let default_prefix = if header.eq_ignore_ascii_case("authorization") {
        "Bearer "
    } else {
        ""
    };
    let prefix = cfg.options.auth_prefix.as_deref().unwrap_or(default_prefix);
    Ok(Some((
        static_header(header),
        HeaderValue::secret(SecretString::new(format!("{prefix}{}", key.expose()))),
    )))
}

/// Header names come from a fixed set (ureq wants `'static` names here).
fn static_header(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "api-key" => "api-key",
        "x-api-key" => "x-api-key",
        "x-goog-api-key" => "x-goog-api-key",
        _ => "authorization",
    }
}

fn u(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// Parses a complete (non-streamed) reply.
pub fn parse_reply(cfg: &ProviderConfig, body: &[u8]) -> Result<Reply, WireError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| WireError::BadReply("not JSON".into()))?;
    let missing = |what: &str| WireError::BadReply(format!("no {what}"));
    match cfg.kind {
        ProviderKind::OpenAi | ProviderKind::Mistral => Ok(Reply {
            text: v["choices"][0]["message"]["content"]
                .as_str()
                .ok_or_else(|| missing("choices[0].message.content"))?
                .to_string(),
            input_tokens: u(&v["usage"]["prompt_tokens"]),
            output_tokens: u(&v["usage"]["completion_tokens"]),
        }),
        ProviderKind::Anthropic => {
            let blocks = v["content"].as_array().ok_or_else(|| missing("content"))?;
            Ok(Reply {
                text: blocks
                    .iter()
                    .filter(|b| b["type"] == "text")
                    .filter_map(|b| b["text"].as_str())
                    .collect(),
                input_tokens: u(&v["usage"]["input_tokens"]),
                output_tokens: u(&v["usage"]["output_tokens"]),
            })
        }
        ProviderKind::Gemini => Ok(Reply {
            text: gemini_text(&v).ok_or_else(|| missing("candidates[0].content.parts"))?,
            input_tokens: u(&v["usageMetadata"]["promptTokenCount"]),
            output_tokens: u(&v["usageMetadata"]["candidatesTokenCount"]),
        }),
        ProviderKind::Ollama => Ok(Reply {
            text: v["message"]["content"]
                .as_str()
                .ok_or_else(|| missing("message.content"))?
                .to_string(),
            input_tokens: u(&v["prompt_eval_count"]),
            output_tokens: u(&v["eval_count"]),
        }),
        ProviderKind::Custom => {
            let shape = cfg
                .options
                .custom
                .as_ref()
                .ok_or_else(|| WireError::BadShape("no response field".into()))?;
            let mut node = &v;
            for part in shape.response_path.split('.').filter(|p| !p.is_empty()) {
                node = match part.parse::<usize>() {
                    Ok(i) => &node[i],
                    Err(_) => &node[part],
                };
            }
            Ok(Reply {
                text: node
                    .as_str()
                    .ok_or_else(|| missing(&shape.response_path))?
                    .to_string(),
                ..Reply::default()
            })
        }
    }
}

fn gemini_text(v: &Value) -> Option<String> {
    let parts = v["candidates"][0]["content"]["parts"].as_array()?;
    Some(parts.iter().filter_map(|p| p["text"].as_str()).collect())
}

/// Decodes a stream line by line: SSE (`data:` lines) for OpenAI, Mistral, Anthropic and
/// Gemini; NDJSON for Ollama.
pub struct StreamDecoder {
    kind: ProviderKind,
}

impl StreamDecoder {
    pub fn new(kind: ProviderKind) -> Self {
        StreamDecoder { kind }
    }

    /// Events from one line (without its line break). Unknown lines are ignored.
    pub fn line(&mut self, line: &str) -> Result<Vec<StreamEvent>, WireError> {
        let line = line.trim_end_matches('\r');
        if self.kind == ProviderKind::Ollama {
            if line.trim().is_empty() {
                return Ok(Vec::new());
            }
            let v: Value = serde_json::from_str(line)
                .map_err(|_| WireError::BadReply("a stream line is not JSON".into()))?;
            if let Some(e) = v["error"].as_str() {
                return Err(WireError::StreamError(e.chars().take(200).collect()));
            }
            let mut out = Vec::new();
            if let Some(t) = v["message"]["content"].as_str().filter(|t| !t.is_empty()) {
                out.push(StreamEvent::Delta(t.to_string()));
            }
            if v["done"] == true {
                out.push(StreamEvent::Usage {
                    input: u(&v["prompt_eval_count"]),
                    output: u(&v["eval_count"]),
                });
                out.push(StreamEvent::Done);
            }
            return Ok(out);
        }
        let Some(data) = line.strip_prefix("data:") else {
            return Ok(Vec::new());
        };
        let data = data.trim_start();
        if data == "[DONE]" {
            return Ok(vec![StreamEvent::Done]);
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|_| WireError::BadReply("a stream event is not JSON".into()))?;
        let mut out = Vec::new();
        match self.kind {
            ProviderKind::OpenAi | ProviderKind::Mistral | ProviderKind::Custom => {
                if let Some(t) = v["choices"][0]["delta"]["content"]
                    .as_str()
                    .filter(|t| !t.is_empty())
                {
                    out.push(StreamEvent::Delta(t.to_string()));
                }
                if v["usage"].is_object() {
                    out.push(StreamEvent::Usage {
                        input: u(&v["usage"]["prompt_tokens"]),
                        output: u(&v["usage"]["completion_tokens"]),
                    });
                }
            }
            ProviderKind::Anthropic => match v["type"].as_str() {
                Some("content_block_delta") => {
                    if let Some(t) = v["delta"]["text"].as_str() {
                        out.push(StreamEvent::Delta(t.to_string()));
                    }
                }
                Some("message_start") => out.push(StreamEvent::Usage {
                    input: u(&v["message"]["usage"]["input_tokens"]),
                    output: None,
                }),
                Some("message_delta") => out.push(StreamEvent::Usage {
                    input: None,
                    output: u(&v["usage"]["output_tokens"]),
                }),
                Some("message_stop") => out.push(StreamEvent::Done),
                Some("error") => {
                    let msg = v["error"]["message"].as_str().unwrap_or("unknown error");
                    return Err(WireError::StreamError(msg.chars().take(200).collect()));
                }
                _ => {}
            },
            ProviderKind::Gemini => {
                if let Some(t) = gemini_text(&v).filter(|t| !t.is_empty()) {
                    out.push(StreamEvent::Delta(t));
                }
                if v["usageMetadata"].is_object() {
                    out.push(StreamEvent::Usage {
                        input: u(&v["usageMetadata"]["promptTokenCount"]),
                        output: u(&v["usageMetadata"]["candidatesTokenCount"]),
                    });
                }
            }
            ProviderKind::Ollama => {}
        }
        Ok(out)
    }

    /// Whether the stream ends at EOF without an explicit end marker (Gemini's SSE has none).
    pub fn ends_at_eof(&self) -> bool {
        self.kind == ProviderKind::Gemini
    }
}
