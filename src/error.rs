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
        // A JSON body's path (`lines[0].value`) is labelled by its last name;
        // a name the catalogue does not label is shown as it is spelled.
        // A path the catalogue labels as a whole (`overrides.solved.reason`
        // as `field-overrides-solved-reason`, indexes left out) is labelled so.
        let name = self.field.rsplit('.').next().unwrap_or(&self.field);
        let name = name.split('[').next().unwrap_or(name);
        let key = format!("field-{name}");
        let mut whole = String::from("field-");
        let mut in_index = false;
        for ch in self.field.chars() {
            match ch {
                '[' => in_index = true,
                ']' => in_index = false,
                '.' if !in_index => whole.push('-'),
                c if !in_index => whole.push(c),
                _ => {}
            }
        }
        let label = if self.field.is_empty() {
            "JSON".to_string()
        } else if self.field.contains('.') && lang.has(&whole) {
            lang.t(&whole)
        } else if lang.has(&key) {
            lang.t(&key)
        } else {
            self.field.clone()
        };
        args.push(("field", label));
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
    /// The body is not JSON at all (a syntax error, cut short, trailing text): 400.
    #[error("malformed JSON body")]
    MalformedJson,
    /// Query parameters that cannot be read, each named: 400.
    #[error("invalid query parameters")]
    InvalidQuery(Vec<FieldError>),
    /// Path parameters that cannot be read (`/orgs/abc`), each named: 400.
    #[error("invalid path parameters")]
    InvalidPath(Vec<FieldError>),
    /// The body's `Content-Type` is not one the route reads: 415.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The route exists but not with this method: 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    TooLarge,
    /// Over a rate limit: 429, with the seconds until the limit's window ends
    /// when known (sent as `Retry-After`).
    #[error("too many requests")]
    TooManyRequests(Option<u64>),
    /// The request took longer than the server allows: 408.
    #[error("request timed out")]
    Timeout,
    /// A dependency (the database) is not answering: 503.
    #[error("service unavailable")]
    Unavailable,
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

    /// The error a bare status stands for: what a response that carries no
    /// error of ours (an unknown route, a timeout, a refused CSRF check) is
    /// reported as.
    pub fn of_status(status: StatusCode) -> AppError {
        match status {
            StatusCode::UNAUTHORIZED => AppError::Unauthenticated,
            StatusCode::FORBIDDEN => AppError::Forbidden,
            StatusCode::NOT_FOUND => AppError::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
            StatusCode::REQUEST_TIMEOUT => AppError::Timeout,
            StatusCode::CONFLICT => AppError::Conflict(Vec::new()),
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => AppError::Validation(Vec::new()),
            StatusCode::TOO_MANY_REQUESTS => AppError::TooManyRequests(None),
            StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable,
            s if s.is_server_error() => {
                AppError::Internal(anyhow::anyhow!("{s} answered without an error body"))
            }
            _ => AppError::BadRequest("refused"),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::BadRequest(_)
            | AppError::MalformedJson
            | AppError::InvalidQuery(_)
            | AppError::InvalidPath(_) => StatusCode::BAD_REQUEST,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::AccountAction(_) => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Every `code` an error can carry, for the catalogue test and the API document.
    pub const CODES: [&'static str; 17] = [
        "unauthenticated",
        "forbidden",
        "not_found",
        "validation",
        "conflict",
        "bad_request",
        "malformed_json",
        "invalid_query",
        "invalid_path",
        "unsupported_media_type",
        "method_not_allowed",
        "too_large",
        "too_many_requests",
        "account_action_required",
        "timeout",
        "unavailable",
        "internal",
    ];

    /// The stable machine-readable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Validation(_) => "validation",
            AppError::Conflict(_) => "conflict",
            AppError::BadRequest(_) => "bad_request",
            AppError::MalformedJson => "malformed_json",
            AppError::InvalidQuery(_) => "invalid_query",
            AppError::InvalidPath(_) => "invalid_path",
            AppError::UnsupportedMediaType => "unsupported_media_type",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::TooLarge => "too_large",
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Timeout => "timeout",
            AppError::Unavailable => "unavailable",
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
