//! The one-page briefing (工作简报): an A4 page in the form union offices
//! print — red masthead and rule, a lead paragraph stating the figures, the
//! figures as a table, the lines' bars and the months — drawn with krilla
//! from a [`Board`], so it says exactly what the dashboard shows.

use krilla::{Document, color::rgb, metadata::Metadata, page::PageSettings, paint::Fill};

use super::{Board, Figures, percent};
use crate::{
    config::Settings,
    error::AppError,
    i18n::Lang,
    pdf::{
        PdfFonts,
        flow::{rect, wrap},
    },
};

const PAGE_W: f64 = 595.28;
const PAGE_H: f64 = 841.89;
const MARGIN: f64 = 56.0;
const RED: (u8, u8, u8) = (200, 16, 46);
const BLUE: (u8, u8, u8) = (43, 108, 176);
const INK: (u8, u8, u8) = (40, 40, 40);
/// At most this many lines get a bar: a one-page briefing names the largest.
const MAX_BARS: usize = 12;

/// The lead paragraph: every figure of the board in one sentence.
pub fn lead(b: &Board, lang: Lang) -> String {
    let f = &b.totals;
    let n = |x: i64| lang.number(x);
    let rate = percent(f.solved(), f.problems).map_or_else(|| "—".into(), |p| format!("{p}%"));
    lang.ta(
        "dash-brief-lead",
        &[
            ("date", lang.day(b.as_of)),
            ("org", b.org_name.clone()),
            ("campaign", b.campaign_title.clone()),
            ("enterprises", n(f.enterprises_visited)),
            ("interviews", n(f.workers_interviewed)),
            ("symposiums", n(f.symposiums)),
            ("participants", n(f.symposium_participants)),
            ("questionnaires", n(f.valid_questionnaires)),
            ("problems", n(f.problems)),
            ("solved", n(f.solved())),
            ("rate", rate),
            ("escalated", n(f.escalated)),
            ("reports", n(f.special_reports)),
            ("mediation", n(f.mediation_cases)),
            ("agreements", n(f.mediation_agreements)),
            (
                "mediation_rate",
                f.mediation_rate()
                    .map_or_else(|| "—".into(), |p| format!("{p}%")),
            ),
            ("unions", n(f.unions_founded)),
            ("members", n(f.members_joined)),
            ("services", n(f.services)),
            ("served", n(f.workers_served)),
        ],
    )
}

/// The figures as (label, value) rows, in the dashboard's order.
pub fn figure_rows(f: &Figures, lang: Lang) -> Vec<(String, String)> {
    let n = |x: i64| lang.number(x);
    let mut rows = vec![
        (lang.t("dash-enterprises"), n(f.enterprises_visited)),
        (lang.t("dash-interviews"), n(f.workers_interviewed)),
        (lang.t("dash-symposiums"), n(f.symposiums)),
        (lang.t("dash-participants"), n(f.symposium_participants)),
        (lang.t("dash-questionnaires"), n(f.valid_questionnaires)),
        (lang.t("dash-problems"), n(f.problems)),
    ];
    for (i, code) in ["solved", "in_progress", "planned", "reference", "open"]
        .iter()
        .enumerate()
    {
        rows.push((lang.t(&format!("dash-outcome-{code}")), n(f.outcomes[i])));
    }
    rows.push((lang.t("dash-escalated"), n(f.escalated)));
    rows.push((lang.t("dash-reports"), n(f.special_reports)));
    rows.push((lang.t("dash-mediation"), n(f.mediation_cases)));
    rows.push((
        lang.t("dash-mediation-rate"),
        f.mediation_rate()
            .map_or_else(|| "—".into(), |p| format!("{p}%")),
    ));
    rows.push((lang.t("dash-unions"), n(f.unions_founded)));
    rows.push((lang.t("dash-members"), n(f.members_joined)));
    rows.push((lang.t("dash-services"), n(f.services)));
    rows
}

/// The briefing as PDF bytes (A4, one page, the CJK font embedded as a subset).
pub fn render(settings: &Settings, b: &Board, lang: Lang) -> Result<Vec<u8>, AppError> {
    let fonts = PdfFonts::load(settings).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
    draw(&fonts, b, lang).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
}

fn draw(fonts: &PdfFonts, b: &Board, lang: Lang) -> Result<Vec<u8>, crate::pdf::ExportError> {
    let pen = fonts.pen();
    let mut doc = Document::new();
    let title = lang.t("dash-brief-title");
    doc.set_metadata(
        Metadata::new()
            .title(format!("{title} · {}", b.campaign_title))
            .language(lang.code().into())
            .creator("倾听 Qingting".into()),
    );
    let settings = PageSettings::from_wh(PAGE_W as f32, PAGE_H as f32).expect("A4 is a valid size");
    let mut page = doc.start_page_with(settings);
    let mut s = page.surface();
    let room = PAGE_W - 2.0 * MARGIN;
    let asc = pen.ascent();

    // Masthead: the title in red, centred; issuer and date; a red rule.
    let size = 30.0;
    let w = pen.width(&title, size, true);
    s.set_fill(Some(Fill {
        paint: rgb::Color::new(RED.0, RED.1, RED.2).into(),
        ..Fill::default()
    }));
    pen.draw(
        &mut s,
        (PAGE_W - w) / 2.0,
        MARGIN + size * asc,
        size,
        true,
        &title,
    );
    s.set_fill(Some(Fill::default()));
    let mut y = MARGIN + size * 1.5;
    let left = b.org_name.clone();
    let right = lang.day(b.as_of);
    pen.draw(&mut s, MARGIN, y + 10.0 * asc, 10.0, false, &left);
    let rw = pen.width(&right, 10.0, false);
    pen.draw(
        &mut s,
        PAGE_W - MARGIN - rw,
        y + 10.0 * asc,
        10.0,
        false,
        &right,
    );
    y += 16.0;
    rect(&mut s, MARGIN, y, room, 1.6, RED);
    y += 16.0;

    // Heading and lead paragraph.
    for line in wrap(&pen, &b.campaign_title, 14.0, true, room) {
        let w = pen.width(&line, 14.0, true);
        pen.draw(
            &mut s,
            (PAGE_W - w) / 2.0,
            y + 14.0 * asc,
            14.0,
            true,
            &line,
        );
        y += 20.0;
    }
    y += 6.0;
    let para = format!("　　{}", lead(b, lang));
    for line in wrap(&pen, &para, 10.5, false, room) {
        pen.draw(&mut s, MARGIN, y + 10.5 * asc, 10.5, false, &line);
        y += 17.0;
    }
    y += 8.0;

    // The figures, two columns of label and value.
    let rows = figure_rows(&b.totals, lang);
    let half = rows.len().div_ceil(2);
    let col = room / 2.0;
    let top = y;
    for (i, (label, value)) in rows.iter().enumerate() {
        let (cx, cy) = if i < half {
            (MARGIN, top + i as f64 * 16.0)
        } else {
            (MARGIN + col, top + (i - half) as f64 * 16.0)
        };
        rect(&mut s, cx, cy + 15.0, col - 12.0, 0.4, (200, 200, 200));
        pen.draw(&mut s, cx, cy + 10.0 * asc + 2.0, 10.0, false, label);
        let vw = pen.width(value, 10.0, true);
        pen.draw(
            &mut s,
            cx + col - 12.0 - vw,
            cy + 10.0 * asc + 2.0,
            10.0,
            true,
            value,
        );
    }
    y = top + half as f64 * 16.0 + 18.0;

    // The lines: enterprises visited and problems solved, largest first.
    let mut lines: Vec<_> = b
        .lines
        .iter()
        .filter(|l| l.figures.enterprises_visited + l.figures.problems > 0)
        .collect();
    lines.sort_by(|a, b| {
        b.figures
            .enterprises_visited
            .cmp(&a.figures.enterprises_visited)
            .then(b.figures.problems.cmp(&a.figures.problems))
    });
    let shown = lines.len().min(MAX_BARS);
    if shown > 0 {
        let head = lang.t("dash-brief-lines");
        pen.draw(&mut s, MARGIN, y + 11.0 * asc, 11.0, true, &head);
        y += 18.0;
        let label_w = 120.0;
        let bar_room = room - label_w - 60.0;
        let max = lines
            .iter()
            .take(shown)
            .map(|l| l.figures.enterprises_visited.max(l.figures.solved()))
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        for l in lines.iter().take(shown) {
            let name = wrap(&pen, &l.name, 9.0, false, label_w - 6.0)
                .into_iter()
                .next()
                .unwrap_or_default();
            pen.draw(&mut s, MARGIN, y + 9.0 * asc + 1.0, 9.0, false, &name);
            let x0 = MARGIN + label_w;
            let e = l.figures.enterprises_visited as f64 / max * bar_room;
            let p = l.figures.solved() as f64 / max * bar_room;
            rect(&mut s, x0, y + 1.0, e, 6.0, BLUE);
            rect(&mut s, x0, y + 8.0, p, 5.0, (56, 161, 105));
            let v = format!(
                "{} / {}",
                lang.number(l.figures.enterprises_visited),
                lang.number(l.figures.solved())
            );
            pen.draw(
                &mut s,
                x0 + e.max(p) + 4.0,
                y + 8.0 * asc + 2.0,
                8.0,
                false,
                &v,
            );
            y += 17.0;
        }
        let legend = lang.t("dash-brief-legend");
        rect(&mut s, MARGIN + label_w, y + 3.0, 8.0, 5.0, BLUE);
        pen.draw(
            &mut s,
            MARGIN + label_w + 12.0,
            y + 8.0 * asc,
            8.0,
            false,
            &legend,
        );
        y += 16.0;
        if lines.len() > shown {
            let more = lang.ta(
                "dash-brief-more",
                &[("n", (lines.len() - shown).to_string())],
            );
            pen.draw(&mut s, MARGIN, y + 8.0 * asc, 8.0, false, &more);
            y += 14.0;
        }
    }

    // The months: one row per series, one column per month (the last six).
    if !b.months.is_empty() && y < PAGE_H - MARGIN - 80.0 {
        y += 6.0;
        let head = lang.t("dash-brief-trends");
        pen.draw(&mut s, MARGIN, y + 11.0 * asc, 11.0, true, &head);
        y += 18.0;
        let skip = b.months.len().saturating_sub(6);
        let months = &b.months[skip..];
        let label_w = 120.0;
        let cw = (room - label_w) / months.len() as f64;
        for (i, m) in months.iter().enumerate() {
            let w = pen.width(m, 8.5, true);
            pen.draw(
                &mut s,
                MARGIN + label_w + cw * (i as f64 + 1.0) - w - 4.0,
                y + 8.5 * asc,
                8.5,
                true,
                m,
            );
        }
        y += 14.0;
        for series in &b.trends {
            // The page ends above the foot: rows that would not fit are left
            // to the dashboard.
            if y > PAGE_H - MARGIN - 32.0 {
                break;
            }
            rect(&mut s, MARGIN, y - 2.0, room, 0.4, (200, 200, 200));
            let label = lang.t(&format!("dash-trend-{}", series.key));
            pen.draw(&mut s, MARGIN, y + 9.0 * asc, 9.0, false, &label);
            for (i, v) in series.values[skip..].iter().enumerate() {
                let t = lang.number(*v);
                let w = pen.width(&t, 9.0, false);
                pen.draw(
                    &mut s,
                    MARGIN + label_w + cw * (i as f64 + 1.0) - w - 4.0,
                    y + 9.0 * asc,
                    9.0,
                    false,
                    &t,
                );
            }
            y += 14.0;
        }
    }

    // Foot: a rule and where the figures come from.
    let foot_y = PAGE_H - MARGIN;
    rect(&mut s, MARGIN, foot_y - 14.0, room, 0.8, INK);
    let foot = lang.ta("dash-brief-foot", &[("date", lang.day(b.as_of))]);
    for (i, line) in wrap(&pen, &foot, 8.0, false, room).iter().enumerate() {
        pen.draw(
            &mut s,
            MARGIN,
            foot_y - 4.0 + i as f64 * 11.0,
            8.0,
            false,
            line,
        );
    }
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| crate::pdf::ExportError::Pdf(format!("{e:?}")))
}
