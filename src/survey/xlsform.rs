//! XLSForm import and export (`docs/xlsform.md`): the `survey`, `choices` and
//! `settings` sheets of an .xlsx, within a documented subset.
//!
//! Import reads the workbook through `tabular` (zip-bomb checks and
//! size caps before calamine sees it), builds a [`Form`] and validates it.
//! Everything outside the subset — a type, a column, a setting, a sheet, an
//! expression — is refused with an error naming the sheet, the row as Excel
//! numbers it, the column and what is unsupported; all errors are collected.
//! Export writes any form back; importing the export gives the same form.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::expr::{self, Expr, ParseError};
use super::form::{
    Appearance, Choice, ChoiceList, Form, FormError, Group, Item, Labels, Place, Question,
    QuestionKind, Required,
};
use crate::i18n::Lang;
use crate::tabular::{self, TableError};

#[cfg(test)]
mod tests;

/// The most rows a sheet may hold below its header.
pub const MAX_ROWS: usize = 10_000;

/// A cell's column: its letter and its header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub letter: String,
    pub header: String,
}

/// Why a workbook was refused, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XlsError {
    /// The sheet (empty for a file that could not be read at all).
    pub sheet: String,
    /// The row as Excel shows it (1 is the header row).
    pub row: Option<usize>,
    pub column: Option<Column>,
    /// A message key of `locales/*/survey.ftl` (or `import.ftl` for unreadable files).
    pub key: &'static str,
    pub detail: String,
    /// The expression error, for `xlsform-err-expression`.
    pub expr: Option<ParseError>,
}

/// Every message key an [`XlsError`] or a [`FormError`] can carry (besides
/// the file errors of `tabular`).
pub const ERROR_KEYS: &[&str] = &[
    "xlsform-err-at",
    "xlsform-err-at-row",
    "xlsform-err-at-sheet",
    "xlsform-err-missing-sheet",
    "xlsform-err-unsupported-sheet",
    "xlsform-err-missing-column",
    "xlsform-err-unknown-column",
    "xlsform-err-duplicate-column",
    "xlsform-err-no-header",
    "xlsform-err-unknown-type",
    "xlsform-err-repeat",
    "xlsform-err-type-missing",
    "xlsform-err-unknown-setting",
    "xlsform-err-settings-rows",
    "xlsform-err-name-missing",
    "xlsform-err-name-invalid",
    "xlsform-err-duplicate-name",
    "xlsform-err-list-name-missing",
    "xlsform-err-missing-list",
    "xlsform-err-duplicate-list",
    "xlsform-err-empty-list",
    "xlsform-err-choice-name",
    "xlsform-err-duplicate-choice",
    "xlsform-err-unclosed-group",
    "xlsform-err-unopened-group",
    "xlsform-err-expression",
    "xlsform-err-unknown-reference",
    "xlsform-err-ambiguous",
    "xlsform-err-other-clash",
    "xlsform-err-cycle",
    "xlsform-err-appearance",
    "xlsform-err-table-list",
    "xlsform-err-parameters",
    "xlsform-err-not-applicable",
    "xlsform-err-shuffle",
    "xlsform-err-select-parameters",
    "xlsform-err-seed",
];

impl XlsError {
    fn file(e: TableError) -> XlsError {
        XlsError {
            sheet: String::new(),
            row: None,
            column: None,
            key: e.key(),
            detail: String::new(),
            expr: None,
        }
    }

    fn sheet(sheet: &str, key: &'static str, detail: &str) -> XlsError {
        XlsError {
            sheet: sheet.to_string(),
            row: None,
            column: None,
            key,
            detail: detail.to_string(),
            expr: None,
        }
    }

    /// The message in the reader's language, e.g.
    /// "Sheet survey, row 7, column F (relevant): …".
    pub fn message(&self, lang: Lang) -> String {
        let message = match &self.expr {
            Some(e) => lang.ta("xlsform-err-expression", &[("detail", e.message(lang))]),
            None => lang.ta(self.key, &[("detail", self.detail.clone())]),
        };
        match (&self.row, &self.column) {
            _ if self.sheet.is_empty() => message,
            (Some(row), Some(col)) => lang.ta(
                "xlsform-err-at",
                &[
                    ("sheet", self.sheet.clone()),
                    ("row", row.to_string()),
                    (
                        "column",
                        if col.header.is_empty() {
                            col.letter.clone()
                        } else {
                            format!("{} ({})", col.letter, col.header)
                        },
                    ),
                    ("message", message),
                ],
            ),
            (Some(row), None) => lang.ta(
                "xlsform-err-at-row",
                &[
                    ("sheet", self.sheet.clone()),
                    ("row", row.to_string()),
                    ("message", message),
                ],
            ),
            _ => lang.ta(
                "xlsform-err-at-sheet",
                &[("sheet", self.sheet.clone()), ("message", message)],
            ),
        }
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column index.
pub fn column_letter(mut col: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Reading a sheet

/// A sheet with its header parsed: `label::English (en)` is base `label`,
/// language `English (en)`.
struct Sheet<'a> {
    name: &'a str,
    rows: &'a [Vec<String>],
    /// (base lower-cased, language or "", header as written) per column.
    cols: Vec<(String, String, String)>,
}

impl<'a> Sheet<'a> {
    fn new(name: &'a str, rows: &'a [Vec<String>]) -> Sheet<'a> {
        let cols = rows
            .first()
            .map(|h| {
                h.iter()
                    .map(|raw| {
                        let raw = raw.trim();
                        let (base, lang) = match raw.split_once("::") {
                            Some((b, l)) => (b.trim(), l.trim()),
                            None => (raw, ""),
                        };
                        (base.to_lowercase(), lang.to_string(), raw.to_string())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Sheet { name, rows, cols }
    }

    fn cell(&self, row: usize, col: usize) -> &str {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    fn col_of(&self, base: &str) -> Option<usize> {
        self.cols
            .iter()
            .position(|(b, l, _)| b == base && l.is_empty())
    }

    fn get(&self, row: usize, base: &str) -> &str {
        self.col_of(base).map_or("", |c| self.cell(row, c))
    }

    fn labels(&self, row: usize, base: &str) -> Labels {
        let mut l = Labels::default();
        for (c, (b, lang, _)) in self.cols.iter().enumerate() {
            if b == base {
                l.set(lang, self.cell(row, c));
            }
        }
        l
    }

    fn column(&self, col: usize) -> Column {
        Column {
            letter: column_letter(col),
            header: self.cols.get(col).map(|c| c.2.clone()).unwrap_or_default(),
        }
    }

    /// An error at (`row` 0-based, the column of `base` if there is one).
    fn err(&self, row: usize, base: &str, key: &'static str, detail: &str) -> XlsError {
        XlsError {
            sheet: self.name.to_string(),
            row: Some(row + 1),
            column: self.col_of(base).map(|c| self.column(c)),
            key,
            detail: detail.to_string(),
            expr: None,
        }
    }

    fn blank(&self, row: usize) -> bool {
        self.rows
            .get(row)
            .is_none_or(|r| r.iter().all(|c| c.trim().is_empty()))
    }

    /// Refuses headers outside `known` (bases; those in `lang_ok` may carry
    /// `::language`) when their column holds a value, and repeated headers.
    fn check_columns(
        &self,
        known: &[&str],
        lang_ok: &[&str],
        extra_ok: impl Fn(&str, &str) -> bool,
        unknown_key: &'static str,
        errs: &mut Vec<XlsError>,
    ) {
        // A value under no header would be lost: refused where it is.
        for (r, row) in self.rows.iter().enumerate().skip(1) {
            for (c, v) in row.iter().enumerate() {
                let headed = self.cols.get(c).is_some_and(|h| !h.2.is_empty());
                if !headed && !v.trim().is_empty() {
                    errs.push(XlsError {
                        sheet: self.name.to_string(),
                        row: Some(r + 1),
                        column: Some(self.column(c)),
                        key: "xlsform-err-no-header",
                        detail: v.trim().to_string(),
                        expr: None,
                    });
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (c, (base, lang, raw)) in self.cols.iter().enumerate() {
            if raw.is_empty() {
                continue;
            }
            let used = (1..self.rows.len()).any(|r| !self.cell(r, c).is_empty());
            let ok = if lang.is_empty() {
                known.contains(&base.as_str()) || extra_ok(base, raw)
            } else {
                lang_ok.contains(&base.as_str())
            };
            let at = |key, detail: &str| XlsError {
                sheet: self.name.to_string(),
                row: Some(1),
                column: Some(self.column(c)),
                key,
                detail: detail.to_string(),
                expr: None,
            };
            if !ok && used {
                errs.push(at(unknown_key, raw));
            } else if ok && !seen.insert((base.clone(), lang.clone())) {
                errs.push(at("xlsform-err-duplicate-column", raw));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Import

const SURVEY_COLUMNS: &[&str] = &[
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "choice_filter",
    "parameters",
];
const TEXT_COLUMNS: &[&str] = &["label", "hint", "required_message", "constraint_message"];
const SETTINGS: &[&str] = &["form_title", "form_id", "version", "default_language"];
/// XLSForm sheets with a meaning outside the subset.
const UNSUPPORTED_SHEETS: &[&str] = &["external_choices", "entities", "osm"];
/// Choice columns with a meaning outside the subset (media).
const UNSUPPORTED_CHOICE_COLUMNS: &[&str] = &["image", "big-image", "audio", "video", "media"];

/// Reads an XLSForm workbook into a validated [`Form`], or every reason it cannot.
pub fn import(bytes: &[u8]) -> Result<Form, Vec<XlsError>> {
    let sheets = tabular::read_xlsx_sheets(bytes, MAX_ROWS).map_err(|e| vec![XlsError::file(e)])?;
    let find = |n: &str| {
        sheets
            .iter()
            .find(|(name, _)| name.trim().eq_ignore_ascii_case(n))
            .map(|(name, rows)| Sheet::new(name, rows))
    };
    let mut errs = Vec::new();
    for (name, _) in &sheets {
        if UNSUPPORTED_SHEETS.contains(&name.trim().to_lowercase().as_str()) {
            errs.push(XlsError::sheet(name, "xlsform-err-unsupported-sheet", name));
        }
    }
    let Some(survey) = find("survey") else {
        errs.push(XlsError::sheet(
            "survey",
            "xlsform-err-missing-sheet",
            "survey",
        ));
        return Err(errs);
    };
    let choices = find("choices");
    let (choice_lists, choice_rows) = match &choices {
        Some(s) => read_choices(s, &mut errs),
        None => (Vec::new(), Vec::new()),
    };
    let mut form = Form {
        choice_lists,
        ..Form::default()
    };
    if let Some(s) = find("settings") {
        read_settings(&s, &mut form, &mut errs);
    }
    let (items, item_rows, refused) = read_survey(&survey, &mut errs);
    form.items = items;
    form.languages = form.used_languages();
    let has_select = form.questions().iter().any(|q| q.kind.is_select());
    if has_select && choices.is_none() {
        errs.push(XlsError::sheet(
            "choices",
            "xlsform-err-missing-sheet",
            "choices",
        ));
    }
    // The form's own rules, placed back on their rows.
    for FormError {
        place,
        field,
        key,
        detail,
    } in form.validate()
    {
        if key == "xlsform-err-unknown-reference" && refused.contains(&detail) {
            continue; // the question it names was refused already
        }
        if key == "xlsform-err-missing-list" && choices.is_none() {
            continue; // reported as the missing sheet
        }
        match place {
            Place::Item(i) => {
                if let Some(&row) = item_rows.get(i) {
                    errs.push(survey.err(row, field, key, &detail));
                }
            }
            Place::Choice { list, choice } => {
                if let (Some(s), Some(&row)) = (
                    &choices,
                    choice_rows.get(list).and_then(|rows| rows.get(choice)),
                ) {
                    errs.push(s.err(row, field, key, &detail));
                }
            }
        }
    }
    let order = |e: &XlsError| {
        let sheet = sheets
            .iter()
            .position(|(n, _)| *n == e.sheet)
            .unwrap_or(usize::MAX);
        let col = e
            .column
            .as_ref()
            .map(|c| (c.letter.len(), c.letter.clone()));
        (sheet, e.row, col)
    };
    errs.sort_by_key(order);
    if errs.is_empty() { Ok(form) } else { Err(errs) }
}

fn read_settings(s: &Sheet<'_>, form: &mut Form, errs: &mut Vec<XlsError>) {
    s.check_columns(
        SETTINGS,
        &[],
        |_, _| false,
        "xlsform-err-unknown-setting",
        errs,
    );
    form.id = s.get(1, "form_id").to_string();
    form.title = s.get(1, "form_title").to_string();
    let opt = |v: &str| (!v.is_empty()).then(|| v.to_string());
    form.version = opt(s.get(1, "version"));
    form.default_language = opt(s.get(1, "default_language"));
    for r in 2..s.rows.len() {
        if !s.blank(r) {
            errs.push(XlsError {
                sheet: s.name.to_string(),
                row: Some(r + 1),
                column: None,
                key: "xlsform-err-settings-rows",
                detail: String::new(),
                expr: None,
            });
        }
    }
}

/// The lists in order of first appearance, and the row of every choice.
fn read_choices(s: &Sheet<'_>, errs: &mut Vec<XlsError>) -> (Vec<ChoiceList>, Vec<Vec<usize>>) {
    let extra_ok = |base: &str, raw: &str| {
        !UNSUPPORTED_CHOICE_COLUMNS.contains(&base) && super::form::is_valid_name(raw)
    };
    s.check_columns(
        &["list_name", "name", "label"],
        &["label"],
        extra_ok,
        "xlsform-err-unknown-column",
        errs,
    );
    for base in ["list_name", "name"] {
        if s.col_of(base).is_none() {
            errs.push(XlsError {
                sheet: s.name.to_string(),
                row: Some(1),
                column: None,
                key: "xlsform-err-missing-column",
                detail: base.to_string(),
                expr: None,
            });
        }
    }
    let extras: Vec<(usize, String)> = s
        .cols
        .iter()
        .enumerate()
        .filter(|(_, (b, l, raw))| {
            l.is_empty()
                && !["list_name", "name", "label"].contains(&b.as_str())
                && extra_ok(b, raw)
        })
        .map(|(c, (_, _, raw))| (c, raw.clone()))
        .collect();
    let mut lists: Vec<ChoiceList> = Vec::new();
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in 1..s.rows.len() {
        if s.blank(r) {
            continue;
        }
        let list = s.get(r, "list_name");
        if list.is_empty() {
            errs.push(s.err(r, "list_name", "xlsform-err-name-missing", ""));
            continue;
        }
        let li = *index.entry(list.to_string()).or_insert_with(|| {
            lists.push(ChoiceList {
                name: list.to_string(),
                choices: Vec::new(),
            });
            rows.push(Vec::new());
            lists.len() - 1
        });
        let mut extra = BTreeMap::new();
        for (c, key) in &extras {
            let v = s.cell(r, *c);
            if !v.is_empty() {
                extra.insert(key.clone(), v.to_string());
            }
        }
        lists[li].choices.push(Choice {
            name: s.get(r, "name").to_string(),
            label: s.labels(r, "label"),
            extra,
        });
        rows[li].push(r);
    }
    (lists, rows)
}

/// What the `type` cell says.
enum Type {
    BeginGroup,
    EndGroup,
    Question(QuestionKind, Option<String>, bool),
}

fn parse_type(t: &str) -> Result<Type, (&'static str, String)> {
    let words: Vec<&str> = t.split_whitespace().collect();
    let kind = match words.as_slice() {
        ["begin", "group"] | ["begin_group"] => return Ok(Type::BeginGroup),
        ["end", "group"] | ["end_group"] => return Ok(Type::EndGroup),
        ["begin" | "end", "repeat"] | ["begin_repeat" | "end_repeat"] => {
            return Err(("xlsform-err-repeat", t.to_string()));
        }
        [sel @ ("select_one" | "select_multiple"), rest @ ..] => {
            let kind = if *sel == "select_one" {
                QuestionKind::SelectOne
            } else {
                QuestionKind::SelectMultiple
            };
            return match rest {
                [] => Err(("xlsform-err-list-name-missing", t.to_string())),
                [list] => Ok(Type::Question(kind, Some((*list).to_string()), false)),
                [list, "or_other"] => Ok(Type::Question(kind, Some((*list).to_string()), true)),
                _ => Err(("xlsform-err-unknown-type", t.to_string())),
            };
        }
        ["text"] => QuestionKind::Text,
        ["integer"] => QuestionKind::Integer,
        ["decimal"] => QuestionKind::Decimal,
        ["date"] => QuestionKind::Date,
        ["note"] => QuestionKind::Note,
        ["range"] => QuestionKind::Range {
            start: 1.0,
            end: 10.0,
            step: 1.0,
        },
        _ => return Err(("xlsform-err-unknown-type", t.to_string())),
    };
    Ok(Type::Question(kind, None, false))
}

/// `yes`/`true`/`1` and empty/`no`/`false`/`0` in the `required` column.
fn is_required_keyword(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "" | "no" | "false" | "0" => Some(false),
        "yes" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// The `parameters` cell, parts separated by spaces, `;` or `,`. A range:
/// `start=1 end=10 step=1`, missing ones keeping XLSForm's defaults 1, 10, 1.
/// A choice question: `randomize=true` (or `false`), which sets `shuffle`;
/// `seed=…` is refused (every respondent has an order of their own), as is
/// any other part. Other types take none. The error: its key and the part.
fn parse_parameters(
    p: &str,
    kind: &mut QuestionKind,
    shuffle: &mut bool,
) -> Result<(), (&'static str, String)> {
    let parts = p
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .filter(|s| !s.is_empty());
    match kind {
        QuestionKind::Range { start, end, step } => {
            for part in parts {
                let bad = || ("xlsform-err-parameters", part.to_string());
                let (k, v) = part.split_once('=').ok_or_else(bad)?;
                let v: f64 = v
                    .trim()
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(bad)?;
                match k.trim() {
                    "start" => *start = v,
                    "end" => *end = v,
                    "step" => *step = v,
                    _ => return Err(bad()),
                }
            }
            Ok(())
        }
        QuestionKind::SelectOne | QuestionKind::SelectMultiple => {
            for part in parts {
                let (k, v) = part.split_once('=').unwrap_or((part, ""));
                match (k.trim().to_lowercase().as_str(), v.trim()) {
                    ("randomize", v) if v.eq_ignore_ascii_case("true") => *shuffle = true,
                    ("randomize", v) if v.eq_ignore_ascii_case("false") => *shuffle = false,
                    ("seed", _) => return Err(("xlsform-err-seed", part.to_string())),
                    _ => return Err(("xlsform-err-select-parameters", part.to_string())),
                }
            }
            Ok(())
        }
        _ => Err(("xlsform-err-not-applicable", p.to_string())),
    }
}

/// The items, the 0-based row of every item in reading order, and the names
/// of rows refused outright.
fn read_survey(
    s: &Sheet<'_>,
    errs: &mut Vec<XlsError>,
) -> (Vec<Item>, Vec<usize>, BTreeSet<String>) {
    s.check_columns(
        SURVEY_COLUMNS,
        TEXT_COLUMNS,
        |_, _| false,
        "xlsform-err-unknown-column",
        errs,
    );
    for base in ["type", "name"] {
        if s.col_of(base).is_none() {
            errs.push(XlsError {
                sheet: s.name.to_string(),
                row: Some(1),
                column: None,
                key: "xlsform-err-missing-column",
                detail: base.to_string(),
                expr: None,
            });
        }
    }
    let mut rows = Vec::new();
    let mut refused = BTreeSet::new();
    // Open groups with the row of their `begin group`; the root at the bottom.
    let mut stack: Vec<(Group, usize)> = vec![(Group::default(), 0)];
    let expr_at = |r: usize, base: &str, errs: &mut Vec<XlsError>| -> Option<Expr> {
        let src = s.get(r, base);
        if src.is_empty() {
            return None;
        }
        match expr::parse(src) {
            Ok(e) => Some(e),
            Err(pe) => {
                let mut e = s.err(r, base, "xlsform-err-expression", src);
                e.expr = Some(pe);
                errs.push(e);
                None
            }
        }
    };
    let appearance_at = |r: usize, errs: &mut Vec<XlsError>| -> Vec<Appearance> {
        let mut out = Vec::new();
        for word in s.get(r, "appearance").split_whitespace() {
            match Appearance::parse(word) {
                Some(a) => out.push(a),
                None => errs.push(s.err(r, "appearance", "xlsform-err-appearance", word)),
            }
        }
        out
    };
    for r in 1..s.rows.len() {
        if s.blank(r) {
            continue;
        }
        let t = s.get(r, "type");
        if t.is_empty() {
            errs.push(s.err(r, "type", "xlsform-err-type-missing", ""));
            continue;
        }
        let name = s.get(r, "name").to_string();
        let ty = match parse_type(t) {
            Ok(ty) => ty,
            Err((key, detail)) => {
                errs.push(s.err(r, "type", key, &detail));
                refused.insert(name);
                continue;
            }
        };
        match ty {
            Type::BeginGroup => {
                for base in [
                    "hint",
                    "required",
                    "required_message",
                    "constraint",
                    "constraint_message",
                    "choice_filter",
                    "parameters",
                ] {
                    let filled = s
                        .cols
                        .iter()
                        .enumerate()
                        .find(|(c, (b, _, _))| b == base && !s.cell(r, *c).is_empty());
                    if let Some((c, _)) = filled {
                        errs.push(XlsError {
                            column: Some(s.column(c)),
                            ..s.err(r, base, "xlsform-err-not-applicable", base)
                        });
                    }
                }
                let group = Group {
                    name,
                    label: s.labels(r, "label"),
                    relevant: expr_at(r, "relevant", errs),
                    appearance: appearance_at(r, errs),
                    items: Vec::new(),
                };
                rows.push(r);
                stack.push((group, r));
            }
            Type::EndGroup => {
                // Only `type` (and a repeated `name`) belong on an end row.
                for (c, (base, _, _)) in s.cols.iter().enumerate() {
                    if base != "type" && base != "name" && !s.cell(r, c).is_empty() {
                        errs.push(XlsError {
                            column: Some(s.column(c)),
                            ..s.err(r, base, "xlsform-err-not-applicable", base)
                        });
                    }
                }
                if stack.len() == 1 {
                    errs.push(s.err(r, "type", "xlsform-err-unopened-group", t));
                } else if let Some((g, _)) = stack.pop()
                    && let Some((parent, _)) = stack.last_mut()
                {
                    parent.items.push(Item::Group(g));
                }
            }
            Type::Question(mut kind, choices, other) => {
                let p = s.get(r, "parameters");
                let mut shuffle = false;
                if !p.is_empty()
                    && let Err((key, bad)) = parse_parameters(p, &mut kind, &mut shuffle)
                {
                    errs.push(s.err(r, "parameters", key, &bad));
                }
                let req = s.get(r, "required");
                let required = match is_required_keyword(req) {
                    Some(true) => Required::Yes,
                    Some(false) => Required::No,
                    None => expr_at(r, "required", errs).map_or(Required::No, Required::When),
                };
                let q = Question {
                    name,
                    kind,
                    label: s.labels(r, "label"),
                    hint: s.labels(r, "hint"),
                    required,
                    required_message: s.labels(r, "required_message"),
                    relevant: expr_at(r, "relevant", errs),
                    constraint: expr_at(r, "constraint", errs),
                    constraint_message: s.labels(r, "constraint_message"),
                    appearance: appearance_at(r, errs),
                    choices,
                    choice_filter: expr_at(r, "choice_filter", errs),
                    other,
                    shuffle,
                };
                rows.push(r);
                if let Some((parent, _)) = stack.last_mut() {
                    parent.items.push(Item::Question(q));
                }
            }
        }
    }
    // Groups never closed: reported, then closed so the rest is still checked.
    while stack.len() > 1 {
        if let Some((g, r)) = stack.pop() {
            errs.push(s.err(r, "type", "xlsform-err-unclosed-group", &g.name));
            if let Some((parent, _)) = stack.last_mut() {
                parent.items.push(Item::Group(g));
            }
        }
    }
    let root = stack.pop().map(|(g, _)| g.items).unwrap_or_default();
    (root, rows, refused)
}

// ---------------------------------------------------------------------------
// Export

/// Writes a sheet: the header row, then the rows; every cell as text.
fn write_sheet(
    book: &mut Workbook,
    name: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(name)?;
    for (c, h) in header.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
        sheet.set_column_width(c as u16, 16)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// One column of the export: header, and how to read it from a question or group.
type Getter = Box<dyn Fn(&Item) -> String>;

fn text_columns(
    base: &'static str,
    items: &[&Item],
    get: fn(&Item) -> Option<&Labels>,
) -> Vec<(String, Getter)> {
    let langs: BTreeSet<String> = items
        .iter()
        .filter_map(|it| get(it))
        .flat_map(|l| l.languages().map(String::from))
        .collect();
    langs
        .into_iter()
        .map(|lang| {
            let header = if lang.is_empty() {
                base.to_string()
            } else {
                format!("{base}::{lang}")
            };
            let getter: Getter = Box::new(move |it: &Item| {
                get(it)
                    .and_then(|l| l.0.get(&lang).cloned())
                    .unwrap_or_default()
            });
            (header, getter)
        })
        .collect()
}

fn question(it: &Item) -> Option<&Question> {
    match it {
        Item::Question(q) => Some(q),
        Item::Group(_) => None,
    }
}

fn expr_text(e: &Option<Expr>) -> String {
    e.as_ref().map(Expr::to_string).unwrap_or_default()
}

fn appearance_text(a: &[Appearance]) -> String {
    a.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")
}

fn type_text(q: &Question) -> String {
    let base = match &q.kind {
        QuestionKind::SelectOne => "select_one",
        QuestionKind::SelectMultiple => "select_multiple",
        QuestionKind::Text => "text",
        QuestionKind::Integer => "integer",
        QuestionKind::Decimal => "decimal",
        QuestionKind::Date => "date",
        QuestionKind::Note => "note",
        QuestionKind::Range { .. } => "range",
    };
    let mut out = base.to_string();
    if let Some(l) = &q.choices {
        out.push(' ');
        out.push_str(l);
    }
    if q.other {
        out.push_str(" or_other");
    }
    out
}

/// The form as an XLSForm workbook (sheets survey, choices, settings).
pub fn export(form: &Form) -> Result<Vec<u8>, XlsxError> {
    let items = form.walk();
    let mut cols: Vec<(String, Getter)> = vec![(
        "type".into(),
        Box::new(|it: &Item| match it {
            Item::Question(q) => type_text(q),
            Item::Group(_) => "begin group".into(),
        }),
    )];
    cols.push(("name".into(), Box::new(|it: &Item| it.name().to_string())));
    cols.extend(text_columns("label", &items, |it| {
        Some(match it {
            Item::Question(q) => &q.label,
            Item::Group(g) => &g.label,
        })
    }));
    cols.extend(text_columns("hint", &items, |it| {
        question(it).map(|q| &q.hint)
    }));
    cols.push((
        "required".into(),
        Box::new(|it: &Item| match question(it).map(|q| &q.required) {
            Some(Required::Yes) => "yes".into(),
            Some(Required::When(e)) => {
                // An expression spelled like a keyword (`1`) is kept one.
                let text = e.to_string();
                if is_required_keyword(&text).is_some() {
                    format!("({text})")
                } else {
                    text
                }
            }
            _ => String::new(),
        }),
    ));
    cols.extend(text_columns("required_message", &items, |it| {
        question(it).map(|q| &q.required_message)
    }));
    cols.push((
        "relevant".into(),
        Box::new(|it: &Item| match it {
            Item::Question(q) => expr_text(&q.relevant),
            Item::Group(g) => expr_text(&g.relevant),
        }),
    ));
    cols.push((
        "constraint".into(),
        Box::new(|it: &Item| question(it).map_or(String::new(), |q| expr_text(&q.constraint))),
    ));
    cols.extend(text_columns("constraint_message", &items, |it| {
        question(it).map(|q| &q.constraint_message)
    }));
    cols.push((
        "appearance".into(),
        Box::new(|it: &Item| match it {
            Item::Question(q) => appearance_text(&q.appearance),
            Item::Group(g) => appearance_text(&g.appearance),
        }),
    ));
    cols.push((
        "choice_filter".into(),
        Box::new(|it: &Item| question(it).map_or(String::new(), |q| expr_text(&q.choice_filter))),
    ));
    cols.push((
        "parameters".into(),
        Box::new(|it: &Item| match question(it).map(|q| &q.kind) {
            Some(QuestionKind::Range { start, end, step }) => format!(
                "start={} end={} step={}",
                expr::number_to_text(*start),
                expr::number_to_text(*end),
                expr::number_to_text(*step)
            ),
            Some(k) if k.is_select() && question(it).is_some_and(|q| q.shuffle) => {
                "randomize=true".into()
            }
            _ => String::new(),
        }),
    ));
    let mut rows = Vec::new();
    fn emit(items: &[Item], cols: &[(String, Getter)], rows: &mut Vec<Vec<String>>) {
        for it in items {
            rows.push(cols.iter().map(|(_, get)| get(it)).collect());
            if let Item::Group(g) = it {
                emit(&g.items, cols, rows);
                let mut end = vec![String::new(); cols.len()];
                end[0] = "end group".into();
                rows.push(end);
            }
        }
    }
    emit(&form.items, &cols, &mut rows);
    let header: Vec<String> = cols.iter().map(|(h, _)| h.clone()).collect();

    let mut book = Workbook::new();
    write_sheet(&mut book, "survey", &header, &rows)?;

    let label_langs: BTreeSet<&str> = form
        .choice_lists
        .iter()
        .flat_map(|l| &l.choices)
        .flat_map(|c| c.label.languages())
        .collect();
    let extras: BTreeSet<&str> = form
        .choice_lists
        .iter()
        .flat_map(|l| &l.choices)
        .flat_map(|c| c.extra.keys().map(String::as_str))
        .collect();
    let mut header = vec!["list_name".to_string(), "name".to_string()];
    header.extend(label_langs.iter().map(|l| {
        if l.is_empty() {
            "label".to_string()
        } else {
            format!("label::{l}")
        }
    }));
    header.extend(extras.iter().map(|e| e.to_string()));
    let mut rows = Vec::new();
    for l in &form.choice_lists {
        for c in &l.choices {
            let mut row = vec![l.name.clone(), c.name.clone()];
            row.extend(
                label_langs
                    .iter()
                    .map(|lang| c.label.0.get(*lang).cloned().unwrap_or_default()),
            );
            row.extend(
                extras
                    .iter()
                    .map(|e| c.extra.get(*e).cloned().unwrap_or_default()),
            );
            rows.push(row);
        }
    }
    write_sheet(&mut book, "choices", &header, &rows)?;

    let header: Vec<String> = SETTINGS.iter().map(|s| s.to_string()).collect();
    let row = vec![
        form.title.clone(),
        form.id.clone(),
        form.version.clone().unwrap_or_default(),
        form.default_language.clone().unwrap_or_default(),
    ];
    write_sheet(&mut book, "settings", &header, &[row])?;
    book.save_to_buffer()
}
