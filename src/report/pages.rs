//! Report pages: the list and the new-report form, the report read live
//! with its figures, timeline and versions, the editor, frozen versions,
//! submission and the issuing org's decision. Every write goes through `ops`.

use askama::Template;
use axum::{extract::State, response::Response};
use serde::Deserialize;

use super::{
    NewVersion, Report, ReportDetail, ReportInput, Status, SubmitInput, chart,
    compute::{Figure, FigureKind},
    int_param, ops,
    store::{self, Event, ListFilter, Snapshot, VersionInfo},
};
use crate::{
    auth::{Caller, Need},
    db::{CampaignId, OrgId, ReportId, now},
    error::{AppError, AppResult},
    web::{
        AppState, Form, Path, Query,
        form::{FieldMessages, submitted},
        page::{Chrome, render},
    },
};

#[derive(Template)]
#[template(path = "report/_figure.html")]
struct FigureHtml<'a> {
    c: &'a Chrome,
    f: &'a Figure,
    n: usize,
    svg: String,
}

impl FigureHtml<'_> {
    fn kind(&self) -> &'static str {
        match self.f.kind {
            FigureKind::Chart => "chart",
            FigureKind::Table => "table",
            FigureKind::Problems => "problems",
            FigureKind::Quotes => "quotes",
            FigureKind::Unavailable => "unavailable",
        }
    }
}

/// A figure as the pages show it: the chart (SVG drawn on the server), the
/// table with each counted cell linking to its records, quotes linking to
/// their response or activity, and the link to the whole evidence.
pub(super) fn figure_html(c: &Chrome, f: &Figure, n: usize) -> AppResult<String> {
    let svg = f
        .chart
        .as_ref()
        .map(|ch| chart::svg(ch, &f.title))
        .unwrap_or_default();
    Ok(FigureHtml { c, f, n, svg }.render()?)
}

/// A section as a page shows it.
struct SectionView {
    heading: String,
    paragraphs: Vec<String>,
    figures: Vec<String>,
}

fn sections_view(c: &Chrome, s: &Snapshot) -> AppResult<Vec<SectionView>> {
    let mut n = 0;
    let mut out = Vec::new();
    for sec in &s.sections {
        let mut figures = Vec::new();
        for f in &sec.figures {
            n += 1;
            figures.push(figure_html(c, f, n)?);
        }
        out.push(SectionView {
            heading: sec.heading.clone(),
            paragraphs: sec
                .text
                .split('\n')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            figures,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "report/list.html")]
struct ListPage {
    c: Chrome,
    reports: Vec<Report>,
    campaigns: Vec<crate::campaign::Campaign>,
    topics: Vec<crate::problem::Topic>,
    orgs: Vec<(OrgId, String)>,
    campaign: Option<CampaignId>,
    errors: FieldMessages,
    client_id: String,
}

impl ListPage {
    fn is_current(&self, k: &crate::campaign::Campaign) -> bool {
        self.campaign == Some(k.id)
    }

    fn status_label(&self, s: &Status) -> String {
        self.c.t(&format!("report-status-{}", s.as_str()))
    }

    fn subject(&self, r: &Report) -> String {
        r.subject(self.c.lang)
    }
}

async fn list_model(
    state: &AppState,
    caller: &Caller,
    campaign: Option<CampaignId>,
    errors: FieldMessages,
) -> AppResult<ListPage> {
    let read = caller.scope(Need::Read);
    let reports = store::list(
        &state.db,
        &read,
        &ListFilter {
            campaign,
            ..Default::default()
        },
    )
    .await?;
    let campaigns = crate::campaign::store::list(&state.db, &read, None, 200).await?;
    let topics = crate::problem::store::topics(&state.db).await?;
    let orgs =
        store::author_choices(&state.db, &caller.scope(Need::Write), caller.home_org).await?;
    Ok(ListPage {
        c: Chrome::for_caller(caller, "/reports"),
        reports,
        campaigns,
        topics,
        orgs,
        campaign,
        errors,
        client_id: crate::auth::random_token(12),
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct ListPageQuery {
    campaign: Option<String>,
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListPageQuery>,
) -> AppResult<Response> {
    let campaign = int_param::<i64>("campaign", &q.campaign)?.map(CampaignId);
    render(list_model(&state, &caller, campaign, FieldMessages::default()).await?)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct CreateForm {
    client_id: Option<String>,
    campaign_id: Option<String>,
    org_id: Option<String>,
    title: Option<String>,
    topic: Option<String>,
    worker_group: Option<String>,
}

pub(super) async fn create_page(
    State(state): State<AppState>,
    caller: Caller,
    Form(f): Form<CreateForm>,
) -> AppResult<Response> {
    let input = ReportInput {
        client_id: f.client_id.clone(),
        campaign_id: int_param::<i64>("campaign_id", &f.campaign_id)?.map(CampaignId),
        org_id: int_param::<i64>("org_id", &f.org_id)?.map(OrgId),
        title: f.title.clone(),
        topic: f.topic.clone(),
        worker_group: f.worker_group.clone(),
        sections: Some(vec![super::Section::default()]),
    };
    let made = ops::create(&state.db, &caller, &input).await;
    submitted(
        &caller,
        made,
        |made| format!("/reports/{}/edit", made.report.id),
        |errors| list_model(&state, &caller, input.campaign_id, errors),
    )
    .await
}

#[derive(Template)]
#[template(path = "report/view.html")]
struct ViewPage {
    c: Chrome,
    d: ReportDetail,
    sections: Vec<SectionView>,
    errors: FieldMessages,
    late_now: bool,
}

impl ViewPage {
    fn status_label(&self) -> String {
        self.c
            .t(&format!("report-status-{}", self.d.report.status.as_str()))
    }

    fn event_label(&self, e: &Event) -> String {
        self.c.t(e.kind.label_key())
    }

    fn subject(&self) -> String {
        self.d.report.subject(self.c.lang)
    }

    fn submitted(&self) -> bool {
        self.d.report.status == Status::Submitted
    }
}

async fn view_model(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    errors: FieldMessages,
) -> AppResult<ViewPage> {
    let d = ops::detail(&state.db, caller, id).await?;
    let c = Chrome::for_caller(caller, &format!("/reports/{id}"));
    let sections = sections_view(&c, &d.live)?;
    let late_now = now() > d.report.report_due_on.end_timestamp();
    Ok(ViewPage {
        c,
        d,
        sections,
        errors,
        late_now,
    })
}

pub(super) async fn view_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    render(view_model(&state, &caller, id, FieldMessages::default()).await?)
}

/// A page form's outcome: back to the report, or the report with the errors.
async fn after(
    state: &AppState,
    caller: &Caller,
    id: ReportId,
    result: AppResult<()>,
) -> AppResult<Response> {
    submitted(
        caller,
        result,
        |()| format!("/reports/{id}"),
        |errors| view_model(state, caller, id, errors),
    )
    .await
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct PageForm {
    name: Option<String>,
    seen: Option<String>,
    reason: Option<String>,
}

pub(super) async fn version_page_post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let input = NewVersion {
        name: f.name,
        seen: int_param::<i64>("seen", &f.seen)?,
    };
    let r = ops::add_version(&state.db, &caller, id, &input)
        .await
        .map(|_| ());
    after(&state, &caller, id, r).await
}

pub(super) async fn submit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let input = SubmitInput {
        seen: int_param::<i64>("seen", &f.seen)?,
    };
    let r = ops::submit(&state.db, &caller, id, &input)
        .await
        .map(|_| ());
    after(&state, &caller, id, r).await
}

pub(super) async fn accept_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    let r = ops::decide(&state.db, &caller, id, None).await.map(|_| ());
    after(&state, &caller, id, r).await
}

pub(super) async fn return_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
    Form(f): Form<PageForm>,
) -> AppResult<Response> {
    let reason = f.reason.unwrap_or_default();
    let r = ops::decide(&state.db, &caller, id, Some(&reason))
        .await
        .map(|_| ());
    after(&state, &caller, id, r).await
}

#[derive(Template)]
#[template(path = "report/version.html")]
struct VersionPage {
    c: Chrome,
    report: Report,
    v: VersionInfo,
    snap: Snapshot,
    sections: Vec<SectionView>,
}

pub(super) async fn version_page(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, n)): Path<(ReportId, i64)>,
) -> AppResult<Response> {
    let report = ops::visible(&state.db, &caller, id).await?;
    let (v, snap) = store::version(&state.db, id, n)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = Chrome::for_caller(&caller, &format!("/reports/{id}/versions/{n}"));
    let sections = sections_view(&c, &snap)?;
    render(VersionPage {
        c,
        report,
        v,
        snap,
        sections,
    })
}

#[derive(Template)]
#[template(path = "report/edit.html")]
struct EditPage {
    c: Chrome,
    report: Report,
    /// The editor's configuration and the report's content, as JSON.
    config: String,
}

/// Messages the editor's script shows, in the caller's language.
const EDITOR_MESSAGES: &[&str] = &[
    "report-field-title",
    "report-section",
    "report-heading",
    "report-text",
    "report-add-section",
    "report-add-element",
    "report-remove",
    "report-up",
    "report-down",
    "report-preview",
    "report-save",
    "report-saved",
    "report-unsaved",
    "report-save-failed",
    "report-kind-analysis",
    "report-kind-problems",
    "report-kind-survey_quotes",
    "report-kind-activity_quotes",
    "report-survey",
    "report-question",
    "report-display-chart",
    "report-display-table",
    "report-by",
    "report-by-none",
    "report-valid-only",
    "report-all-responses",
    "report-group",
    "report-any",
    "report-region",
    "report-topic",
    "report-search",
    "report-pick",
    "report-picked",
    "report-add",
    "report-cancel",
    "report-no-candidates",
    "field-worker_group",
    "field-region",
];

pub(super) async fn edit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ReportId>,
) -> AppResult<Response> {
    let report = ops::writable(&state.db, &caller, id).await?;
    let lang = caller.lang;
    let topics: Vec<(String, String)> = crate::problem::store::topics(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.code.clone(), t.name(lang).to_string()))
        .collect();
    let groups: Vec<(String, String)> = crate::enterprise::WorkerGroup::ALL
        .iter()
        .map(|g| (g.as_str().to_string(), lang.t(&g.label_key())))
        .collect();
    let messages: serde_json::Map<String, serde_json::Value> = EDITOR_MESSAGES
        .iter()
        // Messages with a count get `{n}` in its place, filled in by the script.
        .map(|k| {
            let text = lang.ta(k, &[("n", "{n}".to_string())]);
            (k.to_string(), serde_json::Value::String(text))
        })
        .collect();
    let config = serde_json::json!({
        "report": {
            "id": report.id,
            "title": report.title,
            "topic": report.topic_code,
            "worker_group": report.worker_group.map(|g| g.as_str()),
            "sections": report.body.sections,
        },
        "editable": report.editable(),
        "urls": {
            "save": format!("/api/v1/reports/{id}"),
            "preview": format!("/api/v1/reports/{id}/preview"),
            "sources": format!("/api/v1/reports/{id}/sources"),
            "candidates": format!("/api/v1/reports/{id}/candidates"),
            "view": format!("/reports/{id}"),
        },
        "topics": topics,
        "groups": groups,
        "t": messages,
    });
    // `</` cannot end the script element the JSON sits in.
    let config = serde_json::to_string(&config)
        .map_err(ops::internal)?
        .replace("</", "<\\/");
    render(EditPage {
        c: Chrome::for_caller(&caller, &format!("/reports/{id}/edit")),
        report,
        config,
    })
}
