//! Khóa bí mật của bản cài đặt — the installation's secret key, kept in a file outside the
//! database. Secrecy and tamper evidence that must hold against someone holding a copy of
//! the database (a dump, a backup, a replica, the SQLite `-wal` file) cannot rest on
//! anything stored in it: sealed ballot papers are encrypted under this key, and the audit
//! trail and the count of a vote are authenticated with it, so a copy of the database
//! alone neither links a paper to its voter nor lets an edit of the trail pass unnoticed.
//!
//! The file holds 32 random bytes, hex-encoded, created on first use with mode 0600. By
//! default it sits beside a SQLite database (`thidua.db.key`) and in the working
//! directory for PostgreSQL (`thidua.key`); `--key-file` / `THIDUA_KEY_FILE` puts it
//! elsewhere, which is what a server should do. Every process serving one database must
//! use the same key: the database keeps a MAC of a fixed label under the key
//! (`server_key_check`) and a process with another key is refused at start.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use sha2::Sha256;

use crate::error::StoreError;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Bytes of a key.
const KEY_LEN: usize = 32;
/// Bytes of an XChaCha20 nonce: random per message, large enough never to repeat.
const NONCE_LEN: usize = 24;

/// The installation's secret key. Its bytes are never printed.
#[derive(Clone)]
pub struct ServerKey {
    bytes: [u8; KEY_LEN],
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerKey(…)")
    }
}

impl ServerKey {
    /// Reads the key file at `path`, or creates it with a fresh random key when it does not
    /// exist (readable by its owner only). Two processes creating it at once agree: the
    /// file is created exclusively, and the loser reads the winner's.
    pub fn load_or_create(path: &Path) -> Result<ServerKey, StoreError> {
        match std::fs::read_to_string(path) {
            Ok(text) => return Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(key_file_error(path, &e.to_string())),
        }
        let key = ServerKey::random()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", hex(&key.bytes)).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(|e| key_file_error(path, &e.to_string()))?;
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, &e.to_string()))?;
                Self::parse(&text, path)
            }
            Err(e) => Err(key_file_error(path, &e.to_string())),
        }
    }

    /// A key that lives only in this process: for an in-memory database, which dies with it.
    pub fn ephemeral() -> Result<ServerKey, StoreError> {
        ServerKey::random()
    }

    fn random() -> Result<ServerKey, StoreError> {
        let mut bytes = [0u8; KEY_LEN];
        fill_random(&mut bytes)?;
        Ok(ServerKey { bytes })
    }

    fn parse(text: &str, path: &Path) -> Result<ServerKey, StoreError> {
        let text = text.trim();
        let mut bytes = [0u8; KEY_LEN];
        if text.len() != KEY_LEN * 2 || !text.is_ascii() {
            return Err(key_file_error(path, "tệp phải chứa đúng 64 chữ số thập lục phân"));
        }
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16)
                .map_err(|_| key_file_error(path, "tệp phải chứa đúng 64 chữ số thập lục phân"))?;
        }
        Ok(ServerKey { bytes })
    }

    /// HMAC-SHA256 under the key of `parts`, each length-prefixed, in the domain `label`
    /// (so a MAC made for one purpose never verifies for another).
    pub(crate) fn mac(&self, label: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac =
            <HmacSha256 as hmac::KeyInit>::new_from_slice(&self.bytes).expect("HMAC takes a key of any length");
        for part in std::iter::once(label.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// [`ServerKey::mac`] as lower-case hex, for storing in a TEXT column.
    pub(crate) fn mac_hex(&self, label: &str, parts: &[&[u8]]) -> String {
        hex(&self.mac(label, parts))
    }

    /// Encrypts and authenticates `plaintext` for the domain `label` (bound as associated
    /// data): a random nonce followed by the ciphertext and its tag.
    pub(crate) fn seal(&self, label: &str, plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut nonce)?;
        let cipher = XChaCha20Poly1305::new(&self.bytes.into());
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| StoreError::corrupt("không mã hóa được dữ liệu"))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`ServerKey::seal`] sealed for the same `label`; anything altered, or
    /// sealed under another key, is refused.
    pub(crate) fn open(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        if sealed.len() < NONCE_LEN {
            return Err(StoreError::corrupt("dữ liệu đã mã hóa bị cắt ngắn"));
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce
            .try_into()
            .map_err(|_| StoreError::corrupt("dữ liệu đã mã hóa bị cắt ngắn"))?;
        let cipher = XChaCha20Poly1305::new(&self.bytes.into());
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: body,
                    aad: label.as_bytes(),
                },
            )
            .map_err(|_| StoreError::corrupt("dữ liệu đã mã hóa bị sửa hoặc không mở được bằng khóa này"))
    }

    /// Checks the key against the one the database was first opened with, recording it on
    /// first use. Run inside the connect path, before anything reads sealed data.
    pub(crate) async fn check_against(&self, pool: &sqlx::AnyPool) -> Result<(), StoreError> {
        let mac = self.mac_hex("thidua/server-key-check", &[]);
        // Insert-if-absent first, so two processes starting together record one key.
        sqlx::query("INSERT INTO server_key_check (id, mac) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(&mac)
            .execute(pool)
            .await?;
        let stored: String = sqlx::query_scalar("SELECT mac FROM server_key_check WHERE id = 1")
            .fetch_one(pool)
            .await?;
        if stored == mac {
            Ok(())
        } else {
            Err(StoreError::KeyMismatch)
        }
    }
}

/// Where the key file of a database is kept unless told otherwise: beside a SQLite file,
/// in the working directory for PostgreSQL.
pub(crate) fn default_key_path(sqlite_file: Option<&str>) -> PathBuf {
    match sqlite_file {
        Some(file) => PathBuf::from(format!("{file}.key")),
        None => PathBuf::from("thidua.key"),
    }
}

fn key_file_error(path: &Path, why: &str) -> StoreError {
    StoreError::KeyFile {
        path: path.display().to_string(),
        why: why.to_owned(),
    }
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), StoreError> {
    getrandom::fill(buf).map_err(|e| StoreError::Corrupt(format!("không lấy được số ngẫu nhiên: {e}")))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("thidua-key-{}-{name}", std::process::id()))
    }

    #[test]
    fn a_key_file_is_created_once_and_read_back_the_same() {
        let path = temp_path("roundtrip");
        let _ = std::fs::remove_file(&path);
        let first = ServerKey::load_or_create(&path).expect("created");
        let again = ServerKey::load_or_create(&path).expect("read");
        assert_eq!(first.mac("t", &[b"x"]), again.mac("t", &[b"x"]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key file is readable by its owner only");
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_sealed_message_opens_only_under_its_key_and_label_and_unaltered() {
        let key = ServerKey::ephemeral().expect("key");
        let other = ServerKey::ephemeral().expect("key");
        let sealed = key.seal("ballot:1", b"paper").expect("sealed");
        assert_eq!(key.open("ballot:1", &sealed).expect("opens"), b"paper");
        assert!(key.open("ballot:2", &sealed).is_err(), "another label");
        assert!(other.open("ballot:1", &sealed).is_err(), "another key");
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(key.open("ballot:1", &altered).is_err(), "altered");
        assert_ne!(
            key.seal("ballot:1", b"paper").expect("sealed"),
            sealed,
            "a fresh nonce each time"
        );
    }

    #[test]
    fn macs_are_separated_by_label_and_by_part_boundaries() {
        let key = ServerKey::ephemeral().expect("key");
        assert_ne!(key.mac("a", &[b"x"]), key.mac("b", &[b"x"]));
        assert_ne!(key.mac("a", &[b"ab", b"c"]), key.mac("a", &[b"a", b"bc"]));
    }

    #[test]
    fn a_damaged_key_file_is_refused_with_its_path() {
        let path = temp_path("damaged");
        std::fs::write(&path, "not a key").expect("written");
        let err = ServerKey::load_or_create(&path).expect_err("refused");
        assert!(err.to_string().contains(&path.display().to_string()), "{err}");
        let _ = std::fs::remove_file(&path);
    }
}
