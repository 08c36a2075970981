//! The encrypted store, the vault and the key rules, on real SQLCipher files in temp dirs.

mod common;

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tftsr::keystore::{KeyStore, MemoryKeyStore};
use tftsr::secret::{SecretString, hex};
use tftsr::store::records::NewIssue;
use tftsr::store::{DbKey, Store, StoreError, schema};
use tftsr::vault::format::ScryptParams;
use tftsr::vault::{Vault, VaultError};
use tftsr::workspace::{Backend, DataDir, UnlockError, UnlockRequest, Workspace, unlock};

/// Cheap scrypt for tests that create many vaults (the parameters are in the header).
const FAST: ScryptParams = ScryptParams {
    log_n: 10,
    r: 8,
    p: 1,
};

fn passphrase_request<'a>(keystore: &'a dyn KeyStore, p: &str) -> UnlockRequest<'a> {
    UnlockRequest {
        keystore,
        passphrase: Some(SecretString::new(p.into())),
        passphrase_from_env: false,
        scrypt: FAST,
    }
}

fn keyring_request(keystore: &dyn KeyStore) -> UnlockRequest<'_> {
    UnlockRequest {
        keystore,
        passphrase: None,
        passphrase_from_env: false,
        scrypt: FAST,
    }
}

fn sha_file(path: &Path) -> String {
    hex(&Sha256::digest(std::fs::read(path).unwrap()))
}

fn issue<'a>(title: &'a str, description: &'a str) -> NewIssue<'a> {
    NewIssue {
        title,
        description,
        domain: "linux",
        severity: "P2",
    }
}

#[test]
fn first_run_uses_the_keyring_and_reopens_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeyStore::default();
    let ws = unlock(&dir, keyring_request(&keys)).unwrap();
    assert!(matches!(ws.backend(), Backend::Keyring { .. }));
    assert_eq!(keys.accounts().len(), 2, "a database key and a vault key");
    drop(ws);
    let mut ws = unlock(&dir, keyring_request(&keys)).unwrap();
    assert!(ws.verify_audit().unwrap().is_ok());
    assert_eq!(
        ws.status().unwrap().audit_entries,
        4,
        "four key_created entries"
    );
}

#[test]
fn no_keyring_on_first_run_asks_for_a_passphrase_and_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let keys = MemoryKeyStore::default();
    keys.unavailable
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
    assert!(matches!(
        err,
        UnlockError::NeedPassphrase {
            first_run: true,
            ..
        }
    ));
    assert!(!dir.db_path().exists() && !dir.vault_path().exists());
    let ws = unlock(&dir, passphrase_request(&keys, "a long passphrase")).unwrap();
    assert!(matches!(ws.backend(), Backend::Passphrase { .. }));
}

#[test]
fn cipher_settings_are_read_back() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    let ws = unlock(&dir, passphrase_request(&keys, "settings check")).unwrap();
    let c = ws.store().cipher_settings();
    assert!(
        c.cipher_version.starts_with('4'),
        "SQLCipher 4, got {}",
        c.cipher_version
    );
    assert_eq!(c.page_size, 16384);
    assert_eq!(c.kdf_iter, 256_000);
    assert_eq!(c.hmac_algorithm, "HMAC_SHA512");
    assert_eq!(c.kdf_algorithm, "PBKDF2_HMAC_SHA512");
    assert_eq!(c.journal_mode, "wal");
    let sync: i64 = ws
        .store()
        .conn()
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let temp: i64 = ws
        .store()
        .conn()
        .query_row("PRAGMA temp_store", [], |r| r.get(0))
        .unwrap();
    assert_eq!(temp, 2, "temp_store=MEMORY");
    // Without the key, the file reads as noise.
    let head = std::fs::read(dir.db_path()).unwrap();
    assert_ne!(&head[..16], b"SQLite format 3\0");
}

#[test]
fn wrong_key_is_a_typed_error_and_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, passphrase_request(&keys, "the right one")).unwrap());
    let (db_sha, vault_sha) = (sha_file(&dir.db_path()), sha_file(&dir.vault_path()));
    let err = unlock(&dir, passphrase_request(&keys, "the wrong one")).unwrap_err();
    assert!(matches!(err, UnlockError::WrongPassphrase), "{err}");
    assert_eq!(sha_file(&dir.db_path()), db_sha);
    assert_eq!(sha_file(&dir.vault_path()), vault_sha);
    assert!(keys.accounts().is_empty(), "no key was created");

    // The database alone, opened with a wrong key, is "cannot decrypt" and unchanged.
    let err = Store::open(
        &dir.db_path(),
        &DbKey::Passphrase(SecretString::new("nope".into())),
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::CannotDecrypt(_)), "{err}");
    assert_eq!(sha_file(&dir.db_path()), db_sha);
    assert!(!Path::new(&format!("{}-wal", dir.db_path().display())).exists());
    // The failure is recorded at the next successful unlock.
    let mut ws = unlock(&dir, passphrase_request(&keys, "the right one")).unwrap();
    let failed = tftsr::audit::page(ws.store().conn(), None, 10)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "unlock_failed")
        .count();
    assert_eq!(failed, 1);
    assert!(ws.verify_audit().unwrap().is_ok());
}

#[test]
fn keyring_store_with_its_key_gone_is_refused_without_a_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, keyring_request(&keys)).unwrap());
    let db_account = keys
        .accounts()
        .into_iter()
        .find(|a| a.starts_with("db-key/"))
        .unwrap();
    keys.delete(&db_account).unwrap();
    let db_sha = sha_file(&dir.db_path());
    let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
    assert!(
        matches!(err, UnlockError::KeyMissing("database key")),
        "{err}"
    );
    assert_eq!(keys.accounts().len(), 1, "no replacement key");
    assert_eq!(sha_file(&dir.db_path()), db_sha);
}

#[test]
fn a_database_without_its_vault_is_never_given_new_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, keyring_request(&keys)).unwrap());
    std::fs::remove_file(dir.vault_path()).unwrap();
    let before = keys.accounts();
    let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
    assert!(matches!(err, UnlockError::VaultMissing(_)), "{err}");
    assert_eq!(keys.accounts(), before);
    assert!(!dir.vault_path().exists());
}

/// Every file of the data directory, while the store is open (WAL and shared memory included).
fn all_bytes(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn canary_text_never_reaches_the_disk_in_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    let mut ws = unlock(&dir, keyring_request(&keys)).unwrap();
    let canary = format!(
        "CANARY-{}",
        hex(&tftsr::secret::random_bytes::<8>().unwrap())
    );
    let title = format!("db outage {canary} title");
    let description = format!("{canary} in the description");
    let id = ws.create_issue(&issue(&title, &description)).unwrap();
    let api_key = common::fake("sk-", 40, common::ALNUM);
    ws.set_provider_key("openai", &SecretString::new(api_key.clone()))
        .unwrap();
    let token = common::fake("glpat-", 20, common::ALNUM);
    ws.set_integration_token("gitlab", &SecretString::new(token.clone()))
        .unwrap();
    let wal = format!("{}-wal", dir.db_path().display());
    assert!(Path::new(&wal).exists(), "WAL is in use");
    for (path, bytes) in all_bytes(dir.root()) {
        for needle in [canary.as_bytes(), api_key.as_bytes(), token.as_bytes()] {
            assert!(
                !contains(&bytes, needle),
                "{} holds a secret in clear",
                path.display()
            );
        }
    }
    // And it all reads back through the keys.
    let back = tftsr::store::records::get_issue(ws.store().conn(), &id)
        .unwrap()
        .unwrap();
    assert_eq!(back.title, title);
    assert_eq!(
        ws.integration_token("gitlab").unwrap().unwrap().expose(),
        token
    );
    assert_eq!(
        ws.provider_key("openai").unwrap().expose(),
        api_key.as_bytes()
    );
    drop(ws);
    for (path, bytes) in all_bytes(dir.root()) {
        assert!(!contains(&bytes, canary.as_bytes()), "{}", path.display());
    }
}

#[test]
fn upgrades_from_the_saved_version_1_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("old.db");
    let key = || DbKey::Passphrase(SecretString::new("upgrade".into()));
    {
        let store = Store::open_unmigrated(&path, &key()).unwrap();
        let sql = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/schema_v1.sql"),
        )
        .unwrap();
        store.conn().execute_batch(&sql).unwrap();
        store
            .conn()
            .execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO issues (id, title, domain, severity, created_at, updated_at)
                 VALUES ('i1', 'kept across the upgrade', 'linux', 'P3', 1, 1);",
            )
            .unwrap();
    }
    let store = Store::open(&path, &key()).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::LATEST);
    let title: String = store
        .conn()
        .query_row("SELECT title FROM issues WHERE id = 'i1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "kept across the upgrade");
    let tokens: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM integration_tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tokens, 0, "the version 2 table exists");
}

#[test]
fn a_newer_schema_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("new.db");
    let key = || DbKey::Passphrase(SecretString::new("newer".into()));
    {
        let store = Store::open(&path, &key()).unwrap();
        store
            .conn()
            .execute_batch(&format!("PRAGMA user_version = {}", schema::LATEST + 1))
            .unwrap();
    }
    let before = sha_file(&path);
    let err = Store::open(&path, &key()).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == schema::LATEST + 1),
        "{err}"
    );
    assert_eq!(sha_file(&path), before);
}

#[test]
fn vault_file_is_private_atomic_and_refuses_symlinks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, keyring_request(&keys)).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.vault_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let db_mode = std::fs::metadata(dir.db_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(db_mode & 0o777, 0o600);
        // A symlink at the vault path is refused for reading and writing.
        let real = tmp.path().join("elsewhere.bin");
        std::fs::rename(dir.vault_path(), &real).unwrap();
        std::os::unix::fs::symlink(&real, dir.vault_path()).unwrap();
        let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
        assert!(
            matches!(err, UnlockError::Vault(VaultError::Symlink(_))),
            "{err}"
        );
    }
    // No temporary files are left behind.
    let stray: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tftsr"))
        .collect();
    assert!(stray.is_empty());
}

#[test]
fn unknown_vault_version_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, keyring_request(&keys)).unwrap());
    let mut bytes = std::fs::read(dir.vault_path()).unwrap();
    bytes[8] = 2;
    std::fs::write(dir.vault_path(), &bytes).unwrap();
    let before = sha_file(&dir.vault_path());
    let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
    assert!(err.to_string().contains("format version 2"), "{err}");
    assert_eq!(sha_file(&dir.vault_path()), before);
}

#[test]
fn tampered_vault_fails_authentication() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    drop(unlock(&dir, passphrase_request(&keys, "vault flips")).unwrap());
    let good = std::fs::read(dir.vault_path()).unwrap();
    // A flip in the header (the salt) and one in the ciphertext: both fail, nothing changes.
    for at in [20, good.len() - 20] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(dir.vault_path(), &bad).unwrap();
        let err = unlock(&dir, passphrase_request(&keys, "vault flips")).unwrap_err();
        assert!(matches!(err, UnlockError::WrongPassphrase), "{err}");
        assert_eq!(std::fs::read(dir.vault_path()).unwrap(), bad);
    }
    let mut long = good.clone();
    long.extend_from_slice(b"trailing");
    std::fs::write(dir.vault_path(), &long).unwrap();
    assert!(unlock(&dir, passphrase_request(&keys, "vault flips")).is_err());
    std::fs::write(dir.vault_path(), &good[..good.len() - 1]).unwrap();
    assert!(unlock(&dir, passphrase_request(&keys, "vault flips")).is_err());
}

#[test]
fn oversized_kdf_parameters_are_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("vault.bin");
    let mut bytes = b"TFTSRVLT".to_vec();
    bytes.extend_from_slice(&[1, 1, 24]); // log_n 24: 2 GiB of memory with r = 8
    bytes.extend_from_slice(&8u32.to_be_bytes());
    bytes.extend_from_slice(&1u32.to_be_bytes());
    bytes.extend_from_slice(&[0u8; 16 + 24 + 32]);
    std::fs::write(&path, &bytes).unwrap();
    let started = std::time::Instant::now();
    let err = Vault::read_key_source(&path).unwrap_err();
    assert!(err.to_string().contains("out of bounds"), "{err}");
    // Refused from the header alone (a real derivation at these parameters takes seconds).
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn integration_tokens_are_bound_to_their_row() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    let mut ws = unlock(&dir, keyring_request(&keys)).unwrap();
    let a = common::fake("tokA-", 24, common::ALNUM);
    let b = common::fake("tokB-", 24, common::UPPER_DIGITS);
    ws.set_integration_token("jira", &SecretString::new(a.clone()))
        .unwrap();
    ws.set_integration_token("slack", &SecretString::new(b.clone()))
        .unwrap();
    assert_eq!(ws.integration_token("jira").unwrap().unwrap().expose(), a);
    // Moving one row's ciphertext onto another fails authentication instead of decrypting.
    ws.store()
        .conn()
        .execute_batch(
            "UPDATE integration_tokens SET
                nonce = (SELECT nonce FROM integration_tokens WHERE name = 'slack'),
                sealed = (SELECT sealed FROM integration_tokens WHERE name = 'slack')
             WHERE name = 'jira'",
        )
        .unwrap();
    assert!(ws.integration_token("jira").is_err());
    assert_eq!(ws.integration_token("slack").unwrap().unwrap().expose(), b);
    assert!(ws.remove_integration_token("slack").unwrap());
    assert!(ws.integration_token("slack").unwrap().is_none());
}

#[test]
fn provider_keys_are_audited_without_their_value() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    let mut ws = unlock(&dir, keyring_request(&keys)).unwrap();
    let key = common::fake("sk-ant-", 32, common::ALNUM);
    ws.set_provider_key("anthropic", &SecretString::new(key.clone()))
        .unwrap();
    assert!(ws.has_provider_key("anthropic"));
    assert!(ws.remove_provider_key("anthropic").unwrap());
    assert!(!ws.has_provider_key("anthropic"));
    let entries = tftsr::audit::page(ws.store().conn(), None, 10).unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(&actions[..2], ["provider_key_removed", "provider_key_set"]);
    assert!(entries.iter().all(|e| !e.details.contains(&key)));
    assert!(ws.verify_audit().unwrap().is_ok());
    // Reopened: the key is gone from the vault too.
    drop(ws);
    let ws: Workspace = unlock(&dir, keyring_request(&keys)).unwrap();
    assert!(!ws.has_provider_key("anthropic"));
}

/// Regression: two processes on one store rewrote each other's vault (and audit anchor), which
/// looked like tampering. The store is now held by one process at a time; the other waits, then
/// gets a clear error, and nothing is changed.
#[test]
fn a_second_opener_waits_then_is_refused_while_the_store_is_in_use() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let keys = MemoryKeyStore::default();
    let first = unlock(&dir, keyring_request(&keys)).unwrap();
    let vault_before = sha_file(&dir.vault_path());
    let err = unlock(&dir, keyring_request(&keys)).unwrap_err();
    assert!(matches!(err, UnlockError::Busy(_)), "{err}");
    assert!(err.to_string().contains("in use"), "{err}");
    assert_eq!(sha_file(&dir.vault_path()), vault_before);
    drop(first);
    let mut again = unlock(&dir, keyring_request(&keys)).unwrap();
    assert!(again.verify_audit().unwrap().is_ok());
}

#[cfg(unix)]
#[test]
fn an_open_data_directory_is_tightened_to_0700() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(
        unlock(
            &DataDir::new(&root),
            keyring_request(&MemoryKeyStore::default()),
        )
        .unwrap(),
    );
    let mode = std::fs::metadata(&root).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
}
