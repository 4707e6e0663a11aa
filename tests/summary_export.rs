//! The official-layout exports of summary tables, read back as a third party
//! would: the workbook with calamine (every cell that carries data), the PDF
//! with poppler's pdftotext (skipped with a note when it is not installed).

use std::{collections::BTreeMap, io::Cursor, path::PathBuf, process::Command};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use qingting::{
    date::Day,
    db::{CampaignId, OrgId, ProblemId},
    problem::{Source, lifecycle::Outcome},
    summary::{
        Figure, FigureKey, Head, MainItem, OutcomeCounts, Override, SourceBlock, SummaryTable,
        UpperItem,
        export::{NOTE, Rollup, TICK, pdf, xlsx},
    },
};

const CAMPAIGN: &str = "关于坚持大调研常态化制度化继续开展“大走访、大调解、大服务”活动的通知";

const LONG: &str = "园区内多家物流企业的快递员、网约配送员反映，园区停车位紧张、充电设施不足，\
    午间没有固定的休息和就餐场所，雨雪天气只能在楼宇门口等候派单，希望工会协调园区管委会和物业在\
    地下车库设置电动车集中充电点，并在一楼开辟“暖心驿站”提供饮水、热饭和临时休息的地方。";

fn day(s: &str) -> Day {
    Day::parse_str(s).unwrap()
}

fn item(id: i64, description: &str, outcome: Option<Outcome>) -> MainItem {
    MainItem {
        problem_id: ProblemId(id),
        description: description.into(),
        topic: "工资收入".into(),
        outcome,
    }
}

/// A unit's table with several items per block, all four outcomes, an
/// undecided item, an override, long descriptions that must wrap, text that
/// looks like a formula and an empty block.
fn table(org_id: i64, org: &str) -> SummaryTable {
    let values = [12, 86, 3, 45, 7, 2];
    let figures = FigureKey::ALL
        .into_iter()
        .zip(values)
        .map(|(key, computed)| Figure {
            key,
            computed,
            overridden: (key == FigureKey::Interviews).then(|| Override {
                value: 90,
                reason: "4名职工的访谈记录为纸质，尚未录入系统".into(),
            }),
        })
        .collect();
    SummaryTable {
        head: Head {
            campaign_id: CampaignId(1),
            campaign_title: CAMPAIGN.into(),
            doc_number: Some("杨工〔2019〕28号".into()),
            issuer: "杨浦区总工会".into(),
            report_due_on: day("2019-11-15"),
            org_id: OrgId(org_id),
            org_code: format!("U{org_id}"),
            org_name: org.into(),
        },
        figures,
        blocks: vec![
            SourceBlock {
                source: Source::Worker,
                items: vec![
                    item(
                        1,
                        "职工食堂价格偏高，希望工会协调降低餐费",
                        Some(Outcome::Solved {
                            on: day("2019-11-05"),
                            note: "已与食堂承包方协商".into(),
                        }),
                    ),
                    item(
                        2,
                        LONG,
                        Some(Outcome::InProgress {
                            deadline: day("2019-11-30"),
                            note: None,
                        }),
                    ),
                    item(
                        3,
                        "希望增加职工疗休养名额",
                        Some(Outcome::Planned {
                            on: day("2020-03-31"),
                            note: None,
                        }),
                    ),
                    item(
                        4,
                        "建议开设子女暑托班",
                        Some(Outcome::ForReference { note: None }),
                    ),
                ],
                outcomes: OutcomeCounts::from_values([3, 2, 1, 4, 0]),
            },
            SourceBlock {
                source: Source::Enterprise,
                items: vec![
                    item(
                        5,
                        "=HYPERLINK(\"http://example.com\",\"点我\") 企业希望了解稳岗补贴申领流程",
                        Some(Outcome::InProgress {
                            deadline: day("2019-12-15"),
                            note: None,
                        }),
                    ),
                    item(6, "企业招工难，希望搭建用工对接平台", None),
                ],
                outcomes: OutcomeCounts::from_values([1, 1, 0, 0, 2]),
            },
            SourceBlock {
                source: Source::Union,
                items: vec![],
                outcomes: OutcomeCounts::from_values([0, 0, 0, 0, 0]),
            },
        ],
        upper: vec![
            UpperItem {
                problem_id: ProblemId(7),
                description: "园区周边公交线路少，职工通勤不便".into(),
                source: Source::Worker,
                owner: "杨浦区总工会".into(),
            },
            UpperItem {
                problem_id: ProblemId(8),
                description: "新就业形态劳动者入会渠道不畅".into(),
                source: Source::Union,
                owner: "上海市总工会".into(),
            },
        ],
        remarks: "部分数据由下属园区工会汇总。".into(),
        computed_at: 1_573_776_000,
    }
}

fn totals() -> SummaryTable {
    let mut t = table(100, "杨浦区总工会");
    t.blocks[0].outcomes = OutcomeCounts::from_values([5, 3, 2, 6, 0]);
    t.blocks[1].outcomes = OutcomeCounts::from_values([2, 1, 1, 0, 3]);
    t.blocks[2].outcomes = OutcomeCounts::from_values([0, 1, 0, 0, 0]);
    t.figures[1].overridden = None;
    t.remarks = String::new();
    t
}

type Sheet = BTreeMap<(u32, u32), Data>;

/// Sheet names, each sheet's non-empty cells, and the open workbook.
type Workbook = (Vec<String>, BTreeMap<String, Sheet>, Xlsx<Cursor<Vec<u8>>>);

fn read(bytes: &[u8]) -> Workbook {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = wb.sheet_names().to_vec();
    let mut sheets = BTreeMap::new();
    for n in &names {
        let range = wb.worksheet_range(n).unwrap();
        let cells: Sheet = range
            .used_cells()
            .filter(|(_, _, v)| !matches!(v, Data::Empty) && *v != &Data::String(String::new()))
            .map(|(r, c, v)| {
                let (r0, c0) = range.start().unwrap();
                ((r0 + r as u32, c0 + c as u32), v.clone())
            })
            .collect();
        sheets.insert(n.clone(), cells);
    }
    (names, sheets, wb)
}

fn s(v: &str) -> Data {
    Data::String(v.into())
}

fn n(v: i64) -> Data {
    Data::Float(v as f64)
}

/// Builds the expected sheet row by row, as the attachment lays it out.
struct Expect {
    cells: Sheet,
    row: u32,
    merges: Vec<(u32, u32, u32, u32)>,
}

impl Expect {
    fn new() -> Self {
        Expect {
            cells: Sheet::new(),
            row: 0,
            merges: Vec::new(),
        }
    }

    fn put(&mut self, row: u32, col: u32, v: Data) {
        self.cells.insert((row, col), v);
    }

    fn head(&mut self, unit: &str) {
        self.put(
            0,
            0,
            s("附件　杨浦区总工会（杨工〔2019〕28号）　2019年11月15日前报送"),
        );
        self.put(1, 0, s("各行业、街道、直属工会"));
        self.put(2, 0, s("“大走访、大调解、大服务”情况汇总表"));
        self.put(3, 0, s(&format!("单位：{unit}")));
        for r in 0..4 {
            self.merges.push((r, 0, r, 4));
        }
        self.row = 4;
    }

    fn figures(&mut self, v: [i64; 6]) {
        let labels = [
            "走访企事业单位数",
            "访谈职工数",
            "座谈会次数",
            "参加座谈人数",
            "解决问题数",
            "上报问题数",
        ];
        for k in 0..3 {
            let r = self.row;
            self.put(r, 0, s(labels[2 * k]));
            self.put(r, 1, n(v[2 * k]));
            self.put(r, 2, s(labels[2 * k + 1]));
            self.put(r, 3, n(v[2 * k + 1]));
            self.merges.push((r, 3, r, 4));
            self.row += 1;
        }
    }

    /// One numbered item: its text over four rows, the tick in row `tick`
    /// (0 solved … 3 reference), the dates beside 正在解决 and 计划解决.
    fn item(
        &mut self,
        text: &str,
        tick: Option<usize>,
        deadline: Option<&str>,
        planned: Option<&str>,
    ) {
        let r = self.row;
        self.put(r, 1, s(text));
        self.merges.push((r, 1, r + 3, 1));
        for (k, label) in ["已经解决或采纳", "正在解决", "计划解决", "留作参考"]
            .iter()
            .enumerate()
        {
            let row = r + k as u32;
            self.put(row, 2, s(label));
            if tick == Some(k) {
                self.put(row, 3, s(TICK));
            }
        }
        self.put(
            r + 1,
            4,
            s(&deadline.map_or("完成时限：".into(), |d| format!("完成时限：\n{d}"))),
        );
        self.put(
            r + 2,
            4,
            s(&planned.map_or("计划时间：".into(), |d| format!("计划时间：\n{d}"))),
        );
        self.row += 4;
    }

    /// A block label over the rows since `first`.
    fn block(&mut self, first: u32, label: &str) {
        self.put(first, 0, s(label));
        self.merges.push((first, 0, self.row - 1, 0));
    }

    fn counts(&mut self, label: &str, counts: [i64; 5]) {
        let first = self.row;
        let names = [
            "已经解决或采纳",
            "正在解决",
            "计划解决",
            "留作参考",
            "未处理",
        ];
        for (k, name) in names.iter().enumerate() {
            if k == 4 && counts[4] == 0 {
                continue;
            }
            self.put(self.row, 2, s(name));
            self.put(self.row, 3, n(counts[k]));
            self.merges.push((self.row, 3, self.row, 4));
            self.row += 1;
        }
        let total: i64 = counts.iter().sum();
        self.put(first, 1, s(&format!("共 {total} 件，按处理情况统计（件）")));
        self.merges.push((first, 1, self.row - 1, 1));
        self.block(first, label);
    }

    fn upper(&mut self) {
        let first = self.row;
        for line in [
            "1．园区周边公交线路少，职工通勤不便（职工反映，现由杨浦区总工会协调解决）",
            "2．新就业形态劳动者入会渠道不畅（基层工会反映，现由上海市总工会协调解决）",
        ] {
            self.put(self.row, 1, s(line));
            self.merges.push((self.row, 1, self.row, 4));
            self.row += 1;
        }
        self.block(first, "需要上级解决的问题");
    }

    fn notes(&mut self, lines: &[&str]) {
        for line in lines {
            self.put(self.row, 0, s(line));
            self.merges.push((self.row, 0, self.row, 4));
            self.row += 1;
        }
    }
}

/// The sheet of the fixture unit, cell by cell.
fn expected_unit(unit: &str) -> Expect {
    let mut e = Expect::new();
    e.head(unit);
    e.figures([12, 90, 3, 45, 7, 2]);

    let first = e.row;
    e.item(
        "1．职工食堂价格偏高，希望工会协调降低餐费",
        Some(0),
        None,
        None,
    );
    e.item(&format!("2．{LONG}"), Some(1), Some("2019年11月30日"), None);
    e.item(
        "3．希望增加职工疗休养名额",
        Some(2),
        None,
        Some("2020年3月31日"),
    );
    e.item("4．建议开设子女暑托班", Some(3), None, None);
    e.block(first, "职工反映的主要问题和意见建议");

    let first = e.row;
    e.item(
        "1．=HYPERLINK(\"http://example.com\",\"点我\") 企业希望了解稳岗补贴申领流程",
        Some(1),
        Some("2019年12月15日"),
        None,
    );
    e.item("2．企业招工难，希望搭建用工对接平台", None, None, None);
    e.block(first, "企事业单位反映的主要问题和意见建议");

    // An empty block prints the two blank numbered items of the blank form.
    let first = e.row;
    e.item("1．", None, None, None);
    e.item("2．", None, None, None);
    e.block(first, "基层工会反映的主要问题和意见建议");

    e.upper();
    e.notes(&[
        NOTE,
        "2.访谈职工数：系统统计 86，填报 90，原因：4名职工的访谈记录为纸质，尚未录入系统",
        "备注：部分数据由下属园区工会汇总。",
    ]);
    e
}

fn assert_sheet(actual: &Sheet, expected: &Sheet, sheet: &str) {
    for (pos, want) in expected {
        assert_eq!(actual.get(pos), Some(want), "{sheet}: cell {pos:?}");
    }
    for (pos, got) in actual {
        assert!(
            expected.contains_key(pos),
            "{sheet}: unexpected cell {pos:?} = {got:?}"
        );
    }
}

fn assert_merges(wb: &mut Xlsx<Cursor<Vec<u8>>>, sheet: &str, expected: &[(u32, u32, u32, u32)]) {
    let mut got: Vec<(u32, u32, u32, u32)> = wb
        .merge_cells_by_sheet_name(sheet)
        .unwrap()
        .into_iter()
        .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
        .collect();
    let mut want = expected.to_vec();
    got.sort();
    want.sort();
    assert_eq!(got, want, "{sheet}: merged ranges");
}

#[test]
fn the_unit_workbook_holds_every_figure_item_tick_and_date_of_the_table() {
    let t = table(1, "控江路街道总工会");
    let bytes = xlsx::unit_workbook(&t).unwrap();
    std::fs::write(screenshots().join("summary-table.xlsx"), &bytes).unwrap();
    let (names, sheets, mut wb) = read(&bytes);
    assert_eq!(names, ["控江路街道总工会"]);
    let e = expected_unit("控江路街道总工会");
    assert_sheet(&sheets["控江路街道总工会"], &e.cells, "unit");
    assert_merges(&mut wb, "控江路街道总工会", &e.merges);

    // Exactly one tick per decided item, none for the undecided one.
    let ticks = sheets["控江路街道总工会"]
        .values()
        .filter(|v| **v == s(TICK))
        .count();
    assert_eq!(ticks, 5);
}

#[test]
fn the_rollup_has_a_totals_sheet_with_counts_then_one_sheet_per_unit() {
    let units = vec![
        table(1, "控江路街道总工会"),
        table(2, "控江路街道总工会"),
        table(3, "建筑/建材[行业]工会:联合会*总部?"),
        table(
            4,
            "上海市杨浦区某某街道某某园区某某楼宇联合工会委员会第一分会第二小组",
        ),
    ];
    let bytes = xlsx::rollup_workbook(&Rollup {
        totals: totals(),
        units: units.clone(),
        own: None,
        notes: vec![],
    })
    .unwrap();
    std::fs::write(screenshots().join("summary-rollup.xlsx"), &bytes).unwrap();
    let (names, sheets, mut wb) = read(&bytes);
    assert_eq!(
        names,
        [
            "合计",
            "控江路街道总工会",
            "控江路街道总工会(2)",
            "建筑_建材_行业_工会_联合会_总部_",
            "上海市杨浦区某某街道某某园区某某楼宇联合工会委员会第一分会第二",
        ]
    );
    assert!(names.iter().all(|n| n.encode_utf16().count() <= 31));

    let mut e = Expect::new();
    e.head("杨浦区总工会（合计）");
    e.figures([12, 86, 3, 45, 7, 2]);
    e.counts("职工反映的主要问题和意见建议", [5, 3, 2, 6, 0]);
    e.counts("企事业单位反映的主要问题和意见建议", [2, 1, 1, 0, 3]);
    e.counts("基层工会反映的主要问题和意见建议", [0, 1, 0, 0, 0]);
    e.upper();
    e.notes(&[
        NOTE,
        "2.本表为4个单位情况汇总表的合计，各单位明细见其后各表。",
    ]);
    assert_sheet(&sheets["合计"], &e.cells, "合计");
    assert_merges(&mut wb, "合计", &e.merges);

    // Each unit's sheet is the unit's own table.
    let e = expected_unit("控江路街道总工会");
    for name in &names[1..] {
        let mut want = e.cells.clone();
        let unit = units[names.iter().position(|n| n == name).unwrap() - 1]
            .head
            .org_name
            .clone();
        want.insert((3, 0), s(&format!("单位：{unit}")));
        assert_sheet(&sheets[name], &want, name);
        assert_merges(&mut wb, name, &e.merges);
    }
}

#[test]
fn formula_like_text_stays_text() {
    let mut t = table(1, "=cmd|' /C calc'!A0");
    t.remarks = "=1+1".into();
    t.blocks[2].items = vec![item(9, "@SUM(A1:A9)", None)];
    let bytes = xlsx::unit_workbook(&t).unwrap();
    let (names, sheets, _) = read(&bytes);
    let sheet = &sheets[&names[0]];
    assert!(sheet.values().any(|v| *v == s("单位：=cmd|' /C calc'!A0")));
    assert!(sheet.values().any(|v| *v == s("1．@SUM(A1:A9)")));
    assert!(sheet.values().any(|v| *v == s("备注：=1+1")));
    // No cell of the workbook is a formula.
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let formulas = wb.worksheet_formula(&names[0]).unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
}

fn fonts() -> Option<qingting::pdf::PdfFonts> {
    match qingting::pdf::PdfFonts::load(&qingting::config::Settings::default()) {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("NOTE: PDF test skipped: {e}");
            None
        }
    }
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("-v").output().is_ok()
}

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_pdf_prints_the_unit_figures_and_items_with_an_embedded_chinese_font() {
    let Some(fonts) = fonts() else { return };
    let tables = vec![table(1, "控江路街道总工会"), table(2, "延吉新村街道总工会")];
    let bytes = pdf::render(&tables, &fonts).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("summary.pdf");
    std::fs::write(&file, &bytes).unwrap();
    std::fs::write(screenshots().join("summary-table.pdf"), &bytes).unwrap();

    if !tool("pdftotext") {
        eprintln!(
            "NOTE: pdftotext not installed (apt-get install poppler-utils): PDF text not checked"
        );
        return;
    }
    // -raw keeps the order the text was drawn in: cell by cell, line by line.
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let has = |needle: &str| {
        let needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
        flat.contains(&needle)
    };
    for unit in ["控江路街道总工会", "延吉新村街道总工会"] {
        assert!(has(&format!("单位：{unit}")), "{unit} missing:\n{text}");
    }
    assert!(has("“大走访、大调解、大服务”情况汇总表"));
    for (label, value) in [
        ("走访企事业单位数", 12),
        ("访谈职工数", 90),
        ("座谈会次数", 3),
        ("参加座谈人数", 45),
        ("解决问题数", 7),
        ("上报问题数", 2),
    ] {
        assert!(
            has(&format!("{label}{value}")),
            "{label} {value} missing:\n{text}"
        );
    }
    for d in [
        "1．职工食堂价格偏高，希望工会协调降低餐费",
        &format!("2．{LONG}"),
        "企业招工难，希望搭建用工对接平台",
        "完成时限：2019年11月30日",
        "计划时间：2020年3月31日",
        "1．园区周边公交线路少，职工通勤不便",
        NOTE,
        "访谈职工数：系统统计86，填报90",
    ] {
        assert!(has(d), "{d} missing:\n{text}");
    }
    assert!(flat.contains(TICK));

    // Fonts are embedded (as a subset), so the form prints the same anywhere.
    if tool("pdffonts") {
        let out = Command::new("pdffonts").arg(&file).output().unwrap();
        let list = String::from_utf8_lossy(&out.stdout);
        assert!(list.contains("CJK"), "{list}");
        for line in list.lines().skip(2) {
            assert!(line.contains(" yes "), "font not embedded: {line}");
        }
    }
    // Each table starts on its own page; a long table may continue.
    let pages = text.matches('\u{c}').count();
    assert!(pages >= 2, "{pages} pages");

    if tool("pdftoppm") {
        let png = screenshots().join("summary-table");
        let ok = Command::new("pdftoppm")
            .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
            .arg(&file)
            .arg(&png)
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

fn pdf_text(bytes: &[u8]) -> Option<String> {
    if !tool("pdftotext") {
        eprintln!(
            "NOTE: pdftotext not installed (apt-get install poppler-utils): PDF text not checked"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_rollup_pdf_starts_with_the_totals() {
    let Some(fonts) = fonts() else { return };
    let r = Rollup {
        totals: totals(),
        units: vec![table(1, "控江路街道总工会")],
        own: Some(totals()),
        notes: vec![],
    };
    let bytes = pdf::render_rollup(&r, &fonts).unwrap();
    std::fs::write(screenshots().join("summary-rollup.pdf"), &bytes).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(pdf::render(&[], &fonts).is_err());
    let Some(text) = pdf_text(&bytes) else { return };
    let first = text.split('\u{c}').next().unwrap();
    assert!(first.contains("单位：杨浦区总工会（合计）"), "{first}");
    assert!(first.contains("共 16 件，按处理情况统计（件）"), "{first}");
    assert!(first.contains("未处理"), "{first}");
}

#[test]
fn the_own_level_has_the_last_sheet_and_the_totals_say_so() {
    let mut own = totals();
    own.head.org_name = "杨浦区总工会".into();
    let units = vec![table(1, "本级"), table(2, "控江路街道总工会")];
    let bytes = xlsx::rollup_workbook(&Rollup {
        totals: totals(),
        units,
        own: Some(own),
        notes: vec!["本表按报送口径汇总。".into()],
    })
    .unwrap();
    let (names, sheets, _) = read(&bytes);
    // The fixed names are taken first: a unit called 本级 is the one renamed.
    assert_eq!(names, ["合计", "本级(2)", "控江路街道总工会", "本级"]);
    assert_eq!(sheets["本级"][&(3, 0)], s("单位：杨浦区总工会（本级）"));
    assert_eq!(sheets["合计"][&(3, 0)], s("单位：杨浦区总工会（合计）"));
    let notes: Vec<String> = sheets["合计"].values().map(|v| v.to_string()).collect();
    assert!(
        notes
            .iter()
            .any(|n| n == "2.本表为2个单位情况汇总表与本级的合计，各单位及本级明细见其后各表。"),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n == "3.本表按报送口径汇总。"),
        "{notes:?}"
    );
}

#[test]
fn a_long_table_continues_on_further_pages_with_its_unit_repeated() {
    let Some(fonts) = fonts() else { return };
    let mut t = table(1, "控江路街道总工会");
    let items = t.blocks[0].items.clone();
    t.blocks[0].items = (0..16).map(|i| items[i % items.len()].clone()).collect();
    // A description taller than a page flows on to the next one.
    let long: String = (0..110)
        .map(|i| format!("第{i}句职工反映的问题。"))
        .collect();
    t.blocks[1].items[1].description = long.clone();
    let bytes = pdf::render(&[t], &fonts).unwrap();
    std::fs::write(screenshots().join("summary-long.pdf"), &bytes).unwrap();
    let Some(text) = pdf_text(&bytes) else { return };
    let pages: Vec<&str> = text
        .split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect();
    assert!(pages.len() >= 4, "{} pages", pages.len());
    for (i, page) in pages.iter().enumerate().skip(1) {
        assert!(
            page.contains("单位：控江路街道总工会（续）"),
            "page {}",
            i + 1
        );
        assert!(page.contains(&format!("第 {} 页，共 {} 页", i + 1, pages.len())));
    }
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for n in 1..=16 {
        assert!(flat.contains(&format!("{n}．")), "item {n}");
    }
    // Every sentence of the long description is printed once, in order: read
    // column B alone (x 116–320 pt, below the continuation line), where the
    // parts on consecutive pages follow each other.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let out = Command::new("pdftotext")
        .args([
            "-raw", "-enc", "UTF-8", "-x", "116", "-y", "76", "-W", "204", "-H", "712",
        ])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let column: String = String::from_utf8(out.stdout)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert_eq!(column.matches(long.as_str()).count(), 1, "{column}");
}
