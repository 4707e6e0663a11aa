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

pub mod chart;
pub mod compute;
pub mod demo;
pub mod export;
pub mod http;
pub mod store;

use serde::{Deserialize, Serialize};

pub use crate::summary::workflow::Status;
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, OrgId, ReportId, ResponseId, SurveyId, TopicId},
    enterprise::WorkerGroup,
    error::{AppError, FieldError},
};

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
    pub client_id: Option<String>,
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// The author org (default: the caller's home org).
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub org_id: Option<OrgId>,
    #[serde(default)]
    pub title: Option<String>,
    /// A topic code (`wages`, …).
    #[serde(default)]
    pub topic: Option<String>,
    /// A worker group (`courier`, …).
    #[serde(default)]
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
