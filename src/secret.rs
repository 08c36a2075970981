//! Types for secret material: no `Debug`, `Display`, `Clone` or `Serialize`, and the memory is
//! wiped when they are dropped. Code that needs the bytes asks for them explicitly with
//! `expose()`, which makes every use easy to find.

use zeroize::Zeroizing;

/// Secret bytes of any length (an API key, a token, a vault record).
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(Zeroizing::new(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A secret text: a passphrase or an API key as typed.
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(text: String) -> Self {
        SecretString(Zeroizing::new(text))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A 256-bit key.
pub struct Key32(Zeroizing<[u8; 32]>);

impl Key32 {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key32(Zeroizing::new(bytes))
    }

    /// A key from a slice, if it is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Key32::from_bytes(array))
    }

    /// A fresh key from the operating system's random source.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut key = Key32::from_bytes([0; 32]);
        getrandom::fill(&mut key.0[..])?;
        Ok(key)
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key as a new secret byte buffer (for storing it in a key store or the vault).
    pub fn to_secret_bytes(&self) -> SecretBytes {
        SecretBytes::new(self.0.to_vec())
    }
}

/// `n` random bytes from the operating system (nonces, salts, ids).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out)?;
    Ok(out)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Constant-time equality for MACs and hashes.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_differ_and_hex_is_lower_case() {
        let a = Key32::random().unwrap();
        let b = Key32::random().unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(hex(&[0xAB, 0x01]), "ab01");
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
