//! Exports of summary tables in the official layout: XLSX (one unit, or a
//! roll-up workbook) and PDF for printing.
//!
//! Both draw the same grid (`layout`), so a printed PDF and an opened
//! workbook show the same form, row for row.

mod layout;
pub mod pdf;
pub mod xlsx;

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
}
