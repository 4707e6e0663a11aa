//! The 情况汇总表 as an Excel workbook laid out like the official attachment:
//! 宋体, ruled cells, merged labels, A4 portrait one page wide.

use std::collections::{HashMap, HashSet};

use rust_xlsxwriter::{DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use super::{
    Rollup,
    layout::{self, Align, COL_WIDTHS, Cell, Content, Form, Style},
    table_title,
};
use crate::{pdf::ExportError, summary::SummaryTable};

/// One unit's table as a workbook of one sheet.
pub fn unit_workbook(t: &SummaryTable) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    properties(&mut wb, t);
    let ws = wb.add_worksheet();
    ws.set_name(sheet_name(&t.head.org_name, &mut HashSet::new()))?;
    write_form(ws, &layout::unit_form(t))?;
    Ok(wb.save_to_buffer()?)
}

/// A roll-up: a first sheet 合计 with the totals (counts by outcome instead of
/// item lines), then one sheet per unit, named after the unit, then the
/// issuing org's own level on a sheet 本级.
pub fn rollup_workbook(r: &Rollup) -> Result<Vec<u8>, ExportError> {
    let mut wb = Workbook::new();
    properties(&mut wb, &r.totals);
    let mut used = HashSet::new();
    // Both fixed names first, so a unit called 本级 is the one renamed.
    let totals_name = sheet_name(TOTALS_SHEET, &mut used);
    let own_name = r.own.as_ref().map(|_| sheet_name(OWN_SHEET, &mut used));
    let ws = wb.add_worksheet();
    ws.set_name(totals_name)?;
    write_form(ws, &layout::totals_form(r))?;
    for t in &r.units {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&t.head.org_name, &mut used))?;
        write_form(ws, &layout::unit_form(t))?;
    }
    if let (Some(own), Some(name)) = (&r.own, own_name) {
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        write_form(ws, &layout::own_form(own))?;
    }
    Ok(wb.save_to_buffer()?)
}

/// The name of the roll-up's sheet of the issuing org's own level.
pub const OWN_SHEET: &str = "本级";

/// The name of the roll-up's first sheet.
pub const TOTALS_SHEET: &str = "合计";

/// Excel's longest sheet name, in UTF-16 units.
const SHEET_NAME_MAX: usize = 31;

/// A sheet name Excel accepts, unique (ignoring case, as Excel does) among
/// `used`: forbidden characters replaced, cut to 31 UTF-16 units, numbered
/// (2), (3)… on a clash.
pub fn sheet_name(name: &str, used: &mut HashSet<String>) -> String {
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if "[]:*?/\\".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches('\'').trim().to_string();
    let clean = if clean.is_empty() {
        "单位".to_string()
    } else {
        clean
    };
    let mut n = 1;
    loop {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("({n})")
        };
        let room = SHEET_NAME_MAX - suffix.encode_utf16().count();
        let mut base = String::new();
        for c in clean.chars() {
            if base.encode_utf16().count() + c.len_utf16() > room {
                break;
            }
            base.push(c);
        }
        // Cutting may leave an apostrophe at the end, which Excel refuses.
        let candidate = format!("{}{suffix}", base.trim_end_matches('\''));
        // "History" is reserved by Excel for its change-tracking sheet.
        let key = candidate.to_lowercase();
        if key != "history" && used.insert(key) {
            return candidate;
        }
        n += 1;
    }
}

fn properties(wb: &mut Workbook, t: &SummaryTable) {
    let props = DocProperties::new()
        .set_title(format!(
            "{}（{}）",
            table_title(&t.head.campaign_title),
            t.head.org_name
        ))
        .set_company(t.head.issuer.clone())
        .set_author("倾听 Qingting");
    wb.set_properties(&props);
}

/// Text that Excel would start a formula with when the cell is edited: such
/// cells get the quote-prefix attribute (the XLSX form of a leading
/// apostrophe), so user text stays text and nothing visible is added.
fn formula_lead(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

fn format(style: Style, quote: bool) -> Format {
    let mut f = Format::new()
        .set_font_name("宋体")
        // GB2312: Excel and WPS then pick 宋体 for Chinese without substitution.
        .set_font_charset(134)
        .set_font_size(style.size())
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_align(match style.align() {
            Align::Left => FormatAlign::Left,
            Align::Center => FormatAlign::Center,
        });
    if style.bold() {
        f = f.set_bold();
    }
    if style.ruled() {
        f = f.set_border(FormatBorder::Thin);
    }
    if quote {
        f = f.set_quote_prefix();
    }
    f
}

/// Width of a character in column units at `size` points: 宋体 sets a Chinese
/// character about two digits wide, Latin about one.
fn advance(c: char, size: f64) -> f64 {
    let em = if layout::is_wide(c) { 2.15 } else { 1.1 };
    em * size / 11.0
}

/// Height (points) a cell's text needs in Excel.
fn need(cell: &Cell) -> f64 {
    let text = cell.content.display();
    let size = cell.style.size();
    // Excel pads each column by a few pixels and merged cells lose a little more.
    let room = (cell.width() - 0.8 * cell.cols as f64).max(1.0);
    let lines = layout::wrap(&text, room, |c| advance(c, size)).len();
    lines as f64 * size * 1.35 + 6.0
}

/// Top and bottom print margins (inches).
const MARGIN_TB: f64 = 0.75;

/// Height of an A4 page inside the margins, in points. The columns are
/// narrower than the printable width, so fitting to one page wide does not
/// scale the rows and breaks computed at this height hold.
const PRINTABLE_HEIGHT: f64 = (11.69 - 2.0 * MARGIN_TB) * 72.0;

fn write_form(ws: &mut Worksheet, form: &Form) -> Result<(), ExportError> {
    for (c, w) in COL_WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let heights: Vec<f64> = form.heights(need).into_iter().map(f64::ceil).collect();
    for (r, h) in heights.iter().enumerate() {
        ws.set_row_height(r as u32, *h)?;
    }
    // The 单位 line is printed again at the top of every further page, and
    // pages break between items, never inside one: Excel's own breaks fall
    // wherever a page is full.
    let unit_row = form.head_rows.saturating_sub(1);
    ws.set_repeat_rows(unit_row as u32, unit_row as u32)?;
    let page = PRINTABLE_HEIGHT * 0.95;
    let breaks: Vec<u32> = form
        .paginate(
            &heights,
            page,
            page - heights.get(unit_row).copied().unwrap_or(0.0),
        )
        .iter()
        .skip(1)
        .map(|p| p.start as u32)
        .collect();
    ws.set_page_breaks(&breaks)?;
    let mut formats: HashMap<(Style, bool), Format> = HashMap::new();
    for cell in &form.cells {
        let text = cell.content.display();
        let quote = matches!(cell.content, Content::Text(_)) && formula_lead(&text);
        let f = formats
            .entry((cell.style, quote))
            .or_insert_with(|| format(cell.style, quote));
        let (r0, c0) = (cell.row as u32, cell.col as u16);
        if cell.rows > 1 || cell.cols > 1 {
            let (r1, c1) = (r0 + cell.rows as u32 - 1, c0 + cell.cols as u16 - 1);
            let s = if matches!(cell.content, Content::Text(_)) {
                text.as_str()
            } else {
                ""
            };
            ws.merge_range(r0, c0, r1, c1, s, f)?;
            if let Content::Number(n) = cell.content {
                ws.write_number_with_format(r0, c0, n as f64, f)?;
            }
        } else {
            match &cell.content {
                Content::Text(s) => {
                    ws.write_string_with_format(r0, c0, s, f)?;
                }
                Content::Number(n) => {
                    ws.write_number_with_format(r0, c0, *n as f64, f)?;
                }
                Content::Blank => {
                    ws.write_blank(r0, c0, f)?;
                }
            }
        }
    }
    ws.set_screen_gridlines(false);
    ws.set_paper_size(9); // A4
    ws.set_portrait();
    ws.set_margins(0.6, 0.6, MARGIN_TB, MARGIN_TB, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&C第 &P 页，共 &N 页");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_legal_short_and_unique() {
        let mut used = HashSet::new();
        assert_eq!(sheet_name("合计", &mut used), "合计");
        assert_eq!(sheet_name("合计", &mut used), "合计(2)");
        assert_eq!(sheet_name("a[b]:c*d?e/f\\g", &mut used), "a_b__c_d_e_f_g");
        let long = "上海市杨浦区某某街道某某园区某某楼宇联合工会委员会第一分会第二小组";
        let a = sheet_name(long, &mut used);
        let b = sheet_name(long, &mut used);
        assert!(a.encode_utf16().count() <= 31 && b.encode_utf16().count() <= 31);
        assert_ne!(a, b);
        assert!(b.ends_with("(2)"));
        assert_eq!(sheet_name("'引号'", &mut used), "引号");
        assert_eq!(sheet_name("  ", &mut used), "单位");
        assert_eq!(sheet_name("History", &mut used), "History(2)");
        assert_eq!(sheet_name("ABC", &mut used), "ABC");
        assert_eq!(sheet_name("abc", &mut used), "abc(2)");
    }

    #[test]
    fn formula_leads_are_recognised() {
        for s in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(formula_lead(s), "{s}");
        }
        assert!(!formula_lead("1．职工反映"));
    }
}
