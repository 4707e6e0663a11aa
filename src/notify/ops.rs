//! The use cases of notifications that go beyond the caller's own list: the
//! group robots of an org (read for its readers; changed and tested by its
//! admins, each write with its audit entry in one transaction). Marking one's
//! own notifications read writes through `store` alone. No HTTP here.

use super::robot::{
    self, Platform, RECENT, Robots, RobotsInput,
    store::{self, DeliveryView},
};
use crate::{
    audit::{Action, Audited, Entry},
    auth::{Caller, Need},
    config::Settings,
    db::{Db, OrgId},
    error::{AppError, AppResult},
    org::{self, Org},
};

/// The org, read through the caller's scope (404 outside it).
pub async fn org_for(db: &Db, caller: &Caller, id: OrgId) -> AppResult<Org> {
    org::store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The org for a write: 404 outside the caller's reach, 403 without admin over it.
pub async fn org_for_admin(db: &Db, caller: &Caller, id: OrgId) -> AppResult<Org> {
    let org = org_for(db, caller, id).await?;
    if !caller.scope(Need::Admin).contains(db, id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(org)
}

/// An org's robots and recent deliveries, for a reader of the org.
pub async fn robots(db: &Db, caller: &Caller, id: OrgId) -> AppResult<Robots> {
    let scope = caller.scope(Need::Read);
    let robots = store::robots(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deliveries = store::deliveries(db, &scope, id, RECENT)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Robots {
        org_id: id,
        robots,
        deliveries,
    })
}

/// Saves the changes with their audit entry, in one transaction.
pub async fn save_robots(
    db: &Db,
    caller: &Caller,
    id: OrgId,
    input: &RobotsInput,
) -> AppResult<()> {
    org_for_admin(db, caller, id).await?;
    let changes = input.parse().map_err(AppError::Validation)?;
    let mut tx = Audited::begin(db).await?;
    let done = store::save(&mut tx, id, &changes, caller.user_id).await?;
    let entry = (!done.is_empty()).then(|| {
        Entry::by(caller, id, Action::RobotsUpdated)
            .target(format!("org:{id}"))
            .detail(done.join("; "))
    });
    tx.commit(entry).await?;
    Ok(())
}

/// Queues a test message and posts it at once; returns the delivery.
pub async fn test_robot(
    db: &Db,
    settings: &Settings,
    caller: &Caller,
    id: OrgId,
    platform: Platform,
) -> AppResult<DeliveryView> {
    let org = org_for_admin(db, caller, id).await?;
    let lang = crate::i18n::Lang::Zh;
    let subject = lang.t("robot-test-subject");
    let text = lang.ta("robot-test-text", &[("org", org.name.clone())]);
    let mut tx = Audited::begin(db).await?;
    let delivery = store::queue_test(
        &mut tx,
        id,
        platform,
        &subject,
        &text,
        &format!("/orgs/{id}/robots"),
    )
    .await?
    .ok_or_else(|| AppError::field("platform", "err-robot-not-configured"))?;
    tx.commit([Entry::by(caller, id, Action::RobotTested)
        .target(format!("org:{id}"))
        .detail(platform.as_str())])
        .await?;
    robot::deliver_now(db, settings, delivery, crate::db::now()).await?;
    let list = store::deliveries(db, &caller.scope(Need::Read), id, RECENT)
        .await?
        .unwrap_or_default();
    list.into_iter()
        .find(|d| d.id == delivery)
        .ok_or(AppError::NotFound)
}
