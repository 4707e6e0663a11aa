//! Summary-table queries. Figures are computed for *lines*: a line is a
//! participating unit's whole subtree, or the issuing org's own level (本级:
//! its subtree minus the subtrees of the units). One CTE maps every org to its
//! line, and every figure and every drill-down list is read through it, so a
//! figure and the records behind it cannot disagree. Line roots are filtered
//! by the caller's scope inside the CTE: nothing outside it is read.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::Digest;
use sqlx::AssertSqlSafe;

use super::{
    Figure, FigureKey, Head, LineFigures, MainItem, Override, SourceBlock, SummaryTable, UpperItem,
    workflow::{Decision, ReturnReasons, Status},
};
use crate::{
    auth::Scope,
    campaign::Campaign,
    date::Day,
    db::{CampaignId, Db, DbError, OrgId, ProblemId, SummaryId, Tx, UserId, now},
    problem::{Source, lifecycle::Outcome},
};

/// How many main problems per source a unit that has not chosen gets: the
/// blank attachment prints two numbered lines per source.
pub const DEFAULT_MAIN: i64 = 2;

/// The orgs whose figures are computed together: units with disjoint subtrees
/// and, optionally, the issuing org's own level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    /// Units whose subtrees do not overlap.
    pub units: Vec<OrgId>,
    /// The issuing org, whose line is what of its subtree no unit covers.
    pub own: Option<OrgId>,
}

impl Lines {
    /// One unit's subtree.
    pub fn unit(org: OrgId) -> Lines {
        Lines {
            units: vec![org],
            own: None,
        }
    }

    /// The `WITH lines (org_id, line) AS (…)` clause; ids are integers read
    /// from the database, so inlining them cannot inject anything.
    fn cte(&self, scope: &Scope) -> String {
        let ids: Vec<String> = self.units.iter().map(|u| u.0.to_string()).collect();
        let list = if ids.is_empty() {
            "NULL".to_string()
        } else {
            ids.join(",")
        };
        let mut parts = Vec::new();
        if !ids.is_empty() {
            parts.push(format!(
                "SELECT t.descendant_id AS org_id, t.ancestor_id AS line FROM org_tree t \
                 WHERE t.ancestor_id IN ({list}) AND {}",
                scope.sql("t.ancestor_id")
            ));
        }
        if let Some(own) = self.own {
            parts.push(format!(
                "SELECT t.descendant_id AS org_id, t.ancestor_id AS line FROM org_tree t \
                 WHERE t.ancestor_id = {own} AND {} AND NOT EXISTS (SELECT 1 FROM org_tree x \
                 WHERE x.descendant_id = t.descendant_id AND x.ancestor_id IN ({list}))",
                scope.sql("t.ancestor_id")
            ));
        }
        if parts.is_empty() {
            parts.push("SELECT 0 AS org_id, 0 AS line WHERE 1 = 0".into());
        }
        format!(
            "WITH lines (org_id, line) AS ({}) ",
            parts.join(" UNION ALL ")
        )
    }
}

/// Index of an outcome code in [`SourceBlock::outcomes`]; undecided is last.
pub fn outcome_index(code: Option<&str>) -> usize {
    match code {
        Some("solved") => 0,
        Some("in_progress") => 1,
        Some("planned") => 2,
        Some("reference") => 3,
        _ => 4,
    }
}

/// Which line each org of `lines` belongs to (within the scope).
pub async fn line_map(
    db: &Db,
    scope: &Scope,
    lines: &Lines,
) -> Result<HashMap<OrgId, OrgId>, DbError> {
    let rows: Vec<(OrgId, OrgId)> = sqlx::query_as(AssertSqlSafe(format!(
        "{}SELECT org_id, line FROM lines",
        lines.cte(scope)
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// The figures of every line. The records are aggregated per org in four
/// grouped queries (each restricted to the lines' orgs, so nothing outside
/// the scope is read) and the orgs folded into their lines here: an
/// escalated problem is "上报" for its recorder's line when its owner lies in
/// another line or above. Lines without any record are present with zeros.
pub async fn figures(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    lines: &Lines,
) -> Result<HashMap<OrgId, LineFigures>, DbError> {
    let map = line_map(db, scope, lines).await?;
    figures_in(db, scope, campaign, lines, &map).await
}

async fn figures_in(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    lines: &Lines,
    map: &HashMap<OrgId, OrgId>,
) -> Result<HashMap<OrgId, LineFigures>, DbError> {
    let cte = lines.cte(scope);
    let mut out: HashMap<OrgId, LineFigures> = lines
        .units
        .iter()
        .chain(lines.own.iter())
        .map(|l| (*l, LineFigures::default()))
        .collect();
    let pairs: Vec<(OrgId, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "{cte}SELECT DISTINCT a.org_id, ae.enterprise_id FROM activities a \
         JOIN activity_enterprises ae ON ae.activity_id = a.id \
         WHERE a.campaign_id = $1 AND a.org_id IN (SELECT org_id FROM lines)"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut visited: HashMap<OrgId, std::collections::HashSet<i64>> = HashMap::new();
    for (org, enterprise) in pairs {
        if let Some(line) = map.get(&org) {
            visited.entry(*line).or_default().insert(enterprise);
        }
    }
    for (line, set) in visited {
        out.entry(line).or_default().counts[FigureKey::Enterprises] = set.len() as i64;
    }
    let acts: Vec<(OrgId, i64, i64, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "{cte}SELECT a.org_id, CAST(COALESCE(SUM(a.workers_interviewed), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'symposium' THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN a.kind = 'symposium' THEN a.participants ELSE 0 END), 0) AS BIGINT) \
         FROM activities a WHERE a.campaign_id = $1 AND a.org_id IN (SELECT org_id FROM lines) \
         GROUP BY a.org_id"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    for (org, interviews, symposiums, participants) in acts {
        let Some(line) = map.get(&org) else { continue };
        let f = out.entry(*line).or_default();
        f.counts[FigureKey::Interviews] += interviews;
        f.counts[FigureKey::Symposiums] += symposiums;
        f.counts[FigureKey::Participants] += participants;
    }
    // Problems count where they are owned now: an escalated problem is the
    // owning level's, once.
    let owned: Vec<(OrgId, String, Option<String>, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "{cte}SELECT p.owner_org_id, p.source, CASE WHEN p.state = 'open' THEN NULL ELSE p.outcome END, COUNT(*) \
         FROM problems p WHERE p.campaign_id = $1 AND p.owner_org_id IN (SELECT org_id FROM lines) \
         GROUP BY p.owner_org_id, p.source, CASE WHEN p.state = 'open' THEN NULL ELSE p.outcome END"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    for (owner, source, outcome, n) in owned {
        let Some(line) = map.get(&owner) else {
            continue;
        };
        let f = out.entry(*line).or_default();
        let o = outcome_index(outcome.as_deref());
        if let Some(source) = Source::parse(&source) {
            f.outcomes.of_mut(source)[o] += n;
        }
        if o == 0 {
            f.counts[FigureKey::Solved] += n;
        }
    }
    let escalated: Vec<(OrgId, OrgId, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "{cte}SELECT p.org_id, p.owner_org_id, COUNT(*) FROM problems p \
         WHERE p.campaign_id = $1 AND p.escalated = 1 AND p.owner_org_id <> p.org_id \
         AND p.org_id IN (SELECT org_id FROM lines) GROUP BY p.org_id, p.owner_org_id"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    for (org, owner, n) in escalated {
        let Some(line) = map.get(&org) else { continue };
        if map.get(&owner) != Some(line) {
            out.entry(*line).or_default().counts[FigureKey::Escalated] += n;
        }
    }
    Ok(out)
}

/// A problem `p` recorded in line `l` is owned outside that line: it was
/// passed above the unit (上报).
const ESCALATED_OUT: &str = "p.escalated = 1 AND p.owner_org_id <> p.org_id AND NOT EXISTS \
     (SELECT 1 FROM lines l2 WHERE l2.org_id = p.owner_org_id AND l2.line = l.line)";

/// What a unit has chosen for its table while drafting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Choices {
    /// The main problems of each source, in order; a source not chosen gets
    /// the default (problems marked main, else the most recent decided).
    #[serde(default)]
    pub main: BTreeMap<String, Vec<ProblemId>>,
    /// Figures the unit reports differently, each with its reason.
    #[serde(default)]
    pub overrides: BTreeMap<String, Override>,
    /// Remarks printed under the table.
    #[serde(default)]
    pub remarks: String,
}

impl Choices {
    /// The unit's ordered pick for `source`, if it made one.
    pub fn main_of(&self, source: Source) -> Option<&Vec<ProblemId>> {
        self.main.get(source.as_str())
    }

    /// The override of `key`, if any.
    pub fn override_of(&self, key: FigureKey) -> Option<&Override> {
        self.overrides.get(key.as_str())
    }
}

type ProblemRow = (
    ProblemId,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

const PROBLEM_COLUMNS: &str = "p.id, p.description, tp.name_zh, p.source, p.state, p.outcome, \
     p.outcome_on, p.outcome_note";

/// The outcome stored in a problem row, `None` while undecided.
fn outcome_of(
    state: &str,
    code: Option<&str>,
    on: Option<&str>,
    note: Option<String>,
) -> Option<Outcome> {
    if state == "open" {
        return None;
    }
    let day = on.and_then(Day::from_db);
    match code? {
        "solved" => Some(Outcome::Solved {
            on: day?,
            note: note.unwrap_or_default(),
        }),
        "in_progress" => Some(Outcome::InProgress {
            deadline: day?,
            note,
        }),
        "planned" => Some(Outcome::Planned { on: day?, note }),
        "reference" => Some(Outcome::ForReference { note }),
        _ => None,
    }
}

fn main_item(r: ProblemRow) -> MainItem {
    let (id, description, topic, _source, state, code, on, note) = r;
    MainItem {
        problem_id: id,
        description,
        topic,
        outcome: outcome_of(&state, code.as_deref(), on.as_deref(), note),
    }
}

/// The problems owned in `unit`'s subtree that may be main for `source`,
/// newest first (the picker's list).
pub async fn candidates(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    unit: OrgId,
    source: Source,
    limit: i64,
) -> Result<Vec<MainItem>, DbError> {
    let cte = Lines::unit(unit).cte(scope);
    let rows: Vec<ProblemRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{cte}SELECT {PROBLEM_COLUMNS} FROM lines l \
         JOIN problems p ON p.owner_org_id = l.org_id AND p.campaign_id = $1 \
         JOIN topics tp ON tp.id = p.topic_id WHERE p.source = $2 \
         ORDER BY p.created_at DESC, p.id DESC LIMIT $3"
    )))
    .bind(campaign)
    .bind(source.as_str())
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(main_item).collect())
}

/// Which of `ids` the unit owns in this campaign with `source`: the problems
/// it may list as main.
pub async fn pick(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    unit: OrgId,
    source: Source,
    ids: &[ProblemId],
) -> Result<Vec<ProblemId>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
    sqlx::query_scalar(AssertSqlSafe(format!(
        "{}SELECT p.id FROM lines l JOIN problems p ON p.owner_org_id = l.org_id AND p.campaign_id = $1 \
         WHERE p.source = $2 AND p.id IN ({})",
        Lines::unit(unit).cte(scope),
        list.join(",")
    )))
    .bind(campaign)
    .bind(source.as_str())
    .fetch_all(db.pool())
    .await
}

/// The units among `units` that lie under another of them.
pub async fn nested(db: &Db, units: &[OrgId]) -> Result<std::collections::HashSet<OrgId>, DbError> {
    if units.len() < 2 {
        return Ok(Default::default());
    }
    let list: Vec<String> = units.iter().map(|u| u.0.to_string()).collect();
    let list = list.join(",");
    let rows: Vec<OrgId> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT DISTINCT descendant_id FROM org_tree WHERE depth > 0 \
         AND ancestor_id IN ({list}) AND descendant_id IN ({list})"
    )))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().collect())
}

/// The figures of each of `units` over its whole subtree: the units not under
/// another in one grouped pass, each nested one on its own.
pub async fn unit_figures(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    units: &[OrgId],
) -> Result<HashMap<OrgId, LineFigures>, DbError> {
    let nested = nested(db, units).await?;
    let top = Lines {
        units: units
            .iter()
            .copied()
            .filter(|u| !nested.contains(u))
            .collect(),
        own: None,
    };
    let mut out = figures(db, scope, campaign, &top).await?;
    for u in nested {
        out.extend(figures(db, scope, campaign, &Lines::unit(u)).await?);
    }
    Ok(out)
}

/// A unit whose table is computed: id, code, name.
pub type UnitRef<'a> = (OrgId, &'a str, &'a str);

/// A unit's table computed from the records now, with its choices applied.
pub async fn compute(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    unit: UnitRef<'_>,
    choices: &Choices,
) -> Result<SummaryTable, DbError> {
    let mut all = tables(
        db,
        scope,
        campaign,
        &[unit],
        &HashMap::from([(unit.0, choices.clone())]),
    )
    .await?;
    Ok(all.remove(0))
}

/// The tables of several units computed together: the units not under
/// another in one batch of grouped queries, each nested one on its own.
/// Units without choices get the defaults. In the order of `units`.
pub async fn tables(
    db: &Db,
    scope: &Scope,
    campaign: &Campaign,
    units: &[UnitRef<'_>],
    choices: &HashMap<OrgId, Choices>,
) -> Result<Vec<SummaryTable>, DbError> {
    let ids: Vec<OrgId> = units.iter().map(|u| u.0).collect();
    let nested = nested(db, &ids).await?;
    let mut batches = vec![Lines {
        units: ids
            .iter()
            .copied()
            .filter(|u| !nested.contains(u))
            .collect(),
        own: None,
    }];
    batches.extend(nested.iter().map(|n| Lines::unit(*n)));
    let none = Choices::default();
    let mut done: HashMap<OrgId, SummaryTable> = HashMap::new();
    for lines in batches.iter().filter(|l| !l.units.is_empty()) {
        let map = line_map(db, scope, lines).await?;
        let figs = figures_in(db, scope, campaign.id, lines, &map).await?;
        let cte = lines.cte(scope);
        let mut mains = main_rows(db, &cte, campaign.id, (lines, &map), choices).await?;
        let mut upper = upper_rows(db, &cte, campaign.id, &map).await?;
        for u in units.iter().filter(|u| lines.units.contains(&u.0)) {
            let (org_id, org_code, org_name) = *u;
            let f = figs.get(&org_id).cloned().unwrap_or_default();
            let c = choices.get(&org_id).unwrap_or(&none);
            let blocks = Source::ALL
                .into_iter()
                .map(|source| SourceBlock {
                    source,
                    items: mains.remove(&(org_id, source)).unwrap_or_default(),
                    outcomes: *f.outcomes.of(source),
                })
                .collect();
            done.insert(
                org_id,
                SummaryTable {
                    head: head(campaign, org_id, org_code, org_name),
                    figures: FigureKey::ALL
                        .into_iter()
                        .map(|key| Figure {
                            key,
                            computed: f.get(key),
                            overridden: c.override_of(key).cloned(),
                        })
                        .collect(),
                    blocks,
                    upper: upper.remove(&org_id).unwrap_or_default(),
                    remarks: c.remarks.clone(),
                    computed_at: now(),
                },
            );
        }
    }
    Ok(units.iter().filter_map(|u| done.remove(&u.0)).collect())
}

type LineProblemRow = (
    OrgId,
    ProblemId,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn split_line(r: LineProblemRow) -> (OrgId, Source, MainItem) {
    let (line, id, description, topic, source, state, code, on, note) = r;
    let source = Source::parse(&source).unwrap_or(Source::Worker);
    (
        line,
        source,
        main_item((id, description, topic, String::new(), state, code, on, note)),
    )
}

type RankedRow = (
    OrgId,
    i64,
    i64,
    ProblemId,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The main problems of every unit of a batch, by (unit, source): the unit's
/// ordered pick (problems no longer owned in its subtree drop out), or the
/// default — decided problems marked main in the lists (all of them), then
/// the most recent decided ones up to the form's two lines. An undecided
/// problem is never pre-selected: it would block the submission, and only
/// the unit can choose to list it.
async fn main_rows(
    db: &Db,
    cte: &str,
    campaign: CampaignId,
    (lines, map): (&Lines, &HashMap<OrgId, OrgId>),
    choices: &HashMap<OrgId, Choices>,
) -> Result<HashMap<(OrgId, Source), Vec<MainItem>>, DbError> {
    let mut out: HashMap<(OrgId, Source), Vec<MainItem>> = HashMap::new();
    let chosen: Vec<String> = lines
        .units
        .iter()
        .filter_map(|u| choices.get(u))
        .flat_map(|c| c.main.values().flatten())
        .map(|id| id.0.to_string())
        .collect();
    if !chosen.is_empty() {
        let rows: Vec<LineProblemRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{cte}SELECT l.line, {PROBLEM_COLUMNS} FROM lines l \
             JOIN problems p ON p.owner_org_id = l.org_id AND p.campaign_id = $1 \
             JOIN topics tp ON tp.id = p.topic_id WHERE p.id IN ({})",
            chosen.join(",")
        )))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
        let mut found: HashMap<ProblemId, (OrgId, Source, MainItem)> = rows
            .into_iter()
            .map(split_line)
            .map(|(l, s, m)| (m.problem_id, (l, s, m)))
            .collect();
        for u in &lines.units {
            let Some(c) = choices.get(u) else { continue };
            for source in Source::ALL {
                let Some(ids) = c.main_of(source) else {
                    continue;
                };
                let mut items = Vec::new();
                for id in ids {
                    if found
                        .get(id)
                        .is_some_and(|(l, s, _)| l == u && *s == source)
                        && let Some((_, _, m)) = found.remove(id)
                    {
                        items.push(m);
                    }
                }
                out.insert((*u, source), items);
            }
        }
    }
    let needs_default = lines.units.iter().any(|u| {
        Source::ALL
            .iter()
            .any(|s| choices.get(u).and_then(|c| c.main_of(*s)).is_none())
    });
    if needs_default {
        // Decided problems marked main (all of them), and the two most recent decided
        // ones of each org and source: a line's most recent decided problems
        // are among its orgs' two most recent, whatever is marked. Two index
        // walks instead of ranking every problem of the campaign.
        let columns = "p.owner_org_id, p.created_at, p.is_main, p.id, p.description, tp.name_zh, \
             p.source, p.state, p.outcome, p.outcome_on, p.outcome_note";
        let marked: Vec<RankedRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{cte}SELECT {columns} FROM problems p JOIN topics tp ON tp.id = p.topic_id \
             WHERE p.id IN (SELECT m.id FROM problems m WHERE m.campaign_id = $1 AND m.is_main = 1 \
             AND m.state <> 'open' AND m.owner_org_id IN (SELECT org_id FROM lines))"
        )))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
        let newest = format!(
            "SELECT q.id FROM problems q WHERE q.campaign_id = $1 AND q.owner_org_id = l.org_id \
             AND q.source = s.src AND q.state <> 'open' ORDER BY q.created_at DESC, q.id DESC \
             LIMIT {DEFAULT_MAIN}"
        );
        // The same walk in each database's idiom: PostgreSQL plans a correlated
        // IN as a scan of every problem (seconds), LATERAL as index walks
        // (a millisecond); SQLite has no LATERAL and walks the index for IN.
        let walk = match db.backend() {
            crate::db::Backend::Postgres => {
                format!("CROSS JOIN LATERAL ({newest}) r JOIN problems p ON p.id = r.id")
            }
            crate::db::Backend::Sqlite => format!("JOIN problems p ON p.id IN ({newest})"),
        };
        let recent: Vec<RankedRow> = sqlx::query_as(AssertSqlSafe(format!(
            "{cte}SELECT {columns} FROM lines l \
             CROSS JOIN (SELECT 'worker' AS src UNION ALL SELECT 'enterprise' UNION ALL SELECT 'union') s \
             {walk} JOIN topics tp ON tp.id = p.topic_id"
        )))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
        let mut ranked: HashMap<(OrgId, Source), Vec<RankedRow>> = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        for r in marked.into_iter().chain(recent) {
            let Some(line) = map.get(&r.0) else { continue };
            let Some(source) = Source::parse(&r.6) else {
                continue;
            };
            if seen.insert(r.3) {
                ranked.entry((*line, source)).or_default().push(r);
            }
        }
        for ((line, source), mut rows) in ranked {
            if choices.get(&line).and_then(|c| c.main_of(source)).is_some() {
                continue;
            }
            // Marked first, then the newest: as the lists sort them.
            rows.sort_by_key(|r| std::cmp::Reverse((r.2, r.1, r.3)));
            let marked = rows.iter().filter(|r| r.2 == 1).count();
            let take = (DEFAULT_MAIN as usize).max(marked);
            let items = rows
                .into_iter()
                .take(take)
                .map(
                    |(_, _, _, id, description, topic, source, state, code, on, note)| {
                        main_item((id, description, topic, source, state, code, on, note))
                    },
                )
                .collect();
            out.insert((line, source), items);
        }
    }
    Ok(out)
}

/// The problems each line recorded that are owned outside it (需要上级解决).
async fn upper_rows(
    db: &Db,
    cte: &str,
    campaign: CampaignId,
    map: &HashMap<OrgId, OrgId>,
) -> Result<HashMap<OrgId, Vec<UpperItem>>, DbError> {
    let rows: Vec<(OrgId, OrgId, ProblemId, String, String, String)> =
        sqlx::query_as(AssertSqlSafe(format!(
            "{cte}SELECT l.line, p.owner_org_id, p.id, p.description, p.source, o.name FROM lines l \
             JOIN problems p ON p.org_id = l.org_id AND p.campaign_id = $1 \
             AND p.escalated = 1 AND p.owner_org_id <> p.org_id \
             JOIN orgs o ON o.id = p.owner_org_id ORDER BY p.created_at, p.id"
        )))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
    let mut out: HashMap<OrgId, Vec<UpperItem>> = HashMap::new();
    for (line, owner, problem_id, description, source, name) in rows {
        if map.get(&owner) == Some(&line) {
            continue;
        }
        out.entry(line).or_default().push(UpperItem {
            problem_id,
            description,
            source: Source::parse(&source).unwrap_or(Source::Worker),
            owner: name,
        });
    }
    Ok(out)
}

/// The head of a table of `campaign` for one unit.
pub fn head(campaign: &Campaign, org_id: OrgId, org_code: &str, org_name: &str) -> Head {
    Head {
        campaign_id: campaign.id,
        campaign_title: campaign.title.clone(),
        doc_number: campaign.doc_number.clone(),
        issuer: campaign.org_name.clone(),
        report_due_on: campaign.report_due_on,
        org_id,
        org_code: org_code.to_string(),
        org_name: org_name.to_string(),
    }
}

/// A roll-up line as a table: the figures summed, the problems merged by
/// source and outcome, no item lines.
pub fn totals_table(head: Head, figs: &LineFigures) -> SummaryTable {
    SummaryTable {
        head,
        figures: FigureKey::ALL
            .into_iter()
            .map(|key| Figure {
                key,
                computed: figs.get(key),
                overridden: None,
            })
            .collect(),
        blocks: Source::ALL
            .into_iter()
            .map(|source| SourceBlock {
                source,
                items: Vec::new(),
                outcomes: *figs.outcomes.of(source),
            })
            .collect(),
        upper: Vec::new(),
        remarks: String::new(),
        computed_at: now(),
    }
}

/// What a drill-down lists: the records behind one figure of one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Drill {
    /// One of the six figures.
    Figure(FigureKey),
    /// Problems of a source owned by the line with an outcome (index into
    /// [`SourceBlock::outcomes`]).
    Outcome(Source, usize),
}

impl Drill {
    /// Parses `enterprises`, …, or `outcome:<source>:<solved|in_progress|planned|reference|open>`.
    pub fn parse(s: &str) -> Option<Drill> {
        if let Some(rest) = s.strip_prefix("outcome:") {
            let (src, code) = rest.split_once(':')?;
            let source = Source::parse(src)?;
            let idx = match code {
                "open" => 4,
                c => {
                    let i = outcome_index(Some(c));
                    if i == 4 {
                        return None;
                    }
                    i
                }
            };
            return Some(Drill::Outcome(source, idx));
        }
        FigureKey::from_code(s.trim()).map(Drill::Figure)
    }

    /// The spelling [`Drill::parse`] reads.
    pub fn as_param(&self) -> String {
        match self {
            Drill::Figure(k) => k.as_str().to_string(),
            Drill::Outcome(s, i) => {
                let code = crate::problem::lifecycle::OUTCOME_CODES
                    .get(*i)
                    .copied()
                    .unwrap_or("open");
                format!("outcome:{}:{code}", s.as_str())
            }
        }
    }

    /// Whether the records are activities (else problems; enterprises for
    /// the visited-enterprises figure).
    pub fn kind(&self) -> DrillKind {
        match self {
            Drill::Figure(FigureKey::Enterprises) => DrillKind::Enterprises,
            Drill::Figure(
                FigureKey::Interviews | FigureKey::Symposiums | FigureKey::Participants,
            ) => DrillKind::Activities,
            _ => DrillKind::Problems,
        }
    }
}

/// Which records a drill-down lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrillKind {
    Enterprises,
    Activities,
    Problems,
}

/// One record behind a figure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DrillRow {
    /// The record's id.
    pub id: i64,
    /// Where it is shown: `/activities/1`, `/problems/2`, `/enterprises/3`.
    pub link: String,
    /// The org that recorded it.
    pub org: String,
    /// Its date (activity held on, problem recorded on).
    pub day: String,
    /// A short description.
    pub text: String,
    /// How much it contributes to the figure (1, or workers / participants).
    pub amount: i64,
}

/// The records behind `drill` for `line`, at most `limit` of them, and the
/// figure they add up to (from the same rows).
pub async fn drill(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
    lines: &Lines,
    line: OrgId,
    drill: Drill,
    limit: i64,
) -> Result<(Vec<DrillRow>, i64), DbError> {
    let cte = lines.cte(scope);
    let (select, total) = match drill {
        Drill::Figure(FigureKey::Enterprises) => (
            "SELECT e.id, MIN(o.name), MIN(a.held_on), e.name, 1 FROM lines l \
             JOIN activities a ON a.org_id = l.org_id AND a.campaign_id = $1 \
             JOIN activity_enterprises ae ON ae.activity_id = a.id \
             JOIN enterprises e ON e.id = ae.enterprise_id JOIN orgs o ON o.id = a.org_id \
             WHERE l.line = $2 GROUP BY e.id, e.name ORDER BY MIN(a.held_on), e.id"
                .to_string(),
            "count",
        ),
        Drill::Figure(
            k @ (FigureKey::Interviews | FigureKey::Symposiums | FigureKey::Participants),
        ) => {
            let (cond, amount) = match k {
                FigureKey::Interviews => ("a.workers_interviewed > 0", "a.workers_interviewed"),
                FigureKey::Symposiums => ("a.kind = 'symposium'", "1"),
                _ => ("a.kind = 'symposium'", "a.participants"),
            };
            (
                format!(
                    "SELECT a.id, o.name, a.held_on, COALESCE(a.place, a.kind), {amount} FROM lines l \
                     JOIN activities a ON a.org_id = l.org_id AND a.campaign_id = $1 \
                     JOIN orgs o ON o.id = a.org_id WHERE l.line = $2 AND {cond} \
                     ORDER BY a.held_on, a.id"
                ),
                "sum",
            )
        }
        Drill::Figure(FigureKey::Solved) => (
            problems_select(
                "p.owner_org_id",
                "p.state <> 'open' AND p.outcome = 'solved'",
            ),
            "count",
        ),
        Drill::Figure(FigureKey::Escalated) => {
            (problems_select("p.org_id", ESCALATED_OUT), "count")
        }
        Drill::Outcome(source, idx) => {
            let cond = match crate::problem::lifecycle::OUTCOME_CODES.get(idx) {
                Some(code) => format!("p.state <> 'open' AND p.outcome = '{code}'"),
                None => "p.state = 'open'".to_string(),
            };
            (
                problems_select(
                    "p.owner_org_id",
                    &format!("p.source = '{}' AND {cond}", source.as_str()),
                ),
                "count",
            )
        }
    };
    let rows: Vec<(i64, String, String, String, i64)> =
        sqlx::query_as(AssertSqlSafe(format!("{cte}{select}")))
            .bind(campaign)
            .bind(line)
            .fetch_all(db.pool())
            .await?;
    let figure = if total == "sum" {
        rows.iter().map(|r| r.4).sum()
    } else {
        rows.len() as i64
    };
    let prefix = match drill.kind() {
        DrillKind::Enterprises => "/enterprises/",
        DrillKind::Activities => "/activities/",
        DrillKind::Problems => "/problems/",
    };
    let out = rows
        .into_iter()
        .take(limit.max(0) as usize)
        .map(|(id, org, day, text, amount)| DrillRow {
            id,
            link: format!("{prefix}{id}"),
            org,
            // Problems carry their recording instant; show its Beijing day.
            day: match day.parse::<i64>() {
                Ok(ts) => Day::of_timestamp(ts).iso(),
                Err(_) => day,
            },
            text,
            amount,
        })
        .collect();
    Ok((out, figure))
}

/// Problems joined to their line through `column`, with `cond`; the day is
/// the recording day in Beijing (computed in Rust would need a second pass,
/// so the epoch is kept and formatted by the caller).
fn problems_select(column: &str, cond: &str) -> String {
    format!(
        "SELECT p.id, o.name, CAST(p.created_at AS TEXT), p.description, 1 FROM lines l \
         JOIN problems p ON {column} = l.org_id AND p.campaign_id = $1 \
         JOIN orgs o ON o.id = p.org_id WHERE l.line = $2 AND {cond} ORDER BY p.created_at, p.id"
    )
}

// ---- the unit's record and its versions ----

/// A unit's summary-table record: status, version and choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// None until the unit first saves or submits.
    pub id: Option<SummaryId>,
    pub campaign_id: CampaignId,
    pub org_id: OrgId,
    pub status: Status,
    /// How many times it was submitted.
    pub version: i64,
    pub choices: Choices,
    /// When it was first submitted (timeliness is judged on this).
    pub first_submitted_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: SummaryId,
    org_id: OrgId,
    status: Status,
    version: i64,
    choices: String,
    first_submitted_at: Option<i64>,
    updated_at: i64,
}

impl RecordRow {
    fn into_record(self, campaign: CampaignId) -> Record {
        Record {
            id: Some(self.id),
            campaign_id: campaign,
            org_id: self.org_id,
            status: self.status,
            version: self.version,
            // Choices are written only by this module; unreadable ones (never
            // expected) fall back to the defaults rather than lock the unit out.
            choices: serde_json::from_str(&self.choices).unwrap_or_default(),
            first_submitted_at: self.first_submitted_at,
            updated_at: self.updated_at,
        }
    }
}

const RECORD_COLUMNS: &str =
    "SELECT id, org_id, status, version, choices, first_submitted_at, updated_at FROM summaries";

/// The unit's record (a fresh draft when it has none yet).
pub async fn record(db: &Db, campaign: CampaignId, org: OrgId) -> Result<Record, DbError> {
    let row: Option<RecordRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{RECORD_COLUMNS} WHERE campaign_id = $1 AND org_id = $2"
    )))
    .bind(campaign)
    .bind(org)
    .fetch_optional(db.pool())
    .await?;
    Ok(match row {
        Some(r) => r.into_record(campaign),
        None => Record {
            id: None,
            campaign_id: campaign,
            org_id: org,
            status: Status::Draft,
            version: 0,
            choices: Choices::default(),
            first_submitted_at: None,
            updated_at: 0,
        },
    })
}

/// The record of every unit of a campaign that has one.
pub async fn records(db: &Db, campaign: CampaignId) -> Result<HashMap<OrgId, Record>, DbError> {
    let rows: Vec<RecordRow> = sqlx::query_as(AssertSqlSafe(format!(
        "{RECORD_COLUMNS} WHERE campaign_id = $1"
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.org_id, r.into_record(campaign)))
        .collect())
}

/// Creates the unit's record if it has none; its id.
async fn ensure(
    tx: &mut Tx,
    campaign: CampaignId,
    org: OrgId,
    user: Option<UserId>,
) -> Result<SummaryId, DbError> {
    sqlx::query(
        "INSERT INTO summaries (campaign_id, org_id, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (campaign_id, org_id) DO NOTHING",
    )
    .bind(campaign)
    .bind(org)
    .bind(user)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    sqlx::query_scalar("SELECT id FROM summaries WHERE campaign_id = $1 AND org_id = $2")
        .bind(campaign)
        .bind(org)
        .fetch_one(&mut **tx)
        .await
}

/// Saves the unit's choices while the table is a draft or returned.
/// False when the table moved on meanwhile.
pub async fn save_choices(
    tx: &mut Tx,
    campaign: CampaignId,
    org: OrgId,
    user: UserId,
    choices: &Choices,
) -> Result<bool, DbError> {
    let id = ensure(tx, campaign, org, Some(user)).await?;
    let json = serde_json::to_string(choices).unwrap_or_else(|_| "{}".into());
    let done = sqlx::query(
        "UPDATE summaries SET choices = $1, updated_by = $2, updated_at = $3 \
         WHERE id = $4 AND status IN ('draft', 'returned')",
    )
    .bind(json)
    .bind(user)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The JSON of a frozen table and its SHA-256 (hex).
pub fn freeze(table: &SummaryTable) -> (String, String) {
    let json = serde_json::to_string(table).unwrap_or_default();
    let hash = hex::encode(sha2::Sha256::digest(json.as_bytes()));
    (json, hash)
}

/// How a submission went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// A new version was stored.
    New {
        summary: SummaryId,
        version: i64,
        late: bool,
    },
    /// The same submission arrived again (a retry): nothing was stored.
    AlreadyDone { version: i64 },
    /// The table is not in a state that can be submitted from `seen`.
    Stale,
}

/// Freezes `table` as version `seen + 1`, submitted by `by` (user, name, at).
/// `seen` is the version the unit was looking at: a retried submission finds
/// the version already there and stores nothing; the unique key (summary,
/// version) backs that up. Lateness is decided here, once, against `due_on`
/// (the campaign's report deadline now), and stored with that deadline.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    tx: &mut Tx,
    campaign: CampaignId,
    org: OrgId,
    seen: i64,
    table: &SummaryTable,
    choices: &Choices,
    by: (Option<UserId>, &str, i64),
    due_on: Day,
) -> Result<Submitted, DbError> {
    let (user, name, at) = by;
    let id = ensure(tx, campaign, org, user).await?;
    let choices_json = serde_json::to_string(choices).unwrap_or_else(|_| "{}".into());
    let moved = sqlx::query(
        "UPDATE summaries SET status = 'submitted', version = version + 1, choices = $1, \
         first_submitted_at = COALESCE(first_submitted_at, $2), updated_by = $3, updated_at = $2 \
         WHERE id = $4 AND version = $5 AND status IN ('draft', 'returned')",
    )
    .bind(choices_json)
    .bind(at)
    .bind(user)
    .bind(id)
    .bind(seen)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        let (status, version): (Status, i64) =
            sqlx::query_as("SELECT status, version FROM summaries WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        return Ok(
            if version == seen + 1 && matches!(status, Status::Submitted | Status::Accepted) {
                Submitted::AlreadyDone { version }
            } else {
                Submitted::Stale
            },
        );
    }
    let version = seen + 1;
    let late = super::workflow::is_late(at, due_on.end_timestamp());
    let (json, hash) = freeze(table);
    sqlx::query(
        "INSERT INTO summary_versions (summary_id, campaign_id, org_id, version, snapshot, content_hash, \
         submitted_by, submitter, submitted_at, late, due_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(id)
    .bind(campaign)
    .bind(org)
    .bind(version)
    .bind(json)
    .bind(hash)
    .bind(user)
    .bind(name)
    .bind(at)
    .bind(i64::from(late))
    .bind(due_on)
    .execute(&mut **tx)
    .await?;
    Ok(Submitted::New {
        summary: id,
        version,
        late,
    })
}

/// How a decision went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    /// Recorded now.
    Done,
    /// The version was already decided: a version is decided once, so
    /// nothing was recorded.
    Already(Decision),
    /// The version is not the one waiting for a decision.
    Stale,
}

/// Accepts (`reasons` None) or returns version `version` of the unit's table.
pub async fn decide(
    tx: &mut Tx,
    id: SummaryId,
    version: i64,
    reasons: Option<&ReturnReasons>,
    by: (Option<UserId>, &str, i64),
) -> Result<Decided, DbError> {
    let (to, decision) = match reasons {
        Some(_) => (Status::Returned, Decision::Returned),
        None => (Status::Accepted, Decision::Accepted),
    };
    let (user, name, at) = by;
    let moved = sqlx::query(
        "UPDATE summaries SET status = $1, updated_by = $2, updated_at = $3 \
         WHERE id = $4 AND version = $5 AND status = 'submitted'",
    )
    .bind(to)
    .bind(user)
    .bind(at)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    if moved.rows_affected() == 0 {
        let prior: Option<Option<Decision>> = sqlx::query_scalar(
            "SELECT decision FROM summary_versions WHERE summary_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut **tx)
        .await?;
        return Ok(match prior.flatten() {
            Some(d) => Decided::Already(d),
            None => Decided::Stale,
        });
    }
    let reasons_json = reasons.map(|r| serde_json::to_string(&r.cleaned()).unwrap_or_default());
    sqlx::query(
        "UPDATE summary_versions SET decision = $1, decided_by = $2, decider = $3, decided_at = $4, \
         reasons = $5 WHERE summary_id = $6 AND version = $7",
    )
    .bind(decision)
    .bind(user)
    .bind(name)
    .bind(at)
    .bind(reasons_json)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(Decided::Done)
}

/// A submitted version, frozen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SummaryVersion)]
pub struct Version {
    pub version: i64,
    /// The table as submitted.
    pub table: SummaryTable,
    /// SHA-256 of the stored snapshot.
    pub content_hash: String,
    /// Who submitted it.
    pub submitter: String,
    pub submitted_at: i64,
    /// Submitted after the report deadline (Beijing time): decided once, at
    /// submission, against `due_on`; never recomputed.
    pub late: bool,
    /// The report deadline in force when it was submitted.
    pub due_on: Option<Day>,
    /// None while the version waits for a decision.
    pub decision: Option<Decision>,
    pub decider: Option<String>,
    pub decided_at: Option<i64>,
    /// Why it was returned.
    pub reasons: Option<ReturnReasons>,
}

type VersionRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    Option<Day>,
    Option<Decision>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// Every version of the unit's table, oldest first; a snapshot is read as
/// stored, whatever happened to the records since.
pub async fn versions(db: &Db, id: SummaryId) -> Result<Vec<Version>, DbError> {
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT version, snapshot, content_hash, submitter, submitted_at, late, due_on, decision, \
         decider, decided_at, reasons FROM summary_versions WHERE summary_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for (
        version,
        snapshot,
        hash,
        submitter,
        at,
        late,
        due_on,
        decision,
        decider,
        decided_at,
        reasons,
    ) in rows
    {
        let table: SummaryTable = serde_json::from_str(&snapshot).map_err(|e| {
            DbError::Decode(format!("summary snapshot v{version} is unreadable: {e}").into())
        })?;
        out.push(Version {
            version,
            table,
            content_hash: hash,
            submitter,
            submitted_at: at,
            late: late != 0,
            due_on,
            decision,
            decider,
            decided_at,
            reasons: reasons.and_then(|r| serde_json::from_str(&r).ok()),
        });
    }
    Ok(out)
}

/// The stored snapshot text and hash of one version (for integrity checks).
pub async fn snapshot_text(
    db: &Db,
    id: SummaryId,
    version: i64,
) -> Result<Option<(String, String)>, DbError> {
    sqlx::query_as(
        "SELECT snapshot, content_hash FROM summary_versions WHERE summary_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(db.pool())
    .await
}

/// What is known of a unit's submissions without reading the snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The first submission's stored verdict (timeliness is judged on it).
    pub first_late: bool,
    /// The deadline that verdict was given against.
    pub first_due_on: Option<Day>,
    /// When the latest version was submitted.
    pub latest_at: i64,
}

/// The submission facts of every unit of a campaign that has submitted,
/// within `scope`: the stored verdict of its first version and the time of
/// its latest.
pub async fn facts(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, Facts>, DbError> {
    let rows: Vec<(OrgId, i64, i64, i64, Option<Day>)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT v.org_id, v.version, v.submitted_at, v.late, v.due_on FROM summary_versions v \
         WHERE v.campaign_id = $1 AND {} ORDER BY v.org_id, v.version",
        scope.sql("v.org_id")
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out: HashMap<OrgId, Facts> = HashMap::new();
    for (org, _version, at, late, due_on) in rows {
        // Ordered by version: the first row of an org is its first submission.
        out.entry(org)
            .and_modify(|f| f.latest_at = at)
            .or_insert_with(|| Facts {
                first_late: late != 0,
                first_due_on: due_on,
                latest_at: at,
            });
    }
    Ok(out)
}

/// The tables that count in the submitted roll-up, by unit, within `scope`:
/// each unit's latest version when it waits for a decision or was accepted,
/// as frozen, with its version number. A returned, draft or missing unit has
/// none.
pub async fn counted_tables(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, (i64, SummaryTable)>, DbError> {
    let rows: Vec<(OrgId, i64, String)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT v.org_id, v.version, v.snapshot FROM summary_versions v \
         JOIN summaries s ON s.id = v.summary_id AND s.version = v.version \
         WHERE v.campaign_id = $1 AND s.status IN ('submitted', 'accepted') AND {}",
        scope.sql("v.org_id")
    )))
    .bind(campaign)
    .fetch_all(db.pool())
    .await?;
    let mut out = HashMap::new();
    for (org, version, snapshot) in rows {
        let table: SummaryTable = serde_json::from_str(&snapshot).map_err(|e| {
            DbError::Decode(format!("summary snapshot v{version} is unreadable: {e}").into())
        })?;
        out.insert(org, (version, table));
    }
    Ok(out)
}
