//! The questionnaire builder: `/surveys/{id}/build` shows the newest version's
//! form (or an empty one) in the hand-written JSON shape of
//! `PUT /api/v1/surveys/{id}/form` (`form_json::editable`), and
//! `assets/survey-builder.js` edits it in the page and saves it through that
//! same API with the session, so a form built on the page and one sent by a
//! script go through one parser, one validation and one draft rule.
//!
//! This file holds the builder's data and the expression check; the page is
//! in `pages`, the check's endpoint in `api`.
//!
//! Expressions are checked as they are typed by `POST
//! /api/v1/surveys/expression`, the server's own parser: the page shows the
//! message the save would give, in the user's language, at the character it
//! names.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Survey, expr, form_json, store};
use crate::{db::Db, error::AppResult, i18n::Lang};

/// The texts the script writes into the page, by key without the `builder-`
/// prefix; the template holds the rest.
pub(crate) const SCRIPT_TEXTS: &[&str] = &[
    "add-question",
    "add-in-group",
    "kind",
    "kind-select_one",
    "kind-select_multiple",
    "kind-text",
    "kind-integer",
    "kind-decimal",
    "kind-date",
    "kind-range",
    "kind-rating",
    "kind-note",
    "kind-section",
    "kind-page",
    "kind-matrix",
    "up",
    "down",
    "remove",
    "remove-confirm",
    "name",
    "name-hint",
    "name-invalid",
    "name-duplicate",
    "label-zh",
    "group-label",
    "label-en",
    "hint",
    "required",
    "required-no",
    "required-yes",
    "required-when",
    "required-message",
    "relevant",
    "relevant-hint",
    "constraint",
    "constraint-hint",
    "constraint-message",
    "appearance",
    "appearance-minimal",
    "appearance-horizontal",
    "appearance-rating",
    "appearance-field-list",
    "other",
    "shuffle",
    "choices",
    "choice-list",
    "choice-list-new",
    "choice-list-shared",
    "choice-code",
    "choice-label",
    "choice-add",
    "list-name",
    "range-start",
    "range-end",
    "range-step",
    "group-empty",
    "matrix-note",
    "matrix-add-row",
    "form-empty",
    "untitled",
    "saving",
    "saved",
    "saved-short",
    "save-failed",
    "network",
    "errors",
    "errors-elsewhere",
    "restored",
    "restored-other",
    "discard",
    "discard-confirm",
    "unsaved",
];

/// The builder's data for survey `s` (`#qt-builder-config`, `<` escaped) and
/// whether the newest version is published (a save starts a new version).
pub async fn config(db: &Db, s: &Survey, lang: Lang) -> AppResult<(String, bool)> {
    let id = s.id;
    let versions = store::versions(db, id).await?;
    let newest = versions.first();
    let form = match newest {
        Some(v) => store::version(db, id, v.id)
            .await?
            .map(|(_, f)| form_json::editable(&f)),
        None => None,
    }
    .unwrap_or_else(|| json!({"title": s.title, "items": [], "choice_lists": []}));
    let texts: serde_json::Map<String, Value> = SCRIPT_TEXTS
        .iter()
        .map(|k| {
            // The script puts the numbers and names in.
            let args = [
                ("name", "{name}".to_string()),
                ("count", "{count}".to_string()),
            ];
            (
                k.to_string(),
                json!(lang.ta(&format!("builder-{k}"), &args)),
            )
        })
        .chain([(
            "unknown-reference".to_string(),
            json!(lang.ta(
                "xlsform-err-unknown-reference",
                &[("detail", "{name}".to_string())]
            )),
        )])
        .collect();
    let config = json!({
        "survey": id,
        "version": newest.map(|v| v.id),
        "form": form,
        "save": format!("/api/v1/surveys/{id}/form"),
        "check": "/api/v1/surveys/expression",
        "preview": format!("/surveys/{id}/preview"),
        "lang": lang.code(),
        "msg": texts,
    });
    // `<` only occurs inside JSON strings, where \u003c means the same.
    Ok((
        config.to_string().replace('<', "\\u003c"),
        newest.is_some_and(|v| v.published_at.is_some()),
    ))
}

/// An expression to check.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ExpressionInput {
    /// The expression as a designer types it (docs/expressions.md).
    pub expr: String,
}

/// Whether an expression parses: when it does, its canonical spelling and the
/// questions it reads; when not, where and why, in the caller's language.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExpressionCheck {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// The names read as `${name}`, sorted.
    pub references: Vec<String>,
    /// Whether it reads `.`, the question's own answer.
    pub uses_current: bool,
    /// The character the error is at, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pos: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Parses an expression the way saving a form does, for the builder's live
/// check. An empty text is "no condition" and passes.
pub fn check(text: &str, lang: Lang) -> ExpressionCheck {
    if text.trim().is_empty() {
        ExpressionCheck {
            ok: true,
            canonical: Some(String::new()),
            references: Vec::new(),
            uses_current: false,
            pos: None,
            message: None,
        }
    } else {
        match expr::parse(text) {
            Ok(e) => ExpressionCheck {
                ok: true,
                canonical: Some(e.to_string()),
                references: e.references().into_iter().map(String::from).collect(),
                uses_current: e.uses_current(),
                pos: None,
                message: None,
            },
            Err(err) => ExpressionCheck {
                ok: false,
                canonical: None,
                references: Vec::new(),
                uses_current: false,
                pos: Some(err.pos),
                message: Some(err.message(lang)),
            },
        }
    }
}
