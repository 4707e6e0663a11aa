//! The page frame every template shares: language, who is logged in, which menus show.

use askama::Template;
use axum::response::{Html, IntoResponse, Response};

use crate::{auth::Caller, error::AppError, i18n::Lang};

/// Layout model passed to every page as `c`.
#[derive(Clone, Debug)]
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<String>,
    pub is_admin: bool,
    /// Admin of a top-level org: sees the deployment-wide pages (backups).
    pub is_top_admin: bool,
    pub can_write: bool,
    /// The current path, so the language switch returns to it.
    pub path: String,
}

impl Chrome {
    /// The frame for a logged-in caller.
    pub fn for_caller(caller: &Caller, path: &str) -> Self {
        Chrome {
            lang: caller.lang,
            user: Some(caller.display_name.clone()),
            is_admin: caller.is_admin(),
            is_top_admin: caller.top_admin.is_some(),
            can_write: caller.can_write(),
            path: path.to_string(),
        }
    }

    /// The frame for a page without a logged-in user (login, errors).
    pub fn bare(lang: Lang, path: &str) -> Self {
        Chrome {
            lang,
            user: None,
            is_admin: false,
            is_top_admin: false,
            can_write: false,
            path: path.to_string(),
        }
    }

    /// A message from the catalogue.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &str, value: impl ToString) -> String {
        self.lang.ta(key, &[(name, value.to_string())])
    }

    /// A message with two arguments.
    pub fn ta2(
        &self,
        key: &str,
        n1: &str,
        v1: impl ToString,
        n2: &str,
        v2: impl ToString,
    ) -> String {
        self.lang
            .ta(key, &[(n1, v1.to_string()), (n2, v2.to_string())])
    }

    /// A count formatted for the reader.
    pub fn num(&self, n: &i64) -> String {
        self.lang.number(*n)
    }

    /// A computed count (a method's result rather than a field) formatted for the reader.
    pub fn int(&self, n: i64) -> String {
        self.lang.number(n)
    }

    /// A timestamp in China Standard Time.
    pub fn dt(&self, ts: &i64) -> String {
        self.lang.datetime(*ts)
    }

    /// The `lang` attribute of the page.
    pub fn html_lang(&self) -> &'static str {
        self.lang.code()
    }

    /// The language the switch offers.
    pub fn other_lang(&self) -> Lang {
        match self.lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// Renders a template into a response.
pub fn render(t: impl Template) -> Result<Response, AppError> {
    Ok(Html(t.render()?).into_response())
}
