//! The OpenAPI 3 document at `/api/v1/openapi.json`, generated from the handlers'
//! annotations. A domain in the new shape declares each API route and its entry
//! once, in its `api::router()` (`OpenApiRouter` with `routes!`, listed in
//! [`super::declared`]); a domain not yet converted still keeps an `ApiDoc`
//! beside its `routes()`, listed in [`parts`]. [`spec`] merges every part.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        OpenApiBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        tag::TagBuilder,
    },
};
use utoipa_axum::router::OpenApiRouter;

use super::AppState;

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

/// The start of a domain's router: an empty `OpenApiRouter` carrying the
/// domain's tag and its description, to which `api::router()` adds its routes.
pub fn domain(tag: &str, description: &str) -> OpenApiRouter<AppState> {
    let tag = TagBuilder::new()
        .name(tag)
        .description(Some(description))
        .build();
    OpenApiRouter::with_openapi(OpenApiBuilder::new().tags(Some([tag])).build())
}

/// Each part of the document before merging, named by its domain: the hand-kept
/// `ApiDoc`s of the domains not yet converted, then the declared routers.
/// Merging keeps the first of two same-named schemas, so a test compares the
/// parts' schemas here, where a collision can still be seen.
pub fn parts() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    let mut parts = vec![
        ("document", DocumentDoc::openapi()),
        ("core", CoreDoc::openapi()),
        ("enterprise", crate::enterprise::http::ApiDoc::openapi()),
        ("import", crate::import::http::ApiDoc::openapi()),
        ("campaign", crate::campaign::http::ApiDoc::openapi()),
        ("activity", crate::activity::http::ApiDoc::openapi()),
        ("problem", crate::problem::http::ApiDoc::openapi()),
        ("mediation", crate::mediation::http::ApiDoc::openapi()),
        ("problem::public", crate::problem::public::ApiDoc::openapi()),
        ("problem::topics", crate::problem::topics::ApiDoc::openapi()),
        ("notify", crate::notify::http::ApiDoc::openapi()),
        ("calendar", crate::calendar::http::ApiDoc::openapi()),
        ("workday", crate::workday::http::ApiDoc::openapi()),
        ("backup", crate::backup::http::ApiDoc::openapi()),
        ("webhook", crate::webhook::api::ApiDoc::openapi()),
        ("attachment", crate::attachment::http::ApiDoc::openapi()),
        ("survey", crate::survey::http::ApiDoc::openapi()),
        (
            "survey::analysis",
            crate::survey::analysis::http::ApiDoc::openapi(),
        ),
        ("survey::public", crate::survey::public::ApiDoc::openapi()),
        ("stationing", crate::stationing::http::ApiDoc::openapi()),
        ("formation", crate::formation::http::ApiDoc::openapi()),
        (
            "formation::public",
            crate::formation::public::ApiDoc::openapi(),
        ),
        ("report", crate::report::http::ApiDoc::openapi()),
        ("todo", crate::todo::http::ApiDoc::openapi()),
        ("user::sessions", crate::user::sessions::ApiDoc::openapi()),
        ("audit", crate::audit::http::ApiDoc::openapi()),
    ];
    parts.extend(
        super::declared()
            .into_iter()
            .map(|(name, router)| (name, router.into_openapi())),
    );
    parts
}

/// The whole document: the info, security scheme and error schemas, then every part.
pub fn spec() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for (_, part) in parts() {
        doc.merge(part);
    }
    doc
}

#[derive(OpenApi)]
#[openapi(paths(document))]
struct DocumentDoc;

/// This document (OpenAPI 3.1), generated from the handlers' annotations.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "the OpenAPI document", content_type = "application/json")))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
