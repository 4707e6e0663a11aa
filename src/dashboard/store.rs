//! The figures of a board, each asked of the module that owns its records.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::{Board, Figures, Line, PathStep, Series, TrendKey, fold, months};
use crate::{
    auth::Scope,
    campaign::Campaign,
    campaign::CampaignKind,
    date::Day,
    db::{Db, DbError, OrgId, SurveyId},
    error::AppError,
    org::Org,
    summary::{
        FigureKey, LineFigures,
        store::{self as summary, Lines},
    },
    survey::store as surveys,
};

fn from_line(f: &LineFigures) -> Figures {
    let outcomes = f.outcomes.all();
    Figures {
        enterprises_visited: f.get(FigureKey::Enterprises),
        workers_interviewed: f.get(FigureKey::Interviews),
        symposiums: f.get(FigureKey::Symposiums),
        symposium_participants: f.get(FigureKey::Participants),
        problems: outcomes.total(),
        outcomes,
        escalated: f.get(FigureKey::Escalated),
        ..Figures::default()
    }
}

/// The figures other modules own (reports, mediation, formation, services)
/// of `org`'s subtree, with their months.
struct Extras {
    figures: Figures,
    monthly: Vec<(TrendKey, Vec<(String, i64)>)>,
}

async fn extras(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    org: OrgId,
) -> Result<Extras, AppError> {
    let (c, u) = (Some(campaign.id), Some(org));
    let reports = crate::report::store::counts(db, scope, c, u).await?;
    let mediation = crate::mediation::store::figures(db, scope, c, u).await?;
    let formation = crate::formation::store::figures(db, scope, c, u).await?;
    let services = crate::service::store::figures(db, scope, c, u).await?;
    let figures = Figures {
        special_reports: reports.on_time + reports.late,
        mediation_cases: mediation.cases,
        mediation_agreements: mediation.agreements,
        mediation_concluded: mediation.concluded,
        unions_founded: formation.founded,
        members_joined: formation.members_joined,
        services: services.count,
        workers_served: services.workers,
        ..Figures::default()
    };
    let monthly = vec![
        (
            TrendKey::Reports,
            crate::report::store::monthly(db, scope, c, u).await?,
        ),
        (
            TrendKey::Mediation,
            mediation
                .monthly
                .into_iter()
                .map(|m| (m.month, m.cases))
                .collect(),
        ),
        (
            TrendKey::Unions,
            formation
                .founded_by_month
                .into_iter()
                .map(|m| (m.month, m.total))
                .collect(),
        ),
        (
            TrendKey::Members,
            formation
                .members_by_month
                .into_iter()
                .map(|m| (m.month, m.total))
                .collect(),
        ),
        (
            TrendKey::Services,
            services
                .by_month
                .into_iter()
                .map(|m| (m.month, m.count))
                .collect(),
        ),
    ];
    Ok(Extras { figures, monthly })
}

/// The other modules' figures of every line of a board, from one grouped
/// query per module over `level`'s subtree folded through the line map
/// (org → line): asking each line apart cost a dozen statements per child.
async fn extras_by_line(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    level: OrgId,
    map: &HashMap<OrgId, OrgId>,
) -> Result<HashMap<OrgId, Figures>, AppError> {
    let (c, u) = (Some(campaign.id), Some(level));
    let mut out: HashMap<OrgId, Figures> = HashMap::new();
    let line = |org: OrgId| map.get(&org).copied();
    let mut add = |org: OrgId, f: &mut dyn FnMut(&mut Figures)| {
        if let Some(l) = line(org) {
            f(out.entry(l).or_default());
        }
    };
    for (org, n) in crate::report::store::submitted_by_org(db, scope, c, u).await? {
        add(org, &mut |f| f.special_reports += n);
    }
    for (org, cases, agreements, concluded) in
        crate::mediation::store::outcomes_by_org(db, scope, c, u).await?
    {
        add(org, &mut |f| {
            f.mediation_cases += cases;
            f.mediation_agreements += agreements;
            f.mediation_concluded += concluded;
        });
    }
    for (org, founded, members) in
        crate::formation::store::founded_and_members_by_org(db, scope, c, u).await?
    {
        add(org, &mut |f| {
            f.unions_founded += founded;
            f.members_joined += members;
        });
    }
    for (org, count, workers) in crate::service::store::counts_by_org(db, scope, c, u).await? {
        add(org, &mut |f| {
            f.services += count;
            f.workers_served += workers;
        });
    }
    Ok(out)
}

/// Copies the other modules' figures into `f`.
fn with_extras(f: &mut Figures, e: &Figures) {
    f.special_reports = e.special_reports;
    f.mediation_cases = e.mediation_cases;
    f.mediation_agreements = e.mediation_agreements;
    f.mediation_concluded = e.mediation_concluded;
    f.unions_founded = e.unions_founded;
    f.members_joined = e.members_joined;
    f.services = e.services;
    f.workers_served = e.workers_served;
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
) -> Result<Board, AppError> {
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
    // holding its owning org (an index range count per survey). In a
    // stationing programme the answers of a work group's region are the
    // group's (stationing::store::group_outputs): they count for the line
    // hosting the group, and only the rest for the survey's owner.
    let mut valid_by_line: HashMap<OrgId, i64> = HashMap::new();
    // (line, valid answers not yet credited to a group) per survey.
    let mut owned: Vec<(OrgId, i64)> = Vec::new();
    for (survey, owner) in campaign_surveys(db, scope, campaign).await? {
        let Some(line) = map.get(&owner) else {
            continue;
        };
        let n = surveys::valid_count(db.pool(), survey).await?;
        *valid_by_line.entry(*line).or_default() += n;
        totals.valid_questionnaires += n;
        owned.push((*line, n));
    }
    if campaign.kind == CampaignKind::Stationing {
        let groups = crate::stationing::store::group_outputs(db, scope, campaign.id).await?;
        for g in groups {
            let n = g.outputs.questionnaires_valid;
            let Some(host_line) = map.get(&g.host_org_id) else {
                continue;
            };
            *valid_by_line.entry(*host_line).or_default() += n;
            // Taken from the owner's line when the survey is in this level,
            // added to the level when it is owned above it.
            match owned.iter_mut().find(|(_, left)| *left >= n) {
                Some((line, left)) => {
                    *left -= n;
                    if let Some(v) = valid_by_line.get_mut(line) {
                        *v -= n;
                    }
                }
                None => totals.valid_questionnaires += n,
            }
        }
    }

    let level_extras = extras(db, scope, campaign, level.id).await?;
    with_extras(&mut totals, &level_extras.figures);
    let mut own_extras = level_extras.figures.clone();
    let mut children_extras = extras_by_line(db, scope, campaign, level.id, &map).await?;
    let mut out_lines = Vec::new();
    for child in &children {
        let mut f = by_line
            .get(&child.org.id)
            .map(from_line)
            .unwrap_or_default();
        f.valid_questionnaires = valid_by_line.get(&child.org.id).copied().unwrap_or(0);
        let e = children_extras.remove(&child.org.id).unwrap_or_default();
        own_extras.minus_additive(&e);
        with_extras(&mut f, &e);
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
    with_extras(&mut own, &own_extras);
    out_lines.push(Line {
        org_id: level.id,
        name: level.label().to_string(),
        own: true,
        has_children: false,
        figures: own,
    });

    let as_of = Day::today();
    let months = months(campaign.starts_on, campaign.ends_on.max(campaign.starts_on));
    let mut trends = trends(db, scope, campaign, level.id, &months).await?;
    for (key, counts) in level_extras.monthly {
        trends.push(Series {
            key,
            values: fold(&months, counts),
        });
    }
    let step = |o: &Org| PathStep {
        org_id: o.id,
        name: o.label().to_string(),
    };
    let mut path: Vec<PathStep> = crate::org::store::ancestors(db, scope, level.id)
        .await?
        .iter()
        .map(step)
        .collect();
    path.push(step(level));
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
            key: TrendKey::Activities,
            values: fold(months, activities),
        },
        Series {
            key: TrendKey::Problems,
            values: fold(months, day_counts_to_months(problems)),
        },
        Series {
            key: TrendKey::Questionnaires,
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
