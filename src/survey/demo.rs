//! The demo's questionnaire: the special survey of new-employment-form
//! workers of seed 002 (全总蹲点工作组专题调查, 2021-05-29 to 06-04): four
//! worker groups, six topics, every question type, 19,724 valid responses
//! from the fifteen provinces of the work groups, plus a few hundred invalid
//! ones (too fast, the same phone twice, a failed attention check,
//! straight-lining) judged by the real validity rules. Deterministic.
//!
//! The responses are bulk-inserted: multi-row INSERTs of 25 rows, all in one
//! transaction, so the whole demo still loads in a few seconds.

use std::{collections::HashMap, fmt::Write as _};

use serde_json::{Value, json};

use super::{
    SurveyFields, SurveyStatus,
    form::Form,
    group_value, store,
    validity::{self, AttentionCheck, Facts, Reason, Rules},
};
use crate::{
    date::Day,
    db::{CampaignId, Db, OrgId, UserId},
    demo::Lcg,
    enterprise::WorkerGroup,
    i18n::Lang,
};

/// Valid questionnaires reported by seed 002.
pub const VALID_RESPONSES: usize = 19_724;

/// The planned invalid responses: (too fast, same phone again, failed
/// attention check, straight-lining).
const INVALID: (usize, usize, usize, usize) = (131, 97, 86, 72);

/// 2021-05-29 00:00 and 2021-06-05 00:00, Beijing time.
const OPENS_AT: i64 = 1_622_217_600;
const CLOSES_AT: i64 = 1_622_822_400;

fn l(zh: &str, en: &str) -> Value {
    json!({"中文 (zh)": zh, "English (en)": en})
}

fn choices(list: &[(&str, &str, &str)]) -> Value {
    Value::Array(
        list.iter()
            .map(|(name, zh, en)| json!({"name": name, "label": l(zh, en)}))
            .collect(),
    )
}

/// The fifteen provinces (and municipalities) of the first work groups, with
/// weights for how many responses each sends. The stored value is the Chinese
/// name, so the region column reads as quotas and filters write it (`上海`).
const PROVINCES: [(&str, &str, &str, u64); 15] = [
    ("广东", "广东", "Guangdong", 12),
    ("浙江", "浙江", "Zhejiang", 10),
    ("江苏", "江苏", "Jiangsu", 9),
    ("上海", "上海", "Shanghai", 8),
    ("河南", "河南", "Henan", 7),
    ("湖南", "湖南", "Hunan", 7),
    ("湖北", "湖北", "Hubei", 7),
    ("安徽", "安徽", "Anhui", 6),
    ("河北", "河北", "Hebei", 6),
    ("重庆", "重庆", "Chongqing", 6),
    ("云南", "云南", "Yunnan", 5),
    ("江西", "江西", "Jiangxi", 5),
    ("陕西", "陕西", "Shaanxi", 5),
    ("天津", "天津", "Tianjin", 4),
    ("黑龙江", "黑龙江", "Heilongjiang", 3),
];

/// Platforms, each for one worker group (the `grp` column of the choice list).
const PLATFORMS: [(&str, &str, &str, &str); 12] = [
    ("meituan", "美团", "Meituan", "food_delivery"),
    ("eleme", "饿了么", "Ele.me", "food_delivery"),
    ("sf", "顺丰", "SF Express", "courier"),
    ("zto", "中通", "ZTO", "courier"),
    ("jd", "京东", "JD Logistics", "courier"),
    ("yto", "圆通", "YTO", "courier"),
    ("didi", "滴滴出行", "DiDi", "ride_hailing"),
    ("t3", "T3出行", "T3", "ride_hailing"),
    ("caocao", "曹操出行", "Caocao", "ride_hailing"),
    (
        "manbang",
        "满帮（运满满、货车帮）",
        "Full Truck Alliance",
        "truck_driver",
    ),
    ("huolala", "货拉拉", "Lalamove", "truck_driver"),
    ("none", "不通过平台接单", "No platform", "any"),
];

const MATRIX: [(&str, &str, &str); 5] = [
    (
        "m_time",
        "配送或接单的时限要求合理",
        "Time limits for orders are reasonable",
    ),
    (
        "m_rules",
        "平台考核和奖惩规则公平",
        "The platform's rating and penalty rules are fair",
    ),
    (
        "m_rest",
        "工作中有地方休息、喝水、充电",
        "There are places to rest, drink and charge",
    ),
    (
        "m_complain",
        "遇到纠纷有渠道申诉",
        "There is somewhere to complain in a dispute",
    ),
    ("m_pay", "收入与付出相称", "Pay matches the effort"),
];

/// The questionnaire as JSON (docs/surveys.md): six topic pages after the
/// personal page, every question type, skip logic, constraints, a matrix and
/// an attention check.
pub fn form_json() -> Value {
    let agree = choices(&[
        ("1", "非常不同意", "Strongly disagree"),
        ("2", "比较不同意", "Disagree"),
        ("3", "一般", "Neutral"),
        ("4", "比较同意", "Agree"),
        ("5", "非常同意", "Strongly agree"),
    ]);
    let platforms: Vec<Value> = PLATFORMS
        .iter()
        .map(|(n, zh, en, g)| json!({"name": n, "label": l(zh, en), "extra": {"grp": g}}))
        .collect();
    let provinces: Vec<Value> = PROVINCES
        .iter()
        .map(|(n, zh, en, _)| json!({"name": n, "label": l(zh, en)}))
        .collect();
    let matrix: Vec<Value> = MATRIX
        .iter()
        .map(|(n, zh, en)| json!({"name": n, "kind": "select_one", "choices": "agree", "required": true, "label": l(zh, en)}))
        .collect();
    let page = |name: &str, zh: &str, en: &str, items: Vec<Value>| json!({"item": "group", "name": name, "appearance": ["field-list"], "label": l(zh, en), "items": items});
    let range = |name: &str, zh: &str, en: &str| {
        json!({"name": name, "kind": {"type": "range", "start": 1, "end": 5, "step": 1},
               "appearance": ["rating"], "required": true, "label": l(zh, en),
               "hint": l("1 星最低，5 星最高", "1 star lowest, 5 highest")})
    };
    let yes_no = |name: &str, zh: &str, en: &str| {
        json!({"name": name, "kind": "select_one", "choices": "yes_no", "required": true,
               "appearance": ["horizontal"], "label": l(zh, en)})
    };
    json!({
        "id": "xjyxt_2021",
        "title": "新就业形态劳动者专题调查",
        "version": "2021-05",
        "items": [
            {"name": "intro", "kind": "note", "label": l(
                "全总蹲点工作组开展新就业形态劳动者专题调查。问卷匿名填写，约需 8 分钟，答案只用于研究和改进工会服务。",
                "The national federation's work groups survey new-employment-form workers. Anonymous, about 8 minutes; answers are used only to study and improve union services.")},
            page("about", "基本情况", "About you", vec![
                json!({"name": "worker_group", "kind": "select_one", "choices": "groups", "required": true, "label": l("您目前的职业", "Your job")}),
                json!({"name": "region", "kind": "select_one", "choices": "provinces", "required": true, "appearance": ["minimal"], "label": l("您工作所在的省（市）", "Province or city where you work")}),
                json!({"name": "gender", "kind": "select_one", "choices": "gender", "required": true, "appearance": ["horizontal"], "label": l("性别", "Gender")}),
                json!({"name": "age", "kind": "integer", "required": true, "constraint": ". >= 16 and . <= 65",
                       "constraint_message": l("年龄应在16到65岁之间", "Age must be 16 to 65"), "label": l("年龄（周岁）", "Age (years)")}),
                json!({"name": "education", "kind": "select_one", "choices": "education", "required": true, "label": l("文化程度", "Education")}),
                json!({"name": "start_date", "kind": "date", "constraint": ". <= today()",
                       "constraint_message": l("日期不能晚于今天", "The date cannot be in the future"),
                       "label": l("您何时开始从事目前这份工作", "When did you start this job")}),
                json!({"name": "years_total", "kind": "decimal", "constraint": ". >= 0 and . <= 40",
                       "label": l("从事平台或物流类工作累计年限（年）", "Years in platform or logistics work in all")}),
            ]),
            page("income", "工资收入", "Wages and income", vec![
                json!({"name": "monthly_income", "kind": "integer", "required": true, "constraint": ". >= 0 and . <= 50000",
                       "constraint_message": l("请填写0到50000之间的金额", "Enter an amount from 0 to 50,000"),
                       "label": l("近三个月平均月收入（元，扣除各项费用后）", "Average monthly income over the last three months (yuan, after costs)")}),
                json!({"name": "daily_hours", "kind": "decimal", "required": true, "constraint": ". >= 1 and . <= 24",
                       "label": l("平均每天工作小时数", "Hours worked on an average day")}),
                json!({"name": "rest_days", "kind": "integer", "required": true, "constraint": ". >= 0 and . <= 31",
                       "label": l("平均每月休息天数", "Days off in an average month")}),
                json!({"name": "income_change", "kind": "select_one", "choices": "change", "required": true,
                       "label": l("与一年前相比，您的收入", "Compared with a year ago, your income has")}),
                json!({"name": "deductions", "kind": "select_multiple", "choices": "deductions", "other": true,
                       "constraint": "not(selected(., 'none') and count-selected(.) > 1)",
                       "constraint_message": l("选择“没有”时不能再选其他项", "“None” cannot be combined with other answers"),
                       "label": l("您的收入中经常被扣除或自付的有（可多选）", "What is often deducted from your income or paid by you (tick all)")}),
            ]),
            page("organisation", "组织形式", "Organisation", vec![
                json!({"name": "employment", "kind": "select_one", "choices": "employment", "other": true, "required": true,
                       "label": l("您与企业或平台的关系", "Your relationship with the company or platform")}),
                json!({"name": "platform", "kind": "select_one", "choices": "platforms", "required": true,
                       "choice_filter": "${grp} = ${worker_group} or ${grp} = 'any'",
                       "label": l("您主要通过哪个平台接单", "Which platform gives you most of your orders")}),
                json!({"name": "union_member", "kind": "select_one", "choices": "union_member", "required": true,
                       "appearance": ["horizontal"], "label": l("您是否是工会会员", "Are you a union member")}),
                json!({"name": "join_union", "kind": "select_one", "choices": "join", "required": true,
                       "relevant": "${union_member} != 'yes'", "label": l("如果有机会，您愿意加入工会吗", "Would you join a union if you could")}),
            ]),
            page("safety", "劳动安全", "Labour safety", vec![
                yes_no("accident", "过去一年，您在工作中是否发生过交通事故或受伤", "In the past year, did you have a traffic accident or injury at work"),
                json!({"name": "accident_cover", "kind": "select_multiple", "choices": "cover", "other": true, "required": true,
                       "relevant": "${accident} = 'yes'", "label": l("事故或受伤的费用由谁承担（可多选）", "Who paid for the accident or injury (tick all)")}),
                json!({"item": "group", "name": "work_conditions", "appearance": ["table-list"],
                       "label": l("您是否同意下列说法", "Do you agree with these statements"), "items": matrix}),
                json!({"name": "attention", "kind": "select_one", "choices": "agree", "required": true, "appearance": ["horizontal"],
                       "label": l("为确认您在认真作答，本题请选择“比较同意”", "To show you are reading, choose “Agree” here")}),
            ]),
            page("security", "社会保障", "Social security", vec![
                json!({"name": "insurance", "kind": "select_multiple", "choices": "insurance", "required": true,
                       "constraint": "not(selected(., 'none') and count-selected(.) > 1)",
                       "constraint_message": l("选择“都没有”时不能再选其他项", "“None” cannot be combined with other answers"),
                       "label": l("您目前有哪些保险（可多选）", "Which insurance do you have now (tick all)")}),
                range("injury_need", "您对职业伤害保障的需求程度", "How much do you need occupational injury cover"),
            ]),
            page("ideology", "思想状况", "Outlook", vec![
                range("satisfaction", "您对目前这份工作的总体满意度", "Overall, how satisfied are you with this job"),
                json!({"name": "respected", "kind": "select_one", "choices": "agree", "required": true,
                       "label": l("我觉得自己的职业受到社会尊重", "I feel my work is respected")}),
                json!({"name": "plans", "kind": "select_one", "choices": "plans", "required": true,
                       "label": l("今后一年您的打算", "Your plans for the next year")}),
                json!({"name": "union_help", "kind": "select_multiple", "choices": "help", "other": true, "required": true,
                       "constraint": "count-selected(.) <= 3", "constraint_message": l("最多选三项", "Choose at most three"),
                       "label": l("您最希望工会提供哪些服务（最多选三项）", "Which union services do you want most (at most three)")}),
            ]),
            page("stability", "社会稳定", "Social stability", vec![
                yes_no("dispute", "过去一年，您是否与平台、企业或站点发生过纠纷", "In the past year, did you have a dispute with the platform, company or station"),
                json!({"name": "dispute_way", "kind": "select_one", "choices": "dispute_way", "required": true,
                       "relevant": "${dispute} = 'yes'", "label": l("纠纷主要是怎样解决的", "How was the dispute mainly settled")}),
                yes_no("wage_arrears", "过去一年，您是否遇到过被拖欠或克扣报酬", "In the past year, was your pay withheld or held back"),
                json!({"name": "suggestion", "kind": "text", "constraint": "string-length(.) <= 300",
                       "constraint_message": l("请在300字以内", "At most 300 characters"),
                       "label": l("您对工会和有关部门有什么意见建议", "Your suggestions to the union and the authorities")}),
            ]),
            {"name": "thanks", "kind": "note", "label": l("感谢您的参与！", "Thank you for taking part!")}
        ],
        "choice_lists": [
            {"name": "groups", "choices": choices(&[
                ("truck_driver", "货车司机", "Truck driver"), ("ride_hailing", "网约车司机", "Ride-hailing driver"),
                ("courier", "快递员", "Courier"), ("food_delivery", "外卖送餐员", "Food-delivery rider")])},
            {"name": "provinces", "choices": provinces},
            {"name": "gender", "choices": choices(&[("male", "男", "Male"), ("female", "女", "Female")])},
            {"name": "education", "choices": choices(&[
                ("junior", "初中及以下", "Junior secondary or less"), ("senior", "高中、中专或技校", "Senior or vocational secondary"),
                ("college", "大专", "Junior college"), ("bachelor", "本科及以上", "Bachelor's or above")])},
            {"name": "change", "choices": choices(&[("up", "增加了", "gone up"), ("same", "差不多", "stayed about the same"), ("down", "减少了", "gone down")])},
            {"name": "deductions", "choices": choices(&[
                ("fines", "平台或站点罚款", "Fines by the platform or station"), ("fees", "管理费、服务费、抽成", "Management or service fees, commission"),
                ("fuel", "油费、电费、过路费", "Fuel, charging, tolls"), ("vehicle", "车辆租金或贷款", "Vehicle rent or loan"),
                ("gear", "装备、服装押金", "Deposits for gear and uniform"), ("none", "没有", "None")])},
            {"name": "employment", "choices": choices(&[
                ("contract", "与企业签订劳动合同", "Labour contract with a company"), ("dispatch", "劳务派遣或外包公司", "Agency or outsourcing company"),
                ("crowd", "平台众包、兼职接单", "Platform crowd-sourcing, part time"), ("self", "个体经营、自有车辆", "Self-employed, own vehicle")])},
            {"name": "platforms", "choices": platforms},
            {"name": "union_member", "choices": choices(&[("yes", "是", "Yes"), ("no", "否", "No"), ("unsure", "不清楚", "Not sure")])},
            {"name": "join", "choices": choices(&[("yes", "愿意", "Yes"), ("maybe", "看情况", "It depends"), ("no", "不愿意", "No")])},
            {"name": "yes_no", "choices": choices(&[("yes", "是", "Yes"), ("no", "否", "No")])},
            {"name": "cover", "choices": choices(&[
                ("self", "自己承担", "Myself"), ("company", "企业或站点", "The company or station"),
                ("platform", "平台", "The platform"), ("insurance", "保险理赔", "Insurance")])},
            {"name": "agree", "choices": agree},
            {"name": "insurance", "choices": choices(&[
                ("pension", "养老保险", "Pension insurance"), ("medical", "医疗保险", "Medical insurance"),
                ("injury", "工伤保险或职业伤害保障", "Work-injury or occupational injury cover"), ("unemployment", "失业保险", "Unemployment insurance"),
                ("commercial", "商业意外险", "Commercial accident insurance"), ("none", "都没有", "None")])},
            {"name": "plans", "choices": choices(&[("stay", "继续从事这份工作", "Keep doing this job"), ("change", "可能换工作", "Probably change jobs"), ("unsure", "说不准", "Not sure")])},
            {"name": "help", "choices": choices(&[
                ("legal", "法律援助和维权", "Legal aid and rights"), ("station", "爱心驿站、休息点", "Rest stations"),
                ("training", "技能培训", "Skills training"), ("health", "健康体检", "Health checks"),
                ("children", "子女暑期托管", "Summer care for children"), ("mutual", "互助保障", "Mutual-aid cover")])},
            {"name": "dispute_way", "choices": choices(&[
                ("negotiate", "自行协商", "Negotiated myself"), ("union", "找工会", "Through the union"),
                ("mediation", "调解组织调解", "Mediation"), ("arbitration", "劳动仲裁", "Labour arbitration"),
                ("court", "法院诉讼", "Court"), ("hotline", "投诉热线", "Complaint hotline"), ("gave_up", "放弃了", "Gave up")])}
        ]
    })
}

/// The demo survey's validity rules.
pub fn rules() -> Rules {
    Rules {
        min_seconds: Some(60),
        straight_lining_rows: Some(4),
        attention_checks: vec![AttentionCheck {
            question: "attention".into(),
            expected: "4".into(),
        }],
        max_per_device: Some(1),
    }
}

/// Per worker group: (share of responses in ‰, share of men %, mean age,
/// mean monthly income, mean daily hours, union members %, accidents %).
fn profile(g: WorkerGroup) -> (u64, u64, i64, i64, f64, u64, u64) {
    match g {
        WorkerGroup::FoodDelivery => (340, 88, 29, 5600, 9.8, 12, 22),
        WorkerGroup::Courier => (300, 85, 31, 6500, 10.5, 25, 14),
        WorkerGroup::RideHailing => (200, 90, 37, 6300, 10.5, 10, 10),
        _ => (160, 97, 40, 7800, 11.5, 8, 12),
    }
}

const GROUPS: [WorkerGroup; 4] = [
    WorkerGroup::FoodDelivery,
    WorkerGroup::Courier,
    WorkerGroup::RideHailing,
    WorkerGroup::TruckDriver,
];

const SUGGESTIONS: [&str; 24] = [
    "希望平台降低抽成，公开计价规则",
    "配送时间太紧，希望放宽超时处罚",
    "建议多建爱心驿站，夏天有地方喝水休息",
    "希望能缴纳社保，特别是工伤保险",
    "希望工会帮助我们维权",
    "货车司机停车难、休息难，希望多建司机之家",
    "罚款太多太随意，希望规范站点管理",
    "希望有技能培训和学历提升的机会",
    "孩子上学难，希望解决子女入学问题",
    "希望平台算法更加人性化",
    "网约车抽成太高，收入越来越低",
    "希望小区和写字楼允许快递员、外卖员进入",
    "建议开通投诉渠道，遇到纠纷有人管",
    "希望加入工会，但不知道怎么加入",
    "油价上涨，运费却没有涨",
    "希望多组织体检",
    "派件费一降再降，希望有最低标准",
    "过路费太高，希望减免",
    "希望得到社会更多尊重和理解",
    "车辆被扣押、罚款问题希望有人帮助协调",
    "住房困难，希望提供公寓或租房补贴",
    "希望平台不要随意封号",
    "节假日加班没有补贴",
    "建议工会多开展送清凉、送温暖活动",
];

/// A value around `mean`: the sum of three uniform draws, about ±`spread`.
fn around(rng: &mut Lcg, mean: f64, spread: f64) -> f64 {
    let u = (rng.below(1000) + rng.below(1000) + rng.below(1000)) as f64 / 1500.0 - 1.0;
    mean + u * spread
}

fn chance(rng: &mut Lcg, percent: u64) -> bool {
    rng.below(100) < percent
}

fn weighted<'a>(rng: &mut Lcg, items: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut n = rng.below(total);
    for (v, w) in items {
        if n < *w {
            return v;
        }
        n -= w;
    }
    items[0].0
}

/// Ticks each of `items` with its own chance; `none` when nothing is ticked.
fn ticks(rng: &mut Lcg, items: &[(&str, u64)], none: &str) -> String {
    let picked: Vec<&str> = items
        .iter()
        .filter(|(_, p)| chance(rng, *p))
        .map(|(v, _)| *v)
        .collect();
    if picked.is_empty() {
        none.to_string()
    } else {
        picked.join(" ")
    }
}

type Answers = std::collections::BTreeMap<String, String>;

/// One respondent's answers: every shown question answered as the form
/// requires, the figures following the worker group.
fn respondent(rng: &mut Lcg, g: WorkerGroup) -> Answers {
    let (_, men, age, income, hours, members, accidents) = profile(g);
    let mut a = Answers::new();
    let mut set = |k: &str, v: String| {
        a.insert(k.to_string(), v);
    };
    let weights: Vec<(&str, u64)> = PROVINCES.iter().map(|p| (p.0, p.3)).collect();
    set("worker_group", g.as_str().to_string());
    set("region", weighted(rng, &weights).to_string());
    set(
        "gender",
        if chance(rng, men) { "male" } else { "female" }.into(),
    );
    let age_v = around(rng, age as f64, 11.0).round().clamp(18.0, 62.0) as i64;
    set("age", age_v.to_string());
    let edu = match g {
        WorkerGroup::TruckDriver => weighted(
            rng,
            &[
                ("junior", 55),
                ("senior", 35),
                ("college", 8),
                ("bachelor", 2),
            ],
        ),
        WorkerGroup::RideHailing => weighted(
            rng,
            &[
                ("junior", 25),
                ("senior", 40),
                ("college", 25),
                ("bachelor", 10),
            ],
        ),
        _ => weighted(
            rng,
            &[
                ("junior", 35),
                ("senior", 42),
                ("college", 17),
                ("bachelor", 6),
            ],
        ),
    };
    set("education", edu.into());
    let years = (around(rng, (age_v as f64 - 18.0) / 4.0, 3.0)).clamp(0.2, 30.0);
    set("years_total", format!("{:.1}", years));
    // Started this job within the years in the trade, before the survey.
    let started = OPENS_AT - (rng.below((years * 365.0) as u64 + 30) as i64 + 7) * 86_400;
    if let Some(d) = chrono::DateTime::from_timestamp(started, 0) {
        set("start_date", d.format("%Y-%m-%d").to_string());
    }
    let inc = (around(rng, income as f64, income as f64 * 0.45) / 100.0).round() * 100.0;
    set("monthly_income", (inc.max(1500.0) as i64).to_string());
    set(
        "daily_hours",
        format!("{:.1}", around(rng, hours, 2.5).clamp(4.0, 16.0)),
    );
    set(
        "rest_days",
        (around(rng, 3.5, 3.0).round().clamp(0.0, 10.0) as i64).to_string(),
    );
    let down = match g {
        WorkerGroup::TruckDriver => 50,
        WorkerGroup::RideHailing => 45,
        WorkerGroup::Courier => 35,
        _ => 30,
    };
    set(
        "income_change",
        weighted(rng, &[("down", down), ("same", 75 - down), ("up", 25)]).into(),
    );
    let ded: &[(&str, u64)] = match g {
        WorkerGroup::TruckDriver => &[("fuel", 85), ("vehicle", 45), ("fees", 40), ("fines", 20)],
        WorkerGroup::RideHailing => &[("fees", 60), ("fuel", 55), ("vehicle", 40), ("fines", 15)],
        WorkerGroup::Courier => &[("fines", 45), ("fees", 15), ("gear", 20), ("fuel", 15)],
        _ => &[("fines", 50), ("gear", 35), ("fees", 10), ("fuel", 20)],
    };
    let mut d = ticks(rng, ded, "none");
    if d != "none" && chance(rng, 3) {
        d.push_str(" other");
        set("deductions_other", "保证金".into());
    }
    set("deductions", d);
    let emp = match g {
        WorkerGroup::TruckDriver => weighted(
            rng,
            &[
                ("self", 70),
                ("contract", 15),
                ("dispatch", 10),
                ("other", 5),
            ],
        ),
        WorkerGroup::RideHailing => weighted(
            rng,
            &[("self", 45), ("crowd", 35), ("dispatch", 15), ("other", 5)],
        ),
        WorkerGroup::Courier => weighted(
            rng,
            &[
                ("contract", 45),
                ("dispatch", 35),
                ("crowd", 15),
                ("other", 5),
            ],
        ),
        _ => weighted(
            rng,
            &[
                ("crowd", 58),
                ("dispatch", 32),
                ("contract", 7),
                ("other", 3),
            ],
        ),
    };
    if emp == "other" {
        set(
            "employment_other",
            (*rng.pick(&["合伙经营", "挂靠车队", "加盟网点承包", "说不清"])).into(),
        );
    }
    set("employment", emp.into());
    let platforms: Vec<(&str, u64)> = PLATFORMS
        .iter()
        .filter(|p| p.3 == g.as_str())
        .enumerate()
        .map(|(i, p)| (p.0, if i == 0 { 55 } else { 45 / 2 + 5 }))
        .chain([("none", 6)])
        .collect();
    set("platform", weighted(rng, &platforms).into());
    let member = weighted(
        rng,
        &[("yes", members), ("no", 85 - members), ("unsure", 15)],
    );
    set("union_member", member.into());
    if member != "yes" {
        set(
            "join_union",
            weighted(rng, &[("yes", 56), ("maybe", 31), ("no", 13)]).into(),
        );
    }
    let accident = chance(rng, accidents);
    set("accident", if accident { "yes" } else { "no" }.into());
    if accident {
        set(
            "accident_cover",
            ticks(
                rng,
                &[("company", 30), ("platform", 20), ("insurance", 35)],
                "self",
            ),
        );
    }
    // The matrix: a respondent's general mood plus a view per statement,
    // never the same answer on every row (that is the invalid kind).
    let mood = around(rng, 3.0, 1.2);
    let leans = [0.3, -0.4, -0.2, -0.5, -0.6];
    let mut row: Vec<i64> = leans
        .iter()
        .map(|lean| around(rng, mood + lean, 1.4).round().clamp(1.0, 5.0) as i64)
        .collect();
    if row.iter().all(|v| *v == row[0]) {
        row[4] = if row[0] == 1 { 2 } else { row[0] - 1 };
    }
    for ((name, _, _), v) in MATRIX.iter().zip(&row) {
        set(name, v.to_string());
    }
    set("attention", "4".into());
    let contract = emp == "contract";
    let ins = ticks(
        rng,
        &[
            ("pension", if contract { 85 } else { 30 }),
            ("medical", if contract { 90 } else { 45 }),
            ("injury", if contract { 80 } else { 12 }),
            ("unemployment", if contract { 60 } else { 5 }),
            ("commercial", 35),
        ],
        "none",
    );
    set("insurance", ins);
    set(
        "injury_need",
        weighted(rng, &[("5", 46), ("4", 30), ("3", 16), ("2", 5), ("1", 3)]).into(),
    );
    set(
        "satisfaction",
        (around(rng, mood, 1.3).round().clamp(1.0, 5.0) as i64).to_string(),
    );
    set(
        "respected",
        weighted(rng, &[("1", 10), ("2", 24), ("3", 36), ("4", 21), ("5", 9)]).into(),
    );
    set(
        "plans",
        weighted(rng, &[("stay", 52), ("change", 23), ("unsure", 25)]).into(),
    );
    let help_w: &[(&str, u64)] = match g {
        WorkerGroup::TruckDriver => &[
            ("legal", 45),
            ("station", 55),
            ("mutual", 30),
            ("health", 20),
        ],
        _ => &[
            ("legal", 40),
            ("station", 35),
            ("training", 25),
            ("health", 20),
            ("children", 15),
            ("mutual", 15),
        ],
    };
    let mut help: Vec<&str> = help_w
        .iter()
        .filter(|(_, p)| chance(rng, *p))
        .map(|(v, _)| *v)
        .take(3)
        .collect();
    if help.is_empty() {
        help.push(help_w[0].0);
    }
    if help.len() < 3 && chance(rng, 2) {
        help.push("other");
        set("union_help_other", "心理疏导".into());
    }
    set("union_help", help.join(" "));
    let dispute = chance(rng, 12);
    set("dispute", if dispute { "yes" } else { "no" }.into());
    if dispute {
        set(
            "dispute_way",
            weighted(
                rng,
                &[
                    ("negotiate", 38),
                    ("union", 12),
                    ("mediation", 10),
                    ("arbitration", 8),
                    ("court", 3),
                    ("hotline", 14),
                    ("gave_up", 15),
                ],
            )
            .into(),
        );
    }
    let arrears = if g == WorkerGroup::TruckDriver { 15 } else { 6 };
    set(
        "wage_arrears",
        if chance(rng, arrears) { "yes" } else { "no" }.into(),
    );
    if chance(rng, 28) {
        set("suggestion", (*rng.pick(&SUGGESTIONS)).into());
    }
    a
}

/// A generated response.
struct Gen {
    answers: Answers,
    group: WorkerGroup,
    device: String,
    lang: &'static str,
    started_at: i64,
    ended_at: i64,
    submitted_at: i64,
}

/// Every demo response, in submission order.
fn generate_all(rng: &mut Lcg) -> Vec<Gen> {
    let (fast, again, careless, lines) = INVALID;
    let plain = VALID_RESPONSES + fast + careless + lines;
    let group_w: Vec<(&str, u64)> = GROUPS.iter().map(|g| (g.as_str(), profile(*g).0)).collect();
    let mut out: Vec<Gen> = Vec::with_capacity(plain + again);
    for i in 0..plain {
        let g = WorkerGroup::parse(weighted(rng, &group_w)).unwrap_or(WorkerGroup::Courier);
        let mut answers = respondent(rng, g);
        // Most answers came in the first days after the link went out.
        let day = weighted(
            rng,
            &[
                ("0", 24),
                ("1", 20),
                ("2", 16),
                ("3", 13),
                ("4", 11),
                ("5", 9),
                ("6", 7),
            ],
        );
        let day: i64 = day.parse().unwrap_or(0);
        let submitted_at = OPENS_AT + day * 86_400 + 7 * 3600 + rng.below(16 * 3600) as i64;
        let mut secs = around(rng, 480.0, 300.0).max(150.0) as i64 + rng.below(200) as i64;
        // The invalid kinds come last among the plain ones (sorted by time below).
        let k = i.saturating_sub(VALID_RESPONSES);
        if i >= VALID_RESPONSES {
            if k < fast {
                secs = 12 + rng.below(47) as i64;
            } else if k < fast + careless {
                answers.insert(
                    "attention".into(),
                    (*rng.pick(&["1", "2", "3", "5"])).into(),
                );
            } else {
                let v = (*rng.pick(&["3", "4", "5", "1"])).to_string();
                for (name, _, _) in MATRIX {
                    answers.insert(name.into(), v.clone());
                }
            }
        }
        // Phone clocks: most right, some minutes or hours off.
        let skew = match rng.below(20) {
            0 => rng.below(7200) as i64 - 3600,
            1..=3 => rng.below(300) as i64 - 150,
            _ => 0,
        };
        let ended_at = submitted_at + skew - rng.below(3) as i64;
        out.push(Gen {
            answers,
            group: g,
            device: format!(
                "demo-dev-{:012x}",
                (i as u64 + 1) * 0x9E37_79B9 % 0xFFFF_FFFF_FFFF
            ),
            lang: if rng.below(100) < 4 { "en" } else { "zh-CN" },
            started_at: ended_at - secs,
            ended_at,
            submitted_at,
        });
    }
    // The same phone again, a while later, with nearly the same answers.
    for _ in 0..again {
        let first = &out[rng.below(VALID_RESPONSES as u64) as usize];
        let submitted_at =
            (first.submitted_at + 120 + rng.below(36 * 3600) as i64).min(CLOSES_AT - 60);
        let secs = around(rng, 400.0, 200.0).max(100.0) as i64;
        let mut answers = first.answers.clone();
        answers.insert("satisfaction".into(), (1 + rng.below(5)).to_string());
        let again = Gen {
            answers,
            group: first.group,
            device: first.device.clone(),
            lang: first.lang,
            started_at: submitted_at - secs,
            ended_at: submitted_at,
            submitted_at,
        };
        out.push(again);
    }
    out.sort_by_key(|g| g.submitted_at);
    out
}

/// Rows a multi-row INSERT carries (15 values each). Measured on SQLite in a
/// debug build: 25 rows a statement loads the 20,110 responses in about 1 s,
/// 500 rows in 5 s — the cost per statement grows faster than its
/// parameters, so many small statements in one transaction win.
const ROWS_PER_INSERT: usize = 25;

/// Creates the survey under `org` (the national federation of the demo),
/// linked to `campaign` (the stationing programme), publishes and closes it,
/// and loads its responses. Returns the summary line.
pub async fn generate(db: &Db, org: OrgId, campaign: Option<CampaignId>) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    // Created by the org's admin (acftu.admin in the demo; admin without the national tree).
    let user: Option<UserId> = sqlx::query_scalar(
        "SELECT id FROM users WHERE username IN ('acftu.admin', 'admin') ORDER BY username LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    let user = user.ok_or_else(|| anyhow::anyhow!("demo survey: no admin user"))?;
    let mut form: Form = super::form_json::parse(form_json().to_string().as_bytes(), Lang::Zh)
        .map_err(|e| anyhow::anyhow!("demo survey form: {e:?}"))?;
    form.languages = form.used_languages();
    let errs = form.validate();
    anyhow::ensure!(errs.is_empty(), "demo survey form: {errs:?}");
    let fields = SurveyFields {
        title: "新就业形态劳动者专题调查（全总蹲点工作组，2021年）".into(),
        intro: Some(
            "全总机关干部赴基层蹲点活动工作小组组织，了解货车司机、网约车司机、快递员、外卖送餐员的工资收入、组织形式、劳动安全保护、社会保障、思想状况和社会稳定情况。".into(),
        ),
        org_code: None,
        campaign_id: campaign,
        opens_at: Some(OPENS_AT),
        closes_at: Some(CLOSES_AT),
        target_groups: GROUPS.to_vec(),
        one_per_device: false,
        group_question: "worker_group".into(),
        region_question: "region".into(),
        quotas: None,
    };
    let rules = rules();
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, org, &fields, user).await?;
    tx.commit().await?;
    let code: String = sqlx::query_scalar("SELECT code FROM surveys WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    let s = store::by_code(db, &code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo survey vanished"))?;

    let mut rng = Lcg::new(2021_0529);
    let all = generate_all(&mut rng);
    let bar = indicatif::ProgressBar::hidden();
    bar.set_length(all.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("  questionnaire responses {bar:40} {pos}/{len}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );

    let mut tx = db.begin().await?;
    let (version, _) =
        store::save_form(&mut tx, &s, &form, super::FormSource::Json, None, user).await?;
    store::publish(&mut tx, &s, version).await?;
    store::set_status(&mut tx, id, SurveyStatus::Closed).await?;
    // Judged below as they are inserted: no recomputation to run.
    sqlx::query("UPDATE surveys SET validity_rules = $2, validity_cursor = NULL WHERE id = $1")
        .bind(id)
        .bind(rules.to_json())
        .execute(&mut *tx)
        .await?;
    // The verdicts first, in submission order (the device rule counts).
    let today = Day::today();
    let mut per_device: HashMap<&str, i64> = HashMap::new();
    let mut invalid_by: HashMap<&'static str, usize> = HashMap::new();
    let verdicts: Vec<Vec<Reason>> = all
        .iter()
        .map(|r| {
            let earlier = per_device.entry(r.device.as_str()).or_default();
            let reasons = validity::judge(
                &rules,
                &form,
                &Facts {
                    answers: &r.answers,
                    started_at: Some(r.started_at),
                    ended_at: Some(r.ended_at),
                    earlier_from_device: Some(*earlier),
                },
                today,
            );
            *earlier += 1;
            if let Some(first) = reasons.first() {
                *invalid_by.entry(first.code()).or_default() += 1;
            }
            reasons
        })
        .collect();
    for (n, (chunk, reasons)) in all
        .chunks(ROWS_PER_INSERT)
        .zip(verdicts.chunks(ROWS_PER_INSERT))
        .enumerate()
    {
        let mut q = crate::db::Sql::new(
            "INSERT INTO survey_responses (survey_id, version_id, org_id, instance_id, answers, lang, \
             worker_group, region, device_id, started_at, ended_at, submitted_at, rules_valid, valid, \
             invalid_reasons) VALUES ",
        );
        for (i, (r, reasons)) in chunk.iter().zip(reasons).enumerate() {
            let ok = i64::from(reasons.is_empty());
            q.push(if i == 0 { "(" } else { ", (" });
            q.bind(id)
                .push(", ")
                .bind(version)
                .push(", ")
                .bind(org)
                .push(", ");
            q.bind(format!("demo-2021-{:06}", n * ROWS_PER_INSERT + i))
                .push(", ");
            q.bind(serde_json::to_string(&r.answers)?).push(", ");
            q.bind(r.lang.to_string()).push(", ");
            q.bind(group_value(r.group.as_str())).push(", ");
            q.bind(r.answers.get("region").cloned()).push(", ");
            q.bind(r.device.clone()).push(", ");
            q.bind(r.started_at)
                .push(", ")
                .bind(r.ended_at)
                .push(", ")
                .bind(r.submitted_at)
                .push(", ");
            q.bind(ok).push(", ").bind(ok).push(", ");
            q.bind(Reason::list_to_json(reasons)).push(")");
        }
        let (sql, args) = q.build();
        sqlx::query_with(sql, args).execute(&mut *tx).await?;
        bar.inc(chunk.len() as u64);
        // Show progress only when the load is slow enough to wonder about.
        if bar.is_hidden() && started.elapsed() > std::time::Duration::from_secs(2) {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
    }
    tx.commit().await?;
    bar.finish_and_clear();
    // Coded now rather than by the first visit to the analysis page.
    let forms = super::analysis::store::forms(db, id).await?;
    super::analysis::store::ensure_coded(db, id, &forms).await?;
    let valid = store::valid_count(db.pool(), id).await?;
    let invalid = all.len() as i64 - valid;
    let mut out = String::new();
    let _ = write!(
        out,
        "Questionnaire (seed 002): {} ({} questions), {} valid and {} invalid responses ({} too fast, {} same phone again, {} failed attention check, {} straight-lining) from {} provinces, loaded in {:.1} s.",
        s.title,
        form.questions()
            .iter()
            .filter(|q| q.kind != super::form::QuestionKind::Note)
            .count(),
        valid,
        invalid,
        invalid_by.get("too_fast").unwrap_or(&0),
        invalid_by.get("device_repeat").unwrap_or(&0),
        invalid_by.get("attention_check").unwrap_or(&0),
        invalid_by.get("straight_lining").unwrap_or(&0),
        PROVINCES.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_is_sound_and_uses_every_question_type() {
        let form =
            crate::survey::form_json::parse(form_json().to_string().as_bytes(), Lang::Zh).unwrap();
        assert!(form.validate().is_empty(), "{:?}", form.validate());
        let qs = form.questions();
        let kinds: std::collections::BTreeSet<String> = qs
            .iter()
            .map(|q| {
                serde_json::to_value(&q.kind).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        for k in [
            "select_one",
            "select_multiple",
            "text",
            "integer",
            "decimal",
            "date",
            "note",
            "range",
        ] {
            assert!(kinds.contains(k), "{k}");
        }
        let answered = qs
            .iter()
            .filter(|q| q.kind != super::super::form::QuestionKind::Note)
            .count();
        assert!((28..=36).contains(&answered), "{answered} questions");
        assert_eq!(validity::matrices(&form).len(), 1);
        assert!(qs.iter().any(|q| q.other) && qs.iter().any(|q| q.relevant.is_some()));
        assert!(qs.iter().any(|q| q.choice_filter.is_some()));
        assert!(form.used_languages().len() == 2, "Chinese and English");
    }

    #[test]
    fn generated_responses_pass_the_form_and_the_rules_give_the_planned_split() {
        let form =
            crate::survey::form_json::parse(form_json().to_string().as_bytes(), Lang::Zh).unwrap();
        let all = generate_all(&mut Lcg::new(2021_0529));
        let (fast, again, careless, lines) = INVALID;
        assert_eq!(all.len(), VALID_RESPONSES + fast + again + careless + lines);
        let today = Day::today();
        let mut per_device: HashMap<&str, i64> = HashMap::new();
        let mut codes: HashMap<&str, usize> = HashMap::new();
        let mut valid = 0;
        let mut groups: HashMap<WorkerGroup, usize> = HashMap::new();
        for (i, r) in all.iter().enumerate() {
            // Every response is one the server would accept (a sample, for speed).
            if i % 7 == 0 {
                let kept = crate::survey::answers::check(&form, &r.answers, today)
                    .unwrap_or_else(|e| panic!("{i}: {e:?} {:?}", r.answers));
                assert_eq!(kept, r.answers, "nothing hidden was answered");
            }
            assert!(r.submitted_at >= OPENS_AT && r.submitted_at < CLOSES_AT);
            let earlier = per_device.entry(r.device.as_str()).or_default();
            let reasons = validity::judge(
                &rules(),
                &form,
                &Facts {
                    answers: &r.answers,
                    started_at: Some(r.started_at),
                    ended_at: Some(r.ended_at),
                    earlier_from_device: Some(*earlier),
                },
                today,
            );
            *earlier += 1;
            match reasons.first() {
                None => {
                    valid += 1;
                    *groups.entry(r.group).or_default() += 1;
                }
                Some(x) => *codes.entry(x.code()).or_default() += 1,
            }
        }
        assert_eq!(valid, VALID_RESPONSES);
        assert_eq!(codes["too_fast"], fast);
        assert_eq!(codes["device_repeat"], again);
        assert_eq!(codes["attention_check"], careless);
        assert_eq!(codes["straight_lining"], lines);
        assert_eq!(groups.len(), 4);
        assert!(groups[&WorkerGroup::FoodDelivery] > groups[&WorkerGroup::TruckDriver]);
    }
}
