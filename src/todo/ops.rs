//! The read the home page and the API share: the items waiting for the
//! caller, most urgent first. The to-do list writes nothing.

use super::{
    Item,
    store::{self, Ctx},
};
use crate::{
    auth::{Caller, Need},
    config::ReminderSettings,
    date::Day,
    db::Db,
    error::AppResult,
};

/// The items waiting for `caller` as of today, most urgent first.
pub async fn list(db: &Db, caller: &Caller, r: &ReminderSettings) -> AppResult<(Day, Vec<Item>)> {
    let today = Day::today();
    let ctx = Ctx {
        orgs: caller.scope(Need::Write).roots().to_vec(),
        today,
        days: crate::workday::store::workdays(db).await?,
        within: r.days_before,
        open_days: r.open_days,
    };
    Ok((today, store::items(db, &ctx).await?))
}
