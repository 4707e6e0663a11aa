//! The demo's supervision of 杨工〔2019〕28号: most units confirmed receipt in
//! the first days after the notice, a few never did, and the district office
//! chased some late units (a few twice). Deterministic; runs after the
//! campaign and summary demos, through the same writes a user's action takes.

use std::collections::HashSet;

use super::{
    ChaseFields, ChaseKind,
    store::{self, Chaser},
};
use crate::{
    auth::Scope,
    campaign,
    db::{CampaignId, Db, OrgId},
    summary::{unit_state, workflow::Standing},
};

/// Receipts and chases of the active demo campaign under `root`; a line for
/// the demo's summary.
pub async fn generate(db: &Db, root: OrgId) -> anyhow::Result<String> {
    let scope = Scope::of(vec![root]);
    let Some(id): Option<CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE org_id = $1 AND status = 'active' ORDER BY id LIMIT 1",
    )
    .bind(root)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(String::new());
    };
    let c = campaign::store::get(db, &scope, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo campaign {id} vanished"))?;
    let units = campaign::store::units(db, id, None).await?;
    let states = unit_state::states(db, &scope, id).await?;
    // The notice went out on the campaign's first day, 9:00 Beijing time.
    let issued = c.starts_on.end_timestamp() - 15 * 3600;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE campaigns SET issued_at = $1 WHERE id = $2")
        .bind(issued)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    super::ops::on_issued(&mut tx, &c).await?;
    let (mut received, mut pending) = (0, 0);
    for (i, u) in units.iter().enumerate() {
        // Every seventh unit (from the fourth) has not confirmed.
        if i % 7 == 3 {
            pending += 1;
            continue;
        }
        let who = format!("{}干部", u.name);
        store::confirm(&mut tx, id, u.org_id, (None, &who)).await?;
        // Confirmed within the first three days, hours apart.
        sqlx::query(
            "UPDATE campaign_receipts SET received_at = $1 WHERE campaign_id = $2 AND org_id = $3",
        )
        .bind(issued + (i as i64 % 3) * 86_400 + 3600 * (1 + i as i64 % 5))
        .bind(id)
        .bind(u.org_id)
        .execute(&mut *tx)
        .await?;
        received += 1;
    }
    // The office chased the units whose tables are still owed: all of them
    // once on the deadline's eve (催报), the first two again after it.
    let owed: Vec<OrgId> = units
        .iter()
        .filter(|u| {
            states
                .get(&u.org_id)
                .copied()
                .is_some_and(Standing::is_owed)
        })
        .map(|u| u.org_id)
        .collect();
    let all: HashSet<OrgId> = units.iter().map(|u| u.org_id).collect();
    let office = format!("{}办公室", c.org_name);
    let who = Chaser {
        from: (c.org_id, &c.org_name),
        user: None,
        username: None,
        display_name: &office,
        ip: None,
    };
    let eve = c.report_due_on.end_timestamp() - 24 * 3600 - 6 * 3600;
    let mut chased = 0;
    for (batch, orgs, message, at) in [
        (
            "demo-chase-1",
            owed.clone(),
            "请于明天下班前报送情况汇总表。",
            eve,
        ),
        (
            "demo-chase-2",
            owed.iter().take(2).copied().collect::<Vec<_>>(),
            "报送期限已过，请今天内报送情况汇总表并说明原因。",
            eve + 2 * 86_400,
        ),
    ] {
        if orgs.is_empty() {
            continue;
        }
        let f = ChaseFields {
            kind: ChaseKind::Report,
            message: message.into(),
            org_ids: orgs,
            batch: format!("{batch}-{id}"),
            level: None,
        };
        let (rows, _) = super::ops::record_chases(&mut tx, &c, &all, &who, &f).await?;
        sqlx::query("UPDATE chases SET created_at = $1 WHERE batch = $2")
            .bind(at)
            .bind(&f.batch)
            .execute(&mut *tx)
            .await?;
        chased += rows.len();
    }
    tx.commit().await?;
    Ok(format!(
        "Supervision: {received} units confirmed receipt, {pending} not yet; {chased} chases (催报) to {} units with tables owed.",
        owed.len()
    ))
}
