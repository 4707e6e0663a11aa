//! Exports of a survey: the results (frequencies, numeric summaries, the
//! cross-tab) as XLSX and PDF, and the responses themselves as CSV or XLSX for
//! SPSS and spreadsheets.
//!
//! Responses have one column per variable: a single choice is one column of
//! codes (its position in the codebook, "other" after the choices) or labels;
//! a multiple choice is one 0/1 column per choice (`{question}_{choice}`), as
//! SPSS's multiple-response sets expect; "other, please specify" texts get a
//! `{question}_other` column. The header row holds the variable names; the
//! codebook (a second sheet, or a CSV of its own) gives every variable's label
//! and every code's label.

use crate::survey::analysis::ValueCount;
use std::collections::HashSet;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{
    Analysis, QuestionResult,
    store::StoredResponse,
    tally::{Codebook, Kind},
};
use crate::{
    i18n::Lang,
    pdf::{
        ExportError, PdfFonts, Pen,
        flow::{self, MARGIN, Mark, PAGE_W, text_block, wrap},
    },
    summary::export::xlsx::sheet_name,
    survey::answers::{OTHER, other_key},
};

/// How single choices are written: their numeric codes or their labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Values {
    Codes,
    Labels,
}

/// A column of the responses export.
#[derive(Clone, Debug)]
pub struct Column {
    /// The variable name (header row).
    pub name: String,
    /// What it is, for the codebook.
    pub label: String,
    col: Col,
}

#[derive(Clone, Debug)]
enum Col {
    Id,
    Submitted,
    Version,
    Group,
    Region,
    Valid,
    Seconds,
    /// A single choice of entry `e`.
    Single(usize),
    /// Choice `c` of multiple choice `e` ("other" when `c == choices`).
    Bit(usize, usize),
    /// The "please specify" text of entry `e`.
    OtherText(usize),
    /// A number, date or text of entry `e`.
    Plain(usize),
}

/// A variable name SPSS accepts: letters, digits and `_`, not starting with a digit.
fn var_name(s: &str) -> String {
    let mut v: String = s
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if v.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        v.insert(0, 'v');
    }
    v
}

fn labelled(l: &crate::survey::form::Labels, name: &str, lang: Lang) -> String {
    l.get(lang.code()).unwrap_or(name).to_string()
}

/// The columns of a responses export of a survey.
pub fn columns(book: &Codebook, lang: Lang) -> Vec<Column> {
    let fixed = |name: &str, key: &str, col: Col| Column {
        name: name.to_string(),
        label: lang.t(key),
        col,
    };
    let mut out = vec![
        fixed("response_id", "analysis-col-id", Col::Id),
        fixed("submitted_at", "analysis-col-submitted", Col::Submitted),
        fixed("version", "analysis-col-version", Col::Version),
        fixed("resp_worker_group", "field-worker_group", Col::Group),
        fixed("resp_region", "field-region", Col::Region),
        fixed("valid", "analysis-col-valid", Col::Valid),
        fixed("seconds", "analysis-col-seconds", Col::Seconds),
    ];
    let mut used: HashSet<String> = out.iter().map(|c| c.name.clone()).collect();
    let mut unique = |n: String| {
        let mut name = n.clone();
        let mut k = 2;
        while !used.insert(name.clone()) {
            name = format!("{n}_{k}");
            k += 1;
        }
        name
    };
    for (e, entry) in book.entries.iter().enumerate() {
        let label = labelled(&entry.label, &entry.name, lang);
        match entry.kind {
            Kind::Single => {
                out.push(Column {
                    name: unique(var_name(&entry.name)),
                    label: label.clone(),
                    col: Col::Single(e),
                });
            }
            Kind::Multiple => {
                for (c, (choice, cl)) in entry.choices.iter().enumerate() {
                    out.push(Column {
                        name: unique(var_name(&format!("{}_{choice}", entry.name))),
                        label: format!("{label}：{}", labelled(cl, choice, lang)),
                        col: Col::Bit(e, c),
                    });
                }
                if entry.other {
                    out.push(Column {
                        name: unique(var_name(&format!("{}_{OTHER}", entry.name))),
                        label: format!("{label}：{}", lang.t("survey-other")),
                        col: Col::Bit(e, entry.choices.len()),
                    });
                }
            }
            _ => out.push(Column {
                name: unique(var_name(&entry.name)),
                label: label.clone(),
                col: Col::Plain(e),
            }),
        }
        if entry.other {
            out.push(Column {
                name: unique(var_name(&format!("{}_other_text", entry.name))),
                label: format!("{label}：{}", lang.t("survey-other-specify")),
                col: Col::OtherText(e),
            });
        }
    }
    out
}

/// One cell of the responses export.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Int(i64),
    Num(f64),
    Text(String),
}

/// The cells of one response under `columns`.
pub fn row(
    book: &Codebook,
    columns: &[Column],
    r: &StoredResponse,
    values: Values,
    lang: Lang,
) -> Vec<Value> {
    let answer = |e: usize| {
        r.answers
            .get(&book.entries[e].name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    columns
        .iter()
        .map(|c| match &c.col {
            Col::Id => Value::Int(r.id.0),
            Col::Submitted => Value::Text(lang.datetime(r.submitted_at)),
            Col::Version => Value::Int(r.version_id.0),
            Col::Group => r
                .worker_group
                .as_deref()
                .map_or(Value::Empty, |g| match values {
                    Values::Codes => Value::Text(g.to_string()),
                    Values::Labels => Value::Text(super::group_label(g, lang)),
                }),
            Col::Region => r.region.clone().map_or(Value::Empty, Value::Text),
            Col::Valid => Value::Int(i64::from(r.valid)),
            Col::Seconds => match (r.started_at, r.ended_at) {
                (Some(a), Some(b)) if b >= a => Value::Int(b - a),
                _ => Value::Empty,
            },
            Col::Single(e) => {
                let entry = &book.entries[*e];
                match answer(*e) {
                    None => Value::Empty,
                    Some(v) => {
                        let code = entry.choices.iter().position(|(n, _)| n == v);
                        match (values, code) {
                            (Values::Codes, Some(i)) => Value::Int(i as i64 + 1),
                            (Values::Codes, None) if entry.other => {
                                Value::Int(entry.choices.len() as i64 + 1)
                            }
                            (Values::Labels, Some(i)) => {
                                Value::Text(labelled(&entry.choices[i].1, v, lang))
                            }
                            (Values::Labels, None) if entry.other => {
                                Value::Text(lang.t("survey-other"))
                            }
                            _ => Value::Text(v.to_string()),
                        }
                    }
                }
            }
            Col::Bit(e, c) => {
                let entry = &book.entries[*e];
                match answer(*e) {
                    None => Value::Empty,
                    Some(v) => {
                        let picked: Vec<&str> = v.split_whitespace().collect();
                        let on = if *c < entry.choices.len() {
                            picked.contains(&entry.choices[*c].0.as_str())
                        } else {
                            picked
                                .iter()
                                .any(|p| !entry.choices.iter().any(|(n, _)| n == p))
                        };
                        match values {
                            Values::Codes => Value::Int(i64::from(on)),
                            Values::Labels if on => Value::Text(if *c < entry.choices.len() {
                                labelled(&entry.choices[*c].1, &entry.choices[*c].0, lang)
                            } else {
                                lang.t("survey-other")
                            }),
                            Values::Labels => Value::Empty,
                        }
                    }
                }
            }
            Col::OtherText(e) => r
                .answers
                .get(&other_key(&book.entries[*e].name))
                .filter(|s| !s.is_empty())
                .map_or(Value::Empty, |s| Value::Text(s.clone())),
            Col::Plain(e) => match (book.entries[*e].kind, answer(*e)) {
                (_, None) => Value::Empty,
                (Kind::Number, Some(v)) => v
                    .parse::<f64>()
                    .map_or_else(|_| Value::Text(v.to_string()), Value::Num),
                (_, Some(v)) => Value::Text(v.to_string()),
            },
        })
        .collect()
}

/// The codebook: (variable, label, code, code label) rows.
pub fn codebook_rows(book: &Codebook, columns: &[Column], lang: Lang) -> Vec<[String; 4]> {
    let mut out = Vec::new();
    for c in columns {
        out.push([
            c.name.clone(),
            c.label.clone(),
            String::new(),
            String::new(),
        ]);
        match &c.col {
            Col::Single(e) => {
                let entry = &book.entries[*e];
                for (i, (n, l)) in entry.choices.iter().enumerate() {
                    out.push([
                        String::new(),
                        String::new(),
                        (i + 1).to_string(),
                        labelled(l, n, lang),
                    ]);
                }
                if entry.other {
                    out.push([
                        String::new(),
                        String::new(),
                        (entry.choices.len() + 1).to_string(),
                        lang.t("survey-other"),
                    ]);
                }
            }
            Col::Bit(..) => {
                for (code, key) in [
                    ("0", "analysis-code-unticked"),
                    ("1", "analysis-code-ticked"),
                ] {
                    out.push([String::new(), String::new(), code.into(), lang.t(key)]);
                }
            }
            Col::Valid => {
                for (code, key) in [
                    ("0", "analysis-validity-invalid"),
                    ("1", "analysis-validity-valid"),
                ] {
                    out.push([String::new(), String::new(), code.into(), lang.t(key)]);
                }
            }
            _ => {}
        }
    }
    out
}

/// A CSV cell: text that a spreadsheet would read as a formula gets a
/// leading apostrophe (CSV injection), as the other exports do.
fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// Writes CSV rows (UTF-8 with a byte-order mark, which Excel in China needs
/// to read UTF-8) as they come.
pub struct CsvOut {
    w: csv::Writer<Vec<u8>>,
}

impl CsvOut {
    /// A CSV starting with `header`.
    pub fn new(header: &[String]) -> Result<CsvOut, csv::Error> {
        let mut buf = Vec::new();
        buf.extend_from_slice("\u{feff}".as_bytes());
        let mut w = csv::Writer::from_writer(buf);
        w.write_record(header)?;
        Ok(CsvOut { w })
    }

    /// Appends a row.
    pub fn row(&mut self, cells: &[Value]) -> Result<(), csv::Error> {
        self.w.write_record(cells.iter().map(|c| match c {
            Value::Empty => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Num(n) => n.to_string(),
            Value::Text(t) => csv_text(t),
        }))
    }

    /// The file.
    pub fn finish(self) -> Result<Vec<u8>, ExportError> {
        self.w
            .into_inner()
            .map_err(|e| ExportError::Pdf(format!("CSV: {e}")))
    }
}

/// The codebook as CSV.
pub fn codebook_csv(rows: &[[String; 4]], lang: Lang) -> Result<Vec<u8>, ExportError> {
    let header: Vec<String> = [
        "analysis-cb-variable",
        "analysis-cb-label",
        "analysis-cb-code",
        "analysis-cb-code-label",
    ]
    .iter()
    .map(|k| lang.t(k))
    .collect();
    let mut out = CsvOut::new(&header).map_err(|e| ExportError::Pdf(e.to_string()))?;
    for r in rows {
        out.row(&r.iter().map(|s| Value::Text(s.clone())).collect::<Vec<_>>())
            .map_err(|e| ExportError::Pdf(e.to_string()))?;
    }
    out.finish()
}

/// Writes the responses workbook row by row (constant memory: rows go to a
/// temporary file as they are written, so a million responses fit).
pub struct XlsxOut {
    wb: Workbook,
    next: u32,
    bold: Format,
}

impl XlsxOut {
    /// A workbook whose first sheet starts with `header`.
    pub fn new(header: &[String], sheet: &str) -> Result<XlsxOut, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet)?;
        for (i, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, i as u16, h, &bold)?;
        }
        Ok(XlsxOut { wb, next: 1, bold })
    }

    /// Appends a row to the first sheet.
    pub fn row(&mut self, cells: &[Value]) -> Result<(), XlsxError> {
        let ws = self.wb.worksheet_from_index(0)?;
        for (i, c) in cells.iter().enumerate() {
            let col = i as u16;
            match c {
                Value::Empty => {}
                Value::Int(n) => {
                    ws.write_number(self.next, col, *n as f64)?;
                }
                Value::Num(n) => {
                    ws.write_number(self.next, col, *n)?;
                }
                Value::Text(t) => {
                    ws.write_string(self.next, col, t)?;
                }
            }
        }
        self.next += 1;
        Ok(())
    }

    /// Adds the codebook sheet and returns the file.
    pub fn finish(mut self, codebook: &[[String; 4]], lang: Lang) -> Result<Vec<u8>, XlsxError> {
        let ws = self.wb.add_worksheet();
        ws.set_name(lang.t("analysis-cb-sheet"))?;
        for (i, k) in [
            "analysis-cb-variable",
            "analysis-cb-label",
            "analysis-cb-code",
            "analysis-cb-code-label",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(0, i as u16, lang.t(k), &self.bold)?;
        }
        for (r, row) in codebook.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if c == 2 && !v.is_empty() {
                    ws.write_number(r as u32 + 1, c as u16, v.parse::<f64>().unwrap_or(0.0))?;
                } else if !v.is_empty() {
                    ws.write_string(r as u32 + 1, c as u16, v)?;
                }
            }
        }
        ws.set_column_width(1, 40)?;
        ws.set_column_width(3, 24)?;
        self.wb.save_to_buffer()
    }
}

// ---- results ----

fn pct(p: f64) -> f64 {
    (p * 10.0).round() / 10.0
}

/// The filter as one line of text.
pub fn filter_line(a: &Analysis, lang: Lang) -> String {
    let f = &a.filter;
    let mut parts = vec![lang.t(&f.validity.label_key())];
    if f.from.is_some() || f.to.is_some() {
        parts.push(format!(
            "{} {} – {}",
            lang.t("analysis-submitted"),
            f.from.map(|d| d.iso()).unwrap_or_default(),
            f.to.map(|d| d.iso()).unwrap_or_default()
        ));
    }
    if let Some(g) = &f.group {
        parts.push(format!(
            "{}：{}",
            lang.t("field-worker_group"),
            super::group_label(g, lang)
        ));
    }
    if let Some(r) = &f.region {
        parts.push(format!("{}：{r}", lang.t("field-region")));
    }
    parts.push(lang.ta(
        "analysis-responses-n",
        &[("n", lang.number(a.responses as i64))],
    ));
    parts.join("；")
}

/// Statistic rows of a number question: (label key, value).
fn summary_rows(q: &QuestionResult) -> Vec<(&'static str, String)> {
    if let Some(s) = &q.summary {
        vec![
            ("analysis-n", s.n.to_string()),
            ("analysis-mean", fmt_num(s.mean)),
            ("analysis-median", fmt_num(s.median)),
            ("analysis-min", fmt_num(s.min)),
            ("analysis-max", fmt_num(s.max)),
            ("analysis-q1", fmt_num(s.q1)),
            ("analysis-q3", fmt_num(s.q3)),
        ]
    } else if let Some(d) = &q.dates {
        vec![
            ("analysis-n", d.n.to_string()),
            ("analysis-min", d.min.clone()),
            ("analysis-median", d.median.clone()),
            ("analysis-max", d.max.clone()),
        ]
    } else {
        Vec::new()
    }
}

/// A number with at most two decimals, trailing zeros dropped.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The results workbook: an overview sheet, one sheet of frequencies per
/// question, and the cross-tab sheet.
pub fn results_xlsx(title: &str, a: &Analysis, lang: Lang) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let pcts = Format::new().set_num_format("0.0");
    let mut used = HashSet::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&lang.t("analysis-sheet-overview"), &mut used))?;
        ws.write_string_with_format(0, 0, title, &bold)?;
        ws.write_string(1, 0, filter_line(a, lang))?;
        ws.write_string_with_format(3, 0, lang.t("analysis-question"), &bold)?;
        ws.write_string_with_format(3, 1, lang.t("analysis-answered"), &bold)?;
        ws.write_string_with_format(3, 2, lang.t("analysis-missing"), &bold)?;
        for (i, q) in a.questions.iter().enumerate() {
            let r = 4 + i as u32;
            ws.write_string(r, 0, format!("{} {}", q.name, q.label))?;
            ws.write_number(r, 1, q.answered as f64)?;
            ws.write_number(r, 2, q.missing as f64)?;
        }
        ws.set_column_width(0, 50)?;
    }
    for (i, q) in a.questions.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&format!("{:02} {}", i + 1, q.name), &mut used))?;
        ws.write_string_with_format(0, 0, &q.label, &bold)?;
        ws.write_string(
            1,
            0,
            format!("{}：{}", lang.t("analysis-answered"), q.answered),
        )?;
        write_question(ws, q, lang, &bold, &pcts)?;
        ws.set_column_width(0, 36)?;
    }
    if let Some(x) = &a.crosstab {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&lang.t("analysis-crosstab"), &mut used))?;
        ws.write_string_with_format(0, 0, format!("{} × {}", x.row_label, x.by_label), &bold)?;
        ws.write_string_with_format(2, 0, lang.t("analysis-counts"), &bold)?;
        let write_table = |ws: &mut Worksheet, top: u32, percent: bool| -> Result<(), XlsxError> {
            ws.write_string_with_format(top, 0, &x.row_label, &bold)?;
            for (c, col) in x.columns.iter().enumerate() {
                ws.write_string_with_format(top, 1 + c as u16, col, &bold)?;
            }
            let last = 1 + x.columns.len() as u16;
            ws.write_string_with_format(top, last, lang.t("analysis-row-total"), &bold)?;
            for (r, row) in x.rows.iter().enumerate() {
                let rr = top + 1 + r as u32;
                ws.write_string(rr, 0, row)?;
                for c in 0..x.columns.len() {
                    if percent {
                        ws.write_number_with_format(
                            rr,
                            1 + c as u16,
                            pct(x.row_percent[r][c]),
                            &pcts,
                        )?;
                    } else {
                        ws.write_number(rr, 1 + c as u16, x.cells[r][c] as f64)?;
                    }
                }
                ws.write_number(rr, last, x.row_totals[r] as f64)?;
            }
            Ok(())
        };
        write_table(ws, 3, false)?;
        let top = 5 + x.rows.len() as u32;
        ws.write_string_with_format(top, 0, lang.t("analysis-row-percent"), &bold)?;
        write_table(ws, top + 1, true)?;
        ws.set_column_width(0, 30)?;
    }
    Ok(wb.save_to_buffer()?)
}

fn write_question(
    ws: &mut Worksheet,
    q: &QuestionResult,
    lang: Lang,
    bold: &Format,
    pcts: &Format,
) -> Result<(), XlsxError> {
    let top = 3;
    if q.kind.is_choice() {
        ws.write_string_with_format(top, 0, lang.t("analysis-choice"), bold)?;
        ws.write_string_with_format(top, 1, lang.t("analysis-count"), bold)?;
        ws.write_string_with_format(top, 2, lang.t("analysis-percent"), bold)?;
        for (i, c) in q.choices.iter().enumerate() {
            let r = top + 1 + i as u32;
            ws.write_string(r, 0, &c.label)?;
            ws.write_number(r, 1, c.count as f64)?;
            ws.write_number_with_format(r, 2, pct(c.percent), pcts)?;
        }
        let r = top + 1 + q.choices.len() as u32;
        ws.write_string(r, 0, lang.t("analysis-missing"))?;
        ws.write_number(r, 1, q.missing as f64)?;
    } else {
        ws.write_string_with_format(top, 0, lang.t("analysis-statistic"), bold)?;
        ws.write_string_with_format(top, 1, lang.t("analysis-value"), bold)?;
        let rows = summary_rows(q);
        for (i, (k, v)) in rows.iter().enumerate() {
            let r = top + 1 + i as u32;
            ws.write_string(r, 0, lang.t(k))?;
            match v.parse::<f64>() {
                Ok(n) if q.kind == Kind::Number || *k == "analysis-n" => {
                    ws.write_number(r, 1, n)?;
                }
                _ => {
                    ws.write_string(r, 1, v)?;
                }
            }
        }
        if !q.distribution.is_empty() {
            let t = top + 2 + rows.len() as u32;
            ws.write_string_with_format(t, 0, lang.t("analysis-value"), bold)?;
            ws.write_string_with_format(t, 1, lang.t("analysis-count"), bold)?;
            for (i, ValueCount { value: v, count: n }) in q.distribution.iter().enumerate() {
                ws.write_number(t + 1 + i as u32, 0, *v)?;
                ws.write_number(t + 1 + i as u32, 1, *n as f64)?;
            }
        }
    }
    Ok(())
}

// ---- PDF ----

const BODY: f64 = 9.5;
const ROW: f64 = 15.0;

/// The blocks of the results: title, filter, each question, the cross-tab.
fn blocks(pen: &Pen<'_>, title: &str, a: &Analysis, lang: Lang) -> Vec<(f64, Vec<Mark>)> {
    let mut out = Vec::new();
    let (h, m) = text_block(pen, title, 16.0, true, 0.0);
    out.push((h + 4.0, m));
    let (h, m) = text_block(pen, &filter_line(a, lang), BODY, false, 0.0);
    out.push((h + 10.0, m));
    let label_w = 180.0;
    let bar_x = MARGIN + label_w + 6.0;
    let num_w = 90.0;
    let bar_max = PAGE_W - 2.0 * MARGIN - label_w - 6.0 - num_w;
    for (i, q) in a.questions.iter().enumerate() {
        let (h, m) = text_block(
            pen,
            &format!("{}. {}（{}）", i + 1, q.label, q.name),
            11.0,
            true,
            0.0,
        );
        let (h2, m2) = text_block(
            pen,
            &format!(
                "{}：{}　{}：{}",
                lang.t("analysis-answered"),
                q.answered,
                lang.t("analysis-missing"),
                q.missing
            ),
            8.5,
            false,
            0.0,
        );
        let mut marks = m;
        marks.extend(m2.into_iter().map(|mk| mk.shifted(h)));
        out.push((h + h2 + 3.0, marks));
        if q.kind.is_choice() {
            for c in &q.choices {
                let label = wrap(pen, &c.label, BODY, false, label_w);
                let mut marks = vec![Mark::Text {
                    x: MARGIN,
                    y: BODY * pen.ascent() + 2.0,
                    size: BODY,
                    bold: false,
                    text: label[0].clone(),
                    color: flow::BLACK,
                }];
                // A light track under each bar, so a small share still reads
                // against the whole.
                marks.push(Mark::Bar {
                    x: bar_x,
                    y: 3.0,
                    w: bar_max,
                    h: ROW - 6.0,
                    color: (0xee, 0xf2, 0xf6),
                });
                marks.push(Mark::Bar {
                    x: bar_x,
                    y: 3.0,
                    w: bar_max * c.percent.min(100.0) / 100.0,
                    h: ROW - 6.0,
                    color: (0x2b, 0x6c, 0xb0),
                });
                marks.push(Mark::Text {
                    x: bar_x + bar_max + 6.0,
                    y: BODY * pen.ascent() + 2.0,
                    size: BODY,
                    bold: false,
                    text: format!("{}  {:.1}%", c.count, c.percent),
                    color: flow::BLACK,
                });
                out.push((ROW, marks));
            }
        } else {
            for (k, v) in summary_rows(q) {
                let marks = vec![
                    Mark::Text {
                        x: MARGIN,
                        y: BODY * pen.ascent() + 2.0,
                        size: BODY,
                        bold: false,
                        text: lang.t(k),
                        color: flow::BLACK,
                    },
                    Mark::Text {
                        x: bar_x,
                        y: BODY * pen.ascent() + 2.0,
                        size: BODY,
                        bold: false,
                        text: v,
                        color: flow::BLACK,
                    },
                ];
                out.push((ROW, marks));
            }
            // The distribution of a rating or small-range number, as bars.
            let total: u64 = q
                .distribution
                .iter()
                .map(|ValueCount { count: n, .. }| n)
                .sum();
            if q.distribution.len() <= 11 && total > 0 {
                for ValueCount { value: v, count: n } in &q.distribution {
                    let p = *n as f64 * 100.0 / total as f64;
                    out.push((
                        ROW,
                        vec![
                            Mark::Text {
                                x: MARGIN + 12.0,
                                y: BODY * pen.ascent() + 2.0,
                                size: BODY,
                                bold: false,
                                text: fmt_num(*v),
                                color: flow::BLACK,
                            },
                            Mark::Bar {
                                x: bar_x,
                                y: 3.0,
                                w: bar_max * p / 100.0,
                                h: ROW - 6.0,
                                color: (0x3f, 0x8f, 0x5f),
                            },
                            Mark::Text {
                                x: bar_x + bar_max + 6.0,
                                y: BODY * pen.ascent() + 2.0,
                                size: BODY,
                                bold: false,
                                text: format!("{n}  {p:.1}%"),
                                color: flow::BLACK,
                            },
                        ],
                    ));
                }
            }
        }
        out.push((8.0, Vec::new()));
    }
    if let Some(x) = &a.crosstab {
        let (h, m) = text_block(
            pen,
            &format!(
                "{}：{} × {}",
                lang.t("analysis-crosstab"),
                x.row_label,
                x.by_label
            ),
            11.0,
            true,
            0.0,
        );
        out.push((h + 4.0, m));
        // Columns share the width after the row labels; each cell shows the
        // count and the row percentage.
        let cols = x.columns.len() + 1;
        let first = 120.0;
        let cw = ((PAGE_W - 2.0 * MARGIN - first) / cols as f64).max(30.0);
        let size = if cw < 55.0 { 7.0 } else { 8.5 };
        let mut head = vec![Mark::Text {
            x: MARGIN,
            y: size * pen.ascent() + 2.0,
            size,
            bold: true,
            text: wrap(pen, &x.row_label, size, true, first - 4.0)[0].clone(),
            color: flow::BLACK,
        }];
        for (c, col) in x
            .columns
            .iter()
            .chain(std::iter::once(&lang.t("analysis-row-total")))
            .enumerate()
        {
            head.push(Mark::Text {
                x: MARGIN + first + c as f64 * cw,
                y: size * pen.ascent() + 2.0,
                size,
                bold: true,
                text: wrap(pen, col, size, true, cw - 4.0)[0].clone(),
                color: flow::BLACK,
            });
        }
        out.push((ROW + 2.0, head));
        for (r, row) in x.rows.iter().enumerate() {
            let mut marks = vec![
                Mark::Bar {
                    x: MARGIN,
                    y: ROW * 2.0 - 0.5,
                    w: PAGE_W - 2.0 * MARGIN,
                    h: 0.4,
                    color: (0xaa, 0xaa, 0xaa),
                },
                Mark::Text {
                    x: MARGIN,
                    y: size * pen.ascent() + 2.0,
                    size,
                    bold: false,
                    text: wrap(pen, row, size, false, first - 4.0)[0].clone(),
                    color: flow::BLACK,
                },
            ];
            for c in 0..x.columns.len() {
                let cx = MARGIN + first + c as f64 * cw;
                marks.push(Mark::Text {
                    x: cx,
                    y: size * pen.ascent() + 2.0,
                    size,
                    bold: false,
                    text: x.cells[r][c].to_string(),
                    color: flow::BLACK,
                });
                marks.push(Mark::Text {
                    x: cx,
                    y: ROW + size * pen.ascent(),
                    size: size - 1.0,
                    bold: false,
                    text: format!("{:.1}%", x.row_percent[r][c]),
                    color: flow::BLACK,
                });
            }
            marks.push(Mark::Text {
                x: MARGIN + first + x.columns.len() as f64 * cw,
                y: size * pen.ascent() + 2.0,
                size,
                bold: false,
                text: x.row_totals[r].to_string(),
                color: flow::BLACK,
            });
            out.push((ROW * 2.0, marks));
        }
    }
    out
}

/// The results as an A4 PDF: every question's counts with bars drawn as
/// rectangles, numeric summaries, and the cross-tab; the Chinese font is
/// embedded as a subset.
pub fn results_pdf(
    title: &str,
    a: &Analysis,
    lang: Lang,
    fonts: &PdfFonts,
) -> Result<Vec<u8>, ExportError> {
    let pen = fonts.pen();
    let blocks = blocks(&pen, title, a, lang);
    flow::render(&pen, &blocks, title, lang.code(), |page, pages| {
        lang.ta(
            "analysis-pdf-page",
            &[("page", page.to_string()), ("pages", pages.to_string())],
        )
    })
}
