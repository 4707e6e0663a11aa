//! Special reports (专题报告): a research report of one org for one campaign
//! (either kind) on one problem topic or worker group. Its body is ordered
//! sections — a heading, narrative text and embedded elements: a chart or
//! table of a questionnaire's analysis, a summary of problems by topic and
//! outcome, quotes from free-text answers or activity notes. Elements are
//! specs: their figures are computed live (`compute`) through the same code
//! the analysis page and the problem list use, and frozen with the body in a
//! version when the author names a version or submits. A report is submitted
//! to the campaign's issuing org like a summary table (the same
//! `summary::workflow` state machine).
//!
//! In the shape of a domain: this file the body, its rules and the API's
//! types, `store` the SQL, `ops` the use cases (every write with its
//! transaction, timeline step and audit entry; the reads page and API share),
//! `pages` the pages, `api` the JSON API (the DOCX and PDF downloads
//! included) and the router; `compute`, `chart` and `export` draw the figures.
//!
//! Who may do what: readers over the author org's subtree read the report;
//! once submitted, readers over the campaign's issuing org read it too;
//! everyone else gets 404. Cadres and admins over the author org write it
//! (viewers get 403); cadres and admins over the issuing org accept or
//! return it.

pub mod api;
pub mod chart;
pub mod compute;
pub mod demo;
pub mod export;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

pub use crate::summary::workflow::Status;
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, OrgId, ReportId, ResponseId, SurveyId, TopicId, code_enum},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    survey::analysis::tally::Kind,
};

code_enum! {
    /// A step of a report's timeline (`report_events.kind`).
    pub enum ReportEventKind: "report-event" {
        Created = "created",
        Saved = "saved",
        /// A named version was frozen.
        Version = "version",
        Submitted = "submitted",
        Accepted = "accepted",
        Returned = "returned",
    }
}

code_enum! {
    /// How a version was frozen (`report_versions.kind`).
    pub enum VersionKind: "report-version-kind" {
        /// Named by the author.
        Named = "named",
        /// Frozen by a submission.
        Submitted = "submitted",
    }
}

code_enum! {
    /// The kind of a questionnaire question the editor offers.
    pub enum QuestionKind: "report-question-kind" {
        Single = "single",
        Multiple = "multiple",
        Number = "number",
        Date = "date",
        Text = "text",
    }
}

impl QuestionKind {
    /// The kind of an analysed question.
    pub fn of(k: Kind) -> QuestionKind {
        match k {
            Kind::Single => QuestionKind::Single,
            Kind::Multiple => QuestionKind::Multiple,
            Kind::Number => QuestionKind::Number,
            Kind::Date => QuestionKind::Date,
            Kind::Text => QuestionKind::Text,
        }
    }
}

/// Sections a report may hold.
pub const MAX_SECTIONS: usize = 60;
/// Elements one section may hold.
pub const MAX_ELEMENTS: usize = 20;
/// Records one quote element may cite.
pub const MAX_QUOTES: usize = 50;
/// Characters of a section's narrative.
pub const MAX_TEXT: usize = 20_000;

/// How an analysis element shows its question.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Display {
    #[default]
    Chart,
    Table,
}

/// One question of a questionnaire's analysis, under the analysis filters,
/// optionally crossed by `worker_group`, `region` or another choice question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnalysisSpec {
    pub survey_id: SurveyId,
    /// The question's name.
    pub question: String,
    #[serde(default)]
    pub display: Display,
    /// The cross-tab's columns: `worker_group`, `region` or a choice question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `valid` (default), `invalid` or `all`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<String>,
    /// Only this worker group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Only this region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// First day of submission, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day of submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl AnalysisSpec {
    /// A chart of `question` of `survey`, valid responses, no cross-tab.
    pub fn new(survey: SurveyId, question: &str) -> AnalysisSpec {
        AnalysisSpec {
            survey_id: survey,
            question: question.to_string(),
            display: Display::Chart,
            by: None,
            valid: None,
            group: None,
            region: None,
            from: None,
            to: None,
        }
    }

    /// The analysis query this element stands for: the same filters, and the
    /// cross-tab of its question by `by` when there is one.
    pub fn query(&self) -> crate::survey::analysis::AnalysisQuery {
        let by = self.by.clone().filter(|b| !b.trim().is_empty());
        crate::survey::analysis::AnalysisQuery {
            valid: self.valid.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            group: self.group.clone(),
            region: self.region.clone(),
            row: by.as_ref().map(|_| self.question.clone()),
            by,
        }
    }

    /// The analysis page with the same filters, scrolled to the question (or
    /// to the cross-tab).
    pub fn link(&self) -> String {
        let query = self.query();
        let q = query.query_string();
        let sep = if q.is_empty() { "" } else { "?" };
        let anchor = if query.by.is_some() {
            "crosstab".to_string()
        } else {
            format!("q-{}", crate::web::errors::urlencode(&self.question))
        };
        format!("/surveys/{}/analysis{sep}{q}#{anchor}", self.survey_id)
    }
}

/// Problems of the campaign recorded in the report's org subtree, by topic
/// and outcome; optionally one topic or one worker group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProblemsSpec {
    /// A topic code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// A worker group (`courier`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Chosen answers to one free-text question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurveyQuotesSpec {
    pub survey_id: SurveyId,
    pub question: String,
    #[schema(value_type = Vec<i64>)]
    pub response_ids: Vec<ResponseId>,
}

/// Chosen activity records whose notes are quoted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActivityQuotesSpec {
    #[schema(value_type = Vec<i64>)]
    pub activity_ids: Vec<ActivityId>,
}

/// An embedded live element.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Element {
    Analysis(AnalysisSpec),
    Problems(ProblemsSpec),
    SurveyQuotes(SurveyQuotesSpec),
    ActivityQuotes(ActivityQuotesSpec),
}

/// One section: heading, narrative, elements.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Section {
    #[serde(default)]
    pub heading: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub elements: Vec<Element>,
}

/// The body of a report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Body {
    #[serde(default)]
    pub sections: Vec<Section>,
}

impl Body {
    /// Trims texts and checks sizes; errors name the field
    /// (`sections[2].heading`, `sections[0].elements[1]`).
    pub fn cleaned(&self) -> Result<Body, AppError> {
        let mut errs = Vec::new();
        if self.sections.len() > MAX_SECTIONS {
            errs.push(FieldError::new("sections", "report-err-too-many"));
        }
        let mut out = Body::default();
        for (i, s) in self.sections.iter().enumerate() {
            let heading = s.heading.trim().to_string();
            if heading.chars().count() > 200 {
                errs.push(
                    FieldError::new(format!("sections[{i}].heading"), "err-too-long")
                        .arg("max", 200),
                );
            }
            let text = s.text.trim().replace("\r\n", "\n");
            if text.chars().count() > MAX_TEXT {
                errs.push(
                    FieldError::new(format!("sections[{i}].text"), "err-too-long")
                        .arg("max", MAX_TEXT),
                );
            }
            if s.elements.len() > MAX_ELEMENTS {
                errs.push(FieldError::new(
                    format!("sections[{i}].elements"),
                    "report-err-too-many",
                ));
            }
            for (j, e) in s.elements.iter().enumerate() {
                let field = format!("sections[{i}].elements[{j}]");
                let bad = match e {
                    Element::Analysis(a) => a.question.trim().is_empty(),
                    Element::Problems(_) => false,
                    Element::SurveyQuotes(q) => {
                        q.question.trim().is_empty()
                            || q.response_ids.is_empty()
                            || q.response_ids.len() > MAX_QUOTES
                    }
                    Element::ActivityQuotes(q) => {
                        q.activity_ids.is_empty() || q.activity_ids.len() > MAX_QUOTES
                    }
                };
                if bad {
                    errs.push(FieldError::new(&field, "report-err-element"));
                }
            }
            out.sections.push(Section {
                heading,
                text,
                elements: s.elements.clone(),
            });
        }
        if errs.is_empty() {
            Ok(out)
        } else {
            Err(AppError::Validation(errs))
        }
    }

    /// Every element, in reading order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.sections.iter().flat_map(|s| s.elements.iter())
    }
}

/// A stored report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: ReportId,
    /// The author org.
    pub org_id: OrgId,
    pub org_name: String,
    pub campaign_id: CampaignId,
    pub campaign_title: String,
    /// The campaign's issuing org, which receives the report.
    pub issuer_id: OrgId,
    #[schema(value_type = String)]
    pub report_due_on: Day,
    pub client_id: String,
    pub title: String,
    pub topic_id: Option<TopicId>,
    pub topic_code: Option<String>,
    pub topic_zh: Option<String>,
    pub topic_en: Option<String>,
    pub worker_group: Option<WorkerGroup>,
    pub body: Body,
    pub status: Status,
    /// The newest version's number (0: none yet).
    pub version: i64,
    pub first_submitted_at: Option<i64>,
    pub submitted_at: Option<i64>,
    /// Whether the first submission came after the campaign's deadline.
    pub late: Option<bool>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Report {
    /// What the report is about: the topic's name and/or the worker group's.
    pub fn subject(&self, lang: crate::i18n::Lang) -> String {
        let mut parts = Vec::new();
        let topic = match lang {
            crate::i18n::Lang::Zh => self.topic_zh.clone(),
            crate::i18n::Lang::En => self.topic_en.clone(),
        };
        if let Some(t) = topic {
            parts.push(t);
        }
        if let Some(g) = self.worker_group {
            parts.push(lang.t(&g.label_key()));
        }
        parts.join(" · ")
    }

    /// Whether the author may change the content now.
    pub fn editable(&self) -> bool {
        matches!(self.status, Status::Draft | Status::Returned)
    }
}

/// What a report is about, as sent by a form or the API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReportInput {
    /// Retries with the same client id return the first report.
    #[serde(default)]
    #[schema(example = "report-0001-abcd")]
    pub client_id: Option<String>,
    #[schema(value_type = Option<i64>, example = 1)]
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// The author org (default: the caller's home org).
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub org_id: Option<OrgId>,
    #[serde(default)]
    #[schema(example = "快递员劳动权益专题报告")]
    pub title: Option<String>,
    /// A topic code (`wages`, …).
    #[serde(default)]
    #[schema(example = "wages")]
    pub topic: Option<String>,
    /// A worker group (`courier`, …).
    #[serde(default)]
    #[schema(example = "courier")]
    pub worker_group: Option<String>,
    #[serde(default)]
    pub sections: Option<Vec<Section>>,
}

/// The parsed head of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Head {
    pub title: String,
    pub topic: Option<String>,
    pub worker_group: Option<WorkerGroup>,
}

impl ReportInput {
    /// Title, topic code and worker group; one of the last two is required.
    pub fn head(&self) -> Result<Head, AppError> {
        let mut errs = Vec::new();
        let title = self.title.as_deref().unwrap_or("").trim().to_string();
        if title.is_empty() {
            errs.push(FieldError::new("title", "err-required"));
        } else if title.chars().count() > 200 {
            errs.push(FieldError::new("title", "err-too-long").arg("max", 200));
        }
        let topic = self
            .topic
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from);
        let worker_group = match self
            .worker_group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
        {
            None => None,
            Some(g) => match WorkerGroup::parse(g) {
                Some(w) => Some(w),
                None => {
                    errs.push(FieldError::new("worker_group", "err-group").arg("value", g));
                    None
                }
            },
        };
        if topic.is_none() && worker_group.is_none() && errs.is_empty() {
            errs.push(FieldError::new("topic", "report-err-subject"));
        }
        if errs.is_empty() {
            Ok(Head {
                title,
                topic,
                worker_group,
            })
        } else {
            Err(AppError::Validation(errs))
        }
    }
}

/// Reads an optional whole number of a query or form; 422 naming `field`.
pub fn int_param<T: From<i64>>(field: &str, v: &Option<String>) -> AppResult<Option<T>> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(|n| Some(T::from(n)))
            .map_err(|_| AppError::Validation(vec![FieldError::new(field, "err-number")])),
    }
}

/// Query of the report list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Written in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// draft, submitted, accepted or returned.
    #[param(value_type = Option<Status>)]
    pub status: Option<String>,
}

impl ListQuery {
    /// The filter asked for.
    pub fn filter(&self) -> AppResult<store::ListFilter> {
        let status = match self
            .status
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(s) => Some(
                Status::ALL
                    .into_iter()
                    .find(|x| x.as_str() == s)
                    .ok_or_else(|| AppError::field("status", "report-err-status"))?,
            ),
        };
        Ok(store::ListFilter {
            campaign: int_param::<i64>("campaign", &self.campaign)?.map(CampaignId),
            under: int_param::<i64>("org", &self.org)?.map(OrgId),
            status,
        })
    }
}

/// A report created (or found again by its client id).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ReportCreated)]
pub struct Created {
    pub report: Report,
    /// False when a retry found the report made by the first attempt.
    pub created: bool,
}

/// A report with its live figures, versions, timeline and what the caller may do.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReportDetail {
    pub report: Report,
    /// The report as it reads now: every element's figure computed live.
    pub live: store::Snapshot,
    pub versions: Vec<store::VersionInfo>,
    pub timeline: Vec<store::Event>,
    pub can_edit: bool,
    pub can_decide: bool,
}

/// One element to preview.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct PreviewInput {
    pub element: Element,
}

/// An element's figure and its HTML as the report page shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ElementPreview)]
pub struct Preview {
    pub figure: compute::Figure,
    pub html: String,
}

/// A question the editor offers.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SourceQuestion {
    pub name: String,
    pub label: String,
    pub kind: QuestionKind,
}

/// A region answered in a survey (for the region filter).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SourceRegion)]
pub struct Region {
    /// The choice's name, as the filter takes it.
    pub name: String,
    /// Its label in the caller's language.
    pub label: String,
}

/// A survey the editor offers, with its questions.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SourceSurvey {
    #[schema(value_type = i64)]
    pub id: SurveyId,
    pub title: String,
    pub questions: Vec<SourceQuestion>,
    /// The regions answered (for the region filter).
    pub regions: Vec<Region>,
}

/// What to look for to quote.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// `survey` (free-text answers of `survey` to `question`) or `activities` (notes).
    pub source: Option<String>,
    #[param(value_type = Option<i64>)]
    pub survey: Option<String>,
    pub question: Option<String>,
    /// Only those containing this text.
    pub q: Option<String>,
    /// Survey answers: only this worker group.
    pub group: Option<String>,
}

/// A free-text answer that may be quoted.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TextCandidate {
    #[schema(value_type = i64)]
    pub response_id: ResponseId,
    pub text: String,
    pub source: String,
}

/// Answers or notes to pick quotes from.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Candidates {
    pub answers: Vec<TextCandidate>,
    pub notes: Vec<store::NoteCandidate>,
}

/// A version's name.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct NewVersion {
    /// What the author calls it (default: 第 n 版).
    #[serde(default)]
    #[schema(example = "征求意见稿")]
    pub name: Option<String>,
    /// The version the author was looking at (default: the current one); a
    /// retry that finds its version already stored answers 200.
    #[serde(default)]
    #[schema(example = 1)]
    pub seen: Option<i64>,
}

/// A stored version with its frozen content and figures.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VersionBody {
    pub version: store::VersionInfo,
    pub snapshot: store::Snapshot,
}

/// The body of a submission: the version the author was looking at.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReportSubmitInput)]
pub struct SubmitInput {
    /// The report's `version` as the author last read it; default: the
    /// current one. A stale number is refused (422 on `seen`); a retry after
    /// a submission went through answers 200 with that submission.
    #[serde(default)]
    #[schema(example = 2)]
    pub seen: Option<i64>,
}

/// Why a report is returned.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ReportReturnInput)]
pub struct ReturnInput {
    #[serde(default)]
    #[schema(example = "数据来源需补充说明")]
    pub reason: String,
}

/// Query of the counts.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CountsQuery {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Written in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// Reports first submitted in one month.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ReportMonth)]
pub struct Month {
    /// `YYYY-MM`, Beijing time.
    #[schema(example = "2019-11")]
    pub month: String,
    pub reports: i64,
}

/// Reports by status and by month of first submission.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CountsBody {
    pub counts: store::ReportCounts,
    /// Reports first submitted each month, oldest first.
    pub monthly: Vec<Month>,
}

/// Which version a download holds.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A version's number; default: the report as it reads now.
    #[param(value_type = Option<i64>)]
    pub version: Option<String>,
}

/// Which file, and of which version.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `docx` (default) or `pdf`.
    pub format: Option<String>,
    /// A version's number; default: the report as it reads now.
    #[param(value_type = Option<i64>)]
    pub version: Option<String>,
}

/// A file format a report downloads as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Docx,
    Pdf,
}

impl FileFormat {
    /// The file name's extension.
    pub fn ext(self) -> &'static str {
        match self {
            FileFormat::Docx => "docx",
            FileFormat::Pdf => "pdf",
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            FileFormat::Docx => DOCX,
            FileFormat::Pdf => "application/pdf",
        }
    }
}

/// The media type of a Word document.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_analysis_element_links_to_the_same_filters() {
        let a = AnalysisSpec {
            by: Some("region".into()),
            group: Some("courier".into()),
            ..AnalysisSpec::new(SurveyId(7), "income_change")
        };
        assert_eq!(
            a.link(),
            "/surveys/7/analysis?group=courier&row=income_change&by=region#crosstab"
        );
        let plain = AnalysisSpec::new(SurveyId(7), "age");
        assert_eq!(plain.link(), "/surveys/7/analysis#q-age");
        assert_eq!(plain.query().row, None);
    }

    #[test]
    fn bodies_round_trip_and_bad_elements_are_named() {
        let json = r#"{"sections":[{"heading":" 一、收入 ","text":"正文","elements":[
            {"kind":"analysis","survey_id":3,"question":"q1","display":"table"},
            {"kind":"problems","group":"courier"},
            {"kind":"survey_quotes","survey_id":3,"question":"advice","response_ids":[]}]}]}"#;
        let b: Body = serde_json::from_str(json).unwrap();
        assert_eq!(b.elements().count(), 3);
        let AppError::Validation(errs) = b.cleaned().unwrap_err() else {
            panic!()
        };
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "sections[0].elements[2]");
        let mut ok = b.clone();
        ok.sections[0].elements.pop();
        let c = ok.cleaned().unwrap();
        assert_eq!(c.sections[0].heading, "一、收入");
        let again: Body = serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn a_report_needs_a_title_and_a_subject() {
        let mut i = ReportInput {
            title: Some("快递员专题报告".into()),
            ..Default::default()
        };
        assert!(i.head().is_err());
        i.worker_group = Some("快递员".into());
        assert_eq!(i.head().unwrap().worker_group, Some(WorkerGroup::Courier));
        i.worker_group = Some("飞行员".into());
        assert!(i.head().is_err());
    }
}
