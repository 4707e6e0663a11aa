//! Deterministic demo data modelled on seed 000: the Yangpu district federation
//! with its departments, industry, street and direct unions, about 200
//! grassroots unions, about 1,500 enterprises and users at each level; above
//! it the national tree of seed 002 (中华全国总工会 → 15 provincial
//! federations, 上海市总工会 the district's parent) with the stationing
//! programme and its questionnaire (see `stationing::demo`).

use std::fmt::Write;

use crate::{
    auth::{Role, password},
    db::{Db, OrgId, SurveyId, Tx},
    org::{OrgInput, store as orgs},
    user::{UserInput, store as users},
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "qingting2019";

/// A small deterministic generator (the same data on every machine and version).
pub struct Lcg(u64);

impl Lcg {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Lcg(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }

    /// One item of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const DEPARTMENTS: [(&str, &str); 6] = [
    ("BGS", "办公室"),
    ("ZZB", "组织部"),
    ("QYB", "权益保障部"),
    ("XJB", "宣传教育部"),
    ("JJB", "经济工作部"),
    ("CWB", "财务资产部"),
];

const INDUSTRIES: [(&str, &str); 7] = [
    ("JY", "教育工会"),
    ("WJ", "卫生健康工会"),
    ("JJ", "建设交通工会"),
    ("SM", "商贸服务业工会"),
    ("KJ", "科技园区工会"),
    ("JR", "金融工会"),
    ("WL", "物流快递行业工会"),
];

/// The twelve streets of Yangpu.
const STREETS: [(&str, &str); 12] = [
    ("DHL", "定海路街道"),
    ("PLL", "平凉路街道"),
    ("JPL", "江浦路街道"),
    ("SPL", "四平路街道"),
    ("KJL", "控江路街道"),
    ("CBXC", "长白新村街道"),
    ("YJXC", "延吉新村街道"),
    ("YH", "殷行街道"),
    ("DQ", "大桥街道"),
    ("WJC", "五角场街道"),
    ("XJWC", "新江湾城街道"),
    ("CHL", "长海路街道"),
];

const DIRECTS: [(&str, &str); 5] = [
    ("JG", "区级机关工会"),
    ("GZ", "区国资系统工会"),
    ("JYJ", "区教育局直属单位工会"),
    ("WJW", "区卫健委直属单位工会"),
    ("FDKJY", "复旦科技园工会联合会"),
];

const NAME_HEADS: [&str; 24] = [
    "华信", "申城", "东方", "滨江", "新江", "复兴", "杨树", "黄浦", "长江", "五角", "同济", "创智",
    "智汇", "恒通", "顺达", "明珠", "宏远", "汇丰", "金桥", "锦程", "安捷", "速达", "嘉和", "联创",
];
const NAME_TRADES: [&str; 12] = [
    "物流", "科技", "快递", "餐饮", "建设", "信息", "商贸", "网络", "运输", "医疗", "教育", "制造",
];
const NAME_TAILS: [&str; 4] = ["有限公司", "股份有限公司", "服务有限公司", "集团有限公司"];

/// Whether the database holds no orgs yet.
pub async fn is_empty(db: &Db) -> anyhow::Result<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orgs")
        .fetch_one(db.pool())
        .await?;
    Ok(n == 0)
}

pub(crate) async fn add_org(
    tx: &mut Tx,
    code: &str,
    name: &str,
    kind: &str,
    parent: Option<OrgId>,
    order: i64,
) -> anyhow::Result<OrgId> {
    let fields = OrgInput {
        code: Some(code.into()),
        name: Some(name.into()),
        kind: Some(kind.into()),
        display_order: Some(order.to_string()),
        ..Default::default()
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("demo org {code}: {e:?}"))?;
    orgs::insert(tx, &fields, parent)
        .await
        .map_err(|e| anyhow::anyhow!("demo org {code}: {e:?}"))
}

pub(crate) async fn add_user(
    tx: &mut Tx,
    username: &str,
    name: &str,
    org_code: &str,
    org: OrgId,
    role: Role,
    hash: &str,
) -> anyhow::Result<()> {
    let new = UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        org_code: Some(org_code.into()),
        password: Some(DEMO_PASSWORD.into()),
        role: Some(role.as_str().into()),
        ..Default::default()
    }
    // The demo password is fixed (and meets the default rules).
    .parse(&crate::auth::password::Policy::default())
    .map_err(|e| anyhow::anyhow!("demo user {username}: {e:?}"))?;
    users::insert(tx, &new, org, hash)
        .await
        .map_err(|e| anyhow::anyhow!("demo user {username}: {e:?}"))?;
    Ok(())
}

/// A grassroots union and the jurisdiction it sits in, for the enterprise generator.
pub struct DemoUnion {
    pub id: OrgId,
    pub parent: OrgId,
    pub name: String,
}

/// Loads the demo district. Refuses a database that already holds orgs.
pub async fn load(db: &Db) -> anyhow::Result<String> {
    if !is_empty(db).await? {
        anyhow::bail!(
            "the database already holds data; demo data goes only into an empty database"
        );
    }
    // One hash for every demo account: hashing is slow on purpose.
    let hash = password::hash(DEMO_PASSWORD.to_string()).await?;
    let mut rng = Lcg::new(2019);
    let mut tx = db.begin().await?;
    let national = crate::stationing::demo::national_tree(&mut tx, &hash).await?;
    let root = add_org(
        &mut tx,
        "YPQZGH",
        "上海市杨浦区总工会",
        "federation",
        Some(national.shanghai),
        0,
    )
    .await?;
    add_user(
        &mut tx,
        "admin",
        "区总工会管理员",
        "YPQZGH",
        root,
        Role::Admin,
        &hash,
    )
    .await?;
    add_user(
        &mut tx,
        "district.cadre",
        "区总工会干部",
        "YPQZGH",
        root,
        Role::Cadre,
        &hash,
    )
    .await?;
    add_user(
        &mut tx,
        "district.viewer",
        "区总工会查阅员",
        "YPQZGH",
        root,
        Role::Viewer,
        &hash,
    )
    .await?;
    for (i, (code, name)) in DEPARTMENTS.iter().enumerate() {
        add_org(
            &mut tx,
            &format!("YP-{code}"),
            name,
            "department",
            Some(root),
            i as i64 + 1,
        )
        .await?;
    }
    let mut units: Vec<(String, OrgId, &str)> = Vec::new();
    for (i, (code, name)) in INDUSTRIES.iter().enumerate() {
        let c = format!("YP-HY-{code}");
        let id = add_org(
            &mut tx,
            &c,
            &format!("杨浦区{name}"),
            "industry",
            Some(root),
            10 + i as i64,
        )
        .await?;
        units.push((c, id, name));
    }
    for (i, (code, name)) in STREETS.iter().enumerate() {
        let c = format!("YP-JD-{code}");
        let id = add_org(
            &mut tx,
            &c,
            &format!("{name}总工会"),
            "street",
            Some(root),
            30 + i as i64,
        )
        .await?;
        units.push((c, id, name));
    }
    for (i, (code, name)) in DIRECTS.iter().enumerate() {
        let c = format!("YP-ZS-{code}");
        let id = add_org(&mut tx, &c, name, "direct", Some(root), 50 + i as i64).await?;
        units.push((c, id, name));
    }
    let mut unions: Vec<DemoUnion> = Vec::new();
    let mut n = 0;
    for (code, id, _) in &units {
        let local = code.rsplit('-').next().unwrap_or("X").to_ascii_lowercase();
        add_user(
            &mut tx,
            &format!("{local}.admin"),
            &format!("{}管理员", short(code)),
            code,
            *id,
            Role::Admin,
            &hash,
        )
        .await?;
        add_user(
            &mut tx,
            &format!("{local}.cadre"),
            &format!("{}干部", short(code)),
            code,
            *id,
            Role::Cadre,
            &hash,
        )
        .await?;
        for _ in 0..9 {
            n += 1;
            if n > 200 {
                break;
            }
            let name = format!(
                "{}{}{}工会",
                rng.pick(&NAME_HEADS),
                rng.pick(&NAME_TRADES),
                rng.pick(&NAME_TAILS)
            );
            let ucode = format!("YP-JC-{n:04}");
            let uid = add_org(&mut tx, &ucode, &name, "grassroots", Some(*id), n).await?;
            unions.push(DemoUnion {
                id: uid,
                parent: *id,
                name,
            });
        }
    }
    let enterprises = crate::enterprise::demo::generate(
        &mut tx,
        &mut rng,
        &units.iter().map(|u| u.1).collect::<Vec<_>>(),
        &unions,
    )
    .await?;
    let campaigns = crate::campaign::demo::generate(&mut tx, root).await?;
    let (activities, problems) =
        crate::activity::demo::generate(&mut tx, &mut Lcg::new(20191021), root).await?;
    let mediation = crate::mediation::demo::generate(&mut tx, &mut Lcg::new(20191025)).await?;
    tx.commit().await?;
    let formation = crate::formation::demo::generate(db, root).await?;
    let services = crate::service::demo::generate(db, root).await?;
    // Tables are computed from committed records, like any unit's.
    let summaries = crate::summary::demo::generate(db, root).await?;
    let supervision = crate::supervision::demo::generate(db, root).await?;
    // The seed 002 programme, then its questionnaire with ~20,000 responses (bulk-inserted).
    let (programme, stationing) = crate::stationing::demo::generate(db, &national).await?;
    let survey = crate::survey::demo::generate(db, national.acftu, Some(programme)).await?;
    // The programme's 15 special reports: one by each work group's host
    // federation on its province's answers.
    let reports = {
        let survey_id: SurveyId =
            sqlx::query_scalar("SELECT MAX(id) FROM surveys WHERE org_id = $1")
                .bind(national.acftu)
                .fetch_one(db.pool())
                .await?;
        let groups: Vec<(OrgId, String)> = sqlx::query_as(
            "SELECT org_id, region FROM work_groups WHERE campaign_id = $1 ORDER BY id",
        )
        .bind(programme)
        .fetch_all(db.pool())
        .await?;
        let authors: Vec<(OrgId, &str)> = groups.iter().map(|(o, r)| (*o, r.as_str())).collect();
        crate::report::demo::generate(db, programme, survey_id, &authors).await?
    };
    let robots = crate::notify::demo::generate(db).await?;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Demo data loaded: the national federation and 15 provincial federations above 1 district federation, {} departments, {} industry, {} street and {} direct unions, {} grassroots unions, {} enterprises.",
        DEPARTMENTS.len(),
        INDUSTRIES.len(),
        STREETS.len(),
        DIRECTS.len(),
        unions.len(),
        enterprises
    );
    let _ = writeln!(out, "{campaigns}");
    let _ = writeln!(out, "{summaries}");
    let _ = writeln!(out, "{supervision}");
    let _ = writeln!(
        out,
        "Field records: {activities} activities and {problems} problems and suggestions."
    );
    let _ = writeln!(out, "{stationing}");
    let _ = writeln!(out, "{mediation}");
    let _ = writeln!(out, "{survey}");
    let _ = writeln!(out, "{formation}");
    let _ = writeln!(out, "{services}");
    let _ = writeln!(out, "{reports}");
    let _ = writeln!(out, "{robots}");
    out.push_str(&logins_text());
    Ok(out)
}

fn short(code: &str) -> &'static str {
    let local = code.rsplit('-').next().unwrap_or("");
    INDUSTRIES
        .iter()
        .chain(STREETS.iter())
        .chain(DIRECTS.iter())
        .find(|(c, _)| *c == local)
        .map(|(_, n)| *n)
        .unwrap_or("")
}

/// The demo logins, as printed by `serve --demo`.
pub fn logins_text() -> String {
    format!(
        "Demo logins (password for all: {DEMO_PASSWORD}):\n  \
         admin            区总工会管理员 (district admin)\n  \
         district.cadre   区总工会干部 (district cadre)\n  \
         district.viewer  区总工会查阅员 (district viewer, read only)\n  \
         dhl.admin        定海路街道 admin;  dhl.cadre  定海路街道 cadre\n  \
         pll.cadre        平凉路街道 cadre;  wl.cadre   物流快递行业工会 cadre\n  \
         (every industry, street and direct union has <code>.admin and <code>.cadre)\n{}",
        crate::stationing::demo::logins_text()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_generator_is_deterministic() {
        let mut a = super::Lcg::new(7);
        let mut b = super::Lcg::new(7);
        let xs: Vec<u64> = (0..20).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..20).map(|_| b.below(1000)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().any(|x| *x != xs[0]));
    }
}
