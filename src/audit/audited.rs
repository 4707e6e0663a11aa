//! Write then audit, in one transaction: the one way an `ops` use case writes.

use std::ops::{Deref, DerefMut};

use super::{Entry, store};
use crate::db::{Db, DbError, Tx};

/// A write transaction that ends with its audit entries. A use case begins
/// one, writes through it (it derefs to the [`Tx`] the stores take) and ends
/// with [`Audited::commit`], which appends the entries in the same
/// transaction before committing: no write is committed without the entries
/// its use case names, and no entry without its write. Dropped without a
/// commit (an error on the way), both roll back.
pub struct Audited(Tx);

impl Audited {
    /// Begins the transaction (`BEGIN IMMEDIATE` on SQLite, like every write).
    pub async fn begin(db: &Db) -> Result<Audited, DbError> {
        Ok(Audited(db.begin().await?))
    }

    /// Appends `entries` (none for a write that changed nothing, e.g. a
    /// retried create) and commits.
    pub async fn commit(mut self, entries: impl IntoIterator<Item = Entry>) -> Result<(), DbError> {
        for entry in entries {
            store::record(&mut *self.0, &entry).await?;
        }
        self.0.commit().await
    }
}

impl Deref for Audited {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.0
    }
}

impl DerefMut for Audited {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.0
    }
}
