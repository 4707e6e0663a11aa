//! Exports of summary tables in the official layout: XLSX (one unit, or a
//! roll-up workbook) and PDF for printing.
//!
//! Both draw the same grid (`layout`), so a printed PDF and an opened
//! workbook show the same form, row for row.

pub mod flow;
mod layout;
pub mod pdf;
pub mod xlsx;

use std::path::PathBuf;

use crate::{problem::Source, summary::SummaryTable};

/// A roll-up as exported: the 合计 first, then each unit's table, then the
/// issuing org's own level (本级); the 合计 is the sum of the others.
#[derive(Clone, Debug)]
pub struct Rollup {
    /// The totals: figures and outcome counts summed over `units` and `own`.
    pub totals: SummaryTable,
    /// One table per roll-up line that adds to the totals.
    pub units: Vec<SummaryTable>,
    /// The issuing org's own level, when it is a line of the roll-up.
    pub own: Option<SummaryTable>,
    /// Further notes under the totals (the basis, the units left out).
    pub notes: Vec<String>,
}

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

/// The mark in the tick column: the 说明 asks for “√” (U+221A), not ✓.
pub const TICK: &str = "√";

/// The 说明 under the table, word for word as the attachment prints it.
pub const NOTE: &str = "说明：1.表中对每个问题和意见建议列出了对应四种可能情况，请根据实际结果，从中选择对应栏目打“√”即可；如正在解决，请列出解决完成时限；如计划解决，请列出计划解决的时间。";

/// The second title line of a campaign's table: the phrase the notice puts in
/// quotation marks (“大走访、大调解、大服务”) followed by 情况汇总表; without
/// quotation marks, the title stripped of 关于…的通知.
pub fn table_title(campaign_title: &str) -> String {
    let t = campaign_title.trim();
    for (open, close) in [('“', '”'), ('「', '」'), ('"', '"')] {
        if let Some(start) = t.find(open) {
            let rest = &t[start + open.len_utf8()..];
            if let Some(end) = rest.find(close) {
                let quoted = rest[..end].trim();
                if !quoted.is_empty() {
                    return format!("“{quoted}”情况汇总表");
                }
            }
        }
    }
    let mut core = t.strip_prefix("关于").unwrap_or(t);
    for suffix in ["的通知", "通知", "的情况汇总表", "情况汇总表"] {
        if let Some(s) = core.strip_suffix(suffix) {
            core = s;
            break;
        }
    }
    format!("{}情况汇总表", core.trim())
}

/// How the table names a source in its block labels.
pub(crate) fn source_short(source: Source) -> &'static str {
    match source {
        Source::Worker => "职工",
        Source::Enterprise => "企事业单位",
        Source::Union => "基层工会",
    }
}

/// The four outcome rows' labels as the attachment prints them.
pub(crate) fn outcome_label(code: &str) -> &'static str {
    match code {
        "solved" => "已经解决或采纳",
        "in_progress" => "正在解决",
        "planned" => "计划解决",
        "reference" => "留作参考",
        _ => "未处理",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_title_takes_the_quoted_theme_of_the_notice() {
        assert_eq!(
            table_title("关于坚持大调研常态化制度化继续开展“大走访、大调解、大服务”活动的通知"),
            "“大走访、大调解、大服务”情况汇总表"
        );
        assert_eq!(
            table_title("关于开展新就业形态劳动者专项调研的通知"),
            "开展新就业形态劳动者专项调研情况汇总表"
        );
        assert_eq!(table_title("2024年大调研"), "2024年大调研情况汇总表");
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
