//! The egress gate: the one HTTP agent TFTSR has, and the rules for where it may go.
//!
//! - Allowed origins are exact (scheme, host, port): the built-in providers, Ollama on
//!   loopback, and origins the person adds (HTTPS, or HTTP on loopback). Everything else is
//!   refused before any connection, with a message naming the origin.
//! - Offline mode allows loopback origins only.
//! - Redirects are never followed (a 3xx is an error); proxy environment variables are ignored;
//!   TLS certificates are always verified, against the platform's trust store.
//! - Every hop is checked again where addresses are resolved: a built-in public host that
//!   resolves to a loopback, private or link-local address is refused (DNS rebinding), an added
//!   origin may not resolve to loopback or link-local unless it is a loopback origin, and a
//!   loopback origin must resolve to loopback.

pub mod origin;

pub use origin::{BUILTIN, CheckedUrl, Origin, OriginError, is_internal_address};

use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Marks a refusal raised inside the resolver, so it is reported as a refusal.
const REFUSAL_MARK: &str = "tftsr egress refused: ";
/// Provider error bodies are read up to this many bytes.
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// The person's network settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub offline: bool,
    pub added: Vec<Origin>,
}

impl Policy {
    /// Every origin currently reachable, for Settings → Network.
    pub fn allowed(&self) -> Vec<Origin> {
        let builtin = BUILTIN.iter().map(|&(s, h, p)| Origin {
            scheme: s.into(),
            host: h.into(),
            port: p,
        });
        let mut all: Vec<Origin> = builtin.chain(self.added.iter().cloned()).collect();
        all.dedup();
        if self.offline {
            all.retain(Origin::is_loopback);
        }
        all
    }

    /// Parses `url` and checks its origin against the allow-list and offline mode.
    pub fn check(&self, url: &str) -> Result<CheckedUrl, EgressError> {
        let checked = CheckedUrl::parse(url).map_err(|OriginError::Refused(why)| {
            EgressError::Refused(format!("refused a URL before connecting: {why}"))
        })?;
        self.check_origin(&checked.origin)?;
        Ok(checked)
    }

    fn check_origin(&self, origin: &Origin) -> Result<(), EgressError> {
        let listed = origin.is_builtin() || self.added.contains(origin);
        if !listed {
            return Err(EgressError::Refused(format!(
                "{origin} is not an allowed origin; add it in Settings → Network if you trust it"
            )));
        }
        if self.offline && !origin.is_loopback() {
            return Err(EgressError::Refused(format!(
                "offline mode is on: only loopback origins (such as a local Ollama) may be reached, not {origin}"
            )));
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    #[error("{0}")]
    Refused(String),
    #[error(
        "the server answered with a redirect (HTTP {0}); TFTSR never follows redirects — check the provider's URL"
    )]
    Redirect(u16),
    #[error("the connection timed out")]
    Timeout,
    #[error("cannot reach the server ({0})")]
    Connect(String),
    #[error(
        "the TLS certificate could not be verified ({0}); TFTSR never skips certificate checks"
    )]
    Tls(String),
    #[error("the transfer failed ({0})")]
    Transport(String),
}

/// A response whose status the caller judges (4xx/5xx are not errors here).
pub struct Response {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: Box<dyn Read + Send>,
}

impl Response {
    /// Reads the body as text up to `MAX_ERROR_BODY` (for error messages; the caller redacts
    /// and truncates before showing it).
    pub fn error_text(mut self) -> String {
        let mut buf = Vec::new();
        let _ = (&mut self.body).take(MAX_ERROR_BODY).read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// A header value that may be a secret (an API key): no Debug, wiped on drop.
pub struct HeaderValue(crate::secret::SecretString);

impl HeaderValue {
    pub fn plain(s: impl Into<String>) -> Self {
        HeaderValue(crate::secret::SecretString::new(s.into()))
    }

    pub fn secret(s: crate::secret::SecretString) -> Self {
        HeaderValue(s)
    }
}

/// The one HTTP agent.
#[derive(Clone)]
pub struct Egress {
    agent: ureq::Agent,
    policy: Arc<RwLock<Policy>>,
}

impl Egress {
    pub fn new(policy: Policy) -> Egress {
        Self::with_timeouts(policy, Timeouts::default())
    }

    pub fn with_timeouts(policy: Policy, t: Timeouts) -> Egress {
        let policy = Arc::new(RwLock::new(policy));
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .save_redirect_history(false)
            // Never the environment's HTTP(S)_PROXY: an explicit proxy setting may come later.
            .proxy(None)
            .tls_config(tls)
            .user_agent(concat!("tftsr/", env!("CARGO_PKG_VERSION")))
            .timeout_resolve(Some(t.connect))
            .timeout_connect(Some(t.connect))
            .timeout_send_request(Some(t.send))
            .timeout_send_body(Some(t.send))
            .timeout_recv_response(Some(t.first_byte))
            .timeout_per_read(Some(t.per_read))
            .build();
        let resolver = GuardedResolver {
            policy: policy.clone(),
            inner: DefaultResolver::default(),
        };
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            resolver,
        );
        Egress { agent, policy }
    }

    pub fn policy(&self) -> Policy {
        self.policy
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn set_policy(&self, policy: Policy) {
        *self.policy.write().unwrap_or_else(PoisonError::into_inner) = policy;
    }

    pub fn check(&self, url: &str) -> Result<CheckedUrl, EgressError> {
        self.policy().check(url)
    }

    /// POSTs `body` to a checked URL (the origin is checked again against the current policy).
    pub fn post(
        &self,
        url: &CheckedUrl,
        headers: &[(&str, HeaderValue)],
        body: &[u8],
    ) -> Result<Response, EgressError> {
        self.policy().check_origin(&url.origin)?;
        let mut request = self.agent.post(url.uri.clone());
        for (name, value) in headers {
            request = request.header(*name, value.0.expose());
        }
        let response = request.send(body).map_err(map_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(EgressError::Redirect(status));
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = Box::new(response.into_body().into_reader());
        Ok(Response {
            status,
            retry_after,
            body,
        })
    }

    /// GETs a checked URL (model lists, health checks).
    pub fn get(
        &self,
        url: &CheckedUrl,
        headers: &[(&str, HeaderValue)],
    ) -> Result<Response, EgressError> {
        self.policy().check_origin(&url.origin)?;
        let mut request = self.agent.get(url.uri.clone());
        for (name, value) in headers {
            request = request.header(*name, value.0.expose());
        }
        let response = request.call().map_err(map_error)?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(EgressError::Redirect(status));
        }
        Ok(Response {
            status,
            retry_after: None,
            body: Box::new(response.into_body().into_reader()),
        })
    }
}

/// Explicit timeouts; a stream may run long, but each read must make progress.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    pub send: Duration,
    pub first_byte: Duration,
    pub per_read: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            send: Duration::from_secs(30),
            first_byte: Duration::from_secs(120),
            per_read: Duration::from_secs(60),
        }
    }
}

/// Errors without URLs, bodies or headers in them.
pub fn map_error(e: ureq::Error) -> EgressError {
    use ureq::Error as E;
    match e {
        E::Io(io) => {
            let text = io.to_string();
            if let Some(why) = text.strip_prefix(REFUSAL_MARK) {
                EgressError::Refused(why.to_string())
            } else if io.kind() == std::io::ErrorKind::TimedOut {
                EgressError::Timeout
            } else if text.contains("lookup") || text.contains("not known") {
                EgressError::Connect("the host name could not be resolved".into())
            } else if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
            ) {
                EgressError::Connect(format!("{:?}", io.kind()))
            } else {
                EgressError::Transport(format!("{:?}", io.kind()))
            }
        }
        E::Timeout(_) => EgressError::Timeout,
        E::HostNotFound => EgressError::Connect("host not found".into()),
        E::ConnectionFailed => EgressError::Connect("connection failed".into()),
        E::Tls(why) => EgressError::Tls(why.to_string()),
        E::Rustls(r) => EgressError::Tls(r.to_string()),
        E::TooManyRedirects | E::RedirectFailed => EgressError::Redirect(300),
        E::BadUri(_) | E::Http(_) => EgressError::Refused("the URL was refused".into()),
        other => EgressError::Transport(match other {
            E::Protocol(_) => "HTTP protocol error".to_string(),
            E::BodyExceedsLimit(_) => "response too large".to_string(),
            _ => "unexpected error".to_string(),
        }),
    }
}

/// Re-checks every hop where it is resolved, and the addresses it resolves to.
struct GuardedResolver {
    policy: Arc<RwLock<Policy>>,
    inner: DefaultResolver,
}

impl std::fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GuardedResolver")
    }
}

fn refusal(why: String) -> ureq::Error {
    ureq::Error::Io(std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!("{REFUSAL_MARK}{why}"),
    ))
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let policy = self
            .policy
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let checked = policy
            .check(&uri.to_string())
            .map_err(|e| refusal(e.to_string()))?;
        let origin = checked.origin;
        let addrs = self.inner.resolve(uri, config, timeout)?;
        for addr in addrs.iter() {
            check_address(&origin, addr).map_err(refusal)?;
        }
        Ok(addrs)
    }
}

fn check_address(origin: &Origin, addr: &SocketAddr) -> Result<(), String> {
    let ip = addr.ip();
    if origin.is_loopback() {
        return if ip.is_loopback() {
            Ok(())
        } else {
            Err(format!("{origin} resolved to a non-loopback address"))
        };
    }
    let suspicious = if origin.is_builtin() {
        is_internal_address(ip)
    } else {
        // An added origin may be a company gateway on a private network, but never this
        // machine or a link-local service (cloud metadata).
        ip.is_loopback() || ip.is_unspecified() || is_link_local(ip)
    };
    if suspicious {
        Err(format!(
            "{origin} resolved to an internal address (possible DNS rebinding); the connection was not made"
        ))
    } else {
        Ok(())
    }
}

fn is_link_local(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_link_local(),
        std::net::IpAddr::V6(v6) => {
            (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_link_local())
        }
    }
}
