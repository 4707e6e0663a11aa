//! The reminder sweep: deadlines within N Chinese working days and overdue
//! problems. Running it again on the same day creates nothing new (dedup keys
//! name the record and the date); a changed deadline is a new event.

use sha2::Digest;

use super::{Kind, Notice, excerpt, store};
use crate::{
    config::ReminderSettings,
    date::Day,
    db::{Db, DbError, OrgId},
    workday,
};

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Notifications created (one per user).
    pub created: u64,
}

type ProblemRow = (i64, OrgId, String, String, String);
type CampaignRow = (i64, String, String, OrgId);
type MilestoneRow = (i64, String, String, OrgId, i64, String);

/// Runs every rule for `today`.
pub async fn run(db: &Db, settings: &ReminderSettings, today: Day) -> Result<SweepReport, DbError> {
    let days = workday::store::workdays(db).await?;
    let horizon = days.add(today, settings.days_before);
    let (t, h) = (today.iso(), horizon.iso());
    let mut notices: Vec<Notice> = Vec::new();

    let problems: Vec<ProblemRow> = sqlx::query_as(
        "SELECT id, owner_org_id, outcome, outcome_on, description FROM problems \
         WHERE state = 'decided' AND outcome IN ('in_progress', 'planned') AND outcome_on <= $1 \
         ORDER BY id",
    )
    .bind(&h)
    .fetch_all(db.pool())
    .await?;
    for (id, owner, outcome, due, description) in problems {
        let overdue = due < t;
        let (kind, key) = if overdue {
            (Kind::ProblemOverdue, format!("overdue:problem:{id}:{due}"))
        } else {
            (Kind::ProblemDue, format!("due:problem:{id}:{due}"))
        };
        notices.push(
            Notice::new(kind, owner, format!("/problems/{id}"), key)
                .arg("id", id)
                .arg("excerpt", excerpt(&description))
                .arg("due", &due)
                .arg("outcome", outcome),
        );
    }

    let campaigns: Vec<CampaignRow> = sqlx::query_as(
        "SELECT c.id, c.title, c.report_due_on, cu.org_id FROM campaigns c \
         JOIN campaign_units cu ON cu.campaign_id = c.id \
         WHERE c.status = 'active' AND c.report_due_on >= $1 AND c.report_due_on <= $2 \
         AND NOT EXISTS (SELECT 1 FROM summaries s WHERE s.campaign_id = c.id AND s.org_id = cu.org_id \
         AND s.status IN ('submitted', 'accepted')) \
         ORDER BY c.id, cu.org_id",
    )
    .bind(&t)
    .bind(&h)
    .fetch_all(db.pool())
    .await?;
    for (id, title, due, unit) in campaigns {
        notices.push(
            Notice::new(
                Kind::CampaignDue,
                unit,
                format!("/campaigns/{id}/summary/{unit}"),
                format!("due:campaign:{id}:unit:{unit}:{due}"),
            )
            .arg("campaign", title)
            .arg("due", due),
        );
    }

    let milestones: Vec<MilestoneRow> = sqlx::query_as(
        "SELECT pm.plan_id, pm.title, pm.due_on, pm.org_id, c.id, c.title FROM plan_milestones pm \
         JOIN plans pl ON pl.id = pm.plan_id JOIN campaigns c ON c.id = pl.campaign_id \
         WHERE c.status = 'active' AND pm.due_on >= $1 AND pm.due_on <= $2 ORDER BY pm.plan_id, pm.position",
    )
    .bind(&t)
    .bind(&h)
    .fetch_all(db.pool())
    .await?;
    for (plan, title, due, unit, campaign, campaign_title) in milestones {
        // Milestone rows are rewritten on every plan save: the key names the
        // plan, the day and the title, not the row id.
        let digest = hex::encode(&sha2::Sha256::digest(title.as_bytes())[..6]);
        notices.push(
            Notice::new(
                Kind::MilestoneDue,
                unit,
                format!("/campaigns/{campaign}/plans/{unit}"),
                format!("due:milestone:{plan}:{due}:{digest}"),
            )
            .arg("campaign", campaign_title)
            .arg("milestone", title)
            .arg("due", due),
        );
    }

    let mut report = SweepReport::default();
    // One short transaction per notice: the sweep never holds the write lock long.
    for n in &notices {
        let mut tx = db.begin().await?;
        let to = store::recipients(&mut tx, n.org).await?;
        report.created += store::notify(&mut tx, n, &to).await?;
        tx.commit().await?;
    }
    Ok(report)
}
