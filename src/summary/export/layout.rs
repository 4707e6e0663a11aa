//! The official form as a grid of cells, built once from a table and drawn by
//! both the XLSX writer and the PDF renderer, so the two exports cannot drift
//! apart. The grid has five columns:
//!
//! | A: block label | B: numbered item | C: outcome | D: tick | E: date |
//!
//! The attachment has no column E; the 完成时限 and 计划时间 it asks for in its
//! 说明 need a cell of their own, so they sit beside the rows they belong to.

use std::ops::Range;

use crate::{
    problem::{Source, lifecycle::Outcome},
    summary::{FigureKey, SourceBlock, SummaryTable},
};

use super::{NOTE, Rollup, TICK, outcome_label, source_short, table_title};

/// Number of grid columns.
pub(crate) const COLS: usize = 5;

/// Column widths in Excel character units (one Latin digit; a Chinese
/// character takes about two). The PDF scales them to the printable width.
pub(crate) const COL_WIDTHS: [f64; COLS] = [12.0, 36.0, 16.0, 6.0, 18.0];

/// How a cell is set: size, weight, alignment, whether it is ruled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Style {
    /// The small line above the title (附件, issuer, document number).
    Header,
    /// The two title lines.
    Title,
    /// 单位：… above the table.
    Unit,
    /// A printed label inside the table, centred.
    Label,
    /// Free text inside the table (descriptions), left-aligned.
    Text,
    /// A value inside the table (count, tick, date), centred.
    Value,
    /// The 说明 and remarks under the table.
    Note,
}

/// Horizontal alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
}

impl Style {
    /// Font size in points.
    pub(crate) fn size(self) -> f64 {
        match self {
            Style::Header => 10.0,
            Style::Title => 18.0,
            Style::Unit => 12.0,
            Style::Label | Style::Text | Style::Value => 11.0,
            Style::Note => 10.5,
        }
    }

    /// Bold face.
    pub(crate) fn bold(self) -> bool {
        matches!(self, Style::Title)
    }

    /// Thin borders all round (the cells of the table proper).
    pub(crate) fn ruled(self) -> bool {
        matches!(self, Style::Label | Style::Text | Style::Value)
    }

    /// Horizontal alignment.
    pub(crate) fn align(self) -> Align {
        match self {
            Style::Title | Style::Label | Style::Value => Align::Center,
            Style::Header | Style::Unit | Style::Text | Style::Note => Align::Left,
        }
    }
}

/// What a cell holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Content {
    Text(String),
    Number(i64),
    Blank,
}

impl Content {
    /// The text as printed.
    pub(crate) fn display(&self) -> String {
        match self {
            Content::Text(s) => s.clone(),
            Content::Number(n) => n.to_string(),
            Content::Blank => String::new(),
        }
    }
}

/// One (possibly merged) cell of the grid.
#[derive(Clone, Debug)]
pub(crate) struct Cell {
    pub row: usize,
    pub col: usize,
    pub rows: usize,
    pub cols: usize,
    pub content: Content,
    pub style: Style,
}

impl Cell {
    /// Its width in column units.
    pub(crate) fn width(&self) -> f64 {
        COL_WIDTHS[self.col..self.col + self.cols].iter().sum()
    }
}

/// One grid row.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// Height in points when its text needs less.
    pub min_height: f64,
    /// Rows of one band are kept on one PDF page (an item's four outcome
    /// rows belong with their description).
    pub band: usize,
}

/// The whole form of one table.
#[derive(Clone, Debug)]
pub(crate) struct Form {
    pub rows: Vec<Row>,
    pub cells: Vec<Cell>,
    /// Rows `0..head_rows` are above the table (header, title, 单位).
    pub head_rows: usize,
}

/// Height of a row of the table when its text fits one line.
const TABLE_ROW: f64 = 21.0;

struct Builder {
    form: Form,
    band: usize,
}

impl Builder {
    fn new() -> Self {
        Builder {
            form: Form {
                rows: Vec::new(),
                cells: Vec::new(),
                head_rows: 0,
            },
            band: 0,
        }
    }

    /// Starts a new band: the rows added next are kept together.
    fn band(&mut self) {
        self.band += 1;
    }

    fn row(&mut self, min_height: f64) -> usize {
        self.form.rows.push(Row {
            min_height,
            band: self.band,
        });
        self.form.rows.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn cell(
        &mut self,
        row: usize,
        col: usize,
        rows: usize,
        cols: usize,
        content: Content,
        style: Style,
    ) {
        self.form.cells.push(Cell {
            row,
            col,
            rows,
            cols,
            content,
            style,
        });
    }

    fn text(
        &mut self,
        row: usize,
        col: usize,
        rows: usize,
        cols: usize,
        s: impl Into<String>,
        style: Style,
    ) {
        let s: String = s.into();
        let content = if s.is_empty() {
            Content::Blank
        } else {
            Content::Text(s)
        };
        self.cell(row, col, rows, cols, content, style);
    }

    /// The lines above the table: 附件 line, the two title lines, 单位.
    fn head(&mut self, t: &SummaryTable, unit_suffix: &str) {
        let h = &t.head;
        let r = self.row(18.0);
        let mut header = format!("附件　{}", h.issuer);
        if let Some(no) = h.doc_number.as_deref().filter(|s| !s.trim().is_empty()) {
            header.push_str(&format!("（{}）", no.trim()));
        }
        header.push_str(&format!("　{}前报送", h.report_due_on.zh()));
        self.text(r, 0, 1, COLS, header, Style::Header);
        let r = self.row(28.0);
        self.text(r, 0, 1, COLS, "各行业、街道、直属工会", Style::Title);
        let r = self.row(28.0);
        self.text(r, 0, 1, COLS, table_title(&h.campaign_title), Style::Title);
        let r = self.row(24.0);
        self.text(
            r,
            0,
            1,
            COLS,
            format!("单位：{}{unit_suffix}", h.org_name),
            Style::Unit,
        );
        self.form.head_rows = self.form.rows.len();
    }

    /// The six figures, two label/value pairs a row as in the attachment.
    fn figures(&mut self, t: &SummaryTable) {
        self.band();
        for pair in FigureKey::ALL.chunks(2) {
            let r = self.row(30.0);
            let (a, b) = (t.figure(pair[0]), t.figure(pair[1]));
            self.text(r, 0, 1, 1, pair[0].official_label(), Style::Label);
            self.cell(r, 1, 1, 1, Content::Number(a.value()), Style::Value);
            self.text(r, 2, 1, 1, pair[1].official_label(), Style::Label);
            self.cell(r, 3, 1, 2, Content::Number(b.value()), Style::Value);
        }
    }

    /// A source block listing its main items, four outcome rows each.
    fn block_items(&mut self, block: &SourceBlock) {
        let first = self.form.rows.len();
        let blanks = 2;
        let count = block
            .items
            .len()
            .max(if block.items.is_empty() { blanks } else { 0 });
        for i in 0..count {
            self.band();
            let item = block.items.get(i);
            let top = self.row(TABLE_ROW);
            let description = item.map(|it| it.description.trim()).unwrap_or("");
            self.text(
                top,
                1,
                4,
                1,
                format!("{}．{description}", i + 1),
                Style::Text,
            );
            let outcome = item.and_then(|it| it.outcome.as_ref());
            for (k, code) in crate::problem::lifecycle::OUTCOME_CODES.iter().enumerate() {
                let r = if k == 0 { top } else { self.row(TABLE_ROW) };
                self.text(r, 2, 1, 1, outcome_label(code), Style::Label);
                let ticked = outcome.is_some_and(|o| o.code() == *code);
                self.text(r, 3, 1, 1, if ticked { TICK } else { "" }, Style::Value);
                let date = match (*code, outcome) {
                    ("in_progress", Some(Outcome::InProgress { deadline, .. })) => {
                        format!("完成时限：\n{}", deadline.zh())
                    }
                    ("in_progress", _) => "完成时限：".to_string(),
                    ("planned", Some(Outcome::Planned { on, .. })) => {
                        format!("计划时间：\n{}", on.zh())
                    }
                    ("planned", _) => "计划时间：".to_string(),
                    _ => String::new(),
                };
                self.text(r, 4, 1, 1, date, Style::Value);
            }
        }
        let rows = self.form.rows.len() - first;
        self.text(first, 0, rows, 1, block_label(block.source), Style::Label);
    }

    /// A source block of a roll-up: how many problems of the source reached
    /// each outcome, instead of item lines.
    fn block_counts(&mut self, block: &SourceBlock) {
        self.band();
        let first = self.form.rows.len();
        let total: i64 = block.outcomes.total();
        for (k, code) in crate::problem::lifecycle::OUTCOME_CODES.iter().enumerate() {
            let r = self.row(TABLE_ROW);
            self.text(r, 2, 1, 1, outcome_label(code), Style::Label);
            self.cell(r, 3, 1, 2, Content::Number(block.outcomes[k]), Style::Value);
        }
        if block.outcomes[4] != 0 {
            let r = self.row(TABLE_ROW);
            self.text(r, 2, 1, 1, UNDECIDED_LABEL, Style::Label);
            self.cell(r, 3, 1, 2, Content::Number(block.outcomes[4]), Style::Value);
        }
        let rows = self.form.rows.len() - first;
        self.text(
            first,
            1,
            rows,
            1,
            format!("共 {total} 件，按处理情况统计（件）"),
            Style::Label,
        );
        self.text(first, 0, rows, 1, block_label(block.source), Style::Label);
    }

    /// 需要上级解决的问题: one numbered line each, at least one (blank) line.
    fn upper(&mut self, t: &SummaryTable) {
        let first = self.form.rows.len();
        if t.upper.is_empty() {
            self.band();
            let r = self.row(TABLE_ROW * 2.0);
            self.text(r, 1, 1, COLS - 1, "", Style::Text);
        }
        for (i, u) in t.upper.iter().enumerate() {
            self.band();
            let r = self.row(TABLE_ROW * 1.5);
            let line = format!(
                "{}．{}（{}反映，现由{}协调解决）",
                i + 1,
                u.description.trim(),
                source_short(u.source),
                u.owner.trim()
            );
            self.text(r, 1, 1, COLS - 1, line, Style::Text);
        }
        let rows = self.form.rows.len() - first;
        self.text(first, 0, rows, 1, "需要上级解决的问题", Style::Label);
    }

    /// The 说明 under the table, the overridden figures and the remarks.
    fn notes(&mut self, t: &SummaryTable, extra: &[String]) {
        self.band();
        for line in note_lines(t, extra) {
            let r = self.row(18.0);
            self.text(r, 0, 1, COLS, line, Style::Note);
        }
    }
}

/// The label of the row counting undecided problems in a roll-up.
pub(crate) const UNDECIDED_LABEL: &str = "未处理";

/// The 说明 paragraph and what follows it, one string per printed line.
pub(crate) fn note_lines(t: &SummaryTable, extra: &[String]) -> Vec<String> {
    let mut lines = vec![NOTE.to_string()];
    let mut n = 1;
    for f in &t.figures {
        if let Some(o) = &f.overridden {
            n += 1;
            lines.push(format!(
                "{n}.{}",
                override_line(f.key.official_label(), f.computed, o.value, &o.reason)
            ));
        }
    }
    for extra in extra {
        n += 1;
        lines.push(format!("{n}.{extra}"));
    }
    let remarks = t.remarks.trim();
    if !remarks.is_empty() {
        lines.push(format!("备注：{remarks}"));
    }
    lines
}

/// The line that reports an overridden figure.
pub(crate) fn override_line(label: &str, computed: i64, value: i64, reason: &str) -> String {
    format!(
        "{label}：系统统计 {computed}，填报 {value}，原因：{}",
        reason.trim()
    )
}

/// The printed label of a source block.
pub(crate) fn block_label(source: Source) -> String {
    format!("{}反映的主要问题和意见建议", source_short(source))
}

/// The form of one unit's table, items listed.
pub(crate) fn unit_form(t: &SummaryTable) -> Form {
    let mut b = Builder::new();
    b.head(t, "");
    b.figures(t);
    for source in Source::ALL {
        b.block_items(t.block(source));
    }
    b.upper(t);
    b.notes(t, &[]);
    b.form
}

/// The form of a roll-up's totals: counts by outcome instead of items, the
/// unit line reading 单位：<issuer>（合计）, and the roll-up's notes.
pub(crate) fn totals_form(r: &Rollup) -> Form {
    let mut notes = vec![if r.own.is_some() {
        format!(
            "本表为{}个单位情况汇总表与本级的合计，各单位及本级明细见其后各表。",
            r.units.len()
        )
    } else {
        format!(
            "本表为{}个单位情况汇总表的合计，各单位明细见其后各表。",
            r.units.len()
        )
    }];
    notes.extend(r.notes.iter().cloned());
    level_form(&r.totals, "（合计）", &notes)
}

/// The form of the issuing org's own level (本级): counts by outcome, as the
/// totals, since the issuer submits no table of its own.
pub(crate) fn own_form(t: &SummaryTable) -> Form {
    level_form(
        t,
        "（本级）",
        &["本级为发文单位自身及不属于任何参加单位的下属组织的记录，按记录实时统计。".to_string()],
    )
}

fn level_form(t: &SummaryTable, suffix: &str, notes: &[String]) -> Form {
    let mut b = Builder::new();
    b.head(t, suffix);
    b.figures(t);
    for source in Source::ALL {
        b.block_counts(t.block(source));
    }
    b.upper(t);
    b.notes(t, notes);
    b.form
}

impl Form {
    /// Row heights in points: each row's minimum, raised until every cell's
    /// text fits. `need(cell)` is the height a cell's wrapped text takes;
    /// a merged cell's shortfall is spread evenly over the rows it spans.
    pub(crate) fn heights(&self, need: impl Fn(&Cell) -> f64) -> Vec<f64> {
        let mut h: Vec<f64> = self.rows.iter().map(|r| r.min_height).collect();
        let mut cells: Vec<&Cell> = self.cells.iter().collect();
        cells.sort_by_key(|c| c.rows);
        for c in cells {
            let want = need(c);
            let have: f64 = h[c.row..c.row + c.rows].iter().sum();
            if want > have {
                let extra = (want - have) / c.rows as f64;
                for x in &mut h[c.row..c.row + c.rows] {
                    *x += extra;
                }
            }
        }
        h
    }
}

impl Form {
    /// Splits the rows into pages of `first` points (then `next`, which
    /// leaves room for a repeated line), keeping each band — an item and its
    /// four outcome rows — on one page; a band taller than a page is split
    /// between rows.
    pub(crate) fn paginate(&self, heights: &[f64], first: f64, next: f64) -> Vec<Range<usize>> {
        let mut pages = Vec::new();
        let (mut start, mut used, mut room) = (0, 0.0, first);
        let mut r = 0;
        while r < self.rows.len() {
            let band = self.rows[r].band;
            let end = (r..self.rows.len())
                .find(|&i| self.rows[i].band != band)
                .unwrap_or(self.rows.len());
            let band_h: f64 = heights[r..end].iter().sum();
            if used + band_h <= room {
                used += band_h;
                r = end;
                continue;
            }
            if start < r {
                // The band starts the next page.
                pages.push(start..r);
            } else {
                // Taller than a page: take the rows that fit (at least one).
                let mut i = r;
                while i < end && (i == r || used + heights[i] <= room) {
                    used += heights[i];
                    i += 1;
                }
                pages.push(start..i);
                r = i;
            }
            (start, used, room) = (r, 0.0, next);
        }
        if start < self.rows.len() || pages.is_empty() {
            pages.push(start..self.rows.len());
        }
        pages
    }
}

/// Whether a character takes a full em (CJK ideographs, kana, full-width forms).
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
        || matches!(c, '“' | '”' | '‘' | '’' | '—' | '…' | '√' | '✓')
}

/// Characters that must not begin a line (Chinese line-breaking rules): they
/// hang at the end of the previous one instead.
fn no_line_start(c: char) -> bool {
    "，。、；：？！）》」』】〕”’…,.;:?!)]}%".contains(c)
}

/// Characters that must not end a line: they move to the next one.
fn no_line_end(c: char) -> bool {
    "（《「『【〔“‘([{".contains(c)
}

/// Breaks `text` into lines no wider than `max` as measured by `advance`.
/// Chinese breaks between any two characters; runs of Latin letters and
/// digits break only at spaces unless a single run is wider than a line.
pub(crate) fn wrap(text: &str, max: f64, advance: impl Fn(char) -> f64) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        // Units that never split: a Latin word, or one wide character.
        let mut units: Vec<String> = Vec::new();
        for c in para.chars() {
            let joins = units.last().is_some_and(|u| {
                let last = u.chars().last().unwrap_or(' ');
                !is_wide(c) && !is_wide(last) && c != ' ' && last != ' '
            });
            if joins {
                units.last_mut().expect("checked").push(c);
            } else {
                units.push(c.to_string());
            }
        }
        let width = |s: &str| s.chars().map(&advance).sum::<f64>();
        let mut line = String::new();
        let mut w = 0.0;
        let mut i = 0;
        while i < units.len() {
            let u = &units[i];
            let uw = width(u);
            let first = u.chars().next().unwrap_or(' ');
            if w + uw > max && uw > max / 2.0 && u.chars().count() > 1 && !no_line_start(first) {
                // A long Latin run (a URL, a code) is cut by characters
                // rather than leaving a short line before it or overflowing.
                for c in u.chars() {
                    let cw = advance(c);
                    if w + cw > max && !line.is_empty() {
                        out.push(std::mem::take(&mut line));
                        w = 0.0;
                    }
                    line.push(c);
                    w += cw;
                }
                i += 1;
            } else if w + uw <= max || line.is_empty() || no_line_start(first) {
                if !(line.is_empty() && u == " ") {
                    line.push_str(u);
                    w += uw;
                }
                i += 1;
            } else {
                // Keep an opening bracket with what follows it.
                let mut carry = String::new();
                if let Some(last) = line.chars().last()
                    && no_line_end(last)
                    && line.chars().count() > 1
                {
                    line.pop();
                    carry.push(last);
                }
                out.push(line.trim_end().to_string());
                w = width(&carry);
                line = carry;
            }
        }
        out.push(line.trim_end().to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn em(c: char) -> f64 {
        if is_wide(c) { 1.0 } else { 0.5 }
    }

    #[test]
    fn chinese_wraps_between_characters_and_keeps_punctuation_off_line_starts() {
        let lines = wrap("职工食堂价格偏高，希望改善。", 4.0, em);
        assert_eq!(lines, ["职工食堂", "价格偏高，", "希望改善。"]);
        assert_eq!(wrap("", 4.0, em), [""]);
        assert_eq!(wrap("a\nb", 4.0, em), ["a", "b"]);
    }

    #[test]
    fn latin_words_stay_whole_unless_longer_than_a_line() {
        assert_eq!(wrap("ab cd ef", 2.0, em), ["ab", "cd", "ef"]);
        assert_eq!(wrap("abcdefgh", 2.0, em), ["abcd", "efgh"]);
        assert_eq!(wrap("共计（APP）", 3.0, em), ["共计", "（APP）"]);
        assert_eq!(wrap("1．=HYPERLINK(x)", 4.0, em), ["1．=HYPE", "RLINK(x)"]);
    }

    #[test]
    fn merged_cells_spread_their_shortfall_over_their_rows() {
        let form = Form {
            rows: vec![
                Row {
                    min_height: 10.0,
                    band: 0,
                },
                Row {
                    min_height: 10.0,
                    band: 0,
                },
            ],
            cells: vec![Cell {
                row: 0,
                col: 0,
                rows: 2,
                cols: 1,
                content: Content::Blank,
                style: Style::Text,
            }],
            head_rows: 0,
        };
        assert_eq!(form.heights(|_| 30.0), [15.0, 15.0]);
        assert_eq!(form.heights(|_| 5.0), [10.0, 10.0]);
    }

    #[test]
    fn pages_break_between_bands_and_split_only_what_cannot_fit() {
        let rows = |bands: &[usize]| Form {
            rows: bands
                .iter()
                .map(|&band| Row {
                    min_height: 10.0,
                    band,
                })
                .collect(),
            cells: Vec::new(),
            head_rows: 0,
        };
        let f = rows(&[0, 1, 1, 1, 2, 2]);
        assert_eq!(f.paginate(&[10.0; 6], 40.0, 30.0), [0..4, 4..6]);
        assert_eq!(f.paginate(&[10.0; 6], 30.0, 30.0), [0..1, 1..4, 4..6]);
        // A band taller than a page is cut between rows.
        let f = rows(&[0, 0, 0, 0, 0]);
        assert_eq!(f.paginate(&[10.0; 5], 20.0, 20.0), [0..2, 2..4, 4..5]);
        let empty = rows(&[]).paginate(&[], 20.0, 20.0);
        assert!(empty.len() == 1 && empty[0].is_empty());
    }
}
