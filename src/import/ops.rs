//! The use cases of importing and exporting: applying checked rows (all in
//! one transaction with the audit entry, or none), committing a staged
//! upload, and the exports and templates. No HTTP here.

use std::collections::{BTreeSet, HashSet};

use super::{
    Analysis, ApplyError, Committed, ImportKind, Outcome, Plans, already_committed, analyse,
    enterprises, issue, orgs, store,
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need, Scope},
    db::{Db, DbError, ImportId, OrgId},
    error::{AppError, AppResult},
    i18n::Lang,
    tabular::{self, Cell, Header},
};

/// Inserts every checked row in one transaction, or none. With `pending`, the
/// staged import is marked committed in the same transaction, so a second commit
/// of it finds it taken and imports nothing. Audited as [`Action::Import`].
pub async fn apply(
    db: &Db,
    caller: &Caller,
    analysis: Analysis,
    pending: Option<ImportId>,
) -> Result<Outcome, AppError> {
    let Analysis {
        mut preview,
        plans,
        sheet,
        lang,
    } = analysis;
    if !preview.errors.is_empty() || plans.is_empty() {
        return Ok(Outcome::Rejected(Box::new(preview)));
    }
    let mut tx = Audited::begin(db).await?;
    if let Some(id) = pending {
        store::mark_committed(&mut tx, caller, id).await?;
    }
    let result = match &plans {
        Plans::Orgs(p) => orgs::apply(&mut tx, p).await.map(|ids| ids.len()),
        Plans::Enterprises(p) => enterprises::apply(&mut tx, p).await.map(|ids| ids.len()),
    };
    let created = match result {
        Ok(n) => n,
        Err(ApplyError::Rows(errors)) => {
            // Dropped without a commit: the transaction rolls back.
            drop(tx);
            preview.valid_rows = preview
                .rows
                .saturating_sub(errors.iter().map(|e| e.row).collect::<BTreeSet<_>>().len());
            preview.errors = errors.iter().map(|e| issue(&sheet, e, lang)).collect();
            return Ok(Outcome::Rejected(Box::new(preview)));
        }
        Err(ApplyError::App(e)) => {
            drop(tx);
            return Err(e);
        }
    };
    let target = match pending {
        Some(id) => format!("import:{id}"),
        None => format!("import:{}", preview.kind.as_str()),
    };
    let entry = Entry::by(caller, caller.home_org, Action::Import)
        .target(target)
        .detail(format!(
            "{}: {created} rows from {}",
            preview.kind.as_str(),
            preview.filename
        ));
    tx.commit([entry]).await?;
    Ok(Outcome::Done(Committed {
        kind: preview.kind,
        filename: preview.filename,
        created,
        import_id: pending,
    }))
}

/// Commits a staged import of the caller: reads the kept file again, checks it
/// again (the database may have changed since the preview) and applies it.
pub async fn commit(
    db: &Db,
    caller: &Caller,
    id: ImportId,
    max_rows: usize,
) -> Result<Outcome, AppError> {
    let pending = store::get(db, caller, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if pending.committed_at.is_some() {
        return Err(already_committed());
    }
    let analysis = analyse(
        db,
        caller,
        pending.kind,
        &pending.filename,
        &pending.content,
        max_rows,
    )
    .await?;
    apply(db, caller, analysis, Some(id)).await
}

/// The orgs of a scope, as a set (to decide whose phones an export may show).
async fn org_ids(db: &Db, scope: &Scope) -> Result<HashSet<OrgId>, DbError> {
    if scope.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!("SELECT id FROM orgs WHERE {}", scope.sql("id"));
    let ids: Vec<OrgId> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_all(db.pool())
        .await?;
    Ok(ids.into_iter().collect())
}

/// The header row of a kind in `lang`.
pub fn headers(kind: ImportKind, lang: Lang) -> Vec<Header> {
    kind.columns()
        .iter()
        .map(|c| Header {
            title: c.title(lang).to_string(),
            width: c.width,
            text: c.text,
        })
        .collect()
}

/// The rows the caller may export, and how many show an unmasked phone: phones
/// show in full only on rows of orgs where the caller may write (cadre and up).
pub async fn export_rows(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
) -> AppResult<(Vec<Vec<Cell>>, usize)> {
    let scope = caller.require(Need::Read)?;
    let writable = org_ids(db, &caller.scope(Need::Write)).await?;
    Ok(match kind {
        ImportKind::Orgs => {
            let orgs = crate::org::store::list_all(db, &scope).await?;
            super::orgs::export_rows(&orgs, caller.lang, &writable)
        }
        ImportKind::Enterprises => {
            super::enterprises::export(db, &scope, caller.lang, &writable).await?
        }
    })
}

/// The notes sheet of a template: each column, whether it is required, its format.
pub fn notes(kind: ImportKind, lang: Lang) -> Vec<Vec<String>> {
    let mut lines = vec![vec![
        lang.t("import-notes-column"),
        lang.t("import-notes-required"),
        lang.t("import-notes-format"),
    ]];
    for c in kind.columns() {
        lines.push(vec![
            c.title(lang).to_string(),
            lang.t(if c.required {
                "import-notes-yes"
            } else {
                "import-notes-no"
            }),
            c.note.map(|k| lang.t(k)).unwrap_or_default(),
        ]);
    }
    lines
}

/// A file to download: its body, name and media type.
pub struct Download {
    pub body: Vec<u8>,
    pub filename: String,
    pub mime: &'static str,
}

/// The export of a kind the caller reads (audited), or its empty template with notes.
pub async fn export(
    db: &Db,
    caller: &Caller,
    kind: ImportKind,
    format: tabular::Format,
    template: bool,
) -> AppResult<Download> {
    let lang = caller.lang;
    let heads = headers(kind, lang);
    let sheet_name = lang.t(kind.label_key());
    let (rows, shown) = if template {
        caller.require(Need::Read)?;
        (Vec::new(), 0)
    } else {
        export_rows(db, caller, kind).await?
    };
    let body = match format {
        tabular::Format::Xlsx if template => {
            let notes = notes(kind, lang);
            let title = lang.t("import-notes-sheet");
            tabular::write_xlsx_with_notes(&sheet_name, &heads, &rows, Some((&title, &notes)))
                .map_err(|e| AppError::Internal(e.into()))?
        }
        tabular::Format::Xlsx => tabular::write_xlsx(&sheet_name, &heads, &rows)
            .map_err(|e| AppError::Internal(e.into()))?,
        tabular::Format::Csv => tabular::write_csv(&heads, &rows),
    };
    let (ext, mime) = match format {
        tabular::Format::Xlsx => (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        tabular::Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    let stem = if template {
        format!("{}-template", kind.as_str())
    } else {
        format!(
            "{}-{}",
            kind.as_str(),
            // The date in China Standard Time.
            (chrono::Utc::now() + chrono::TimeDelta::hours(8)).format("%Y%m%d")
        )
    };
    if !template {
        let e = Entry::by(caller, caller.home_org, Action::Export)
            .target(format!("export:{}.{ext}", kind.as_str()))
            .detail(format!(
                "{} rows, {shown} with phone numbers shown",
                rows.len()
            ));
        audit::store::record(db.pool(), &e).await?;
    }
    Ok(Download {
        body,
        filename: format!("{stem}.{ext}"),
        mime,
    })
}
