//! The public side of a survey: the link `/s/{code}` a respondent opens from a
//! QR code, its QR codes and printable poster, and the submission endpoint.
//!
//! The filling page is server-rendered (it works without JavaScript: the form
//! posts to `/s/{code}`); `assets/survey-fill.js` adds live skip logic and
//! constraints, keeps answers on the phone, and sends the response as JSON to
//! `/api/v1/s/{code}/responses`, queueing it while the phone is offline. Each
//! response carries the instance id the page generated when it started, so a
//! retry finds the first row (a unique key) instead of adding a second.

use std::collections::BTreeMap;

use crate::web::{Form as PageForm, Json, Path, Query};
use askama::Template;
use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Refusal, Survey, SurveyStatus, Version,
    answers::{self, AnswerError, Rule},
    expr::{self, Expr},
    form::{Appearance, Form, Item, Question, QuestionKind, Required, choice_order},
    group_value, intake, store,
};
use crate::{
    activity::valid_client_id,
    auth::random_token,
    date::Day,
    db::{ResponseId, SurveyVersionId, now},
    error::{AppError, AppResult},
    i18n::Lang,
    web::{
        AppState,
        errors::{ErrorBody, ErrorDetail},
        openapi,
        page::{Chrome, render},
    },
};

/// The largest response body accepted, in bytes: room for dozens of long
/// text answers, far below what would let one request tie up the server.
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// The cookie holding the phone's device id (also kept in localStorage).
const DEVICE_COOKIE: &str = "qt_device";

/// The respondents' routes: the API (one `routes!` per path, the submission
/// with its body limit), then the filling page, the QR codes and the poster.
pub fn router() -> OpenApiRouter<AppState> {
    let limit = DefaultBodyLimit::max(MAX_BODY_BYTES);
    let (schemas, paths, submit) = routes!(api_submit);
    openapi::domain(
        "respond",
        "What respondents reach without logging in: published surveys by their link code",
    )
    .routes(routes!(api_public_form))
    .routes((schemas, paths, submit.layer(limit)))
    .route("/s/{code}", get(fill_page).post(fill_post).layer(limit))
    .route("/s/{code}/qr.svg", get(qr_svg))
    .route("/s/{code}/qr.png", get(qr_png))
    .route("/s/{code}/poster", get(poster_page))
}

/// The survey behind a link, if the public may see it (published or closed).
async fn public_survey(state: &AppState, code: &str) -> AppResult<Survey> {
    if !store::is_code(code) {
        return Err(AppError::NotFound);
    }
    store::by_code(&state.db, code)
        .await?
        .filter(|s| s.status != SurveyStatus::Draft && s.live_version_id.is_some())
        .ok_or(AppError::NotFound)
}

/// The respondent's language: `?lang=`, the `lang` cookie, then the phone's
/// `Accept-Language` (a respondent has set no cookie here), else Chinese.
fn respondent_lang(headers: &HeaderMap, asked: Option<&str>) -> Lang {
    asked
        .and_then(Lang::from_tag)
        .or_else(|| {
            CookieJar::from_headers(headers)
                .get("lang")
                .and_then(|c| Lang::from_tag(c.value()))
        })
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

// ---- the filling page ----

/// One row of the filling page: the form flattened, so the template needs no recursion.
enum Row {
    PageStart(usize),
    PageEnd,
    /// `matrix`: a `table-list` group, whose questions show as rows of buttons.
    GroupStart {
        name: String,
        label: String,
        matrix: bool,
    },
    GroupEnd,
    Question(Box<QuestionView>),
}

/// A question as the page shows it.
struct QuestionView {
    name: String,
    /// select_one, select_multiple, dropdown, text, integer, decimal, date,
    /// note, scale (a range shown as buttons), rating (the same, as stars) or
    /// number (a long range).
    kind: &'static str,
    label: String,
    hint: String,
    required: bool,
    horizontal: bool,
    choices: Vec<(String, String)>,
    other: bool,
    min: String,
    max: String,
    step: String,
    value: String,
    other_value: String,
    error: Option<String>,
}

impl QuestionView {
    fn picked(&self, choice: &str) -> bool {
        self.value.split(' ').any(|v| v == choice)
    }

    fn other_id(&self) -> String {
        answers::other_key(&self.name)
    }
}

/// How many steps a range has; up to 11 show as buttons.
fn range_steps(start: f64, end: f64, step: f64) -> usize {
    ((end - start).abs() / step).floor() as usize + 1
}

/// What the rows of a page are drawn from.
struct Draw<'a> {
    form: &'a Form,
    lang: Lang,
    values: &'a BTreeMap<String, String>,
    errors: &'a BTreeMap<String, String>,
    /// The respondent's seed for shuffled choices (the instance id of the page).
    seed: &'a str,
}

fn view(d: &Draw<'_>, q: &Question) -> QuestionView {
    let Draw {
        form,
        lang,
        values,
        errors,
        seed,
    } = *d;
    let text = |l: &super::form::Labels| l.get(lang.code()).unwrap_or("").to_string();
    let mut v = QuestionView {
        name: q.name.clone(),
        kind: "text",
        label: q.label.get(lang.code()).unwrap_or(&q.name).to_string(),
        hint: text(&q.hint),
        required: q.required == Required::Yes,
        horizontal: q.appearance.contains(&Appearance::Horizontal),
        choices: Vec::new(),
        other: q.other,
        min: String::new(),
        max: String::new(),
        step: String::new(),
        value: values.get(&q.name).cloned().unwrap_or_default(),
        other_value: values
            .get(&answers::other_key(&q.name))
            .cloned()
            .unwrap_or_default(),
        error: errors.get(&q.name).cloned(),
    };
    v.kind = match &q.kind {
        QuestionKind::SelectOne | QuestionKind::SelectMultiple => {
            if let Some(list) = q
                .choices
                .as_deref()
                .and_then(|n| form.choice_lists.iter().find(|l| l.name == n))
            {
                v.choices = list
                    .choices
                    .iter()
                    .map(|c| {
                        (
                            c.name.clone(),
                            c.label.get(lang.code()).unwrap_or(&c.name).to_string(),
                        )
                    })
                    .collect();
                // In this respondent's order; "other" is drawn after them.
                if q.shuffle {
                    let listed = std::mem::take(&mut v.choices);
                    v.choices = choice_order(seed, &q.name, listed.len())
                        .into_iter()
                        .map(|i| listed[i].clone())
                        .collect();
                }
            }
            match q.kind {
                QuestionKind::SelectMultiple => "select_multiple",
                _ if q.appearance.contains(&Appearance::Minimal) => "dropdown",
                _ => "select_one",
            }
        }
        QuestionKind::Text => "text",
        QuestionKind::Integer => "integer",
        QuestionKind::Decimal => "decimal",
        QuestionKind::Date => "date",
        QuestionKind::Note => "note",
        QuestionKind::Range { start, end, step } => {
            v.min = expr::number_to_text(start.min(*end));
            v.max = expr::number_to_text(start.max(*end));
            v.step = expr::number_to_text(*step);
            let stars = q.appearance.contains(&Appearance::Rating);
            if range_steps(*start, *end, *step) <= 11 {
                v.choices = (0..range_steps(*start, *end, *step))
                    .map(|i| {
                        let dir = if end >= start { 1.0 } else { -1.0 };
                        let n = expr::number_to_text(start + dir * step * i as f64);
                        let label = if stars { format!("{n}★") } else { n.clone() };
                        (n, label)
                    })
                    .collect();
                if stars { "rating" } else { "scale" }
            } else {
                "number"
            }
        }
    };
    v
}

/// The rows of the page. A top-level `field-list` group is a page of its own
/// and the items between such groups share one; without any, everything is
/// one page.
fn rows(d: &Draw<'_>) -> (Vec<Row>, usize) {
    fn walk(items: &[Item], d: &Draw<'_>, out: &mut Vec<Row>, matrix: bool) {
        let lang = d.lang;
        for it in items {
            match it {
                Item::Question(q) => {
                    let mut v = view(d, q);
                    v.horizontal |= matrix;
                    out.push(Row::Question(Box::new(v)));
                }
                Item::Group(g) => {
                    let matrix = g.appearance.contains(&Appearance::TableList);
                    out.push(Row::GroupStart {
                        name: g.name.clone(),
                        label: g.label.get(lang.code()).unwrap_or("").to_string(),
                        matrix,
                    });
                    walk(&g.items, d, out, matrix);
                    out.push(Row::GroupEnd);
                }
            }
        }
    }
    let is_page =
        |it: &Item| matches!(it, Item::Group(g) if g.appearance.contains(&Appearance::FieldList));
    let is_note = |it: &Item| matches!(it, Item::Question(q) if q.kind == QuestionKind::Note);
    let form = d.form;
    let paged = form.items.iter().any(is_page);
    let mut out = Vec::new();
    let mut pages = 0;
    let mut open = false;
    // Only notes on the open page so far: an introduction, kept with what follows.
    let mut only_notes = true;
    for it in &form.items {
        let starts_page = paged && is_page(it) && !only_notes;
        if !open || starts_page {
            if open {
                out.push(Row::PageEnd);
            }
            out.push(Row::PageStart(pages));
            pages += 1;
            open = true;
            only_notes = true;
        }
        walk(std::slice::from_ref(it), d, &mut out, false);
        only_notes &= is_note(it);
        if paged && is_page(it) {
            out.push(Row::PageEnd);
            open = false;
        }
    }
    if open {
        out.push(Row::PageEnd);
    }
    (out, pages)
}

/// The tree the page script evaluates: names, types, expressions and lists.
fn client_items(items: &[Item]) -> Vec<Value> {
    let tree = |e: &Option<Expr>| {
        e.as_ref().map_or(Value::Null, |e| {
            serde_json::to_value(e).unwrap_or(Value::Null)
        })
    };
    items
        .iter()
        .map(|it| match it {
            Item::Group(g) => json!({
                "n": g.name, "t": "group", "rel": tree(&g.relevant), "items": client_items(&g.items),
            }),
            Item::Question(q) => {
                let (t, range) = match &q.kind {
                    QuestionKind::SelectOne => ("select_one", Value::Null),
                    QuestionKind::SelectMultiple => ("select_multiple", Value::Null),
                    QuestionKind::Text => ("text", Value::Null),
                    QuestionKind::Integer => ("integer", Value::Null),
                    QuestionKind::Decimal => ("decimal", Value::Null),
                    QuestionKind::Date => ("date", Value::Null),
                    QuestionKind::Note => ("note", Value::Null),
                    QuestionKind::Range { start, end, step } => ("range", json!([start, end, step])),
                };
                let req = match &q.required {
                    Required::No => json!(false),
                    Required::Yes => json!(true),
                    Required::When(e) => serde_json::to_value(e).unwrap_or(Value::Null),
                };
                json!({
                    "n": q.name, "t": t, "rel": tree(&q.relevant), "req": req,
                    "con": tree(&q.constraint), "cf": tree(&q.choice_filter),
                    "list": q.choices, "other": q.other, "range": range,
                    "shuffle": q.shuffle,
                })
            }
        })
        .collect()
}

/// Everything the page script needs, as JSON safe inside a `<script>` element.
#[allow(clippy::too_many_arguments)]
fn config(
    s: &Survey,
    version: SurveyVersionId,
    form: &Form,
    lang: Lang,
    preview: bool,
    device: &str,
    link: &LinkParams,
) -> String {
    let lists: serde_json::Map<String, Value> = form
        .choice_lists
        .iter()
        .map(|l| {
            let cs: Vec<Value> = l
                .choices
                .iter()
                .map(|c| json!({"n": c.name, "x": c.extra}))
                .collect();
            (l.name.clone(), Value::Array(cs))
        })
        .collect();
    let mut msg = serde_json::Map::new();
    for rule in [
        Rule::Required,
        Rule::Integer,
        Rule::Decimal,
        Rule::Date,
        Rule::Choice,
        Rule::Constraint,
        Rule::Other,
    ] {
        msg.insert(
            rule.as_str().into(),
            json!(lang.t(&answers::rule_key(rule))),
        );
    }
    msg.insert(
        "too_long".into(),
        json!(lang.ta(
            &answers::rule_key(Rule::TooLong),
            &[("max", answers::MAX_TEXT_CHARS.to_string())]
        )),
    );
    for key in [
        "saved", "sending", "sent", "retry", "invalid", "preview", "network",
    ] {
        msg.insert(key.into(), json!(lang.t(&format!("survey-fill-{key}"))));
    }
    // The script puts the numbers in.
    msg.insert(
        "page".into(),
        json!(lang.ta(
            "survey-fill-page",
            &[("n", "{n}".into()), ("total", "{total}".into())]
        )),
    );
    for r in [
        Refusal::NotOpen,
        Refusal::Closed,
        Refusal::QuotaFull,
        Refusal::DeviceLimit,
    ] {
        msg.insert(r.code().into(), json!(lang.t(r.key())));
    }
    // The form's own messages and each range's bounds, in the page's language.
    let mut own = serde_json::Map::new();
    for q in form.questions() {
        let mut m = serde_json::Map::new();
        if let Some(t) = q.required_message.get(lang.code()) {
            m.insert("required".into(), json!(t));
        }
        if let Some(t) = q.constraint_message.get(lang.code()) {
            m.insert("constraint".into(), json!(t));
        }
        if let QuestionKind::Range { start, end, .. } = q.kind {
            m.insert(
                "range".into(),
                json!(lang.ta(
                    &answers::rule_key(Rule::Range),
                    &[
                        ("min", expr::number_to_text(start.min(end))),
                        ("max", expr::number_to_text(start.max(end))),
                    ]
                )),
            );
        }
        if !m.is_empty() {
            own.insert(q.name.clone(), Value::Object(m));
        }
    }
    let v = json!({
        "code": s.code, "version": version, "lang": lang.code(), "preview": preview,
        "submit": format!("/api/v1/s/{}/responses", s.code),
        "device": device, "g": link.g, "r": link.r,
        "items": client_items(&form.items), "lists": lists, "msg": msg, "own": own,
    });
    // `<` only occurs inside JSON strings, where \u003c means the same.
    v.to_string().replace('<', "\\u003c")
}

#[derive(Template)]
#[template(path = "survey/fill.html")]
struct FillPage {
    c: Chrome,
    title: String,
    intro: Option<String>,
    code: String,
    version: SurveyVersionId,
    rows: Vec<Row>,
    preview: bool,
    config: String,
    instance: String,
    started: i64,
    link: LinkParams,
    /// The other language the form is written in, if any: (code, name).
    switch: Option<(&'static str, String)>,
    errors: bool,
    can_repeat: bool,
}

/// The parameters a link may carry: the worker group and region of the
/// station a poster hangs at (used when the form does not ask).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct LinkParams {
    pub g: Option<String>,
    pub r: Option<String>,
    pub lang: Option<String>,
}

/// The language the page offers besides its own, when the form has texts in it.
fn other_language(form: &Form, lang: Lang) -> Option<(&'static str, String)> {
    let other = match lang {
        Lang::Zh => Lang::En,
        Lang::En => Lang::Zh,
    };
    let primary = other.code().split('-').next().unwrap_or("");
    let has = form.languages.iter().any(|l| {
        super::form::language_code(l)
            .is_some_and(|c| c.to_ascii_lowercase().split('-').next() == Some(primary))
    });
    has.then(|| (other.code(), lang.t("lang-switch")))
}

#[allow(clippy::too_many_arguments)]
fn fill(
    s: &Survey,
    version: SurveyVersionId,
    form: &Form,
    lang: Lang,
    preview: bool,
    device: &str,
    link: LinkParams,
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, String>,
    instance: Option<String>,
) -> FillPage {
    // The instance id is also the seed of shuffled choices: the page without
    // JavaScript posts it back, so a page shown again with its errors keeps
    // the order; the script keeps it as the respondent's seed.
    let instance = instance.unwrap_or_else(|| random_token(12));
    let (rows, _) = rows(&Draw {
        form,
        lang,
        values: &values,
        errors: &errors,
        seed: &instance,
    });
    FillPage {
        c: Chrome::bare(lang, &format!("/s/{}", s.code)),
        title: s.title.clone(),
        intro: s.intro.clone(),
        code: s.code.clone(),
        version,
        rows,
        preview,
        config: config(s, version, form, lang, preview, device, &link),
        instance,
        started: now(),
        link,
        switch: other_language(form, lang),
        errors: !errors.is_empty(),
        can_repeat: !s.one_per_device,
    }
}

/// The management preview: the page of any version, in a phone-sized frame; nothing is sent.
pub fn preview(
    _state: &AppState,
    lang: Lang,
    s: &Survey,
    v: &Version,
    form: &Form,
) -> AppResult<Response> {
    let mut page = fill(
        s,
        v.id,
        form,
        lang,
        true,
        "",
        LinkParams::default(),
        BTreeMap::new(),
        BTreeMap::new(),
        None,
    );
    page.c.path = format!("/surveys/{}/preview", s.id);
    render(page)
}

#[derive(Template)]
#[template(path = "survey/message.html")]
struct MessagePage {
    c: Chrome,
    title: String,
    text: String,
    ok: bool,
}

fn message_page(
    lang: Lang,
    status: StatusCode,
    title: &str,
    text: String,
    ok: bool,
) -> AppResult<Response> {
    let page = MessagePage {
        c: Chrome::bare(lang, "/"),
        title: title.to_string(),
        text,
        ok,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn refusal_page(lang: Lang, s: &Survey, r: Refusal) -> AppResult<Response> {
    let mut text = lang.t(r.key());
    if r == Refusal::NotOpen
        && let Some(t) = s.opens_at
    {
        text = format!(
            "{text} {}",
            lang.ta("survey-opens-at", &[("time", lang.datetime(t))])
        );
    }
    message_page(lang, r.status(), &s.title, text, false)
}

/// The device id of a request: the phone's own (from the page), else the cookie.
fn device_of(given: Option<&str>, jar: &CookieJar) -> Option<String> {
    given
        .map(str::trim)
        .filter(|d| valid_client_id(d))
        .map(str::to_string)
        .or_else(|| {
            jar.get(DEVICE_COOKIE)
                .map(|c| c.value().to_string())
                .filter(|d| valid_client_id(d))
        })
}

async fn fill_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(link): Query<LinkParams>,
) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    let lang = respondent_lang(&headers, link.lang.as_deref());
    if let Some(r) = s.refusal(now()) {
        return refusal_page(lang, &s, r);
    }
    let quotas = store::quotas(&state.db, s.id).await?;
    if quotas
        .iter()
        .any(|q| q.worker_group.is_empty() && q.region.is_empty() && q.filled >= q.max_responses)
    {
        return refusal_page(lang, &s, Refusal::QuotaFull);
    }
    let device = device_of(None, &jar).unwrap_or_else(|| random_token(12));
    if s.one_per_device && store::device_answered(&state.db, s.id, &device).await? {
        return refusal_page(lang, &s, Refusal::DeviceLimit);
    }
    let version = s.live_version_id.ok_or(AppError::NotFound)?;
    let form = state
        .intake
        .form(&state.db, s.id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = fill(
        &s,
        version,
        &form,
        lang,
        false,
        &device,
        link,
        BTreeMap::new(),
        BTreeMap::new(),
        None,
    );
    let cookie = Cookie::build((DEVICE_COOKIE, device))
        .path("/")
        .http_only(true)
        .secure(state.settings.cookie_secure())
        .same_site(SameSite::Lax)
        .permanent()
        .build();
    Ok((jar.add(cookie), render(page)?).into_response())
}

// ---- submissions ----

/// A response as the page (or any client) sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct Submission {
    /// Generated by the phone when the respondent starts: 8–64 letters, digits, `-` or `_`.
    pub instance_id: String,
    /// The published version answered; default: the live version.
    pub version_id: Option<SurveyVersionId>,
    /// `{question name: answer}`: text, a number, or a list of choices (or the
    /// choices space-separated). "Other, please specify" goes in `{name}_other`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, AnswerValue>)]
    pub answers: BTreeMap<String, Value>,
    /// The respondent's language for messages (`zh-CN`, `en`).
    pub lang: Option<String>,
    pub device_id: Option<String>,
    /// Epoch seconds on the phone: when the first question showed, and when it was sent.
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// The worker group and region from the link, for forms that do not ask.
    pub group: Option<String>,
    pub region: Option<String>,
}

/// One answer as a submission may write it (the document's view of
/// `Submission::answers`; the handler reads the JSON as it comes).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum AnswerValue {
    /// Text, a date, or choices space-separated.
    Text(String),
    Number(f64),
    /// The choices of a multiple choice.
    Choices(Vec<String>),
}

/// A stored response.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Stored {
    pub id: ResponseId,
    pub instance_id: String,
    /// True when this instance id had been stored before (a retry).
    pub duplicate: bool,
}

/// The 422 body: the shape of every API error, each field naming the question and the rule.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvalidBody {
    pub error: InvalidDetail,
}

/// What was wrong with the answers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvalidDetail {
    pub code: String,
    pub message: String,
    pub fields: Vec<InvalidAnswer>,
}

/// One broken rule.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvalidAnswer {
    /// The question's name.
    pub field: String,
    pub rule: Rule,
    /// In the respondent's language, naming the question by its label.
    pub message: String,
}

enum Outcome {
    Stored(ResponseId),
    Duplicate(ResponseId),
}

enum Failure {
    Refused(Refusal),
    Invalid(Vec<AnswerError>, Form),
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::App(e.into())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::App(AppError::Internal(e))
    }
}

/// A JSON answer as the text the expression language reads.
fn answer_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(" ")),
        Value::Object(_) => None,
    }
}

/// A phone's clock reading, kept when plausible (after 2000, before next year).
fn plausible(t: Option<i64>) -> Option<i64> {
    t.filter(|t| *t > 946_684_800 && *t < now() + 366 * 86_400)
}

/// Checks and stores one response (see the module comment for retries).
async fn submit(
    state: &AppState,
    s: &Survey,
    sub: Submission,
    cookie_device: Option<String>,
    lang: Lang,
) -> Result<Outcome, Failure> {
    let instance = sub.instance_id.trim().to_string();
    if !valid_client_id(&instance) {
        return Err(
            AppError::BadRequest("instance_id must be 8 to 64 letters, digits, - or _").into(),
        );
    }
    if let Some(id) = store::response_by_instance(state.db.pool(), s.id, &instance).await? {
        return Ok(Outcome::Duplicate(id));
    }
    if let Some(r) = s.refusal(now()) {
        return Err(Failure::Refused(r));
    }
    let version = sub
        .version_id
        .or(s.live_version_id)
        .ok_or(AppError::NotFound)?;
    let form = state
        .intake
        .form(&state.db, s.id, version)
        .await?
        .ok_or(AppError::BadRequest(
            "version_id is not a published version of this survey",
        ))?;
    let mut raw = BTreeMap::new();
    for (k, v) in &sub.answers {
        let text = answer_text(v).ok_or(AppError::BadRequest(
            "an answer must be text, a number or a list",
        ))?;
        raw.insert(k.clone(), text);
    }
    let today = Day::today();
    let kept =
        answers::check(&form, &raw, today).map_err(|e| Failure::Invalid(e, (*form).clone()))?;
    let asks = |name: &str| form.questions().iter().any(|q| q.name == name);
    let group = if asks(&s.group_question) {
        kept.get(&s.group_question).and_then(|g| group_value(g))
    } else {
        sub.group.as_deref().and_then(group_value)
    };
    let region = if asks(&s.region_question) {
        kept.get(&s.region_question).cloned()
    } else {
        sub.region
            .as_deref()
            .map(|r| r.trim().chars().take(100).collect())
    }
    .filter(|r: &String| !r.is_empty());
    if !s.target_groups.is_empty()
        && let Some(g) = group
            .as_deref()
            .and_then(crate::enterprise::WorkerGroup::parse)
        && !s.target_groups.contains(&g)
    {
        let names = s
            .target_groups
            .iter()
            .map(|g| lang.t(&g.label_key()))
            .collect::<Vec<_>>()
            .join(if lang == Lang::Zh { "、" } else { ", " });
        return Err(Failure::Invalid(
            vec![AnswerError::target(&s.group_question, names)],
            (*form).clone(),
        ));
    }
    let device = device_of(sub.device_id.as_deref(), &CookieJar::new()).or(cookie_device);
    if s.one_per_device {
        let Some(d) = device.as_deref() else {
            return Err(AppError::BadRequest(
                "this survey takes one response per device: send device_id",
            )
            .into());
        };
        if store::device_answered(&state.db, s.id, d).await? {
            return Err(Failure::Refused(Refusal::DeviceLimit));
        }
    }
    let new = store::NewResponse {
        survey: s.id,
        version,
        org: s.org_id,
        instance_id: instance.clone(),
        answers: serde_json::to_string(&kept).map_err(anyhow::Error::from)?,
        lang: sub
            .lang
            .as_deref()
            .and_then(Lang::from_tag)
            .unwrap_or(lang)
            .code()
            .to_string(),
        worker_group: group.clone(),
        region: region.clone(),
        device_key: if s.one_per_device {
            device.clone()
        } else {
            None
        },
        device_id: device,
        started_at: plausible(sub.started_at),
        ended_at: plausible(sub.ended_at),
        reasons: Vec::new(),
    };
    // The verdict, the row, the quota and the coded copy are written by the
    // server's submission writer, committed with whatever else is arriving.
    let pending = intake::Pending {
        new,
        kept,
        layout: state.intake.layout(s.id, version, &form),
        form,
        rules: s.validity.clone(),
        today,
    };
    match state.intake.write(pending).await? {
        intake::Written::Stored(id) => Ok(Outcome::Stored(id)),
        intake::Written::Duplicate(id) => Ok(Outcome::Duplicate(id)),
        intake::Written::Refused(r) => Err(Failure::Refused(r)),
    }
}

fn refusal_json(lang: Lang, r: Refusal) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: r.code().to_string(),
            message: lang.t(r.key()),
            fields: Vec::new(),
        },
    };
    (r.status(), Json(body)).into_response()
}

fn invalid_json(lang: Lang, errs: &[AnswerError], form: &Form) -> Response {
    let body = InvalidBody {
        error: InvalidDetail {
            code: "validation".into(),
            message: lang.t("survey-err-invalid"),
            fields: errs
                .iter()
                .map(|e| InvalidAnswer {
                    field: e.question.clone(),
                    rule: e.rule,
                    message: e.message(form, lang),
                })
                .collect(),
        },
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Stores one response. A retry with the same `instance_id` answers 200 with
/// the first response's id and stores nothing. Answers to questions hidden by
/// skip logic are dropped; every other broken rule is a 422 naming the
/// question and the rule in the respondent's language (`lang`, else
/// `Accept-Language`).
#[utoipa::path(post, path = "/api/v1/s/{code}/responses", tag = "respond", params(("code" = String, Path)),
    request_body = Submission,
    responses((status = 201, body = Stored), (status = 200, description = "a retry: the first response", body = Stored),
        (status = 400, description = "malformed body", body = ErrorBody),
        (status = 403, description = "survey_not_open", body = ErrorBody),
        (status = 404, description = "no published survey with that code", body = ErrorBody),
        (status = 409, description = "quota_full or device_limit", body = ErrorBody),
        (status = 410, description = "survey_closed", body = ErrorBody),
        (status = 413, description = "body over 512 KiB", body = ErrorBody),
        (status = 422, body = InvalidBody)),
    security(()))]
pub async fn api_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(code): Path<String>,
    body: Bytes,
) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    let sub: Submission = serde_json::from_slice(&body)
        .map_err(|_| AppError::BadRequest("malformed response JSON"))?;
    let lang = respondent_lang(&headers, sub.lang.as_deref());
    let instance = sub.instance_id.trim().to_string();
    match submit(&state, &s, sub, device_of(None, &jar), lang).await {
        Ok(Outcome::Stored(id)) => Ok((
            StatusCode::CREATED,
            Json(Stored {
                id,
                instance_id: instance,
                duplicate: false,
            }),
        )
            .into_response()),
        Ok(Outcome::Duplicate(id)) => Ok(Json(Stored {
            id,
            instance_id: instance,
            duplicate: true,
        })
        .into_response()),
        Err(Failure::Refused(r)) => Ok(refusal_json(lang, r)),
        Err(Failure::Invalid(errs, form)) => Ok(invalid_json(lang, &errs, &form)),
        Err(Failure::App(e)) => Err(e),
    }
}

/// The page's form posted without JavaScript: question fields by name (a
/// multiple choice once per ticked box) and the page's own fields prefixed `_`.
async fn fill_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Path(code): Path<String>,
    PageForm(raw): PageForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    let mut sub = Submission {
        instance_id: String::new(),
        version_id: None,
        answers: BTreeMap::new(),
        lang: None,
        device_id: None,
        started_at: None,
        ended_at: Some(now()),
        group: None,
        region: None,
    };
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in raw {
        match k.as_str() {
            "_instance" => sub.instance_id = v,
            "_version" => sub.version_id = v.parse().ok().map(SurveyVersionId),
            "_lang" => sub.lang = Some(v),
            "_started" => sub.started_at = v.parse().ok(),
            "_g" => sub.group = Some(v).filter(|s| !s.is_empty()),
            "_r" => sub.region = Some(v).filter(|s| !s.is_empty()),
            _ => {
                let e = values.entry(k).or_default();
                if !e.is_empty() {
                    e.push(' ');
                }
                e.push_str(&v);
            }
        }
    }
    sub.answers = values
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let lang = respondent_lang(&headers, sub.lang.as_deref());
    let instance = sub.instance_id.clone();
    let link = LinkParams {
        g: sub.group.clone(),
        r: sub.region.clone(),
        lang: sub.lang.clone(),
    };
    let version = sub.version_id;
    match submit(&state, &s, sub, device_of(None, &jar), lang).await {
        Ok(_) => message_page(
            lang,
            StatusCode::OK,
            &s.title,
            lang.t("survey-fill-sent"),
            true,
        ),
        Err(Failure::Refused(r)) => refusal_page(lang, &s, r),
        Err(Failure::Invalid(errs, form)) => {
            let errors = errs
                .iter()
                .map(|e| (e.question.clone(), e.message(&form, lang)))
                .collect();
            let device = device_of(None, &jar).unwrap_or_default();
            let v = version.or(s.live_version_id).ok_or(AppError::NotFound)?;
            let page = fill(
                &s,
                v,
                &form,
                lang,
                false,
                &device,
                link,
                values,
                errors,
                Some(instance),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(Failure::App(e)) => Err(e),
    }
}

/// A published survey as a respondent's app needs it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PublicForm {
    pub code: String,
    pub title: String,
    pub intro: Option<String>,
    pub version_id: SurveyVersionId,
    /// The form (docs/surveys.md).
    #[schema(value_type = Object)]
    pub form: Form,
    /// Whether it takes responses now.
    pub open: bool,
}

/// The live form of a published survey (no login).
#[utoipa::path(get, path = "/api/v1/s/{code}", tag = "respond", params(("code" = String, Path)),
    responses((status = 200, body = PublicForm), (status = 404, body = ErrorBody)), security(()))]
pub async fn api_public_form(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> AppResult<Json<PublicForm>> {
    let s = public_survey(&state, &code).await?;
    let version = s.live_version_id.ok_or(AppError::NotFound)?;
    let form = state
        .intake
        .form(&state.db, s.id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(PublicForm {
        open: s.refusal(now()).is_none(),
        code: s.code,
        title: s.title,
        intro: s.intro,
        version_id: version,
        form: (*form).clone(),
    }))
}

// ---- QR codes and the poster ----

fn link_of(state: &AppState, s: &Survey) -> String {
    crate::web::qr::public_url(&state.settings, "s", &s.code)
}

async fn qr_svg(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    crate::web::qr::svg_response(&link_of(&state, &s))
}

async fn qr_png(State(state): State<AppState>, Path(code): Path<String>) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    crate::web::qr::png_download(&link_of(&state, &s), &format!("qr-{}.png", s.code))
}

#[derive(Template)]
#[template(path = "survey/poster.html")]
struct PosterPage {
    c: Chrome,
    s: Survey,
    link: String,
    svg: String,
    questions: usize,
    groups: String,
}

/// A page to print and post at stations and canteens: title, QR code, short text.
async fn poster_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(link): Query<LinkParams>,
) -> AppResult<Response> {
    let s = public_survey(&state, &code).await?;
    let lang = respondent_lang(&headers, link.lang.as_deref());
    let url = link_of(&state, &s);
    let svg = crate::web::qr::svg_of(&url)?;
    let version = s.live_version_id.ok_or(AppError::NotFound)?;
    let form = state
        .intake
        .form(&state.db, s.id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = form
        .questions()
        .iter()
        .filter(|q| q.kind != QuestionKind::Note)
        .count();
    let groups = s
        .target_groups
        .iter()
        .map(|g| lang.t(&g.label_key()))
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "、" } else { ", " });
    render(PosterPage {
        c: Chrome::bare(lang, &format!("/s/{}/poster", s.code)),
        s,
        link: url,
        svg,
        questions,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_of_any_json_shape_become_text() {
        assert_eq!(answer_text(&json!(["a", "b"])).as_deref(), Some("a b"));
        assert_eq!(answer_text(&json!(42)).as_deref(), Some("42"));
        assert_eq!(answer_text(&json!(null)).as_deref(), Some(""));
        assert_eq!(answer_text(&json!({"x": 1})), None);
        assert_eq!(answer_text(&json!([{"x": 1}])), None);
    }

    #[test]
    fn page_groups_make_pages_and_an_introduction_joins_the_first() {
        use crate::survey::form::Group;
        let q = |n: &str, k| Item::Question(Question::new(n, k));
        let page = |n: &str, items| {
            Item::Group(Group {
                name: n.into(),
                appearance: vec![Appearance::FieldList],
                items,
                ..Group::default()
            })
        };
        let shape = |items: Vec<Item>| {
            let form = Form {
                items,
                ..Form::default()
            };
            let (rows, pages) = rows(&Draw {
                form: &form,
                lang: Lang::Zh,
                values: &BTreeMap::new(),
                errors: &BTreeMap::new(),
                seed: "",
            });
            let marks: String = rows
                .iter()
                .map(|r| match r {
                    Row::PageStart(_) => '[',
                    Row::PageEnd => ']',
                    Row::GroupStart { .. } => '(',
                    Row::GroupEnd => ')',
                    Row::Question(_) => 'q',
                })
                .collect();
            (marks, pages)
        };
        let note = || q("intro", QuestionKind::Note);
        assert_eq!(
            shape(vec![
                note(),
                page("a", vec![q("x", QuestionKind::Text)]),
                page("b", vec![])
            ]),
            ("[q(q)][()]".to_string(), 2)
        );
        assert_eq!(
            shape(vec![
                q("x", QuestionKind::Text),
                page("a", vec![]),
                q("y", QuestionKind::Date)
            ]),
            ("[q][()][q]".to_string(), 3)
        );
        assert_eq!(
            shape(vec![q("x", QuestionKind::Text), q("y", QuestionKind::Text)]),
            ("[qq]".to_string(), 1),
            "no page groups: one page"
        );
    }

    #[test]
    fn shuffled_choices_are_drawn_in_the_seeds_order() {
        use crate::survey::form::{Choice, ChoiceList};
        let select = |name: &str, shuffle: bool| {
            let mut q = Question::new(name, QuestionKind::SelectMultiple);
            q.choices = Some("topics".into());
            q.other = true;
            q.shuffle = shuffle;
            Item::Question(q)
        };
        let names: Vec<String> = (0..8).map(|i| format!("c{i}")).collect();
        let form = Form {
            items: vec![select("mixed", true), select("fixed", false)],
            choice_lists: vec![ChoiceList {
                name: "topics".into(),
                choices: names
                    .iter()
                    .map(|n| Choice {
                        name: n.clone(),
                        ..Choice::default()
                    })
                    .collect(),
            }],
            ..Form::default()
        };
        let drawn = |seed: &str| -> Vec<Vec<String>> {
            let (rows, _) = rows(&Draw {
                form: &form,
                lang: Lang::Zh,
                values: &BTreeMap::new(),
                errors: &BTreeMap::new(),
                seed,
            });
            rows.iter()
                .filter_map(|r| match r {
                    Row::Question(v) => Some(v.choices.iter().map(|c| c.0.clone()).collect()),
                    _ => None,
                })
                .collect()
        };
        let a = drawn("5f0c3a9e1b2d4c6e8f0a1b2c");
        let expected: Vec<String> = choice_order("5f0c3a9e1b2d4c6e8f0a1b2c", "mixed", 8)
            .into_iter()
            .map(|i| names[i].clone())
            .collect();
        assert_eq!(a[0], expected);
        assert_eq!(a[1], names, "not shuffled: the list's order");
        assert_eq!(
            drawn("5f0c3a9e1b2d4c6e8f0a1b2c"),
            a,
            "the same seed, the same order"
        );
        assert_ne!(drawn("0000000000000000000000ff")[0], a[0]);
    }

    #[test]
    fn ranges_up_to_eleven_steps_show_as_buttons() {
        assert_eq!(range_steps(1.0, 5.0, 1.0), 5);
        assert_eq!(range_steps(0.0, 10.0, 1.0), 11);
        assert_eq!(range_steps(10.0, 0.0, 2.0), 6);
        assert_eq!(range_steps(0.0, 100.0, 1.0), 101);
    }
}
