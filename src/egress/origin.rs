//! Origins and the allow-list: what may be reached, decided before any connection.
//!
//! A URL is checked by parsing it once with `http::Uri` (the parser ureq uses), refusing
//! anything ambiguous (userinfo, fragments, percent-encoded or non-ASCII hosts, credentials in
//! the query), and rebuilding a normalised URI from the parsed parts. That rebuilt URI is the
//! one sent: the check and the request never disagree about where it goes.

use std::net::IpAddr;

/// The built-in allowed origins (exact scheme, host and port).
pub const BUILTIN: &[(&str, &str, u16)] = &[
    ("https", "api.openai.com", 443),
    ("https", "api.anthropic.com", 443),
    ("https", "api.mistral.ai", 443),
    ("https", "generativelanguage.googleapis.com", 443),
    ("http", "localhost", 11434),
    ("http", "127.0.0.1", 11434),
];

/// Query parameter names that would carry a credential; credentials travel only in headers.
const CREDENTIAL_PARAMS: &[&str] = &[
    "key",
    "api_key",
    "apikey",
    "api-key",
    "token",
    "access_token",
    "auth",
    "password",
    "secret",
];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginError {
    #[error("{0}")]
    Refused(String),
}

fn refused(why: impl Into<String>) -> OriginError {
    OriginError::Refused(why.into())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let default = matches!(
            (self.scheme.as_str(), self.port),
            ("https", 443) | ("http", 80)
        );
        if default {
            write!(f, "{}://{}", self.scheme, self.host)
        } else {
            write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

impl Origin {
    /// Loopback: `localhost`, 127.0.0.1 (exactly; `127.1` and friends are refused as hosts), `[::1]`.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost" || self.host == "127.0.0.1" || self.host == "[::1]"
    }

    pub fn is_builtin(&self) -> bool {
        BUILTIN
            .iter()
            .any(|&(s, h, p)| self.scheme == s && self.host == h && self.port == p)
    }

    /// An origin the person adds: HTTPS, or plain HTTP on loopback only; no path.
    pub fn parse_addition(text: &str) -> Result<Origin, OriginError> {
        let url = CheckedUrl::parse(text.trim())?;
        let path = url.uri.path();
        if (path != "/" && !path.is_empty()) || url.uri.query().is_some() {
            return Err(refused(format!(
                "an origin is scheme://host[:port] without a path (got {})",
                url.origin
            )));
        }
        if url.origin.scheme != "https" && !url.origin.is_loopback() {
            return Err(refused(format!(
                "{} is plain HTTP: only HTTPS origins may be added (plain HTTP only on localhost, 127.0.0.1 or [::1])",
                url.origin
            )));
        }
        Ok(url.origin)
    }
}

/// A URL that parsed unambiguously; `uri` is the normalised form that is sent.
#[derive(Clone, Debug)]
pub struct CheckedUrl {
    pub origin: Origin,
    pub uri: http::Uri,
}

impl CheckedUrl {
    /// Parses and normalises; does not decide whether the origin is allowed.
    pub fn parse(text: &str) -> Result<CheckedUrl, OriginError> {
        if !text.is_ascii() {
            return Err(refused(
                "the URL has non-ASCII characters (a look-alike host?); write it in ASCII",
            ));
        }
        if text
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'\\')
        {
            return Err(refused(
                "the URL has spaces, control characters or backslashes",
            ));
        }
        if text.contains('#') {
            return Err(refused("the URL has a fragment (#); remove it"));
        }
        let uri: http::Uri = text
            .parse()
            .map_err(|_| refused("it is not a valid http(s) URL"))?;
        let scheme = uri
            .scheme_str()
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| refused("the URL has no scheme (http:// or https://)"))?;
        if scheme != "https" && scheme != "http" {
            return Err(refused(format!(
                "the scheme {scheme}: is not http or https"
            )));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| refused("the URL has no host"))?;
        if authority.as_str().contains('@') {
            return Err(refused(
                "the URL has a user name or password before the host; credentials go in Settings → Providers, never in a URL",
            ));
        }
        let host = authority.host().to_ascii_lowercase();
        let valid_host =
            if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                inner.parse::<std::net::Ipv6Addr>().is_ok()
            } else {
                !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                && !host.starts_with(['.', '-'])
                && !host.ends_with('-')
                && !host.contains("..")
                // All-numeric hosts must be a real dotted quad (no 127.1, 0x7f.1, 2130706433).
                && (host.bytes().any(|b| b.is_ascii_alphabetic() && !host.starts_with("0x"))
                    || host.parse::<std::net::Ipv4Addr>().is_ok())
            };
        if !valid_host {
            return Err(refused(format!(
                "the host {host:?} is not a plain host name or IP address"
            )));
        }
        let host = host.trim_end_matches('.').to_string();
        let port = match authority.port_u16() {
            Some(p) => p,
            None if authority.as_str().ends_with(':') => {
                return Err(refused("the URL has an empty port"));
            }
            None => {
                if scheme == "https" {
                    443
                } else {
                    80
                }
            }
        };
        if let Some(query) = uri.query() {
            for pair in query.split('&') {
                let name = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
                if CREDENTIAL_PARAMS.contains(&name.as_str()) {
                    return Err(refused(format!(
                        "the URL carries a credential in its query ({name}=); credentials travel only in headers"
                    )));
                }
            }
        }
        let origin = Origin {
            scheme: scheme.clone(),
            host: host.clone(),
            port,
        };
        let path_and_query = uri
            .path_and_query()
            .map_or("/".to_string(), |pq| pq.as_str().to_string());
        let default_port = (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
        let authority = if default_port {
            host
        } else {
            format!("{host}:{port}")
        };
        let uri = http::Uri::builder()
            .scheme(scheme.as_str())
            .authority(authority.as_str())
            .path_and_query(path_and_query.as_str())
            .build()
            .map_err(|_| refused("it is not a valid http(s) URL"))?;
        Ok(CheckedUrl { origin, uri })
    }

    /// The URL for messages: origin and path, never the query (it may hold ids or secrets).
    pub fn display_safe(&self) -> String {
        format!("{}{}", self.origin, self.uri.path())
    }
}

/// Addresses no public service resolves to: loopback, private, link-local (cloud metadata
/// lives at 169.254.169.254), unspecified, multicast, CGNAT, unique-local IPv6.
pub fn is_internal_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal_address(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00
                || (seg[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_default_port() {
        let u = CheckedUrl::parse("HTTPS://API.OPENAI.COM:443/v1").unwrap();
        assert_eq!(u.origin.to_string(), "https://api.openai.com");
        assert!(u.origin.is_builtin());
        assert_eq!(u.uri.to_string(), "https://api.openai.com/v1");
    }

    #[test]
    fn additions_are_https_or_loopback() {
        assert!(Origin::parse_addition("https://llm.corp.example:8443").is_ok());
        assert!(Origin::parse_addition("http://127.0.0.1:8080").is_ok());
        assert!(Origin::parse_addition("http://[::1]:8080").is_ok());
        assert!(Origin::parse_addition("http://llm.corp.example").is_err());
        assert!(Origin::parse_addition("https://llm.corp.example/v1").is_err());
    }

    #[test]
    fn internal_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_internal_address(a.parse().unwrap()), "{a}");
        }
        for a in ["8.8.8.8", "2606:4700::1111", "104.18.6.192"] {
            assert!(!is_internal_address(a.parse().unwrap()), "{a}");
        }
    }
}
