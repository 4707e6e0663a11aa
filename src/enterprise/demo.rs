//! Deterministic demo enterprises: 1,500 in Yangpu (division code 310110),
//! spread over the industry, street and direct unions, about 30% without a
//! union and about a quarter employing new-employment-form workers (mostly in
//! logistics, express delivery and food delivery, and in the streets).

use std::collections::{HashMap, HashSet};

use sqlx::AssertSqlSafe;

use super::{CreditCode, EnterpriseFields, INDUSTRIES, WorkerGroup, store};
use crate::{
    db::{OrgId, Tx},
    demo::{DemoUnion, Lcg},
    org::Phone,
};

/// How many enterprises the demo holds.
const COUNT: usize = 1500;

/// The 31 characters of a credit code.
const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

const HEADS: [&str; 64] = [
    "华信", "申城", "东方", "滨江", "新江", "复兴", "杨树", "黄浦", "长江", "五角", "同济", "创智",
    "智汇", "恒通", "顺达", "明珠", "宏远", "汇丰", "金桥", "锦程", "安捷", "速达", "嘉和", "联创",
    "通达", "远航", "佳华", "鼎盛", "德润", "瑞丰", "华东", "浦江", "江湾", "新华", "中原", "海纳",
    "凯旋", "永乐", "丰源", "天佑", "鸿运", "盛世", "博远", "晨光", "启明", "致远", "恒瑞", "宝隆",
    "沪东", "国和", "长海", "殷行", "隆昌", "兰州", "万科", "绿洲", "星河", "蓝海", "银河", "合力",
    "正和", "新城", "弘毅", "惠民",
];

/// Name cores per industry (same order as [`INDUSTRIES`]).
const CORES: [&[&str]; 10] = [
    &[
        "物流",
        "货运",
        "供应链管理",
        "运输",
        "冷链物流",
        "仓储服务",
        "国际货运代理",
    ],
    &["快递", "速递", "快运", "同城配送", "物流配送"],
    &["餐饮管理", "餐饮", "食品", "外卖配送服务", "快餐", "美食"],
    &[
        "机械",
        "电子科技",
        "精密制造",
        "纺织",
        "包装材料",
        "汽车配件",
        "电气设备",
    ],
    &[
        "信息技术",
        "网络科技",
        "软件",
        "数据科技",
        "智能科技",
        "互联网科技",
    ],
    &["商贸", "贸易", "超市", "便利店", "百货", "医药连锁"],
    &["建设工程", "建筑装饰", "市政工程", "建筑劳务", "安装工程"],
    &["教育科技", "培训", "文化传播"],
    &["医疗", "健康管理", "医疗器械"],
    &[
        "投资管理",
        "融资租赁",
        "保险代理",
        "资产管理",
        "金融信息服务",
    ],
];
const TAILS: [&str; 5] = [
    "有限公司",
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "集团有限公司",
];

/// Public institutions (事业单位) of education and health: place, then kind.
const PLACES: [&str; 16] = [
    "控江",
    "平凉",
    "延吉",
    "定海",
    "长白",
    "殷行",
    "五角场",
    "新江湾",
    "四平",
    "江浦",
    "大桥",
    "长海",
    "国和",
    "打虎山",
    "鞍山",
    "包头",
];
const SCHOOLS: [&str; 5] = ["小学", "中学", "初级中学", "幼儿园", "职业技术学校"];
const CLINICS: [&str; 3] = ["社区卫生服务中心", "医院", "护理院"];

/// Roads of each street (matched on the street's name); the rest of Yangpu otherwise.
const ROADS: [(&str, &[&str]); 12] = [
    ("定海路", &["定海路", "隆昌路", "黎平路", "军工路"]),
    ("平凉路", &["平凉路", "许昌路", "杭州路", "眉州路"]),
    ("江浦路", &["江浦路", "辽源西路", "兰州路", "昆明路"]),
    ("四平路", &["四平路", "鞍山路", "抚顺路", "阜新路"]),
    ("控江路", &["控江路", "凤城路", "双阳路", "靖宇南路"]),
    ("长白新村", &["长白路", "延吉东路", "安图路", "包头路"]),
    (
        "延吉新村",
        &["延吉西路", "延吉中路", "靖宇中路", "松花江路"],
    ),
    ("殷行", &["殷行路", "开鲁路", "嫩江路", "市光路"]),
    ("大桥", &["长阳路", "临青路", "宁国路", "通北路"]),
    ("五角场", &["国定路", "政通路", "邯郸路", "淞沪路"]),
    ("新江湾城", &["国权北路", "政立路", "殷行路", "新江湾城路"]),
    ("长海路", &["长海路", "国和路", "政民路", "民京路"]),
];
const ALL_ROADS: [&str; 12] = [
    "国定路",
    "政立路",
    "淞沪路",
    "长阳路",
    "平凉路",
    "控江路",
    "殷行路",
    "军工路",
    "黄兴路",
    "大连路",
    "周家嘴路",
    "营口路",
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "沈",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "建国", "海燕", "志强",
    "秀英", "晓东", "丽华", "明", "婷", "建华", "春梅", "国庆", "文",
];

// Indexes into [`INDUSTRIES`].
const LOGISTICS: usize = 0;
const EXPRESS: usize = 1;
const FOOD: usize = 2;
const MANUFACTURING: usize = 3;
const IT: usize = 4;
const RETAIL: usize = 5;
const CONSTRUCTION: usize = 6;
const EDUCATION: usize = 7;
const HEALTH: usize = 8;
const FINANCE: usize = 9;

/// A unit enterprises are spread over, and what kind of enterprises it holds.
struct Unit {
    id: OrgId,
    code: String,
    kind: String,
    /// Industries (indexes into [`INDUSTRIES`]) with their weights.
    industries: Vec<(usize, u64)>,
    roads: &'static [&'static str],
    /// The unit's share of the enterprises.
    weight: u64,
    /// Grassroots unions under the unit, with their names.
    unions: Vec<(OrgId, String)>,
}

/// The industries a unit's enterprises belong to, from its kind and name.
fn industries_of(kind: &str, name: &str) -> Vec<(usize, u64)> {
    let has = |k: &str| name.contains(k);
    match kind {
        "industry" if has("物流") || has("快递") => {
            vec![(LOGISTICS, 4), (EXPRESS, 4), (FOOD, 2)]
        }
        "industry" if has("建设") || has("交通") => vec![(CONSTRUCTION, 3), (LOGISTICS, 1)],
        "industry" if has("商贸") || has("服务") => vec![(RETAIL, 3), (FOOD, 2)],
        "industry" if has("科技") => vec![(IT, 3), (MANUFACTURING, 1)],
        "direct" if has("国资") => vec![
            (MANUFACTURING, 2),
            (CONSTRUCTION, 2),
            (FINANCE, 1),
            (LOGISTICS, 1),
        ],
        "direct" if has("机关") => vec![(EDUCATION, 1), (HEALTH, 1), (IT, 1)],
        "direct" if has("科技") => vec![(IT, 3), (MANUFACTURING, 1)],
        _ if has("教育") => vec![(EDUCATION, 1)],
        _ if has("卫生") || has("卫健") => vec![(HEALTH, 1)],
        _ if has("金融") => vec![(FINANCE, 1)],
        _ => vec![
            (LOGISTICS, 2),
            (EXPRESS, 2),
            (FOOD, 3),
            (MANUFACTURING, 2),
            (IT, 2),
            (RETAIL, 4),
            (CONSTRUCTION, 2),
            (EDUCATION, 1),
            (HEALTH, 1),
            (FINANCE, 1),
        ],
    }
}

/// Reads the units' codes, kinds and names in one query.
async fn load_units(tx: &mut Tx, ids: &[OrgId], unions: &[DemoUnion]) -> anyhow::Result<Vec<Unit>> {
    // Ids are integers from the database: inlining them cannot inject anything.
    let list: Vec<String> = ids.iter().map(|i| i.0.to_string()).collect();
    let sql = format!(
        "SELECT id, code, name, kind FROM orgs WHERE id IN ({})",
        list.join(",")
    );
    let rows: Vec<(OrgId, String, String, String)> = sqlx::query_as(AssertSqlSafe(sql))
        .fetch_all(&mut **tx)
        .await?;
    let mut by_parent: HashMap<OrgId, Vec<(OrgId, String)>> = HashMap::new();
    for u in unions {
        by_parent
            .entry(u.parent)
            .or_default()
            .push((u.id, u.name.clone()));
    }
    let mut units = Vec::new();
    for id in ids {
        let Some((_, code, name, kind)) = rows.iter().find(|r| r.0 == *id) else {
            anyhow::bail!("demo unit {id} not found");
        };
        let roads = ROADS
            .iter()
            .find(|(street, _)| kind == "street" && name.contains(street))
            .map(|(_, roads)| *roads)
            .unwrap_or(&ALL_ROADS);
        units.push(Unit {
            id: *id,
            code: code.clone(),
            industries: industries_of(kind, name),
            roads,
            weight: match kind.as_str() {
                "street" => 5,
                "industry" => 4,
                _ => 3,
            },
            kind: kind.clone(),
            unions: by_parent.remove(id).unwrap_or_default(),
        });
    }
    Ok(units)
}

/// One item, each as likely as its weight.
fn weighted<'a, T>(rng: &mut Lcg, items: &'a [T], weight: impl Fn(&T) -> u64) -> &'a T {
    let total: u64 = items.iter().map(&weight).sum();
    let mut r = rng.below(total);
    for item in items {
        let w = weight(item);
        if r < w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1]
}

/// Whether an event of `percent` chance happens.
fn chance(rng: &mut Lcg, percent: u64) -> bool {
    rng.below(100) < percent
}

/// 二, 三, … 十, then digits: for 分公司 suffixes.
fn zh_number(n: usize) -> String {
    const DIGITS: [&str; 11] = [
        "〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    DIGITS
        .get(n)
        .map(|d| d.to_string())
        .unwrap_or_else(|| n.to_string())
}

/// The check character of a GB 11714 organisation code's first 8 characters.
fn org_code_check(body: &[u8]) -> u8 {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(W)
        .map(|(c, w)| {
            let v = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                _ => u32::from(c - b'A') + 10,
            };
            v * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    }
}

/// A credit code of Yangpu (310110): authority and category, then a GB 11714
/// organisation code, new-style (`MA…`/`MJ…`) or old-style (8 digits).
fn credit_code(rng: &mut Lcg, prefix: &str, new_style: Option<&str>) -> Option<CreditCode> {
    credit_code_in(rng, prefix, "310110", new_style)
}

/// A credit code registered in `region` (a six-digit administrative division
/// code, e.g. 430100 for 长沙), built like [`credit_code`]'s; the stationing
/// demo draws the provinces' enterprises with it.
pub fn credit_code_in(
    rng: &mut Lcg,
    prefix: &str,
    region: &str,
    new_style: Option<&str>,
) -> Option<CreditCode> {
    let mut body = Vec::with_capacity(8);
    match new_style {
        Some(lead) => {
            body.extend_from_slice(lead.as_bytes());
            while body.len() < 8 {
                body.push(CODE_CHARS[rng.below(CODE_CHARS.len() as u64) as usize]);
            }
        }
        None => {
            body.push(b'1' + rng.below(9) as u8);
            while body.len() < 8 {
                body.push(b'0' + rng.below(10) as u8);
            }
        }
    }
    let check = org_code_check(&body);
    body.push(check);
    let first17 = format!("{prefix}{region}{}", String::from_utf8_lossy(&body));
    CreditCode::with_check(&first17)
}

/// A name for an enterprise of `industry`, and whether it is a public institution.
fn name_of(rng: &mut Lcg, industry: usize) -> (String, bool) {
    if industry == EDUCATION && chance(rng, 55) {
        let ordinal = rng.pick(&["", "", "第一", "第二", "第三", "实验"]);
        let name = format!(
            "上海市杨浦区{}{}{}",
            rng.pick(&PLACES),
            ordinal,
            rng.pick(&SCHOOLS)
        );
        return (name, true);
    }
    if industry == HEALTH && chance(rng, 45) {
        let name = format!("上海市杨浦区{}{}", rng.pick(&PLACES), rng.pick(&CLINICS));
        return (name, true);
    }
    let head = rng.pick(&HEADS);
    let core = rng.pick(CORES[industry]);
    let tail = rng.pick(&TAILS);
    let name = match rng.below(20) {
        0..=2 => format!("{head}（上海）{core}{tail}"),
        3 => format!("上海{head}{core}有限公司杨浦分公司"),
        _ => format!("上海{head}{core}{tail}"),
    };
    (name, false)
}

/// The groups of new-employment-form workers an enterprise of `industry` employs, if any.
fn groups_of(
    rng: &mut Lcg,
    industry: usize,
    street: bool,
    logistics_union: bool,
) -> Vec<WorkerGroup> {
    use WorkerGroup::*;
    let percent = match industry {
        EXPRESS => 90,
        FOOD => 70,
        LOGISTICS => 65,
        IT => 12,
        RETAIL => 8,
        _ => 2,
    } + if street || logistics_union { 5 } else { 0 };
    if !chance(rng, percent) {
        return Vec::new();
    }
    let mut groups = match industry {
        LOGISTICS => vec![TruckDriver],
        EXPRESS => vec![Courier],
        FOOD => vec![FoodDelivery],
        IT => vec![*rng.pick(&[RideHailing, FoodDelivery, Courier])],
        _ => vec![*rng.pick(&[Other, Courier, RideHailing])],
    };
    if chance(rng, 20) {
        let extra = *rng.pick(&[TruckDriver, Courier, FoodDelivery, RideHailing, Other]);
        if !groups.contains(&extra) {
            groups.push(extra);
        }
    }
    groups
}

/// Words in grassroots union names that suit each industry.
const UNION_WORDS: [&[&str]; 10] = [
    &["物流", "运输"],
    &["快递", "物流"],
    &["餐饮"],
    &["制造"],
    &["科技", "信息", "网络"],
    &["商贸"],
    &["建设"],
    &["教育"],
    &["医疗"],
    &[],
];

/// A grassroots union of the unit to cover an enterprise of `industry`: mostly one
/// whose name suits the industry, when the unit has such a union.
fn union_for(rng: &mut Lcg, unions: &[(OrgId, String)], industry: usize) -> Option<OrgId> {
    if unions.is_empty() {
        return None;
    }
    let suited: Vec<OrgId> = unions
        .iter()
        .filter(|(_, name)| UNION_WORDS[industry].iter().any(|w| name.contains(w)))
        .map(|(id, _)| *id)
        .collect();
    if !suited.is_empty() && chance(rng, 80) {
        return Some(*rng.pick(&suited));
    }
    Some(rng.pick(unions).0)
}

/// A mobile or Shanghai landline number.
fn phone(rng: &mut Lcg) -> Option<Phone> {
    let raw = if chance(rng, 75) {
        format!(
            "1{}{}{:08}",
            rng.pick(&["3", "5", "8", "9", "7"]),
            rng.below(10),
            rng.below(100_000_000)
        )
    } else {
        format!(
            "021-{}{:06}",
            rng.pick(&["55", "65", "35"]),
            rng.below(1_000_000)
        )
    };
    Phone::parse("contact_phone", &raw).ok()
}

/// Inserts the demo enterprises inside the loader's transaction; returns how many.
pub async fn generate(
    tx: &mut Tx,
    rng: &mut Lcg,
    units: &[OrgId],
    unions: &[DemoUnion],
) -> anyhow::Result<usize> {
    if units.is_empty() {
        return Ok(0);
    }
    let units = load_units(tx, units, unions).await?;
    let mut names: HashSet<String> = HashSet::new();
    let mut codes: HashSet<String> = HashSet::new();
    for i in 0..COUNT {
        let unit = weighted(rng, &units, |u| u.weight);
        let industry = weighted(rng, &unit.industries, |(_, w)| *w).0;
        let (base, institution) = name_of(rng, industry);
        let mut name = base.clone();
        let mut k = 2;
        while names.contains(&name) {
            let suffix = if institution { "分部" } else { "分公司" };
            name = format!("{base}（{}{suffix}）", zh_number(k));
            k += 1;
        }
        names.insert(name.clone());
        let credit_code = loop {
            let code = if institution {
                credit_code(rng, "12", None)
            } else if name.contains("培训") {
                credit_code(rng, "52", Some("MJ"))
            } else if chance(rng, 70) {
                credit_code(rng, "91", Some("MA1"))
            } else {
                credit_code(rng, "91", None)
            };
            let Some(code) = code else {
                anyhow::bail!("demo enterprise {i}: no valid credit code");
            };
            if codes.insert(code.as_str().to_string()) {
                break code;
            }
        };
        let street = unit.kind == "street";
        let logistics_union = unit.kind == "industry" && unit.industries[0].0 == LOGISTICS;
        let groups = groups_of(rng, industry, street, logistics_union);
        let employee_count = match rng.below(100) {
            0..=44 => 3 + rng.below(47),
            45..=79 => 50 + rng.below(250),
            80..=94 => 300 + rng.below(1700),
            _ => 2000 + rng.below(6000),
        } as i64;
        let mut union_percent: i64 = match unit.kind.as_str() {
            "direct" => 90,
            "industry" => 72,
            _ => 64,
        };
        if institution {
            union_percent = 97;
        } else if employee_count >= 300 {
            union_percent += 15;
        } else if employee_count < 25 {
            union_percent -= 20;
        }
        if !groups.is_empty() {
            union_percent -= 8;
        }
        let has_union = rng.below(100) < union_percent.clamp(0, 100) as u64;
        let union = if has_union {
            union_for(rng, &unit.unions, industry)
        } else {
            None
        };
        let address = chance(rng, 95).then(|| {
            let mut a = format!(
                "上海市杨浦区{}{}号",
                rng.pick(unit.roads),
                1 + rng.below(1999)
            );
            if chance(rng, 15) {
                a.push_str(&format!("{}幢", 1 + rng.below(12)));
            }
            a
        });
        let contact = chance(rng, 85);
        let contact_person =
            contact.then(|| format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN)));
        let contact_phone = if contact { phone(rng) } else { None };
        let f = EnterpriseFields {
            name,
            credit_code,
            industry: Some(INDUSTRIES[industry].to_string()),
            address,
            employee_count: Some(employee_count),
            groups,
            has_union,
            union_org_code: None,
            org_code: unit.code.clone(),
            contact_person,
            contact_phone,
        };
        store::insert(tx, &f, unit.id, union)
            .await
            .map_err(|e| anyhow::anyhow!("demo enterprise {i}: {e:?}"))?;
    }
    Ok(COUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_codes_carry_their_gb_11714_check() {
        // The organisation codes inside two published credit codes:
        // 91440300708461136T (70846113-6) and 91330100799655058B (79965505-8).
        assert_eq!(org_code_check(b"70846113"), b'6');
        assert_eq!(org_code_check(b"79965505"), b'8');
    }

    #[test]
    fn generated_names_and_codes_are_valid_and_deterministic() {
        let run = |seed| {
            let mut rng = Lcg::new(seed);
            (0..200)
                .map(|i| {
                    let (name, institution) = name_of(&mut rng, i % INDUSTRIES.len());
                    let code =
                        credit_code(&mut rng, if institution { "12" } else { "91" }, None).unwrap();
                    (name, code)
                })
                .collect::<Vec<_>>()
        };
        let a = run(3);
        assert_eq!(a, run(3));
        for (name, code) in &a {
            assert!(name.chars().count() >= 6, "{name}");
            assert_eq!(code.division(), "310110");
        }
        let mut rng = Lcg::new(5);
        for _ in 0..200 {
            assert!(credit_code(&mut rng, "91", Some("MA1")).is_some());
            assert!(credit_code(&mut rng, "52", Some("MJ")).is_some());
        }
    }
}
