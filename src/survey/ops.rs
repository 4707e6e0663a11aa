//! The use cases of survey management, shared by the pages and the API:
//! reading a survey the caller may see or change, creating one, changing its
//! settings, saving a form, publishing, closing and reopening, the validity
//! rules and a reviewer's verdict, each write in one transaction with its
//! audit entry. No HTTP here: no `Form`, `Json` or `Html`.
//!
//! Who may do what:
//! - read a survey, its versions and their forms: readers over the owning org;
//!   everyone else gets 404;
//! - create, change settings, save a form, publish, close and reopen: cadres
//!   and admins over the owning org (403 for other readers).

use super::{
    FormSource, OverrideInput, ReviewQuery, SavedVersion, Survey, SurveyDetail, SurveyInput,
    SurveyStatus, ValidityState,
    form::Form,
    form_errors,
    privacy::AnswerView,
    store,
    validity::{Filter, ResponsePage, RulesInput},
    xlsform,
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need},
    db::{CampaignId, Db, OrgId, ResponseId, SurveyId, SurveyVersionId},
    error::{AppError, AppResult, FieldError},
};

/// The survey if the caller reads its org, else 404.
pub async fn visible(db: &Db, caller: &Caller, id: SurveyId) -> AppResult<Survey> {
    store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Whether the caller may change a survey of `org`.
pub async fn can_write(db: &Db, caller: &Caller, org: OrgId) -> AppResult<bool> {
    Ok(caller.scope(Need::Write).contains(db, org).await?)
}

/// The survey if the caller may change it: 404 when invisible, 403 when the
/// caller only reads it.
pub async fn manageable(db: &Db, caller: &Caller, id: SurveyId) -> AppResult<Survey> {
    let s = visible(db, caller, id).await?;
    if !can_write(db, caller, s.org_id).await? {
        return Err(AppError::Forbidden);
    }
    Ok(s)
}

/// A survey's public link under `public_url`.
pub fn public_link(public_url: &str, code: &str) -> String {
    format!("{}/s/{code}", public_url.trim_end_matches('/'))
}

/// A survey with its versions, quotas and public addresses.
pub async fn detail(db: &Db, public_url: &str, s: Survey) -> AppResult<SurveyDetail> {
    let versions = store::versions(db, s.id).await?;
    let quotas = store::quotas(db, s.id).await?;
    let valid_count = store::valid_count(db.pool(), s.id).await?;
    resume(db, &s);
    Ok(SurveyDetail {
        valid_count,
        link: public_link(public_url, &s.code),
        qr_svg: format!("/s/{}/qr.svg", s.code),
        qr_png: format!("/s/{}/qr.png", s.code),
        poster: format!("/s/{}/poster", s.code),
        survey: s,
        versions,
        quotas,
    })
}

/// Checks the campaign a survey of `org` names: one issued at or above the org.
async fn check_campaign(db: &Db, campaign: Option<CampaignId>, org: OrgId) -> AppResult<()> {
    if let Some(c) = campaign
        && !store::campaign_open_to(db, c, org).await?
    {
        return Err(AppError::field("campaign_id", "survey-err-campaign"));
    }
    Ok(())
}

/// Creates a draft survey owned by `org_code` (default: the caller's org).
pub async fn create(db: &Db, caller: &Caller, input: &SurveyInput) -> AppResult<SurveyId> {
    let write = caller.require(Need::Write)?;
    let f = input.parse()?;
    let org = match &f.org_code {
        Some(code) => crate::org::store::get_by_code(db, &write, code)
            .await?
            .map(|o| o.id),
        None => write
            .contains(db, caller.home_org)
            .await?
            .then_some(caller.home_org),
    }
    .ok_or_else(|| AppError::field("org_code", "err-org-out-of-scope"))?;
    check_campaign(db, f.campaign_id, org).await?;
    let mut tx = Audited::begin(db).await?;
    let id = store::insert(&mut tx, org, &f, caller.user_id).await?;
    let e = Entry::by(caller, org, Action::SurveyCreated)
        .target(format!("survey:{id}"))
        .detail(f.title.clone());
    tx.commit([e]).await?;
    Ok(id)
}

/// Replaces a survey's settings.
pub async fn update(db: &Db, caller: &Caller, id: SurveyId, input: &SurveyInput) -> AppResult<()> {
    let s = manageable(db, caller, id).await?;
    let f = input.parse()?;
    check_campaign(db, f.campaign_id, s.org_id).await?;
    // Earlier responses carry no device key, so the rule could not hold for them.
    if f.one_per_device && !s.one_per_device && store::has_responses(db, id).await? {
        return Err(AppError::field("one_per_device", "survey-err-device-late"));
    }
    let mut tx = Audited::begin(db).await?;
    store::update(&mut tx, &s, &f).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyUpdated)
        .target(format!("survey:{id}"))
        .detail(f.title.clone());
    tx.commit([e]).await?;
    Ok(())
}

/// Changes the settings a PATCH gives, the others kept.
pub async fn patch(db: &Db, caller: &Caller, id: SurveyId, patch: SurveyInput) -> AppResult<()> {
    let s = manageable(db, caller, id).await?;
    let quotas = store::quotas(db, id).await?;
    let merged = patch.over(SurveyInput::of(&s, &quotas));
    update(db, caller, id, &merged).await
}

/// Saves a form into the survey's draft version (a new version when the newest
/// is published). The form must pass [`Form::validate`].
pub async fn save_form(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    form: Form,
    source: FormSource,
    filename: Option<&str>,
) -> AppResult<SavedVersion> {
    let s = manageable(db, caller, id).await?;
    let mut form = form;
    form.languages = form.used_languages();
    let errs = form.validate();
    if !errs.is_empty() {
        return Err(form_errors(&form, &errs, caller.lang));
    }
    let mut tx = Audited::begin(db).await?;
    let (version, created) =
        store::save_form(&mut tx, &s, &form, source, filename, caller.user_id).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyFormSaved)
        .target(format!("survey:{id}"))
        .detail(format!("version {version} ({source})"));
    tx.commit([e]).await?;
    Ok(SavedVersion {
        version_id: version,
        created,
    })
}

/// Publishes the newest version: it must be a draft with at least one question
/// and a sound form. It is frozen from then on.
pub async fn publish(db: &Db, caller: &Caller, id: SurveyId) -> AppResult<SurveyVersionId> {
    let s = manageable(db, caller, id).await?;
    let versions = store::versions(db, id).await?;
    let Some(draft) = versions.first().filter(|v| v.published_at.is_none()) else {
        return Err(AppError::field("version", "survey-err-no-draft"));
    };
    let (_, form) = store::version(db, id, draft.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let errs = form.validate();
    if !errs.is_empty() {
        return Err(form_errors(&form, &errs, caller.lang));
    }
    if draft.question_count == 0 {
        return Err(AppError::field("form", "survey-err-empty"));
    }
    let mut tx = Audited::begin(db).await?;
    store::publish(&mut tx, &s, draft.id).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyPublished)
        .target(format!("survey:{id}"))
        .detail(format!("version {}", draft.number));
    tx.commit([e]).await?;
    Ok(draft.id)
}

/// Closes a published survey or reopens a closed one.
pub async fn change_status(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    to: AppResult<SurveyStatus>,
) -> AppResult<()> {
    let s = manageable(db, caller, id).await?;
    let to = to?;
    let allowed = matches!(
        (s.status, to),
        (SurveyStatus::Published, SurveyStatus::Closed)
            | (SurveyStatus::Closed, SurveyStatus::Published)
    );
    if !allowed {
        return Err(AppError::field("status", "survey-err-transition"));
    }
    let mut tx = Audited::begin(db).await?;
    store::set_status(&mut tx, id, to).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyStatusChanged)
        .target(format!("survey:{id}"))
        .detail(format!("{} → {}", s.status, to));
    tx.commit([e]).await?;
    Ok(())
}

/// Imports an XLSForm workbook; refusals become one field error each on `file`.
pub async fn import(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    bytes: &[u8],
    filename: Option<&str>,
) -> AppResult<SavedVersion> {
    manageable(db, caller, id).await?;
    let form = xlsform::import(bytes).map_err(|errs| {
        AppError::Validation(
            errs.iter()
                .map(|e| {
                    FieldError::new("file", "survey-err-xlsform")
                        .arg("message", e.message(caller.lang))
                })
                .collect(),
        )
    })?;
    save_form(db, caller, id, form, FormSource::Xlsform, filename).await
}

/// The form of a version (default: the newest) of a survey the caller reads.
pub async fn form_of(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    version: Option<SurveyVersionId>,
) -> AppResult<(Survey, super::Version, Form)> {
    let s = visible(db, caller, id).await?;
    let vid = match version {
        Some(v) => v,
        None => store::latest(db, id).await?.ok_or(AppError::NotFound)?,
    };
    let (v, form) = store::version(db, id, vid)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((s, v, form))
}

/// A version as an XLSForm workbook, the export audited: the bytes and the
/// file name.
pub async fn export_xlsform(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    version: SurveyVersionId,
) -> AppResult<(Vec<u8>, String)> {
    let (s, v, form) = form_of(db, caller, id, Some(version)).await?;
    let bytes = xlsform::export(&form).map_err(|e| AppError::Internal(e.into()))?;
    let e = Entry::by(caller, s.org_id, Action::Export)
        .target(format!("survey:{id}"))
        .detail(format!("xlsform version {}", v.number));
    audit::store::record(db.pool(), &e).await?;
    Ok((bytes, format!("survey-{}-v{}.xlsx", s.code, v.number)))
}

// ---- validity (有效问卷) ----

/// The surveys whose responses are being judged again in this process, by
/// database (`Db::instance`) and survey.
type Running = std::collections::HashSet<(u64, SurveyId)>;
static RECOMPUTING: std::sync::LazyLock<std::sync::Mutex<Running>> =
    std::sync::LazyLock::new(Default::default);

/// Marks a survey's recomputation as run by the caller; `false` when another
/// task runs it already.
fn claim(db: &Db, id: SurveyId) -> bool {
    RECOMPUTING
        .lock()
        .map(|mut set| set.insert((db.instance(), id)))
        .unwrap_or(false)
}

fn release(db: &Db, id: SurveyId) {
    if let Ok(mut set) = RECOMPUTING.lock() {
        set.remove(&(db.instance(), id));
    }
}

/// Finishes a claimed recomputation in a background task.
fn spawn_recompute(db: Db, id: SurveyId) {
    tokio::spawn(async move {
        loop {
            if let Err(e) = store::recompute(&db, id, None, |_| {}).await {
                tracing::error!(survey.id = %id, error = %e, "validity recomputation failed");
            }
            release(&db, id);
            // A rule change that landed just as this run ended found it still
            // claimed and left the work to it.
            let unfinished = store::unfinished_recomputations(&db)
                .await
                .map(|ids| ids.contains(&id))
                .unwrap_or(false);
            if !unfinished || !claim(&db, id) {
                break;
            }
        }
    });
}

/// Picks up a recomputation nobody runs (the server restarted during one):
/// called whenever a survey is read for its management side.
fn resume(db: &Db, s: &Survey) {
    if s.recompute.is_some() && claim(db, s.id) {
        spawn_recompute(db.clone(), s.id);
    }
}

/// Resumes every unfinished recomputation (at start-up).
pub async fn resume_all(db: &Db) -> anyhow::Result<()> {
    for id in store::unfinished_recomputations(db).await? {
        if claim(db, id) {
            spawn_recompute(db.clone(), id);
        }
    }
    Ok(())
}

/// How long a rule change judges responses before answering; a survey with
/// more responses than that goes on in the background, its progress shown.
const INLINE_BUDGET: std::time::Duration = std::time::Duration::from_millis(1500);

/// A survey's rules, the progress of a recomputation and its counts.
pub async fn validity_state(db: &Db, s: &Survey) -> AppResult<ValidityState> {
    resume(db, s);
    Ok(ValidityState {
        rules: s.validity.clone(),
        recompute: s.recompute,
        counts: store::counts(db, s.id).await?,
    })
}

/// The form that rule checks refer to: the survey's newest version.
pub async fn newest_form(db: &Db, id: SurveyId) -> AppResult<Option<Form>> {
    let Some(v) = store::latest(db, id).await? else {
        return Ok(None);
    };
    Ok(store::version(db, id, v).await?.map(|(_, f)| f))
}

/// Replaces the rules and judges every response again: inline for a short
/// while, the rest in the background.
pub async fn set_validity(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    input: &RulesInput,
) -> AppResult<()> {
    let s = manageable(db, caller, id).await?;
    let form = newest_form(db, id).await?;
    let rules = input.parse(form.as_ref())?;
    let mut tx = Audited::begin(db).await?;
    store::set_rules(&mut tx, id, &rules).await?;
    let e = Entry::by(caller, s.org_id, Action::SurveyValidityChanged)
        .target(format!("survey:{id}"))
        .detail(rules.to_json());
    tx.commit([e]).await?;
    if claim(db, id) {
        match store::recompute(db, id, Some(INLINE_BUDGET), |_| {}).await {
            Ok(true) => release(db, id),
            Ok(false) => spawn_recompute(db.clone(), id),
            Err(e) => {
                release(db, id);
                return Err(AppError::Internal(e));
            }
        }
    }
    Ok(())
}

/// Sets or removes a reviewer's verdict on one response (cadres and admins
/// over the owning org).
pub async fn override_response(
    db: &Db,
    caller: &Caller,
    id: SurveyId,
    response: ResponseId,
    input: &OverrideInput,
) -> AppResult<Survey> {
    let s = manageable(db, caller, id).await?;
    let f = input.parse()?;
    let mut tx = Audited::begin(db).await?;
    if !store::set_override(&mut tx, id, response, f.valid, &f.note, caller.user_id).await? {
        return Err(AppError::NotFound);
    }
    let verdict = match f.valid {
        Some(true) => "valid",
        Some(false) => "invalid",
        None => "rules",
    };
    let e = Entry::by(caller, s.org_id, Action::SurveyResponseOverridden)
        .target(format!("survey:{id}/response:{response}"))
        .detail(format!("{verdict}: {}", f.note));
    tx.commit([e]).await?;
    Ok(s)
}

/// The page of responses to review, answers shown as the caller may see them
/// (the view audited).
pub async fn review(
    db: &Db,
    caller: &Caller,
    s: &Survey,
    q: &ReviewQuery,
) -> AppResult<ResponsePage> {
    let filter = Filter::parse(q.validity.as_deref().unwrap_or(""));
    let mut page = store::responses(
        db,
        s.id,
        filter,
        q.page.unwrap_or(1),
        super::REVIEW_PAGE,
        caller.lang,
    )
    .await?;
    let view = AnswerView::of(db, caller, s).await?;
    let shown: Vec<ResponseId> = page
        .items
        .iter_mut()
        .filter_map(|r| view.response(r).then_some(r.id))
        .collect();
    view.audit(
        db,
        caller,
        &format!("review list, page {}", page.page),
        &shown,
    )
    .await?;
    Ok(page)
}
