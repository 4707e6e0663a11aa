//! The grid as a workbook: the same rows, sort and filter as the page.

use super::{Column, Grid, Lights, chases_text, plan_label};
use crate::{i18n::Lang, workday::Light};

/// Picks one light of a row.
type LightOf = fn(&Lights) -> Option<Light>;

/// The workbook of a grid: the same rows, sort and filter as the page; each
/// coloured cell filled with its light's colour, and the lights as text.
pub fn workbook(lang: Lang, g: &Grid) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatBorder, Workbook};
    let mut book = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_background_color("#EAF1FB")
        .set_border_bottom(FormatBorder::Thin)
        .set_text_wrap();
    let fill = |l: Option<Light>| {
        let f = Format::new();
        match l {
            Some(Light::Red) => f.set_background_color("#FFEBE9"),
            Some(Light::Yellow) => f.set_background_color("#FFF8C5"),
            Some(Light::Green) => f.set_background_color("#DAFBE1"),
            None => f,
        }
    };
    let below = g.level.is_some();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.t("sv-title"))?;
    let mut headers: Vec<(String, f64)> =
        vec![(lang.t("sv-col-unit"), 28.0), (lang.t("sv-code"), 14.0)];
    for col in Column::ALL.iter().skip(1) {
        if below && !col.applies_below() {
            continue;
        }
        headers.push((lang.t(col.label_key()), 14.0));
    }
    let light_cols: Vec<(&str, LightOf)> = if below {
        vec![
            ("sv-light-activities", |l| l.activities),
            ("sv-light-problems", |l| l.problems),
        ]
    } else {
        vec![
            ("sv-light-received", |l| l.received),
            ("sv-light-plan", |l| l.plan),
            ("sv-light-activities", |l| l.activities),
            ("sv-light-problems", |l| l.problems),
            ("sv-light-summary", |l| l.summary),
        ]
    };
    for (key, _) in &light_cols {
        headers.push((lang.t(key), 12.0));
    }
    for (c, (title, width)) in headers.iter().enumerate() {
        sheet.set_column_width(c as u16, *width)?;
        sheet.write_string_with_format(0, c as u16, title, &head)?;
    }
    sheet.set_freeze_panes(1, 1)?;
    for (i, r) in g.rows.iter().enumerate() {
        let row = (i + 1) as u32;
        let mut col: u16 = 0;
        let text = |sheet: &mut rust_xlsxwriter::Worksheet,
                    col: &mut u16,
                    s: &str,
                    l: Option<Light>|
         -> Result<(), rust_xlsxwriter::XlsxError> {
            sheet.write_string_with_format(row, *col, s, &fill(l))?;
            *col += 1;
            Ok(())
        };
        text(sheet, &mut col, &r.name, None)?;
        text(sheet, &mut col, &r.code, None)?;
        if !below {
            let received = match &r.receipt {
                Some(x) => format!("{} {}", x.receiver, lang.datetime(x.received_at)),
                None => lang.t("sv-not-received"),
            };
            text(sheet, &mut col, &received, r.lights.received)?;
            text(sheet, &mut col, &plan_label(lang, r.plan), r.lights.plan)?;
        }
        for (n, l) in [
            (r.activities, r.lights.activities),
            (r.problems, r.lights.problems),
            (r.decided, r.lights.problems),
            (r.overdue, r.lights.problems),
        ] {
            sheet.write_number_with_format(row, col, n as f64, &fill(l))?;
            col += 1;
        }
        if !below {
            let s = r.summary.map(|s| lang.t(s.label_key())).unwrap_or_default();
            text(sheet, &mut col, &s, r.lights.summary)?;
        }
        let last = r.last_activity.map(|d| d.iso()).unwrap_or_default();
        text(sheet, &mut col, &last, None)?;
        text(sheet, &mut col, &chases_text(lang, &r.chases), None)?;
        for (_, get) in &light_cols {
            let l = get(&r.lights);
            let s = l.map(|l| lang.t(&l.label_key())).unwrap_or_default();
            text(sheet, &mut col, &s, l)?;
        }
    }
    book.save_to_buffer()
}
