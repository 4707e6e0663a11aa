//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers'
//! annotations: each domain module contributes its own `ApiDoc`, merged here.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Qingting 倾听 API", version = "1", description = "Trade-union outreach: orgs, enterprises, users. Authenticate with `Authorization: Bearer <token>` (create one with `qingting token create`). Errors are `{\"error\": {\"code\", \"message\", \"fields\": [{\"field\", \"message\"}]}}`; messages follow `Accept-Language` (zh-CN default, en)."),
    security(("bearer" = [])),
    modifiers(&BearerAuth),
    components(schemas(crate::web::errors::ErrorBody, crate::web::errors::ErrorDetail, crate::web::errors::FieldMessage))
)]
struct ApiDoc;

#[derive(OpenApi)]
#[openapi(
    paths(
        crate::user::http::api_me,
        crate::user::http::api_list,
        crate::user::http::api_create,
        crate::user::http::api_get,
        crate::user::http::api_roles,
        crate::user::http::api_grant,
        crate::user::http::api_revoke,
        crate::org::http::api_list,
        crate::org::http::api_get,
        crate::org::http::api_children,
        crate::org::http::api_counts,
        crate::org::http::api_create,
        crate::org::http::api_update,
        crate::org::http::api_move,
        crate::org::http::api_active,
    ),
    tags((name = "orgs", description = "The organisation tree"), (name = "users", description = "People and their roles"))
)]
struct CoreDoc;

/// The whole document.
pub fn spec() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(CoreDoc::openapi());
    doc.merge(crate::enterprise::http::ApiDoc::openapi());
    doc.merge(crate::campaign::http::ApiDoc::openapi());
    doc.merge(crate::summary::http::ApiDoc::openapi());
    doc.merge(crate::supervision::http::ApiDoc::openapi());
    doc.merge(crate::activity::http::ApiDoc::openapi());
    doc.merge(crate::problem::http::ApiDoc::openapi());
    doc.merge(crate::mediation::http::ApiDoc::openapi());
    doc.merge(crate::problem::public::ApiDoc::openapi());
    doc.merge(crate::problem::topics::ApiDoc::openapi());
    doc.merge(crate::notify::http::ApiDoc::openapi());
    doc.merge(crate::calendar::http::ApiDoc::openapi());
    doc.merge(crate::workday::http::ApiDoc::openapi());
    doc.merge(crate::backup::http::ApiDoc::openapi());
    doc.merge(crate::webhook::api::ApiDoc::openapi());
    doc.merge(crate::attachment::http::ApiDoc::openapi());
    doc.merge(crate::survey::http::ApiDoc::openapi());
    doc.merge(crate::survey::analysis::http::ApiDoc::openapi());
    doc.merge(crate::survey::public::ApiDoc::openapi());
    doc.merge(crate::dashboard::http::ApiDoc::openapi());
    doc.merge(crate::stationing::http::ApiDoc::openapi());
    doc.merge(crate::formation::http::ApiDoc::openapi());
    doc.merge(crate::formation::public::ApiDoc::openapi());
    doc.merge(crate::service::http::ApiDoc::openapi());
    doc.merge(crate::report::http::ApiDoc::openapi());
    doc.merge(crate::todo::http::ApiDoc::openapi());
    doc.merge(crate::user::sessions::ApiDoc::openapi());
    doc.merge(crate::audit::http::ApiDoc::openapi());
    doc
}

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
