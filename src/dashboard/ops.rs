//! The reads dashboards' pages and API share: which level a caller may see,
//! and the records behind one figure. Dashboards write nothing.
//!
//! Who sees what: anyone who reads the campaign sees the board of any org
//! their read scope reaches (`?org=`, by default the issuing org when they
//! reach it, else their own org); every figure is computed inside that scope,
//! so a street sees its own subtree and nothing of its neighbours.

use super::{Board, store};
use crate::{
    auth::{Caller, Need, Scope},
    campaign::Campaign,
    db::{CampaignId, Db, OrgId},
    error::{AppError, AppResult},
    i18n::Lang,
    org::Org,
    summary::{
        FigureKey, OutcomeCounts,
        store::{self as summary, Drill, DrillRow, Lines},
    },
};

/// At most this many rows on a drill-down.
pub const DRILL_LIMIT: i64 = 2000;

/// The campaign and the level org, both inside the caller's read scope.
pub async fn level(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: Option<&str>,
) -> AppResult<(Scope, Campaign, Org)> {
    let read = caller.scope(Need::Read);
    let campaign = crate::campaign::store::get(db, &read, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let wanted = match org.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => OrgId(
            raw.parse()
                .map_err(|_| AppError::field("org", "err-not-a-number"))?,
        ),
        None if read.contains(db, campaign.org_id).await? => campaign.org_id,
        None => caller.home_org,
    };
    let org = crate::org::store::get(db, &read, wanted)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((read, campaign, org))
}

/// The board of the level a caller asks for, with its campaign and org.
pub async fn board(
    db: &Db,
    caller: &Caller,
    id: CampaignId,
    org: Option<&str>,
) -> AppResult<(Board, Campaign, Org)> {
    let (read, campaign, org) = level(db, caller, id, org).await?;
    let b = store::board(db, &read, &campaign, &org).await?;
    Ok((b, campaign, org))
}

/// The records behind one figure of one org's subtree: the summary table's
/// own drill-downs (the same rows its figures count) for visits, interviews
/// and problems, the questionnaires with their valid counts otherwise. The
/// figure's label, the figure and the rows.
pub async fn records(
    db: &Db,
    read: &Scope,
    (campaign, org): (&Campaign, &Org),
    figure: &str,
    lang: Lang,
) -> AppResult<(String, i64, Vec<DrillRow>)> {
    let lines = Lines::unit(org.id);
    let refused = || {
        let mut allowed: Vec<String> = FigureKey::CODES
            .iter()
            .filter(|k| **k != "solved")
            .map(|k| k.to_string())
            .collect();
        allowed.extend(OutcomeCounts::CODES.iter().map(|c| format!("outcome:{c}")));
        allowed.push("questionnaires".into());
        AppError::Validation(vec![
            crate::error::FieldError::new("figure", "err-dash-figure")
                .arg("allowed", allowed.join(", ")),
        ])
    };
    if let Some(code) = figure.strip_prefix("outcome:") {
        let i = OutcomeCounts::CODES
            .iter()
            .position(|o| *o == code)
            .ok_or_else(refused)?;
        let mut rows = Vec::new();
        let mut total = 0;
        for source in crate::problem::Source::ALL {
            let (r, n) = summary::drill(
                db,
                read,
                campaign.id,
                &lines,
                org.id,
                Drill::Outcome(source, i),
                DRILL_LIMIT,
            )
            .await?;
            rows.extend(r);
            total += n;
        }
        rows.sort_by(|a, b| a.day.cmp(&b.day).then(a.id.cmp(&b.id)));
        rows.truncate(DRILL_LIMIT as usize);
        return Ok((lang.t(&format!("dash-outcome-{code}")), total, rows));
    }
    if figure == "questionnaires" {
        let rows = store::questionnaire_rows(db, read, campaign, org).await?;
        let total = rows.iter().map(|r| r.amount).sum();
        return Ok((lang.t("dash-questionnaires"), total, rows));
    }
    let key = FigureKey::from_code(figure.trim())
        .filter(|k| *k != FigureKey::Solved)
        .ok_or_else(refused)?;
    let (rows, total) = summary::drill(
        db,
        read,
        campaign.id,
        &lines,
        org.id,
        Drill::Figure(key),
        DRILL_LIMIT,
    )
    .await?;
    Ok((lang.t(key.label_key()), total, rows))
}
