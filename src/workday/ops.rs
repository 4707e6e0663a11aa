//! The use cases of the working-day calendar: replacing the file and going
//! back to the built-in one, each with its audit entry. Admins of a
//! top-level org only, since the calendar applies to the whole deployment.

use super::{WorkdayFile, WorkdayInput, Workdays, store};
use crate::{
    audit::{Action, Audited, Entry},
    auth::Caller,
    db::Db,
    error::{AppError, AppResult},
};

/// Replaces the file in force; 403 for a caller who is not an admin of a
/// top-level org, 422 listing every problem of the file.
pub async fn replace(db: &Db, caller: &Caller, input: &WorkdayInput) -> AppResult<()> {
    let org = caller.top_admin.ok_or(AppError::Forbidden)?;
    let w = input.parse()?;
    let mut tx = Audited::begin(db).await?;
    store::save(&mut tx, &input.body, caller.user_id).await?;
    let years = w.years();
    let e = Entry::by(caller, org, Action::WorkdaysUpdated).detail(format!(
        "{}–{}",
        years.first().copied().unwrap_or_default(),
        years.last().copied().unwrap_or_default()
    ));
    tx.commit([e]).await?;
    Ok(())
}

/// Goes back to the built-in file.
pub async fn reset(db: &Db, caller: &Caller) -> AppResult<()> {
    let org = caller.top_admin.ok_or(AppError::Forbidden)?;
    let mut tx = Audited::begin(db).await?;
    store::reset(&mut tx).await?;
    let e = Entry::by(caller, org, Action::WorkdaysUpdated).detail("built-in");
    tx.commit([e]).await?;
    Ok(())
}

/// The file in force with the years it covers.
pub async fn file(db: &Db) -> AppResult<WorkdayFile> {
    let cur = store::current(db).await?;
    Ok(WorkdayFile {
        years: Workdays::parse(&cur.text)
            .map(|w| w.years())
            .unwrap_or_default(),
        built_in: cur.uploaded.is_none(),
        uploaded_at: cur.uploaded.map(|u| u.at),
        body: cur.text,
    })
}
