//! The dashboard API, the briefing PDF under `/api/v1`, and the domain's
//! router: each API route declared once by its handler's `#[utoipa::path]`.

use axum::{extract::State, response::Response, routing::get};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Board, LevelParams, ops, pages};
use crate::{
    auth::Caller,
    db::CampaignId,
    error::{AppError, AppResult},
    web::{AppState, Json, Path, Query, download, errors::ErrorBody, openapi},
};

/// Every route of dashboards, pages and API: one `routes!` per API path,
/// then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "dashboards",
        "A campaign's or programme's figures at one level of the tree",
    )
    .routes(routes!(api_board))
    .routes(routes!(briefing_pdf))
    .route("/campaigns/{id}/dashboard", get(pages::board))
    .route("/campaigns/{id}/dashboard/records", get(pages::records))
}

/// The board of one level: totals, one line per child org, monthly trends.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/dashboard", tag = "dashboards",
    params(("id" = i64, Path, description = "Campaign or programme id"), LevelParams),
    responses((status = 200, body = Board), (status = 401, body = ErrorBody),
        (status = 404, description = "Campaign or org not visible", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_board(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Json<Board>> {
    Ok(Json(
        ops::board(&state.db, &caller, id, p.org.as_deref())
            .await?
            .0,
    ))
}

/// The one-page briefing (简报) of one level, printed from the board's figures.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/dashboard/briefing.pdf", tag = "dashboards",
    params(("id" = i64, Path, description = "Campaign or programme id"), LevelParams),
    responses((status = 200, description = "the briefing, one A4 page", content_type = "application/pdf"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Campaign or org not visible", body = ErrorBody)),
    security(("bearer" = [])))]
async fn briefing_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(p): Query<LevelParams>,
) -> AppResult<Response> {
    let (b, campaign, org) = ops::board(&state.db, &caller, id, p.org.as_deref()).await?;
    let settings = state.settings.clone();
    let lang = caller.lang;
    let bytes = tokio::task::spawn_blocking(move || super::briefing::render(&settings, &b, lang))
        .await
        .map_err(|e| AppError::Internal(e.into()))??;
    let name = format!("briefing-{}-{}.pdf", campaign.id, org.code);
    Ok(download::attachment(bytes, &name, "application/pdf"))
}
