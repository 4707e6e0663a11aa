//! Demo special reports: one per author org, each on the new-employment-form
//! workers of its region, citing the demo survey's analysis (filtered to the
//! region and a worker group), the author's problem summary and workers'
//! suggestions quoted from the survey. Most are submitted (some accepted),
//! one returned, one still a draft. Deterministic.
//!
//! Parameterised so the seed 002 programme can call it with its fifteen work
//! groups (`(group org, province)`); the district demo calls it with a few
//! streets.

use super::{
    AnalysisSpec, Body, Display, Element, Head, ProblemsSpec, ReportEventKind, Section, Status,
    SurveyQuotesSpec, VersionKind,
    compute::Computer,
    store::{self, By, Snapshot},
};
use crate::{
    db::{CampaignId, Db, OrgId, SurveyId, UserId},
    enterprise::WorkerGroup,
    i18n::Lang,
    survey::analysis::{self, Filter},
};

/// The worker groups the reports take in turn (seed 002's four groups).
const GROUPS: [WorkerGroup; 4] = [
    WorkerGroup::Courier,
    WorkerGroup::FoodDelivery,
    WorkerGroup::TruckDriver,
    WorkerGroup::RideHailing,
];

fn analysis(survey: SurveyId, q: &str, display: Display, group: &str, region: &str) -> Element {
    Element::Analysis(AnalysisSpec {
        display,
        group: Some(group.into()),
        region: (!region.is_empty()).then(|| region.to_string()),
        ..AnalysisSpec::new(survey, q)
    })
}

/// Creates one special report per `(author org, region)` in `campaign`,
/// citing `survey`: the region is the survey's stored region (a province,
/// e.g. `上海`), or empty for no region filter. Returns a line for the demo's
/// summary.
pub async fn generate(
    db: &Db,
    campaign: CampaignId,
    survey: SurveyId,
    authors: &[(OrgId, &str)],
) -> anyhow::Result<String> {
    let user: Option<(UserId, String)> =
        sqlx::query_as("SELECT id, display_name FROM users WHERE username = 'admin'")
            .fetch_optional(db.pool())
            .await?;
    let (user, actor) = user.ok_or_else(|| anyhow::anyhow!("demo reports: no admin user"))?;
    let due: String = sqlx::query_scalar("SELECT report_due_on FROM campaigns WHERE id = $1")
        .bind(campaign)
        .fetch_one(db.pool())
        .await?;
    let due = crate::date::Day::from_db(&due).unwrap_or_else(crate::date::Day::today);
    let survey_org: OrgId = sqlx::query_scalar("SELECT org_id FROM surveys WHERE id = $1")
        .bind(survey)
        .fetch_one(db.pool())
        .await?;
    let n = authors.len();
    let (mut submitted, mut returned, mut drafts) = (0, 0, 0);
    for (i, (org, region)) in authors.iter().enumerate() {
        let g = GROUPS[i % GROUPS.len()];
        let group = g.as_str();
        let org_name: String = sqlx::query_scalar("SELECT name FROM orgs WHERE id = $1")
            .bind(org)
            .fetch_one(db.pool())
            .await?;
        let place = if region.is_empty() {
            org_name.clone()
        } else {
            region.to_string()
        };
        let who = g.zh_name();
        // Three suggestions of this group (and region) to quote.
        let filter = Filter {
            group: Some(group.into()),
            region: (!region.is_empty()).then(|| region.to_string()),
            ..Default::default()
        };
        let quotes: Vec<_> = analysis::store::texts(db, survey, "suggestion", &filter, 0, 3)
            .await?
            .into_iter()
            .map(|a| a.response_id)
            .collect();
        let mut sections = vec![
            Section {
                heading: "一、调研基本情况".into(),
                text: format!(
                    "按照全总关于开展专题调查研究工作的通知要求，{org_name}于 5 月 29 日至 6 月 4 日通过线上问卷、实地走访和专题座谈，\
                     重点了解{place}{who}群体的工资收入、组织形式、劳动安全保护、社会保障、思想状况和社会稳定等情况。"
                ),
                elements: vec![analysis(survey, "income_change", Display::Chart, group, region)],
            },
            Section {
                heading: "二、收入和劳动保障".into(),
                text: format!(
                    "{who}的月收入和工作时长如下；多数人反映收入与去年相比没有明显增加，平台扣款和罚款是主要顾虑。"
                ),
                elements: vec![
                    analysis(survey, "monthly_income", Display::Table, group, region),
                    analysis(survey, "insurance", Display::Chart, group, region),
                ],
            },
            Section {
                heading: "三、组织形式和入会意愿".into(),
                text: format!("{who}对加入工会的态度如下，愿意和“看情况”的占多数，建会入会工作有较好基础。"),
                elements: vec![analysis(survey, "join_union", Display::Chart, group, region)],
            },
            Section {
                heading: "四、职工反映的主要问题".into(),
                text: "走访和问卷中职工反映的问题已逐条登记办理，办理情况如下；以下摘录职工的原话。".into(),
                elements: vec![Element::Problems(ProblemsSpec {
                    topic: None,
                    group: None,
                })],
            },
            Section {
                heading: "五、意见建议".into(),
                text: "一是推动平台企业建会入会，扩大新就业形态劳动者的组织覆盖；二是推动职业伤害保障试点；三是多建骑手驿站、司机之家等服务阵地。".into(),
                elements: Vec::new(),
            },
        ];
        if !quotes.is_empty() {
            sections[3]
                .elements
                .push(Element::SurveyQuotes(SurveyQuotesSpec {
                    survey_id: survey,
                    question: "suggestion".into(),
                    response_ids: quotes,
                }));
        }
        let body = Body { sections };
        let head = Head {
            title: format!("{place}{who}群体专题调研报告"),
            topic: None,
            worker_group: Some(g),
        };
        let mut tx = db.begin().await?;
        let (id, created) = store::insert(
            &mut tx,
            *org,
            campaign,
            &format!("demo-report-{i}"),
            &head,
            None,
            &body,
            Some(user),
        )
        .await?;
        let at0 = due.plus_days(-12).end_timestamp() - 40_000 + i as i64 * 3_600;
        let by = By {
            user: Some(user),
            name: &actor,
            at: at0,
        };
        if created {
            store::event(&mut tx, id, *org, ReportEventKind::Created, None, None, &by).await?;
        }
        tx.commit().await?;
        if !created {
            continue;
        }
        // The last report stays a draft; the others are submitted, one of
        // them a day late and one returned for more evidence.
        if i + 1 == n && n > 1 {
            drafts += 1;
            continue;
        }
        let report = store::get(db, &crate::auth::Scope::of(vec![*org]), id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo report vanished"))?;
        // Computed as the demo's actor, the national admin, reads them: the
        // author org and the survey's owner.
        let read = crate::auth::Scope::of(vec![*org, survey_org]);
        let figures = Computer::new(db, *org, campaign, read, Lang::Zh)
            .body(&report.body)
            .await?;
        let snap = Snapshot::of(&report, figures, Lang::Zh);
        let at = if i == 1 {
            due.plus_days(1).end_timestamp() - 20_000
        } else {
            due.plus_days(-3 + (i % 3) as i64).end_timestamp() - 30_000
        };
        let by = By {
            user: Some(user),
            name: &actor,
            at,
        };
        let late = crate::summary::workflow::is_late(at, due.end_timestamp());
        let mut tx = db.begin().await?;
        if let Some(v) = store::add_version(
            &mut tx,
            &report,
            0,
            "报送版",
            VersionKind::Submitted,
            &snap,
            &by,
            late,
        )
        .await?
        {
            store::set_status(
                &mut tx,
                id,
                &[Status::Draft],
                Status::Submitted,
                at,
                Some(late),
            )
            .await?;
            store::event(
                &mut tx,
                id,
                *org,
                ReportEventKind::Submitted,
                Some(v),
                None,
                &by,
            )
            .await?;
            let decided = By {
                at: at + 86_400,
                ..by
            };
            if i + 2 == n && n > 2 {
                store::set_status(
                    &mut tx,
                    id,
                    &[Status::Submitted],
                    Status::Returned,
                    decided.at,
                    None,
                )
                .await?;
                store::event(
                    &mut tx,
                    id,
                    *org,
                    ReportEventKind::Returned,
                    Some(v),
                    Some("请补充典型案例和职工原话，并核对收入数据的口径。"),
                    &decided,
                )
                .await?;
                returned += 1;
            } else {
                if i % 3 == 0 {
                    store::set_status(
                        &mut tx,
                        id,
                        &[Status::Submitted],
                        Status::Accepted,
                        decided.at,
                        None,
                    )
                    .await?;
                    store::event(
                        &mut tx,
                        id,
                        *org,
                        ReportEventKind::Accepted,
                        Some(v),
                        None,
                        &decided,
                    )
                    .await?;
                }
                submitted += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(format!(
        "Special reports: {n} ({submitted} submitted, {returned} returned, {drafts} draft)."
    ))
}
