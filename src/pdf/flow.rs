//! Flowing A4 documents for PDF exports other than the ruled summary form
//! (questionnaire results, special reports): content is cut into blocks —
//! each a height and drawing marks relative to its top — that are placed on
//! pages top to bottom, a block never split, with a centred page footer.
//! Text is set with the export fonts' [`Pen`]; charts and bars are
//! rectangles; everything is vector, the Chinese font embedded as a subset.

use krilla::{
    Document,
    color::rgb,
    geom::{PathBuilder, Rect},
    metadata::Metadata,
    page::PageSettings,
    paint::Fill,
    surface::Surface,
};

use super::{ExportError, Pen};

/// A4 in points.
pub const PAGE_W: f64 = 595.28;
pub const PAGE_H: f64 = 841.89;
/// Margin on every side.
pub const MARGIN: f64 = 48.0;

/// Drawing commands of one block, relative to its top, drawn once its page
/// is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Mark {
    /// One line of text; `y` is the baseline.
    Text {
        x: f64,
        y: f64,
        size: f64,
        bold: bool,
        text: String,
        color: (u8, u8, u8),
    },
    /// A filled rectangle.
    Bar {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        color: (u8, u8, u8),
    },
}

/// Black, the colour of body text.
pub const BLACK: (u8, u8, u8) = (0, 0, 0);

impl Mark {
    /// A line of black text.
    pub fn text(x: f64, y: f64, size: f64, bold: bool, text: impl Into<String>) -> Mark {
        Mark::Text {
            x,
            y,
            size,
            bold,
            text: text.into(),
            color: BLACK,
        }
    }

    /// The mark moved down by `dy`.
    pub fn shifted(self, dy: f64) -> Mark {
        match self {
            Mark::Text {
                x,
                y,
                size,
                bold,
                text,
                color,
            } => Mark::Text {
                x,
                y: y + dy,
                size,
                bold,
                text,
                color,
            },
            Mark::Bar { x, y, w, h, color } => Mark::Bar {
                x,
                y: y + dy,
                w,
                h,
                color,
            },
        }
    }
}

/// A filled rectangle on a page.
pub fn rect(surface: &mut Surface<'_>, x: f64, y: f64, w: f64, h: f64, color: (u8, u8, u8)) {
    if w <= 0.0 {
        return;
    }
    let Some(r) = Rect::from_xywh(x as f32, y as f32, w as f32, h as f32) else {
        return;
    };
    let mut pb = PathBuilder::new();
    pb.push_rect(r);
    if let Some(path) = pb.finish() {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(color.0, color.1, color.2).into(),
            ..Fill::default()
        }));
        surface.draw_path(&path);
        surface.set_fill(Some(Fill::default()));
    }
}

/// Cuts `text` into lines no wider than `room` at `size` (line breaks in the
/// text are kept).
pub fn wrap(pen: &Pen<'_>, text: &str, size: f64, bold: bool, room: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut cur = String::new();
        for c in para.chars() {
            let mut next = cur.clone();
            next.push(c);
            if !cur.is_empty() && pen.width(&next, size, bold) > room {
                lines.push(std::mem::take(&mut cur));
                cur.push(c);
            } else {
                cur = next;
            }
        }
        lines.push(cur);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// A block of wrapped text across the page (less `indent`): its height and marks.
pub fn text_block(
    pen: &Pen<'_>,
    text: &str,
    size: f64,
    bold: bool,
    indent: f64,
) -> (f64, Vec<Mark>) {
    let lh = size * 1.45;
    let lines = wrap(pen, text, size, bold, PAGE_W - 2.0 * MARGIN - indent);
    let marks = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Mark::text(
                MARGIN + indent,
                i as f64 * lh + size * pen.ascent(),
                size,
                bold,
                l.clone(),
            )
        })
        .collect();
    (lines.len() as f64 * lh, marks)
}

/// Places `blocks` on A4 pages and draws them, each page with the footer
/// `footer(page, pages)`.
pub fn render(
    pen: &Pen<'_>,
    blocks: &[(f64, Vec<Mark>)],
    title: &str,
    lang: &str,
    footer: impl Fn(usize, usize) -> String,
) -> Result<Vec<u8>, ExportError> {
    // Pages first (each a list of blocks with their tops), then drawing: a
    // krilla page borrows the document until it is finished.
    let mut pages: Vec<Vec<(f64, usize)>> = Vec::new();
    let mut y = PAGE_H;
    for (i, (h, _)) in blocks.iter().enumerate() {
        if y + h > PAGE_H - MARGIN || pages.is_empty() {
            pages.push(Vec::new());
            y = MARGIN;
        }
        if let Some(p) = pages.last_mut() {
            p.push((y, i));
        }
        y += h;
    }
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language(lang.into())
            .creator("倾听 Qingting".into()),
    );
    let n = pages.len();
    for (p, items) in pages.iter().enumerate() {
        let settings =
            PageSettings::from_wh(PAGE_W as f32, PAGE_H as f32).expect("A4 is a valid size");
        let mut page = doc.start_page_with(settings);
        let mut s = page.surface();
        s.set_fill(Some(Fill::default()));
        for (top, i) in items {
            for m in &blocks[*i].1 {
                match m {
                    Mark::Text {
                        x,
                        y,
                        size,
                        bold,
                        text,
                        color,
                    } => {
                        if *color != BLACK {
                            s.set_fill(Some(Fill {
                                paint: rgb::Color::new(color.0, color.1, color.2).into(),
                                ..Fill::default()
                            }));
                        }
                        pen.draw(&mut s, *x, top + y, *size, *bold, text);
                        if *color != BLACK {
                            s.set_fill(Some(Fill::default()));
                        }
                    }
                    Mark::Bar { x, y, w, h, color } => rect(&mut s, *x, top + y, *w, *h, *color),
                }
            }
        }
        let footer = footer(p + 1, n);
        let w = pen.width(&footer, 8.0, false);
        pen.draw(
            &mut s,
            (PAGE_W - w) / 2.0,
            PAGE_H - MARGIN / 2.0,
            8.0,
            false,
            &footer,
        );
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| ExportError::Pdf(format!("{e:?}")))
}
