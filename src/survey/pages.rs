//! Survey management pages: the list and its create form, a survey's page,
//! its settings, XLSForm import, publication, preview as a phone, the
//! builder, the validity rules and the review of responses. Writes go
//! through `ops`, like the API's; a refused form is drawn again by
//! `web::form::submitted`.

use askama::Template;
use axum::{
    extract::{Multipart, State, multipart::MultipartError},
    http::{HeaderValue, StatusCode, header},
    response::Response,
};
use serde::Deserialize;

use super::{
    OverrideInput, ReviewQuery, StatusInput, Survey, SurveyDetail, SurveyInput, SurveyStatus,
    ValidityState, builder, ops, quota_text, store, time_input,
    validity::{Counts, Filter, ResponseItem, ResponsePage, RulesInput},
};
use crate::{
    activity::store::CampaignChoice,
    auth::{Caller, Need},
    db::{ResponseId, SurveyId, SurveyVersionId},
    enterprise::WorkerGroup,
    error::{AppError, AppResult},
    i18n::Lang,
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

fn public_url(state: &AppState) -> &str {
    &state.settings.server.public_url
}

// ---- the list ----

#[derive(Template)]
#[template(path = "survey/list.html")]
struct ListPage {
    c: Chrome,
    items: Vec<Survey>,
    orgs: Vec<(String, String)>,
    campaigns: Vec<CampaignChoice>,
    input: SurveyInput,
    errors: FieldMessages,
}

impl ListPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

async fn list_page_with(
    state: &AppState,
    caller: &Caller,
    input: SurveyInput,
    errors: FieldMessages,
) -> AppResult<ListPage> {
    let items = store::list(&state.db, &caller.scope(Need::Read), super::LIST_LIMIT).await?;
    let write = caller.scope(Need::Write);
    let orgs = store::org_choices(&state.db, &write).await?;
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

/// `GET /surveys`: the surveys and the form that creates one.
pub(super) async fn list(State(state): State<AppState>, caller: Caller) -> AppResult<Response> {
    let home = crate::org::store::code_of(&state.db, caller.home_org).await?;
    let input = SurveyInput {
        org_code: home,
        ..Default::default()
    };
    render(list_page_with(&state, &caller, input, FieldMessages::default()).await?)
}

/// `POST /surveys`: creates a draft, then opens it.
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Form(input): Form<SurveyInput>,
) -> AppResult<Response> {
    let made = ops::create(&state.db, &caller, &input).await;
    submitted(
        &caller,
        made,
        |id| format!("/surveys/{id}"),
        |errors| list_page_with(&state, &caller, input, errors),
    )
    .await
}

// ---- one survey ----

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
pub(super) struct DetailQuery {
    saved: Option<String>,
}

async fn detail_page_with(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    errors: FieldMessages,
    notice: Option<String>,
) -> AppResult<DetailPage> {
    let s = ops::visible(&state.db, caller, id).await?;
    let can_write = ops::can_write(&state.db, caller, s.org_id).await?;
    let d = ops::detail(&state.db, public_url(state), s).await?;
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
        errors: errors.0.into_iter().map(|(_, m)| m).collect(),
        notice,
    })
}

/// `GET /surveys/{id}`.
pub(super) async fn detail(
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
    render(detail_page_with(&state, &caller, id, FieldMessages::default(), notice).await?)
}

/// An action of the survey's page: back to it with `saved`, or the page
/// again with the errors of a refusal.
async fn detail_action<T>(
    state: &AppState,
    caller: &Caller,
    id: SurveyId,
    result: AppResult<T>,
    saved: &str,
) -> AppResult<Response> {
    submitted(
        caller,
        result,
        |_| format!("/surveys/{id}?saved={saved}"),
        |errors| detail_page_with(state, caller, id, errors, None),
    )
    .await
}

#[derive(Template)]
#[template(path = "survey/edit.html")]
struct EditPage {
    c: Chrome,
    s: Survey,
    input: SurveyInput,
    campaigns: Vec<CampaignChoice>,
    groups: Vec<WorkerGroup>,
    errors: FieldMessages,
}

impl EditPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
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
    errors: FieldMessages,
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

/// `GET /surveys/{id}/edit`: the settings form.
pub(super) async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Response> {
    let s = ops::manageable(&state.db, &caller, id).await?;
    let quotas = store::quotas(&state.db, id).await?;
    let input = SurveyInput::of(&s, &quotas);
    render(edit_page_with(&state, &caller, s, input, FieldMessages::default()).await?)
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

/// `POST /surveys/{id}/edit`.
pub(super) async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Form(raw): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let input = edit_input(raw);
    let (state, caller) = (&state, &caller);
    let saved = ops::update(&state.db, caller, id, &input).await;
    submitted(
        caller,
        saved,
        |()| format!("/surveys/{id}?saved=settings"),
        |errors| async move {
            let s = ops::manageable(&state.db, caller, id).await?;
            edit_page_with(state, caller, s, input, errors).await
        },
    )
    .await
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest("malformed multipart body")
    }
}

/// `POST /surveys/{id}/xlsform`: the workbook of the page's upload field.
pub(super) async fn import(
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
            ops::import(&state.db, &caller, id, bytes, name.as_deref()).await
        }
        _ => Err(AppError::field("file", "err-required")),
    };
    detail_action(&state, &caller, id, result, "form").await
}

/// `POST /surveys/{id}/publish`.
pub(super) async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Response> {
    let result = ops::publish(&state.db, &caller, id).await;
    detail_action(&state, &caller, id, result, "published").await
}

/// `POST /surveys/{id}/status`: close or reopen.
pub(super) async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Form(input): Form<StatusInput>,
) -> AppResult<Response> {
    let result = ops::change_status(&state.db, &caller, id, input.parse()).await;
    detail_action(&state, &caller, id, result, "status").await
}

#[derive(Deserialize, Default)]
pub(super) struct PreviewQuery {
    version: Option<SurveyVersionId>,
    lang: Option<String>,
}

/// `GET /surveys/{id}/preview`: the filling page of the newest version (or
/// `?version=`) in a phone-sized frame; nothing is sent.
pub(super) async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    let (s, v, form) = ops::form_of(&state.db, &caller, id, q.version).await?;
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

#[derive(Template)]
#[template(path = "survey/build.html")]
struct BuildPage {
    c: Chrome,
    s: Survey,
    /// The newest version is published: a save starts a new version.
    published: bool,
    /// The builder's data (`#qt-builder-config`), `<` escaped.
    config: String,
}

/// `GET /surveys/{id}/build`: the builder, for those who may change the
/// survey's form (404 outside the owning subtree, 403 for its readers: the
/// rule of every form write).
pub(super) async fn build(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
) -> AppResult<Response> {
    let s = ops::manageable(&state.db, &caller, id).await?;
    let (config, published) = builder::config(&state.db, &s, caller.lang).await?;
    render(BuildPage {
        c: Chrome::for_caller(&caller, &format!("/surveys/{id}/build")),
        published,
        s,
        config,
    })
}

// ---- validity (有效问卷) ----

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
    errors: FieldMessages,
    notice: Option<String>,
}

impl ValidityPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

async fn validity_page_with(
    state: &AppState,
    caller: &Caller,
    s: Survey,
    input: Option<RulesInput>,
    errors: FieldMessages,
    notice: Option<String>,
) -> AppResult<ValidityPage> {
    let can_write = ops::can_write(&state.db, caller, s.org_id).await?;
    let v = ops::validity_state(&state.db, &s).await?;
    let form = ops::newest_form(&state.db, s.id).await?;
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

/// `GET /surveys/{id}/validity`.
pub(super) async fn validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Response> {
    let s = ops::visible(&state.db, &caller, id).await?;
    let notice = q.saved.map(|_| caller.lang.t("survey-notice-validity"));
    render(validity_page_with(&state, &caller, s, None, FieldMessages::default(), notice).await?)
}

/// `POST /surveys/{id}/validity`.
pub(super) async fn set_validity(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Form(input): Form<RulesInput>,
) -> AppResult<Response> {
    let (state, caller) = (&state, &caller);
    let saved = ops::set_validity(&state.db, caller, id, &input).await;
    submitted(
        caller,
        saved,
        |()| format!("/surveys/{id}/validity?saved=1"),
        |errors| async move {
            let s = ops::manageable(&state.db, caller, id).await?;
            validity_page_with(state, caller, s, Some(input), errors, None).await
        },
    )
    .await
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
    let s = ops::visible(&state.db, caller, id).await?;
    let can_write = ops::can_write(&state.db, caller, s.org_id).await?;
    let p = ops::review(&state.db, caller, &s, &q).await?;
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

/// `GET /surveys/{id}/responses`: the review list.
pub(super) async fn responses(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<SurveyId>,
    Query(q): Query<ReviewQuery>,
) -> AppResult<Response> {
    render(responses_page_with(&state, &caller, id, q, None).await?)
}

/// The page's override form also says where to come back to.
#[derive(Deserialize, Default)]
pub(super) struct OverrideForm {
    #[serde(default)]
    valid: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    back_validity: Option<String>,
    #[serde(default)]
    back_page: Option<i64>,
}

/// `POST /surveys/{id}/responses/{response}/validity`: a reviewer's verdict.
pub(super) async fn override_response(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, response)): Path<(SurveyId, ResponseId)>,
    Form(f): Form<OverrideForm>,
) -> AppResult<Response> {
    let input = OverrideInput {
        valid: f.valid,
        note: f.note,
    };
    let q = ReviewQuery {
        validity: f.back_validity,
        page: f.back_page,
    };
    let back = format!(
        "/surveys/{id}/responses?validity={}&page={}#r{response}",
        Filter::parse(q.validity.as_deref().unwrap_or("")).as_str(),
        q.page.unwrap_or(1)
    );
    let result = ops::override_response(&state.db, &caller, id, response, &input).await;
    submitted(
        &caller,
        result,
        |_| back,
        |errors| {
            let msg = errors
                .0
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join(" ");
            responses_page_with(&state, &caller, id, q, Some((response, msg)))
        },
    )
    .await
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
