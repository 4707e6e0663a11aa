//! The import wizard and export downloads.

use axum::Router;

use crate::web::AppState;

/// The routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
