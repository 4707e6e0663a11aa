//! Demo mediation cases for seed 000's "big mediation": about thirty labour
//! disputes received by the street unions' mediation committees of 杨浦区
//! between 21 October and 20 November 2019, linked to 杨工〔2019〕28号, in every
//! state — some still open past their fifteen days, agreements waiting for the
//! seal, money recovered — and a few made from problems heard on visits.

use super::{
    CaseFields, DisputeType, Intake, Worker,
    lifecycle::{Action, Recovery, Signatures},
    store::{self, Origin},
};
use crate::{
    date::Day,
    db::{CampaignId, EnterpriseId, OrgId, ProblemId, Tx, UserId},
    demo::Lcg,
    money::Fen,
};

/// (type, matter, claims, amount in yuan, agreed terms).
const DISPUTES: [(DisputeType, &str, &str, i64, &str); 10] = [
    (
        DisputeType::WageArrears,
        "公司拖欠2019年8月至9月工资，多次催讨未果",
        "支付拖欠工资",
        23_600,
        "被申请人于协议签订之日起十日内一次性支付申请人2019年8月至9月工资",
    ),
    (
        DisputeType::WageArrears,
        "物流站点撤并后，快递员9月份派件提成未结算",
        "结算并支付派件提成",
        8_450,
        "被申请人按站点台账核对派件量后结算提成\n双方确认无其他劳动报酬争议",
    ),
    (
        DisputeType::LabourContract,
        "入职满一年仍未签订书面劳动合同",
        "补签劳动合同并支付未签合同期间二倍工资差额",
        36_000,
        "被申请人与申请人补签无固定期限劳动合同\n被申请人支付二倍工资差额的百分之六十",
    ),
    (
        DisputeType::WorkInjury,
        "外卖骑手送餐途中摔伤，站点不认可工伤、拒绝垫付医疗费",
        "支付医疗费和停工留薪期工资",
        15_800,
        "被申请人垫付医疗费并协助申请人申报工伤认定\n停工留薪期工资按原工资标准按月支付",
    ),
    (
        DisputeType::SocialInsurance,
        "公司未按实际工资基数缴纳社会保险",
        "按实际工资补缴社会保险",
        12_345,
        "被申请人自2019年11月起按实际工资申报缴费基数\n对少缴部分由被申请人向社保经办机构申请补缴",
    ),
    (
        DisputeType::Dismissal,
        "公司以经营调整为由口头通知解除劳动合同，未支付经济补偿",
        "支付经济补偿金及代通知金",
        42_000,
        "双方同意于2019年11月30日解除劳动合同\n被申请人支付经济补偿金及一个月代通知金",
    ),
    (
        DisputeType::Dismissal,
        "试用期最后一天被辞退，公司未说明理由",
        "恢复劳动关系或支付赔偿金",
        9_800,
        "被申请人支付申请人半个月工资作为补偿\n申请人放弃恢复劳动关系的请求",
    ),
    (
        DisputeType::WageArrears,
        "加班费按最低工资基数计算，与实际工资不符",
        "补足加班工资差额",
        6_720,
        "被申请人按实际工资重新核算2019年以来加班工资并补足差额",
    ),
    (
        DisputeType::Other,
        "公司扣押职工职业资格证书不予退还",
        "退还证书",
        0,
        "被申请人于三日内退还申请人电工职业资格证书原件",
    ),
    (
        DisputeType::LabourContract,
        "劳务派遣工同工不同酬，年终奖发放标准不同",
        "按同岗位标准发放年终奖",
        18_000,
        "用工单位按同岗位标准的百分之八十发放2019年度年终奖",
    ),
];

const NAMES: [&str; 24] = [
    "张建国",
    "李秀英",
    "王志强",
    "刘桂兰",
    "陈海峰",
    "杨丽娟",
    "赵文斌",
    "黄春梅",
    "周晓东",
    "吴玉珍",
    "徐国庆",
    "孙丽萍",
    "马俊杰",
    "朱红霞",
    "胡永刚",
    "郭淑芬",
    "何建平",
    "高翠英",
    "林志明",
    "罗小燕",
    "郑伟",
    "梁晓红",
    "谢勇",
    "宋佳",
];
const MEDIATORS: [&str; 6] = ["陆建华", "沈美玲", "顾志刚", "钱惠芳", "金德明", "施雅琴"];
const EMPLOYERS: [&str; 6] = [
    "上海杨浦某物流有限公司",
    "上海某餐饮管理有限公司",
    "上海某建筑劳务有限公司",
    "上海某网络科技有限公司",
    "上海某物业管理有限公司",
    "上海某服装制造有限公司",
];
const FAIL_REASONS: [&str; 3] = [
    "用人单位不同意调解方案，双方对补偿金额差距较大",
    "被申请人经两次通知未到场参加调解",
    "申请人不接受分期支付方案",
];

/// A problem to make a case of: id, recording org, description, enterprise,
/// its name, and the problem's topic code.
type DemoProblem = (
    ProblemId,
    OrgId,
    String,
    Option<EnterpriseId>,
    Option<String>,
    String,
);

/// The streets whose committees received cases, with their cadre.
async fn streets(tx: &mut Tx) -> anyhow::Result<Vec<(OrgId, String, Option<UserId>, String)>> {
    let rows: Vec<(OrgId, String, Option<UserId>, Option<String>)> = sqlx::query_as(
        "SELECT o.id, o.name, u.id, u.display_name FROM orgs o \
         LEFT JOIN users u ON u.org_id = o.id AND u.username LIKE '%.cadre' \
         WHERE o.code LIKE 'YP-JD-%' ORDER BY o.code",
    )
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, user, actor)| {
            let actor = actor.unwrap_or_else(|| format!("{name}干部"));
            (id, name, user, actor)
        })
        .collect())
}

/// Loads the demo cases; returns a line for the demo summary.
pub async fn generate(tx: &mut Tx, rng: &mut Lcg) -> anyhow::Result<String> {
    let campaign: Option<CampaignId> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE doc_number = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind("杨工〔2019〕28号")
    .fetch_optional(&mut **tx)
    .await?;
    let streets = streets(tx).await?;
    if streets.is_empty() {
        return Ok(String::new());
    }
    // Problems about wages and social security heard on the streets' visits
    // and not yet solved: the worker's dispute goes to mediation.
    let problems: Vec<DemoProblem> =
        sqlx::query_as(
            "SELECT p.id, p.org_id, p.description, p.enterprise_id, e.name, t.code FROM problems p \
             JOIN topics t ON t.id = p.topic_id JOIN orgs o ON o.id = p.org_id \
             LEFT JOIN enterprises e ON e.id = p.enterprise_id \
             WHERE o.code LIKE 'YP-JD-%' AND p.source = 'worker' AND t.code IN ('wages', 'social_security') \
             AND (p.outcome IS NULL OR p.outcome IN ('in_progress', 'planned')) \
             ORDER BY p.id LIMIT 4",
        )
        .fetch_all(&mut **tx)
        .await?;
    let today = Day::today();
    let start = Day::from_ymd(2019, 10, 21).expect("a date");
    let all = Signatures {
        workers: true,
        employer: true,
        mediator: true,
        seal: true,
    };
    let (mut n, mut from_problems) = (0, 0);
    for i in 0..30usize {
        // Four cases come from problems heard on visits, received by the
        // street that recorded the problem.
        let problem = (i % 7 == 3).then(|| problems.get(from_problems)).flatten();
        let street = match problem {
            Some(p) => streets.iter().find(|s| s.0 == p.1),
            None => None,
        }
        .unwrap_or(&streets[i % streets.len()]);
        let (org, org_name, user, actor) = street;
        let (kind, matter, claims, yuan, terms) =
            DISPUTES[(i * 7 + rng.below(3) as usize) % DISPUTES.len()];
        let received_on = start.plus_days(rng.below(30) as i64);
        let mut workers = vec![Worker {
            name: rng.pick(&NAMES).to_string(),
            phone: Some(format!("139{:08}", rng.below(100_000_000))),
        }];
        if i % 5 == 0 {
            workers.push(Worker {
                name: rng.pick(&NAMES).to_string(),
                phone: None,
            });
        }
        let (matter, employer_ent, employer_name, problem_id) = match problem {
            Some((pid, _, desc, ent, ent_name, _)) => {
                from_problems += 1;
                (
                    desc.clone(),
                    *ent,
                    ent_name
                        .clone()
                        .unwrap_or_else(|| rng.pick(&EMPLOYERS).to_string()),
                    Some(*pid),
                )
            }
            None => (
                matter.to_string(),
                None,
                rng.pick(&EMPLOYERS).to_string(),
                None,
            ),
        };
        let intake = if i % 3 == 1 {
            Intake::Oral {
                applicant: format!(
                    "{}，{}，在被申请人处工作",
                    workers[0].name,
                    if i % 2 == 0 { "男" } else { "女" }
                ),
                reasons: format!("{claims}，多次与单位协商未果"),
                recorded_at: received_on.end_timestamp() - 8 * 3600 - (rng.below(6) as i64) * 1800,
            }
        } else {
            Intake::Written {
                applied_on: received_on.plus_days(-(rng.below(3) as i64)),
            }
        };
        let mediator = rng.pick(&MEDIATORS).to_string();
        let f = CaseFields {
            client_id: format!("demo-mediation-{i:02}"),
            org_code: None,
            campaign,
            problem: problem_id,
            intake,
            workers,
            employer_enterprise: employer_ent,
            employer_name: Some(employer_name.clone()),
            dispute_type: problem
                .map(|p| DisputeType::from_topic(&p.5))
                .unwrap_or(kind),
            matter,
            claims: Some(claims.to_string()),
            amount: Fen(yuan * 100 + if i % 4 == 0 { 50 } else { 0 }),
            committee_org: None,
            committee_name: None,
            mediator,
            received_on,
        };
        let origin = Origin {
            org: *org,
            committee_org: *org,
            committee_name: format!("{}劳动争议调解委员会", org_name.trim_end_matches("总工会")),
            employer_name,
            user: *user,
            actor: actor.clone(),
        };
        let Some(id) = store::insert(tx, &origin, &f).await? else {
            continue;
        };
        n += 1;
        let who = (*user, actor.as_str());
        let step = |d: i64| received_on.plus_days(d).min(today);
        // The fate of the case, spread over every state.
        let fate = i % 10;
        if fate == 0 {
            continue; // received, waiting (past its fifteen days by now)
        }
        store::transition(
            tx,
            id,
            Action::Begin {
                on: step(1 + rng.below(3) as i64),
            },
            who,
            today,
        )
        .await?;
        match fate {
            1 => {} // in mediation
            2..=5 => {
                let agreed = Fen(f.amount.0 * (60 + rng.below(41) as i64) / 100);
                let signed_on = step(5 + rng.below(9) as i64);
                let signatures = if fate == 5 {
                    Signatures {
                        workers: true,
                        employer: true,
                        ..Default::default()
                    }
                } else {
                    all
                };
                store::transition(
                    tx,
                    id,
                    Action::Agree {
                        signed_on,
                        terms: terms.to_string(),
                        amount: agreed,
                        signatures,
                    },
                    who,
                    today,
                )
                .await?;
                if fate <= 3 && agreed.0 > 0 {
                    let paid = if fate == 2 { agreed } else { Fen(agreed.0 / 2) };
                    store::transition(
                        tx,
                        id,
                        Action::Recover(Recovery {
                            amount: paid,
                            on: signed_on.plus_days(7 + rng.below(10) as i64).min(today),
                        }),
                        who,
                        today,
                    )
                    .await?;
                }
            }
            6 | 7 => {
                let on = step(8 + rng.below(6) as i64);
                store::transition(
                    tx,
                    id,
                    Action::Fail {
                        on,
                        reason: rng.pick(&FAIL_REASONS).to_string(),
                    },
                    who,
                    today,
                )
                .await?;
                if fate == 7 {
                    store::transition(
                        tx,
                        id,
                        Action::Transfer {
                            on: on.plus_days(3).min(today),
                            reason: Some("申请人向区劳动人事争议仲裁委员会申请仲裁".into()),
                        },
                        who,
                        today,
                    )
                    .await?;
                }
            }
            8 => {
                store::transition(
                    tx,
                    id,
                    Action::Withdraw {
                        on: step(4),
                        reason: Some("双方自行和解，申请人撤回调解申请".into()),
                    },
                    who,
                    today,
                )
                .await?;
            }
            _ => {
                // Fifteen days passed without agreement: the worker went to arbitration.
                store::transition(
                    tx,
                    id,
                    Action::Transfer {
                        on: step(17 + rng.below(4) as i64),
                        reason: Some("十五日内未达成调解协议".into()),
                    },
                    who,
                    today,
                )
                .await?;
            }
        }
    }
    Ok(format!(
        "Mediation: {n} labour-dispute cases in the street committees ({from_problems} from problems), in every state."
    ))
}
