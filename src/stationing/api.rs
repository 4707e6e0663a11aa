//! The JSON API under `/api/v1/campaigns/{id}/groups` and
//! `/api/v1/work-groups`, and the router of work groups: each API route is
//! declared once by its handler's `#[utoipa::path]`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    Contact, ContactInput, GroupDetail, GroupInput, ItemInput, LeaderVisit, ProgrammeOutputs,
    Study, StudyInput, VisitInput, ops, pages,
};
use crate::{
    auth::Caller,
    db::{CampaignId, WorkGroupId},
    error::AppResult,
    web::{AppState, Json, Path, errors::ErrorBody, openapi},
};

/// Every route of work groups: one `routes!` per API path, then the pages.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "work groups",
        "Stationing programmes (蹲点): work groups, their members and duties, contacts, study log, leaders' visits and outputs",
    )
    .routes(routes!(api_list, api_create))
    .routes(routes!(api_get, api_update))
    .routes(routes!(api_contact_add))
    .routes(routes!(api_contact_put))
    .routes(routes!(api_study_add))
    .routes(routes!(api_study_put))
    .routes(routes!(api_visit_add))
    .routes(routes!(api_visit_put))
    .route(
        "/campaigns/{id}/groups",
        get(pages::programme).post(pages::create),
    )
    .route("/campaigns/{id}/groups/new", get(pages::new))
    .route("/work-groups/{id}", get(pages::group))
    .route(
        "/work-groups/{id}/edit",
        get(pages::edit).post(pages::update),
    )
    .route("/work-groups/{id}/{kind}", post(pages::item_add))
    .route(
        "/work-groups/{id}/{kind}/{item}",
        get(pages::item_edit).post(pages::item_save),
    )
}

/// The programme's groups compared: one row per group the caller reaches
/// (host, leader, members, arrival, enterprises visited, interviews,
/// symposiums, questionnaires collected and valid, problems) and the total.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/groups", tag = "work groups",
    params(("id" = i64, Path, description = "a campaign of kind stationing")),
    responses((status = 200, body = ProgrammeOutputs), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
) -> AppResult<Json<ProgrammeOutputs>> {
    Ok(Json(
        ops::programme_outputs(&state.db, &caller, id).await?.1,
    ))
}

/// Creates a work group of a stationing programme, with its members
/// (exactly one leader) and a stay of 3–6 months inside the programme.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/groups", tag = "work groups",
    params(("id" = i64, Path)),
    request_body(content = GroupInput, example = json!({"name": "湖南工作组", "host_org_code": "P-HUNAN",
        "region": "湖南", "arrival_due_on": "2021-05-20", "starts_on": "2021-05-18", "ends_on": "2021-11-17",
        "party_branch": true, "members": [
            {"name": "张建国", "department": "全总组织部", "duty": "组长", "leader": true},
            {"name": "李丽华", "department": "全总宣教部", "duty": "联络", "leader": false}]})),
    responses((status = 201, body = GroupDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Json(input): Json<GroupInput>,
) -> AppResult<Response> {
    let gid = ops::create(&state.db, &caller, id, &input).await?;
    let d = ops::detail_of(&state.db, &caller, gid).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

/// A group with its members, contacts (phones masked unless the caller may
/// write for it; an unmasked view is audited), study log, leaders' visits,
/// outputs and latest activities.
#[utoipa::path(get, path = "/api/v1/work-groups/{id}", tag = "work groups",
    params(("id" = i64, Path)),
    responses((status = 200, body = GroupDetail), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
) -> AppResult<Json<GroupDetail>> {
    Ok(Json(ops::detail_of(&state.db, &caller, id).await?))
}

/// Changes a group: the fields given replace the group's; `members`, when
/// given, replaces the whole list.
#[utoipa::path(patch, path = "/api/v1/work-groups/{id}", tag = "work groups",
    params(("id" = i64, Path)), request_body = GroupInput,
    responses((status = 200, body = GroupDetail), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<GroupInput>,
) -> AppResult<Json<GroupDetail>> {
    ops::update(&state.db, &caller, id, input, true).await?;
    Ok(Json(ops::detail_of(&state.db, &caller, id).await?))
}

/// Adds a contact at a local union.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/contacts", tag = "work groups",
    params(("id" = i64, Path)),
    request_body(content = ContactInput, example = json!({"name": "王芳", "job_title": "副主席",
        "org_name": "长沙县总工会", "phone": "13800138000"})),
    responses((status = 201, body = Contact), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_contact_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<ContactInput>,
) -> AppResult<Response> {
    let item = ops::save_item(&state.db, &caller, id, None, &ItemInput::Contact(input)).await?;
    let c = ops::contact(&state.db, id, item).await?;
    Ok((StatusCode::CREATED, Json(c)).into_response())
}

/// Rewrites a contact.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/contacts/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = ContactInput,
    responses((status = 200, body = Contact), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_contact_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<ContactInput>,
) -> AppResult<Json<Contact>> {
    ops::save_item(
        &state.db,
        &caller,
        id,
        Some(item),
        &ItemInput::Contact(input),
    )
    .await?;
    Ok(Json(ops::contact(&state.db, id, item).await?))
}

/// Adds a study session to the log.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/studies", tag = "work groups",
    params(("id" = i64, Path)),
    request_body(content = StudyInput, example = json!({"held_on": "2021-06-01",
        "subject": "学习新就业形态劳动者权益保障文件", "attendees": 8})),
    responses((status = 201, body = Study), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_study_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<StudyInput>,
) -> AppResult<Response> {
    let item = ops::save_item(&state.db, &caller, id, None, &ItemInput::Study(input)).await?;
    let s = ops::study(&state.db, id, item).await?;
    Ok((StatusCode::CREATED, Json(s)).into_response())
}

/// Rewrites a study session.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/studies/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = StudyInput,
    responses((status = 200, body = Study), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_study_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<StudyInput>,
) -> AppResult<Json<Study>> {
    ops::save_item(&state.db, &caller, id, Some(item), &ItemInput::Study(input)).await?;
    Ok(Json(ops::study(&state.db, id, item).await?))
}

/// Records a leader's visit to the group.
#[utoipa::path(post, path = "/api/v1/work-groups/{id}/visits", tag = "work groups",
    params(("id" = i64, Path)),
    request_body(content = VisitInput, example = json!({"visited_on": "2021-07-15",
        "leader_name": "蔡振华", "leader_title": "全总党组书记"})),
    responses((status = 201, body = LeaderVisit), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_visit_add(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<WorkGroupId>,
    Json(input): Json<VisitInput>,
) -> AppResult<Response> {
    let item = ops::save_item(&state.db, &caller, id, None, &ItemInput::Visit(input)).await?;
    let v = ops::visit(&state.db, id, item).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Rewrites a leader's visit.
#[utoipa::path(put, path = "/api/v1/work-groups/{id}/visits/{item}", tag = "work groups",
    params(("id" = i64, Path), ("item" = i64, Path)), request_body = VisitInput,
    responses((status = 200, body = LeaderVisit), (status = 422, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_visit_put(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, item)): Path<(WorkGroupId, i64)>,
    Json(input): Json<VisitInput>,
) -> AppResult<Json<LeaderVisit>> {
    ops::save_item(&state.db, &caller, id, Some(item), &ItemInput::Visit(input)).await?;
    Ok(Json(ops::visit(&state.db, id, item).await?))
}
