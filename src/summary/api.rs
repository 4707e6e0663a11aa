//! The JSON API under `/api/v1/campaigns/{id}/summaries`, the downloads (the
//! official layout as XLSX and PDF, the counts as CSV) and the domain's
//! router: each API route is declared once, by its handler's
//! `#[utoipa::path]`, and `routes!` registers it with axum and the OpenAPI
//! document together. Downloads live under `/api/v1` too, so a script's
//! bearer token and a browser's session both reach them, and a request
//! without either is answered 401 in the JSON error shape.

use std::collections::HashMap;

use axum::{
    extract::State,
    response::Response,
    routing::{get, post},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    ChoicesInput, DecisionInput, DrillParams, ExportParams, FigureKey, LineFigures, OutcomeCounts,
    Overview, Records, ReturnInput, RollupParams, SubmitInput, UnitSummary, ops, pages,
    store::Version,
    workflow::{Action as Move, ReturnReasons},
};
use crate::{
    auth::Caller,
    db::{CampaignId, OrgId},
    error::{AppError, AppResult},
    problem::Source,
    tabular::{self, Cell, Header},
    web::{AppState, Json, Path, Query, download, errors::ErrorBody, openapi},
};

/// Every route of summary tables, pages and API: one `routes!` per API path
/// (its methods together), then the pages, which stay out of the document.
pub fn router() -> OpenApiRouter<AppState> {
    openapi::domain(
        "summaries",
        "Summary tables (情况汇总表): computed per unit, submitted, accepted or returned, rolled up",
    )
    .routes(routes!(api_overview))
    .routes(routes!(api_get, api_save))
    .routes(routes!(api_submit))
    .routes(routes!(api_accept))
    .routes(routes!(api_return))
    .routes(routes!(api_versions))
    .routes(routes!(api_records))
    .routes(routes!(unit_xlsx))
    .routes(routes!(unit_pdf))
    .routes(routes!(rollup_xlsx))
    .routes(routes!(rollup_pdf))
    .routes(routes!(counts_csv))
    .route("/campaigns/{id}/summaries", get(pages::overview))
    .route("/campaigns/{id}/summaries/records", get(pages::rollup_records))
    .route(
        "/campaigns/{id}/summary/{org}",
        get(pages::unit).post(pages::save),
    )
    .route("/campaigns/{id}/summary/{org}/accept", post(pages::accept))
    .route("/campaigns/{id}/summary/{org}/return", post(pages::return_))
    .route(
        "/campaigns/{id}/summary/{org}/versions/{v}",
        get(pages::version),
    )
    .route("/campaigns/{id}/summary/{org}/records", get(pages::records))
}

/// Completeness, each unit's standing and the roll-up of a campaign's tables:
/// by default (`basis=submitted`) the sum of what the units submitted, each
/// unit's latest version that waits for a decision or was accepted (a unit
/// without one adds nothing: `counted` is false); `basis=live` computes every
/// line from the records now. The issuing org's own level counts live in both.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), RollupParams),
    responses((status = 200, body = Overview), (status = 401, body = ErrorBody),
        (status = 403, description = "not a reader of the issuing org", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "an unknown basis (the error lists the codes)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_overview(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Json<Overview>> {
    Ok(Json(
        ops::overview(&state.db, &caller, id, q.basis()?).await?,
    ))
}

/// A unit's table computed now, with its status and versions.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    responses((status = 200, body = UnitSummary), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_get(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<UnitSummary>> {
    Ok(Json(ops::reread(&state.db, &caller, id, org).await?))
}

/// Saves the unit's choices: main problems and their order, overrides with
/// reasons, remarks. Errors name the place in the body (`main.worker[0]`,
/// `overrides.enterprises.reason`).
#[utoipa::path(put, path = "/api/v1/campaigns/{id}/summaries/{org}", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    request_body = ChoicesInput,
    responses((status = 200, body = UnitSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_save(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ChoicesInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    ops::save(&state.db, &caller, &ctx, &input).await?;
    Ok(Json(ops::reread(&state.db, &caller, id, org).await?))
}

/// Submits the table as it computes now (a frozen snapshot with its hash).
/// Late submissions are accepted and marked late; a retry stores nothing twice.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/submit", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    request_body = SubmitInput,
    responses((status = 200, body = UnitSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "not submittable now, stale version, or an undecided main problem", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_submit(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<SubmitInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    ops::submit(&state.db, &caller, &ctx, input.version).await?;
    Ok(Json(ops::reread(&state.db, &caller, id, org).await?))
}

/// Accepts the submitted version; admins over the issuing org. A version is
/// decided once: accepting a version already accepted or returned answers 409.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/accept", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    request_body = DecisionInput,
    responses((status = 200, body = UnitSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the version was already accepted or returned", body = ErrorBody),
        (status = 422, description = "not a submitted version (a draft, or a stale version number)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_accept(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<DecisionInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    ops::decide(&state.db, &caller, &ctx, input.version, Move::Accept).await?;
    Ok(Json(ops::reread(&state.db, &caller, id, org).await?))
}

/// Returns the submitted version with a reason for the whole table and/or for
/// given lines. A line must be one of the version's: a reason on any other is
/// refused (422, naming it as `lines[i].line`). A version is decided once:
/// returning a version already returned or accepted answers 409.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/summaries/{org}/return", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    request_body = ReturnInput,
    responses((status = 200, body = UnitSummary), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "the version was already returned or accepted", body = ErrorBody),
        (status = 422, description = "no reason at all, a reason on a line the version does not have, or not a submitted version", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_return(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Json(input): Json<ReturnInput>,
) -> AppResult<Json<UnitSummary>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    let reasons = ReturnReasons {
        reason: input.reason,
        lines: input.lines,
    };
    ops::decide(
        &state.db,
        &caller,
        &ctx,
        input.version,
        Move::Return(reasons),
    )
    .await?;
    Ok(Json(ops::reread(&state.db, &caller, id, org).await?))
}

/// Every submitted version of the unit's table, frozen, oldest first.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/versions", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id")),
    responses((status = 200, body = Vec<Version>), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_versions(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
) -> AppResult<Json<Vec<Version>>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    Ok(Json(ops::versions(&state.db, &ctx).await?))
}

/// The records behind one figure of the unit's table.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/records", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id"), DrillParams),
    responses((status = 200, body = Records), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, description = "an unknown drill-down (the error lists the spellings)", body = ErrorBody)),
    security(("bearer" = [])))]
async fn api_records(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<DrillParams>,
) -> AppResult<Json<Records>> {
    let ctx = ops::unit_ctx(&state.db, &caller, id, org).await?;
    Ok(Json(
        ops::unit_records(&state.db, &ctx, q.drill.as_deref()).await?,
    ))
}

// ---- downloads ----

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const PDF: &str = "application/pdf";

fn export_err(e: crate::pdf::ExportError) -> AppError {
    AppError::Internal(anyhow::anyhow!(e))
}

/// Renders `make` off the async threads (fonts, layout and compression take
/// a while), writes the download to the audit log and sends it.
async fn send<F>(
    state: &AppState,
    caller: &Caller,
    org: OrgId,
    name: String,
    mime: &'static str,
    make: F,
) -> AppResult<Response>
where
    F: FnOnce(&crate::config::Settings) -> Result<Vec<u8>, crate::pdf::ExportError>
        + Send
        + 'static,
{
    let settings = state.settings.clone();
    let body = tokio::task::spawn_blocking(move || make(&settings))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(export_err)?;
    ops::record_export(&state.db, caller, org, &name, body.len()).await?;
    Ok(download::attachment(body, &name, mime))
}

/// The unit's table in the official layout as XLSX: as it computes now, or a
/// submitted version (`?version=`).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/table.xlsx", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id"), ExportParams),
    responses((status = 200, description = "the table in the official layout", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn unit_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<ExportParams>,
) -> AppResult<Response> {
    let (t, which) = ops::export_table(&state.db, &caller, id, org, q.version).await?;
    let name = format!("summary-{id}-{}-{which}.xlsx", t.head.org_code);
    send(&state, &caller, org, name, XLSX, move |_| {
        super::export::xlsx::unit_workbook(&t)
    })
    .await
}

/// The unit's table in the official layout as PDF (A4, for printing): as it
/// computes now, or a submitted version (`?version=`).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/{org}/table.pdf", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), ("org" = i64, Path, description = "The unit's org id"), ExportParams),
    responses((status = 200, description = "the table in the official layout", content_type = "application/pdf"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
async fn unit_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, org)): Path<(CampaignId, OrgId)>,
    Query(q): Query<ExportParams>,
) -> AppResult<Response> {
    let (t, which) = ops::export_table(&state.db, &caller, id, org, q.version).await?;
    let name = format!("summary-{id}-{}-{which}.pdf", t.head.org_code);
    send(&state, &caller, org, name, PDF, move |settings| {
        let fonts = crate::pdf::PdfFonts::load(settings)?;
        super::export::pdf::render(std::slice::from_ref(&t), &fonts)
    })
    .await
}

/// The roll-up workbook on `basis`: the 合计, each top-level unit's table and
/// the issuing org's own level, in the official layout.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/rollup.xlsx", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), RollupParams),
    responses((status = 200, description = "the roll-up in the official layout", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn rollup_xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let (r, campaign) = ops::rollup(&state.db, &caller, id, basis).await?;
    let name = format!("summary-{id}-rollup-{basis}-{}.xlsx", download::stamp());
    send(&state, &caller, campaign.org_id, name, XLSX, move |_| {
        super::export::xlsx::rollup_workbook(&r)
    })
    .await
}

/// The roll-up on `basis` as PDF, for printing.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/rollup.pdf", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), RollupParams),
    responses((status = 200, description = "the roll-up in the official layout", content_type = "application/pdf"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn rollup_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let (r, campaign) = ops::rollup(&state.db, &caller, id, basis).await?;
    let name = format!("summary-{id}-rollup-{basis}-{}.pdf", download::stamp());
    send(
        &state,
        &caller,
        campaign.org_id,
        name,
        PDF,
        move |settings| {
            let fonts = crate::pdf::PdfFonts::load(settings)?;
            super::export::pdf::render_rollup(&r, &fonts)
        },
    )
    .await
}

/// The counts of every participating unit (its whole subtree), the issuing
/// org's own level and the total, as CSV, on the chosen basis: on the
/// submitted one a unit that adds nothing has no figures.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/summaries/counts.csv", tag = "summaries",
    params(("id" = i64, Path, description = "The campaign"), RollupParams),
    responses((status = 200, description = "one row per unit, the own level and the total", content_type = "text/csv"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
async fn counts_csv(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<CampaignId>,
    Query(q): Query<RollupParams>,
) -> AppResult<Response> {
    let basis = q.basis()?;
    let o = ops::overview(&state.db, &caller, id, basis).await?;
    let per_unit: HashMap<OrgId, LineFigures> = ops::unit_figures(&state.db, &caller, &o).await?;
    let lang = caller.lang;
    let head = |title: String, width: f64, text: bool| Header { title, width, text };
    let mut heads = vec![
        head(lang.t("field-code"), 14.0, true),
        head(lang.t("summary-unit"), 24.0, false),
        head(lang.t("summary-status"), 10.0, false),
        head(lang.t("summary-submitted-at"), 18.0, false),
        head(lang.t("summary-timeliness"), 8.0, false),
    ];
    for k in FigureKey::ALL {
        heads.push(head(k.official_label().to_string(), 10.0, false));
    }
    for s in Source::ALL {
        for code in OutcomeCounts::CODES {
            heads.push(head(
                format!(
                    "{}·{}",
                    lang.t(&format!("source-{}", s.as_str())),
                    lang.t(&format!("summary-outcome-{code}"))
                ),
                10.0,
                false,
            ));
        }
    }
    let figure_cells = |f: Option<&LineFigures>| -> Vec<Cell> {
        let Some(f) = f else {
            return vec![Cell::Empty; 6 + 15];
        };
        let mut v: Vec<Cell> = f.counts.values().into_iter().map(Cell::Int).collect();
        for counts in f.outcomes.values() {
            v.extend(counts.values().into_iter().map(Cell::Int));
        }
        v
    };
    let mut rows = Vec::new();
    for u in &o.units {
        let mut row = vec![
            Cell::Text(u.code.clone()),
            Cell::Text(u.name.clone()),
            Cell::Text(lang.t(u.standing.label_key())),
            Cell::opt(u.first_submitted_at.map(|t| lang.datetime(t)).as_deref()),
            Cell::Text(match u.late {
                Some(true) => lang.t("summary-late"),
                Some(false) => lang.t("summary-on-time"),
                None => lang.t("summary-missing"),
            }),
        ];
        row.extend(figure_cells(per_unit.get(&u.org_id)));
        rows.push(row);
    }
    let blank = || vec![Cell::Empty, Cell::Empty, Cell::Empty];
    if let Some(own) = o.lines.iter().find(|l| l.own) {
        let mut row = vec![
            Cell::Text(String::new()),
            Cell::Text(format!("{}（{}）", own.name, lang.t("summary-own-level"))),
        ];
        row.extend(blank());
        row.extend(figure_cells(Some(&own.figures)));
        rows.push(row);
    }
    let mut total = vec![
        Cell::Text(String::new()),
        Cell::Text(format!(
            "{}（{}）",
            lang.t("summary-total"),
            lang.t(basis.label_key())
        )),
    ];
    total.extend(blank());
    total.extend(figure_cells(Some(&o.totals)));
    rows.push(total);
    download::send_table(
        &state,
        &caller,
        &format!("summary-counts-{id}-{basis}"),
        tabular::Format::Csv,
        ("counts", &heads, &rows),
        format!("campaign {id}: {} units", o.units.len()),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_document_describes_the_summary_paths_and_downloads() {
        let doc = router().into_openapi();
        let json = serde_json::to_value(&doc).unwrap();
        let paths = json["paths"].as_object().unwrap();
        for p in [
            "/api/v1/campaigns/{id}/summaries",
            "/api/v1/campaigns/{id}/summaries/{org}",
            "/api/v1/campaigns/{id}/summaries/{org}/submit",
            "/api/v1/campaigns/{id}/summaries/{org}/return",
        ] {
            assert!(paths.contains_key(p), "{p}");
        }
        // A second decision is a documented conflict, not a silent success.
        for p in [
            "/api/v1/campaigns/{id}/summaries/{org}/accept",
            "/api/v1/campaigns/{id}/summaries/{org}/return",
        ] {
            assert!(
                paths[p]["post"]["responses"]
                    .as_object()
                    .unwrap()
                    .contains_key("409"),
                "{p}"
            );
        }
        let params = &paths["/api/v1/campaigns/{id}/summaries"]["get"]["parameters"];
        assert!(
            params
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "basis"),
            "{params}"
        );
        // Every download names its media type and its refusals.
        for (p, mime) in [
            ("/api/v1/campaigns/{id}/summaries/{org}/table.xlsx", XLSX),
            ("/api/v1/campaigns/{id}/summaries/{org}/table.pdf", PDF),
            ("/api/v1/campaigns/{id}/summaries/rollup.xlsx", XLSX),
            ("/api/v1/campaigns/{id}/summaries/rollup.pdf", PDF),
            ("/api/v1/campaigns/{id}/summaries/counts.csv", "text/csv"),
        ] {
            let responses = &paths[p]["get"]["responses"];
            assert!(
                responses["200"]["content"].get(mime).is_some(),
                "{p}: {responses}"
            );
            for status in ["401", "403", "404"] {
                assert!(responses.get(status).is_some(), "{p} {status}");
            }
        }
    }
}
