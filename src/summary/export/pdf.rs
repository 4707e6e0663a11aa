//! The 情况汇总表 as a printable PDF: the same grid as the workbook drawn as a
//! ruled A4 form with an embedded (subset) Chinese font.
//!
//! Text is set by this module, not by a layout engine: each character is
//! mapped to its glyph and advance from the font, lines are broken by the
//! Chinese rules of `layout::wrap`, and krilla writes the glyphs with their
//! Unicode text so the PDF can be searched and copied.

use std::{
    ops::Range,
    path::{Path, PathBuf},
    sync::Arc,
};

use krilla::{
    Document,
    color::luma,
    geom::{PathBuilder, Point, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::{Fill, FillRule, Stroke},
    surface::Surface,
    text::{Font, GlyphId, KrillaGlyph},
};
use skrifa::{
    FontRef, MetadataProvider,
    charmap::Charmap,
    instance::{LocationRef, Size},
    metrics::GlyphMetrics,
    raw::FileRef,
    string::StringId,
};

use super::{
    ExportError, Rollup,
    layout::{self, Align, COL_WIDTHS, COLS, Cell, Form, Style},
    table_title,
};
use crate::{config::Settings, summary::SummaryTable};

/// Where distributions put a Chinese font, most suitable first: Noto Serif
/// CJK is a Song face (宋体), what official forms are printed in.
pub const DEFAULT_FONTS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-serif-cjk-fonts/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
];

/// A character every usable face must have: a font without it has no
/// Simplified Chinese.
const PROBE: char = '汇';

/// One face of a font file, ready for krilla and for measuring.
struct Face {
    data: Arc<Vec<u8>>,
    index: u32,
    path: PathBuf,
    font: Font,
}

impl Face {
    /// Reads `path` and picks its Simplified Chinese face.
    fn load(path: &Path) -> Result<Face, ExportError> {
        let unusable = |reason: String| ExportError::FontUnusable {
            path: path.to_path_buf(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
        let index = pick_face(&data).map_err(unusable)?;
        let data = Arc::new(data);
        let font = Font::new(data.clone().into(), index)
            .ok_or_else(|| unusable("krilla cannot read the face".into()))?;
        Ok(Face {
            data,
            index,
            path: path.to_path_buf(),
            font,
        })
    }

    fn font_ref(&self) -> FontRef<'_> {
        FontRef::from_index(&self.data, self.index).expect("checked when loaded")
    }
}

/// The face of a font or collection to use: the one named SC (Noto's
/// Simplified Chinese), else one named CN/GB/Hans, else the first with
/// Chinese glyphs. A Japanese face of the same collection would draw some
/// characters in Japanese forms.
fn pick_face(data: &[u8]) -> Result<u32, String> {
    let faces: Vec<FontRef<'_>> =
        match FileRef::new(data).map_err(|e| format!("not a font: {e}"))? {
            FileRef::Font(f) => vec![f],
            FileRef::Collection(c) => (0..c.len()).filter_map(|i| c.get(i).ok()).collect(),
        };
    let mut best: Option<(u8, u32)> = None;
    for (i, f) in faces.iter().enumerate() {
        if f.charmap().map(PROBE).is_none() {
            continue;
        }
        let names: Vec<String> = [StringId::FAMILY_NAME, StringId::TYPOGRAPHIC_FAMILY_NAME]
            .into_iter()
            .flat_map(|id| f.localized_strings(id).map(|s| s.to_string()))
            .collect();
        let rank = if names
            .iter()
            .any(|n| n.ends_with(" SC") || n.contains(" SC "))
        {
            0
        } else if names
            .iter()
            .any(|n| n.contains("CN") || n.contains("GB") || n.contains("Hans"))
        {
            1
        } else {
            2
        };
        if best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, i as u32));
        }
    }
    best.map(|(_, i)| i)
        .ok_or_else(|| format!("no face has Chinese glyphs (no “{PROBE}”)"))
}

/// The fonts of PDF exports, loaded once (a CJK collection is about 20 MB)
/// and shared: load it outside async code, e.g. in `spawn_blocking`.
pub struct PdfFonts {
    regular: Face,
    bold: Face,
}

impl std::fmt::Debug for PdfFonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfFonts")
            .field("regular", &(&self.regular.path, self.regular.index))
            .field("bold", &(&self.bold.path, self.bold.index))
            .finish()
    }
}

impl PdfFonts {
    /// The fonts named by `[pdf]` in the settings, or the first of
    /// [`DEFAULT_FONTS`] that exists; the error lists every file tried.
    pub fn load(settings: &Settings) -> Result<PdfFonts, ExportError> {
        let configured = settings.pdf.font.trim();
        let regular = if configured.is_empty() {
            let tried: Vec<PathBuf> = DEFAULT_FONTS.iter().map(PathBuf::from).collect();
            match tried.iter().find(|p| p.is_file()) {
                Some(p) => p.clone(),
                None => return Err(ExportError::FontNotFound { tried }),
            }
        } else {
            let p = PathBuf::from(configured);
            if !p.is_file() {
                return Err(ExportError::FontNotFound { tried: vec![p] });
            }
            p
        };
        let bold = settings.pdf.bold_font.trim();
        let bold = if bold.is_empty() {
            None
        } else {
            Some(PathBuf::from(bold))
        };
        PdfFonts::from_files(&regular, bold.as_deref())
    }

    /// The font in `regular`, and the bold face in `bold`, else the Bold file
    /// beside `regular` (…-Regular.ttc → …-Bold.ttc), else `regular` again.
    pub fn from_files(regular: &Path, bold: Option<&Path>) -> Result<PdfFonts, ExportError> {
        let reg = Face::load(regular)?;
        let bold = match bold {
            Some(p) => Face::load(p)?,
            None => {
                let sibling = regular
                    .file_name()
                    .and_then(|n| n.to_str())
                    .filter(|n| n.contains("Regular"))
                    .map(|n| regular.with_file_name(n.replace("Regular", "Bold")))
                    .filter(|p| p.is_file());
                match sibling.map(|p| Face::load(&p)) {
                    Some(Ok(face)) => face,
                    // A broken sibling is no reason to refuse: titles print regular.
                    _ => Face::load(regular)?,
                }
            }
        };
        Ok(PdfFonts { regular: reg, bold })
    }

    /// The file of the regular face.
    pub fn path(&self) -> &Path {
        &self.regular.path
    }

    /// The regular face for reading glyph outlines (charts rasterised for DOCX).
    pub fn regular_font(&self) -> FontRef<'_> {
        self.regular.font_ref()
    }
}

/// Text set in the export faces, for PDFs other than the summary table
/// (questionnaire results): measures and draws single lines.
pub struct Pen<'a> {
    regular: Setter<'a>,
    bold: Setter<'a>,
}

impl PdfFonts {
    /// A pen over these fonts.
    pub fn pen(&self) -> Pen<'_> {
        Pen {
            regular: Setter::new(&self.regular),
            bold: Setter::new(&self.bold),
        }
    }
}

impl Pen<'_> {
    fn face(&self, bold: bool) -> &Setter<'_> {
        if bold { &self.bold } else { &self.regular }
    }

    /// The width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f64, bold: bool) -> f64 {
        let s = self.face(bold);
        text.chars().map(|c| s.advance(c)).sum::<f64>() * size
    }

    /// The font's ascent as a fraction of the size (baseline below a line's top).
    pub fn ascent(&self) -> f64 {
        f64::from(self.regular.ascent)
    }

    /// Draws one line with its left end at `x` and its baseline at `y`.
    pub fn draw(
        &self,
        surface: &mut Surface<'_>,
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        line: &str,
    ) {
        if line.is_empty() {
            return;
        }
        let s = self.face(bold);
        let glyphs = s.glyphs(line);
        surface.draw_glyphs(
            Point::from_xy(x as f32, y as f32),
            &glyphs,
            s.font.clone(),
            line,
            size as f32,
            false,
        );
    }
}

/// Measures and maps text in one face.
struct Setter<'a> {
    font: Font,
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
    upem: f32,
    ascent: f32,
    descent: f32,
}

impl<'a> Setter<'a> {
    fn new(face: &'a Face) -> Setter<'a> {
        let f = face.font_ref();
        let m = f.metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(m.units_per_em.max(1));
        Setter {
            font: face.font.clone(),
            charmap: f.charmap(),
            metrics: f.glyph_metrics(Size::unscaled(), LocationRef::default()),
            upem,
            ascent: m.ascent / upem,
            descent: -m.descent / upem,
        }
    }

    fn glyph(&self, c: char) -> skrifa::GlyphId {
        self.charmap.map(c).unwrap_or_default()
    }

    /// Advance of `c` in ems.
    fn advance(&self, c: char) -> f64 {
        f64::from(
            self.metrics
                .advance_width(self.glyph(c))
                .unwrap_or(self.upem)
                / self.upem,
        )
    }

    /// The glyphs of one line, each tied to its character for copy and search.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(i, c)| {
                let range: Range<usize> = i..i + c.len_utf8();
                KrillaGlyph::new(
                    GlyphId::new(self.glyph(c).to_u32()),
                    self.advance(c) as f32,
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                )
            })
            .collect()
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_fonts_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<PdfFonts>();
    }

    #[test]
    fn a_configured_font_that_is_missing_is_named_in_the_error() {
        let mut s = Settings::default();
        s.pdf.font = "/nonexistent/font.ttc".into();
        let e = PdfFonts::load(&s).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/font.ttc"), "{e}");
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.ttf");
        std::fs::write(&p, b"not a font").unwrap();
        let e = PdfFonts::from_files(&p, None).unwrap_err();
        assert!(matches!(e, ExportError::FontUnusable { .. }), "{e}");
    }
}
