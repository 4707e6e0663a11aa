//! Survey management pages (`/surveys`, `/surveys/{id}`, settings, XLSForm
//! import, preview as a phone) and the API under `/api/v1/surveys`.
//!
//! Who may do what:
//! - read a survey, its versions and their forms: readers over the owning org;
//!   everyone else gets 404;
//! - create, change settings, save a form, publish, close and reopen: cadres
//!   and admins over the owning org (403 for other readers).

use askama::Template;
use axum::{
    Form as PageForm, Json, Router,
    body::Bytes,
    extract::{Multipart, Path, Query, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use utoipa::OpenApi;

use super::{
    Quota, Survey, SurveyInput, SurveyStatus, Version,
    form::{Form, FormError, Place},
    privacy::AnswerView,
    quota_text, store, time_input,
    validity::{
        AttentionCheck, Counts, Explained, Filter, Override, Progress, Reason, ResponseItem,
        ResponsePage, Rules, RulesInput,
    },
    xlsform,
};
use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{Db, ResponseId, SurveyId, SurveyVersionId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult, FieldError},
    i18n::Lang,
    web::{
        AppState,
        page::{Chrome, render},
    },
};

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/surveys", get(list_page).post(create_page))
        .route("/surveys/{id}", get(detail_page))
        .route("/surveys/{id}/edit", get(edit_page).post(update_page))
        .route("/surveys/{id}/xlsform", post(import_page))
        .route("/surveys/{id}/publish", post(publish_page))
        .route("/surveys/{id}/status", post(status_page))
        .route("/surveys/{id}/preview", get(preview_page))
        .route("/api/v1/surveys", get(api_list).post(api_create))
        .route("/api/v1/surveys/{id}", get(api_get).patch(api_update))
        .route("/api/v1/surveys/{id}/form", get(api_form).put(api_put_form))
        .route("/api/v1/surveys/{id}/xlsform", post(api_import))
        .route("/api/v1/surveys/{id}/publish", post(api_publish))
        .route("/api/v1/surveys/{id}/status", post(api_status))
        .route(
            "/api/v1/surveys/{id}/versions/{version}/xlsform",
            get(export_xlsform),
        )
        .route(
            "/surveys/{id}/validity",
            get(validity_page).post(validity_post),
        )
        .route("/surveys/{id}/responses", get(responses_page))
        .route(
            "/surveys/{id}/responses/{response}/validity",
            post(override_page),
        )
        .route(
            "/api/v1/surveys/{id}/validity",
            get(api_validity).put(api_set_validity),
        )
        .route("/api/v1/surveys/{id}/responses", get(api_responses))
        .route(
            "/api/v1/surveys/{id}/responses/{response}/validity",
            post(api_override),
        )
        .merge(super::builder::routes())
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    paths(api_list, api_create, api_get, api_update, api_form, api_put_form, api_import,
        api_publish, api_status, export_xlsform, api_validity, api_set_validity, api_responses, api_override,
        super::builder::api_check_expression),
    components(schemas(Survey, SurveyStatus, SurveyInput, Quota, Version, SurveyDetail, StatusInput, SavedVersion,
        Rules, AttentionCheck, RulesInput, Progress, Counts, ValidityState, Reason, Explained, Override,
        ResponseItem, ResponsePage, Filter, OverrideInput,
        super::builder::ExpressionInput, super::builder::ExpressionCheck)),
    tags((name = "surveys", description = "Questionnaires: settings, form versions (XLSForm or JSON), publication"))
)]
pub struct ApiDoc;

/// The most surveys a list shows.
const LIST_LIMIT: i64 = 500;

// ---- shared logic (pages and API) ----

/// The survey if the caller reads its org, else 404.
async fn visible(state: &AppState, caller: &Caller, id: SurveyId) -> AppResult<Survey> {
    store::get(&state.db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The survey if the caller may change it: 404 when invisible, 403 when the
/// caller only reads it.
pub(super) async fn manageable(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
) -> AppResult<Survey> {
    let s = visible(state, caller, id).await?;
    if !caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    Ok(s)
}

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
    pub link: String,
    pub qr_svg: String,
    pub qr_png: String,
    pub poster: String,
}

fn public_link(state: &AppState, code: &str) -> String {
    format!(
        "{}/s/{code}",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

async fn detail(state: &AppState, s: Survey) -> AppResult<SurveyDetail> {
    let versions = store::versions(&state.db, s.id).await?;
    let quotas = store::quotas(&state.db, s.id).await?;
    let valid_count = store::valid_count(state.db.pool(), s.id).await?;
    resume(&state.db, &s);
    Ok(SurveyDetail {
        valid_count,
        link: public_link(state, &s.code),
        qr_svg: format!("/s/{}/qr.svg", s.code),
        qr_png: format!("/s/{}/qr.png", s.code),
        poster: format!("/s/{}/poster", s.code),
        survey: s,
        versions,
        quotas,
    })
}

/// Checks the campaign a survey of `org` names: one issued at or above the org.
async fn check_campaign(
    state: &AppState,
    campaign: Option<crate::db::CampaignId>,
    org: crate::db::OrgId,
) -> AppResult<()> {
    if let Some(c) = campaign
        && !store::campaign_open_to(&state.db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "survey-err-campaign"));
    }
    Ok(())
}

async fn create(state: &AppState, caller: &Caller, input: &SurveyInput) -> AppResult<SurveyId> {
    let write = caller.require(Need::Write)?;
    let f = input.parse()?;
    let org = match &f.org_code {
        Some(code) => crate::org::store::get_by_code(&state.db, &write, code)
            .await?
            .map(|o| o.id),
        None => write
            .contains(&state.db, caller.home_org)
            .await?
            .then_some(caller.home_org),
    }
    .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    check_campaign(state, f.campaign_id, org).await?;
    let mut tx = state.db.begin().await?;
    let id = store::insert(&mut tx, org, &f, caller.user_id).await?;
    let e = Entry::by(caller, org, Action::SurveyCreated)
        .target(format!("survey:{id}"))
        .detail(f.title.clone());
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(id)
}

async fn update(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    input: &SurveyInput,
) -> AppResult<()> {
    let s = manageable(state, caller, id).await?;
    let f = input.parse()?;
    check_campaign(state, f.campaign_id, s.org_id).await?;
    // Earlier responses carry no device key, so the rule could not hold for them.
    if f.one_per_device && !s.one_per_device && store::has_responses(&state.db, id).await? {
        return Err(AppError::field("one_per_device", "survey-err-device-late"));
    }
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, &s, &f).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyUpdated)
        .target(format!("survey:{id}"))
        .detail(f.title.clone());
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// A form rule broken, as a field error on `form` naming the item.
fn form_errors(form: &Form, errs: &[FormError], lang: Lang) -> AppError {
    let items = form.walk();
    AppError::Validation(
        errs.iter()
            .map(|e| {
                let place = match e.place {
                    Place::Item(i) => items
                        .get(i)
                        .map(|it| it.name().to_string())
                        .unwrap_or_default(),
                    Place::Choice { list, choice } => {
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

/// Saves a form into the survey's draft version (a new version when the newest
/// is published). The form must pass [`Form::validate`].
async fn save_form(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    form: Form,
    source: &str,
    filename: Option<&str>,
) -> AppResult<SavedVersion> {
    let s = manageable(state, caller, id).await?;
    let mut form = form;
    form.languages = form.used_languages();
    let errs = form.validate();
    if !errs.is_empty() {
        return Err(form_errors(&form, &errs, caller.lang));
    }
    let mut tx = state.db.begin().await?;
    let (version, created) =
        store::save_form(&mut tx, &s, &form, source, filename, caller.user_id).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyFormSaved)
        .target(format!("survey:{id}"))
        .detail(format!("version {version} ({source})"));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(SavedVersion {
        version_id: version,
        created,
    })
}

/// Publishes the newest version: it must be a draft with at least one question
/// and a sound form. It is frozen from then on.
async fn publish(state: &AppState, caller: &Caller, id: SurveyId) -> AppResult<SurveyVersionId> {
    let s = manageable(state, caller, id).await?;
    let versions = store::versions(&state.db, id).await?;
    let Some(draft) = versions.first().filter(|v| v.published_at.is_none()) else {
        return Err(AppError::field("version", "survey-err-no-draft"));
    };
    let (_, form) = store::version(&state.db, id, draft.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let errs = form.validate();
    if !errs.is_empty() {
        return Err(form_errors(&form, &errs, caller.lang));
    }
    if draft.question_count == 0 {
        return Err(AppError::field("form", "survey-err-empty"));
    }
    let mut tx = state.db.begin().await?;
    store::publish(&mut tx, &s, draft.id).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyPublished)
        .target(format!("survey:{id}"))
        .detail(format!("version {}", draft.number));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(draft.id)
}

/// Closes a published survey or reopens a closed one.
async fn change_status(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    raw: &str,
) -> AppResult<()> {
    let s = manageable(state, caller, id).await?;
    let to =
        SurveyStatus::parse(raw).ok_or_else(|| AppError::field("status", "survey-err-status"))?;
    let allowed = matches!(
        (s.status, to),
        (SurveyStatus::Published, SurveyStatus::Closed)
            | (SurveyStatus::Closed, SurveyStatus::Published)
    );
    if !allowed {
        return Err(AppError::field("status", "survey-err-transition"));
    }
    let mut tx = state.db.begin().await?;
    store::set_status(&mut tx, id, to).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyStatusChanged)
        .target(format!("survey:{id}"))
        .detail(format!("{} → {}", s.status.as_str(), to.as_str()));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(())
}

/// Imports an XLSForm workbook; refusals become one field error each on `file`.
async fn import(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    bytes: &[u8],
    filename: Option<&str>,
) -> AppResult<SavedVersion> {
    manageable(state, caller, id).await?;
    let form = xlsform::import(bytes).map_err(|errs| {
        AppError::Validation(
            errs.iter()
                .map(|e| {
                    FieldError::new("file", "survey-err-xlsform")
                        .arg("message", e.message(caller.lang))
                })
                .collect(),
        )
    })?;
    save_form(state, caller, id, form, "xlsform", filename).await
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
    pub status: String,
}

fn errors_of(e: &AppError, lang: Lang) -> Option<Vec<(String, String)>> {
    match e {
        AppError::Validation(fs) => Some(
            fs.iter()
                .map(|f| (f.field.clone(), f.message(lang)))
                .collect(),
        ),
        _ => None,
    }
}

// ---- pages ----

#[derive(Template)]
#[template(path = "survey/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Survey>,
    orgs: Vec<(String, String)>,
    campaigns: Vec<crate::activity::store::CampaignChoice>,
    input: SurveyInput,
    errors: Vec<(String, String)>,
}

impl ListPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn list_page_with(
    state: &AppState,
    caller: &Caller,
    input: SurveyInput,
    errors: Vec<(String, String)>,
) -> AppResult<ListPage> {
    let items = store::list(&state.db, &caller.scope(Need::Read), LIST_LIMIT).await?;
    let write = caller.scope(Need::Write);
    let orgs: Vec<(String, String)> = if write.is_empty() {
        Vec::new()
    } else {
        let sql = format!(
            "SELECT o.code, o.name FROM orgs o WHERE o.active = 1 AND {} \
             ORDER BY (SELECT COUNT(*) FROM org_tree x WHERE x.descendant_id = o.id), o.display_order, o.sort_key, o.id LIMIT 300",
            write.sql("o.id")
        );
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(state.db.pool())
            .await?
    };
    let campaigns = crate::activity::store::campaign_choices(&state.db, &write).await?;
    Ok(ListPage {
        c: Chrome::for_caller(caller, "/surveys"),
        items,
        orgs,
        campaigns,
        input,
        errors,
    })
}

async fn list_page(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let home = crate::org::store::code_of(&state.db, caller.home_org).await?;
    let input = SurveyInput {
        org_code: home,
        ..Default::default()
    };
    render(list_page_with(&state, &caller, input, Vec::new()).await?)
}

async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    PageForm(input): PageForm<SurveyInput>,
) -> AppResult<Response> {
    match create(&state, &caller, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/surveys/{id}")).into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, caller.lang) else {
                return Err(e);
            };
            let page = list_page_with(&state, &caller, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "survey/detail.html")]
struct DetailPage {
    c: Chrome,
    d: SurveyDetail,
    can_write: bool,
    qr: Option<String>,
    errors: Vec<String>,
    notice: Option<String>,
}

impl DetailPage {
    fn when(&self, t: &Option<i64>) -> String {
        t.map(|t| self.c.dt(&t)).unwrap_or_else(|| "—".into())
    }

    fn groups(&self) -> String {
        if self.d.survey.target_groups.is_empty() {
            return self.c.t("survey-groups-any");
        }
        self.d
            .survey
            .target_groups
            .iter()
            .map(|g| self.c.t(g.label_key().as_str()))
            .collect::<Vec<_>>()
            .join("、")
    }

    fn any(&self, s: &str) -> String {
        if s.is_empty() {
            self.c.t("survey-quota-any")
        } else {
            WorkerGroup::parse(s)
                .map(|g| self.c.t(g.label_key().as_str()))
                .unwrap_or_else(|| s.to_string())
        }
    }

    fn has_draft(&self) -> bool {
        self.d
            .versions
            .first()
            .is_some_and(|v| v.published_at.is_none())
    }
}

#[derive(Deserialize, Default)]
struct DetailQuery {
    saved: Option<String>,
}

async fn detail_page_with(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    errors: Vec<String>,
    notice: Option<String>,
) -> AppResult<DetailPage> {
    let s = visible(state, caller, id).await?;
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?;
    let d = detail(state, s).await?;
    let qr = if d.survey.status == SurveyStatus::Draft {
        None
    } else {
        crate::web::qr::svg(&d.link)
    };
    Ok(DetailPage {
        c: Chrome::for_caller(caller, &format!("/surveys/{id}")),
        d,
        can_write,
        qr,
        errors,
        notice,
    })
}

async fn detail_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Response> {
    let notice = q.saved.map(|n| match n.as_str() {
        "published" => caller.lang.t("survey-notice-published"),
        "status" => caller.lang.t("survey-notice-status"),
        "settings" => caller.lang.t("survey-notice-settings"),
        _ => caller.lang.t("survey-notice-form"),
    });
    render(detail_page_with(&state, &caller, id, Vec::new(), notice).await?)
}

/// Shows the detail page again with the errors of a failed action.
async fn detail_again(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    e: AppError,
) -> AppResult<Response> {
    let Some(errors) = errors_of(&e, caller.lang) else {
        return Err(e);
    };
    let page = detail_page_with(
        state,
        caller,
        id,
        errors.into_iter().map(|(_, m)| m).collect(),
        None,
    )
    .await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Template)]
#[template(path = "survey/edit.html")]
struct EditPage {
    c: Chrome,
    s: Survey,
    input: SurveyInput,
    campaigns: Vec<crate::activity::store::CampaignChoice>,
    groups: Vec<WorkerGroup>,
    errors: Vec<(String, String)>,
}

impl EditPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    fn time(&self, v: &Option<String>) -> String {
        match v.as_deref() {
            Some(t) => super::parse_time(t)
                .map(|t| time_input(Some(t)))
                .unwrap_or_else(|| t.to_string()),
            None => String::new(),
        }
    }

    fn targeted(&self, g: &WorkerGroup) -> bool {
        self.input
            .target_groups
            .as_deref()
            .unwrap_or("")
            .split(',')
            .any(|x| WorkerGroup::parse(x) == Some(*g))
    }

    fn checked(&self) -> bool {
        crate::web::form::flag(&self.input.one_per_device).unwrap_or(false)
    }

    fn quota_lines(&self) -> String {
        match (&self.input.quota_lines, &self.input.quotas) {
            (Some(t), _) => t.clone(),
            (None, Some(q)) => quota_text(q),
            (None, None) => String::new(),
        }
    }
}

async fn edit_page_with(
    state: &AppState,
    caller: &Caller,
    s: Survey,
    input: SurveyInput,
    errors: Vec<(String, String)>,
) -> AppResult<EditPage> {
    let campaigns = crate::activity::store::campaign_choices(
        &state.db,
        &crate::auth::Scope::of(vec![s.org_id]),
    )
    .await?;
    Ok(EditPage {
        c: Chrome::for_caller(caller, &format!("/surveys/{}/edit", s.id)),
        s,
        input,
        campaigns,
        groups: WorkerGroup::ALL.to_vec(),
        errors,
    })
}

async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Response> {
    let s = manageable(&state, &caller, id).await?;
    let quotas = store::quotas(&state.db, id).await?;
    let input = SurveyInput::of(&s, &quotas);
    render(edit_page_with(&state, &caller, s, input, Vec::new()).await?)
}

/// The settings form as posted: the target groups are one checkbox each.
fn edit_input(raw: Vec<(String, String)>) -> SurveyInput {
    let mut input = SurveyInput {
        one_per_device: Some("0".into()),
        target_groups: Some(String::new()),
        quota_lines: Some(String::new()),
        ..Default::default()
    };
    let mut groups = Vec::new();
    for (k, v) in raw {
        match k.as_str() {
            "title" => input.title = Some(v),
            "intro" => input.intro = Some(v),
            "campaign_id" => input.campaign_id = Some(v),
            "opens_at" => input.opens_at = Some(v),
            "closes_at" => input.closes_at = Some(v),
            "target_group" => groups.push(v),
            "one_per_device" => input.one_per_device = Some(v),
            "group_question" => input.group_question = Some(v),
            "region_question" => input.region_question = Some(v),
            "quota_lines" => input.quota_lines = Some(v),
            _ => {}
        }
    }
    input.target_groups = Some(groups.join(","));
    input
}

async fn update_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    PageForm(raw): PageForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = edit_input(raw);
    match update(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}?saved=settings")).into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, caller.lang) else {
                return Err(e);
            };
            let s = manageable(&state, &caller, id).await?;
            let page = edit_page_with(&state, &caller, s, input, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest("malformed multipart body")
    }
}

async fn import_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    mut body: Multipart,
) -> AppResult<Response> {
    let mut file: Option<(Option<String>, Vec<u8>)> = None;
    while let Some(field) = body.next_field().await.map_err(multipart_error)? {
        if field.name() == Some("file") {
            let name = field.file_name().map(str::to_string);
            let bytes = field.bytes().await.map_err(multipart_error)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    let result = match &file {
        Some((name, bytes)) if !bytes.is_empty() => {
            import(&state, &caller, id, bytes, name.as_deref()).await
        }
        _ => Err(AppError::field("file", "err-required")),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/surveys/{id}?saved=form")).into_response()),
        Err(e) => detail_again(&state, &caller, id, e).await,
    }
}

async fn publish_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Response> {
    match publish(&state, &caller, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/surveys/{id}?saved=published")).into_response()),
        Err(e) => detail_again(&state, &caller, id, e).await,
    }
}

async fn status_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    PageForm(input): PageForm<StatusInput>,
) -> AppResult<Response> {
    match change_status(&state, &caller, id, &input.status).await {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}?saved=status")).into_response()),
        Err(e) => detail_again(&state, &caller, id, e).await,
    }
}

#[derive(Deserialize, Default)]
struct PreviewQuery {
    version: Option<SurveyVersionId>,
    lang: Option<String>,
}

/// The filling page of the newest version (or `?version=`) in a phone-sized
/// frame; nothing is sent.
async fn preview_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let vid = match q.version {
        Some(v) => v,
        None => store::latest(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let (v, form) = store::version(&state.db, id, vid)
        .await?
        .ok_or(AppError::NotFound)?;
    let lang = q
        .lang
        .as_deref()
        .and_then(Lang::from_tag)
        .unwrap_or(caller.lang);
    let mut res = super::public::preview(&state, lang, &s, &v, &form)?;
    // The builder shows this page in a frame beside the form; every other
    // page refuses to be framed (web::router).
    let h = res.headers_mut();
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'self'",
        ),
    );
    Ok(res)
}

// ---- JSON API ----

/// The surveys of the caller's orgs, newest first.
#[utoipa::path(get, path = "/api/v1/surveys", tag = "surveys",
    responses((status = 200, body = Vec<Survey>), (status = 401, body = crate::web::errors::ErrorBody)))]
pub async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Vec<Survey>>> {
    Ok(Json(
        store::list(&state.db, &caller.scope(Need::Read), LIST_LIMIT).await?,
    ))
}

/// Creates a draft survey owned by `org_code` (default: the caller's org; the
/// caller must be a cadre or admin there), with its settings. Its form comes
/// next, by XLSForm or JSON.
#[utoipa::path(post, path = "/api/v1/surveys", tag = "surveys", request_body = SurveyInput,
    responses((status = 201, body = SurveyDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Json(input): Json<SurveyInput>,
) -> AppResult<Response> {
    let id = create(&state, &caller, &input).await?;
    let s = visible(&state, &caller, id).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, s).await?)).into_response())
}

/// One survey with its versions, quotas and public addresses.
#[utoipa::path(get, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDetail), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<SurveyDetail>> {
    let s = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, s).await?))
}

/// Changes the given settings; `quotas` (or `quota_lines`) replaces every quota.
#[utoipa::path(patch, path = "/api/v1/surveys/{id}", tag = "surveys", params(("id" = i64, Path)),
    request_body = SurveyInput,
    responses((status = 200, body = SurveyDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(patch): Json<SurveyInput>,
) -> AppResult<Json<SurveyDetail>> {
    let s = manageable(&state, &caller, id).await?;
    let quotas = store::quotas(&state.db, id).await?;
    let merged = patch.over(SurveyInput::of(&s, &quotas));
    update(&state, &caller, id, &merged).await?;
    let s = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, s).await?))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct FormQuery {
    /// A version id; default: the newest version.
    pub version: Option<SurveyVersionId>,
}

/// The form of a version (default: the newest) as JSON, expressions as trees:
/// the shape `PUT …/form` takes (see docs/surveys.md).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/form", tag = "surveys", params(("id" = i64, Path), FormQuery),
    responses((status = 200, description = "the form (docs/surveys.md)"), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<FormQuery>,
) -> AppResult<Json<Form>> {
    visible(&state, &caller, id).await?;
    let vid = match q.version {
        Some(v) => v,
        None => store::latest(&state.db, id)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let (_, form) = store::version(&state.db, id, vid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(form))
}

/// Saves a form given as JSON into the draft version (a new version when the
/// newest is published). Expressions may be written as text
/// (`"relevant": "${age} >= 16"`) or as the trees `GET …/form` returns.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/form", tag = "surveys", params(("id" = i64, Path)),
    request_body(content = String, description = "the form (docs/surveys.md)", content_type = "application/json"),
    responses((status = 200, body = SavedVersion), (status = 400, body = crate::web::errors::ErrorBody),
        (status = 422, body = crate::web::errors::ErrorBody), (status = 403, body = crate::web::errors::ErrorBody)))]
pub async fn api_put_form(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    body: Bytes,
) -> AppResult<Json<SavedVersion>> {
    manageable(&state, &caller, id).await?;
    let form = super::form_json::parse(&body, caller.lang)?;
    Ok(Json(
        save_form(&state, &caller, id, form, "json", None).await?,
    ))
}

/// Imports an XLSForm workbook (the request body is the .xlsx file) into the
/// draft version. Every refusal names the sheet, row and column.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/xlsform", tag = "surveys", params(("id" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = SavedVersion), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 413, body = crate::web::errors::ErrorBody)))]
pub async fn api_import(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    body: Bytes,
) -> AppResult<Json<SavedVersion>> {
    Ok(Json(import(&state, &caller, id, &body, None).await?))
}

/// Publishes the newest (draft) version after checking the form; it is frozen
/// from then on and the public link answers with it.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/publish", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<SurveyDetail>> {
    publish(&state, &caller, id).await?;
    let s = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, s).await?))
}

/// Closes a published survey (`closed`) or reopens it (`published`).
#[utoipa::path(post, path = "/api/v1/surveys/{id}/status", tag = "surveys", params(("id" = i64, Path)),
    request_body = StatusInput,
    responses((status = 200, body = SurveyDetail), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(input): Json<StatusInput>,
) -> AppResult<Json<SurveyDetail>> {
    change_status(&state, &caller, id, &input.status).await?;
    let s = visible(&state, &caller, id).await?;
    Ok(Json(detail(&state, s).await?))
}

/// A version as an XLSForm workbook (importing it gives the same form).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/versions/{version}/xlsform", tag = "surveys",
    params(("id" = i64, Path), ("version" = i64, Path)),
    responses((status = 200, description = "the .xlsx file"), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn export_xlsform(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, version)): Path<(SurveyId, SurveyVersionId)>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let (v, form) = store::version(&state.db, id, version)
        .await?
        .ok_or(AppError::NotFound)?;
    let bytes = xlsform::export(&form).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.db.begin().await?;
    let e = Entry::by(&caller, s.org_id, Action::Export)
        .target(format!("survey:{id}"))
        .detail(format!("xlsform version {}", v.number));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(crate::web::download::attachment(
        bytes,
        &format!("survey-{}-v{}.xlsx", s.code, v.number),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
}

// ---- validity (有效问卷) ----

/// The surveys whose responses are being judged again in this process, by
/// database (`Db::instance`) and survey.
type Running = std::collections::HashSet<(u64, SurveyId)>;
static RECOMPUTING: std::sync::LazyLock<std::sync::Mutex<Running>> =
    std::sync::LazyLock::new(Default::default);

/// Marks a survey's recomputation as run by the caller; `false` when another
/// task runs it already.
fn claim(db: &Db, id: SurveyId) -> bool {
    RECOMPUTING
        .lock()
        .map(|mut set| set.insert((db.instance(), id)))
        .unwrap_or(false)
}

fn release(db: &Db, id: SurveyId) {
    if let Ok(mut set) = RECOMPUTING.lock() {
        set.remove(&(db.instance(), id));
    }
}

/// Finishes a claimed recomputation in a background task.
fn spawn_recompute(db: Db, id: SurveyId) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = store::recompute(&db, id, None, |_| {}).await {
                tracing::error!(survey.id = %id, error = %e, "validity recomputation failed");
            }
            release(&db, id);
            // A rule change that landed just as this run ended found it still
            // claimed and left the work to it.
            let unfinished = store::unfinished_recomputations(&db)
                .await
                .map(|ids| ids.contains(&id))
                .unwrap_or(false);
            if !unfinished || !claim(&db, id) {
                break;
            }
        }
    });
}

/// Picks up a recomputation nobody runs (the server restarted during one):
/// called whenever a survey is read for its management side.
fn resume(db: &Db, s: &Survey) {
    if s.recompute.is_some() && claim(db, s.id) {
        spawn_recompute(db.clone(), s.id);
    }
}

/// Resumes every unfinished recomputation (at start-up).
pub async fn resume_all(db: &Db) -> anyhow::Result<()> {
    for id in store::unfinished_recomputations(db).await? {
        if claim(db, id) {
            spawn_recompute(db.clone(), id);
        }
    }
    Ok(())
}

/// How long a rule change judges responses before answering; a survey with
/// more responses than that goes on in the background, its progress shown.
const INLINE_BUDGET: std::time::Duration = std::time::Duration::from_millis(1500);

/// A survey's validity rules, the progress of a running recomputation and
/// its responses counted by verdict.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ValidityState {
    pub rules: Rules,
    /// Present while responses are judged again after a rule change.
    pub recompute: Option<Progress>,
    pub counts: Counts,
}

async fn validity_state(state: &AppState, s: &Survey) -> AppResult<ValidityState> {
    resume(&state.db, s);
    Ok(ValidityState {
        rules: s.validity.clone(),
        recompute: s.recompute,
        counts: store::counts(&state.db, s.id).await?,
    })
}

/// The form that rule checks refer to: the survey's newest version.
async fn newest_form(state: &AppState, id: SurveyId) -> AppResult<Option<Form>> {
    let Some(v) = store::latest(&state.db, id).await? else {
        return Ok(None);
    };
    Ok(store::version(&state.db, id, v).await?.map(|(_, f)| f))
}

/// Replaces the rules and judges every response again: inline for a short
/// while, the rest in the background.
async fn set_validity(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    input: &RulesInput,
) -> AppResult<()> {
    let s = manageable(state, caller, id).await?;
    let form = newest_form(state, id).await?;
    let rules = input.parse(form.as_ref())?;
    let mut tx = state.db.begin().await?;
    store::set_rules(&mut tx, id, &rules).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyValidityChanged)
        .target(format!("survey:{id}"))
        .detail(rules.to_json());
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    if claim(&state.db, id) {
        match store::recompute(&state.db, id, Some(INLINE_BUDGET), |_| {}).await {
            Ok(true) => release(&state.db, id),
            Ok(false) => spawn_recompute(state.db.clone(), id),
            Err(e) => {
                release(&state.db, id);
                return Err(AppError::Internal(e));
            }
        }
    }
    Ok(())
}

/// A reviewer's verdict as the page and the API send it.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = ValidityOverrideInput)]
pub struct OverrideInput {
    /// `true` (valid), `false` (invalid), or empty/null to go back to the rules' verdict.
    #[serde(default, deserialize_with = "crate::web::form::lenient")]
    pub valid: Option<String>,
    /// Why (required, also to remove an override): kept with the response and audited.
    #[serde(default, deserialize_with = "crate::web::form::lenient")]
    pub note: Option<String>,
}

/// Sets or removes a reviewer's verdict on one response (cadres and admins
/// over the owning org).
async fn override_response(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    response: ResponseId,
    input: &OverrideInput,
) -> AppResult<Survey> {
    let s = manageable(state, caller, id).await?;
    let mut errs = crate::web::form::Errors::default();
    let note = errs.take(crate::web::form::required("note", &input.note, 1000));
    let valid = match crate::web::form::opt(&input.valid) {
        None => None,
        Some(_) => match crate::web::form::flag(&input.valid) {
            Ok(b) => Some(b),
            Err(_) => {
                errs.push(FieldError::new("valid", "err-flag"));
                None
            }
        },
    };
    errs.finish()?;
    let note = note.unwrap_or_default();
    let mut tx = state.db.begin().await?;
    if !store::set_override(&mut tx, id, response, valid, &note, caller.user_id).await? {
        return Err(AppError::NotFound);
    }
    let verdict = match valid {
        Some(true) => "valid",
        Some(false) => "invalid",
        None => "rules",
    };
    let e = Entry::by(caller, s.org_id, Action::SurveyResponseOverridden)
        .target(format!("survey:{id}/response:{response}"))
        .detail(format!("{verdict}: {note}"));
    audit::store::record(&mut *tx, &e).await?;
    tx.commit().await?;
    Ok(s)
}

/// Responses a review page shows.
const REVIEW_PAGE: i64 = 50;

#[derive(Deserialize, Default, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// `all` (default), `valid`, `invalid` or `overridden`.
    pub validity: Option<String>,
    /// From 1.
    pub page: Option<i64>,
}

async fn review(
    state: &AppState,
    caller: &Caller,
    s: &Survey,
    q: &ReviewQuery,
) -> AppResult<ResponsePage> {
    let filter = Filter::parse(q.validity.as_deref().unwrap_or(""));
    let mut page = store::responses(
        &state.db,
        s.id,
        filter,
        q.page.unwrap_or(1),
        REVIEW_PAGE,
        caller.lang,
    )
    .await?;
    let view = AnswerView::of(&state.db, caller, s).await?;
    let shown: Vec<ResponseId> = page
        .items
        .iter_mut()
        .filter_map(|r| view.response(r).then_some(r.id))
        .collect();
    view.audit(
        &state.db,
        caller,
        &format!("review list, page {}", page.page),
        &shown,
    )
    .await?;
    Ok(page)
}

#[derive(Template)]
#[template(path = "survey/validity.html")]
struct ValidityPage {
    c: Chrome,
    s: Survey,
    v: ValidityState,
    can_write: bool,
    input: RulesInput,
    /// Questions an attention check may name: (name, label).
    questions: Vec<(String, String)>,
    has_matrix: bool,
    errors: Vec<(String, String)>,
    notice: Option<String>,
}

impl ValidityPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

async fn validity_page_with(
    state: &AppState,
    caller: &Caller,
    s: Survey,
    input: Option<RulesInput>,
    errors: Vec<(String, String)>,
    notice: Option<String>,
) -> AppResult<ValidityPage> {
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?;
    let v = validity_state(state, &s).await?;
    let form = newest_form(state, s.id).await?;
    let lang = caller.lang.code();
    let questions = form
        .as_ref()
        .map(|f| {
            f.questions()
                .into_iter()
                .filter(|q| q.kind != super::form::QuestionKind::Note)
                .map(|q| {
                    (
                        q.name.clone(),
                        q.label.get(lang).unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let has_matrix = form
        .as_ref()
        .is_some_and(|f| !super::validity::matrices(f).is_empty());
    Ok(ValidityPage {
        c: Chrome::for_caller(caller, &format!("/surveys/{}/validity", s.id)),
        input: input.unwrap_or_else(|| RulesInput::of(&s.validity)),
        s,
        v,
        can_write,
        questions,
        has_matrix,
        errors,
        notice,
    })
}

async fn validity_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Response> {
    let s = visible(&state, &caller, id).await?;
    let notice = q.saved.map(|_| caller.lang.t("survey-notice-validity"));
    render(validity_page_with(&state, &caller, s, None, Vec::new(), notice).await?)
}

async fn validity_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    PageForm(input): PageForm<RulesInput>,
) -> AppResult<Response> {
    match set_validity(&state, &caller, id, &input).await {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}/validity?saved=1")).into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, caller.lang) else {
                return Err(e);
            };
            let s = manageable(&state, &caller, id).await?;
            let page = validity_page_with(&state, &caller, s, Some(input), errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "survey/responses.html")]
struct ResponsesPage {
    c: Chrome,
    s: Survey,
    p: ResponsePage,
    counts: Counts,
    can_write: bool,
    filters: Vec<Filter>,
    error: Option<(ResponseId, String)>,
}

impl ResponsesPage {
    fn href(&self, filter: &Filter, page: i64) -> String {
        format!(
            "/surveys/{}/responses?validity={}&page={page}",
            self.s.id,
            filter.as_str()
        )
    }

    fn count(&self, f: &Filter) -> i64 {
        match f {
            Filter::All => self.counts.total,
            Filter::Valid => self.counts.valid,
            Filter::Invalid => self.counts.invalid,
            Filter::Overridden => self.counts.overridden,
        }
    }

    fn group(&self, g: &Option<String>) -> String {
        match g.as_deref() {
            None => "—".into(),
            Some(g) => WorkerGroup::parse(g)
                .map(|w| self.c.t(w.label_key().as_str()))
                .unwrap_or_else(|| g.to_string()),
        }
    }

    fn duration(&self, d: &Option<i64>) -> String {
        match d {
            None => "—".into(),
            Some(s) => self.c.lang.ta(
                "survey-duration-value",
                &[
                    ("minutes", (s / 60).to_string()),
                    ("seconds", (s % 60).to_string()),
                ],
            ),
        }
    }

    fn answers(&self, r: &ResponseItem) -> String {
        r.answers
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn error_for(&self, id: &ResponseId) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(r, _)| r == id)
            .map(|(_, m)| m.as_str())
    }
}

async fn responses_page_with(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    q: ReviewQuery,
    error: Option<(ResponseId, String)>,
) -> AppResult<ResponsesPage> {
    let s = visible(state, caller, id).await?;
    let can_write = caller
        .scope(Need::Write)
        .contains(&state.db, s.org_id)
        .await?;
    let p = review(state, caller, &s, &q).await?;
    let counts = store::counts(&state.db, id).await?;
    Ok(ResponsesPage {
        c: Chrome::for_caller(caller, &format!("/surveys/{id}/responses")),
        s,
        p,
        counts,
        can_write,
        filters: Filter::ALL.to_vec(),
        error,
    })
}

async fn responses_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Response> {
    render(responses_page_with(&state, &caller, id, q, None).await?)
}

/// The page's override form also says where to come back to.
#[derive(Deserialize, Default)]
struct OverrideForm {
    #[serde(default)]
    valid: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    back_validity: Option<String>,
    #[serde(default)]
    back_page: Option<i64>,
}

async fn override_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, response)): Path<(SurveyId, ResponseId)>,
    PageForm(f): PageForm<OverrideForm>,
) -> AppResult<Response> {
    let input = OverrideInput {
        valid: f.valid,
        note: f.note,
    };
    let q = ReviewQuery {
        validity: f.back_validity,
        page: f.back_page,
    };
    match override_response(&state, &caller, id, response, &input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/surveys/{id}/responses?validity={}&page={}#r{response}",
            Filter::parse(q.validity.as_deref().unwrap_or("")).as_str(),
            q.page.unwrap_or(1)
        ))
        .into_response()),
        Err(e) => {
            let Some(errors) = errors_of(&e, caller.lang) else {
                return Err(e);
            };
            let msg = errors
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join(" ");
            let page = responses_page_with(&state, &caller, id, q, Some((response, msg))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// A survey's validity rules, the progress of a recomputation and the
/// responses counted by verdict (readers over the owning org).
#[utoipa::path(get, path = "/api/v1/surveys/{id}/validity", tag = "surveys", params(("id" = i64, Path)),
    responses((status = 200, body = ValidityState), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Json<ValidityState>> {
    let s = visible(&state, &caller, id).await?;
    Ok(Json(validity_state(&state, &s).await?))
}

/// Replaces the validity rules (absent or empty: that rule is off) and judges
/// every response again. Small surveys are done before the answer; otherwise
/// `recompute` shows the progress and `GET` follows it. Overrides stay.
#[utoipa::path(put, path = "/api/v1/surveys/{id}/validity", tag = "surveys", params(("id" = i64, Path)),
    request_body = RulesInput,
    responses((status = 200, body = ValidityState), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_set_validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Json(input): Json<RulesInput>,
) -> AppResult<Json<ValidityState>> {
    set_validity(&state, &caller, id, &input).await?;
    let s = visible(&state, &caller, id).await?;
    Ok(Json(validity_state(&state, &s).await?))
}

/// The responses for review, newest first, 50 a page, with their verdicts,
/// reasons (in the caller's language) and overrides.
#[utoipa::path(get, path = "/api/v1/surveys/{id}/responses", tag = "surveys",
    params(("id" = i64, Path), ReviewQuery),
    responses((status = 200, body = ResponsePage), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_responses(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Json<ResponsePage>> {
    let s = visible(&state, &caller, id).await?;
    Ok(Json(review(&state, &caller, &s, &q).await?))
}

/// Overrides a response's verdict (`valid` true or false) or removes the
/// override (`valid` null), with a required note. The override wins over the
/// rules and survives their recomputation; it is audited.
#[utoipa::path(post, path = "/api/v1/surveys/{id}/responses/{response}/validity", tag = "surveys",
    params(("id" = i64, Path), ("response" = i64, Path)), request_body = OverrideInput,
    responses((status = 200, body = ResponseItem), (status = 422, body = crate::web::errors::ErrorBody),
        (status = 403, body = crate::web::errors::ErrorBody), (status = 404, body = crate::web::errors::ErrorBody)))]
pub async fn api_override(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, response)): Path<(SurveyId, ResponseId)>,
    Json(input): Json<OverrideInput>,
) -> AppResult<Json<ResponseItem>> {
    let s = override_response(&state, &caller, id, response, &input).await?;
    let mut item = store::response(&state.db, id, response, caller.lang)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = AnswerView::of(&state.db, &caller, &s).await?;
    if view.response(&mut item) {
        view.audit(&state.db, &caller, "review verdict", &[item.id])
            .await?;
    }
    Ok(Json(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_form_becomes_an_input() {
        let input = edit_input(vec![
            ("title".into(), "调查".into()),
            ("target_group".into(), "courier".into()),
            ("target_group".into(), "food_delivery".into()),
            ("quota_lines".into(), "courier, *, 5".into()),
        ]);
        assert_eq!(
            input.target_groups.as_deref(),
            Some("courier,food_delivery")
        );
        assert_eq!(
            input.one_per_device.as_deref(),
            Some("0"),
            "an unticked box is off"
        );
        let f = input.parse().unwrap();
        assert_eq!(f.quotas.unwrap().len(), 1);
    }
}
