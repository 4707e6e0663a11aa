//! The 情况汇总表 as a printable PDF: the same grid as the workbook drawn as a
//! ruled A4 form with an embedded (subset) Chinese font.
//!
//! Text is set in the export fonts of `crate::pdf`, lines broken by the
//! Chinese rules of `layout::wrap`.

use krilla::{
    Document,
    color::luma,
    geom::{PathBuilder, Point, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::{Fill, FillRule, Stroke},
    surface::Surface,
};

use super::{
    Rollup,
    layout::{self, Align, COL_WIDTHS, COLS, Cell, Form, Style},
    table_title,
};
use crate::{
    pdf::{ExportError, PdfFonts, Setter},
    summary::SummaryTable,
};

/// A4 in points.
const PAGE_W: f64 = 595.28;
const PAGE_H: f64 = 841.89;
const MARGIN_X: f64 = 50.0;
const MARGIN_TOP: f64 = 50.0;
const MARGIN_BOTTOM: f64 = 56.0;
/// Space for 单位：…（续） on a continuation page.
const CONTINUED: f64 = 26.0;
/// Padding inside a ruled cell.
const PAD: f64 = 4.0;
/// Line height as a multiple of the font size.
const LEADING: f64 = 1.4;

fn col_x() -> [f64; COLS + 1] {
    let total: f64 = COL_WIDTHS.iter().sum();
    let mut x = [MARGIN_X; COLS + 1];
    for c in 0..COLS {
        x[c + 1] = x[c] + COL_WIDTHS[c] / total * (PAGE_W - 2.0 * MARGIN_X);
    }
    x
}

struct Renderer<'a> {
    regular: Setter<'a>,
    bold: Setter<'a>,
    x: [f64; COLS + 1],
}

impl Renderer<'_> {
    fn setter(&self, style: Style) -> &Setter<'_> {
        if style.bold() {
            &self.bold
        } else {
            &self.regular
        }
    }

    fn cell_width(&self, c: &Cell) -> f64 {
        self.x[c.col + c.cols] - self.x[c.col]
    }

    fn lines(&self, c: &Cell) -> Vec<String> {
        let s = self.setter(c.style);
        let size = c.style.size();
        let room = self.cell_width(c) - 2.0 * PAD;
        layout::wrap(&c.content.display(), room, |ch| s.advance(ch) * size)
    }

    /// Height a cell needs; a text that will flow over a page break (`room`
    /// is a page) gets a line and its padding more for each break.
    fn need(&self, c: &Cell, room: f64) -> f64 {
        let lh = c.style.size() * LEADING;
        let base = self.lines(c).len() as f64 * lh + 2.0 * PAD;
        base + (base / room).floor() * (lh + 2.0 * PAD)
    }

    /// Draws one line of text with its left end at `x` and baseline at `y`.
    fn text(&self, surface: &mut Surface<'_>, style: Style, x: f64, y: f64, line: &str) {
        if line.is_empty() {
            return;
        }
        let s = self.setter(style);
        let glyphs = s.glyphs(line);
        surface.draw_glyphs(
            Point::from_xy(x as f32, y as f32),
            &glyphs,
            s.font.clone(),
            line,
            style.size() as f32,
            false,
        );
    }

    fn line_width(&self, style: Style, line: &str) -> f64 {
        let s = self.setter(style);
        line.chars().map(|c| s.advance(c)).sum::<f64>() * style.size()
    }

    /// Draws a cell's wrapped text centred vertically in `top..top+h`.
    fn cell_text(&self, surface: &mut Surface<'_>, c: &Cell, top: f64, h: f64) {
        self.draw_lines(surface, c, &self.lines(c), top, h, true);
    }

    /// Draws `lines` of cell `c` in `top..top+h`, centred vertically or from
    /// the top (a text continued from or on another page).
    fn draw_lines(
        &self,
        surface: &mut Surface<'_>,
        c: &Cell,
        lines: &[String],
        top: f64,
        h: f64,
        centred: bool,
    ) {
        let size = c.style.size();
        let lh = size * LEADING;
        let s = self.setter(c.style);
        let block = lines.len() as f64 * lh;
        let mut line_top = if centred {
            top + ((h - block) / 2.0).max(0.0)
        } else {
            top + PAD
        };
        let x0 = self.x[c.col];
        let w = self.cell_width(c);
        // Only a text longer than a whole page can overflow its cell: it is
        // cut at the cell's edge rather than drawn over the footer.
        let clip = (block > h)
            .then(|| Rect::from_xywh(x0 as f32, top as f32, w as f32, h as f32))
            .flatten()
            .and_then(|r| {
                let mut pb = PathBuilder::new();
                pb.push_rect(r);
                pb.finish()
            });
        if let Some(path) = &clip {
            surface.push_clip_path(path, &FillRule::NonZero);
        }
        for line in lines {
            let glyph_h = (f64::from(s.ascent) + f64::from(s.descent)) * size;
            let baseline = line_top + (lh - glyph_h) / 2.0 + f64::from(s.ascent) * size;
            let x = match c.style.align() {
                Align::Left => x0 + if c.style.ruled() { PAD } else { 0.0 },
                Align::Center => x0 + (w - self.line_width(c.style, line)) / 2.0,
            };
            self.text(surface, c.style, x, baseline, line);
            line_top += lh;
        }
        if clip.is_some() {
            surface.pop();
        }
    }
}

fn stroke_rect(surface: &mut Surface<'_>, x: f64, y: f64, w: f64, h: f64, width: f32) {
    let Some(rect) = Rect::from_xywh(x as f32, y as f32, w as f32, h as f32) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(rect);
    let Some(path) = pb.finish() else { return };
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke {
        paint: luma::Color::black().into(),
        width,
        ..Stroke::default()
    }));
    surface.draw_path(&path);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill::default()));
}

fn draw_table(doc: &mut Document, rd: &Renderer<'_>, t: &SummaryTable, form: &Form) {
    let full = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM;
    let room = full - CONTINUED;
    // No row may be taller than a page, or it would run off the paper.
    let heights: Vec<f64> = form
        .heights(|c| rd.need(c, room))
        .into_iter()
        .map(|h| h.min(room))
        .collect();
    let pages = form.paginate(&heights, full, room);
    let n = pages.len();
    for (p, rows) in pages.iter().enumerate() {
        let settings =
            PageSettings::from_wh(PAGE_W as f32, PAGE_H as f32).expect("A4 is a valid size");
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        surface.set_fill(Some(Fill::default()));
        let mut y = MARGIN_TOP;
        if p > 0 {
            let s = Style::Unit;
            let line = format!("单位：{}（续）", t.head.org_name);
            rd.text(&mut surface, s, MARGIN_X, y + s.size(), &line);
            y += CONTINUED;
        }
        // Top of each row on this page.
        let mut tops = vec![f64::NAN; form.rows.len() + 1];
        for r in rows.clone() {
            tops[r] = y;
            y += heights[r];
        }
        tops[rows.end] = y;
        let mut frame: Option<(f64, f64)> = None;
        for c in &form.cells {
            let lo = c.row.max(rows.start);
            let hi = (c.row + c.rows).min(rows.end);
            if lo >= hi {
                continue;
            }
            let top = tops[lo];
            let h = tops[hi] - top;
            if c.style.ruled() {
                let x = rd.x[c.col];
                stroke_rect(&mut surface, x, top, rd.cell_width(c), h, 0.6);
                frame = Some(frame.map_or((top, top + h), |(a, b)| (a.min(top), b.max(top + h))));
            }
            let cut = c.row < rows.start || c.row + c.rows > rows.end;
            if cut && c.style == Style::Text {
                // A description cut by a page break flows on: each part shows
                // the lines that follow those shown on the pages before.
                let lh = c.style.size() * LEADING;
                let fits = |h: f64| ((h - 2.0 * PAD) / lh).floor().max(0.0) as usize;
                let shown: usize = pages[..p]
                    .iter()
                    .map(|pr| {
                        let (a, b) = (c.row.max(pr.start), (c.row + c.rows).min(pr.end));
                        if a < b {
                            fits(heights[a..b].iter().sum())
                        } else {
                            0
                        }
                    })
                    .sum();
                let last = c.row + c.rows <= rows.end;
                let take = if last { usize::MAX } else { fits(h) };
                let lines: Vec<String> = rd.lines(c).into_iter().skip(shown).take(take).collect();
                rd.draw_lines(&mut surface, c, &lines, top, h, false);
            } else {
                // A label cut by a page break is printed again on each part.
                rd.cell_text(&mut surface, c, top, h);
            }
        }
        // The outer frame of the table is drawn heavier, as on printed forms.
        if let Some((a, b)) = frame {
            stroke_rect(&mut surface, rd.x[0], a, rd.x[COLS] - rd.x[0], b - a, 1.2);
        }
        let footer = format!("{}　第 {} 页，共 {} 页", t.head.org_name, p + 1, n);
        let fs = Style::Header;
        let w = rd.line_width(fs, &footer);
        rd.text(
            &mut surface,
            fs,
            (PAGE_W - w) / 2.0,
            PAGE_H - MARGIN_BOTTOM / 2.0,
            &footer,
        );
        surface.finish();
        page.finish();
    }
}

/// The tables as one PDF, A4 portrait, each table starting on a new page.
pub fn render(tables: &[SummaryTable], fonts: &PdfFonts) -> Result<Vec<u8>, ExportError> {
    let forms: Vec<(&SummaryTable, Form)> =
        tables.iter().map(|t| (t, layout::unit_form(t))).collect();
    render_forms(&forms, fonts)
}

/// A roll-up as one PDF: the totals (counts by outcome), then each unit, then
/// the issuing org's own level.
pub fn render_rollup(r: &Rollup, fonts: &PdfFonts) -> Result<Vec<u8>, ExportError> {
    let mut forms = vec![(&r.totals, layout::totals_form(r))];
    forms.extend(r.units.iter().map(|t| (t, layout::unit_form(t))));
    if let Some(own) = &r.own {
        forms.push((own, layout::own_form(own)));
    }
    render_forms(&forms, fonts)
}

fn render_forms(forms: &[(&SummaryTable, Form)], fonts: &PdfFonts) -> Result<Vec<u8>, ExportError> {
    let Some((first, _)) = forms.first() else {
        return Err(ExportError::Empty);
    };
    let rd = Renderer {
        regular: Setter::new(&fonts.regular),
        bold: Setter::new(&fonts.bold),
        x: col_x(),
    };
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!(
                "{}（{}）",
                table_title(&first.head.campaign_title),
                first.head.org_name
            ))
            .language("zh-CN".into())
            .creator("倾听 Qingting".into()),
    );
    for (t, form) in forms {
        draw_table(&mut doc, &rd, t, form);
    }
    doc.finish().map_err(|e| ExportError::Pdf(format!("{e:?}")))
}
