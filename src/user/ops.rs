//! The use cases of users, roles and sessions, shared by the pages and the
//! API: each write owns its transaction and audit entries. No HTTP here.

use super::{AccountAction, GrantInput, ListQuery, NewUser, User, UserPage, parse_role, store};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{
        Caller, Need, Scope,
        password::{self, Policy},
        session::{self, End, Session, Whose},
        throttle::{self, Policies},
    },
    config::SecuritySettings,
    db::{Db, GrantId, OrgId, UserId},
    error::{AppError, AppResult},
    org,
};

/// Ends a session at logout (the cookie's, when there is one) and audits it
/// for a caller who was logged in.
pub async fn logout(db: &Db, cookie: Option<&str>, caller: Option<&Caller>) -> AppResult<()> {
    if let Some(c) = cookie {
        session::destroy(db, c).await?;
    }
    if let Some(caller) = caller {
        audit::store::record(
            db.pool(),
            &Entry::by(caller, caller.home_org, Action::Logout),
        )
        .await?;
    }
    Ok(())
}

/// The page of users a list query asks for, in the caller's admin scope,
/// phones masked and login throttles filled in.
pub async fn list(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    q: &ListQuery,
) -> AppResult<UserPage> {
    let scope = caller.require(Need::Admin)?;
    let (text, paging) = q.parse()?;
    let (mut items, total) =
        store::list(db, &scope, text.as_deref(), paging.size, paging.offset()).await?;
    for u in &mut items {
        u.phone = u.phone.as_deref().map(org::mask_phone);
    }
    with_throttle(db, security, &mut items).await?;
    Ok(UserPage {
        items,
        total,
        page: paging.page,
        per_page: paging.size,
    })
}

/// One user in the caller's admin scope, with their login throttle.
pub async fn load(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    id: UserId,
) -> AppResult<User> {
    let scope = caller.require(Need::Admin)?;
    let mut user = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    with_throttle(db, security, std::slice::from_mut(&mut user)).await?;
    Ok(user)
}

/// One user shown in full: [`load`], and the view of their phone audited.
pub async fn view(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    id: UserId,
) -> AppResult<User> {
    let user = load(db, security, caller, id).await?;
    if user.phone.is_some() {
        audit::store::record(
            db.pool(),
            &Entry::by(caller, user.org_id, Action::PersonalDataViewed)
                .target(format!("user:{id}")),
        )
        .await?;
    }
    Ok(user)
}

/// Fills in which accounts' login throttles hold failed addresses back now.
async fn with_throttle(db: &Db, security: &SecuritySettings, users: &mut [User]) -> AppResult<()> {
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    let waiting =
        throttle::accounts_waiting(db, &Policies::from_settings(security), &names).await?;
    for u in users {
        u.throttled_until = waiting.get(&u.username).copied();
    }
    Ok(())
}

/// Creates a user at an org in the caller's admin scope, with its first role.
pub async fn create(db: &Db, caller: &Caller, new: &NewUser) -> AppResult<UserId> {
    let scope = caller.require(Need::Admin)?;
    let org = org::store::get_by_code(db, &scope, new.org_code.as_str())
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    let hash = password::hash(new.password.clone()).await?;
    let mut tx = Audited::begin(db).await?;
    let id = store::insert(&mut tx, new, org.id, &hash).await?;
    let created = Entry::by(caller, org.id, Action::UserCreated)
        .target(format!("user:{id}"))
        .detail(new.username.as_str());
    let granted = new.role.map(|role| {
        let mut e = created.clone();
        e.action = Action::RoleGranted;
        e.detail = Some(format!("{} {} @ {}", new.username.as_str(), role, org.code));
        e
    });
    tx.commit(std::iter::once(created).chain(granted)).await?;
    Ok(id)
}

/// Grants a role at an org in the caller's admin scope; `None` when the user
/// held it already.
pub async fn grant(
    db: &Db,
    caller: &Caller,
    id: UserId,
    input: &GrantInput,
) -> AppResult<Option<GrantId>> {
    let scope = caller.require(Need::Admin)?;
    let user = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let role = parse_role("role", &input.role).map_err(|e| AppError::Validation(vec![e]))?;
    let org = org::store::get_by_code(db, &scope, &input.org_code)
        .await?
        .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    let mut tx = Audited::begin(db).await?;
    let grant = store::grant(&mut tx, id, org.id, role).await?;
    let entry = grant.map(|_| {
        Entry::by(caller, org.id, Action::RoleGranted)
            .target(format!("user:{id}"))
            .detail(format!("{} {} @ {}", user.username, role, org.code))
    });
    tx.commit(entry).await?;
    Ok(grant)
}

/// Revokes one role the user holds at an org in the caller's admin scope.
pub async fn revoke(db: &Db, caller: &Caller, id: UserId, grant: GrantId) -> AppResult<()> {
    let scope = caller.require(Need::Admin)?;
    let user = store::get(db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = Audited::begin(db).await?;
    let (org, role) = store::revoke(&mut tx, &scope, id, grant)
        .await?
        .ok_or(AppError::NotFound)?;
    let e = Entry::by(caller, org, Action::RoleRevoked)
        .target(format!("user:{id}"))
        .detail(format!("{} {}", user.username, role));
    tx.commit([e]).await?;
    Ok(())
}

/// Sets a user's password (it must meet `policy`) and ends their sessions.
pub async fn set_password(
    db: &Db,
    caller: &Caller,
    user: &User,
    policy: &Policy,
    new: String,
) -> AppResult<()> {
    policy
        .check(
            "password",
            &new,
            &[user.username.as_str(), user.display_name.as_str()],
        )
        .map_err(|e| AppError::Validation(vec![e]))?;
    let hash = password::hash(new).await?;
    let mut tx = Audited::begin(db).await?;
    store::set_password(&mut tx, user.id, &hash).await?;
    tx.commit([
        Entry::by(caller, user.org_id, Action::PasswordChanged).target(format!("user:{}", user.id))
    ])
    .await?;
    session::destroy_all_for(db, user.id).await?;
    Ok(())
}

/// Activates, deactivates (never oneself) or unlocks an account.
pub async fn account(
    db: &Db,
    caller: &Caller,
    user: &User,
    action: AccountAction,
) -> AppResult<()> {
    let id = user.id;
    let mut tx = Audited::begin(db).await?;
    match action {
        AccountAction::Activate => store::set_active(&mut tx, id, true).await?,
        AccountAction::Deactivate if id != caller.user_id => {
            store::set_active(&mut tx, id, false).await?
        }
        AccountAction::Unlock => store::unlock(&mut tx, &user.username).await?,
        AccountAction::Deactivate => return Err(AppError::BadRequest("unknown action")),
    }
    let e = Entry::by(caller, user.org_id, Action::UserUpdated)
        .target(format!("user:{id}"))
        .detail(action.as_str());
    tx.commit([e]).await?;
    Ok(())
}

/// Whose sessions a request is about, resolved for access: the caller's own,
/// or a user in the caller's admin scope (404 otherwise).
pub struct Target {
    user: UserId,
    /// The org the audit entry belongs to: the user's home org.
    org: OrgId,
    managed: Option<Scope>,
}

impl Target {
    /// The caller's own sessions.
    pub fn own(caller: &Caller) -> Target {
        Target {
            user: caller.user_id,
            org: caller.home_org,
            managed: None,
        }
    }

    /// The sessions of a user the caller administers.
    pub async fn managed(db: &Db, caller: &Caller, id: UserId) -> AppResult<Target> {
        let scope = caller.require(Need::Admin)?;
        let user = store::get(db, &scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Target {
            user: id,
            org: user.org_id,
            managed: Some(scope),
        })
    }

    fn whose(&self) -> Whose<'_> {
        match &self.managed {
            Some(scope) => Whose::Managed(scope, self.user),
            None => Whose::Own(self.user),
        }
    }
}

/// The target's live sessions, the caller's own one marked.
pub async fn sessions(
    db: &Db,
    security: &SecuritySettings,
    caller: &Caller,
    t: &Target,
) -> AppResult<Vec<Session>> {
    Ok(session::list(db, t.whose(), security, caller.session).await?)
}

/// Ends sessions of the target and audits it in the same transaction; ending
/// one session that is not there (or not theirs) is 404.
pub async fn end_sessions(db: &Db, caller: &Caller, t: &Target, which: End) -> AppResult<u64> {
    let mut tx = Audited::begin(db).await?;
    let n = session::end(&mut tx, t.whose(), which).await?;
    if n == 0 && matches!(which, End::One(_)) {
        return Err(AppError::NotFound);
    }
    let detail = match which {
        End::One(id) => format!("session {id}"),
        End::All => format!("all sessions ({n})"),
        End::AllBut(_) => format!("all other sessions ({n})"),
    };
    let e = Entry::by(caller, t.org, Action::SessionEnded)
        .target(format!("user:{}", t.user))
        .detail(detail);
    tx.commit([e]).await?;
    Ok(n)
}

/// Every session of the caller but the asking one; with a bearer token, which
/// is not a session, every session.
pub fn all_but_current(caller: &Caller) -> End {
    match caller.session {
        Some(id) => End::AllBut(id),
        None => End::All,
    }
}
