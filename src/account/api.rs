//! The account's router: its pages only (the API's own-account reads are
//! `/api/v1/me` and `/api/v1/me/sessions`, in `user`).

use axum::routing::{get, post};
use utoipa_axum::router::OpenApiRouter;

use super::pages;
use crate::web::AppState;

/// Every route of one's own account.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/account", get(pages::index))
        .route("/account/totp", get(pages::enrol_page).post(pages::enrol))
        .route("/account/totp/disable", post(pages::disable))
        .route("/account/recovery-codes", post(pages::regenerate))
        .route(
            "/account/password",
            get(pages::password_page).post(pages::change_password),
        )
}
