//! The sealed credential file format, version 1 (all integers big-endian):
//!
//! ```text
//! magic    8  "TFTSRVLT"
//! version  1  1
//! kdf      1  0 = key held in the key store, 1 = scrypt from a passphrase
//!  (kdf 0) key-store id 16: names the keyring entries, so moving the data directory keeps them
//!  (kdf 1) log_n 1, r 4, p 4, salt 16
//! nonce   24  XChaCha20-Poly1305, fresh for every write
//! sealed   *  records, encrypted; the last 16 bytes are the tag
//! ```
//!
//! Everything before `sealed` is the header and is authenticated as associated data, so a
//! changed parameter or nonce fails exactly like changed ciphertext. The plaintext is a list of
//! records: `count u32`, then per record `name_len u16, name, value_len u32, value`.
//!
//! scrypt parameters are checked against caps before any derivation, so a crafted header cannot
//! make TFTSR allocate gigabytes or spin for minutes.

use crate::secret::{Key32, SecretBytes, random_bytes};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

pub const MAGIC: &[u8; 8] = b"TFTSRVLT";
pub const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// A vault holds a few keys; anything larger is not ours.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Caps checked before any key derivation.
pub const MAX_LOG_N: u8 = 20;
pub const MAX_R: u32 = 32;
pub const MAX_P: u32 = 16;
/// scrypt needs about 128 · r · 2^log_n bytes.
pub const MAX_SCRYPT_BYTES: u64 = 1 << 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormatError {
    #[error("it is not a TFTSR vault file")]
    NotAVault,
    #[error("it has format version {0}, which this TFTSR does not know; it was left untouched")]
    UnknownVersion(u8),
    #[error("it is truncated")]
    Truncated,
    #[error("it is larger than any vault TFTSR writes")]
    TooLarge,
    #[error("its key derivation parameters are out of bounds (refused before any work)")]
    KdfOutOfBounds,
    #[error("it uses an unknown key source")]
    UnknownKdf,
    /// Deliberately vague: a wrong key and tampering look the same.
    #[error("it cannot be decrypted (wrong key or passphrase, or the file was altered)")]
    Decrypt,
    #[error("its records are malformed")]
    Malformed,
    #[error("the system random source failed")]
    Random,
}

/// scrypt work factors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScryptParams {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
}

impl ScryptParams {
    /// About 0.4 s and 128 MiB on the reference machine (release build).
    pub const DEFAULT: ScryptParams = ScryptParams {
        log_n: 17,
        r: 8,
        p: 1,
    };

    pub fn check(&self) -> Result<(), FormatError> {
        let ok = (1..=MAX_LOG_N).contains(&self.log_n)
            && (1..=MAX_R).contains(&self.r)
            && (1..=MAX_P).contains(&self.p)
            && 128u64 * u64::from(self.r) * (1u64 << self.log_n) <= MAX_SCRYPT_BYTES;
        if ok {
            Ok(())
        } else {
            Err(FormatError::KdfOutOfBounds)
        }
    }

    /// Derives the vault key from a passphrase (after checking the caps).
    pub fn derive(&self, passphrase: &[u8], salt: &[u8; 16]) -> Result<Key32, FormatError> {
        self.check()?;
        let params = scrypt::Params::new(self.log_n, self.r, self.p)
            .map_err(|_| FormatError::KdfOutOfBounds)?;
        let mut out = Zeroizing::new([0u8; 32]);
        scrypt::scrypt(passphrase, salt, &params, &mut out[..])
            .map_err(|_| FormatError::KdfOutOfBounds)?;
        Ok(Key32::from_bytes(*out))
    }
}

/// Where the vault key comes from, as written in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// A random key held in the key store (OS keyring), under entries named by `id`.
    KeyStore { id: [u8; 16] },
    /// Derived from a passphrase.
    Scrypt {
        params: ScryptParams,
        salt: [u8; 16],
    },
}

impl KeySource {
    /// A key-store source with a fresh random id.
    pub fn new_key_store() -> Result<Self, FormatError> {
        let id = random_bytes::<16>().map_err(|_| FormatError::Random)?;
        Ok(KeySource::KeyStore { id })
    }

    /// A passphrase source with a fresh random salt.
    pub fn new_scrypt(params: ScryptParams) -> Result<Self, FormatError> {
        params.check()?;
        let salt = random_bytes::<SALT_LEN>().map_err(|_| FormatError::Random)?;
        Ok(KeySource::Scrypt { params, salt })
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            KeySource::KeyStore { id } => {
                out.push(0);
                out.extend_from_slice(id);
            }
            KeySource::Scrypt { params, salt } => {
                out.push(1);
                out.push(params.log_n);
                out.extend_from_slice(&params.r.to_be_bytes());
                out.extend_from_slice(&params.p.to_be_bytes());
                out.extend_from_slice(salt);
            }
        }
    }
}

/// Reads only the header: which key source the file needs. Checks magic, version and the
/// KDF caps, so no work is done on a hostile file.
pub fn read_key_source(file: &[u8]) -> Result<KeySource, FormatError> {
    parse_header(file).map(|(source, _)| source)
}

/// Returns the key source and the header length (the associated data ends before the
/// ciphertext).
fn parse_header(file: &[u8]) -> Result<(KeySource, usize), FormatError> {
    if file.len() > MAX_FILE_BYTES {
        return Err(FormatError::TooLarge);
    }
    if file.len() < MAGIC.len() {
        return if MAGIC.starts_with(file) {
            Err(FormatError::Truncated)
        } else {
            Err(FormatError::NotAVault)
        };
    }
    if &file[..8] != MAGIC {
        return Err(FormatError::NotAVault);
    }
    let version = *file.get(8).ok_or(FormatError::Truncated)?;
    if version != VERSION {
        return Err(FormatError::UnknownVersion(version));
    }
    let kdf = *file.get(9).ok_or(FormatError::Truncated)?;
    let (source, pos) = match kdf {
        0 => {
            let id = file.get(10..26).ok_or(FormatError::Truncated)?;
            let id: [u8; 16] = id.try_into().expect("16 bytes");
            (KeySource::KeyStore { id }, 26)
        }
        1 => {
            let b = file
                .get(10..10 + 1 + 4 + 4 + SALT_LEN)
                .ok_or(FormatError::Truncated)?;
            let params = ScryptParams {
                log_n: b[0],
                r: u32::from_be_bytes(b[1..5].try_into().expect("4 bytes")),
                p: u32::from_be_bytes(b[5..9].try_into().expect("4 bytes")),
            };
            params.check()?;
            let salt: [u8; 16] = b[9..].try_into().expect("16 bytes");
            (KeySource::Scrypt { params, salt }, 10 + b.len())
        }
        _ => return Err(FormatError::UnknownKdf),
    };
    let header_len = pos + NONCE_LEN;
    if file.len() < header_len + TAG_LEN {
        return Err(FormatError::Truncated);
    }
    Ok((source, header_len))
}

/// The named secrets a vault holds.
pub type Records = BTreeMap<String, SecretBytes>;

/// Seals `records` under `key` with a fresh nonce.
pub fn seal(source: &KeySource, key: &Key32, records: &Records) -> Result<Vec<u8>, FormatError> {
    let mut file = Vec::with_capacity(128);
    file.extend_from_slice(MAGIC);
    file.push(VERSION);
    source.encode(&mut file);
    let nonce = random_bytes::<NONCE_LEN>().map_err(|_| FormatError::Random)?;
    file.extend_from_slice(&nonce);

    let mut plain = Zeroizing::new(Vec::new());
    plain.extend_from_slice(&(records.len() as u32).to_be_bytes());
    for (name, value) in records {
        let name_len = u16::try_from(name.len()).map_err(|_| FormatError::Malformed)?;
        let value_len = u32::try_from(value.len()).map_err(|_| FormatError::Malformed)?;
        plain.extend_from_slice(&name_len.to_be_bytes());
        plain.extend_from_slice(name.as_bytes());
        plain.extend_from_slice(&value_len.to_be_bytes());
        plain.extend_from_slice(value.expose());
    }
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &file,
            },
        )
        .map_err(|_| FormatError::Decrypt)?;
    file.extend_from_slice(&sealed);
    if file.len() > MAX_FILE_BYTES {
        return Err(FormatError::TooLarge);
    }
    Ok(file)
}

/// Opens a sealed file with `key` (from the key store, or derived from the header's KDF).
pub fn open(file: &[u8], key: &Key32) -> Result<Records, FormatError> {
    let (_, header_len) = parse_header(file)?;
    let (header, sealed) = file.split_at(header_len);
    let nonce: [u8; NONCE_LEN] = header[header_len - NONCE_LEN..]
        .try_into()
        .expect("24 bytes");
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| FormatError::Decrypt)?,
    );
    parse_records(&plain)
}

fn parse_records(mut p: &[u8]) -> Result<Records, FormatError> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Result<&'a [u8], FormatError> {
        if p.len() < n {
            return Err(FormatError::Malformed);
        }
        let (head, rest) = p.split_at(n);
        *p = rest;
        Ok(head)
    }
    let count = u32::from_be_bytes(take(&mut p, 4)?.try_into().expect("4 bytes"));
    let mut records = Records::new();
    for _ in 0..count {
        let name_len = u16::from_be_bytes(take(&mut p, 2)?.try_into().expect("2 bytes"));
        let name = std::str::from_utf8(take(&mut p, name_len.into())?)
            .map_err(|_| FormatError::Malformed)?
            .to_string();
        let value_len = u32::from_be_bytes(take(&mut p, 4)?.try_into().expect("4 bytes"));
        let value = take(&mut p, value_len as usize)?.to_vec();
        records.insert(name, SecretBytes::new(value));
    }
    if !p.is_empty() {
        return Err(FormatError::Malformed);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Key32, Vec<u8>) {
        let key = Key32::random().unwrap();
        let mut records = Records::new();
        records.insert("a".into(), SecretBytes::new(b"one".to_vec()));
        records.insert("b".into(), SecretBytes::new(vec![0, 1, 2]));
        (
            key.clone_for_test(),
            seal(&KeySource::KeyStore { id: [7; 16] }, &key, &records).unwrap(),
        )
    }

    impl Key32 {
        fn clone_for_test(&self) -> Key32 {
            Key32::from_bytes(*self.expose())
        }
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let (key, file) = sample();
        let records = open(&file, &key).unwrap();
        assert_eq!(records["a"].expose(), b"one");
        assert_eq!(records["b"].expose(), &[0, 1, 2]);
        let again = seal(&KeySource::KeyStore { id: [7; 16] }, &key, &records).unwrap();
        assert_ne!(file[26..50], again[26..50], "nonce must be fresh per write");
    }

    #[test]
    fn every_single_bit_flip_fails() {
        let (key, file) = sample();
        for byte in 0..file.len() {
            for bit in 0..8 {
                let mut bad = file.clone();
                bad[byte] ^= 1 << bit;
                assert!(open(&bad, &key).is_err(), "flip at byte {byte} bit {bit}");
            }
        }
    }

    #[test]
    fn truncation_and_trailing_garbage_fail() {
        let (key, file) = sample();
        for len in 0..file.len() {
            assert!(open(&file[..len], &key).is_err(), "truncated to {len}");
        }
        let mut long = file.clone();
        long.push(0);
        assert_eq!(open(&long, &key).err(), Some(FormatError::Decrypt));
    }

    #[test]
    fn kdf_caps_are_checked_before_work() {
        let mut file = MAGIC.to_vec();
        file.extend_from_slice(&[VERSION, 1, 30]); // log_n = 30: 128 GiB of memory
        file.extend_from_slice(&8u32.to_be_bytes());
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(&[0; 16 + 24 + 16]);
        assert_eq!(read_key_source(&file), Err(FormatError::KdfOutOfBounds));
        let huge_r = ScryptParams {
            log_n: 20,
            r: 32,
            p: 1,
        };
        assert_eq!(huge_r.check(), Err(FormatError::KdfOutOfBounds));
        assert!(huge_r.derive(b"x", &[0; 16]).is_err());
    }

    #[test]
    fn unknown_version_is_named() {
        let (_, mut file) = sample();
        file[8] = 9;
        assert_eq!(read_key_source(&file), Err(FormatError::UnknownVersion(9)));
    }

    #[test]
    fn scrypt_key_depends_on_passphrase_and_salt() {
        let p = ScryptParams {
            log_n: 4,
            r: 1,
            p: 1,
        };
        let a = p.derive(b"one", &[1; 16]).unwrap();
        let b = p.derive(b"two", &[1; 16]).unwrap();
        let c = p.derive(b"one", &[2; 16]).unwrap();
        assert_ne!(a.expose(), b.expose());
        assert_ne!(a.expose(), c.expose());
    }
}
