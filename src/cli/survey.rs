//! `qingting survey export`: a survey's responses to a file, as a user (their
//! scope decides what is readable, the export is audited), with a progress
//! bar — for exports too large to wait for in a browser.

use std::path::PathBuf;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};

use crate::{
    audit::{self, Action, Entry},
    auth::{Caller, Need},
    db::{Db, SurveyId},
    i18n::Lang,
    survey::{
        analysis::{AnalysisQuery, export::Values, ops::responses_file, store as astore},
        privacy::AnswerView,
        store,
    },
    user::store as users,
};

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a survey's responses as CSV or XLSX (choices as codes or labels,
    /// a 0/1 column per choice of a multiple choice).
    Export {
        /// The survey's id.
        id: i64,
        /// The user the export is made as (their roles decide what they read).
        #[arg(long = "as")]
        user: String,
        /// `csv` or `xlsx` (default: from the output file's extension).
        #[arg(long)]
        format: Option<String>,
        /// `codes` or `labels`.
        #[arg(long, default_value = "codes")]
        values: String,
        /// `valid`, `invalid` or `all`.
        #[arg(long, default_value = "valid")]
        valid: String,
        /// `zh-CN` or `en` for labels and the codebook.
        #[arg(long, default_value = "zh-CN")]
        lang: String,
        /// The file to write.
        #[arg(long, short)]
        out: PathBuf,
    },
}

pub async fn run(db: &Db, c: Command) -> anyhow::Result<()> {
    let Command::Export {
        id,
        user,
        format,
        values,
        valid,
        lang,
        out,
    } = c;
    let (uid, _) = users::id_by_username(db, &user)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {user:?}"))?;
    let p = users::principal(db, uid)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user {user:?} is not active"))?;
    let lang = Lang::from_tag(&lang).unwrap_or(Lang::Zh);
    let caller = Caller {
        user_id: uid,
        username: p.username,
        display_name: p.display_name,
        home_org: p.org_id,
        grants: p.grants,
        top_admin: p.top_admin,
        lang,
        ip: None,
        session: None,
    };
    let s = store::get(db, &caller.scope(Need::Read), SurveyId(id))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no survey {id} that {user} reads"))?;
    let xlsx = match format
        .as_deref()
        .or(out.extension().and_then(|e| e.to_str()))
    {
        Some("xlsx") => true,
        Some("csv") | None => false,
        Some(other) => anyhow::bail!("unknown format {other:?}: use csv or xlsx"),
    };
    let values = match values.as_str() {
        "codes" => Values::Codes,
        "labels" => Values::Labels,
        other => anyhow::bail!("unknown values {other:?}: use codes or labels"),
    };
    let filter = AnalysisQuery {
        valid: Some(valid),
        ..Default::default()
    }
    .filter()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let total = astore::count(db, s.id, &filter).await?;
    let bar = ProgressBar::new(total as u64).with_style(ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} {per_sec} eta {eta}",
    )?);
    bar.set_message("responses");
    // Personal numbers in answers are masked unless the user's role needs them.
    let view = AnswerView::of(db, &caller, &s).await?;
    let file = responses_file(db, &s, view, &filter, xlsx, values, lang, |k| {
        bar.set_position(k)
    })
    .await?;
    bar.finish_and_clear();
    let (n, body) = (file.responses, &file.body);
    std::fs::write(&out, body)?;
    let e = Entry::by(&caller, s.org_id, Action::Export)
        .target(format!("survey:{}", s.id))
        .detail(format!(
            "cli {}: {n} responses, {}",
            out.display(),
            file.personal_note()
        ));
    audit::store::record(db.pool(), &e).await?;
    eprintln!(
        "{n} responses written to {} ({} bytes)",
        out.display(),
        body.len()
    );
    Ok(())
}
