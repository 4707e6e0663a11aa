//! Demo services in the seed 000 district: about 40 practical things done by
//! the streets and industry unions during the campaign — assistance, legal
//! aid, competitions, cultural activities, condolence visits — some recorded
//! with the demo's service activities. Deterministic (`Lcg`).

use super::{ServiceFields, ServiceKind, store};
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, Db, OrgId, UserId},
    demo::Lcg,
    formation::MemberGroup,
    money::Fen,
};

/// (kind, what was done, for whom, group, amount range in yuan)
const TEMPLATES: [(ServiceKind, &str, &str, Option<MemberGroup>, u64); 10] = [
    (
        ServiceKind::Hardship,
        "为困难职工家庭发放帮扶金和生活物资",
        "辖区困难职工家庭",
        Some(MemberGroup::Employee),
        2_000,
    ),
    (
        ServiceKind::Hardship,
        "为患重病职工申请大病救助",
        "患重病职工",
        Some(MemberGroup::Employee),
        5_000,
    ),
    (
        ServiceKind::LegalAid,
        "工会法律援助律师为骑手讲解劳动合同和工伤保险",
        "外卖配送员",
        Some(MemberGroup::FoodDelivery),
        0,
    ),
    (
        ServiceKind::LegalAid,
        "协助快递员追讨被拖欠的工资",
        "快递员",
        Some(MemberGroup::Courier),
        0,
    ),
    (
        ServiceKind::Competition,
        "举办快递员职业技能竞赛",
        "快递员",
        Some(MemberGroup::Courier),
        3_000,
    ),
    (
        ServiceKind::Competition,
        "组织货车司机安全驾驶技能比武",
        "货车司机",
        Some(MemberGroup::TruckDriver),
        2_500,
    ),
    (
        ServiceKind::Culture,
        "在职工驿站举办观影和茶话会",
        "户外劳动者",
        Some(MemberGroup::Other),
        800,
    ),
    (
        ServiceKind::Culture,
        "组织职工健步走和趣味运动会",
        "企业职工",
        Some(MemberGroup::Employee),
        1_500,
    ),
    (
        ServiceKind::Condolence,
        "高温天气走访慰问一线户外职工，送清凉饮品",
        "环卫工人和外卖骑手",
        Some(MemberGroup::FoodDelivery),
        1_200,
    ),
    (
        ServiceKind::Condolence,
        "走访慰问节日坚守岗位的网约车司机",
        "网约车司机",
        Some(MemberGroup::RideHailing),
        1_000,
    ),
];

/// Loads the demo services; returns a summary line.
pub async fn generate(db: &Db, root: OrgId) -> anyhow::Result<String> {
    let mut rng = Lcg::new(2019_0412);
    let campaign: Option<CampaignId> =
        sqlx::query_scalar("SELECT id FROM campaigns WHERE doc_number = $1 ORDER BY id LIMIT 1")
            .bind("杨工〔2019〕28号")
            .fetch_optional(db.pool())
            .await?;
    let admin: Option<UserId> = sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'")
        .fetch_optional(db.pool())
        .await?;
    let Some(admin) = admin else {
        return Ok(String::new());
    };
    // The district's industry, street and direct unions do the services.
    let units: Vec<OrgId> = sqlx::query_scalar(
        "SELECT id FROM orgs WHERE parent_id = $1 AND kind <> 'department' ORDER BY sort_key",
    )
    .bind(root)
    .fetch_all(db.pool())
    .await?;
    let start = Day::from_ymd(2019, 10, 21).expect("a date");
    let mut tx = db.begin().await?;
    // Eight service activities (办实事), each carrying the first records.
    let mut activities: Vec<(ActivityId, OrgId, String, String)> = Vec::new();
    for i in 0..8 {
        let org = units[(i * 3) % units.len()];
        let held_on = start.plus_days(2 + i as i64 * 3);
        let f = crate::activity::ActivityFields {
            client_id: format!("demo-service-activity-{i:02}"),
            campaign,
            work_group: None,
            org_code: None,
            kind: crate::activity::ActivityKind::Service,
            held_on,
            place: None,
            enterprises: Vec::new(),
            new_enterprise: None,
            cadres: "工会干部".into(),
            others: None,
            workers_interviewed: 0,
            participants: 0,
            composition: Default::default(),
            notes: Some("为职工办实事".into()),
            problems: Vec::new(),
            union_flags: Vec::new(),
        };
        if let Some(id) = crate::activity::store::insert(&mut tx, &f, org, &[], admin).await? {
            activities.push((id, org, held_on.iso(), f.cadres.clone()));
        }
    }
    let mut amount = Fen(0);
    let n = 40;
    for i in 0..n {
        let (kind, what, whom, group, base) = TEMPLATES[rng.below(TEMPLATES.len() as u64) as usize];
        let (org, activity, served_on, cadres) = match activities.get(i) {
            Some((a, org, held_on, cadres)) => (
                *org,
                Some(*a),
                Day::from_db(held_on).unwrap_or(start),
                cadres.clone(),
            ),
            None => (
                units[rng.below(units.len() as u64) as usize],
                None,
                start.plus_days(rng.below(26) as i64),
                "工会干部".to_string(),
            ),
        };
        let fen = if base == 0 {
            Fen(0)
        } else {
            Fen((base + rng.below(base)) as i64 * 100)
        };
        amount += fen;
        let f = ServiceFields {
            client_id: format!("demo-service-{i:03}"),
            org_code: None,
            campaign,
            activity,
            kind,
            description: what.to_string(),
            cadres,
            beneficiary: whom.to_string(),
            group,
            workers: 5 + rng.below(60) as i64,
            amount_fen: fen,
            served_on,
        };
        store::insert(&mut tx, org, &f, admin).await?;
    }
    tx.commit().await?;
    Ok(format!(
        "Services: {n} records ({} with a service activity), {} yuan.",
        activities.len().min(n),
        amount.yuan()
    ))
}
