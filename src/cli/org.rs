//! `qingting org add`: creates orgs from the command line, including the first
//! federation of a new install (the web app only creates orgs under a parent).

use clap::Subcommand;

use crate::{
    db::Db,
    org::{OrgInput, store},
};

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an org; without --parent it becomes a root federation.
    Add {
        /// Unique code, e.g. YPQZGH.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// federation, department, industry, street, direct or grassroots.
        #[arg(long, default_value = "federation")]
        kind: String,
        /// Code of the parent org.
        #[arg(long)]
        parent: Option<String>,
    },
}

pub async fn run(db: &Db, c: Command) -> anyhow::Result<()> {
    let Command::Add {
        code,
        name,
        kind,
        parent,
    } = c;
    let fields = OrgInput {
        code: Some(code),
        name: Some(name),
        kind: Some(kind),
        ..Default::default()
    }
    .parse()
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let parent_id = match parent {
        Some(p) => Some(
            store::id_by_code(db, &p)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no org with code {p:?}"))?,
        ),
        None => None,
    };
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &fields, parent_id)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    tx.commit().await?;
    println!("created org {} (id {id})", fields.code.as_str());
    Ok(())
}
