//! Who is asking, and what they reach. A caller holds roles at orgs; each role
//! reaches the org's whole subtree. Stores take a [`Scope`] and filter in SQL,
//! so access is enforced where data is read, not only in handlers.

mod caller;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;

use std::fmt;

pub use caller::{Caller, PASSWORD_PAGE, SESSION_COOKIE, TOTP_SETUP_PAGE, required_page};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbError, OrgId};

/// A role held at an org. Ordered: an admin can do what a cadre can, a cadre what a viewer can.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Cadre,
    Admin,
}

impl Role {
    /// Every role, weakest first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Cadre, Role::Admin];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Cadre => "cadre",
            Role::Admin => "admin",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// Whether this role may see unmasked phone and ID numbers.
    pub fn sees_personal_data(self) -> bool {
        self >= Role::Cadre
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a request wants to do, mapped to the weakest role that allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Read records (viewer and up).
    Read,
    /// Record and edit field data such as enterprises (cadre and up).
    Write,
    /// Manage orgs, users and roles (admin).
    Admin,
}

impl Need {
    fn min_role(self) -> Role {
        match self {
            Need::Read => Role::Viewer,
            Need::Write => Role::Cadre,
            Need::Admin => Role::Admin,
        }
    }
}

/// The orgs whose subtrees a caller reaches for one [`Need`]. Empty reaches nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    roots: Vec<OrgId>,
}

impl Scope {
    /// A scope over the subtrees of `roots`.
    pub fn of(mut roots: Vec<OrgId>) -> Self {
        roots.sort();
        roots.dedup();
        Scope { roots }
    }

    /// Whether the scope reaches nothing.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// The orgs at the top of the scope.
    pub fn roots(&self) -> &[OrgId] {
        &self.roots
    }

    /// An SQL condition that `column` (an org id) lies inside the scope. Ids are
    /// integers read from the database, so inlining them cannot inject anything.
    pub fn sql(&self, column: &str) -> String {
        if self.roots.is_empty() {
            return "1 = 0".to_string();
        }
        let ids: Vec<String> = self.roots.iter().map(|r| r.0.to_string()).collect();
        format!(
            "{column} IN (SELECT descendant_id FROM org_tree WHERE ancestor_id IN ({}))",
            ids.join(",")
        )
    }

    /// Whether `org` lies inside the scope.
    pub async fn contains(&self, db: &Db, org: OrgId) -> Result<bool, DbError> {
        if self.roots.is_empty() {
            return Ok(false);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM orgs WHERE id = $1 AND {}",
            self.sql("id")
        );
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(org)
            .fetch_one(db.pool())
            .await?;
        Ok(n > 0)
    }
}

/// Random bytes as lowercase hex, for session and API tokens.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// The SHA-256 of a token, as stored: a leaked table does not leak usable tokens.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}
