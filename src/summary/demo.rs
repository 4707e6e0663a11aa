//! The demo's summary tables for 杨工〔2019〕28号, so the district's view shows
//! every state: most units on time (accepted or waiting), a few late, one
//! returned with a reason on a line, a few missing. Computed from the demo's
//! records like any table; submission times are set around the deadline of
//! 15 November 2019. Deterministic.

use super::{
    store::{self, Choices, Submitted},
    workflow::{LineReason, ReturnReasons},
};
use crate::{
    auth::Scope,
    campaign::{self, Campaign},
    date::Day,
    db::{Db, OrgId},
};

/// Submits the demo tables of the active demo campaign under `root`.
pub async fn generate(db: &Db, root: OrgId) -> anyhow::Result<String> {
    let scope = Scope::of(vec![root]);
    let Some(id): Option<crate::db::CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE org_id = $1 AND status = 'active' ORDER BY id LIMIT 1",
    )
    .bind(root)
    .fetch_optional(db.pool())
    .await?
    else {
        return Ok(String::new());
    };
    let c: Campaign = campaign::store::get(db, &scope, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo campaign {id} vanished"))?;
    let units = campaign::store::units(db, id, None).await?;
    let deadline = c.report_due_on.end_timestamp();
    let day = |d: u32, hour: i64| -> i64 {
        Day::from_ymd(2019, 11, d).map_or(deadline, |x| x.end_timestamp()) - (24 - hour) * 3600
    };
    let (mut on_time, mut late, mut returned, mut missing, mut accepted) = (0, 0, 0, 0, 0);
    for (i, u) in units.iter().enumerate() {
        // Four units have not submitted; one is returned; every sixth is late.
        let plan = match i % 8 {
            _ if u.code == "YP-JD-WJC" => Plan::Returned,
            7 => Plan::Missing,
            5 if i > 8 => Plan::Missing,
            2 => Plan::Late,
            4 => Plan::Waiting,
            _ => Plan::Accepted,
        };
        if plan == Plan::Missing {
            missing += 1;
            continue;
        }
        // The default main problems, keeping only decided ones (the rest
        // would block the submission, as they would for a real unit).
        let draft = store::compute(
            db,
            &scope,
            &c,
            (u.org_id, &u.code, &u.name),
            &Choices::default(),
        )
        .await?;
        let mut choices = Choices {
            remarks: format!("{}根据走访记录汇总。", u.name),
            ..Choices::default()
        };
        for b in &draft.blocks {
            choices.main.insert(
                b.source.as_str().to_string(),
                b.items
                    .iter()
                    .filter(|m| m.outcome.is_some())
                    .map(|m| m.problem_id)
                    .collect(),
            );
        }
        let table = store::compute(db, &scope, &c, (u.org_id, &u.code, &u.name), &choices).await?;
        let at = match plan {
            Plan::Late => day(16 + (i as u32 % 3), 10),
            _ => day(8 + (i as u32 % 7), 9 + (i as i64 % 8)),
        };
        let cadre = format!("{}干部", u.name);
        let mut tx = db.begin().await?;
        let Submitted::New { version, .. } = store::submit(
            &mut tx,
            id,
            u.org_id,
            0,
            &table,
            &choices,
            (None, &cadre, at),
            deadline,
        )
        .await?
        else {
            anyhow::bail!("demo summary of {} was not stored", u.name);
        };
        let sid: crate::db::SummaryId =
            sqlx::query_scalar("SELECT id FROM summaries WHERE campaign_id = $1 AND org_id = $2")
                .bind(id)
                .bind(u.org_id)
                .fetch_one(&mut *tx)
                .await?;
        let admin = "区总工会办公室";
        match plan {
            Plan::Accepted => {
                store::decide(&mut tx, sid, version, None, (None, admin, at + 86_400)).await?;
                accepted += 1;
                on_time += 1;
            }
            Plan::Late => {
                if i % 16 == 2 {
                    store::decide(&mut tx, sid, version, None, (None, admin, at + 7_200)).await?;
                    accepted += 1;
                }
                late += 1;
            }
            Plan::Returned => {
                let reasons = ReturnReasons {
                    reason: "请核对走访企业数并补充说明。".into(),
                    lines: vec![LineReason {
                        line: "enterprises".into(),
                        reason:
                            "走访企事业单位数与实施方案目标差距较大，请核实是否有未录入的走访记录。"
                                .into(),
                    }],
                };
                store::decide(
                    &mut tx,
                    sid,
                    version,
                    Some(&reasons),
                    (None, admin, at + 3_600),
                )
                .await?;
                returned += 1;
                on_time += 1;
            }
            Plan::Waiting => on_time += 1,
            Plan::Missing => {}
        }
        tx.commit().await?;
    }
    Ok(format!(
        "Summary tables of 杨工〔2019〕28号: {on_time} on time, {late} late, {accepted} accepted, {returned} returned, {missing} missing."
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    Accepted,
    Waiting,
    Late,
    Returned,
    Missing,
}
