//! Charts of report elements, drawn on the server: one layout (horizontal
//! bars, one row per category, one bar per series, a legend when there are
//! several series) computed once into rectangles and text, then drawn three
//! ways — SVG for the pages, vectors with krilla in the PDF, and a PNG for
//! DOCX rasterised with tiny-skia from the same font's glyph outlines (skrifa).
//! Nothing is fetched from anywhere and no browser is involved.

use serde::{Deserialize, Serialize};

/// A bar chart: categories down the side, one bar per series in each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Chart {
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// The largest value a bar may reach (100 for percentages).
    pub max: f64,
}

/// One series of a chart, with the text printed after each bar.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChartSeries)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    pub labels: Vec<String>,
}

/// Width of the layout in its own units (pixels of the SVG, points scaled in
/// the PDF).
pub const WIDTH: f64 = 640.0;
const LABEL_W: f64 = 170.0;
const VALUE_W: f64 = 110.0;
const BAR_H: f64 = 13.0;
const ROW_GAP: f64 = 9.0;
const FONT: f64 = 11.5;
const SMALL: f64 = 10.0;

/// Bar colours, one per series.
pub const PALETTE: [(u8, u8, u8); 8] = [
    (0x2b, 0x6c, 0xb0),
    (0xdd, 0x6b, 0x20),
    (0x38, 0xa1, 0x69),
    (0x80, 0x5a, 0xd5),
    (0xd5, 0x3f, 0x8c),
    (0x31, 0x97, 0x95),
    (0xb7, 0x79, 0x1f),
    (0x71, 0x80, 0x96),
];
const TRACK: (u8, u8, u8) = (0xee, 0xf2, 0xf6);
const INK: (u8, u8, u8) = (0x22, 0x2a, 0x33);

/// What a layout is made of: rectangles and single lines of text (`y` is the
/// baseline).
#[derive(Clone, Debug, PartialEq)]
pub enum Prim {
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        color: (u8, u8, u8),
    },
    Text {
        x: f64,
        y: f64,
        size: f64,
        text: String,
        color: (u8, u8, u8),
    },
}

/// The width of `text` at `size` as the layout reckons it: a CJK character is
/// one em, anything else about half (the real font is a little narrower, so
/// nothing overflows).
pub fn measure(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| if c.is_ascii() { 0.56 } else { 1.0 })
        .sum::<f64>()
        * size
}

/// `text` cut to fit `room` at `size`, with an ellipsis when cut.
pub fn fit(text: &str, size: f64, room: f64) -> String {
    if measure(text, size) <= room {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        out.push(c);
        if measure(&out, size) + size > room {
            out.pop();
            break;
        }
    }
    out.push('…');
    out
}

/// The chart as primitives and its height.
pub fn layout(chart: &Chart) -> (Vec<Prim>, f64) {
    let mut prims = Vec::new();
    let mut y = 4.0;
    let many = chart.series.len() > 1;
    if many {
        // The legend: a swatch and the name of each series, wrapped.
        let mut x = 0.0;
        y += FONT;
        for (i, s) in chart.series.iter().enumerate() {
            let name = fit(&s.name, SMALL, 150.0);
            let w = 14.0 + measure(&name, SMALL) + 16.0;
            if x + w > WIDTH && x > 0.0 {
                x = 0.0;
                y += FONT + 6.0;
            }
            prims.push(Prim::Rect {
                x,
                y: y - 9.0,
                w: 10.0,
                h: 10.0,
                color: PALETTE[i % PALETTE.len()],
            });
            prims.push(Prim::Text {
                x: x + 14.0,
                y,
                size: SMALL,
                text: name,
                color: INK,
            });
            x += w;
        }
        y += 10.0;
    }
    let bar_x = LABEL_W + 8.0;
    let bar_max = WIDTH - bar_x - VALUE_W;
    let max = if chart.max > 0.0 {
        chart.max
    } else {
        chart
            .series
            .iter()
            .flat_map(|s| s.values.iter().copied())
            .fold(0.0, f64::max)
            .max(1.0)
    };
    let n = chart.series.len().max(1) as f64;
    for (c, cat) in chart.categories.iter().enumerate() {
        let row_h = n * BAR_H + (n - 1.0) * 2.0;
        prims.push(Prim::Text {
            x: 0.0,
            y: y + row_h / 2.0 + FONT * 0.36,
            size: FONT,
            text: fit(cat, FONT, LABEL_W),
            color: INK,
        });
        for (i, s) in chart.series.iter().enumerate() {
            let top = y + i as f64 * (BAR_H + 2.0);
            let v = s.values.get(c).copied().unwrap_or(0.0).max(0.0);
            prims.push(Prim::Rect {
                x: bar_x,
                y: top,
                w: bar_max,
                h: BAR_H,
                color: TRACK,
            });
            let w = bar_max * (v / max).min(1.0);
            if w > 0.0 {
                prims.push(Prim::Rect {
                    x: bar_x,
                    y: top,
                    w,
                    h: BAR_H,
                    color: PALETTE[i % PALETTE.len()],
                });
            }
            if let Some(l) = s.labels.get(c) {
                prims.push(Prim::Text {
                    x: bar_x + bar_max + 6.0,
                    y: top + BAR_H / 2.0 + SMALL * 0.36,
                    size: SMALL,
                    text: fit(l, SMALL, VALUE_W - 6.0),
                    color: INK,
                });
            }
        }
        y += row_h + ROW_GAP;
    }
    (prims, y)
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as an SVG element that scales to its container's width.
pub fn svg(chart: &Chart, title: &str) -> String {
    let (prims, h) = layout(chart);
    let mut out = format!(
        "<svg class=\"report-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {h:.0}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        esc(title),
        esc(title)
    );
    for p in prims {
        match p {
            Prim::Rect { x, y, w, h, color } => out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{}\"/>",
                hex(color)
            )),
            Prim::Text {
                x,
                y,
                size,
                text,
                color,
            } => out.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" fill=\"{}\">{}</text>",
                hex(color),
                esc(&text)
            )),
        }
    }
    out.push_str("</svg>");
    out
}

/// The chart as a PNG `scale` times the layout's size (white background),
/// text drawn from the glyph outlines of `font`. Returns the bytes and the
/// size in pixels.
pub fn png(
    chart: &Chart,
    font: &skrifa::FontRef<'_>,
    scale: f64,
) -> Result<(Vec<u8>, u32, u32), String> {
    use skrifa::{MetadataProvider, instance::LocationRef, outline::DrawSettings};
    use tiny_skia::{Color, FillRule, Paint, PathBuilder, Pixmap, Rect, Transform};

    let (prims, h) = layout(chart);
    let (w_px, h_px) = (
        (WIDTH * scale).ceil() as u32,
        ((h + 4.0) * scale).ceil() as u32,
    );
    let mut pm = Pixmap::new(w_px, h_px).ok_or("empty chart")?;
    pm.fill(Color::WHITE);
    let charmap = font.charmap();
    let outlines = font.outline_glyphs();
    let metrics = font.glyph_metrics(skrifa::instance::Size::unscaled(), LocationRef::default());
    let upem = f64::from(
        font.metrics(skrifa::instance::Size::unscaled(), LocationRef::default())
            .units_per_em
            .max(1),
    );
    let paint_of = |(r, g, b): (u8, u8, u8)| {
        let mut p = Paint::default();
        p.set_color_rgba8(r, g, b, 255);
        p.anti_alias = true;
        p
    };
    for p in prims {
        match p {
            Prim::Rect { x, y, w, h, color } => {
                if let Some(r) = Rect::from_xywh(
                    (x * scale) as f32,
                    (y * scale) as f32,
                    (w * scale) as f32,
                    (h * scale) as f32,
                ) {
                    pm.fill_rect(r, &paint_of(color), Transform::identity(), None);
                }
            }
            Prim::Text {
                x,
                y,
                size,
                text,
                color,
            } => {
                let px = size * scale;
                let mut pen_x = x * scale;
                let base = y * scale;
                let mut pb = PathBuilder::new();
                for c in text.chars() {
                    let gid = charmap.map(c).unwrap_or_default();
                    if let Some(g) = outlines.get(gid) {
                        let mut sink = Sink {
                            pb: &mut pb,
                            x: pen_x as f32,
                            y: base as f32,
                        };
                        let settings = DrawSettings::unhinted(
                            skrifa::instance::Size::new(px as f32),
                            LocationRef::default(),
                        );
                        let _ = g.draw(settings, &mut sink);
                    }
                    let adv = f64::from(metrics.advance_width(gid).unwrap_or(upem as f32));
                    pen_x += adv / upem * px;
                }
                if let Some(path) = pb.finish() {
                    pm.fill_path(
                        &path,
                        &paint_of(color),
                        FillRule::Winding,
                        Transform::identity(),
                        None,
                    );
                }
            }
        }
    }
    // Opaque everywhere (white background), so premultiplied equals straight RGBA.
    let img = image::RgbaImage::from_raw(w_px, h_px, pm.data().to_vec()).ok_or("pixmap size")?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok((out.into_inner(), w_px, h_px))
}

/// Collects a glyph's outline (font units already scaled by skrifa, y up)
/// into a path placed at the pen position (y down).
struct Sink<'a> {
    pb: &'a mut tiny_skia::PathBuilder,
    x: f32,
    y: f32,
}

impl skrifa::outline::OutlinePen for Sink<'_> {
    fn move_to(&mut self, x: f32, y: f32) {
        self.pb.move_to(self.x + x, self.y - y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.pb.line_to(self.x + x, self.y - y);
    }
    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.pb
            .quad_to(self.x + cx0, self.y - cy0, self.x + x, self.y - y);
    }
    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        self.pb.cubic_to(
            self.x + cx0,
            self.y - cy0,
            self.x + cx1,
            self.y - cy1,
            self.x + x,
            self.y - y,
        );
    }
    fn close(&mut self) {
        self.pb.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(series: usize) -> Chart {
        Chart {
            categories: vec![
                "增加了".into(),
                "差不多".into(),
                "减少了很多很多很多很多很多很多很多很多很多很多".into(),
            ],
            series: (0..series)
                .map(|i| Series {
                    name: format!("系列{i}"),
                    values: vec![50.0, 30.0, 20.0],
                    labels: vec!["5 · 50.0%".into(), "3 · 30.0%".into(), "2 · 20.0%".into()],
                })
                .collect(),
            max: 100.0,
        }
    }

    #[test]
    fn bars_are_proportional_and_labels_fit() {
        let (prims, h) = layout(&chart(1));
        let bars: Vec<f64> = prims
            .iter()
            .filter_map(|p| match p {
                Prim::Rect { w, color, .. } if *color == PALETTE[0] => Some(*w),
                _ => None,
            })
            .collect();
        assert_eq!(bars.len(), 3);
        assert!((bars[0] / bars[1] - 50.0 / 30.0).abs() < 1e-9);
        assert!(h > 3.0 * BAR_H);
        for p in &prims {
            if let Prim::Text { x, text, size, .. } = p {
                assert!(x + measure(text, *size) <= WIDTH + 0.5, "{text}");
            }
        }
        assert!(
            prims
                .iter()
                .any(|p| matches!(p, Prim::Text { text, .. } if text.ends_with('…')))
        );
    }

    #[test]
    fn several_series_get_a_legend_and_the_svg_escapes_text() {
        let mut c = chart(3);
        c.categories[0] = "<b>&".into();
        let s = svg(&c, "标题");
        assert!(s.starts_with("<svg"));
        assert!(s.contains("&lt;b&gt;&amp;"));
        assert!(s.contains("系列2"));
        let (one, _) = layout(&chart(1));
        assert!(
            !one.iter()
                .any(|p| matches!(p, Prim::Text { text, .. } if text == "系列0"))
        );
    }
}
