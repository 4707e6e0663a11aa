//! The working-day calendar in force: the newest uploaded file, or the built-in one.

use super::{BUILT_IN, Workdays};
use crate::db::{Db, DbError, Tx, UserId, now};

/// The file in force and where it came from.
#[derive(Clone, Debug)]
pub struct Current {
    pub text: String,
    /// `None`: the built-in file.
    pub uploaded: Option<Uploaded>,
}

/// Who uploaded the file in force, and when.
#[derive(Clone, Debug)]
pub struct Uploaded {
    pub at: i64,
    pub by: Option<String>,
}

/// The file in force.
pub async fn current(db: &Db) -> Result<Current, DbError> {
    let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT w.body, w.created_at, u.display_name FROM workday_calendars w \
         LEFT JOIN users u ON u.id = w.uploaded_by ORDER BY w.id DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some((text, at, by)) => Current {
            text,
            uploaded: Some(Uploaded { at, by }),
        },
        None => Current {
            text: BUILT_IN.to_string(),
            uploaded: None,
        },
    })
}

/// The calendar in force. An uploaded file was validated when it was saved;
/// should it fail to parse now (a newer rule), the built-in one is used.
pub async fn workdays(db: &Db) -> Result<Workdays, DbError> {
    let c = current(db).await?;
    Ok(Workdays::parse(&c.text).unwrap_or_else(|_| Workdays::built_in()))
}

/// Stores a validated file as the one in force.
pub async fn save(tx: &mut Tx, text: &str, by: UserId) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO workday_calendars (body, uploaded_by, created_at) VALUES ($1, $2, $3)",
    )
    .bind(text)
    .bind(by)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Goes back to the built-in file (removes every upload).
pub async fn reset(tx: &mut Tx) -> Result<(), DbError> {
    sqlx::query("DELETE FROM workday_calendars")
        .execute(&mut **tx)
        .await?;
    Ok(())
}
