//! The seed 002 programme for the demo: the national tree above the district
//! (中华全国总工会 → 15 provincial federations → 上海市总工会 → the district),
//! and 全总机关干部赴基层蹲点活动（第一批）: 15 work groups of 50 cadres in the
//! provinces the article names, all arrived by 18 May 2021, with temporary
//! party branches, contacts at local unions, study logs (浙江's 周二夜学, 河北's
//! meeting on the day it arrived), the leaders' visits of June 2021, about 100
//! enterprises visited, 400+ workers interviewed, symposiums and the problems
//! heard. Deterministic.

use std::fmt::Write as _;

use crate::{
    activity::{ActivityFields, ActivityKind, Composition},
    auth::Role,
    campaign::{CampaignFields, CampaignKind, CampaignStatus, Targets},
    date::Day,
    db::{CampaignId, Db, EnterpriseId, OrgId, Tx, UserId},
    demo::{Lcg, add_org, add_user},
    enterprise::{EnterpriseFields, WorkerGroup},
    problem::{ProblemFields, Source, lifecycle::Outcome, store::Origin},
};

use super::{ContactFields, GroupFields, MemberFields, StudyFields, VisitFields};

/// A province of the first batch: short name (the questionnaire's region),
/// federation name, pinyin (code `P-<PINYIN>`, login `<pinyin>.leader`), the
/// division code its enterprises are registered in, the city the group works
/// in, and how many cadres the group has.
struct Province {
    short: &'static str,
    name: &'static str,
    pinyin: &'static str,
    division: &'static str,
    city: &'static str,
    members: usize,
}

const fn p(
    short: &'static str,
    name: &'static str,
    pinyin: &'static str,
    division: &'static str,
    city: &'static str,
    members: usize,
) -> Province {
    Province {
        short,
        name,
        pinyin,
        division,
        city,
        members,
    }
}

/// The fifteen provinces in the article's order; 5 groups of 4 and 10 of 3
/// make the 50 cadres.
const PROVINCES: [Province; 15] = [
    p("湖南", "湖南省总工会", "hunan", "430100", "长沙", 4),
    p("云南", "云南省总工会", "yunnan", "530100", "昆明", 4),
    p("广东", "广东省总工会", "guangdong", "440100", "广州", 4),
    p("浙江", "浙江省总工会", "zhejiang", "330200", "宁波", 4),
    p("河北", "河北省总工会", "hebei", "130100", "石家庄", 4),
    p("上海", "上海市总工会", "shanghai", "310110", "上海", 3),
    p("天津", "天津市总工会", "tianjin", "120116", "天津", 3),
    p("江苏", "江苏省总工会", "jiangsu", "320500", "苏州", 3),
    p("重庆", "重庆市总工会", "chongqing", "500112", "重庆", 3),
    p("江西", "江西省总工会", "jiangxi", "361000", "抚州", 3),
    p("安徽", "安徽省总工会", "anhui", "340100", "合肥", 3),
    p("湖北", "湖北省总工会", "hubei", "420100", "武汉", 3),
    p(
        "黑龙江",
        "黑龙江省总工会",
        "heilongjiang",
        "230600",
        "大庆",
        3,
    ),
    p("河南", "河南省总工会", "henan", "410100", "郑州", 3),
    p("陕西", "陕西省总工会", "shaanxi", "610100", "西安", 3),
];

/// The national tree the demo district hangs under.
pub struct National {
    /// 中华全国总工会 (ACFTU).
    pub acftu: OrgId,
    /// 上海市总工会 (P-SHANGHAI), the district's parent.
    pub shanghai: OrgId,
    /// Each province's federation, in [`PROVINCES`] order.
    provinces: Vec<OrgId>,
}

/// Creates 中华全国总工会 (ACFTU) and its fifteen provincial federations, the
/// national admin `acftu.admin` and one leader login per group
/// (`hunan.leader`, …, cadres at their province).
pub async fn national_tree(tx: &mut Tx, hash: &str) -> anyhow::Result<National> {
    let acftu = add_org(tx, "ACFTU", "中华全国总工会", "federation", None, 0).await?;
    add_user(
        tx,
        "acftu.admin",
        "全总管理员",
        "ACFTU",
        acftu,
        Role::Admin,
        hash,
    )
    .await?;
    let mut provinces = Vec::new();
    for (i, pr) in PROVINCES.iter().enumerate() {
        let code = format!("P-{}", pr.pinyin.to_ascii_uppercase());
        let id = add_org(tx, &code, pr.name, "federation", Some(acftu), i as i64 + 1).await?;
        provinces.push(id);
    }
    let shanghai = provinces[5];
    Ok(National {
        acftu,
        shanghai,
        provinces,
    })
}

/// The demo logins of the national tree, for `serve --demo`.
pub fn logins_text() -> &'static str {
    "  acftu.admin      全总管理员 (national admin: the stationing programme and its questionnaire)\n  \
     hunan.leader     湖南工作组组长 (cadre at 湖南省总工会; every group: <pinyin>.leader, e.g. zhejiang.leader, shanghai.leader)\n"
}

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗",
];
const GIVEN: [&str; 24] = [
    "建国", "海涛", "晓东", "丽华", "志强", "雪梅", "文杰", "春燕", "国庆", "玉兰", "晓明", "静",
    "磊", "敏", "伟", "芳", "红梅", "立新", "冬梅", "振宇", "思远", "慧", "宏伟", "佳",
];
const DEPARTMENTS: [&str; 12] = [
    "全总办公厅",
    "全总组织部",
    "全总宣传教育部",
    "全总研究室",
    "全总基层工作部",
    "全总权益保障部",
    "全总经济工作部",
    "全总法律工作部",
    "全总女职工部",
    "全总网络工作部",
    "全总国际联络部",
    "全总机关党委",
];
const DUTIES: [&str; 4] = [
    "联络协调、调查研究",
    "专题调研、问卷统计",
    "宣传信息、材料撰写",
    "党建学习、后勤保障",
];

/// Named enterprises of the article, by province.
const NAMED: [(&str, &str, bool); 8] = [
    ("广东", "美团", false),
    ("云南", "云南腾晋物流公司", false),
    ("云南", "昆明宏思网络科技公司", false),
    ("云南", "中通快递云南分公司", false),
    ("安徽", "合肥传化信实公路港物流有限公司", false),
    ("湖北", "中德华建公司", false),
    ("陕西", "陕西测绘地理信息局", true),
    ("上海", "上海软件园", false),
];

const HEADS: [&str; 16] = [
    "顺丰", "安达", "通达", "快捷", "恒通", "速运", "联运", "捷达", "众邦", "远航", "畅行", "鸿运",
    "志诚", "万家", "同城", "优选",
];
const TRADES: [(&str, WorkerGroup); 6] = [
    ("物流", WorkerGroup::TruckDriver),
    ("货运", WorkerGroup::TruckDriver),
    ("快递服务", WorkerGroup::Courier),
    ("网约车服务", WorkerGroup::RideHailing),
    ("汽车租赁", WorkerGroup::RideHailing),
    ("即时配送", WorkerGroup::FoodDelivery),
];

/// Problems heard by topic: (topic code, worker group, text).
const PROBLEMS: [(&str, &str, &str); 12] = [
    (
        "wages",
        "food_delivery",
        "骑手反映平台单价下调、恶劣天气补贴不透明，收入不稳定",
    ),
    (
        "wages",
        "truck_driver",
        "货车司机反映运费被层层压价，油费和过路费自己承担",
    ),
    (
        "organisation",
        "courier",
        "快递员多为外包用工，劳动关系不清，不知道向哪个工会入会",
    ),
    (
        "organisation",
        "ride_hailing",
        "网约车司机希望成立行业工会，有组织可以依靠",
    ),
    (
        "safety",
        "food_delivery",
        "配送时限紧，骑手闯红灯、逆行现象多，交通事故风险大",
    ),
    (
        "safety",
        "truck_driver",
        "长途货车司机疲劳驾驶，服务区休息和停车难",
    ),
    (
        "social_security",
        "courier",
        "快递员大多没有缴纳社会保险，职业伤害保障缺失",
    ),
    (
        "social_security",
        "ride_hailing",
        "网约车司机以灵活就业身份参保，缴费负担重",
    ),
    (
        "ideology",
        "food_delivery",
        "骑手普遍希望得到社会尊重，对“被算法管理”有情绪",
    ),
    (
        "ideology",
        "courier",
        "年轻快递员对职业前景有顾虑，希望有技能提升通道",
    ),
    (
        "stability",
        "truck_driver",
        "平台规则调整时司机聚集反映诉求，需建立沟通协商机制",
    ),
    (
        "stability",
        "ride_hailing",
        "网约车抽成比例争议较大，易引发群体性诉求",
    ),
];

fn d(s: &str) -> anyhow::Result<Day> {
    Day::parse_str(s).ok_or_else(|| anyhow::anyhow!("demo date {s}"))
}

fn person(rng: &mut Lcg) -> String {
    format!("{}{}", rng.pick(&SURNAMES), rng.pick(&GIVEN))
}

fn phone(rng: &mut Lcg) -> crate::org::Phone {
    let raw = format!(
        "1{}{:09}",
        rng.pick(&["39", "38", "58", "86", "37"]),
        rng.below(1_000_000_000)
    );
    crate::org::Phone::parse("phone", &raw[..11]).expect("a demo mobile number")
}

/// The noon of a day, for created_at of back-dated records.
fn noon(day: Day) -> i64 {
    day.end_timestamp() - 12 * 3600
}

/// Creates the programme, its groups and their records under `n`; returns
/// the programme (the questionnaire is linked to it afterwards) and the
/// summary line.
pub async fn generate(db: &Db, n: &National) -> anyhow::Result<(CampaignId, String)> {
    let mut rng = Lcg::new(2021_0518);
    let mut txn = db.begin().await?;
    let tx = &mut txn;
    let admin: UserId = sqlx::query_scalar("SELECT id FROM users WHERE username = 'acftu.admin'")
        .fetch_one(&mut **tx)
        .await?;
    let f = CampaignFields {
        issuer: None,
        kind: CampaignKind::Stationing,
        title: "全总机关干部赴基层蹲点活动（第一批）".into(),
        doc_number: None,
        theme: Some("访民情、听民声、知民意".into()),
        notice: Some(
            "根据《全总机关干部赴基层蹲点活动通知》要求，5月18日前，全总机关干部第一批蹲点的15个组50名同志全部到达基层单位，开始为期3至6个月的蹲点工作。\n\
             各工作组深入基层一线，加强调查研究，聚焦重点难点，访民情、听民声、知民意。5月29日至6月4日开展新就业形态劳动者专题调查研究。"
                .into(),
        ),
        starts_on: d("2021-05-18")?,
        ends_on: d("2021-11-17")?,
        report_due_on: d("2021-11-30")?,
        units: None,
    };
    let programme =
        crate::campaign::store::insert(tx, n.acftu, &f, CampaignStatus::Active, None, Some(admin))
            .await?;
    let units: Vec<(OrgId, Targets)> = n
        .provinces
        .iter()
        .map(|o| (*o, Targets::default()))
        .collect();
    crate::campaign::store::set_units(tx, programme, &units).await?;

    let mut members_total = 0;
    let mut enterprises_total = 0;
    let mut interviews_total = 0;
    let mut symposiums_total = 0;
    let mut problems_total = 0;
    let mut ent_serial = 0;
    for (i, pr) in PROVINCES.iter().enumerate() {
        let org = n.provinces[i];
        let code = format!("P-{}", pr.pinyin.to_ascii_uppercase());
        let leader_name = person(&mut rng);
        let leader_login = format!("{}.leader", pr.pinyin);
        let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
            .bind(admin)
            .fetch_one(&mut **tx)
            .await?;
        add_user(
            tx,
            &leader_login,
            &leader_name,
            &code,
            org,
            Role::Cadre,
            &hash,
        )
        .await?;
        let leader_id: UserId = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(&leader_login)
            .fetch_one(&mut **tx)
            .await?;
        // Members: the leader first, then cadres of the national federation's departments.
        let mut members = vec![MemberFields {
            name: leader_name.clone(),
            department: Some(DEPARTMENTS[i % DEPARTMENTS.len()].into()),
            duty: Some("组长，全面负责蹲点工作和临时党支部".into()),
            is_leader: true,
            username: Some(leader_login.clone()),
        }];
        for k in 1..pr.members {
            members.push(MemberFields {
                name: person(&mut rng),
                department: Some(DEPARTMENTS[(i + 3 * k) % DEPARTMENTS.len()].into()),
                duty: Some(DUTIES[(k - 1) % DUTIES.len()].into()),
                is_leader: false,
                username: None,
            });
        }
        members_total += members.len();
        // Everyone arrived by 18 May; 河北 and 云南 on the day.
        let arrived = match pr.short {
            "河北" | "云南" => "2021-05-18",
            _ if i % 2 == 0 => "2021-05-17",
            _ => "2021-05-16",
        };
        let ends = if i % 3 == 0 {
            "2021-08-17"
        } else {
            "2021-11-17"
        };
        let group = GroupFields {
            name: format!("{}工作组", pr.short),
            host_org_code: code.clone(),
            region: pr.short.into(),
            arrival_due_on: d("2021-05-18")?,
            arrived_on: Some(d(arrived)?),
            starts_on: d("2021-05-18")?,
            ends_on: d(ends)?,
            party_branch: true,
            remarks: Some(format!(
                "驻{}，在{}开展蹲点调研；成立临时党支部。",
                pr.name, pr.city
            )),
            members,
        };
        let users: Vec<Option<UserId>> = group
            .members
            .iter()
            .map(|m| m.is_leader.then_some(leader_id))
            .collect();
        let gid = super::store::insert(tx, programme, org, &group, &users, admin)
            .await
            .map_err(|e| anyhow::anyhow!("demo group {}: {e:?}", pr.short))?;

        // Contacts at local unions.
        let local = match pr.short {
            "湖南" => "长沙县总工会",
            "云南" => "晋宁区总工会",
            "浙江" => "宁波市总工会",
            "江苏" => "苏州市高新区总工会",
            "重庆" => "两江新区总工会",
            "江西" => "抚州市总工会",
            "天津" => "天津港保税区总工会",
            "安徽" => "肥东县总工会",
            _ => "",
        };
        let local = if local.is_empty() {
            format!("{}市总工会", pr.city)
        } else {
            local.to_string()
        };
        for (title, org_name) in [
            ("副主席", local.clone()),
            ("基层工作部部长", pr.name.into()),
        ] {
            let c = ContactFields {
                name: person(&mut rng),
                job_title: Some(title.into()),
                org_name: Some(org_name),
                phone: Some(phone(&mut rng)),
            };
            super::store::save_contact(tx, gid, org, None, &c)
                .await
                .map_err(|e| anyhow::anyhow!("demo contact: {e:?}"))?;
        }

        // The study log.
        let mut studies: Vec<StudyFields> = Vec::new();
        match pr.short {
            "浙江" => {
                // 周二夜学, after 宁波市总工会's 夜学 model: every Tuesday evening.
                let topics = [
                    "周二夜学：学习《中国共产党简史》第一章",
                    "周二夜学：党史学习教育专题研讨",
                    "周二夜学：学习习近平总书记关于工人阶级和工会工作的重要论述",
                    "周二夜学：新就业形态劳动者权益保障政策学习",
                    "周二夜学：交流蹲点调研体会",
                ];
                for (w, t) in topics.iter().enumerate() {
                    studies.push(StudyFields {
                        held_on: d("2021-05-25")?.plus_days(7 * w as i64),
                        subject: (*t).into(),
                        attendees: pr.members as i64,
                        remarks: (w == 0).then(|| {
                            "参照宁波市总工会“夜学”模式制定“周二夜学”学习制度，将党史学习教育作为重要政治任务抓紧抓好。"
                                .into()
                        }),
                    });
                }
            }
            "河北" => {
                studies.push(StudyFields {
                    held_on: d("2021-05-18")?,
                    subject: "抵冀当日组内碰头会：划分组内分工".into(),
                    attendees: pr.members as i64,
                    remarks: Some("根据全总机关蹲点工作要求，划分组内分工，明确组长和每名组员的职责任务，为蹲点工作做好组织保障。".into()),
                });
                studies.push(StudyFields {
                    held_on: d("2021-06-08")?,
                    subject: "临时党支部党史学习教育".into(),
                    attendees: pr.members as i64,
                    remarks: None,
                });
            }
            "陕西" => studies.push(StudyFields {
                held_on: d("2021-06-18")?,
                subject:
                    "党史学习教育主题党日：学习习近平总书记给国测一大队老队员、老党员的回信精神"
                        .into(),
                attendees: pr.members as i64,
                remarks: Some(
                    "在陕西测绘地理信息局参观国测一大队精神展示室，看望慰问困难职工。".into(),
                ),
            }),
            _ => studies.push(StudyFields {
                held_on: d("2021-05-26")?.plus_days(i as i64 % 5),
                subject: "临时党支部学习：党史学习教育和蹲点工作要求".into(),
                attendees: pr.members as i64,
                remarks: None,
            }),
        }
        for s in &studies {
            super::store::save_study(tx, gid, org, None, s)
                .await
                .map_err(|e| anyhow::anyhow!("demo study: {e:?}"))?;
        }

        // Leaders' visits in June 2021.
        let visit = match pr.short {
            "湖南" => Some(("蔡振华", "2021-06-09")),
            "云南" => Some(("阎京华", "2021-06-11")),
            "广东" => Some(("张茂华", "2021-06-16")),
            _ => None,
        };
        if let Some((leader, on)) = visit {
            let v = VisitFields {
                visited_on: d(on)?,
                leader_name: leader.into(),
                leader_title: Some("全总领导".into()),
                remarks: Some("看望蹲点工作组，详细了解工作组的工作、学习、生活情况以及面临的问题、困难，对工作组近期开展的各项工作给予充分肯定。".into()),
            };
            super::store::save_visit(tx, gid, org, None, &v)
                .await
                .map_err(|e| anyhow::anyhow!("demo visit: {e:?}"))?;
        }

        // Enterprises of the province: the article's names first, then generated ones.
        let count = 6 + (i % 3 == 0) as usize + (i == 2) as usize;
        let mut ents: Vec<(EnterpriseId, WorkerGroup)> = Vec::new();
        let named: Vec<&(&str, &str, bool)> =
            NAMED.iter().filter(|(p, _, _)| *p == pr.short).collect();
        for k in 0..count {
            ent_serial += 1;
            let (name, institution, group) = match named.get(k) {
                Some((_, name, inst)) => {
                    let g = if name.contains("快递") {
                        WorkerGroup::Courier
                    } else if name.contains("美团") || name.contains("网络") {
                        WorkerGroup::FoodDelivery
                    } else {
                        WorkerGroup::TruckDriver
                    };
                    ((*name).to_string(), *inst, g)
                }
                None => {
                    let (trade, g) = TRADES[(ent_serial + k) % TRADES.len()];
                    (
                        format!("{}{}{}有限公司", pr.city, rng.pick(&HEADS), trade),
                        false,
                        g,
                    )
                }
            };
            let mut name = name;
            let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE name = $1")
                .bind(&name)
                .fetch_one(&mut **tx)
                .await?;
            if taken > 0 {
                name = format!("{name}（{}分公司）", pr.city);
            }
            let credit_code = loop {
                let prefix = if institution { "12" } else { "91" };
                let lead = (!institution).then_some("MA");
                let Some(code) =
                    crate::enterprise::demo::credit_code_in(&mut rng, prefix, pr.division, lead)
                else {
                    continue;
                };
                let used: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM enterprises WHERE credit_code = $1")
                        .bind(code.as_str())
                        .fetch_one(&mut **tx)
                        .await?;
                if used == 0 {
                    break code;
                }
            };
            let fields = EnterpriseFields {
                name,
                credit_code,
                industry: Some(
                    if institution {
                        "公共管理"
                    } else {
                        "交通运输、仓储和邮政业"
                    }
                    .into(),
                ),
                address: Some(format!("{}市", pr.city.trim_end_matches('市'))),
                employee_count: Some(50 + rng.below(900) as i64),
                groups: if institution { Vec::new() } else { vec![group] },
                has_union: rng.below(3) > 0,
                union_org_code: None,
                org_code: code.clone(),
                contact_person: Some(person(&mut rng)),
                contact_phone: Some(phone(&mut rng)),
            };
            let id = crate::enterprise::store::insert(tx, &fields, org, None)
                .await
                .map_err(|e| anyhow::anyhow!("demo enterprise {}: {e:?}", fields.name))?;
            ents.push((id, group));
        }
        enterprises_total += ents.len();

        // Activities of the group: a visit to each enterprise, worker interviews
        // during the special survey (29 May – 4 June), one or two symposiums.
        let mut seq = 0;
        let mut record =
            |kind: ActivityKind, held_on: Day, workers: i64, participants: i64, notes: String| {
                seq += 1;
                let new_form = participants * 2 / 3;
                ActivityFields {
                    client_id: format!("demo-stationing-{}-{seq:02}", pr.pinyin),
                    campaign: Some(programme),
                    work_group: Some(gid),
                    org_code: None,
                    kind,
                    held_on,
                    place: Some(pr.city.into()),
                    enterprises: Vec::new(),
                    new_enterprise: None,
                    cadres: leader_name.clone(),
                    others: None,
                    workers_interviewed: workers,
                    participants,
                    composition: Composition {
                        frontline_workers: new_form,
                        women_workers: participants / 5,
                        migrant_workers: participants / 3,
                        new_form_workers: new_form,
                        enterprise_side: participants.min(2),
                        union_cadres: participants.min(3),
                    },
                    notes: Some(notes),
                    problems: Vec::new(),
                    union_flags: Vec::new(),
                }
            };
        let mut acts: Vec<(ActivityFields, Vec<EnterpriseId>)> = Vec::new();
        for (k, (e, _)) in ents.iter().enumerate() {
            let on = d("2021-05-20")?.plus_days((k * 4 + i) as i64 % 30);
            acts.push((
                record(
                    ActivityKind::EnterpriseVisit,
                    on,
                    0,
                    0,
                    "走访企业，了解新就业形态劳动者用工、建会入会和权益保障情况".into(),
                ),
                vec![*e],
            ));
        }
        let interviews = 3 + (i % 2);
        for k in 0..interviews {
            let (e, g) = ents[k % ents.len()];
            let workers = 6 + rng.below(5) as i64;
            interviews_total += workers;
            let on = d("2021-05-29")?.plus_days((k + i) as i64 % 7);
            acts.push((
                record(
                    ActivityKind::WorkerInterview,
                    on,
                    workers,
                    0,
                    format!(
                        "专题调研：访谈{}，了解工资收入、劳动安全和社会保障情况",
                        match g {
                            WorkerGroup::TruckDriver => "货车司机",
                            WorkerGroup::RideHailing => "网约车司机",
                            WorkerGroup::Courier => "快递员",
                            _ => "外卖配送员",
                        }
                    ),
                ),
                vec![e],
            ));
        }
        let symposiums = 1 + (i % 3 == 1) as usize;
        for k in 0..symposiums {
            symposiums_total += 1;
            let participants = 10 + rng.below(12) as i64;
            acts.push((
                record(
                    ActivityKind::Symposium,
                    d("2021-06-01")?.plus_days((k * 7 + i) as i64 % 14),
                    0,
                    participants,
                    format!("与{local}和新就业形态劳动者代表召开专题座谈会"),
                ),
                ents.iter().take(2).map(|(e, _)| *e).collect(),
            ));
        }
        for (k, (a, es)) in acts.iter().enumerate() {
            let Some(aid) = crate::activity::store::insert(tx, a, org, es, leader_id).await? else {
                continue;
            };
            let ts = noon(a.held_on);
            sqlx::query("UPDATE activities SET created_at = $1, updated_at = $1 WHERE id = $2")
                .bind(ts)
                .bind(aid)
                .execute(&mut **tx)
                .await?;
            // Problems come from the interviews and symposiums, and a few visits.
            let heard = match a.kind {
                ActivityKind::WorkerInterview => 1,
                ActivityKind::Symposium => 2,
                _ => usize::from(k % 3 == 0),
            };
            for h in 0..heard {
                let (topic, group, text) = PROBLEMS[(i * 5 + k * 3 + h) % PROBLEMS.len()];
                let fields = ProblemFields {
                    source: if a.kind == ActivityKind::EnterpriseVisit {
                        Source::Enterprise
                    } else {
                        Source::Worker
                    },
                    topic_code: topic.into(),
                    worker_group: WorkerGroup::parse(group),
                    description: text.into(),
                    raiser_name: None,
                    raiser_contact: None,
                    is_main: h == 0 && a.kind == ActivityKind::Symposium,
                    enterprise_id: es.first().copied(),
                };
                let origin = Origin {
                    org,
                    client_id: format!("{}-p{h}", a.client_id),
                    campaign: Some(programme),
                    activity: Some(aid),
                    user: Some(leader_id),
                    actor: leader_name.clone(),
                    public: false,
                };
                if let Some(pid) = crate::problem::store::insert(tx, &origin, &fields)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo problem: {e:?}"))?
                {
                    problems_total += 1;
                    sqlx::query(
                        "UPDATE problems SET created_at = $1, updated_at = $1 WHERE id = $2",
                    )
                    .bind(ts)
                    .bind(pid)
                    .execute(&mut **tx)
                    .await?;
                    sqlx::query("UPDATE problem_events SET created_at = $1 WHERE problem_id = $2")
                        .bind(ts)
                        .bind(pid)
                        .execute(&mut **tx)
                        .await?;
                    // The groups solve what they can with the local unions and
                    // keep the rest in hand; deadlines lie ahead of today.
                    let roll = (i * 7 + k * 3 + h) % 20;
                    let today = Day::today();
                    let outcome = match roll {
                        0..=8 => Some(Outcome::Solved {
                            on: a.held_on.plus_days(7 + roll as i64),
                            note: "工作组会同当地工会协调企业落实".into(),
                        }),
                        9..=12 => Some(Outcome::InProgress {
                            deadline: today.plus_days(30 + roll as i64 * 5),
                            note: Some("已与当地工会商定方案，正在推进".into()),
                        }),
                        13..=14 => Some(Outcome::Planned {
                            on: today.plus_days(90),
                            note: Some("列入地方工会下半年工作计划".into()),
                        }),
                        15..=16 => Some(Outcome::ForReference { note: None }),
                        _ => None,
                    };
                    if let Some(o) = outcome {
                        let actor = crate::problem::store::Actor {
                            user: Some(leader_id),
                            name: leader_name.clone(),
                        };
                        crate::problem::store::transition(
                            tx,
                            pid,
                            crate::problem::lifecycle::Action::Decide(o),
                            &actor,
                        )
                        .await
                        .map_err(|e| anyhow::anyhow!("demo problem outcome: {e:?}"))?;
                    }
                }
            }
        }
    }
    txn.commit().await?;
    let mut out = String::new();
    let _ = write!(
        out,
        "Stationing programme (seed 002): {} work groups of {} cadres in {} provinces, {} enterprises visited, {} workers interviewed, {} symposiums, {} problems.",
        PROVINCES.len(),
        members_total,
        PROVINCES.len(),
        enterprises_total,
        interviews_total,
        symposiums_total,
        problems_total
    );
    Ok((programme, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_groups_of_fifty_cadres() {
        assert_eq!(PROVINCES.len(), 15);
        assert_eq!(PROVINCES.iter().map(|p| p.members).sum::<usize>(), 50);
        for p in &PROVINCES {
            assert!(
                crate::org::OrgCode::parse("code", &format!("P-{}", p.pinyin)).is_ok(),
                "{}",
                p.pinyin
            );
            assert!(p.name.starts_with(p.short));
        }
    }
}
