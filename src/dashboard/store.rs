//! The figures of a board, each asked of the module that owns its records.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{Board, Figures, Line, Series, fold, months};
use crate::{
    auth::Scope,
    campaign::Campaign,
    date::Day,
    db::{Db, DbError, OrgId, SurveyId},
    org::Org,
    summary::{
        FigureKey,
        store::{self as summary, LineFigures, Lines},
    },
    survey::store as surveys,
};

fn from_line(f: &LineFigures) -> Figures {
    let mut outcomes = [0i64; 5];
    for source in &f.outcomes {
        for (o, n) in outcomes.iter_mut().zip(source) {
            *o += n;
        }
    }
    Figures {
        enterprises_visited: f.get(FigureKey::Enterprises),
        workers_interviewed: f.get(FigureKey::Interviews),
        symposiums: f.get(FigureKey::Symposiums),
        symposium_participants: f.get(FigureKey::Participants),
        valid_questionnaires: 0,
        problems: outcomes.iter().sum(),
        outcomes,
        escalated: f.get(FigureKey::Escalated),
    }
}

/// The campaign's questionnaires the scope reaches, with their owning org.
async fn campaign_surveys(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
) -> Result<Vec<(SurveyId, OrgId)>, DbError> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT s.id, s.org_id FROM surveys s WHERE s.campaign_id = $1 AND {} ORDER BY s.id",
        scope.sql("s.org_id")
    )))
    .bind(campaign.id)
    .fetch_all(db.pool())
    .await
}

/// The board of `level` (an org the scope reaches) for `campaign`: its total,
/// one line per child org plus the level's own records, and monthly trends.
pub async fn board(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    level: &Org,
) -> Result<Board, DbError> {
    let children = crate::org::store::children(db, scope, level.id).await?;
    let lines = Lines {
        units: children.iter().map(|c| c.org.id).collect(),
        own: Some(level.id),
    };
    let map = summary::line_map(db, scope, &lines).await?;
    let by_line = summary::figures(db, scope, campaign.id, &lines).await?;
    // Distinct enterprises do not add up across lines (two streets may visit
    // one enterprise), so the level's total is computed as one line.
    let whole = summary::figures(db, scope, campaign.id, &Lines::unit(level.id)).await?;
    let mut totals = whole.get(&level.id).map(from_line).unwrap_or_default();

    // Valid questionnaires: each of the campaign's surveys counts for the line
    // holding its owning org (an index range count per survey).
    let mut valid_by_line: HashMap<OrgId, i64> = HashMap::new();
    for (survey, owner) in campaign_surveys(db, scope, campaign).await? {
        let Some(line) = map.get(&owner) else {
            continue;
        };
        let n = surveys::valid_count(db.pool(), survey).await?;
        *valid_by_line.entry(*line).or_default() += n;
        totals.valid_questionnaires += n;
    }

    let mut out_lines = Vec::new();
    for child in &children {
        let mut f = by_line
            .get(&child.org.id)
            .map(from_line)
            .unwrap_or_default();
        f.valid_questionnaires = valid_by_line.get(&child.org.id).copied().unwrap_or(0);
        out_lines.push(Line {
            org_id: child.org.id,
            name: child.org.label().to_string(),
            own: false,
            has_children: child.child_count > 0,
            figures: f,
        });
    }
    let mut own = by_line.get(&level.id).map(from_line).unwrap_or_default();
    own.valid_questionnaires = valid_by_line.get(&level.id).copied().unwrap_or(0);
    out_lines.push(Line {
        org_id: level.id,
        name: level.label().to_string(),
        own: true,
        has_children: false,
        figures: own,
    });

    let as_of = Day::today();
    let months = months(campaign.starts_on, campaign.ends_on.max(campaign.starts_on));
    let trends = trends(db, scope, campaign, level.id, &months).await?;
    let mut path: Vec<(OrgId, String)> = crate::org::store::ancestors(db, scope, level.id)
        .await?
        .into_iter()
        .map(|o| (o.id, o.label().to_string()))
        .collect();
    path.push((level.id, level.label().to_string()));
    Ok(Board {
        campaign_id: campaign.id,
        campaign_title: campaign.title.clone(),
        org_id: level.id,
        org_name: level.name.clone(),
        path,
        totals,
        lines: out_lines,
        months,
        trends,
        as_of,
    })
}

/// Days since 1970-01-01 in China Standard Time of an epoch-seconds column,
/// computed by integer division so both databases group alike.
fn cst_day(column: &str) -> String {
    format!("CAST(({column} + 28800) / 86400 AS BIGINT)")
}

/// Folds (day number, count) rows into `YYYY-MM` counts.
fn day_counts_to_months(rows: Vec<(i64, i64)>) -> Vec<(String, i64)> {
    rows.into_iter()
        .map(|(day, n)| {
            let d = Day::of_timestamp(day * 86400);
            (d.iso()[..7].to_string(), n)
        })
        .collect()
}

/// Monthly series of the level's subtree: activities held, problems
/// recorded, valid questionnaires received.
async fn trends(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    level: OrgId,
    months: &[String],
) -> Result<Vec<Series>, DbError> {
    let under = format!(
        "IN (SELECT descendant_id FROM org_tree WHERE ancestor_id = {})",
        level.0
    );
    let activities: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT SUBSTR(a.held_on, 1, 7), COUNT(*) FROM activities a \
         WHERE a.campaign_id = $1 AND a.org_id {under} AND {} GROUP BY SUBSTR(a.held_on, 1, 7)",
        scope.sql("a.org_id")
    )))
    .bind(campaign.id)
    .fetch_all(db.pool())
    .await?;
    let problems: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {day}, COUNT(*) FROM problems p \
         WHERE p.campaign_id = $1 AND p.org_id {under} AND {} GROUP BY {day}",
        scope.sql("p.org_id"),
        day = cst_day("p.created_at"),
    )))
    .bind(campaign.id)
    .fetch_all(db.pool())
    .await?;
    let responses: Vec<(i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {day}, COUNT(*) FROM survey_responses r JOIN surveys s ON s.id = r.survey_id \
         WHERE s.campaign_id = $1 AND s.org_id {under} AND {} AND {} GROUP BY {day}",
        scope.sql("s.org_id"),
        surveys::valid_sql("r"),
        day = cst_day("r.submitted_at"),
    )))
    .bind(campaign.id)
    .fetch_all(db.pool())
    .await?;
    Ok(vec![
        Series {
            key: "activities".into(),
            values: fold(months, activities),
        },
        Series {
            key: "problems".into(),
            values: fold(months, day_counts_to_months(problems)),
        },
        Series {
            key: "questionnaires".into(),
            values: fold(months, day_counts_to_months(responses)),
        },
    ])
}

/// The campaign's questionnaires owned in `level`'s subtree, each with its
/// valid responses (the rows behind the questionnaires figure).
pub async fn questionnaire_rows(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    level: &Org,
) -> Result<Vec<crate::summary::store::DrillRow>, DbError> {
    let rows: Vec<(SurveyId, String, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT s.id, o.name, s.title FROM surveys s JOIN orgs o ON o.id = s.org_id \
         WHERE s.campaign_id = $1 AND {} AND s.org_id IN \
         (SELECT descendant_id FROM org_tree WHERE ancestor_id = $2) ORDER BY s.id",
        scope.sql("s.org_id")
    )))
    .bind(campaign.id)
    .bind(level.id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for (id, org, title) in rows {
        out.push(crate::summary::store::DrillRow {
            id: id.0,
            link: format!("/surveys/{id}/analysis"),
            org,
            day: String::new(),
            text: title,
            amount: surveys::valid_count(db.pool(), id).await?,
        });
    }
    Ok(out)
}
