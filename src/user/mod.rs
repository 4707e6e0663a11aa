//! People who log in, and the roles they hold at orgs.

pub mod api;
mod login;
pub mod ops;
pub mod pages;
pub mod store;

pub use login::throttled_message;

use serde::{Deserialize, Serialize};

use crate::{
    auth::{Role, password},
    db::{GrantId, OrgId, UserId, code_enum},
    error::{AppError, AppResult, FieldError},
    org::{OrgCode, Phone, parse_email},
    web::{
        form::{self, Errors},
        list::{self, PageSize, Paging},
    },
};

/// Fifty users a page, in the list and the API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(50);

/// Query of the user list page and API, unparsed.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Part of a login or display name.
    pub q: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

impl ListQuery {
    /// The search text and the page asked for; a bad page is a 422.
    pub fn parse(&self) -> AppResult<(Option<String>, Paging)> {
        let mut errs = Errors::default();
        let paging = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        Ok((form::opt(&self.q), paging))
    }

    /// The filters as a query string, for the pager.
    pub fn query(&self) -> String {
        list::query(&[("q", &self.q)])
    }
}

/// A page of users.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserPage {
    pub items: Vec<User>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The caller as the API sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub org_id: OrgId,
    pub roles: Vec<MeRole>,
    /// Whether the second factor (TOTP) is set up. Tokens never ask for it.
    pub totp_enabled: bool,
    /// The login before the current one (time, address, failed attempts since).
    pub last_login: Option<store::LastLogin>,
}

/// A role of the caller.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeRole {
    pub org_id: OrgId,
    pub role: Role,
}

code_enum! {
    /// What the account buttons of a user's page do.
    pub enum AccountAction: "user-action" {
        /// Lets the user log in again.
        Activate = "activate",
        /// Stops the user logging in (never one's own account).
        Deactivate = "deactivate",
        /// Clears the login throttle of the account.
        Unlock = "unlock",
    }
}

/// A role named in a form or body: one of the stored codes, a 422 listing them otherwise.
pub fn parse_role(field: &str, raw: &str) -> Result<Role, FieldError> {
    Role::parse(raw).ok_or_else(|| {
        let codes: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        FieldError::new(field, "err-role").arg("allowed", codes.join(", "))
    })
}

/// A login name: 3–32 letters, digits, `.`, `_` or `-`, stored lower-case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Parses a login name.
    pub fn parse(field: &str, raw: &str) -> Result<Username, FieldError> {
        let u = raw.trim().to_ascii_lowercase();
        if u.is_empty() {
            return Err(FieldError::new(field, "err-required"));
        }
        if !(3..=32).contains(&u.len())
            || !u
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::new(field, "err-username"));
        }
        Ok(Username(u))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user as listed and shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub org_name: String,
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Until when addresses that have failed must wait before trying this
    /// account again (epoch seconds), while its login throttle holds them back.
    pub throttled_until: Option<i64>,
    pub grants: Vec<Grant>,
}

/// One role held at one org.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub id: GrantId,
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    pub role: Role,
}

/// A new user as submitted.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    pub username: Option<String>,
    pub display_name: Option<String>,
    /// Code of the org the user belongs to.
    pub org_code: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    /// A first role at the user's own org: admin, cadre or viewer.
    pub role: Option<String>,
}

/// A parsed new user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub org_code: OrgCode,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub password: String,
    pub role: Option<Role>,
}

impl UserInput {
    /// Parses every field, reporting all problems at once; the password must
    /// meet `policy`.
    pub fn parse(&self, policy: &password::Policy) -> Result<NewUser, AppError> {
        let mut errs = Errors::default();
        let username = errs.take(Username::parse(
            "username",
            self.username.as_deref().unwrap_or(""),
        ));
        let display_name = errs.take(form::required("display_name", &self.display_name, 50));
        let org_code = errs.take(OrgCode::parse(
            "org_code",
            self.org_code.as_deref().unwrap_or(""),
        ));
        let phone = match form::opt(&self.phone) {
            None => Some(None),
            Some(p) => errs.take(Phone::parse("phone", &p)).map(Some),
        };
        let email = match form::opt(&self.email) {
            None => Some(None),
            Some(e) => errs.take(parse_email("email", &e)).map(Some),
        };
        let password = self.password.clone().unwrap_or_default();
        let names = [
            self.username.as_deref().unwrap_or(""),
            self.display_name.as_deref().unwrap_or(""),
        ];
        if let Err(e) = policy.check("password", &password, &names) {
            errs.push(e);
        }
        let role = match form::opt(&self.role) {
            None => Some(None),
            Some(r) => errs.take(parse_role("role", &r)).map(Some),
        };
        errs.finish()?;
        match (username, display_name, org_code, phone, email, role) {
            (
                Some(username),
                Some(display_name),
                Some(org_code),
                Some(phone),
                Some(email),
                Some(role),
            ) => Ok(NewUser {
                username,
                display_name,
                org_code,
                phone,
                email,
                password,
                role,
            }),
            _ => Err(AppError::BadRequest("unparsed user field")),
        }
    }
}

/// A role to grant, as submitted.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct GrantInput {
    pub org_code: String,
    pub role: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_plain_and_lower_case() {
        assert_eq!(
            Username::parse("u", " Zhang.San ").unwrap().as_str(),
            "zhang.san"
        );
        assert!(Username::parse("u", "张三").is_err());
        assert!(Username::parse("u", "ab").is_err());
        assert!(Username::parse("u", "a b c").is_err());
    }

    #[test]
    fn a_short_password_is_refused_with_the_field_named() {
        let input = UserInput {
            username: Some("wang".into()),
            display_name: Some("王".into()),
            org_code: Some("YP".into()),
            password: Some("short".into()),
            ..Default::default()
        };
        let AppError::Validation(errs) = input.parse(&password::Policy::default()).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(errs[0].field, "password");
        let named = UserInput {
            password: Some("wang-password".into()),
            ..input
        };
        let AppError::Validation(errs) = named.parse(&password::Policy::default()).unwrap_err()
        else {
            panic!()
        };
        assert_eq!(errs[0].key, "err-password-personal");
    }
}
