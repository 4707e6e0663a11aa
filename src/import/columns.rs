//! The columns of each import kind, read from headers in Chinese or English and
//! written back by exports, so an exported file imports again unchanged.

use super::RowError;
use crate::{error::FieldError, i18n::Lang};

/// One column of an import/export sheet.
#[derive(Debug)]
pub struct Column {
    /// The input field the column fills; also the field named by its errors.
    pub field: &'static str,
    /// The Chinese header, written by Chinese exports.
    pub zh: &'static str,
    /// The English header, written by English exports.
    pub en: &'static str,
    /// Other headers people write for the same column.
    pub aliases: &'static [&'static str],
    /// Whether a file must have the column.
    pub required: bool,
    /// Export width in Excel character units.
    pub width: f64,
    /// Whether the column holds codes or numbers to be kept as text.
    pub text: bool,
    /// Catalogue key of a note on the format, for the template's notes sheet.
    pub note: Option<&'static str>,
}

impl Column {
    /// The header in `lang`.
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }

    fn matches(&self, normalized: &str) -> bool {
        [self.zh, self.en, self.field]
            .iter()
            .chain(self.aliases)
            .any(|h| normalize(h) == normalized)
    }
}

/// A header cell reduced to what identifies it: no spaces, `*` marks, colons,
/// underscores or hyphens, a trailing "(必填)"/"(required)" dropped, lower case.
pub fn normalize(header: &str) -> String {
    let mut h: String = header
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '*' | '＊' | ':' | '：' | '_' | '-' | '\u{feff}')
        })
        .flat_map(char::to_lowercase)
        .collect();
    for tail in [
        "(必填)",
        "（必填）",
        "(选填)",
        "（选填）",
        "(required)",
        "(optional)",
    ] {
        if let Some(s) = h.strip_suffix(tail) {
            h = s.to_string();
        }
    }
    h
}

/// The rows of a file under recognised headers.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub columns: &'static [Column],
    /// The header row as Excel numbers it (1 for the first row).
    pub header_row: usize,
    /// For each column of the table, the header the file wrote, if it has the column.
    pub headers: Vec<Option<String>>,
    /// Headers that match no column (ignored).
    pub ignored: Vec<String>,
    /// Problems with the header row; when there are any, `records` is empty.
    pub problems: Vec<RowError>,
    /// The data rows that are not blank.
    pub records: Vec<Record>,
}

/// One data row: its Excel row number and a value per column of the table.
#[derive(Debug, Clone)]
pub struct Record {
    pub row: usize,
    pub cells: Vec<Option<String>>,
}

impl Record {
    /// The trimmed value of `field`, `None` when blank or the column is absent.
    pub fn get(&self, columns: &[Column], field: &str) -> Option<String> {
        columns
            .iter()
            .position(|c| c.field == field)
            .and_then(|i| self.cells.get(i))
            .and_then(|c| c.clone())
    }
}

/// How many rows from the top may hold the header (title rows above are common).
const HEADER_SEARCH_ROWS: usize = 10;

/// Finds the header row among the first rows and maps every later row to the columns.
pub fn map_sheet(columns: &'static [Column], table: &[Vec<String>]) -> Sheet {
    let needed = 2.min(columns.len());
    let found = table.iter().take(HEADER_SEARCH_ROWS).position(|row| {
        let mut hits: Vec<usize> = row
            .iter()
            .filter_map(|h| {
                let n = normalize(h);
                columns.iter().position(|c| !n.is_empty() && c.matches(&n))
            })
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits.len() >= needed
    });
    let mut sheet = Sheet {
        columns,
        header_row: found.map_or(1, |i| i + 1),
        headers: vec![None; columns.len()],
        ignored: Vec::new(),
        problems: Vec::new(),
        records: Vec::new(),
    };
    let Some(h) = found else {
        sheet.problems.push(RowError {
            row: 1,
            error: FieldError::new("file", "err-import-no-header"),
        });
        return sheet;
    };
    // Which column of the file feeds which column of the table.
    let mut sources: Vec<Option<usize>> = vec![None; columns.len()];
    for (file_col, title) in table[h].iter().enumerate() {
        let n = normalize(title);
        if n.is_empty() {
            continue;
        }
        match columns.iter().position(|c| c.matches(&n)) {
            Some(i) if sources[i].is_some() => sheet.problems.push(RowError {
                row: sheet.header_row,
                error: FieldError::new(columns[i].field, "err-import-duplicate-column"),
            }),
            Some(i) => {
                sources[i] = Some(file_col);
                sheet.headers[i] = Some(title.trim().to_string());
            }
            None => sheet.ignored.push(title.trim().to_string()),
        }
    }
    for (i, c) in columns.iter().enumerate() {
        if c.required && sources[i].is_none() {
            sheet.problems.push(RowError {
                row: sheet.header_row,
                error: FieldError::new(c.field, "err-import-missing-column"),
            });
        }
    }
    if !sheet.problems.is_empty() {
        return sheet;
    }
    for (i, row) in table.iter().enumerate().skip(h + 1) {
        let cells: Vec<Option<String>> = sources
            .iter()
            .map(|src| {
                src.and_then(|c| row.get(c))
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            })
            .collect();
        if cells.iter().all(Option::is_none) {
            continue;
        }
        sheet.records.push(Record { row: i + 1, cells });
    }
    sheet
}

impl Sheet {
    /// The name to show for the column of `field`: the file's own header when it
    /// has one, else the table's header in `lang`, else the field's label.
    pub fn column_name(&self, field: &str, lang: Lang) -> String {
        match self.columns.iter().position(|c| c.field == field) {
            Some(i) => self.headers[i]
                .clone()
                .unwrap_or_else(|| self.columns[i].title(lang).to_string()),
            None => lang.t(&format!("field-{field}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLS: [Column; 3] = [
        Column {
            field: "name",
            zh: "名称",
            en: "Name",
            aliases: &["单位名称"],
            required: true,
            width: 10.0,
            text: false,
            note: None,
        },
        Column {
            field: "credit_code",
            zh: "统一社会信用代码",
            en: "Credit code",
            aliases: &[],
            required: true,
            width: 10.0,
            text: true,
            note: None,
        },
        Column {
            field: "address",
            zh: "地址",
            en: "Address",
            aliases: &[],
            required: false,
            width: 10.0,
            text: false,
            note: None,
        },
    ];

    fn table(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    #[test]
    fn headers_map_in_chinese_english_field_names_and_aliases() {
        for header in [
            ["名称", "统一社会信用代码"],
            ["Name", "Credit code"],
            ["name", "credit_code"],
            ["单位名称 *", "统一社会信用代码（必填）"],
            [" NAME ", "CREDIT-CODE"],
        ] {
            let t = table(&[&header, &["甲公司", "91310000000000000X"]]);
            let s = map_sheet(&COLS, &t);
            assert!(s.problems.is_empty(), "{header:?}: {:?}", s.problems);
            assert_eq!(s.records.len(), 1);
            assert_eq!(s.records[0].get(&COLS, "name").as_deref(), Some("甲公司"));
            assert_eq!(s.records[0].get(&COLS, "address"), None);
        }
    }

    #[test]
    fn title_rows_blank_rows_and_extra_columns_keep_excel_row_numbers() {
        let t = table(&[
            &["2019年企业名单"],
            &[],
            &["序号", "名称", "地址", "统一社会信用代码"],
            &["1", "甲", "一路", "X1"],
            &[],
            &["", "  ", "", ""],
            &["3", "丙", "", "X3"],
        ]);
        let s = map_sheet(&COLS, &t);
        assert_eq!(s.header_row, 3);
        assert_eq!(s.ignored, ["序号"]);
        let rows: Vec<usize> = s.records.iter().map(|r| r.row).collect();
        assert_eq!(rows, [4, 7]);
        assert_eq!(
            s.records[1].get(&COLS, "credit_code").as_deref(),
            Some("X3")
        );
        assert_eq!(s.column_name("credit_code", Lang::En), "统一社会信用代码");
    }

    #[test]
    fn missing_and_duplicate_columns_are_errors_on_the_header_row() {
        let t = table(&[&["x"], &["名称", "Name", "地址"]]);
        let s = map_sheet(&COLS, &t);
        assert_eq!(s.header_row, 2);
        let got: Vec<(usize, &str, &str)> = s
            .problems
            .iter()
            .map(|p| (p.row, p.error.field.as_str(), p.error.key))
            .collect();
        assert_eq!(
            got,
            [
                (2, "name", "err-import-duplicate-column"),
                (2, "credit_code", "err-import-missing-column"),
            ]
        );
        assert!(s.records.is_empty());
        let none = map_sheet(&COLS, &table(&[&["a", "b"], &["c"]]));
        assert_eq!(none.problems[0].error.key, "err-import-no-header");
    }
}
