//! Fixture workbooks are built here with rust_xlsxwriter, following the
//! XLSForm conventions (sheets survey / choices / settings, header in row 1).

use proptest::prelude::*;
use rust_xlsxwriter::Workbook;

use super::*;
use crate::survey::expr::parse;
use crate::survey::form::Choice;

type Rows<'a> = &'a [&'a [&'a str]];

/// A workbook with the given sheets; every non-empty cell a string, except
/// cells written `#n:<number>`, which are numbers.
fn book(sheets: &[(&str, Rows<'_>)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if let Some(n) = v.strip_prefix("#n:") {
                    ws.write_number(r as u32, c as u16, n.parse::<f64>().unwrap())
                        .unwrap();
                } else if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, *v).unwrap();
                }
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

const SURVEY_HEADER: &[&str] = &[
    "type",
    "name",
    "label::中文 (zh)",
    "label::English (en)",
    "hint::中文 (zh)",
    "hint::English (en)",
    "required",
    "required_message::中文 (zh)",
    "relevant",
    "constraint",
    "constraint_message::中文 (zh)",
    "constraint_message::English (en)",
    "appearance",
    "choice_filter",
    "parameters",
];

/// A form using every supported feature.
fn full_book() -> Vec<u8> {
    let survey: Rows = &[
        SURVEY_HEADER,
        &["note", "intro", "欢迎", "Welcome"],
        &[
            "begin group",
            "basics",
            "基本情况",
            "Basics",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "field-list",
        ],
        &[
            "select_one groups",
            "group",
            "职业",
            "Occupation",
            "",
            "",
            "yes",
            "请选择",
            "",
            "",
            "",
            "",
            "minimal",
        ],
        &[
            "integer",
            "age",
            "年龄",
            "Age",
            "周岁",
            "Full years",
            "true",
            "必填",
            "",
            ". >= 16 and . <= 65",
            "16–65 岁",
            "16 to 65",
            "",
        ],
        &[
            "begin_group",
            "inner",
            "工作",
            "Work",
            "",
            "",
            "",
            "",
            "${age} >= 18",
        ],
        &[
            "decimal",
            "hours",
            "每天工时",
            "Hours a day",
            "",
            "",
            "${age} > 60",
            "",
            "",
            ". <= 24",
        ],
        &[
            "select_multiple topics or_other",
            "topics",
            "关心的问题",
            "Topics",
            "",
            "",
            "",
            "",
            "",
            "count-selected(.) <= 3",
            "最多三项",
            "",
            "horizontal",
            "",
            "randomize=true",
        ],
        &["end_group"],
        &["end group"],
        &["select_one provinces", "province", "省份", "Province"],
        &[
            "select_one cities",
            "city",
            "城市",
            "City",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "${prov} = ${province}",
        ],
        &[
            "select_one groups or_other",
            "group2",
            "其他职业",
            "Other",
            "",
            "",
            "",
            "",
            "selected(${group}, 'courier')",
            "",
            "",
            "",
            "",
            "",
            "randomize=false",
        ],
        &[
            "text",
            "comment",
            "意见",
            "Comments",
            "",
            "",
            "1",
            "",
            "",
            "string-length(.) <= 200",
        ],
        &[
            "date",
            "day",
            "日期",
            "Date",
            "",
            "",
            "no",
            "",
            "",
            ". <= today()",
        ],
        &[
            "range",
            "score",
            "满意度",
            "Satisfaction",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "start=0 end=10 step=2",
        ],
        &["range", "plain_range", "默认", "Default"],
    ];
    let choices: Rows = &[
        &[
            "list_name",
            "name",
            "label::中文 (zh)",
            "label::English (en)",
            "prov",
        ],
        &["groups", "courier", "快递员", "Courier"],
        &["groups", "rider", "外卖骑手", "Food-delivery rider"],
        &["topics", "wages", "工资", "Wages"],
        &["topics", "safety", "安全", "Safety"],
        &[],
        &["provinces", "gd", "广东", "Guangdong"],
        &["provinces", "zj", "浙江", "Zhejiang"],
        &["cities", "gz", "广州", "Guangzhou", "gd"],
        &["cities", "hz", "杭州", "Hangzhou", "zj"],
    ];
    let settings: Rows = &[
        &["form_title", "form_id", "version", "default_language"],
        &[
            "新就业形态劳动者调查",
            "nfw_2026",
            "#n:2026112701",
            "中文 (zh)",
        ],
    ];
    book(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

fn zh_en(zh: &str, en: &str) -> Labels {
    let mut l = Labels::default();
    l.set("中文 (zh)", zh);
    l.set("English (en)", en);
    l
}

fn zh(zh: &str) -> Labels {
    let mut l = Labels::default();
    l.set("中文 (zh)", zh);
    l
}

fn question(form: &Form, name: &str) -> Question {
    form.questions()
        .into_iter()
        .find(|q| q.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no question {name}"))
}

#[test]
fn every_supported_feature_is_imported() {
    let form = import(&full_book()).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(form.id, "nfw_2026");
    assert_eq!(form.title, "新就业形态劳动者调查");
    assert_eq!(form.version.as_deref(), Some("2026112701"));
    assert_eq!(form.default_language.as_deref(), Some("中文 (zh)"));
    assert_eq!(form.languages, vec!["English (en)", "中文 (zh)"]);

    // Top level: intro, basics group, province, city, group2, comment, day, score, plain_range.
    let top: Vec<&str> = form.items.iter().map(Item::name).collect();
    assert_eq!(
        top,
        [
            "intro",
            "basics",
            "province",
            "city",
            "group2",
            "comment",
            "day",
            "score",
            "plain_range"
        ]
    );
    let Item::Group(basics) = &form.items[1] else {
        panic!("basics is a group")
    };
    assert_eq!(basics.label, zh_en("基本情况", "Basics"));
    assert_eq!(basics.appearance, vec![Appearance::FieldList]);
    let names: Vec<&str> = basics.items.iter().map(Item::name).collect();
    assert_eq!(names, ["group", "age", "inner"]);
    let Item::Group(inner) = &basics.items[2] else {
        panic!("inner is a group")
    };
    assert_eq!(inner.relevant, Some(parse("${age} >= 18").unwrap()));
    assert_eq!(inner.items.len(), 2);

    let intro = question(&form, "intro");
    assert_eq!(intro.kind, QuestionKind::Note);
    assert_eq!(intro.label, zh_en("欢迎", "Welcome"));
    assert_eq!(intro.label.get("zh-CN"), Some("欢迎"));
    assert_eq!(intro.label.get("en"), Some("Welcome"));

    let group = question(&form, "group");
    assert_eq!(group.kind, QuestionKind::SelectOne);
    assert_eq!(group.choices.as_deref(), Some("groups"));
    assert!(!group.other);
    assert_eq!(group.required, Required::Yes);
    assert_eq!(group.required_message, zh("请选择"));
    assert_eq!(group.appearance, vec![Appearance::Minimal]);

    let age = question(&form, "age");
    assert_eq!(age.kind, QuestionKind::Integer);
    assert_eq!(age.hint, zh_en("周岁", "Full years"));
    assert_eq!(age.required, Required::Yes);
    assert_eq!(age.constraint, Some(parse(". >= 16 and . <= 65").unwrap()));
    assert_eq!(age.constraint_message, zh_en("16–65 岁", "16 to 65"));

    let hours = question(&form, "hours");
    assert_eq!(hours.kind, QuestionKind::Decimal);
    assert_eq!(
        hours.required,
        Required::When(parse("${age} > 60").unwrap())
    );

    let topics = question(&form, "topics");
    assert_eq!(topics.kind, QuestionKind::SelectMultiple);
    assert!(topics.other);
    assert_eq!(topics.appearance, vec![Appearance::Horizontal]);
    assert_eq!(topics.constraint_message, zh("最多三项"));
    assert!(topics.shuffle, "randomize=true");
    assert!(!group.shuffle);

    let city = question(&form, "city");
    assert_eq!(
        city.choice_filter,
        Some(parse("${prov} = ${province}").unwrap())
    );
    let group2 = question(&form, "group2");
    assert!(group2.other);
    assert!(!group2.shuffle, "randomize=false");
    assert_eq!(
        group2.relevant,
        Some(parse("selected(${group}, 'courier')").unwrap())
    );
    assert_eq!(question(&form, "comment").required, Required::Yes);
    assert_eq!(question(&form, "comment").kind, QuestionKind::Text);
    assert_eq!(question(&form, "day").kind, QuestionKind::Date);
    assert_eq!(question(&form, "day").required, Required::No);
    assert_eq!(
        question(&form, "score").kind,
        QuestionKind::Range {
            start: 0.0,
            end: 10.0,
            step: 2.0
        }
    );
    assert_eq!(
        question(&form, "plain_range").kind,
        QuestionKind::Range {
            start: 1.0,
            end: 10.0,
            step: 1.0
        }
    );

    let lists: Vec<&str> = form.choice_lists.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(lists, ["groups", "topics", "provinces", "cities"]);
    assert_eq!(
        form.choice_lists[3].choices[1],
        Choice {
            name: "hz".into(),
            label: zh_en("杭州", "Hangzhou"),
            extra: [("prov".to_string(), "zj".to_string())].into(),
        }
    );
}

#[test]
fn plain_label_columns_and_a_missing_settings_sheet_are_fine() {
    let bytes = book(&[
        (
            "survey",
            &[
                &["type", "name", "label", "hint"],
                &["text", "name", "Your name", "As on your ID card"],
            ],
        ),
        ("Notes", &[&["anything at all"]]),
    ]);
    let form = import(&bytes).unwrap();
    assert_eq!(form.id, "");
    assert!(form.languages.is_empty());
    let q = question(&form, "name");
    assert_eq!(q.label, Labels::plain("Your name"));
    assert_eq!(q.hint, Labels::plain("As on your ID card"));
}

#[test]
fn the_export_imports_to_the_same_form() {
    let form = import(&full_book()).unwrap();
    let bytes = export(&form).unwrap();
    let again = import(&bytes).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(again, form);
    // And the export of the export is the same form again.
    assert_eq!(import(&export(&again).unwrap()).unwrap(), form);
}

#[test]
fn a_required_expression_spelled_like_a_keyword_survives_the_round_trip() {
    let mut q = Question::new("a", QuestionKind::Text);
    q.required = Required::When(parse("1").unwrap());
    let form = Form {
        items: vec![Item::Question(q)],
        ..Form::default()
    };
    assert_eq!(import(&export(&form).unwrap()).unwrap(), form);
}

#[test]
fn a_filter_name_that_is_both_a_question_and_a_column_is_refused() {
    let bytes = book(&[
        (
            "survey",
            &[
                &["type", "name", "choice_filter"],
                &["text", "prov"],
                &["select_one cities", "city", "${prov} = 'gd'"],
            ],
        ),
        (
            "choices",
            &[&["list_name", "name", "prov"], &["cities", "gz", "gd"]],
        ),
    ]);
    assert_eq!(
        errors(&bytes),
        vec![err(
            "survey",
            3,
            Some("C choice_filter"),
            "xlsform-err-ambiguous",
            "prov"
        )]
    );
}

#[test]
fn or_other_on_a_list_that_has_other_is_refused() {
    let bytes = book(&[
        (
            "survey",
            &[&["type", "name"], &["select_one jobs or_other", "job"]],
        ),
        (
            "choices",
            &[
                &["list_name", "name"],
                &["jobs", "courier"],
                &["jobs", "other"],
            ],
        ),
    ]);
    assert_eq!(
        errors(&bytes),
        vec![err(
            "survey",
            2,
            Some("A type"),
            "xlsform-err-other-clash",
            "other"
        )]
    );
}

// ---------------------------------------------------------------------------
// Refusals: each names the sheet, the row (as Excel shows it) and the column.

/// (sheet, row, column header, key, detail) of every error.
/// (sheet, row, "letter header", key, detail).
type Found = (String, Option<usize>, Option<String>, &'static str, String);

fn errors(bytes: &[u8]) -> Vec<Found> {
    import(bytes)
        .expect_err("the workbook should be refused")
        .into_iter()
        .map(|e| {
            (
                e.sheet,
                e.row,
                e.column.map(|c| format!("{} {}", c.letter, c.header)),
                e.key,
                e.detail,
            )
        })
        .collect()
}

fn err(sheet: &str, row: usize, col: Option<&str>, key: &'static str, detail: &str) -> Found {
    (
        sheet.to_string(),
        Some(row),
        col.map(String::from),
        key,
        detail.to_string(),
    )
}

fn survey_only(rows: Rows<'_>) -> Vec<u8> {
    book(&[
        ("survey", rows),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["yn", "yes", "Yes"],
                &["yn", "no", "No"],
            ],
        ),
    ])
}

#[test]
fn unknown_types_and_repeats_are_refused_where_they_are() {
    let bytes = survey_only(&[
        &["type", "name", "label"],
        &["text", "a", "A"],
        &["geopoint", "where", "Where?"],
        &["calculate", "c", ""],
        &["begin repeat", "kids", "Children"],
        &["integer", "age", "Age"],
        &["end repeat"],
        &["select_one", "s", "S"],
        &["select_one yn extra", "s2", "S"],
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                3,
                Some("A type"),
                "xlsform-err-unknown-type",
                "geopoint"
            ),
            err(
                "survey",
                4,
                Some("A type"),
                "xlsform-err-unknown-type",
                "calculate"
            ),
            err(
                "survey",
                5,
                Some("A type"),
                "xlsform-err-repeat",
                "begin repeat"
            ),
            err(
                "survey",
                7,
                Some("A type"),
                "xlsform-err-repeat",
                "end repeat"
            ),
            err(
                "survey",
                8,
                Some("A type"),
                "xlsform-err-list-name-missing",
                "select_one"
            ),
            err(
                "survey",
                9,
                Some("A type"),
                "xlsform-err-unknown-type",
                "select_one yn extra"
            ),
        ]
    );
}

#[test]
fn unknown_columns_are_refused_when_they_hold_anything() {
    let bytes = book(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label",
                    "calculation",
                    "media::image",
                    "trigger",
                    "read_only",
                ],
                &["text", "a", "A", "", "", "", ""],
                &["text", "b", "B", "1 + 1", "pic.png", "${a}", ""],
                &["text", "c", "C", "", "", "", "", "stray"],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label", "media::image", "image"],
                &["yn", "yes", "Yes", "y.png", "y.png"],
            ],
        ),
        (
            "settings",
            &[
                &["form_title", "form_id", "instance_name", "style"],
                &["T", "t", "concat(${a})", ""],
            ],
        ),
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                1,
                Some("D calculation"),
                "xlsform-err-unknown-column",
                "calculation"
            ),
            err(
                "survey",
                1,
                Some("E media::image"),
                "xlsform-err-unknown-column",
                "media::image"
            ),
            err(
                "survey",
                1,
                Some("F trigger"),
                "xlsform-err-unknown-column",
                "trigger"
            ),
            err("survey", 4, Some("H "), "xlsform-err-no-header", "stray"),
            err(
                "choices",
                1,
                Some("D media::image"),
                "xlsform-err-unknown-column",
                "media::image"
            ),
            err(
                "choices",
                1,
                Some("E image"),
                "xlsform-err-unknown-column",
                "image"
            ),
            err(
                "settings",
                1,
                Some("C instance_name"),
                "xlsform-err-unknown-setting",
                "instance_name"
            ),
        ]
    );
}

#[test]
fn refused_expressions_name_the_cell_and_the_character() {
    let bytes = survey_only(&[
        &[
            "type",
            "name",
            "label",
            "required",
            "relevant",
            "constraint",
            "choice_filter",
        ],
        &["integer", "age", "Age"],
        &["text", "a", "A", "", "${age} == 16"],
        &["text", "b", "B", "", "", "round(.) > 1"],
        &["text", "c", "C", "maybe"],
        &["select_one yn", "d", "D", "", "", "", "/data/x = 1"],
    ]);
    let errs = import(&bytes).unwrap_err();
    let got: Vec<_> = errs
        .iter()
        .map(|e| {
            (
                e.row,
                e.column.as_ref().map(|c| c.letter.clone()),
                e.key,
                e.expr.as_ref().map(|p| p.key),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some(3),
                Some("E".into()),
                "xlsform-err-expression",
                Some("expr-err-use-instead")
            ),
            (
                Some(4),
                Some("F".into()),
                "xlsform-err-expression",
                Some("expr-err-unknown-function")
            ),
            (
                Some(5),
                Some("D".into()),
                "xlsform-err-expression",
                Some("expr-err-bare-name")
            ),
            (
                Some(6),
                Some("G".into()),
                "xlsform-err-expression",
                Some("expr-err-use-instead")
            ),
        ]
    );
    let msg = errs[0].message(Lang::En);
    assert!(
        msg.starts_with("Sheet “survey”, row 3, column E (relevant): Character 8:"),
        "{msg}"
    );
    let msg = errs[0].message(Lang::Zh);
    assert!(
        msg.starts_with("工作表“survey”第 3 行 E (relevant) 列：第 8 个字符"),
        "{msg}"
    );
}

#[test]
fn missing_lists_duplicates_references_and_cycles_are_refused() {
    let bytes = book(&[
        (
            "survey",
            &[
                &["type", "name", "label", "relevant", "choice_filter"],
                &["select_one nolist", "a", "A"],
                &["text", "a", "A again"],
                &["text", "b", "B", "${c} = 1"],
                &["text", "c", "C", "${b} = 1"],
                &["text", "d", "D", "${nobody} = 1"],
                &["select_one yn", "e", "E", "", "${zone} = 'x'"],
                &["text", "bad name", "F"],
                &["text", "", "G"],
            ],
        ),
        (
            "choices",
            &[
                &["list_name", "name", "label"],
                &["yn", "yes", "Yes"],
                &["yn", "yes", "Yes again"],
                &["yn", "n o", "No"],
            ],
        ),
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                2,
                Some("A type"),
                "xlsform-err-missing-list",
                "nolist"
            ),
            err(
                "survey",
                3,
                Some("B name"),
                "xlsform-err-duplicate-name",
                "a"
            ),
            err("survey", 4, Some("D relevant"), "xlsform-err-cycle", "b"),
            err("survey", 5, Some("D relevant"), "xlsform-err-cycle", "c"),
            err(
                "survey",
                6,
                Some("D relevant"),
                "xlsform-err-unknown-reference",
                "nobody"
            ),
            err(
                "survey",
                7,
                Some("E choice_filter"),
                "xlsform-err-unknown-reference",
                "zone"
            ),
            err(
                "survey",
                8,
                Some("B name"),
                "xlsform-err-name-invalid",
                "bad name"
            ),
            err("survey", 9, Some("B name"), "xlsform-err-name-missing", ""),
            err(
                "choices",
                3,
                Some("B name"),
                "xlsform-err-duplicate-choice",
                "yes"
            ),
            err(
                "choices",
                4,
                Some("B name"),
                "xlsform-err-choice-name",
                "n o"
            ),
        ]
    );
}

#[test]
fn unbalanced_groups_are_refused() {
    let bytes = survey_only(&[
        &["type", "name", "label"],
        &["end group"],
        &["begin group", "g", "G"],
        &["begin group", "h", "H"],
        &["text", "a", "A"],
        &["end group", "h", "a label on an end row"],
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                2,
                Some("A type"),
                "xlsform-err-unopened-group",
                "end group"
            ),
            err(
                "survey",
                3,
                Some("A type"),
                "xlsform-err-unclosed-group",
                "g"
            ),
            err(
                "survey",
                6,
                Some("C label"),
                "xlsform-err-not-applicable",
                "label"
            ),
        ]
    );
}

#[test]
fn appearances_parameters_and_misplaced_columns_are_checked() {
    let bytes = survey_only(&[
        &[
            "type",
            "name",
            "label",
            "appearance",
            "parameters",
            "constraint",
        ],
        &["select_one yn", "a", "A", "likert"],
        &["range", "b", "B", "", "start=1 end=5 step=0"],
        &["range", "c", "C", "", "start=1 stop=5"],
        &["integer", "d", "D", "", "start=1"],
        &["begin group", "g", "G", "minimal", "", ". > 1"],
        &["end group"],
        &["text", "e", "E", "field-list"],
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                2,
                Some("D appearance"),
                "xlsform-err-appearance",
                "likert"
            ),
            err(
                "survey",
                3,
                Some("E parameters"),
                "xlsform-err-parameters",
                "start=1 end=5 step=0"
            ),
            err(
                "survey",
                4,
                Some("E parameters"),
                "xlsform-err-parameters",
                "stop=5"
            ),
            err(
                "survey",
                5,
                Some("E parameters"),
                "xlsform-err-not-applicable",
                "start=1"
            ),
            err(
                "survey",
                6,
                Some("D appearance"),
                "xlsform-err-appearance",
                "minimal"
            ),
            err(
                "survey",
                6,
                Some("F constraint"),
                "xlsform-err-not-applicable",
                "constraint"
            ),
            err(
                "survey",
                8,
                Some("D appearance"),
                "xlsform-err-appearance",
                "field-list"
            ),
        ]
    );
}

#[test]
fn randomize_is_read_on_choice_questions_and_anything_else_refused_where_it_is() {
    let bytes = survey_only(&[
        &["type", "name", "label", "parameters"],
        &["select_one yn", "a", "A", "randomize=true"],
        &["select_multiple yn", "b", "B", "randomize=true seed=${a}"],
        &["select_one yn", "c", "C", "randomize=yes"],
        &["select_one yn", "d", "D", "randomise=true"],
        &["text", "e", "E", "randomize=true"],
        &["begin group", "m", "M", ""],
        &["end group"],
        &["select_one yn", "f", "F", "RANDOMIZE=False; "],
    ]);
    assert_eq!(
        errors(&bytes),
        vec![
            err(
                "survey",
                3,
                Some("D parameters"),
                "xlsform-err-seed",
                "seed=${a}"
            ),
            err(
                "survey",
                4,
                Some("D parameters"),
                "xlsform-err-select-parameters",
                "randomize=yes"
            ),
            err(
                "survey",
                5,
                Some("D parameters"),
                "xlsform-err-select-parameters",
                "randomise=true"
            ),
            err(
                "survey",
                6,
                Some("D parameters"),
                "xlsform-err-not-applicable",
                "randomize=true"
            ),
        ]
    );
    // Accepted: on, and off written out; the message names sheet, row and column.
    let ok = survey_only(&[
        &["type", "name", "label", "parameters"],
        &["select_one yn", "a", "A", "randomize=true"],
        &["select_one yn", "f", "F", "RANDOMIZE=False; "],
    ]);
    let form = import(&ok).unwrap();
    assert!(question(&form, "a").shuffle);
    assert!(!question(&form, "f").shuffle);
    let e = &import(&bytes).unwrap_err()[0];
    let m = e.message(Lang::En);
    assert!(
        m.contains("survey")
            && m.contains("row 3")
            && m.contains("D (parameters)")
            && m.contains("seed=${a}"),
        "{m}"
    );
    // A matrix's rows share one scale in one order: shuffling one is refused at its row.
    let matrix = survey_only(&[
        &["type", "name", "label", "appearance", "parameters"],
        &["begin group", "m", "M", "table-list"],
        &["select_one yn", "r1", "R1", "", ""],
        &["select_one yn", "r2", "R2", "", "randomize=true"],
        &["end group"],
    ]);
    assert_eq!(
        errors(&matrix),
        vec![err(
            "survey",
            4,
            Some("E parameters"),
            "xlsform-err-shuffle",
            "r2"
        )]
    );
}

#[test]
fn a_shuffled_question_survives_the_round_trip() {
    let form = import(&full_book()).unwrap();
    assert!(question(&form, "topics").shuffle);
    let again = import(&export(&form).unwrap()).unwrap();
    assert!(question(&again, "topics").shuffle);
    assert!(!question(&again, "group2").shuffle);
    assert_eq!(again, form);
}

#[test]
fn missing_sheets_and_unsupported_sheets_are_refused() {
    let no_survey = book(&[("choices", &[&["list_name", "name"], &["a", "b"]])]);
    assert_eq!(
        errors(&no_survey),
        vec![(
            "survey".to_string(),
            None,
            None,
            "xlsform-err-missing-sheet",
            "survey".to_string()
        )]
    );
    let no_choices = book(&[
        ("survey", &[&["type", "name"], &["select_one yn", "a"]]),
        ("external_choices", &[&["list_name", "name"]]),
    ]);
    assert_eq!(
        errors(&no_choices),
        vec![
            (
                "external_choices".to_string(),
                None,
                None,
                "xlsform-err-unsupported-sheet",
                "external_choices".to_string()
            ),
            (
                "choices".to_string(),
                None,
                None,
                "xlsform-err-missing-sheet",
                "choices".to_string()
            ),
        ]
    );
    let no_name = book(&[("survey", &[&["type", "label"], &["text", "A"]])]);
    let errs = import(&no_name).unwrap_err();
    assert_eq!(errs[0].key, "xlsform-err-missing-column");
    assert_eq!(errs[0].row, Some(1));
    assert_eq!(errs[0].detail, "name");
}

#[test]
fn unreadable_files_are_refused_by_the_tabular_checks() {
    let errs = import(b"not a zip").unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].key, "err-import-not-xlsx");
    assert!(!errs[0].message(Lang::Zh).is_empty());
}

#[test]
fn every_error_key_is_in_both_catalogues() {
    for key in ERROR_KEYS {
        for lang in Lang::ALL {
            let args = [
                ("detail", "x".to_string()),
                ("sheet", "s".to_string()),
                ("row", "1".to_string()),
                ("column", "A".to_string()),
                ("message", "m".to_string()),
            ];
            let text = lang.ta(key, &args);
            assert!(
                !text.is_empty() && !text.contains(key),
                "{key} missing in {}: {text}",
                lang.code()
            );
        }
    }
}

#[test]
fn column_letters_follow_excel() {
    assert_eq!(column_letter(0), "A");
    assert_eq!(column_letter(25), "Z");
    assert_eq!(column_letter(26), "AA");
    assert_eq!(column_letter(701), "ZZ");
    assert_eq!(column_letter(702), "AAA");
}

// ---------------------------------------------------------------------------
// Round trip: form → xlsx → form, for generated forms.

fn arb_labels() -> impl Strategy<Value = Labels> {
    proptest::collection::btree_map(
        prop_oneof![
            Just(String::new()),
            Just("中文 (zh)".to_string()),
            Just("English (en)".to_string())
        ],
        "[a-z 工会问卷]{1,8}".prop_filter("trimmed", |s| s.trim() == s),
        0..3,
    )
    .prop_map(Labels)
}

const EXPRS: &[&str] = &[
    "${q0} = 'x'",
    "${q1} >= 16 and ${q1} <= 65",
    "selected(${q0}, 'a') or not(${q1} = 2)",
    "-${q1} * 2 div 3 mod 4 != 1",
    "regex(concat(${q0}, 'x'), '^[a-z]+$')",
];

fn arb_expr() -> impl Strategy<Value = Option<Expr>> {
    proptest::option::of(proptest::sample::select(EXPRS).prop_map(|s| parse(s).unwrap()))
}

fn arb_kind() -> impl Strategy<Value = QuestionKind> {
    prop_oneof![
        Just(QuestionKind::SelectOne),
        Just(QuestionKind::SelectMultiple),
        Just(QuestionKind::Text),
        Just(QuestionKind::Integer),
        Just(QuestionKind::Decimal),
        Just(QuestionKind::Date),
        Just(QuestionKind::Note),
        (-5i32..5, 1i32..20, 1i32..4).prop_map(|(s, len, step)| QuestionKind::Range {
            start: f64::from(s) / 2.0,
            end: f64::from(s) / 2.0 + f64::from(len),
            step: f64::from(step) * 0.5,
        }),
    ]
}

fn arb_question() -> impl Strategy<Value = Question> {
    (
        arb_kind(),
        (arb_labels(), arb_labels(), arb_labels(), arb_labels()),
        (arb_expr(), arb_expr(), arb_expr(), 0u8..3),
        (
            proptest::collection::vec(
                proptest::sample::select(vec![Appearance::Minimal, Appearance::Horizontal]),
                0..2,
            ),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                kind,
                (label, hint, rmsg, cmsg),
                (relevant, constraint, filter, req),
                (appearance, other, filtered, shuffle),
            )| {
                let select = kind.is_select();
                let required = match req {
                    0 => Required::No,
                    1 => Required::Yes,
                    _ => Required::When(parse("${q0} = 'y'").unwrap()),
                };
                Question {
                    name: String::new(),
                    choices: select.then(|| "list".to_string()),
                    other: select && other,
                    shuffle: select && shuffle,
                    choice_filter: if select && filtered { filter } else { None },
                    kind,
                    label,
                    hint,
                    required,
                    required_message: rmsg,
                    relevant,
                    constraint,
                    constraint_message: cmsg,
                    appearance: if select { appearance } else { Vec::new() },
                }
            },
        )
}

/// Questions q0, q1 (whatever the relevant conditions, they read only q0/q1,
/// and q0/q1 have none, so no cycle), then generated questions in nested groups.
fn arb_form() -> impl Strategy<Value = Form> {
    (
        proptest::collection::vec((arb_question(), 0u8..3, arb_labels(), arb_expr()), 0..8),
        proptest::option::of("[0-9.]{1,6}"),
        arb_labels(),
    )
        .prop_map(|(qs, version, choice_label)| {
            let mut base = vec![
                Item::Question(Question::new("q0", QuestionKind::Text)),
                Item::Question(Question::new("q1", QuestionKind::Integer)),
            ];
            // Nest: depth 0 = top level, 1 = in a group, 2 = in a nested group.
            let mut groups: Vec<Group> = Vec::new();
            for (i, (mut q, depth, glabel, grel)) in qs.into_iter().enumerate() {
                q.name = format!("x{i}");
                while groups.len() > depth as usize {
                    let g = groups.pop().unwrap();
                    match groups.last_mut() {
                        Some(p) => p.items.push(Item::Group(g)),
                        None => base.push(Item::Group(g)),
                    }
                }
                while groups.len() < depth as usize {
                    groups.push(Group {
                        name: format!("g{i}_{}", groups.len()),
                        label: glabel.clone(),
                        relevant: grel.clone(),
                        appearance: vec![Appearance::FieldList],
                        items: Vec::new(),
                    });
                }
                match groups.last_mut() {
                    Some(p) => p.items.push(Item::Question(q)),
                    None => base.push(Item::Question(q)),
                }
            }
            while let Some(g) = groups.pop() {
                match groups.last_mut() {
                    Some(p) => p.items.push(Item::Group(g)),
                    None => base.push(Item::Group(g)),
                }
            }
            let mut form = Form {
                id: "f".into(),
                title: "表".into(),
                version,
                default_language: None,
                languages: Vec::new(),
                items: base,
                choice_lists: vec![ChoiceList {
                    name: "list".into(),
                    choices: vec![
                        Choice {
                            name: "a".into(),
                            label: choice_label,
                            extra: [("zone".to_string(), "n".to_string())].into(),
                        },
                        Choice {
                            name: "b".into(),
                            label: Labels::plain("B"),
                            extra: Default::default(),
                        },
                    ],
                }],
            };
            form.languages = form.used_languages();
            form
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn generated_forms_survive_export_and_import(form in arb_form()) {
        prop_assert_eq!(form.validate(), vec![]);
        let bytes = export(&form).unwrap();
        let back = import(&bytes).map_err(|e| TestCaseError::fail(format!("{e:#?}")))?;
        prop_assert_eq!(back, form);
    }
}

const CELLS: &[&str] = &[
    "",
    "text",
    "integer",
    "note",
    "range",
    "select_one yn",
    "select_multiple yn or_other",
    "begin group",
    "end group",
    "geopoint",
    "a",
    "b",
    "yn",
    "yes",
    "${a} = 1",
    "${b} > ${a}",
    ". <= 24",
    "((",
    "field-list",
    "minimal",
    "start=1 end=3 step=1",
    "randomize=true",
    "label::English (en)",
    "标签",
];

fn arb_sheet(header: &'static [&'static str]) -> impl Strategy<Value = Vec<Vec<String>>> {
    proptest::collection::vec(
        proptest::collection::vec(proptest::sample::select(CELLS), header.len()),
        0..8,
    )
    .prop_map(move |rows| {
        let mut out = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
        out.extend(
            rows.into_iter()
                .map(|r| r.into_iter().map(String::from).collect()),
        );
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Random workbooks: import never panics, and whatever it accepts
    /// survives export and import unchanged.
    #[test]
    fn random_workbooks_are_imported_or_refused_without_panic(
        survey in arb_sheet(&["type", "name", "label", "relevant", "constraint", "required", "appearance", "parameters"]),
        choices in arb_sheet(&["list_name", "name", "label", "label::English (en)"]),
    ) {
        let s: Vec<Vec<&str>> = survey.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let c: Vec<Vec<&str>> = choices.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let s: Vec<&[&str]> = s.iter().map(Vec::as_slice).collect();
        let c: Vec<&[&str]> = c.iter().map(Vec::as_slice).collect();
        let bytes = book(&[("survey", &s), ("choices", &c)]);
        if let Ok(form) = import(&bytes) {
            prop_assert_eq!(import(&export(&form).unwrap()).unwrap(), form);
        }
    }
}
