//! The use cases of questionnaire analysis, shared by the pages and the API:
//! the analysis a query asks for, a page of free-text answers with their
//! keywords, one response, an answer turned into a problem (the one write),
//! and the exports (files built here, audited when sent). No HTTP here.
//!
//! Who may do what: readers over the survey's org read everything here (and
//! export, audited); cadres and admins there turn answers into problems (403
//! for other readers); everyone else gets 404.

use super::{
    Analysis, AnalysisQuery, ExportQuery, Filter, Keyword, ProblemInput, ProblemMade,
    ResponseDetail, TextPage, TextQuery, export, keywords, store,
    tally::{Codebook, Kind},
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::Caller,
    db::{Db, ResponseId, SurveyId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    i18n::Lang,
    problem::{ProblemFields, Source, store as problems},
    survey::{
        Survey,
        api::XLSX,
        ops::{manageable, visible},
        privacy::AnswerView,
    },
};

/// The media type of the CSV exports.
pub const CSV: &str = "text/csv; charset=utf-8";

/// Answers per page of free text.
const TEXT_PAGE: i64 = 20;
/// Answers the keywords are counted over (the newest that pass the filter).
const KEYWORD_SAMPLE: i64 = 5_000;
/// Keywords shown.
const KEYWORDS: usize = 30;
/// Responses read per query while exporting.
const EXPORT_BATCH: i64 = 5_000;
/// The most rows an XLSX sheet holds (the format's limit, less the header).
const XLSX_MAX_ROWS: u64 = 1_048_575;

/// The codebook of a survey's versions (questions matched by name).
pub async fn codebook(db: &Db, id: SurveyId) -> AppResult<Codebook> {
    let forms = store::forms(db, id).await.map_err(AppError::Internal)?;
    Ok(store::codebook(&forms))
}

/// The analysis of a survey the query asks for.
pub async fn analysis(db: &Db, s: &Survey, q: &AnalysisQuery, lang: Lang) -> AppResult<Analysis> {
    let filter = q.filter()?;
    super::analyse(db, s, &filter, q, lang)
        .await
        .map_err(AppError::Internal)?
}

/// A page of a text question's answers, as the caller may see them (the view
/// audited), with the question's keywords.
pub async fn text_page(
    db: &Db,
    caller: &Caller,
    s: &Survey,
    question: &str,
    q: &TextQuery,
    fq: &AnalysisQuery,
    lang: Lang,
) -> AppResult<TextPage> {
    let book = codebook(db, s.id).await?;
    let entry = book
        .find(question)
        .map(|i| &book.entries[i])
        .filter(|e| e.kind == Kind::Text)
        .ok_or(AppError::NotFound)?;
    let filter = fq.filter()?;
    let page = q.page.unwrap_or(1).max(1);
    let mut answers = store::texts(
        db,
        s.id,
        question,
        &filter,
        (page - 1) * TEXT_PAGE,
        TEXT_PAGE + 1,
    )
    .await?;
    let has_next = answers.len() as i64 > TEXT_PAGE;
    answers.truncate(TEXT_PAGE as usize);
    let view = AnswerView::of(db, caller, s).await?;
    let shown: Vec<ResponseId> = answers
        .iter_mut()
        .filter_map(|a| view.text(&mut a.text).then_some(a.response_id))
        .collect();
    view.audit(
        db,
        caller,
        &format!("free-text answers to {question}, page {page}"),
        &shown,
    )
    .await?;
    // Keywords never include personal numbers: `keywords::words` masks first.
    let sample = store::text_sample(db, s.id, question, &filter, KEYWORD_SAMPLE).await?;
    let n = sample.len();
    let keywords = tokio::task::spawn_blocking(move || keywords::top(&sample, KEYWORDS))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(TextPage {
        question: question.to_string(),
        label: entry.label.get(lang.code()).unwrap_or(question).to_string(),
        page,
        has_next,
        answers,
        keywords: keywords
            .into_iter()
            .map(|(word, answers)| Keyword { word, answers })
            .collect(),
        keyword_sample: n,
    })
}

/// One response of a survey the caller reads, as the caller may see it (the
/// view audited), and its survey.
pub async fn response_detail(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    rid: ResponseId,
) -> AppResult<(Survey, ResponseDetail)> {
    let s = visible(db, caller, id).await?;
    let mut response = store::response(db, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = AnswerView::of(db, caller, &s).await?;
    if view.stored(&mut response) {
        view.audit(db, caller, "response", &[rid]).await?;
    }
    let problems = store::problems_of_response(db, rid).await?;
    Ok((
        s,
        ResponseDetail {
            survey_id: id,
            response,
            problems,
        },
    ))
}

/// Turns a free-text answer into a problem of the survey's org (source:
/// worker; the response's worker group; the survey's campaign), linked both
/// ways. Once per answer: a second call returns the first problem.
pub async fn make_problem(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    rid: ResponseId,
    input: &ProblemInput,
) -> AppResult<ProblemMade> {
    let s = manageable(db, caller, id).await?;
    let r = store::response(db, id, rid)
        .await?
        .ok_or(AppError::NotFound)?;
    let question = input.question.trim();
    let text = r
        .answers
        .get(question)
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::field("question", "analysis-err-no-answer"))?;
    let book = codebook(db, id).await?;
    if book
        .find(question)
        .is_none_or(|i| book.entries[i].kind != Kind::Text)
    {
        return Err(AppError::field("question", "analysis-err-not-text"));
    }
    let topic = input
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("other")
        .to_string();
    let mut tx = Audited::begin(db).await?;
    if let Some(p) = store::problem_of_answer(&mut tx, rid, question).await? {
        return Ok(ProblemMade {
            problem_id: p,
            created: false,
        });
    }
    let origin = problems::Origin {
        org: s.org_id,
        // The problems' own unique key (org, client id) backs the link's.
        client_id: format!("survey-{id}-response-{rid}-{question}")
            .chars()
            .take(64)
            .collect(),
        campaign: s.campaign_id,
        activity: None,
        user: Some(caller.user_id),
        actor: caller.display_name.clone(),
        public: false,
    };
    // The problem is read by everyone over the org, so it carries the answer
    // with personal numbers masked; its link back leads to them in full.
    let mut description: String = text.chars().take(2000).collect();
    AnswerView::masked(&s).text(&mut description);
    let fields = ProblemFields {
        source: Source::Worker,
        topic_code: topic,
        worker_group: r.worker_group.as_deref().and_then(WorkerGroup::parse),
        description,
        raiser_name: None,
        raiser_contact: None,
        is_main: false,
        enterprise_id: None,
    };
    let (problem, created) = match problems::insert(&mut tx, &origin, &fields).await? {
        Some(p) => (p, true),
        None => (
            problems::id_by_client(&mut tx, s.org_id, &origin.client_id)
                .await?
                .ok_or(AppError::NotFound)?,
            false,
        ),
    };
    if created {
        store::link_problem(
            &mut tx,
            id,
            s.org_id,
            rid,
            question,
            problem,
            caller.user_id,
        )
        .await?;
    }
    // The problem's own timeline records its making; no entry of ours.
    tx.commit(None).await?;
    Ok(ProblemMade {
        problem_id: problem,
        created,
    })
}

/// A format the export does not write, the allowed ones listed.
fn bad_format(allowed: &str) -> AppError {
    AppError::Validation(vec![
        FieldError::new("format", "analysis-err-format").arg("allowed", allowed),
    ])
}

pub fn export_err(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// An export ready to send.
pub struct File {
    pub body: Vec<u8>,
    pub name: String,
    pub mime: &'static str,
    /// What was exported, for the audit log.
    pub detail: String,
}

/// Writes an export of survey `s` to the audit log, before it is sent.
pub async fn exported(db: &Db, caller: &Caller, s: &Survey, f: &File) -> AppResult<()> {
    let e = Entry::by(caller, s.org_id, Action::Export)
        .target(format!("survey:{}", s.id))
        .detail(format!("{}: {}", f.name, f.detail));
    audit::store::record(db.pool(), &e).await?;
    Ok(())
}

/// A responses export: the file, how many responses it holds, and how many
/// of those hold personal numbers (masked or, for a reader with the need, in full).
#[derive(Debug)]
pub struct ResponsesFile {
    pub body: Vec<u8>,
    pub responses: u64,
    pub personal: u64,
    pub view: AnswerView,
}

impl ResponsesFile {
    /// What the export's audit row says about personal numbers.
    pub fn personal_note(&self) -> String {
        match (self.personal, self.view.disclosure.is_full()) {
            (0, _) => "no personal numbers".into(),
            (n, true) => format!("personal numbers in full in {n} responses"),
            (n, false) => format!("personal numbers masked in {n} responses"),
        }
    }
}

/// Writes the responses that pass the filter as CSV or XLSX, answers as
/// `view` shows them, reporting how many are done after each batch (the
/// CLI's progress bar).
#[allow(clippy::too_many_arguments)]
pub async fn responses_file(
    db: &Db,
    s: &Survey,
    view: AnswerView,
    filter: &Filter,
    xlsx: bool,
    values: export::Values,
    lang: Lang,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<ResponsesFile> {
    let forms = store::forms(db, s.id).await?;
    let book = store::codebook(&forms);
    let columns = export::columns(&book, lang);
    let header: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
    let cb = export::codebook_rows(&book, &columns, lang);
    let mut csv = if xlsx {
        None
    } else {
        Some(export::CsvOut::new(&header)?)
    };
    let mut wb = if xlsx {
        Some(export::XlsxOut::new(
            &header,
            &lang.t("analysis-sheet-responses"),
        )?)
    } else {
        None
    };
    let mut after = 0;
    let mut n = 0u64;
    let mut personal = 0u64;
    loop {
        let mut batch = store::responses(db, s.id, filter, after, EXPORT_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.id.0;
        for r in &mut batch {
            personal += u64::from(view.stored(r));
            if xlsx && n >= XLSX_MAX_ROWS {
                anyhow::bail!("more responses than an XLSX sheet holds: export CSV");
            }
            let cells = export::row(&book, &columns, r, values, lang);
            if let Some(c) = csv.as_mut() {
                c.row(&cells)?;
            }
            if let Some(w) = wb.as_mut() {
                w.row(&cells)?;
            }
            n += 1;
        }
        progress(n);
    }
    let body = match (csv, wb) {
        (Some(c), _) => c.finish()?,
        (None, Some(w)) => w.finish(&cb, lang)?,
        (None, None) => Vec::new(),
    };
    Ok(ResponsesFile {
        body,
        responses: n,
        personal,
        view,
    })
}

/// The results of a survey the caller reads as XLSX (an overview, one sheet
/// of frequencies per question, the cross-tab) or an A4 PDF with bar charts.
pub async fn results_file(
    db: &Db,
    settings: std::sync::Arc<crate::config::Settings>,
    caller: &Caller,
    id: SurveyId,
    q: &ExportQuery,
    fq: &AnalysisQuery,
) -> AppResult<(Survey, File)> {
    let s = visible(db, caller, id).await?;
    let a = analysis(db, &s, fq, caller.lang).await?;
    let lang = caller.lang;
    let title = s.title.clone();
    let detail = export::filter_line(&a, lang);
    let (ext, mime) = match q.format.as_deref().unwrap_or("xlsx") {
        "xlsx" => ("xlsx", XLSX),
        "pdf" => ("pdf", "application/pdf"),
        _ => return Err(bad_format("xlsx, pdf")),
    };
    let body = tokio::task::spawn_blocking(move || {
        if ext == "pdf" {
            let fonts = crate::pdf::PdfFonts::load(&settings)?;
            export::results_pdf(&title, &a, lang, &fonts)
        } else {
            export::results_xlsx(&title, &a, lang)
        }
    })
    .await
    .map_err(export_err)?
    .map_err(export_err)?;
    let name = format!(
        "survey-{id}-results-{}.{ext}",
        crate::web::download::stamp()
    );
    Ok((
        s,
        File {
            body,
            name,
            mime,
            detail,
        },
    ))
}

/// The responses of a survey the caller reads that pass the filter, one row
/// each, as CSV or XLSX (answers as the caller may see them), or the codebook
/// as CSV.
pub async fn responses_export(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    q: &ExportQuery,
    fq: &AnalysisQuery,
) -> AppResult<(Survey, File)> {
    let s = visible(db, caller, id).await?;
    let filter = fq.filter()?;
    let lang = caller.lang;
    let values = match q.values.as_deref().unwrap_or("codes") {
        "codes" => export::Values::Codes,
        "labels" => export::Values::Labels,
        _ => return Err(AppError::field("values", "analysis-err-values")),
    };
    let stamp = crate::web::download::stamp();
    let fmt = q.format.as_deref().unwrap_or("csv");
    if !matches!(fmt, "csv" | "xlsx") {
        return Err(bad_format("csv, xlsx"));
    }
    if fmt == "csv" && q.codebook.as_deref() == Some("1") {
        let book = codebook(db, id).await?;
        let cols = export::columns(&book, lang);
        let body = export::codebook_csv(&export::codebook_rows(&book, &cols, lang), lang)
            .map_err(export_err)?;
        let name = format!("survey-{id}-codebook.csv");
        let file = File {
            body,
            name,
            mime: CSV,
            detail: "codebook".into(),
        };
        return Ok((s, file));
    }
    let view = AnswerView::of(db, caller, &s).await?;
    let file = responses_file(db, &s, view, &filter, fmt == "xlsx", values, lang, |_| {})
        .await
        .map_err(AppError::Internal)?;
    let (name, mime) = if fmt == "xlsx" {
        (format!("survey-{id}-responses-{stamp}.xlsx"), XLSX)
    } else {
        (format!("survey-{id}-responses-{stamp}.csv"), CSV)
    };
    // The export's one audit row also says whether personal numbers left in full.
    let detail = format!(
        "{} responses, {}, {}, {}",
        file.responses,
        filter.validity.as_str(),
        if values == export::Values::Codes {
            "codes"
        } else {
            "labels"
        },
        file.personal_note()
    );
    Ok((
        s,
        File {
            body: file.body,
            name,
            mime,
            detail,
        },
    ))
}
