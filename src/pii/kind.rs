//! The kinds of sensitive data the engine knows, with their stable names.
//!
//! Names are part of the CLI and report format (`tftsr scan --format jsonl`), so they never change:
//! they match the labels of the shared corpus.

use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// One kind of finding. `Ord` follows declaration order, which is also the display order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiType {
    Ipv4,
    Ipv6,
    Mac,
    Email,
    Hostname,
    UrlCredentials,
    Password,
    ApiKey,
    BearerToken,
    AwsAccessKeyId,
    AwsSecretKey,
    GithubToken,
    SlackToken,
    StripeKey,
    Jwt,
    PrivateKey,
    CreditCard,
    Ssn,
    Phone,
    HomeUsername,
    DbConnection,
    PersonName,
    /// A literal from the person's own term list (a company or project name, say).
    CustomTerm,
    /// A match of one of the person's own regular expressions.
    CustomPattern,
}

impl PiiType {
    /// Every type, in display order.
    pub const ALL: [PiiType; 24] = [
        PiiType::Ipv4,
        PiiType::Ipv6,
        PiiType::Mac,
        PiiType::Email,
        PiiType::Hostname,
        PiiType::UrlCredentials,
        PiiType::Password,
        PiiType::ApiKey,
        PiiType::BearerToken,
        PiiType::AwsAccessKeyId,
        PiiType::AwsSecretKey,
        PiiType::GithubToken,
        PiiType::SlackToken,
        PiiType::StripeKey,
        PiiType::Jwt,
        PiiType::PrivateKey,
        PiiType::CreditCard,
        PiiType::Ssn,
        PiiType::Phone,
        PiiType::HomeUsername,
        PiiType::DbConnection,
        PiiType::PersonName,
        PiiType::CustomTerm,
        PiiType::CustomPattern,
    ];

    /// The stable machine name (`ipv4`, `aws_secret_key`, ...).
    pub fn name(self) -> &'static str {
        match self {
            PiiType::Ipv4 => "ipv4",
            PiiType::Ipv6 => "ipv6",
            PiiType::Mac => "mac",
            PiiType::Email => "email",
            PiiType::Hostname => "hostname",
            PiiType::UrlCredentials => "url_credentials",
            PiiType::Password => "password",
            PiiType::ApiKey => "api_key",
            PiiType::BearerToken => "bearer_token",
            PiiType::AwsAccessKeyId => "aws_access_key_id",
            PiiType::AwsSecretKey => "aws_secret_key",
            PiiType::GithubToken => "github_token",
            PiiType::SlackToken => "slack_token",
            PiiType::StripeKey => "stripe_key",
            PiiType::Jwt => "jwt",
            PiiType::PrivateKey => "private_key",
            PiiType::CreditCard => "credit_card",
            PiiType::Ssn => "ssn",
            PiiType::Phone => "phone",
            PiiType::HomeUsername => "home_username",
            PiiType::DbConnection => "db_connection",
            PiiType::PersonName => "person_name",
            PiiType::CustomTerm => "custom_term",
            PiiType::CustomPattern => "custom_pattern",
        }
    }

    /// The upper-case label used in replacements: `[IPV4]`, `[IPV4-3]`.
    pub fn label(self) -> String {
        self.name().to_ascii_uppercase()
    }

    /// A short human description, for tooltips and `--help`.
    pub fn description(self) -> &'static str {
        match self {
            PiiType::Ipv4 => "IPv4 address",
            PiiType::Ipv6 => "IPv6 address",
            PiiType::Mac => "MAC address",
            PiiType::Email => "e-mail address",
            PiiType::Hostname => "internal host name (FQDN)",
            PiiType::UrlCredentials => "user:password inside a URL",
            PiiType::Password => "password",
            PiiType::ApiKey => "API key, secret or token",
            PiiType::BearerToken => "Authorization credential, cookie or session id",
            PiiType::AwsAccessKeyId => "AWS access key id",
            PiiType::AwsSecretKey => "AWS secret access key",
            PiiType::GithubToken => "GitHub token",
            PiiType::SlackToken => "Slack token or webhook URL",
            PiiType::StripeKey => "Stripe secret key",
            PiiType::Jwt => "JSON Web Token",
            PiiType::PrivateKey => "PEM private key block",
            PiiType::CreditCard => "payment card number (Luhn-checked)",
            PiiType::Ssn => "US social security number",
            PiiType::Phone => "phone number",
            PiiType::HomeUsername => "user name in a home directory path",
            PiiType::DbConnection => "secret part of a database connection string",
            PiiType::PersonName => "person name (from context: CSV columns, name fields)",
            PiiType::CustomTerm => "one of your custom terms",
            PiiType::CustomPattern => "a match of one of your custom patterns",
        }
    }

    /// Secrets are credentials: redacting them is never optional in spirit, and their pseudonym
    /// maps must never be persisted.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            PiiType::UrlCredentials
                | PiiType::Password
                | PiiType::ApiKey
                | PiiType::BearerToken
                | PiiType::AwsAccessKeyId
                | PiiType::AwsSecretKey
                | PiiType::GithubToken
                | PiiType::SlackToken
                | PiiType::StripeKey
                | PiiType::Jwt
                | PiiType::PrivateKey
                | PiiType::DbConnection
        )
    }

    /// Tie-breaker when two candidate spans have the same length: the more specific,
    /// more sensitive type wins.
    pub(crate) fn priority(self) -> u8 {
        match self {
            PiiType::PrivateKey => 100,
            PiiType::CustomTerm | PiiType::CustomPattern => 95,
            PiiType::Jwt
            | PiiType::AwsAccessKeyId
            | PiiType::GithubToken
            | PiiType::SlackToken
            | PiiType::StripeKey => 90,
            PiiType::AwsSecretKey => 88,
            PiiType::UrlCredentials | PiiType::DbConnection => 85,
            PiiType::Password => 80,
            PiiType::BearerToken => 76,
            PiiType::ApiKey => 75,
            PiiType::CreditCard => 70,
            PiiType::Ssn => 65,
            PiiType::Email => 60,
            PiiType::Phone => 50,
            PiiType::Ipv6 | PiiType::Ipv4 | PiiType::Mac => 45,
            PiiType::Hostname => 40,
            PiiType::HomeUsername => 35,
            PiiType::PersonName => 30,
        }
    }
}

impl fmt::Display for PiiType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown type name; it lists the valid ones.
#[derive(Debug, thiserror::Error)]
#[error("unknown type '{0}' (known types: {known})", known = known_names())]
pub struct UnknownType(pub String);

fn known_names() -> String {
    PiiType::ALL
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for PiiType {
    type Err = UnknownType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        PiiType::ALL
            .into_iter()
            .find(|t| t.name() == wanted)
            .ok_or_else(|| UnknownType(s.trim().to_string()))
    }
}

impl Serialize for PiiType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in PiiType::ALL {
            assert_eq!(t.name().parse::<PiiType>().unwrap(), t);
        }
        assert!("nope".parse::<PiiType>().is_err());
        assert_eq!(" IPv4 ".parse::<PiiType>().unwrap(), PiiType::Ipv4);
    }

    #[test]
    fn all_is_sorted_and_complete() {
        let mut sorted = PiiType::ALL;
        sorted.sort();
        assert_eq!(sorted, PiiType::ALL);
    }
}
