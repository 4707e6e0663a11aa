//! PDF plumbing shared by every PDF export (summary tables, questionnaire
//! results, special reports, briefings): the Chinese fonts, loaded once and
//! embedded as subsets ([`PdfFonts`]), text set in them ([`Pen`]), the error of
//! an export, and flowing A4 documents ([`flow`]).
//!
//! Text is set here, not by a layout engine: each character is mapped to its
//! glyph and advance from the font, and krilla writes the glyphs with their
//! Unicode text so the PDF can be searched and copied.

pub mod flow;

use std::{
    ops::Range,
    path::{Path, PathBuf},
    sync::Arc,
};

use krilla::{
    geom::Point,
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

use crate::config::Settings;

/// Why an export could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The XLSX writer refused something (a limit of the format).
    #[error("XLSX 导出失败 / XLSX export failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// The PDF writer failed.
    #[error("PDF 导出失败 / PDF export failed: {0}")]
    Pdf(String),
    /// Nothing to export.
    #[error("没有可导出的汇总表 / no summary table to export")]
    Empty,
    /// No usable Chinese font was found for the PDF.
    #[error(
        "找不到生成 PDF 所需的中文字体，已尝试：{}。请安装 Debian 软件包 fonts-noto-cjk（提供 NotoSerifCJK-Regular.ttc），或在配置文件 [pdf] 一节的 font 中指定字体文件。 \
         No Chinese font found for PDF export; tried: {}. Install the Debian package fonts-noto-cjk (it provides NotoSerifCJK-Regular.ttc) or set `font` in the [pdf] section of the configuration.",
        list_paths(.tried), list_paths(.tried)
    )]
    FontNotFound {
        /// Every file looked for, in order.
        tried: Vec<PathBuf>,
    },
    /// A configured font file exists but cannot be used.
    #[error(
        "字体文件 {path} 无法使用：{reason}。请指定含简体中文字形的 OpenType/TrueType 字体（如 fonts-noto-cjk 的 NotoSerifCJK-Regular.ttc）。 \
         Font file {path} cannot be used: {reason}. Configure an OpenType/TrueType font with Simplified Chinese glyphs (e.g. NotoSerifCJK-Regular.ttc from fonts-noto-cjk)."
    )]
    FontUnusable {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

fn list_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "—".into();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

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
pub(crate) struct Face {
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
    pub(crate) regular: Face,
    pub(crate) bold: Face,
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
pub(crate) struct Setter<'a> {
    pub(crate) font: Font,
    charmap: Charmap<'a>,
    metrics: GlyphMetrics<'a>,
    upem: f32,
    pub(crate) ascent: f32,
    pub(crate) descent: f32,
}

impl<'a> Setter<'a> {
    /// Reads the face's character map, advances and vertical metrics.
    pub(crate) fn new(face: &'a Face) -> Setter<'a> {
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
    pub(crate) fn advance(&self, c: char) -> f64 {
        f64::from(
            self.metrics
                .advance_width(self.glyph(c))
                .unwrap_or(self.upem)
                / self.upem,
        )
    }

    /// The glyphs of one line, each tied to its character for copy and search.
    pub(crate) fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
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

    #[test]
    fn a_missing_font_names_the_files_and_the_package() {
        let e = ExportError::FontNotFound {
            tried: vec!["/a.ttc".into(), "/b.ttc".into()],
        };
        let s = e.to_string();
        assert!(s.contains("/a.ttc, /b.ttc"), "{s}");
        assert!(s.contains("fonts-noto-cjk"), "{s}");
        assert!(s.contains("找不到") && s.contains("No Chinese font"), "{s}");
    }
}
