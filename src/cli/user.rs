//! `qingting user add | passwd | grant | revoke`.

use clap::Subcommand;

use crate::{
    auth::{Role, password, session},
    db::Db,
    org::store as orgs,
    user::{UserInput, store},
};

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a user at an org (password read from QINGTING_PASSWORD or prompted).
    Add {
        username: String,
        /// Code of the org the user belongs to.
        #[arg(long)]
        org: String,
        /// Name shown in the interface.
        #[arg(long)]
        name: String,
        /// A first role at that org: admin, cadre or viewer.
        #[arg(long)]
        role: Option<String>,
    },
    /// Set a new password (read from QINGTING_PASSWORD or prompted).
    Passwd { username: String },
    /// Give a user a role at an org.
    Grant {
        username: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
    },
    /// Take a role at an org away.
    Revoke {
        username: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        role: String,
    },
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("QINGTING_PASSWORD") {
        return Ok(p);
    }
    eprint!("password: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn parse_role(r: &str) -> anyhow::Result<Role> {
    Role::parse(r).ok_or_else(|| anyhow::anyhow!("unknown role {r:?}: use admin, cadre or viewer"))
}

async fn find(db: &Db, username: &str) -> anyhow::Result<(crate::db::UserId, crate::db::OrgId)> {
    store::id_by_username(db, username)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {username:?}"))
}

async fn org_id(db: &Db, code: &str) -> anyhow::Result<crate::db::OrgId> {
    orgs::id_by_code(db, code)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no org with code {code:?}"))
}

fn explain(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Validation(fs) => anyhow::anyhow!(
            "{}",
            fs.iter()
                .map(|f| f.message(crate::i18n::Lang::En))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run(
    db: &Db,
    security: &crate::config::SecuritySettings,
    c: Command,
) -> anyhow::Result<()> {
    let policy = password::Policy::from_settings(security);
    match c {
        Command::Add {
            username,
            org,
            name,
            role,
        } => {
            let input = UserInput {
                username: Some(username.clone()),
                display_name: Some(name),
                org_code: Some(org.clone()),
                password: Some(read_password()?),
                role,
                ..Default::default()
            };
            let new = input.parse(&policy).map_err(explain)?;
            let org = org_id(db, &org).await?;
            let hash = password::hash(new.password.clone()).await?;
            let mut tx = db.begin().await?;
            let id = store::insert(&mut tx, &new, org, &hash)
                .await
                .map_err(explain)?;
            tx.commit().await?;
            println!("created user {} (id {id})", new.username.as_str());
        }
        Command::Passwd { username } => {
            let (id, _) = find(db, &username).await?;
            let display_name: String =
                sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_one(db.pool())
                    .await?;
            let pw = read_password()?;
            policy
                .check("password", &pw, &[username.as_str(), display_name.as_str()])
                .map_err(|e| explain(crate::error::AppError::Validation(vec![e])))?;
            let hash = password::hash(pw).await?;
            let mut tx = db.begin().await?;
            store::set_password(&mut tx, id, &hash).await?;
            tx.commit().await?;
            session::destroy_all_for(db, id).await?;
            println!("password changed; the user's sessions were ended");
        }
        Command::Grant {
            username,
            org,
            role,
        } => {
            let (id, _) = find(db, &username).await?;
            let org_id = org_id(db, &org).await?;
            let role = parse_role(&role)?;
            let mut tx = db.begin().await?;
            let g = store::grant(&mut tx, id, org_id, role).await?;
            tx.commit().await?;
            match g {
                Some(_) => println!("{username} is now {role} at {org}"),
                None => println!("{username} already was {role} at {org}"),
            }
        }
        Command::Revoke {
            username,
            org,
            role,
        } => {
            let (id, _) = find(db, &username).await?;
            let org_id = org_id(db, &org).await?;
            let role = parse_role(&role)?;
            let done = sqlx::query(
                "DELETE FROM role_grants WHERE user_id = $1 AND org_id = $2 AND role = $3",
            )
            .bind(id)
            .bind(org_id)
            .bind(role.as_str())
            .execute(db.pool())
            .await?;
            if done.rows_affected() == 0 {
                anyhow::bail!("{username} was not {role} at {org}");
            }
            println!("{username} is no longer {role} at {org}");
        }
    }
    Ok(())
}
