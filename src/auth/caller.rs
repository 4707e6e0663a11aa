//! The `Caller` extractor: a bearer token or a session cookie, resolved to a user
//! with their roles. Every handler that touches data takes one.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use axum_extra::extract::CookieJar;

use super::{Need, Role, Scope, session, token};
use crate::{
    db::{OrgId, SessionId, UserId},
    error::AppError,
    i18n::Lang,
    user,
    web::AppState,
};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "qt_session";

/// An authenticated user making this request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: UserId,
    pub username: String,
    pub display_name: String,
    /// The org the user belongs to; owns the records the user creates by default.
    pub home_org: OrgId,
    /// Roles held, each reaching the subtree of its org.
    pub grants: Vec<(OrgId, Role)>,
    pub lang: Lang,
    pub ip: Option<String>,
    /// The session this request came with; `None` for a bearer token.
    pub session: Option<SessionId>,
}

impl Caller {
    /// The orgs whose subtrees this caller reaches for `need`.
    pub fn scope(&self, need: Need) -> Scope {
        Scope::of(
            self.grants
                .iter()
                .filter(|(_, r)| *r >= need.min_role())
                .map(|(o, _)| *o)
                .collect(),
        )
    }

    /// Like [`Caller::scope`], but a caller who reaches nothing is refused outright.
    pub fn require(&self, need: Need) -> Result<Scope, AppError> {
        let scope = self.scope(need);
        if scope.is_empty() {
            Err(AppError::Forbidden)
        } else {
            Ok(scope)
        }
    }

    /// Whether the caller is an admin anywhere (shows the admin menus).
    pub fn is_admin(&self) -> bool {
        self.grants.iter().any(|(_, r)| *r == Role::Admin)
    }

    /// Whether the caller may write anywhere.
    pub fn can_write(&self) -> bool {
        self.grants.iter().any(|(_, r)| *r >= Role::Cadre)
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = Lang::from_request_parts(parts, state)
            .await
            .unwrap_or_default();
        let client = session::Client::of(parts, &state.settings);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .map(str::to_string);
        let (user_id, session) = if let Some(secret) = bearer {
            (token::resolve(&state.db, &secret).await?, None)
        } else {
            let jar = CookieJar::from_headers(&parts.headers);
            let live = match jar.get(SESSION_COOKIE) {
                Some(c) => {
                    session::resolve(&state.db, c.value(), &state.settings.security, &client)
                        .await?
                }
                None => None,
            };
            (live.map(|l| l.user), live.map(|l| l.id))
        };
        let Some(user_id) = user_id else {
            return Err(AppError::Unauthenticated);
        };
        let Some(p) = user::store::principal(&state.db, user_id).await? else {
            return Err(AppError::Unauthenticated);
        };
        Ok(Caller {
            user_id,
            username: p.username,
            display_name: p.display_name,
            home_org: p.org_id,
            grants: p.grants,
            lang,
            ip: client.ip,
            session,
        })
    }
}

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;

    /// Pages follow the `lang` cookie (Chinese unless switched); the API also honours
    /// `Accept-Language`, since scripts have no cookie.
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(lang) = jar.get("lang").and_then(|c| Lang::from_tag(c.value())) {
            return Ok(lang);
        }
        if parts.uri.path().starts_with("/api/")
            && let Some(lang) = parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        {
            return Ok(lang);
        }
        Ok(Lang::Zh)
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Caller as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}
