//! Helpers for turning submitted text into parsed values, collecting every
//! field error instead of stopping at the first, and the one ending of a form
//! POST ([`submitted`]).

use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::{
    auth::Caller,
    error::{AppError, AppResult, FieldError},
};

/// Collects field errors while a form is parsed.
#[derive(Default, Debug)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Records an error.
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Keeps `Ok` values and records `Err`s, returning `None` for them.
    pub fn take<T>(&mut self, r: Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    /// `Ok(())` when nothing was recorded.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

/// Trims a text field; empty becomes `None`.
pub fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A required text field of at most `max` characters.
pub fn required(field: &str, s: &Option<String>, max: usize) -> Result<String, FieldError> {
    match opt(s) {
        None => Err(FieldError::new(field, "err-required")),
        Some(v) if v.chars().count() > max => {
            Err(FieldError::new(field, "err-too-long").arg("max", max))
        }
        Some(v) => Ok(v),
    }
}

/// An optional text field of at most `max` characters.
pub fn optional(field: &str, s: &Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    match opt(s) {
        Some(v) if v.chars().count() > max => {
            Err(FieldError::new(field, "err-too-long").arg("max", max))
        }
        v => Ok(v),
    }
}

/// An optional whole number within `min..=max`.
pub fn optional_int(
    field: &str,
    s: &Option<String>,
    min: i64,
    max: i64,
) -> Result<Option<i64>, FieldError> {
    match opt(s) {
        None => Ok(None),
        Some(v) => match v.replace([',', '，'], "").parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            Ok(_) => Err(FieldError::new(field, "err-out-of-range")
                .arg("min", min)
                .arg("max", max)),
            Err(_) => Err(FieldError::new(field, "err-not-a-number")),
        },
    }
}

/// A value that is not any spelling of yes or no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAFlag;

/// A yes/no field as forms, CSV files and JSON write it.
pub fn flag(s: &Option<String>) -> Result<bool, NotAFlag> {
    match opt(s).as_deref().map(str::to_lowercase).as_deref() {
        None | Some("0" | "false" | "no" | "n" | "否" | "无" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "y" | "是" | "有" | "on") => Ok(true),
        Some(_) => Err(NotAFlag),
    }
}

/// Accepts text, numbers, booleans and lists of text where JSON clients send
/// them, so `{"employee_count": 120, "has_union": true}` works like the strings.
pub fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error;
    use serde_json::Value;
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            _ => None,
        }
    }
    match <Option<Value> as serde::Deserialize>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| text(v).ok_or_else(|| D::Error::custom("expected a list of text")))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Some(v.join(","))),
        Some(v) => text(&v)
            .map(Some)
            .ok_or_else(|| D::Error::custom("expected text")),
    }
}

/// The field messages of a validation error in the caller's language, for a
/// page to show beside its fields; `None` for any other error.
pub fn errors_of(e: &AppError, caller: &Caller) -> Option<Vec<(String, String)>> {
    match e {
        AppError::Validation(fs) | AppError::Conflict(fs) => Some(
            fs.iter()
                .map(|f| (f.field.clone(), f.message(caller.lang)))
                .collect(),
        ),
        _ => None,
    }
}

/// The messages of a refused submission, each shown beside its field: a page
/// drawn again holds them as `errors` and its template asks `errors.get("name")`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldMessages(pub Vec<(String, String)>);

impl FieldMessages {
    /// The message of `field`, if it was refused.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether nothing was refused (a page drawn the first time).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What a form POST answers: on success a redirect (303) to `to(value)`; when
/// the input was refused field by field, the page drawn again by `again` with
/// the messages beside the fields (see [`errors_of`]), answered 422 (409 when
/// it clashes with what is recorded, e.g. a second decision); any other
/// error goes on to `web::errors`.
pub async fn submitted<T, P, F>(
    caller: &Caller,
    result: AppResult<T>,
    to: impl FnOnce(T) -> String,
    again: impl FnOnce(FieldMessages) -> F,
) -> AppResult<Response>
where
    P: askama::Template,
    F: Future<Output = AppResult<P>>,
{
    match result {
        Ok(v) => Ok(Redirect::to(&to(v)).into_response()),
        Err(e) => match errors_of(&e, caller) {
            Some(errors) => {
                let status = match e {
                    AppError::Conflict(_) => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                let page = again(FieldMessages(errors)).await?;
                Ok((status, super::page::render(page)?).into_response())
            }
            None => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_field_has_its_message_and_the_others_none() {
        let m = FieldMessages(vec![("amount_yuan".into(), "bad amount".into())]);
        assert_eq!(m.get("amount_yuan"), Some("bad amount"));
        assert_eq!(m.get("workers"), None);
        assert!(!m.is_empty() && FieldMessages::default().is_empty());
    }
}
