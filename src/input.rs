//! Reading a log the person chose, safely: only regular files, never blocking on a FIFO or a
//! device, never more than the size cap, refusing binary content, decoding UTF-8 (lossily, with a
//! flag) and UTF-16 with a byte-order mark.
//!
//! A UTF-8 byte-order mark is kept in the text: offsets into a UTF-8 file are then offsets into
//! the file's own bytes, and a redacted copy starts with the same mark as the original. (The
//! engine scans after the mark, so it never joins the first line's content.)
//!
//! Errors name the problem and never include file content.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;

/// Default size cap: 50 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

/// How the bytes were decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Invalid sequences were replaced by U+FFFD; offsets refer to the decoded text.
    Utf8Lossy,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Lossy => "utf-8 (lossy)",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// A decoded text, ready for the engine.
#[derive(Debug)]
pub struct Loaded {
    pub text: String,
    pub encoding: Encoding,
    /// Size of the input in bytes, before decoding.
    pub input_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no such file")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error("is a directory, not a file")]
    Directory,
    #[error("is not a regular file (FIFO, socket or device); save it to a file first")]
    NotRegular,
    #[error("is {size} bytes, over the {cap}-byte limit (raise it with --max-size)")]
    TooLarge { size: u64, cap: u64 },
    #[error("looks like binary data, not a text log")]
    Binary,
    #[error("could not be read: {0}")]
    Io(std::io::ErrorKind),
}

impl From<std::io::Error> for InputError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => InputError::NotFound,
            std::io::ErrorKind::PermissionDenied => InputError::PermissionDenied,
            k => InputError::Io(k),
        }
    }
}

/// Reads and decodes a file: checks its type without opening it, opens it non-blocking, checks
/// again on the open handle (the path may have changed in between), and reads at most `cap`.
pub fn load_file(path: &Path, cap: u64) -> Result<Loaded, InputError> {
    check_metadata(&std::fs::metadata(path)?, cap)?;
    let file = open_nonblocking(path)?;
    check_metadata(&file.metadata()?, cap)?;
    let bytes = read_capped(file, cap)?;
    decode(bytes)
}

/// Reads standard input (or any reader) up to `cap` bytes and decodes it.
pub fn load_reader(reader: impl Read, cap: u64) -> Result<Loaded, InputError> {
    decode(read_capped(reader, cap)?)
}

fn check_metadata(meta: &std::fs::Metadata, cap: u64) -> Result<(), InputError> {
    if meta.is_dir() {
        return Err(InputError::Directory);
    }
    if !meta.is_file() {
        return Err(InputError::NotRegular);
    }
    if meta.len() > cap {
        return Err(InputError::TooLarge {
            size: meta.len(),
            cap,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

fn read_capped(reader: impl Read, cap: u64) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(InputError::TooLarge {
            size: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// Decodes log bytes: UTF-16 with a BOM, UTF-8 (a BOM kept, so offsets stay file offsets), else
/// lossy UTF-8. NUL bytes or a high share of control bytes in the first 8 KiB mean binary.
pub fn decode(bytes: Vec<u8>) -> Result<Loaded, InputError> {
    let input_bytes = bytes.len() as u64;
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return Ok(Loaded {
            text: utf16(rest, u16::from_le_bytes)?,
            encoding: Encoding::Utf16Le,
            input_bytes,
        });
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return Ok(Loaded {
            text: utf16(rest, u16::from_be_bytes)?,
            encoding: Encoding::Utf16Be,
            input_bytes,
        });
    }
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    if looks_binary(body) {
        return Err(InputError::Binary);
    }
    let (text, encoding) = match String::from_utf8(bytes) {
        Ok(text) => (text, Encoding::Utf8),
        Err(e) => (
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
            Encoding::Utf8Lossy,
        ),
    };
    Ok(Loaded {
        text,
        encoding,
        input_bytes,
    })
}

fn utf16(body: &[u8], word: fn([u8; 2]) -> u16) -> Result<String, InputError> {
    let units: Vec<u16> = body.chunks_exact(2).map(|c| word([c[0], c[1]])).collect();
    let text = String::from_utf16_lossy(&units);
    if looks_binary(text.as_bytes()) {
        return Err(InputError::Binary);
    }
    Ok(text)
}

fn looks_binary(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    !head.is_empty() && control * 10 > head.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "héllo 10.1.2.3".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let l = decode(bytes).unwrap();
        assert_eq!(l.text, "héllo 10.1.2.3");
        assert_eq!(l.encoding, Encoding::Utf16Le);
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let l = decode(b"ok \xff\xfe bad".to_vec()).unwrap();
        assert_eq!(l.encoding, Encoding::Utf8Lossy);
        assert!(l.text.contains('\u{FFFD}'));
    }

    #[test]
    fn binary_is_refused() {
        assert!(matches!(
            decode(b"\x7fELF\x02\x01\x01\0\0\0".to_vec()),
            Err(InputError::Binary)
        ));
    }

    #[test]
    fn utf8_bom_is_kept_so_offsets_are_file_offsets() {
        let bytes = b"\xEF\xBB\xBFip 10.1.2.3".to_vec();
        let l = decode(bytes.clone()).unwrap();
        assert_eq!(l.encoding, Encoding::Utf8);
        assert_eq!(l.text.as_bytes(), &bytes[..]);
        let lossy = decode(b"\xEF\xBB\xBFok \xff".to_vec()).unwrap();
        assert_eq!(lossy.encoding, Encoding::Utf8Lossy);
        assert!(lossy.text.starts_with('\u{FEFF}'));
    }

    #[test]
    fn cap_is_enforced_on_readers() {
        let err = load_reader(&b"0123456789"[..], 5).unwrap_err();
        assert!(matches!(err, InputError::TooLarge { .. }));
    }
}
