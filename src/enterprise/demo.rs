//! Deterministic demo enterprises: about 1,500 in Yangpu (division code 310110),
//! a share without a union, a share employing new-employment-form workers.

use super::{CreditCode, EnterpriseInput, WorkerGroup, store};
use crate::{
    db::{OrgId, Tx},
    demo::{DemoUnion, Lcg},
};

const HEADS: [&str; 30] = [
    "华信", "申城", "东方", "滨江", "新江", "复兴", "杨树", "黄浦", "长江", "五角", "同济", "创智",
    "智汇", "恒通", "顺达", "明珠", "宏远", "汇丰", "金桥", "锦程", "安捷", "速达", "嘉和", "联创",
    "通达", "远航", "佳华", "鼎盛", "德润", "瑞丰",
];
const TRADES: [(&str, &str); 10] = [
    ("物流", "物流运输"),
    ("快递", "快递"),
    ("餐饮", "餐饮外卖"),
    ("机械", "制造业"),
    ("信息技术", "信息技术"),
    ("商贸", "批发零售"),
    ("建设", "建筑业"),
    ("教育科技", "教育"),
    ("医疗", "卫生"),
    ("投资", "金融"),
];
const TAILS: [&str; 4] = ["有限公司", "股份有限公司", "服务有限公司", "集团有限公司"];
const ORG_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Inserts the demo enterprises; returns how many.
pub async fn generate(
    tx: &mut Tx,
    rng: &mut Lcg,
    units: &[OrgId],
    unions: &[DemoUnion],
) -> anyhow::Result<usize> {
    let mut names = std::collections::HashSet::new();
    let mut n = 0;
    let codes: Vec<(OrgId, String)> = {
        let mut v = Vec::new();
        for u in units {
            let code: String = sqlx::query_scalar("SELECT code FROM orgs WHERE id = $1")
                .bind(*u)
                .fetch_one(&mut **tx)
                .await?;
            v.push((*u, code));
        }
        v
    };
    for i in 0..1500usize {
        let (unit, unit_code) = &codes[i % codes.len()];
        let (trade, industry) = *rng.pick(&TRADES);
        let mut name = format!("上海{}{}{}", rng.pick(&HEADS), trade, rng.pick(&TAILS));
        let mut k = 2;
        while !names.insert(name.clone()) {
            name = format!("{name}（第{k}分公司）");
            k += 1;
        }
        let mut first17 = String::from("91310110");
        for _ in 0..9 {
            first17.push(ORG_CHARS.chars().nth(rng.below(31) as usize).unwrap_or('0'));
        }
        let Some(code) = CreditCode::with_check(&first17) else {
            continue;
        };
        let delivery = matches!(trade, "物流" | "快递" | "餐饮");
        let groups: Vec<WorkerGroup> = if (delivery && rng.below(100) < 70) || rng.below(100) < 10 {
            match trade {
                "物流" => vec![WorkerGroup::TruckDriver],
                "快递" => vec![WorkerGroup::Courier],
                "餐饮" => vec![WorkerGroup::FoodDelivery],
                _ => vec![*rng.pick(&[WorkerGroup::RideHailing, WorkerGroup::Other])],
            }
        } else {
            Vec::new()
        };
        let has_union = rng.below(100) >= 30;
        let union = if has_union {
            let local: Vec<&DemoUnion> = unions.iter().filter(|u| u.parent == *unit).collect();
            if local.is_empty() {
                None
            } else {
                Some(local[rng.below(local.len() as u64) as usize].id)
            }
        } else {
            None
        };
        let size = *rng.pick(&[50u64, 300, 2000]);
        let input = EnterpriseInput {
            name: Some(name),
            credit_code: Some(code.as_str().to_string()),
            industry: Some(industry.to_string()),
            address: Some(format!(
                "上海市杨浦区{}路{}号",
                rng.pick(&[
                    "国定", "政立", "淞沪", "长阳", "平凉", "控江", "殷行", "军工"
                ]),
                1 + rng.below(999)
            )),
            employee_count: Some((5 + rng.below(size)).to_string()),
            new_form_groups: Some(
                groups
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            has_union: Some(if has_union { "1" } else { "0" }.into()),
            union_org_code: None,
            org_code: Some(unit_code.clone()),
            contact_person: Some(format!(
                "{}经理",
                rng.pick(&["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"])
            )),
            contact_phone: Some(format!(
                "13{}{:08}",
                5 + rng.below(5),
                rng.below(100_000_000)
            )),
        };
        let f = input
            .parse()
            .map_err(|e| anyhow::anyhow!("demo enterprise {i}: {e:?}"))?;
        store::insert(tx, &f, *unit, union)
            .await
            .map_err(|e| anyhow::anyhow!("demo enterprise {i}: {e:?}"))?;
        n += 1;
    }
    Ok(n)
}
