//! The `Caller` extractor: a bearer token or a session cookie, resolved to a user
//! with their roles. Every handler that touches data takes one.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use axum_extra::extract::CookieJar;

use super::{Need, Role, Scope, session, token};
use crate::{
    db::{Db, OrgId, SessionId, UserId},
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
    /// The top-level org this caller administers: deployment-wide settings
    /// (working days, backups) belong to its admins.
    pub top_admin: Option<OrgId>,
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

    /// The org a record the caller creates belongs to: the org of `code`
    /// (within the caller's write scope), else the caller's own org, else the
    /// first org the caller writes for.
    pub async fn recording_org(&self, db: &Db, code: Option<&str>) -> Result<OrgId, AppError> {
        let write = self.require(Need::Write)?;
        match code {
            Some(code) => crate::org::store::get_by_code(db, &write, code)
                .await?
                .map(|o| o.id)
                .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope")),
            None if write.contains(db, self.home_org).await? => Ok(self.home_org),
            None => Ok(write.roots()[0]),
        }
    }
}

/// The page where an admin without a second factor sets one up.
pub const TOTP_SETUP_PAGE: &str = "/account/totp";
/// The page where a person changes their own password.
pub const PASSWORD_PAGE: &str = "/account/password";

/// The page a person must visit before any other, if any: setting up a second
/// factor when admins must have one, changing an expired password.
pub fn required_page(
    s: &crate::config::SecuritySettings,
    is_admin: bool,
    totp: bool,
    password_changed_at: i64,
    now: i64,
) -> Option<&'static str> {
    if s.totp_required_for_admins && is_admin && !totp {
        return Some(TOTP_SETUP_PAGE);
    }
    if s.password_max_days > 0 && now - password_changed_at > s.password_max_days * 86_400 {
        return Some(PASSWORD_PAGE);
    }
    None
}

/// Pages a person may reach while an account action is pending: their own
/// account pages, logging out and switching the language.
fn exempt_from_account_actions(path: &str) -> bool {
    path == "/account"
        || path.starts_with("/account/")
        || matches!(path, "/logout" | "/lang" | "/login" | "/login/code")
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
        let by_token = bearer.is_some();
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
        // Scripts with tokens are not sent anywhere: a token is made by an
        // admin for a script, not typed by a person.
        if !by_token && !exempt_from_account_actions(parts.uri.path()) {
            let is_admin = p.grants.iter().any(|(_, r)| *r == Role::Admin);
            if let Some(page) = required_page(
                &state.settings.security,
                is_admin,
                p.totp,
                p.password_changed_at,
                crate::db::now(),
            ) {
                return Err(AppError::AccountAction(page));
            }
        }
        Ok(Caller {
            user_id,
            username: p.username,
            display_name: p.display_name,
            home_org: p.org_id,
            grants: p.grants,
            top_admin: p.top_admin,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SecuritySettings;

    #[test]
    fn admins_without_totp_and_old_passwords_are_sent_to_their_account() {
        let mut s = SecuritySettings::default();
        let day = 86_400;
        assert_eq!(
            required_page(&s, true, false, 0, 1000 * day),
            None,
            "off by default"
        );
        s.totp_required_for_admins = true;
        assert_eq!(required_page(&s, true, false, 0, 0), Some(TOTP_SETUP_PAGE));
        assert_eq!(required_page(&s, false, false, 0, 0), None, "only admins");
        assert_eq!(required_page(&s, true, true, 0, 0), None);
        s.password_max_days = 90;
        assert_eq!(required_page(&s, false, false, 0, 90 * day), None);
        assert_eq!(
            required_page(&s, false, false, 0, 90 * day + 1),
            Some(PASSWORD_PAGE)
        );
        assert!(exempt_from_account_actions("/account/totp"));
        assert!(!exempt_from_account_actions("/accounts"));
        assert!(!exempt_from_account_actions("/"));
    }
}
