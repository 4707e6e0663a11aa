//! `qingting token create | revoke`: bearer tokens for scripts.

use clap::Subcommand;

use crate::{
    auth::token,
    db::{Db, TokenId},
    user::store,
};

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a token acting as a user; the secret is printed once and never stored.
    Create {
        username: String,
        /// What the token is for, e.g. "nightly export".
        #[arg(long, default_value = "script")]
        name: String,
    },
    /// Revoke a token by id.
    Revoke { id: i64 },
}

pub async fn run(db: &Db, c: Command) -> anyhow::Result<()> {
    match c {
        Command::Create { username, name } => {
            let (user, org) = store::id_by_username(db, &username)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user named {username:?}"))?;
            let (id, secret) = token::create(db, user, org, &name).await?;
            eprintln!("token {id} created for {username}; copy it now, it is not shown again:");
            println!("{secret}");
        }
        Command::Revoke { id } => {
            if token::revoke(db, TokenId(id)).await? {
                println!("token {id} revoked");
            } else {
                anyhow::bail!("no live token with id {id}");
            }
        }
    }
    Ok(())
}
