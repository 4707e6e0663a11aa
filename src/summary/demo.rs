//! The demo's summary tables for 杨工〔2019〕28号, so the district's view shows
//! units in every state: missing (no summary record at all), draft (choices
//! saved, never submitted), submitted on time and waiting, submitted late and
//! waiting, returned with a reason on a line, and accepted (most of them).
//! Computed from the demo's records like any table; submission times are set
//! around the deadline of 15 November 2019. Deterministic.

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
    let mut drafts = 0;
    for (i, u) in units.iter().enumerate() {
        // Of 24 units: three missing, two drafts, three waiting on time, three
        // late (two of them waiting), three returned, the rest accepted.
        let plan = match i % 8 {
            _ if u.code == "YP-JD-WJC" => Plan::Returned,
            7 => Plan::Missing,
            5 if i > 8 => Plan::Draft,
            6 if i > 8 => Plan::Returned,
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
        if plan == Plan::Draft {
            // Saved by the unit's cadre a few days before the deadline, never submitted.
            let cadre: Option<crate::db::UserId> = sqlx::query_scalar(
                "SELECT g.user_id FROM role_grants g WHERE g.org_id = $1 AND g.role = 'cadre' \
                 ORDER BY g.user_id LIMIT 1",
            )
            .bind(u.org_id)
            .fetch_optional(db.pool())
            .await?;
            let Some(cadre) = cadre else {
                anyhow::bail!("the demo unit {} has no cadre to save its draft", u.name);
            };
            let mut tx = db.begin().await?;
            store::save_choices(&mut tx, id, u.org_id, cadre, &choices).await?;
            tx.commit().await?;
            drafts += 1;
            missing += 1;
            continue;
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
            c.report_due_on,
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
                if i < 8 {
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
            Plan::Missing | Plan::Draft => {}
        }
        tx.commit().await?;
    }
    Ok(format!(
        "Summary tables of 杨工〔2019〕28号: {on_time} on time, {late} late, {accepted} accepted, {returned} returned, {missing} missing ({drafts} of them drafts)."
    ))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    Accepted,
    Waiting,
    Late,
    Returned,
    Draft,
    Missing,
}
