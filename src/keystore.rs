//! Where the random keys live: the operating system's keyring (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows), behind a small trait so tests can use an
//! in-memory store. The binary only ever constructs [`OsKeyring`].

use crate::secret::SecretBytes;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// The keyring service name all TFTSR entries are filed under.
pub const SERVICE: &str = "tftsr";

/// How long one keyring call may take. A locked keyring may show its own unlock prompt; a call
/// that has not returned by then counts as "keyring not available", never as "no key".
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("the OS keyring is not available ({0})")]
    Unavailable(String),
    #[error("the OS keyring refused the operation ({0})")]
    Failed(String),
}

/// A store of named secrets outside the data directory.
pub trait KeyStore: Send + Sync {
    /// What the person sees in Settings → Security.
    fn backend_name(&self) -> &'static str;
    /// `Ok(None)` when there is no such entry; an error when the store cannot be asked.
    fn get(&self, account: &str) -> Result<Option<SecretBytes>, KeyStoreError>;
    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeyStoreError>;
    /// Deleting an entry that does not exist is not an error.
    fn delete(&self, account: &str) -> Result<(), KeyStoreError>;
}

/// The platform keyring through the `keyring` crate (real platform stores only: on Linux the
/// Secret Service over D-Bus; never the crate's non-persistent mock).
#[derive(Default)]
pub struct OsKeyring;

/// Keyring calls are serialised: Secret Service implementations handle concurrent prompts badly.
static KEYRING_LOCK: Mutex<()> = Mutex::new(());

impl OsKeyring {
    fn call<T: Send + 'static>(
        account: &str,
        op: impl FnOnce(keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, KeyStoreError> {
        let account = account.to_string();
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("tftsr-keyring".into())
            .spawn(move || {
                let _guard = KEYRING_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
                let result = keyring::Entry::new(SERVICE, &account).and_then(op);
                let _ = tx.send(result);
            })
            .map_err(|e| KeyStoreError::Unavailable(format!("cannot start a thread: {e}")))?;
        match rx.recv_timeout(CALL_TIMEOUT) {
            Ok(result) => result.map_err(describe),
            Err(_) => Err(KeyStoreError::Unavailable(
                "it did not answer within 30 seconds; is it locked?".into(),
            )),
        }
    }
}

/// Error text without anything the keyring returned as data (`BadEncoding` carries the bytes).
fn describe(e: keyring::Error) -> KeyStoreError {
    use keyring::Error as E;
    match e {
        E::NoDefaultStore => {
            KeyStoreError::Unavailable("no Secret Service or keychain found".into())
        }
        E::NoStorageAccess(inner) => KeyStoreError::Unavailable(inner.to_string()),
        E::PlatformFailure(inner) => KeyStoreError::Failed(inner.to_string()),
        E::BadEncoding(_) => KeyStoreError::Failed("an entry is not in the expected format".into()),
        E::TooLong(what, _) => KeyStoreError::Failed(format!("{what} is too long")),
        E::Invalid(what, why) => KeyStoreError::Failed(format!("{what}: {why}")),
        E::Ambiguous(_) => KeyStoreError::Failed("more than one entry matches".into()),
        E::NoEntry => KeyStoreError::Failed("no such entry".into()),
        other => KeyStoreError::Failed(format!("{:?}", std::mem::discriminant(&other))),
    }
}

impl KeyStore for OsKeyring {
    fn backend_name(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "macOS Keychain"
        } else if cfg!(windows) {
            "Windows Credential Manager"
        } else {
            "Secret Service (OS keyring)"
        }
    }

    fn get(&self, account: &str) -> Result<Option<SecretBytes>, KeyStoreError> {
        Self::call(account, |entry| match entry.get_secret() {
            Ok(bytes) => Ok(Some(SecretBytes::new(bytes))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeyStoreError> {
        let secret = SecretBytes::new(secret.to_vec());
        Self::call(account, move |entry| entry.set_secret(secret.expose()))
    }

    fn delete(&self, account: &str) -> Result<(), KeyStoreError> {
        Self::call(account, |entry| match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        })
    }
}

/// An in-memory key store **for tests only**: nothing survives the process. The binary never
/// constructs one; tests use it to exercise the keyring code paths without a desktop session.
#[derive(Default)]
pub struct MemoryKeyStore {
    entries: Mutex<HashMap<String, Vec<u8>>>,
    /// When set, every call fails as an unavailable keyring would.
    pub unavailable: std::sync::atomic::AtomicBool,
}

impl MemoryKeyStore {
    fn check(&self) -> Result<(), KeyStoreError> {
        if self.unavailable.load(std::sync::atomic::Ordering::Relaxed) {
            Err(KeyStoreError::Unavailable(
                "test: keyring switched off".into(),
            ))
        } else {
            Ok(())
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<u8>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names of the entries held (never their values).
    pub fn accounts(&self) -> Vec<String> {
        let mut names: Vec<String> = self.entries().keys().cloned().collect();
        names.sort();
        names
    }
}

impl KeyStore for MemoryKeyStore {
    fn backend_name(&self) -> &'static str {
        "in-memory key store (tests only)"
    }

    fn get(&self, account: &str) -> Result<Option<SecretBytes>, KeyStoreError> {
        self.check()?;
        Ok(self.entries().get(account).cloned().map(SecretBytes::new))
    }

    fn set(&self, account: &str, secret: &[u8]) -> Result<(), KeyStoreError> {
        self.check()?;
        self.entries().insert(account.to_string(), secret.to_vec());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), KeyStoreError> {
        self.check()?;
        self.entries().remove(account);
        Ok(())
    }
}
