//! Demo activities and problems for the seed 000 campaign: a few hundred visits,
//! interviews and symposiums across the district between 21 October and 15
//! November 2019, and the problems heard there in every outcome — some passed
//! up to the district, some overdue, many with feedback to whoever raised them.

use super::{ActivityFields, ActivityKind, Composition};
use crate::{
    date::Day,
    db::{CampaignId, EnterpriseId, OrgId, ProblemId, Tx, UserId},
    demo::Lcg,
    enterprise::WorkerGroup,
    problem::{
        Channel, FeedbackFields, ProblemFields, Satisfaction, Source,
        lifecycle::{Action, Outcome},
        store::{self as problems, Actor, Origin},
    },
};

/// Problems people raise, by source: (topic, worker group, description).
const WORKER: [(&str, Option<&str>, &str); 14] = [
    (
        "safety",
        Some("food_delivery"),
        "骑手在商圈等餐时没有可以歇脚、喝水、充电的地方",
    ),
    (
        "wages",
        Some("food_delivery"),
        "平台配送费下调，恶劣天气补贴标准不透明",
    ),
    (
        "social_security",
        Some("courier"),
        "快递员多为劳务派遣，工伤保险缴纳不到位",
    ),
    (
        "wages",
        Some("courier"),
        "旺季加班多，加班费计算方式职工不清楚",
    ),
    (
        "safety",
        Some("truck_driver"),
        "货车司机长途驾驶休息不足，停车场收费高",
    ),
    (
        "organisation",
        Some("ride_hailing"),
        "网约车司机不知道如何加入工会",
    ),
    (
        "social_security",
        Some("ride_hailing"),
        "网约车司机希望参加职业伤害保障试点",
    ),
    (
        "wages",
        None,
        "一线职工工资多年未调整，希望开展工资集体协商",
    ),
    ("safety", None, "车间夏季高温，防暑降温措施不够"),
    ("ideology", None, "青年职工希望多开展技能培训和文体活动"),
    ("stability", None, "企业搬迁传闻较多，职工担心劳动关系变化"),
    ("other", None, "职工子女暑期无人看护，希望开办爱心暑托班"),
    ("social_security", None, "外来务工人员子女入学手续复杂"),
    (
        "other",
        Some("food_delivery"),
        "希望在站点附近设立职工食堂或优惠用餐点",
    ),
];
const ENTERPRISE: [(&str, Option<&str>, &str); 8] = [
    ("wages", None, "企业经营成本上升，希望工会协助申请稳岗补贴"),
    (
        "organisation",
        Some("courier"),
        "站点人员流动大，建会入会工作难以开展",
    ),
    ("social_security", None, "希望了解新就业形态人员参保政策"),
    (
        "safety",
        Some("food_delivery"),
        "企业希望与交警部门联合开展骑手交通安全培训",
    ),
    ("other", None, "企业希望工会协调解决职工停车难问题"),
    ("ideology", None, "企业希望工会帮助开展职工思想动态调查"),
    ("wages", None, "企业希望了解工资集体协商的程序和要点"),
    ("stability", None, "企业裁员需要工会参与做好职工安置沟通"),
];
const UNION: [(&str, Option<&str>, &str); 7] = [
    ("organisation", None, "基层工会经费紧张，活动阵地不足"),
    (
        "organisation",
        None,
        "兼职工会干部精力有限，希望加强业务培训",
    ),
    (
        "organisation",
        Some("food_delivery"),
        "希望上级工会指导建立骑手流动工会",
    ),
    ("other", None, "职工服务站点设施老化，需要更新"),
    ("ideology", None, "希望上级工会提供职工心理疏导资源"),
    ("social_security", None, "困难职工帮扶标准需要更新"),
    ("other", None, "希望上级工会统一提供法律援助律师对接"),
];
const NOTES: [&str; 6] = [
    "与企业负责人、工会主席座谈，了解企业用工和职工诉求。",
    "深入站点与一线职工面对面交流，发放工会服务联系卡。",
    "实地查看职工休息室和食堂，听取职工意见。",
    "召开职工代表座谈会，逐条记录意见建议。",
    "走访园区楼宇，宣传入会政策，收集问题清单。",
    "与新就业形态劳动者交流，了解工作时间和收入情况。",
];
const FEEDBACK: [&str; 4] = [
    "已将办理情况当面告知职工代表。",
    "电话告知反映人办理结果，并听取意见。",
    "在站点公示栏公布办理进展。",
    "通过微信群向职工反馈。",
];
const ACTIONS: [&str; 5] = [
    "已协调企业落实，职工表示认可。",
    "联系街道在商圈设立爱心驿站。",
    "组织法律服务律师上门解答。",
    "推动企业与职工开展协商，达成一致。",
    "纳入区总工会年度实事项目。",
];

/// One participating unit and what it records with.
struct Unit {
    id: OrgId,
    cadre: (UserId, String),
    enterprises: Vec<EnterpriseId>,
    grassroots: Vec<OrgId>,
}

async fn units(tx: &mut Tx) -> anyhow::Result<Vec<Unit>> {
    let ids: Vec<OrgId> = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE kind IN ('industry', 'street', 'direct') ORDER BY display_order, id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let mut out = Vec::new();
    for id in ids {
        let cadre: Option<(UserId, String)> = sqlx::query_as(
            "SELECT id, display_name FROM users WHERE org_id = $1 AND username LIKE '%.cadre' ORDER BY id LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(cadre) = cadre else { continue };
        let enterprises: Vec<EnterpriseId> =
            sqlx::query_scalar("SELECT id FROM enterprises WHERE org_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&mut **tx)
                .await?;
        let grassroots: Vec<OrgId> = sqlx::query_scalar(
            "SELECT id FROM orgs WHERE parent_id = $1 AND kind = 'grassroots' ORDER BY id",
        )
        .bind(id)
        .fetch_all(&mut **tx)
        .await?;
        out.push(Unit {
            id,
            cadre,
            enterprises,
            grassroots,
        });
    }
    Ok(out)
}

/// Noon in Beijing on a day, as epoch seconds (demo timestamps).
fn noon(d: Day) -> i64 {
    d.end_timestamp() - 12 * 3600
}

/// Inserts the demo activities and problems; returns (activities, problems).
pub async fn generate(
    tx: &mut Tx,
    rng: &mut Lcg,
    district: OrgId,
) -> anyhow::Result<(usize, usize)> {
    let campaign: Option<CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE doc_number = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind("杨工〔2019〕28号")
    .fetch_optional(&mut **tx)
    .await?;
    let units = units(tx).await?;
    let start = Day::from_ymd(2019, 10, 21).expect("a date");
    let today = Day::today();
    let district_actor = Actor {
        user: None,
        name: "区总工会权益保障部".into(),
    };
    let (mut n_activities, mut n_problems) = (0, 0);
    for (u, unit) in units.iter().enumerate() {
        let actor = Actor {
            user: Some(unit.cadre.0),
            name: unit.cadre.1.clone(),
        };
        let count = 9 + rng.below(8);
        for i in 0..count {
            let kind = match rng.below(10) {
                0..=4 => ActivityKind::EnterpriseVisit,
                5..=6 => ActivityKind::WorkerInterview,
                7..=8 => ActivityKind::Symposium,
                _ => ActivityKind::OnlineConsultation,
            };
            let held_on = start.plus_days(rng.below(26) as i64);
            let mut ents = Vec::new();
            if !unit.enterprises.is_empty() && kind != ActivityKind::OnlineConsultation {
                for _ in 0..1 + rng.below(2) {
                    let e = *rng.pick(&unit.enterprises);
                    if !ents.contains(&e) {
                        ents.push(e);
                    }
                }
            }
            let participants = if kind == ActivityKind::Symposium {
                8 + rng.below(20) as i64
            } else {
                0
            };
            // Most symposiums invite frontline workers; a few do not, and are flagged.
            let frontline = if participants > 0 && rng.below(8) > 0 {
                participants / 2
            } else {
                0
            };
            let f = ActivityFields {
                client_id: format!("demo-{u:02}-{i:02}-activity"),
                campaign,
                work_group: None,
                org_code: None,
                kind,
                held_on,
                place: None,
                enterprises: Vec::new(),
                new_enterprise: None,
                cadres: unit.cadre.1.clone(),
                others: None,
                workers_interviewed: match kind {
                    ActivityKind::EnterpriseVisit => 2 + rng.below(10) as i64,
                    ActivityKind::WorkerInterview => 5 + rng.below(25) as i64,
                    _ => 0,
                },
                participants,
                composition: Composition {
                    frontline_workers: frontline,
                    women_workers: participants / 3,
                    migrant_workers: participants / 4,
                    new_form_workers: if frontline > 0 { frontline / 2 } else { 0 },
                    enterprise_side: participants.min(2),
                    union_cadres: participants.min(3),
                },
                notes: Some(rng.pick(&NOTES).to_string()),
                problems: Vec::new(),
                union_flags: Vec::new(),
            };
            let Some(activity) = super::store::insert(tx, &f, unit.id, &ents, unit.cadre.0).await?
            else {
                continue;
            };
            let ts = noon(held_on);
            sqlx::query("UPDATE activities SET created_at = $1, updated_at = $1 WHERE id = $2")
                .bind(ts)
                .bind(activity)
                .execute(&mut **tx)
                .await?;
            n_activities += 1;
            for k in 0..rng.below(3) {
                let source = *rng.pick(&Source::ALL);
                let (topic, group, text) = *match source {
                    Source::Worker => rng.pick(&WORKER),
                    Source::Enterprise => rng.pick(&ENTERPRISE),
                    Source::Union => rng.pick(&UNION),
                };
                // Some problems come up through a grassroots union of the unit.
                let recorder = if source == Source::Union
                    && !unit.grassroots.is_empty()
                    && rng.below(2) == 0
                {
                    *rng.pick(&unit.grassroots)
                } else {
                    unit.id
                };
                let fields = ProblemFields {
                    source,
                    topic_code: topic.into(),
                    worker_group: group.and_then(WorkerGroup::parse),
                    description: text.into(),
                    raiser_name: (source == Source::Worker && rng.below(3) == 0).then(|| {
                        format!("{}师傅", rng.pick(&["王", "李", "张", "刘", "陈", "周"]))
                    }),
                    raiser_contact: (source == Source::Worker && rng.below(3) == 0)
                        .then(|| format!("139{:08}", rng.below(100_000_000))),
                    is_main: rng.below(5) == 0,
                    enterprise_id: ents.first().copied(),
                };
                let origin = Origin {
                    org: recorder,
                    client_id: format!("demo-{u:02}-{i:02}-p{k}"),
                    campaign,
                    activity: Some(activity),
                    user: Some(unit.cadre.0),
                    actor: unit.cadre.1.clone(),
                    public: false,
                };
                let Some(pid) = problems::insert(tx, &origin, &fields).await? else {
                    continue;
                };
                n_problems += 1;
                let escalate_from_union = recorder != unit.id;
                lifecycle(
                    tx,
                    rng,
                    pid,
                    unit.id,
                    district,
                    escalate_from_union,
                    today,
                    &actor,
                    &district_actor,
                )
                .await?;
                backdate(tx, pid, ts).await?;
            }
        }
    }
    Ok((n_activities, n_problems))
}

/// Walks a demo problem through a plausible part of its lifecycle.
#[allow(clippy::too_many_arguments)]
async fn lifecycle(
    tx: &mut Tx,
    rng: &mut Lcg,
    id: ProblemId,
    unit: OrgId,
    district: OrgId,
    from_union: bool,
    today: Day,
    actor: &Actor,
    district_actor: &Actor,
) -> anyhow::Result<()> {
    let solved_on = Day::from_ymd(2019, 11, 1)
        .expect("a date")
        .plus_days(rng.below(14) as i64);
    let solved = || Outcome::Solved {
        on: solved_on,
        note: ACTIONS[(solved_on.naive().ordinal0() as usize) % ACTIONS.len()].to_string(),
    };
    use chrono::Datelike;
    if from_union {
        problems::transition(
            tx,
            id,
            Action::Escalate {
                to: unit,
                reason: "需要街道（行业）工会协调解决".into(),
            },
            actor,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let roll = rng.below(100);
    let action = match roll {
        0..=39 => Some(Action::Decide(solved())),
        40..=54 => Some(Action::Decide(Outcome::InProgress {
            // Most deadlines lie ahead; a few have passed and show as overdue.
            deadline: if rng.below(5) == 0 {
                today.plus_days(-(3 + rng.below(20) as i64))
            } else {
                today.plus_days(10 + rng.below(90) as i64)
            },
            note: Some("已与企业商定解决方案，正在落实".into()),
        })),
        55..=64 => Some(Action::Decide(Outcome::Planned {
            on: if rng.below(6) == 0 {
                today.plus_days(-(5 + rng.below(30) as i64))
            } else {
                today.plus_days(30 + rng.below(150) as i64)
            },
            note: Some("列入明年工作计划".into()),
        })),
        65..=74 => Some(Action::Decide(Outcome::ForReference { note: None })),
        75..=86 => Some(Action::Escalate {
            to: district,
            reason: "涉及全区政策，需要区总工会协调相关部门".into(),
        }),
        _ => None,
    };
    let Some(action) = action else { return Ok(()) };
    let escalated = matches!(action, Action::Escalate { .. });
    problems::transition(tx, id, action, actor)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if escalated {
        // The district decides about half of what reaches it and returns a few.
        let next = match rng.below(10) {
            0..=4 => Some(Action::Decide(solved())),
            5 => Some(Action::Return {
                reason: "属街道职责范围，请街道先行协调".into(),
            }),
            _ => None,
        };
        if let Some(a) = next {
            problems::transition(tx, id, a, district_actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    } else if roll < 40 && rng.below(10) < 6 {
        let f = FeedbackFields {
            channel: *rng.pick(&Channel::ALL),
            body: rng.pick(&FEEDBACK).to_string(),
            given_on: solved_on.plus_days(1 + rng.below(5) as i64),
            satisfaction: Some(*rng.pick(&[
                Satisfaction::Satisfied,
                Satisfaction::Satisfied,
                Satisfaction::Basically,
                Satisfaction::Unsatisfied,
            ])),
        };
        problems::add_feedback(tx, id, unit, actor, &f).await?;
        if rng.below(2) == 0 {
            problems::transition(tx, id, Action::Close, actor)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(())
}

/// Moves a demo problem's timestamps into the campaign window, a day per step.
async fn backdate(tx: &mut Tx, id: ProblemId, ts: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE problems SET created_at = $1, updated_at = $1 WHERE id = $2")
        .bind(ts)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let events: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM problem_events WHERE problem_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    for (k, ev) in events.iter().enumerate() {
        sqlx::query("UPDATE problem_events SET created_at = $1 WHERE id = $2")
            .bind(ts + k as i64 * 2 * 86_400)
            .bind(ev)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("UPDATE problem_feedback SET created_at = $1 WHERE problem_id = $2")
        .bind(ts + 7 * 86_400)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
