//! The application error. Domain modules return their own error enums and
//! convert into [`AppError`]; `web::errors` turns it into a response in one
//! place, as JSON under `/api` and as a page elsewhere, in the user's language.
//! Internal causes are logged there and never shown.

use std::sync::Arc;

use axum::{http::StatusCode, response::IntoResponse};

/// One problem with one input field, as a message key and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The field's name as the form and the JSON body spell it.
    pub field: String,
    /// The catalogue key of the message, e.g. `err-required`.
    pub key: &'static str,
    /// Named arguments of the message.
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    /// A field error without arguments.
    pub fn new(field: impl Into<String>, key: &'static str) -> Self {
        Self {
            field: field.into(),
            key,
            args: Vec::new(),
        }
    }

    /// Adds a named argument to the message.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    /// The value of a named argument.
    pub fn arg_value(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The message in `lang`, naming the field.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        let mut args = self.args.clone();
        // Repeated blocks name their fields `p2.description`: the label is the
        // field's own, the block number is said by where the message is shown.
        let name = self.field.rsplit('.').next().unwrap_or(&self.field);
        args.push(("field", lang.t(&format!("field-{name}"))));
        lang.ta(self.key, &args)
    }
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not logged in")]
    Unauthenticated,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// The request is well formed but clashes with what is already recorded
    /// (e.g. a decision on a version that was already decided): 409.
    #[error("conflict")]
    Conflict(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(&'static str),
    #[error("payload too large")]
    TooLarge,
    #[error("too many requests")]
    TooManyRequests,
    /// The person must first visit this page of their own account (set up a
    /// required second factor, change an expired password): pages redirect
    /// there, the API answers 403.
    #[error("account action required: {0}")]
    AccountAction(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error on one field.
    pub fn field(field: impl Into<String>, key: &'static str) -> Self {
        AppError::Validation(vec![FieldError::new(field, key)])
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::AccountAction(_) => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation(_) => "validation",
            AppError::Conflict(_) => "conflict",
            AppError::BadRequest(_) => "bad_request",
            AppError::TooLarge => "too_large",
            AppError::TooManyRequests => "too_many_requests",
            AppError::AccountAction(_) => "account_action_required",
            AppError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

/// Carried in the response's extensions until `web::errors` renders it.
#[derive(Clone)]
pub struct PendingError(pub Arc<AppError>);

impl IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(PendingError(Arc::new(self)));
        res
    }
}

/// The result of a handler.
pub type AppResult<T> = Result<T, AppError>;
