use std::path::Path;
use std::sync::Arc;

use motcua_app::{StoreError, StoreResult};
use redb::{
    Database, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::queue::{EmbeddedQueue, QueueSettings};
use crate::seal::BodySeal;
use crate::store::EmbeddedStore;

#[derive(Debug, thiserror::Error)]
#[error("cannot open the embedded database at {path}: {reason}")]
pub struct OpenError {
    pub path: String,
    pub reason: String,
}

/// One database file shared by the store and the queues of a process.
#[derive(Clone)]
pub struct EmbeddedDb {
    pub(crate) db: Arc<Database>,
    /// Seals queue bodies and ticket messages at rest when set (`seal_at_rest`).
    pub(crate) seal: Option<BodySeal>,
}

impl EmbeddedDb {
    /// Opens (or creates) the database file. Only one process may hold it.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref();
        let db = Database::create(path).map_err(|e| OpenError {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let fail = |e: &dyn std::fmt::Display| OpenError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let txn = db.begin_write().map_err(|e| fail(&e))?;
        crate::store::create_tables(&txn).map_err(|e| fail(&e))?;
        crate::queue::create_tables(&txn).map_err(|e| fail(&e))?;
        crate::store::backfill_closed_index(&txn).map_err(|e| fail(&e))?;
        txn.commit().map_err(|e| fail(&e))?;
        Ok(EmbeddedDb {
            db: Arc::new(db),
            seal: None,
        })
    }

    /// From here on, queue bodies (DVCQG payloads) and ticket messages (what citizens write)
    /// are stored sealed with `key` (AES-256-GCM), so the file holds neither in clear, in its
    /// tables or its freed pages (an erased message leaves only ciphertext behind). Values
    /// stored in clear before are still read.
    pub fn seal_at_rest(mut self, key: &[u8; crate::seal::KEY_LEN]) -> Self {
        self.seal = Some(BodySeal::new(key));
        self
    }

    /// Compacts the database file at `path`, which no process may hold open (stop the local
    /// server first): live pages move to the front and the file is cut after them, so that
    /// what a purge freed is no longer in the file. Returns the sizes before and after, in bytes.
    pub fn compact_file(path: impl AsRef<Path>) -> Result<(u64, u64), OpenError> {
        let path = path.as_ref();
        let fail = |e: &dyn std::fmt::Display| OpenError {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let size = || {
            std::fs::metadata(path)
                .map(|m| m.len())
                .map_err(|e| fail(&e))
        };
        let before = size()?;
        let mut db = Database::open(path).map_err(|e| fail(&e))?;
        while db.compact().map_err(|e| fail(&e))? {}
        drop(db);
        Ok((before, size()?))
    }

    pub fn store(&self) -> EmbeddedStore {
        EmbeddedStore::new(self.clone())
    }

    /// A named durable queue with its dead-letter queue `<name>-dlq`.
    pub fn queue(&self, name: &str, settings: QueueSettings) -> EmbeddedQueue {
        EmbeddedQueue::new(self.clone(), name, settings)
    }

    /// Runs `f` in one write transaction on the blocking pool; commits only if `f` succeeds.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&WriteTransaction) -> StoreResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        blocking(move || {
            let txn = db.begin_write().map_err(unavailable)?;
            match f(&txn) {
                Ok(out) => {
                    txn.commit().map_err(unavailable)?;
                    Ok(out)
                }
                Err(e) => {
                    txn.abort().map_err(unavailable)?;
                    Err(e)
                }
            }
        })
        .await
    }

    /// Runs `f` on a consistent snapshot on the blocking pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> StoreResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        blocking(move || {
            let txn = db.begin_read().map_err(unavailable)?;
            f(&txn)
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Unavailable(format!("embedded store task failed: {e}")))?
}

pub(crate) fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("embedded store: {e}"))
}

pub(crate) type Json = TableDefinition<'static, &'static str, &'static [u8]>;
pub(crate) type Index = TableDefinition<'static, &'static str, ()>;

/// Separator inside composite keys; never part of an id, code or tenant.
pub(crate) const SEP: char = '\u{1f}';

pub(crate) fn key(parts: &[&str]) -> String {
    parts.join(&SEP.to_string())
}

pub(crate) fn get_json<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    k: &str,
) -> StoreResult<Option<T>> {
    match table.get(k).map_err(unavailable)? {
        None => Ok(None),
        Some(v) => serde_json::from_slice(v.value())
            .map(Some)
            .map_err(|e| corrupt(k, e)),
    }
}

pub(crate) fn put_json<T: Serialize>(
    table: &mut redb::Table<&'static str, &'static [u8]>,
    k: &str,
    v: &T,
) -> StoreResult<()> {
    let bytes = serde_json::to_vec(v).map_err(|e| corrupt(k, e))?;
    table.insert(k, bytes.as_slice()).map_err(unavailable)?;
    Ok(())
}

/// Marks a value stored sealed (JSON never starts with a NUL byte).
const SEALED: &[u8] = b"\0sealed:";

/// A value's bytes: its JSON, sealed when the database seals at rest.
pub(crate) fn seal_json<T: Serialize>(
    seal: Option<&BodySeal>,
    k: &str,
    v: &T,
) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_string(v).map_err(|e| corrupt(k, e))?;
    Ok(match seal {
        Some(seal) => [SEALED, seal.seal(&json).as_bytes()].concat(),
        None => json.into_bytes(),
    })
}

/// A value from its bytes, sealed or in clear.
pub(crate) fn open_json<T: DeserializeOwned>(
    seal: Option<&BodySeal>,
    k: &str,
    bytes: &[u8],
) -> StoreResult<T> {
    let Some(sealed) = bytes.strip_prefix(SEALED) else {
        return serde_json::from_slice(bytes).map_err(|e| corrupt(k, e));
    };
    let seal = seal.ok_or_else(|| corrupt(k, "a sealed value, and no key given"))?;
    let text = std::str::from_utf8(sealed).map_err(|e| corrupt(k, e))?;
    let json = seal.open(text).map_err(|e| corrupt(k, e))?;
    serde_json::from_str(&json).map_err(|e| corrupt(k, e))
}

/// Removes every key that starts with `prefix` (a composite key ending with [`SEP`]).
pub(crate) fn remove_prefix<V: redb::Value + 'static>(
    table: &mut redb::Table<&'static str, V>,
    prefix: &str,
) -> StoreResult<()> {
    debug_assert!(prefix.ends_with(SEP));
    // Every key with the prefix sorts below the prefix whose final SEP is the next character.
    let end = format!("{} ", &prefix[..prefix.len() - SEP.len_utf8()]);
    table
        .retain_in(prefix..end.as_str(), |_, _| false)
        .map_err(unavailable)
}

/// Values of every key that starts with `prefix`, in key order.
pub(crate) fn json_with_prefix<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
) -> StoreResult<Vec<T>> {
    let mut out = Vec::new();
    for item in table.range(prefix..).map_err(unavailable)? {
        let (k, v) = item.map_err(unavailable)?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push(serde_json::from_slice(v.value()).map_err(|e| corrupt(k.value(), e))?);
    }
    Ok(out)
}

/// Keys that start with `prefix`, in order, with the prefix removed.
pub(crate) fn keys_with_prefix(
    table: &impl ReadableTable<&'static str, ()>,
    prefix: &str,
) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for item in table.range(prefix..).map_err(unavailable)? {
        let (k, _) = item.map_err(unavailable)?;
        let Some(rest) = k.value().strip_prefix(prefix) else {
            break;
        };
        out.push(rest.to_string());
    }
    Ok(out)
}

pub(crate) fn corrupt(k: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        key: k.replace(SEP, "/"),
        reason: e.to_string(),
    }
}
