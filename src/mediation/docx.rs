//! The mediation agreement (调解协议书) as a Word document, laid out like a
//! Chinese official paper (GB/T 9704): A4, margins 37/35/28/26 mm, the title
//! in 宋体 (二号, bold), the body in 仿宋 (三号) at a fixed 28-point line,
//! paragraphs indented two characters, then the signature lines for both
//! parties and the mediator and the committee's seal line with the date.
//! Written with docx-rs; text only, so Word, WPS and LibreOffice all read it.

use docx_rs::{
    AlignmentType, Docx, LineSpacing, LineSpacingType, PageMargin, Paragraph, Run, RunFonts,
    SpecialIndentType, Table, TableCell, TableRow, WidthType,
};

use super::{Case, Intake};

/// Half-points: 二号 (22 pt) for the title, 三号 (16 pt) for the body.
const TITLE_SIZE: usize = 44;
const BODY_SIZE: usize = 32;
/// A4 in twips, and the text width between the margins.
const A4: (u32, u32) = (11906, 16838);
const TEXT_WIDTH: usize = 11906 - 1588 - 1474;

fn song() -> RunFonts {
    RunFonts::new()
        .east_asia("宋体")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn fangsong() -> RunFonts {
    RunFonts::new()
        .east_asia("仿宋")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn run(text: &str) -> Run {
    Run::new().add_text(text).fonts(fangsong()).size(BODY_SIZE)
}

fn line(p: Paragraph) -> Paragraph {
    p.line_spacing(
        LineSpacing::new()
            .line_rule(LineSpacingType::Exact)
            .line(560),
    )
}

/// A body paragraph, first line indented two characters.
fn body(text: &str) -> Paragraph {
    line(
        Paragraph::new()
            .add_run(run(text))
            .align(AlignmentType::Both),
    )
    .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

/// A labelled line: 申请人：张建国.
fn labelled(label: &str, value: &str) -> Paragraph {
    line(
        Paragraph::new()
            .add_run(run(&format!("{label}：")).bold())
            .add_run(run(value)),
    )
    .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
}

fn blank() -> Paragraph {
    line(Paragraph::new().add_run(run("")))
}

fn cell(text: &str, width: usize) -> TableCell {
    TableCell::new()
        .add_paragraph(line(Paragraph::new().add_run(run(text))))
        .width(width, WidthType::Dxa)
}

/// The agreement of a case with a valid agreement, as DOCX bytes; `None`
/// when the case has no valid agreement.
pub fn agreement(case: &Case) -> Option<Vec<u8>> {
    let a = case.state.agreement().filter(|a| a.is_valid())?;
    let mut doc = Docx::new()
        .page_size(A4.0, A4.1)
        .page_margin(PageMargin {
            top: 2098,
            bottom: 1984,
            left: 1588,
            right: 1474,
            header: 851,
            footer: 992,
            gutter: 0,
        })
        .default_fonts(fangsong())
        .default_size(BODY_SIZE);
    doc = doc
        .add_paragraph(
            line(
                Paragraph::new().add_run(
                    Run::new()
                        .add_text(&case.committee_name)
                        .fonts(song())
                        .size(BODY_SIZE)
                        .bold(),
                ),
            )
            .align(AlignmentType::Center),
        )
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    Run::new()
                        .add_text("调解协议书")
                        .fonts(song())
                        .size(TITLE_SIZE)
                        .bold()
                        .character_spacing(100),
                )
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(240).after(240)),
        )
        .add_paragraph(
            line(Paragraph::new().add_run(run(&case.number))).align(AlignmentType::Right),
        );
    for w in &case.workers {
        doc = doc.add_paragraph(labelled(
            "申请人",
            &match &w.phone {
                Some(p) => format!("{}，联系电话{}", w.name, p),
                None => w.name.clone(),
            },
        ));
    }
    doc = doc.add_paragraph(labelled("被申请人", &case.employer.name));
    doc = doc
        .add_paragraph(labelled("争议类型", case.dispute_type.zh_name()))
        .add_paragraph(labelled("争议事项", &case.matter));
    if let Some(c) = &case.claims {
        doc = doc.add_paragraph(labelled("申请人请求", c));
    }
    if case.amount_fen.0 > 0 {
        doc = doc.add_paragraph(labelled(
            "涉及金额",
            &format!("人民币{}元", case.amount_fen.yuan()),
        ));
    }
    let how = match &case.intake {
        Intake::Written { .. } => "书面",
        Intake::Oral { .. } => "口头",
    };
    doc = doc.add_paragraph(body(&format!(
        "本委员会于{}收到申请人的{}调解申请并予受理。经调解员{}主持调解，双方当事人在查明事实、分清是非的基础上，自愿达成如下协议：",
        case.received_on.zh(),
        how,
        case.mediator
    )));
    let mut n = 0;
    for term in a.terms.lines().map(str::trim).filter(|t| !t.is_empty()) {
        n += 1;
        doc = doc.add_paragraph(body(&format!("{}、{}", zh_number(n), term)));
    }
    n += 1;
    doc = doc.add_paragraph(body(&format!(
        "{}、被申请人应支付申请人人民币{}元（大写：{}）。",
        zh_number(n),
        a.amount.yuan(),
        capital_yuan(a.amount.0)
    )));
    doc = doc.add_paragraph(body(
        "本协议自双方当事人签名或者盖章、经调解员签名并加盖调解组织印章后生效，对双方当事人具有约束力，当事人应当履行。一方当事人在协议约定期限内不履行的，另一方当事人可以依法申请仲裁。",
    ));
    doc = doc.add_paragraph(body(
        "本协议一式三份，双方当事人各执一份，调解组织留存一份。",
    ));
    doc = doc.add_paragraph(blank());
    let half = TEXT_WIDTH / 2;
    let signatures = Table::without_borders(vec![
        TableRow::new(vec![
            cell("申请人（签名）：", half),
            cell("被申请人（签名或盖章）：", half),
        ]),
        TableRow::new(vec![cell("", half), cell("", half)]),
        TableRow::new(vec![
            cell("    年    月    日", half),
            cell("    年    月    日", half),
        ]),
        TableRow::new(vec![cell("", half), cell("", half)]),
        TableRow::new(vec![cell("调解员（签名）：", half), cell("", half)]),
    ])
    .set_grid(vec![half, half])
    .width(TEXT_WIDTH, WidthType::Dxa);
    doc = doc.add_table(signatures).add_paragraph(blank());
    doc = doc
        .add_paragraph(
            line(Paragraph::new().add_run(run(&format!("{}（印章）", case.committee_name))))
                .align(AlignmentType::Right),
        )
        .add_paragraph(
            line(Paragraph::new().add_run(run(&a.signed_on.zh()))).align(AlignmentType::Right),
        );
    let mut out = std::io::Cursor::new(Vec::new());
    doc.pack(&mut out).ok()?;
    Some(out.into_inner())
}

/// 1 → 一, 12 → 十二 (numbering of the agreed terms).
fn zh_number(n: usize) -> String {
    const D: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_string(),
        10 => "十".into(),
        11..=19 => format!("十{}", D[n % 10]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", D[n / 10]),
        20..=99 => format!("{}十{}", D[n / 10], D[n % 10]),
        _ => n.to_string(),
    }
}

/// An amount in fen in capital numerals as financial documents write it
/// (大写金额): 1234550 → 壹万贰仟叁佰肆拾伍元伍角整.
pub fn capital_yuan(fen: i64) -> String {
    const DIGITS: [char; 10] = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
    const UNITS: [&str; 4] = ["", "拾", "佰", "仟"];
    const GROUPS: [&str; 4] = ["", "万", "亿", "万亿"];
    let yuan = fen / 100;
    let jiao = (fen / 10) % 10;
    let fen_digit = fen % 10;
    let mut out = String::new();
    if yuan > 0 {
        // Groups of four digits from the top; zeros collapse to one 零.
        let digits: Vec<u32> = yuan
            .to_string()
            .chars()
            .map(|c| c.to_digit(10).unwrap_or(0))
            .collect();
        let len = digits.len();
        let mut zero = false;
        for (i, d) in digits.iter().enumerate() {
            let pos = len - 1 - i;
            if *d == 0 {
                zero = true;
            } else {
                if zero && !out.is_empty() {
                    out.push('零');
                }
                zero = false;
                out.push(DIGITS[*d as usize]);
                out.push_str(UNITS[pos % 4]);
            }
            if pos.is_multiple_of(4) && pos > 0 {
                // A group's name only when the group has a digit.
                let start = i + 1 - (4.min(i + 1));
                if digits[start..=i].iter().any(|d| *d != 0) {
                    out.push_str(GROUPS[pos / 4]);
                }
            }
        }
        out.push('元');
    }
    if jiao == 0 && fen_digit == 0 {
        if out.is_empty() {
            out.push_str("零元");
        }
        out.push('整');
        return out;
    }
    if jiao > 0 {
        out.push(DIGITS[jiao as usize]);
        out.push('角');
    } else if yuan > 0 {
        out.push('零');
    }
    if fen_digit > 0 {
        out.push(DIGITS[fen_digit as usize]);
        out.push('分');
    } else {
        out.push('整');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_capitals() {
        assert_eq!(capital_yuan(1_234_550), "壹万贰仟叁佰肆拾伍元伍角整");
        assert_eq!(capital_yuan(800_000), "捌仟元整");
        assert_eq!(capital_yuan(1_000_500), "壹万零伍元整");
        assert_eq!(capital_yuan(10_000_000), "壹拾万元整");
        assert_eq!(capital_yuan(5), "伍分");
        assert_eq!(capital_yuan(0), "零元整");
        assert_eq!(capital_yuan(120_003), "壹仟贰佰元零叁分");
        assert_eq!(capital_yuan(10_000_000_000), "壹亿元整");
    }

    #[test]
    fn terms_are_numbered_in_chinese() {
        assert_eq!(zh_number(1), "一");
        assert_eq!(zh_number(10), "十");
        assert_eq!(zh_number(12), "十二");
        assert_eq!(zh_number(21), "二十一");
    }
}
