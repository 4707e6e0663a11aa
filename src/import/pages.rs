//! The import wizard: `GET /import` (choose a kind, upload), `POST /import`
//! (preview with every row error), `GET /import/{id}` (a staged upload's
//! preview again), `POST /import/{id}/commit` (all or nothing). The exports
//! it links to are served by the API.

use askama::Template;
use axum::{
    extract::{Multipart, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;

use super::{Committed, ImportKind, Outcome, Preview, analyse, commit, store};
use crate::{
    auth::{Caller, Need},
    db::ImportId,
    error::{AppError, AppResult},
    i18n::Lang,
    tabular,
    web::{
        AppState, Path, Query,
        page::{Chrome, render},
    },
};

/// One kind on the upload page.
struct KindChoice {
    kind: ImportKind,
    allowed: bool,
}

#[derive(Template)]
#[template(path = "import/index.html")]
struct IndexPage {
    c: Chrome,
    kinds: Vec<KindChoice>,
    selected: ImportKind,
    errors: Vec<String>,
    max_mb: usize,
    max_rows: i64,
}

impl IndexPage {
    fn limits(&self) -> String {
        self.c.lang.ta(
            "import-limits",
            &[
                ("mb", self.max_mb.to_string()),
                ("rows", self.c.lang.number(self.max_rows)),
            ],
        )
    }
}

fn kind_choices(caller: &Caller) -> Vec<KindChoice> {
    ImportKind::ALL
        .into_iter()
        .map(|kind| KindChoice {
            kind,
            allowed: !caller.scope(kind.need()).is_empty(),
        })
        .collect()
}

fn index(
    state: &AppState,
    caller: &Caller,
    selected: Option<ImportKind>,
    errors: Vec<String>,
) -> IndexPage {
    let kinds = kind_choices(caller);
    let selected = selected
        .filter(|k| kinds.iter().any(|c| c.kind == *k && c.allowed))
        .or_else(|| kinds.iter().rev().find(|c| c.allowed).map(|c| c.kind))
        .unwrap_or(ImportKind::Enterprises);
    IndexPage {
        c: Chrome::for_caller(caller, "/import"),
        kinds,
        selected,
        errors,
        max_mb: state.settings.import.max_upload_bytes.div_ceil(1024 * 1024),
        max_rows: state.settings.import.max_rows as i64,
    }
}

#[derive(Deserialize, Default)]
pub(super) struct IndexQuery {
    kind: Option<String>,
}

/// `GET /import`.
pub(super) async fn index_page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<IndexQuery>,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let kind = q.kind.as_deref().and_then(ImportKind::parse);
    render(index(&state, &caller, kind, Vec::new()))
}

#[derive(Template)]
#[template(path = "import/preview.html")]
struct PreviewPage {
    c: Chrome,
    preview: Preview,
    /// The staged upload, when it can be committed.
    import_id: Option<ImportId>,
    /// Set when a commit was refused.
    commit_failed: bool,
}

impl PreviewPage {
    fn kind_label(&self) -> String {
        self.c.t(self.preview.kind.label_key())
    }

    fn n(&self, v: impl std::borrow::Borrow<usize>) -> String {
        self.c.lang.number(*v.borrow() as i64)
    }

    fn column(&self, i: &usize) -> &str {
        self.preview.columns.get(*i).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "import/done.html")]
struct DonePage {
    c: Chrome,
    done: Committed,
    /// When set, the upload had been committed before (at this time).
    earlier: Option<i64>,
}

impl DonePage {
    fn created(&self) -> String {
        self.c.lang.number(self.done.created as i64)
    }

    fn kind_label(&self) -> String {
        self.c.t(self.done.kind.label_key())
    }

    fn list_url(&self) -> &'static str {
        match self.done.kind {
            ImportKind::Orgs => "/orgs",
            ImportKind::Enterprises => "/enterprises",
        }
    }
}

/// Messages of a validation error, for pages that show them in an alert.
fn messages(e: &AppError, lang: Lang, max_bytes: usize) -> Option<Vec<String>> {
    match e {
        AppError::Validation(fs) => Some(fs.iter().map(|f| f.message(lang)).collect()),
        AppError::TooLarge => Some(vec![
            tabular::TableError::TooLarge { max_bytes }
                .field_error()
                .message(lang),
        ]),
        _ => None,
    }
}

/// `POST /import`: the preview with every row error.
pub(super) async fn upload_page(
    State(state): State<AppState>,
    caller: Caller,
    form: Multipart,
) -> AppResult<Response> {
    caller.require(Need::Write)?;
    let limits = &state.settings.import;
    let up = match super::api::read_upload(form, limits.max_upload_bytes).await {
        Ok(up) => up,
        Err(e) => return rejected_index(&state, &caller, None, e),
    };
    let Some(kind) = up.kind.as_deref().and_then(ImportKind::parse) else {
        let e = AppError::field("import_kind", "err-required");
        return rejected_index(&state, &caller, None, e);
    };
    let analysis = match analyse(
        &state.db,
        &caller,
        kind,
        &up.filename,
        &up.bytes,
        limits.max_rows,
    )
    .await
    {
        Ok(a) => a,
        Err(e) => return rejected_index(&state, &caller, Some(kind), e),
    };
    let import_id = if analysis.is_clean() {
        Some(store::stage(&state.db, &caller, kind, &up.filename, &up.bytes).await?)
    } else {
        None
    };
    let status = if analysis.is_clean() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PreviewPage {
        c: Chrome::for_caller(&caller, "/import"),
        preview: analysis.preview,
        import_id,
        commit_failed: false,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The upload page again with the reasons a file was refused (422, also for a
/// file too large: a 413 would be replaced by the generic error page); other
/// errors (forbidden, internal) go to the error page.
fn rejected_index(
    state: &AppState,
    caller: &Caller,
    kind: Option<ImportKind>,
    e: AppError,
) -> AppResult<Response> {
    let max_bytes = state.settings.import.max_upload_bytes;
    let Some(msgs) = messages(&e, caller.lang, max_bytes) else {
        return Err(e);
    };
    let page = index(state, caller, kind, msgs);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

/// `GET /import/{id}`.
pub(super) async fn pending_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ImportId>,
) -> AppResult<Response> {
    let pending = store::get(&state.db, &caller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let analysis = analyse(
        &state.db,
        &caller,
        pending.kind,
        &pending.filename,
        &pending.content,
        state.settings.import.max_rows,
    )
    .await?;
    if let Some(at) = pending.committed_at {
        return render(DonePage {
            c: Chrome::for_caller(&caller, &format!("/import/{id}")),
            done: Committed {
                kind: pending.kind,
                filename: pending.filename,
                created: analysis.preview.rows,
                import_id: Some(id),
            },
            earlier: Some(at),
        });
    }
    let clean = analysis.is_clean();
    render(PreviewPage {
        c: Chrome::for_caller(&caller, &format!("/import/{id}")),
        preview: analysis.preview,
        import_id: clean.then_some(id),
        commit_failed: false,
    })
}

/// `POST /import/{id}/commit`.
pub(super) async fn commit_page(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<ImportId>,
) -> AppResult<Response> {
    let path = format!("/import/{id}");
    match commit(&state.db, &caller, id, state.settings.import.max_rows).await {
        Ok(Outcome::Done(done)) => render(DonePage {
            c: Chrome::for_caller(&caller, &path),
            done,
            earlier: None,
        }),
        Ok(Outcome::Rejected(preview)) => {
            let page = PreviewPage {
                c: Chrome::for_caller(&caller, &path),
                preview: *preview,
                import_id: None,
                commit_failed: true,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}
