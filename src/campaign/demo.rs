//! The demo campaigns of seed 000: the 2018 campaign (closed) and the 2019
//! notice 杨工〔2019〕28号 copied from it (active), with every industry,
//! street and direct union taking part, their plans in every state, and a
//! sample of field records so the progress table has numbers. Deterministic.

use super::{
    CampaignFields, CampaignStatus, Targets,
    plan::{Milestone, PlanAction, PlanContent, PlanStatus},
    store,
};
use crate::{
    date::Day,
    db::{CampaignId, OrgId, Tx},
};

/// The body of the 2019 notice (杨工〔2019〕28号), abridged.
pub const NOTICE_2019: &str = "各行业、街道、直属工会，区总工会机关各部室：

根据区委《关于进一步深化拓展“一线工作法”推进大调研常态化制度化的实施意见》（杨委发〔2019〕3号）和《上海市总工会关于坚持大调研常态化制度化做好2019年调查研究工作的通知》（沪工总研〔2019〕30号）精神，紧密结合“不忘初心、牢记使命”主题教育要求，以务实的工作作风更广泛地凝聚职工、引导职工、服务职工，确保各项工作任务精准落地，区总工会决定在全区工会组织中持续开展“大走访、大调解、大服务”活动，现就有关事项通知如下。

一、目标任务
（一）要让干部经常走下去成为自觉和习惯。深入园区、楼宇、企事业单位，深入到一线职工中，采取座谈访谈、问卷调查、网上征询等多种形式，零距离倾听企业和职工的声音。
（二）要形成常态化解决问题的机制。明确解决问题的路线图和时间表，形成分级分层发现、汇总、解决、反馈机制和调研成果的转化机制。
（三）要以务实作风更好推动工会改革创新。

二、时间安排
10月下旬至11月中旬。

三、活动要求
（一）要高度重视。
（二）要抓好落实。各行业、街道、直属工会要制定活动实施方案，明确目标任务和时间节点，提高活动针对性。活动中，要做好走访记录；活动后，要及时总结分析，切实解决问题。
（三）要改进作风。对需要上级工会组织协调解决的意见建议，应当及时梳理汇总上报到区总工会；对一时无法解决需要长期跟进的意见建议，要列出时间表，适时予以解决。

各行业、街道、直属工会梳理走访情况后，将附件于11月15日前报区总工会办公室。

附件：各行业、街道、直属工会“大走访、大调解、大服务”情况汇总表

上海市杨浦区总工会
2019年10月21日";

const NOTICE_2018: &str = "各行业、街道、直属工会：

为深入贯彻落实区委关于大兴调查研究之风的部署，区总工会决定在全区工会组织中开展“大走访、大调解、大服务”活动。各单位要深入企业和职工，倾听呼声、解决问题，并于11月16日前报送情况汇总表。

上海市杨浦区总工会";

fn d(s: &str) -> anyhow::Result<Day> {
    Day::parse_str(s).ok_or_else(|| anyhow::anyhow!("demo date {s}"))
}

/// Targets by kind of unit; 五角场街道 (the largest) is given more.
fn targets(kind: &str, code: &str) -> Targets {
    if code == "YP-JD-WJC" {
        return Targets {
            enterprises: 30,
            interviews: 150,
            symposiums: 4,
            problems: 15,
        };
    }
    match kind {
        "street" => Targets {
            enterprises: 20,
            interviews: 100,
            symposiums: 3,
            problems: 10,
        },
        "industry" => Targets {
            enterprises: 10,
            interviews: 50,
            symposiums: 2,
            problems: 5,
        },
        _ => Targets {
            enterprises: 8,
            interviews: 40,
            symposiums: 2,
            problems: 4,
        },
    }
}

struct DemoUnit {
    id: OrgId,
    code: String,
    name: String,
    kind: String,
}

async fn add_campaign(
    tx: &mut Tx,
    root: OrgId,
    f: &CampaignFields,
    status: CampaignStatus,
    copied_from: Option<CampaignId>,
    units: &[DemoUnit],
) -> anyhow::Result<CampaignId> {
    let id = store::insert(tx, root, f, status, copied_from, None).await?;
    let with_targets: Vec<(OrgId, Targets)> = units
        .iter()
        .map(|u| (u.id, targets(&u.kind, &u.code)))
        .collect();
    store::set_units(tx, id, &with_targets).await?;
    Ok(id)
}

fn plan_content(u: &DemoUnit, t: Targets, f: &CampaignFields, extra: i64) -> PlanContent {
    PlanContent {
        summary: format!(
            "{}：成立活动领导小组，班子成员分片包干，深入辖区园区、楼宇和企事业单位开展走访；\
             座谈会覆盖一线职工和新就业形态劳动者；问题建立台账，能解决的及时解决，\
             需要上级协调的及时上报区总工会。",
            u.name
        ),
        target_enterprises: t.enterprises + extra,
        target_interviews: t.interviews + extra * 5,
        target_symposiums: t.symposiums,
        milestones: vec![
            Milestone {
                title: "动员部署，制定走访计划".into(),
                due_on: f.starts_on.plus_days(4),
            },
            Milestone {
                title: "走访企业、访谈职工、召开座谈会".into(),
                due_on: f.ends_on.plus_days(-10),
            },
            Milestone {
                title: "梳理汇总问题，落实解决".into(),
                due_on: f.ends_on.plus_days(-3),
            },
            Milestone {
                title: "报送情况汇总表".into(),
                due_on: f.report_due_on,
            },
        ],
    }
}

/// Files a plan through the given moves (each submit bumps the version).
async fn add_plan(
    tx: &mut Tx,
    campaign: CampaignId,
    u: &DemoUnit,
    content: &PlanContent,
    moves: &[PlanAction],
) -> anyhow::Result<()> {
    let pid = store::save_plan(tx, campaign, u.id, None, content).await?;
    let mut status = PlanStatus::Draft;
    let mut version = 0;
    for m in moves {
        status = super::plan::transition(status, m)
            .map_err(|e| anyhow::anyhow!("demo plan {}: {e:?}", u.code))?;
        let actor = match m {
            PlanAction::Submit => {
                version += 1;
                format!("{}干部", u.name)
            }
            _ => "区总工会管理员".to_string(),
        };
        store::record_move(tx, pid, u.id, status, version, m, (None, &actor), content).await?;
    }
    Ok(())
}

/// Loads the demo campaigns under the district `root`. Returns a summary line.
pub async fn generate(tx: &mut Tx, root: OrgId) -> anyhow::Result<String> {
    let rows: Vec<(OrgId, String, String, String)> = sqlx::query_as(
        "SELECT id, code, name, kind FROM orgs WHERE parent_id = $1 AND kind IN ('industry', 'street', 'direct') \
         ORDER BY display_order, sort_key, id",
    )
    .bind(root)
    .fetch_all(&mut **tx)
    .await?;
    let units: Vec<DemoUnit> = rows
        .into_iter()
        .map(|(id, code, name, kind)| DemoUnit {
            id,
            code,
            name,
            kind,
        })
        .collect();
    let f2018 = CampaignFields {
        kind: super::CampaignKind::Campaign,
        issuer: None,
        title: "关于开展“大走访、大调解、大服务”活动的通知".into(),
        doc_number: Some("杨工〔2018〕31号".into()),
        theme: Some("大走访、大调解、大服务".into()),
        notice: Some(NOTICE_2018.into()),
        starts_on: d("2018-10-22")?,
        ends_on: d("2018-11-16")?,
        report_due_on: d("2018-11-16")?,
        units: None,
    };
    let c2018 = add_campaign(tx, root, &f2018, CampaignStatus::Closed, None, &units).await?;
    let f2019 = CampaignFields {
        kind: super::CampaignKind::Campaign,
        issuer: None,
        title: "关于坚持大调研常态化制度化继续开展“大走访、大调解、大服务”活动的通知".into(),
        doc_number: Some("杨工〔2019〕28号".into()),
        theme: Some("大走访、大调解、大服务".into()),
        notice: Some(NOTICE_2019.into()),
        starts_on: d("2019-10-21")?,
        ends_on: d("2019-11-15")?,
        report_due_on: d("2019-11-15")?,
        units: None,
    };
    let c2019 = add_campaign(
        tx,
        root,
        &f2019,
        CampaignStatus::Active,
        Some(c2018),
        &units,
    )
    .await?;
    // 2018: every plan accepted.
    for u in &units {
        let t = targets(&u.kind, &u.code);
        let content = plan_content(u, t, &f2018, 0);
        add_plan(
            tx,
            c2018,
            u,
            &content,
            &[PlanAction::Submit, PlanAction::Accept],
        )
        .await?;
    }
    // 2019: most accepted; 定海路 returned once and resubmitted; some waiting,
    // some still drafts, some not started.
    let mut counts = [0usize; 5];
    for (i, u) in units.iter().enumerate() {
        let t = targets(&u.kind, &u.code);
        let content = plan_content(u, t, &f2019, (i % 3) as i64);
        if u.code == "YP-JD-DHL" {
            let first = PlanContent {
                target_enterprises: t.enterprises - 8,
                ..content.clone()
            };
            let pid = store::save_plan(tx, c2019, u.id, None, &first).await?;
            let cadre = format!("{}干部", u.name);
            store::record_move(
                tx,
                pid,
                u.id,
                PlanStatus::Submitted,
                1,
                &PlanAction::Submit,
                (None, &cadre),
                &first,
            )
            .await?;
            store::record_move(
                tx,
                pid,
                u.id,
                PlanStatus::Returned,
                1,
                &PlanAction::Return(
                    "走访企业数低于区总工会下达的目标（20家），请补充辖区楼宇和园区企业后重新报送。"
                        .into(),
                ),
                (None, "区总工会管理员"),
                &first,
            )
            .await?;
            store::save_plan(tx, c2019, u.id, Some(pid), &content).await?;
            store::record_move(
                tx,
                pid,
                u.id,
                PlanStatus::Submitted,
                2,
                &PlanAction::Submit,
                (None, &cadre),
                &content,
            )
            .await?;
            counts[1] += 1;
            continue;
        }
        let moves: &[PlanAction] = match i % 8 {
            6 => {
                counts[3] += 1;
                &[]
            }
            7 => {
                counts[4] += 1;
                continue;
            }
            3 => {
                counts[1] += 1;
                &[PlanAction::Submit]
            }
            _ => {
                counts[0] += 1;
                &[PlanAction::Submit, PlanAction::Accept]
            }
        };
        add_plan(tx, c2019, u, &content, moves).await?;
    }
    // The plans were filed in each campaign's first days, not when the demo
    // was generated: half an hour apart in the order they happened.
    for (c, f) in [(c2018, &f2018), (c2019, &f2019)] {
        let start = f.starts_on.plus_days(1).end_timestamp() - 15 * 3600;
        sqlx::query(
            "UPDATE plan_events SET created_at = $1 + 1800 * (id - (SELECT MIN(e.id) FROM plan_events e \
             JOIN plans p ON p.id = e.plan_id WHERE p.campaign_id = $2)) \
             WHERE plan_id IN (SELECT id FROM plans WHERE campaign_id = $2)",
        )
        .bind(start)
        .bind(c)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "UPDATE plans SET updated_at = COALESCE((SELECT MAX(e.created_at) FROM plan_events e \
             WHERE e.plan_id = plans.id), $1) WHERE campaign_id = $2",
        )
        .bind(start)
        .bind(c)
        .execute(&mut **tx)
        .await?;
    }
    Ok(format!(
        "2 campaigns (2018 closed, 2019 杨工〔2019〕28号 active, {} units): 2019 plans {} accepted, {} awaiting review (1 returned and resubmitted), {} drafts, {} not started.",
        units.len(),
        counts[0],
        counts[1],
        counts[3],
        counts[4],
    ))
}
