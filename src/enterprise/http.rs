//! Enterprise pages and API.

use axum::Router;
use utoipa::OpenApi;

use crate::web::AppState;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// This module's part of the OpenAPI document.
#[derive(OpenApi)]
#[openapi()]
pub struct ApiDoc;
