//! A report (live, or a frozen version) as DOCX and as an A4 PDF, both from
//! a [`Snapshot`]: title, who and what, sections with their narrative and
//! figures — charts, tables, quotes — each figure followed by the address of
//! its evidence.
//!
//! DOCX: docx-rs (宋体 body, 黑体 headings); charts are PNGs rasterised by
//! `chart::png` from the PDF font's outlines, followed by their data as a
//! table (an image's numbers cannot be searched or read aloud). PDF: the
//! shared flow of `pdf::flow`, charts drawn as vectors from the
//! same layout, the Chinese font embedded as a subset.

use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Pic, Run, RunFonts, Table as DocxTable, TableCell,
    TableRow, WidthType,
};

use super::{
    chart::{self, Prim},
    compute::{Figure, Table},
    store::Snapshot,
};
use crate::{
    i18n::Lang,
    pdf::{
        ExportError, PdfFonts, Pen,
        flow::{self, MARGIN, Mark, PAGE_W, text_block, wrap},
    },
};

const GREY: (u8, u8, u8) = (0x55, 0x5f, 0x6b);

/// The address of a figure's evidence as printed: absolute when the
/// server's public address is known.
fn evidence(base: &str, link: &str) -> String {
    format!("{}{link}", base.trim_end_matches('/'))
}

/// The line under the title: author, campaign, subject, when computed.
fn meta_line(s: &Snapshot, lang: Lang, frozen: Option<&str>) -> String {
    let mut parts = vec![s.org_name.clone(), s.campaign_title.clone()];
    if !s.subject.is_empty() {
        parts.push(s.subject.clone());
    }
    parts.push(lang.ta(
        "report-computed-at",
        &[("at", lang.datetime(s.computed_at))],
    ));
    if let Some(v) = frozen {
        parts.push(v.to_string());
    }
    parts.join(" · ")
}

// ---- DOCX ----

fn song() -> RunFonts {
    RunFonts::new()
        .east_asia("宋体")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn hei() -> RunFonts {
    RunFonts::new()
        .east_asia("黑体")
        .ascii("Arial")
        .hi_ansi("Arial")
}

fn para(text: &str, size: usize) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(size).fonts(song()))
}

fn grey(text: &str) -> Paragraph {
    Paragraph::new().add_run(
        Run::new()
            .add_text(text)
            .size(18)
            .color("555F6B")
            .fonts(song()),
    )
}

fn docx_table(t: &Table) -> DocxTable {
    let cell = |text: &str, bold: bool| {
        let mut r = Run::new().add_text(text).size(18).fonts(song());
        if bold {
            r = r.bold();
        }
        TableCell::new().add_paragraph(Paragraph::new().add_run(r))
    };
    let mut rows = vec![TableRow::new(
        t.head.iter().map(|h| cell(h, true)).collect(),
    )];
    for r in &t.rows {
        rows.push(TableRow::new(
            r.iter()
                .enumerate()
                .map(|(i, c)| cell(&c.text, i == 0))
                .collect(),
        ));
    }
    DocxTable::new(rows).width(5000, WidthType::Pct)
}

/// The report as a Word document.
pub fn docx(
    s: &Snapshot,
    fonts: &PdfFonts,
    lang: Lang,
    base_url: &str,
    frozen: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let mut doc = Docx::new().page_size(11906, 16838).page_margin(PageMargin {
        top: 1440,
        left: 1584,
        bottom: 1440,
        right: 1584,
        header: 851,
        footer: 992,
        gutter: 0,
    });
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(Run::new().add_text(&s.title).size(40).bold().fonts(hei())),
    );
    doc = doc.add_paragraph(grey(&meta_line(s, lang, frozen)).align(AlignmentType::Center));
    let font = fonts.regular_font();
    let mut n = 0;
    for sec in &s.sections {
        if !sec.heading.is_empty() {
            doc = doc.add_paragraph(
                Paragraph::new().add_run(
                    Run::new()
                        .add_text(&sec.heading)
                        .size(30)
                        .bold()
                        .fonts(hei()),
                ),
            );
        }
        for p in sec.text.split('\n').filter(|p| !p.trim().is_empty()) {
            doc = doc.add_paragraph(para(p.trim(), 24).first_line_chars(200));
        }
        for f in &sec.figures {
            n += 1;
            doc = doc.add_paragraph(
                Paragraph::new().add_run(
                    Run::new()
                        .add_text(format!(
                            "{} {}",
                            lang.ta("report-figure-n", &[("n", n.to_string())]),
                            f.title
                        ))
                        .size(22)
                        .bold()
                        .fonts(hei()),
                ),
            );
            if !f.note.is_empty() {
                doc = doc.add_paragraph(grey(&f.note));
            }
            if let Some(c) = &f.chart {
                let (png, w, h) = chart::png(c, &font, 2.0).map_err(ExportError::Pdf)?;
                // 15 cm wide, in EMU (360,000 per cm); the height keeps the ratio.
                let w_emu = 5_400_000u32;
                let h_emu = (f64::from(w_emu) * f64::from(h) / f64::from(w)) as u32;
                doc = doc.add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(
                    Run::new().add_image(Pic::new_with_dimensions(png, w, h).size(w_emu, h_emu)),
                ));
            }
            if let Some(t) = &f.table {
                doc = doc.add_table(docx_table(t));
            }
            for q in &f.quotes {
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .indent(Some(420), None, Some(420), None)
                        .add_run(
                            Run::new()
                                .add_text(format!("“{}”", q.text))
                                .size(22)
                                .fonts(RunFonts::new().east_asia("楷体")),
                        ),
                );
                doc = doc.add_paragraph(
                    grey(&format!(
                        "—— {}（{}）",
                        q.source,
                        evidence(base_url, &q.link)
                    ))
                    .align(AlignmentType::Right),
                );
            }
            if let Some(l) = &f.link {
                doc = doc.add_paragraph(grey(&format!(
                    "{}：{}",
                    lang.t("report-evidence"),
                    evidence(base_url, l)
                )));
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| ExportError::Pdf(format!("DOCX: {e}")))?;
    Ok(out.into_inner())
}

// ---- PDF ----

const BODY: f64 = 10.5;
const SMALL: f64 = 8.5;

fn grey_block(pen: &Pen<'_>, text: &str, size: f64, indent: f64) -> (f64, Vec<Mark>) {
    let (h, marks) = text_block(pen, text, size, false, indent);
    let marks = marks
        .into_iter()
        .map(|m| match m {
            Mark::Text {
                x,
                y,
                size,
                bold,
                text,
                ..
            } => Mark::Text {
                x,
                y,
                size,
                bold,
                text,
                color: GREY,
            },
            other => other,
        })
        .collect();
    (h, marks)
}

/// A chart's layout scaled to the text width.
fn chart_block(pen: &Pen<'_>, c: &chart::Chart) -> (f64, Vec<Mark>) {
    let (prims, h) = chart::layout(c);
    let k = (PAGE_W - 2.0 * MARGIN) / chart::WIDTH;
    let marks = prims
        .into_iter()
        .map(|p| match p {
            Prim::Rect { x, y, w, h, color } => Mark::Bar {
                x: MARGIN + x * k,
                y: y * k,
                w: w * k,
                h: h * k,
                color,
            },
            Prim::Text {
                x,
                y,
                size,
                text,
                color,
            } => {
                // Fit again with the real font's widths.
                let room = (chart::WIDTH - x) * k;
                let t = wrap(pen, &text, size * k, false, room)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                Mark::Text {
                    x: MARGIN + x * k,
                    y: y * k,
                    size: size * k,
                    bold: false,
                    text: t,
                    color,
                }
            }
        })
        .collect();
    (h * k + 6.0, marks)
}

/// A table, one block per row (rows never split across pages).
fn table_blocks(pen: &Pen<'_>, t: &Table) -> Vec<(f64, Vec<Mark>)> {
    let cols = t.head.len().max(1);
    let width = PAGE_W - 2.0 * MARGIN;
    let first = if cols <= 3 {
        width * 0.5
    } else {
        (width * 0.24).max(90.0)
    };
    let rest = if cols > 1 {
        (width - first) / (cols - 1) as f64
    } else {
        0.0
    };
    let size = if cols > 7 { 7.5 } else { 9.0 };
    let lh = size * 1.35;
    let x_of = |c: usize| {
        if c == 0 {
            MARGIN
        } else {
            MARGIN + first + (c - 1) as f64 * rest
        }
    };
    let w_of = |c: usize| if c == 0 { first } else { rest };
    let row = |cells: Vec<String>, bold: bool, shade: bool| -> (f64, Vec<Mark>) {
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .enumerate()
            .map(|(c, text)| wrap(pen, text, size, bold, w_of(c) - 6.0))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f64;
        let h = lines * lh + 6.0;
        let mut marks = Vec::new();
        if shade {
            marks.push(Mark::Bar {
                x: MARGIN,
                y: 0.0,
                w: width,
                h,
                color: (0xee, 0xf2, 0xf6),
            });
        }
        marks.push(Mark::Bar {
            x: MARGIN,
            y: h - 0.4,
            w: width,
            h: 0.4,
            color: (0xaa, 0xaa, 0xaa),
        });
        for (c, ls) in wrapped.into_iter().enumerate() {
            for (i, l) in ls.into_iter().enumerate() {
                marks.push(Mark::text(
                    x_of(c) + 3.0,
                    3.0 + i as f64 * lh + size * pen.ascent(),
                    size,
                    bold,
                    l,
                ));
            }
        }
        (h, marks)
    };
    let mut out = vec![row(t.head.clone(), true, true)];
    for r in &t.rows {
        out.push(row(
            r.iter().map(|c| c.text.clone()).collect(),
            false,
            false,
        ));
    }
    out
}

fn figure_blocks(
    pen: &Pen<'_>,
    f: &Figure,
    n: usize,
    lang: Lang,
    base_url: &str,
) -> Vec<(f64, Vec<Mark>)> {
    let mut out = Vec::new();
    let (h, m) = text_block(
        pen,
        &format!(
            "{} {}",
            lang.ta("report-figure-n", &[("n", n.to_string())]),
            f.title
        ),
        BODY,
        true,
        0.0,
    );
    out.push((h + 2.0, m));
    if !f.note.is_empty() {
        let (h, m) = grey_block(pen, &f.note, SMALL, 0.0);
        out.push((h + 4.0, m));
    }
    if let Some(c) = &f.chart {
        out.push(chart_block(pen, c));
    } else if let Some(t) = &f.table {
        out.extend(table_blocks(pen, t));
        out.push((4.0, Vec::new()));
    }
    for q in &f.quotes {
        let (h, m) = text_block(pen, &format!("“{}”", q.text), BODY, false, 14.0);
        let (h2, m2) = grey_block(
            pen,
            &format!("—— {}（{}）", q.source, evidence(base_url, &q.link)),
            SMALL,
            28.0,
        );
        let mut marks = m;
        marks.extend(m2.into_iter().map(|x| x.shifted(h)));
        out.push((h + h2 + 6.0, marks));
    }
    if let Some(l) = &f.link {
        let (h, m) = grey_block(
            pen,
            &format!("{}：{}", lang.t("report-evidence"), evidence(base_url, l)),
            SMALL,
            0.0,
        );
        out.push((h + 10.0, m));
    }
    out
}

/// The report as an A4 PDF.
pub fn pdf(
    s: &Snapshot,
    fonts: &PdfFonts,
    lang: Lang,
    base_url: &str,
    frozen: Option<&str>,
) -> Result<Vec<u8>, ExportError> {
    let pen = fonts.pen();
    let mut blocks: Vec<(f64, Vec<Mark>)> = Vec::new();
    // The title, centred line by line.
    for line in wrap(&pen, &s.title, 18.0, true, PAGE_W - 2.0 * MARGIN) {
        let w = pen.width(&line, 18.0, true);
        blocks.push((
            26.0,
            vec![Mark::text(
                (PAGE_W - w) / 2.0,
                18.0 * pen.ascent(),
                18.0,
                true,
                line,
            )],
        ));
    }
    let (h, m) = grey_block(&pen, &meta_line(s, lang, frozen), 9.0, 0.0);
    blocks.push((h + 14.0, m));
    let mut n = 0;
    for sec in &s.sections {
        if !sec.heading.is_empty() {
            let (h, m) = text_block(&pen, &sec.heading, 14.0, true, 0.0);
            blocks.push((h + 6.0, m));
        }
        for p in sec.text.split('\n').filter(|p| !p.trim().is_empty()) {
            // One block per line, so a long paragraph flows over pages; the
            // first line is indented two characters.
            let indented = format!("\u{3000}\u{3000}{}", p.trim());
            let lines = wrap(&pen, &indented, BODY, false, PAGE_W - 2.0 * MARGIN);
            for l in lines {
                blocks.push((
                    BODY * 1.6,
                    vec![Mark::text(MARGIN, BODY * pen.ascent(), BODY, false, l)],
                ));
            }
            blocks.push((4.0, Vec::new()));
        }
        for f in &sec.figures {
            n += 1;
            blocks.extend(figure_blocks(&pen, f, n, lang, base_url));
        }
        blocks.push((8.0, Vec::new()));
    }
    let title = s.title.clone();
    flow::render(&pen, &blocks, &title, lang.code(), |page, pages| {
        format!(
            "{}　{}",
            title,
            lang.ta(
                "analysis-pdf-page",
                &[("page", page.to_string()), ("pages", pages.to_string())],
            )
        )
    })
}
