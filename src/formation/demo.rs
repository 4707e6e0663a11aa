//! Demo union formation in the seed 000 district (杨浦): about 40 pipelines in
//! every stage (the first ones flagged by the demo's own enterprise visits),
//! about 10 unions founded into the org tree, members joined across worker
//! groups (new-employment-form groups included), and applications from join
//! pages, some waiting for a decision. Deterministic (`Lcg`), built through
//! the store functions so timelines and the tree are what the app would write.

use super::{
    ApplyFields, JoinFields, MemberGroup,
    lifecycle::{Action, Wish},
    store::{self, Actor, Founding, Opening},
};
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, Db, EnterpriseId, OrgId, UserId},
    demo::Lcg,
    org::OrgCode,
};

const STALL_REASONS: [&str; 4] = [
    "企业主要负责人对建会有顾虑，需进一步做工作",
    "职工流动性大，会员代表推选暂缓",
    "企业正在搬迁，待新址稳定后继续筹建",
    "筹备组成员离职，需重新确定人选",
];
const DROP_REASONS: [&str; 2] = ["企业已注销", "企业已迁出本区，移交属地工会"];
const NAMES: [&str; 12] = [
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄晓燕",
    "周强",
    "吴敏",
    "徐亮",
    "孙丽",
];
const EMPLOYERS: [(&str, MemberGroup); 5] = [
    ("美团外卖杨浦站", MemberGroup::FoodDelivery),
    ("饿了么五角场站", MemberGroup::FoodDelivery),
    ("顺丰速运杨浦营业部", MemberGroup::Courier),
    ("滴滴出行", MemberGroup::RideHailing),
    ("上海杨浦物流有限公司", MemberGroup::TruckDriver),
];

/// Loads the demo pipelines, members and applications; returns a summary line.
pub async fn generate(db: &Db, root: OrgId) -> anyhow::Result<String> {
    let mut rng = Lcg::new(2019_0311);
    let campaign: Option<CampaignId> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE doc_number = $1 ORDER BY id LIMIT 1")
            .bind("杨工〔2019〕28号")
            .fetch_optional(db.pool())
            .await?;
    let admin: Option<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
        .fetch_optional(db.pool())
        .await?;
    // Enterprise visits to enterprises without a union, in the order recorded.
    let visits: Vec<(ActivityId, OrgId, String, EnterpriseId)> = sqlx::query_as(
        "SELECT a.id, a.org_id, a.held_on, ae.enterprise_id FROM activities a \
         JOIN activity_enterprises ae ON ae.activity_id = a.id JOIN enterprises e ON e.id = ae.enterprise_id \
         WHERE a.kind = 'enterprise_visit' AND e.has_union = 0 ORDER BY a.id",
    )
    .fetch_all(db.pool())
    .await?;
    let others: Vec<(EnterpriseId, OrgId, String)> = sqlx::query_as(
        "SELECT e.id, e.org_id, e.credit_code FROM enterprises e WHERE e.has_union = 0 ORDER BY e.id",
    )
    .fetch_all(db.pool())
    .await?;
    let start = Day::from_ymd(2019, 10, 21).expect("a date");
    // (enterprise, tracking org, activity, flagged on)
    let mut picks: Vec<(EnterpriseId, OrgId, Option<ActivityId>, Day)> = Vec::new();
    for (a, org, held_on, e) in &visits {
        if picks.len() >= 14 {
            break;
        }
        if !picks.iter().any(|p| p.0 == *e) {
            let on = Day::from_db(held_on).unwrap_or(start);
            picks.push((*e, *org, Some(*a), on));
        }
    }
    let step = (others.len() / 30).max(1);
    for (e, org, _) in others.iter().step_by(step) {
        if picks.len() >= 40 {
            break;
        }
        if !picks.iter().any(|p| p.0 == *e) {
            picks.push((*e, *org, None, start.plus_days(rng.below(20) as i64)));
        }
    }
    let actor = Actor {
        user: None,
        name: "区总工会组织部".into(),
    };
    let mut founded: Vec<(OrgId, Day, EnterpriseId)> = Vec::new();
    let mut tx = db.begin().await?;
    for (i, (enterprise, org, activity, on)) in picks.iter().enumerate() {
        let wish = if rng.below(5) < 2 {
            Wish::WantsUnion
        } else {
            Wish::NoUnion
        };
        let opening = Opening {
            org: *org,
            enterprise: *enterprise,
            campaign,
            activity: *activity,
            client_id: None,
            wish,
            on: *on,
        };
        let (id, _) = store::open(&mut tx, &opening, &actor).await?;
        // Stages by position: founded, preparing, stalled (one resumed), dropped, flagged.
        match i % 8 {
            0 | 4 | 6 if founded.len() < 10 => {
                store::step(&mut tx, id, Action::Prepare, &actor).await?;
                let code: String =
                    sqlx::query_scalar("SELECT credit_code FROM enterprises WHERE id = $1")
                        .bind(*enterprise)
                        .fetch_one(&mut *tx)
                        .await?;
                let (name, jurisdiction): (String, OrgId) =
                    sqlx::query_as("SELECT name, org_id FROM enterprises WHERE id = $1")
                        .bind(*enterprise)
                        .fetch_one(&mut *tx)
                        .await?;
                let day = on.plus_days(14 + rng.below(30) as i64);
                let f = Founding {
                    on: day,
                    parent: jurisdiction,
                    name: format!("{name}工会委员会"),
                    code: OrgCode::parse("union_code", &format!("JC-{code}"))
                        .map_err(|e| anyhow::anyhow!("demo union code: {e:?}"))?,
                };
                let union = store::found(&mut tx, id, &f, &actor).await?;
                founded.push((union, day, *enterprise));
            }
            1 | 5 => {
                store::step(&mut tx, id, Action::Prepare, &actor).await?;
            }
            2 => {
                store::step(&mut tx, id, Action::Prepare, &actor).await?;
                let reason = (*rng.pick(&STALL_REASONS)).to_string();
                store::step(&mut tx, id, Action::Stall { reason }, &actor).await?;
                if rng.below(3) == 0 {
                    store::step(&mut tx, id, Action::Prepare, &actor).await?;
                }
            }
            7 if i % 16 == 7 => {
                let reason = (*rng.pick(&DROP_REASONS)).to_string();
                store::step(&mut tx, id, Action::Drop { reason }, &actor).await?;
            }
            _ => {}
        }
    }
    // Members joined in the new unions: employees, and new-employment-form
    // workers where the enterprise employs them.
    let mut n = 0;
    let mut members = 0;
    for (union, day, enterprise) in &founded {
        let groups = [MemberGroup::Employee, *rng.pick(&MemberGroup::ALL[1..])];
        for (k, group) in groups.iter().enumerate() {
            n += 1;
            let count = if *group == MemberGroup::Employee {
                20 + rng.below(100) as i64
            } else {
                3 + rng.below(25) as i64
            };
            members += count;
            let f = JoinFields {
                client_id: format!("demo-join-{n:04}"),
                org_code: None,
                enterprise: None,
                campaign,
                group: *group,
                members: count,
                joined_on: day.plus_days(k as i64 * 7 + rng.below(10) as i64),
                note: None,
            };
            store::insert_join(&mut tx, *union, Some(*enterprise), &f, admin).await?;
        }
    }
    // The logistics and courier industry union recruits new-form workers directly.
    let wl: Option<OrgId> = sqlx::query_scalar("SELECT id FROM orgs WHERE code = 'YP-HY-WL'")
        .fetch_optional(&mut *tx)
        .await?;
    let hubs: Vec<OrgId> = wl.into_iter().chain(std::iter::once(root)).collect();
    for (i, group) in [
        MemberGroup::Courier,
        MemberGroup::FoodDelivery,
        MemberGroup::TruckDriver,
        MemberGroup::RideHailing,
        MemberGroup::Domestic,
        MemberGroup::SecurityGuard,
    ]
    .iter()
    .enumerate()
    {
        n += 1;
        let count = 10 + rng.below(60) as i64;
        members += count;
        let f = JoinFields {
            client_id: format!("demo-join-{n:04}"),
            org_code: None,
            enterprise: None,
            campaign,
            group: *group,
            members: count,
            joined_on: start.plus_days(3 + i as i64 * 4),
            note: Some("集中入会活动".into()),
        };
        store::insert_join(&mut tx, hubs[0], None, &f, admin).await?;
    }
    // Join pages: the industry union and the first three new unions; some
    // applications confirmed, the rest waiting.
    let mut apps = 0;
    let mut pending = 0;
    let mut pages: Vec<OrgId> = hubs[..1].to_vec();
    pages.extend(founded.iter().take(3).map(|f| f.0));
    for (p, org) in pages.iter().enumerate() {
        store::ensure_link(&mut tx, *org, admin).await?;
        for k in 0..4 {
            apps += 1;
            let (employer, group) = *rng.pick(&EMPLOYERS);
            let f = ApplyFields {
                client_id: format!("demo-apply-{apps:04}"),
                name: (*rng.pick(&NAMES)).to_string(),
                phone: format!("139{:08}", 10_000_000 + rng.below(89_999_999)),
                group,
                employer: employer.to_string(),
            };
            store::submit_application(&mut tx, *org, &f).await?;
            if let Some(admin) = admin
                && (k + p) % 3 == 0
            {
                let id: i64 = sqlx::query_scalar(
                    "SELECT id FROM join_applications WHERE org_id = $1 AND client_id = $2",
                )
                .bind(*org)
                .bind(&f.client_id)
                .fetch_one(&mut *tx)
                .await?;
                store::decide(&mut tx, id, true, None, admin).await?;
                members += 1;
            } else {
                pending += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(format!(
        "Union formation: {} pipelines ({} unions founded), {members} members joined, {apps} join applications ({pending} pending).",
        picks.len(),
        founded.len()
    ))
}
