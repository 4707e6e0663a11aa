//! Questionnaires: the expression language of skip logic and constraints
//! (`expr`), the form model (`form`), XLSForm import and export (`xlsform`),
//! responses checked against their form (`answers`), their validity
//! (`validity`: 有效问卷); surveys with their
//! versions, publication settings and quotas (this file, `store`), the
//! use cases that write (`ops`), the management pages (`pages`) and API with
//! the router (`api`), the page that builds a form
//! (`builder`) and the public link respondents fill (`public`).
//!
//! A survey belongs to an org and is read by roles over that org's subtree.
//! Its form lives in versions: the newest may be a draft, edited in place;
//! publishing freezes it (the database refuses any later change) and makes it
//! the live version; editing after that starts a new draft. Each response
//! keeps the version it answered.

pub mod analysis;
pub mod answers;
pub mod api;
pub mod builder;
pub mod demo;
pub mod expr;
pub mod form;
pub mod form_json;
pub mod intake;
pub mod ops;
pub mod pages;
pub mod privacy;
pub mod public;
pub mod store;
pub mod validity;
pub mod xlsform;

use serde::{Deserialize, Serialize};

use crate::{
    date::{Day, cst},
    db::{CampaignId, OrgId, SurveyId, SurveyVersionId, code_enum},
    enterprise::WorkerGroup,
    error::{AppError, FieldError},
    i18n::Lang,
    web::form::{self as webform, Errors},
};

code_enum! {
    /// Where a survey is in its life.
    pub enum SurveyStatus: "survey-status" {
        /// Never published: only its org's readers see it; the public link is 404.
        Draft = "draft",
        /// Published: the link takes responses within the open and close times.
        Published = "published",
        /// Closed by hand: the link says so; reopening publishes it again.
        Closed = "closed",
    }
}

code_enum! {
    /// Where a version's form came from.
    pub enum FormSource: "survey-source" {
        /// An XLSForm workbook.
        Xlsform = "xlsform",
        /// JSON (the builder page or `PUT …/form`).
        Json = "json",
    }
}

/// Why the public link takes no response now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    NotOpen,
    Closed,
    QuotaFull,
    DeviceLimit,
}

impl Refusal {
    /// The machine-readable code of the API error.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::NotOpen => "survey_not_open",
            Refusal::Closed => "survey_closed",
            Refusal::QuotaFull => "quota_full",
            Refusal::DeviceLimit => "device_limit",
        }
    }

    /// The HTTP status: 403 before the opening time, 410 once closed, 409 when
    /// a quota or the device rule refuses this response.
    pub fn status(self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self {
            Refusal::NotOpen => StatusCode::FORBIDDEN,
            Refusal::Closed => StatusCode::GONE,
            Refusal::QuotaFull | Refusal::DeviceLimit => StatusCode::CONFLICT,
        }
    }

    /// The catalogue key of the polite text shown to the respondent.
    pub fn key(self) -> &'static str {
        match self {
            Refusal::NotOpen => "survey-refused-not-open",
            Refusal::Closed => "survey-refused-closed",
            Refusal::QuotaFull => "survey-refused-quota",
            Refusal::DeviceLimit => "survey-refused-device",
        }
    }
}

/// A survey and its publication settings.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Survey {
    pub id: SurveyId,
    pub org_id: OrgId,
    pub org_name: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    pub title: String,
    /// The short text of the poster and the top of the filling page.
    pub intro: Option<String>,
    /// The public link is `/s/{code}`.
    pub code: String,
    pub status: SurveyStatus,
    /// The version respondents fill (absent until first published).
    pub live_version_id: Option<SurveyVersionId>,
    /// Epoch seconds (UTC); absent: no limit.
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    /// The worker groups the survey is for; empty: anyone.
    pub target_groups: Vec<WorkerGroup>,
    pub one_per_device: bool,
    /// The question whose answer is the respondent's worker group.
    pub group_question: String,
    /// The question whose answer is the respondent's region.
    pub region_question: String,
    pub response_count: i64,
    /// The validity rules (有效问卷).
    pub validity: validity::Rules,
    /// While responses are being judged again after a rule change.
    pub recompute: Option<validity::Progress>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Survey {
    /// Why a response arriving at `now` is refused by the status and the
    /// open and close times, if it is.
    pub fn refusal(&self, now: i64) -> Option<Refusal> {
        match self.status {
            SurveyStatus::Draft => Some(Refusal::NotOpen),
            SurveyStatus::Closed => Some(Refusal::Closed),
            SurveyStatus::Published => {
                if self.opens_at.is_some_and(|t| now < t) {
                    Some(Refusal::NotOpen)
                } else if self.closes_at.is_some_and(|t| now >= t) {
                    Some(Refusal::Closed)
                } else {
                    None
                }
            }
        }
    }
}

/// One version of a survey's form.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SurveyVersion)]
pub struct Version {
    pub id: SurveyVersionId,
    pub survey_id: SurveyId,
    /// 1, 2, … within the survey.
    pub number: i64,
    pub question_count: i64,
    pub source: FormSource,
    pub filename: Option<String>,
    /// When it was frozen; absent for the draft.
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub response_count: i64,
}

/// A cap on responses of one worker group and/or region (`""` matches any).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quota {
    #[serde(default)]
    pub worker_group: String,
    #[serde(default)]
    pub region: String,
    pub max_responses: i64,
    /// Responses counted so far (read only).
    #[serde(default)]
    pub filled: i64,
}

impl Quota {
    /// Whether a response of `group` and `region` counts against this quota.
    pub fn matches(&self, group: Option<&str>, region: Option<&str>) -> bool {
        (self.worker_group.is_empty() || Some(self.worker_group.as_str()) == group)
            && (self.region.is_empty() || Some(self.region.as_str()) == region)
    }
}

/// The stored worker group of an answer: a known group's stored spelling
/// (`快递员` → `courier`), else the answer itself.
pub fn group_value(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() {
        return None;
    }
    Some(
        WorkerGroup::parse(t)
            .map(|g| g.as_str().to_string())
            .unwrap_or_else(|| t.chars().take(100).collect()),
    )
}

/// The settings a survey is created and edited with: text as forms and JSON
/// send it. On update, absent fields keep their value.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct SurveyInput {
    #[serde(default, deserialize_with = "webform::lenient")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub intro: Option<String>,
    /// The owning org's code (create only; default: the caller's org).
    #[serde(default, deserialize_with = "webform::lenient")]
    pub org_code: Option<String>,
    /// A campaign id, or empty for none.
    #[serde(default, deserialize_with = "webform::lenient")]
    #[schema(value_type = Option<i64>)]
    pub campaign_id: Option<String>,
    /// `YYYY-MM-DD HH:MM` in Beijing time (or `YYYY-MM-DDTHH:MM`, a date, or
    /// epoch seconds); empty for no limit.
    #[serde(default, deserialize_with = "webform::lenient")]
    pub opens_at: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub closes_at: Option<String>,
    /// Worker groups, comma-separated or a list (`courier`, `快递员`).
    #[serde(default, deserialize_with = "webform::lenient")]
    pub target_groups: Option<String>,
    /// One response per phone (refused once responses without a device key exist).
    #[serde(default, deserialize_with = "webform::lenient")]
    #[schema(value_type = Option<bool>)]
    pub one_per_device: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub group_question: Option<String>,
    #[serde(default, deserialize_with = "webform::lenient")]
    pub region_question: Option<String>,
    /// Replaces every quota when present.
    #[serde(default)]
    pub quotas: Option<Vec<Quota>>,
    /// The quotas as the settings page writes them: one a line,
    /// `group, region, max` (`*` or nothing for any).
    #[serde(default, deserialize_with = "webform::lenient")]
    pub quota_lines: Option<String>,
}

/// Parsed settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SurveyFields {
    pub title: String,
    pub intro: Option<String>,
    pub org_code: Option<String>,
    pub campaign_id: Option<CampaignId>,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub target_groups: Vec<WorkerGroup>,
    pub one_per_device: bool,
    pub group_question: String,
    pub region_question: String,
    pub quotas: Option<Vec<Quota>>,
}

/// Parses a time in Beijing: `2026-11-20 08:00`, `2026-11-20T08:00`,
/// `2026-11-20` (midnight) or epoch seconds.
pub fn parse_time(raw: &str) -> Option<i64> {
    let s = raw.trim();
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let s = s.replace('T', " ");
    let naive = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%d %H:%M:%S"))
        .ok()
        .or_else(|| {
            Day::parse_str(&s).map(|d| d.naive().and_hms_opt(0, 0, 0).unwrap_or_default())
        })?;
    naive
        .and_local_timezone(cst())
        .single()
        .map(|t| t.timestamp())
}

/// A timestamp as the settings form writes it (`YYYY-MM-DDTHH:MM`, Beijing).
pub fn time_input(ts: Option<i64>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// Parses the quota lines of the settings page.
fn quota_lines(field: &str, text: &str) -> Result<Vec<Quota>, FieldError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
        let bad = || FieldError::new(field, "survey-err-quota-line").arg("line", i + 1);
        let [group, region, max] = parts[..] else {
            return Err(bad());
        };
        fn any(s: &str) -> &str {
            if s == "*" { "" } else { s }
        }
        out.push(Quota {
            worker_group: group_value(any(group)).unwrap_or_default(),
            region: any(region).to_string(),
            max_responses: max.parse().map_err(|_| bad())?,
            filled: 0,
        });
    }
    Ok(out)
}

/// The most quotas a survey may have.
pub const MAX_QUOTAS: usize = 200;

impl SurveyInput {
    /// Parses every field, reporting all errors.
    pub fn parse(&self) -> Result<SurveyFields, AppError> {
        let mut errs = Errors::default();
        let title = errs.take(webform::required("title", &self.title, 200));
        let intro = errs
            .take(webform::optional("intro", &self.intro, 2000))
            .flatten();
        let campaign_id = match webform::opt(&self.campaign_id) {
            None => None,
            Some(s) => match s.parse::<i64>() {
                Ok(n) => Some(CampaignId(n)),
                Err(_) => {
                    errs.push(FieldError::new("campaign_id", "err-not-a-number"));
                    None
                }
            },
        };
        let mut time = |field: &str, raw: &Option<String>| match webform::opt(raw) {
            None => None,
            Some(s) => match parse_time(&s) {
                Some(t) => Some(t),
                None => {
                    errs.push(FieldError::new(field, "survey-err-time"));
                    None
                }
            },
        };
        let opens_at = time("opens_at", &self.opens_at);
        let closes_at = time("closes_at", &self.closes_at);
        if let (Some(o), Some(c)) = (opens_at, closes_at)
            && o >= c
        {
            errs.push(FieldError::new("closes_at", "survey-err-window"));
        }
        let mut target_groups = Vec::new();
        for g in webform::opt(&self.target_groups)
            .unwrap_or_default()
            .split([',', '，', ' '])
            .filter(|s| !s.trim().is_empty())
        {
            match WorkerGroup::parse(g) {
                Some(g) if !target_groups.contains(&g) => target_groups.push(g),
                Some(_) => {}
                None => {
                    errs.push(FieldError::new("target_groups", "survey-err-group").arg("value", g))
                }
            }
        }
        let one_per_device = match webform::flag(&self.one_per_device) {
            Ok(b) => b,
            Err(_) => {
                errs.push(FieldError::new("one_per_device", "err-flag"));
                false
            }
        };
        let name = |field: &str, raw: &Option<String>, default: &str, errs: &mut Errors| {
            let v = webform::opt(raw).unwrap_or_else(|| default.to_string());
            if !form::is_valid_name(&v) {
                errs.push(FieldError::new(field, "survey-err-question-name"));
            }
            v
        };
        let group_question = name(
            "group_question",
            &self.group_question,
            "worker_group",
            &mut errs,
        );
        let region_question = name(
            "region_question",
            &self.region_question,
            "region",
            &mut errs,
        );
        let mut quotas = match (&self.quotas, webform::opt(&self.quota_lines)) {
            (Some(q), _) => Some(q.clone()),
            (None, Some(text)) => errs.take(quota_lines("quota_lines", &text)),
            (None, None) if self.quota_lines.is_some() => Some(Vec::new()),
            (None, None) => None,
        };
        if let Some(qs) = &mut quotas {
            let mut seen = std::collections::BTreeSet::new();
            for q in qs.iter_mut() {
                q.worker_group = group_value(&q.worker_group).unwrap_or_default();
                q.region = q.region.trim().chars().take(100).collect();
                q.filled = 0;
                if q.max_responses < 0 {
                    errs.push(FieldError::new("quotas", "survey-err-quota-negative"));
                }
                if !seen.insert((q.worker_group.clone(), q.region.clone())) {
                    errs.push(FieldError::new("quotas", "survey-err-quota-twice"));
                }
            }
            if qs.len() > MAX_QUOTAS {
                errs.push(FieldError::new("quotas", "err-too-long").arg("max", MAX_QUOTAS));
            }
        }
        errs.finish()?;
        Ok(SurveyFields {
            title: title.unwrap_or_default(),
            intro,
            org_code: webform::opt(&self.org_code),
            campaign_id,
            opens_at,
            closes_at,
            target_groups,
            one_per_device,
            group_question,
            region_question,
            quotas,
        })
    }

    /// The input that reproduces a survey's settings (for edit pages and
    /// partial API updates).
    pub fn of(s: &Survey, quotas: &[Quota]) -> SurveyInput {
        SurveyInput {
            title: Some(s.title.clone()),
            intro: s.intro.clone(),
            org_code: None,
            campaign_id: s.campaign_id.map(|c| c.to_string()),
            opens_at: s.opens_at.map(|t| t.to_string()),
            closes_at: s.closes_at.map(|t| t.to_string()),
            target_groups: Some(
                s.target_groups
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            one_per_device: Some(if s.one_per_device { "1" } else { "0" }.into()),
            group_question: Some(s.group_question.clone()),
            region_question: Some(s.region_question.clone()),
            quotas: Some(quotas.to_vec()),
            quota_lines: None,
        }
    }

    /// `self` with absent fields taken from `base` (a PATCH).
    pub fn over(self, base: SurveyInput) -> SurveyInput {
        SurveyInput {
            title: self.title.or(base.title),
            intro: self.intro.or(base.intro),
            org_code: None,
            campaign_id: self.campaign_id.or(base.campaign_id),
            opens_at: self.opens_at.or(base.opens_at),
            closes_at: self.closes_at.or(base.closes_at),
            target_groups: self.target_groups.or(base.target_groups),
            one_per_device: self.one_per_device.or(base.one_per_device),
            group_question: self.group_question.or(base.group_question),
            region_question: self.region_question.or(base.region_question),
            quotas: if self.quota_lines.is_some() {
                None
            } else {
                self.quotas.or(base.quotas)
            },
            quota_lines: self.quota_lines,
        }
    }
}

/// The most surveys a list shows.
pub const LIST_LIMIT: i64 = 500;

/// Responses a review page shows.
pub const REVIEW_PAGE: i64 = 50;

/// A survey with its versions, quotas and public addresses.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyDetail {
    pub survey: Survey,
    /// Valid questionnaires (有效问卷): `store::valid_count`.
    pub valid_count: i64,
    /// Newest first.
    pub versions: Vec<Version>,
    pub quotas: Vec<Quota>,
    /// The public link (answers only once published).
    #[schema(example = "https://qingting.example.cn/s/k3v9x2")]
    pub link: String,
    pub qr_svg: String,
    pub qr_png: String,
    pub poster: String,
}

/// A version saved: which, and whether a new one was started.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SavedVersion {
    pub version_id: SurveyVersionId,
    /// True when the newest version was published, so this is a new draft.
    pub created: bool,
}

/// The body of a status change.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = SurveyStatusInput)]
pub struct StatusInput {
    /// `closed` (close a published survey) or `published` (reopen it).
    #[schema(example = "closed")]
    pub status: String,
}

impl StatusInput {
    /// The status asked for: `closed` or `published` (a 422 lists them).
    pub fn parse(&self) -> Result<SurveyStatus, AppError> {
        SurveyStatus::from_code(self.status.trim())
            .ok_or_else(|| AppError::field("status", "survey-err-status"))
    }
}

/// A survey's validity rules, the progress of a running recomputation and
/// its responses counted by verdict.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValidityState {
    pub rules: validity::Rules,
    /// Present while responses are judged again after a rule change.
    pub recompute: Option<validity::Progress>,
    pub counts: validity::Counts,
}

/// A reviewer's verdict as the page and the API send it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ValidityOverrideInput)]
pub struct OverrideInput {
    /// `true` (valid), `false` (invalid), or empty/null to go back to the rules' verdict.
    #[serde(default, deserialize_with = "webform::lenient")]
    #[schema(value_type = Option<bool>, example = false)]
    pub valid: Option<String>,
    /// Why (required, also to remove an override): kept with the response and audited.
    #[serde(default, deserialize_with = "webform::lenient")]
    #[schema(example = "答题时间不足一分钟，核实为误填")]
    pub note: Option<String>,
}

/// A verdict parsed: `Some(valid)` or `None` (back to the rules), and the note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideFields {
    pub valid: Option<bool>,
    pub note: String,
}

impl OverrideInput {
    /// Parses the verdict and the required note, every bad field reported.
    pub fn parse(&self) -> Result<OverrideFields, AppError> {
        let mut errs = Errors::default();
        let note = errs.take(webform::required("note", &self.note, 1000));
        let valid = match webform::opt(&self.valid) {
            None => None,
            Some(_) => match webform::flag(&self.valid) {
                Ok(b) => Some(b),
                Err(_) => {
                    errs.push(FieldError::new("valid", "err-flag"));
                    None
                }
            },
        };
        errs.finish()?;
        Ok(OverrideFields {
            valid,
            note: note.unwrap_or_default(),
        })
    }
}

/// The query of the review list.
#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// `all` (default), `valid`, `invalid` or `overridden`.
    pub validity: Option<String>,
    /// From 1.
    pub page: Option<i64>,
}

/// Which version of a form to read.
#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct FormQuery {
    /// A version id; default: the newest version.
    #[param(value_type = Option<i64>)]
    pub version: Option<SurveyVersionId>,
}

/// A form rule broken, as a field error on `form` naming the item.
pub fn form_errors(form: &form::Form, errs: &[form::FormError], lang: Lang) -> AppError {
    let items = form.walk();
    AppError::Validation(
        errs.iter()
            .map(|e| {
                let place = match e.place {
                    form::Place::Item(i) => items
                        .get(i)
                        .map(|it| it.name().to_string())
                        .unwrap_or_default(),
                    form::Place::Choice { list, choice } => {
                        let l = form.choice_lists.get(list);
                        format!(
                            "{}/{}",
                            l.map(|l| l.name.as_str()).unwrap_or(""),
                            l.and_then(|l| l.choices.get(choice))
                                .map(|c| c.name.as_str())
                                .unwrap_or("")
                        )
                    }
                };
                FieldError::new("form", "survey-err-form-item")
                    .arg("item", place)
                    .arg("column", e.field)
                    .arg("message", lang.ta(e.key, &[("detail", e.detail.clone())]))
            })
            .collect(),
    )
}

/// A quota's lines as the settings page shows them.
pub fn quota_text(quotas: &[Quota]) -> String {
    quotas
        .iter()
        .map(|q| {
            let any = |s: &str| {
                if s.is_empty() {
                    "*".to_string()
                } else {
                    s.to_string()
                }
            };
            format!(
                "{}, {}, {}",
                any(&q.worker_group),
                any(&q.region),
                q.max_responses
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_in_beijing() {
        assert_eq!(parse_time("2026-11-20 08:00"), Some(1_795_132_800));
        assert_eq!(parse_time("2026-11-20T08:00"), Some(1_795_132_800));
        assert_eq!(parse_time("2026-11-20"), Some(1_795_132_800 - 8 * 3600));
        assert_eq!(parse_time("1795132800"), Some(1_795_132_800));
        assert_eq!(parse_time("tomorrow"), None);
        assert_eq!(time_input(Some(1_795_132_800)), "2026-11-20T08:00");
    }

    #[test]
    fn settings_parse_with_every_error_reported() {
        let input = SurveyInput {
            title: Some("新就业形态劳动者调查".into()),
            target_groups: Some("快递员, food_delivery,快递员".into()),
            quota_lines: Some("courier, *, 500\n*, 上海, 1000\n外卖员,,20".into()),
            ..Default::default()
        };
        let f = input.parse().unwrap();
        assert_eq!(
            f.target_groups,
            [WorkerGroup::Courier, WorkerGroup::FoodDelivery]
        );
        let q = f.quotas.unwrap();
        assert_eq!(q.len(), 3);
        assert_eq!(
            (q[0].worker_group.as_str(), q[0].region.as_str()),
            ("courier", "")
        );
        assert_eq!(
            (q[1].worker_group.as_str(), q[1].region.as_str()),
            ("", "上海")
        );
        assert_eq!(q[2].worker_group, "food_delivery");
        assert!(q[1].matches(Some("courier"), Some("上海")));
        assert!(!q[1].matches(Some("courier"), None));
        let bad = SurveyInput {
            opens_at: Some("2026-11-20".into()),
            closes_at: Some("2026-11-19".into()),
            target_groups: Some("boss".into()),
            quota_lines: Some("courier 5".into()),
            group_question: Some("1x".into()),
            ..Default::default()
        };
        let Err(AppError::Validation(fs)) = bad.parse() else {
            panic!("refused")
        };
        let fields: Vec<&str> = fs.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "title",
                "closes_at",
                "target_groups",
                "group_question",
                "quota_lines"
            ]
        );
    }

    #[test]
    fn the_window_decides_refusals() {
        let s = Survey {
            id: SurveyId(1),
            org_id: OrgId(1),
            org_name: String::new(),
            campaign_id: None,
            campaign_title: None,
            title: String::new(),
            intro: None,
            code: String::new(),
            status: SurveyStatus::Published,
            live_version_id: Some(SurveyVersionId(1)),
            opens_at: Some(100),
            closes_at: Some(200),
            target_groups: Vec::new(),
            one_per_device: false,
            group_question: String::new(),
            region_question: String::new(),
            response_count: 0,
            validity: validity::Rules::default(),
            recompute: None,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(s.refusal(99), Some(Refusal::NotOpen));
        assert_eq!(s.refusal(100), None);
        assert_eq!(s.refusal(200), Some(Refusal::Closed));
        let closed = Survey {
            status: SurveyStatus::Closed,
            ..s
        };
        assert_eq!(closed.refusal(150), Some(Refusal::Closed));
    }
}
