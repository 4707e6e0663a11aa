//! The OpenAPI 3.1 document at `/api/v1/openapi.json`, generated from the handlers'
//! annotations. Every domain declares each API route and its entry once, in its
//! `api::router()` (`OpenApiRouter` with `routes!`, listed in [`super::declared`]);
//! [`spec`] merges the parts, names each operation uniquely and documents the one
//! error shape on every operation.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        Content, OpenApiBuilder, Ref, RefOr, ResponseBuilder,
        path::Operation,
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

/// The start of a domain's router: an empty `OpenApiRouter` carrying the
/// domain's tag and its description, to which `api::router()` adds its routes.
pub fn domain(tag: &str, description: &str) -> OpenApiRouter<AppState> {
    let tag = TagBuilder::new()
        .name(tag)
        .description(Some(description))
        .build();
    OpenApiRouter::with_openapi(OpenApiBuilder::new().tags(Some([tag])).build())
}

/// Each part of the document before merging, named by its domain: this
/// document's own entry, then the declared routers.
/// Merging keeps the first of two same-named schemas, so a test compares the
/// parts' schemas here, where a collision can still be seen.
pub fn parts() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    let mut parts = vec![("document", DocumentDoc::openapi())];
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
    for (name, mut part) in parts() {
        for op in operations(&mut part) {
            name_operation(name, op);
            document_errors(op);
        }
        doc.merge(part);
    }
    doc
}

/// Every operation of a document, whatever its method.
fn operations(doc: &mut utoipa::openapi::OpenApi) -> impl Iterator<Item = &mut Operation> {
    doc.paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
    })
}

/// Prefixes the operation id (utoipa takes the handler's name, so every domain has
/// its `api_get`) with the operation's tag, or the part's name when it has none, as
/// generated clients need ids unique in the document: `api_get` of the tag
/// `work groups` becomes `work_groups_api_get`.
fn name_operation(part: &str, op: &mut Operation) {
    let prefix = match op.tags.as_ref().and_then(|t| t.first()) {
        Some(tag) => tag.replace(' ', "_"),
        None => part.replace("::", "_"),
    };
    if let Some(id) = &op.operation_id {
        op.operation_id = Some(format!("{prefix}_{id}"));
    }
}

/// Every error under `/api/v1` is the one [`ErrorBody`](super::errors::ErrorBody)
/// (the `api_json` layer makes it so), so the document says it once here rather
/// than in each annotation: a listed 4xx/5xx without a body gets it, and
/// `default` covers the rest (400 for a body that is not JSON, 401, 405, 413, 429…
/// can answer any operation).
fn document_errors(op: &mut Operation) {
    let error_body = || Content::new(Some(Ref::from_schema_name("ErrorBody")));
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(response) = response
            && (status.starts_with('4') || status.starts_with('5'))
            && response.content.is_empty()
        {
            response
                .content
                .insert("application/json".to_string(), error_body());
        }
    }
    op.responses
        .responses
        .entry("default".to_string())
        .or_insert_with(|| {
            RefOr::T(
                ResponseBuilder::new()
                    .description("An error, in the one error shape: `error.code` names it")
                    .content("application/json", error_body())
                    .build(),
            )
        });
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
