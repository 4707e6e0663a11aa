//! The use cases of reports, shared by the pages and the API: who may read,
//! write and decide a report; its live figures; every write (create, save,
//! name a version, submit, accept, return), each in one transaction with its
//! timeline step and audit entry; the editor's sources and quote candidates;
//! the DOCX/PDF file. No HTTP here.

use super::{
    Body, CandidateQuery, Candidates, Created, Element, FileFormat, NewVersion, QuestionKind,
    Region, Report, ReportDetail, ReportEventKind, ReportInput, SourceQuestion, SourceSurvey,
    Status, SubmitInput, TextCandidate, VersionKind,
    compute::Computer,
    export, int_param,
    store::{self, By, Snapshot, VersionInfo},
};
use crate::{
    audit::{self, Action, Audited, Entry},
    auth::{Caller, Need, Scope},
    db::{Db, OrgId, ReportId, SurveyId, now},
    error::{AppError, AppResult, FieldError},
    summary::workflow::{self, Action as Move, ReturnReasons},
    survey::analysis::{self, Filter},
};

/// The report if the caller reads it, else 404.
pub async fn visible(db: &Db, caller: &Caller, id: ReportId) -> AppResult<Report> {
    store::get(db, &caller.scope(Need::Read), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn may_write(db: &Db, caller: &Caller, r: &Report) -> AppResult<bool> {
    Ok(caller.scope(Need::Write).contains(db, r.org_id).await?)
}

pub async fn may_decide(db: &Db, caller: &Caller, r: &Report) -> AppResult<bool> {
    Ok(caller.scope(Need::Write).contains(db, r.issuer_id).await?)
}

/// The report if the caller may write it: 404 when unseen, 403 when only read.
pub async fn writable(db: &Db, caller: &Caller, id: ReportId) -> AppResult<Report> {
    let r = visible(db, caller, id).await?;
    if !may_write(db, caller, &r).await? {
        return Err(AppError::Forbidden);
    }
    Ok(r)
}

pub fn by(caller: &Caller) -> By<'_> {
    By {
        user: Some(caller.user_id),
        name: &caller.display_name,
        at: now(),
    }
}

/// The version just stored, as made now.
pub async fn stored(db: &Db, id: ReportId, n: i64) -> AppResult<(VersionInfo, bool)> {
    let (v, _) = store::version(db, id, n).await?.ok_or(AppError::NotFound)?;
    Ok((v, true))
}

pub fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// The live figures of a report as a snapshot, computed with the caller's
/// read scope: a cited source the caller cannot read is "unavailable".
pub async fn live(db: &Db, caller: &Caller, r: &Report) -> AppResult<Snapshot> {
    let lang = caller.lang;
    let read = caller.scope(Need::Read);
    let figures = Computer::new(db, r.org_id, r.campaign_id, read, lang)
        .body(&r.body)
        .await
        .map_err(AppError::Internal)?;
    Ok(Snapshot::of(r, figures, lang))
}

/// The elements of `new` that `old` does not already hold must cite what
/// the caller may cite: a survey the caller reads (`caller.scope(Need::Read)`;
/// belonging to the report's campaign is not enough); activities the caller
/// reads in the author org's subtree. Any other is refused with a field error
/// naming the element (`sections[i].elements[j]`, `report-err-source`), 422 —
/// a save and a preview alike.
pub async fn check_sources(
    db: &Db,
    caller: &Caller,
    org: OrgId,
    old: &Body,
    new: &Body,
) -> AppResult<()> {
    let read = caller.scope(Need::Read);
    let mut errs = Vec::new();
    for (i, s) in new.sections.iter().enumerate() {
        for (j, e) in s.elements.iter().enumerate() {
            if old.elements().any(|o| o == e) {
                continue;
            }
            let ok = match e {
                Element::Analysis(a) => citable(db, &read, a.survey_id).await?,
                Element::SurveyQuotes(q) => citable(db, &read, q.survey_id).await?,
                Element::Problems(p) => p
                    .group
                    .as_deref()
                    .is_none_or(|g| crate::enterprise::WorkerGroup::parse(g).is_some()),
                Element::ActivityQuotes(q) => {
                    let author = Scope::of(vec![org]);
                    let mut all = true;
                    for a in &q.activity_ids {
                        let a = crate::activity::store::get(db, &read, *a).await?;
                        match a {
                            Some(a) if author.contains(db, a.org_id).await? => {}
                            _ => all = false,
                        }
                    }
                    all
                }
            };
            if !ok {
                errs.push(FieldError::new(
                    format!("sections[{i}].elements[{j}]"),
                    "report-err-source",
                ));
            }
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errs))
    }
}

/// Whether the caller (read scope `read`) may cite `survey`: only if they
/// read it themselves.
pub async fn citable(db: &Db, read: &Scope, survey: SurveyId) -> AppResult<bool> {
    Ok(crate::survey::store::get(db, read, survey).await?.is_some())
}

pub async fn topic_of(
    tx: &mut crate::db::Tx,
    code: Option<&str>,
) -> AppResult<Option<crate::db::TopicId>> {
    match code {
        None => Ok(None),
        Some(c) => {
            Ok(Some(store::topic_id(tx, c).await?.ok_or_else(|| {
                AppError::field("topic", "report-err-topic")
            })?))
        }
    }
}

pub async fn create(db: &Db, caller: &Caller, input: &ReportInput) -> AppResult<Created> {
    let head = input.head()?;
    let client_id = input
        .client_id
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| c.chars().take(64).collect::<String>())
        .unwrap_or_else(|| crate::auth::random_token(12));
    let campaign_id = input
        .campaign_id
        .ok_or_else(|| AppError::field("campaign_id", "err-required"))?;
    let campaign = crate::campaign::store::get(db, &caller.scope(Need::Read), campaign_id)
        .await?
        .ok_or_else(|| AppError::field("campaign_id", "report-err-campaign"))?;
    let org = input.org_id.unwrap_or(caller.home_org);
    if !caller.scope(Need::Write).contains(db, org).await? {
        return Err(if caller.scope(Need::Read).contains(db, org).await? {
            AppError::Forbidden
        } else {
            AppError::NotFound
        });
    }
    let body = match &input.sections {
        Some(s) => Body {
            sections: s.clone(),
        }
        .cleaned()?,
        None => Body::default(),
    };
    check_sources(db, caller, org, &Body::default(), &body).await?;
    let mut tx = Audited::begin(db).await?;
    let topic = topic_of(&mut tx, head.topic.as_deref()).await?;
    let (id, created) = store::insert(
        &mut tx,
        org,
        campaign.id,
        &client_id,
        &head,
        topic,
        &body,
        Some(caller.user_id),
    )
    .await?;
    let mut entry = None;
    if created {
        store::event(
            &mut tx,
            id,
            org,
            ReportEventKind::Created,
            None,
            None,
            &by(caller),
        )
        .await?;
        entry = Some(
            Entry::by(caller, org, Action::ReportCreated)
                .target(format!("report:{id}"))
                .detail(head.title.clone()),
        );
    }
    tx.commit(entry).await?;
    let report = visible(db, caller, id).await?;
    Ok(Created { report, created })
}

pub async fn detail(db: &Db, caller: &Caller, id: ReportId) -> AppResult<ReportDetail> {
    let report = visible(db, caller, id).await?;
    let live = live(db, caller, &report).await?;
    let can_edit = may_write(db, caller, &report).await?;
    let can_decide = may_decide(db, caller, &report).await?;
    Ok(ReportDetail {
        versions: store::versions(db, id).await?,
        timeline: store::events(db, id).await?,
        live,
        report,
        can_edit,
        can_decide,
    })
}

pub async fn save(
    db: &Db,
    caller: &Caller,
    id: ReportId,
    input: &ReportInput,
) -> AppResult<Report> {
    let r = writable(db, caller, id).await?;
    if !r.editable() {
        return Err(AppError::field("status", "report-err-not-editable"));
    }
    let head = input.head()?;
    let body = match &input.sections {
        Some(s) => Body {
            sections: s.clone(),
        }
        .cleaned()?,
        None => r.body.clone(),
    };
    check_sources(db, caller, r.org_id, &r.body, &body).await?;
    let mut tx = Audited::begin(db).await?;
    let topic = topic_of(&mut tx, head.topic.as_deref()).await?;
    if !store::save(&mut tx, id, &head, topic, &body, caller.user_id).await? {
        return Err(AppError::field("status", "report-err-not-editable"));
    }
    store::event(
        &mut tx,
        id,
        r.org_id,
        ReportEventKind::Saved,
        None,
        None,
        &by(caller),
    )
    .await?;
    let e = Entry::by(caller, r.org_id, Action::ReportSaved).target(format!("report:{id}"));
    tx.commit([e]).await?;
    visible(db, caller, id).await
}

pub async fn add_version(
    db: &Db,
    caller: &Caller,
    id: ReportId,
    input: &NewVersion,
) -> AppResult<(VersionInfo, bool)> {
    let r = writable(db, caller, id).await?;
    let seen = input.seen.unwrap_or(r.version);
    if seen != r.version {
        // A retry of a save that went through: its version is the next one.
        if seen.checked_add(1) == Some(r.version)
            && let Some((v, _)) = store::version(db, id, r.version).await?
            && v.kind == VersionKind::Named
        {
            return Ok((v, false));
        }
        return Err(AppError::field("seen", "report-err-stale"));
    }
    let name = input
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(100).collect::<String>())
        .unwrap_or_else(|| {
            caller
                .lang
                .ta("report-version-n", &[("n", (seen + 1).to_string())])
        });
    let snap = live(db, caller, &r).await?;
    let b = by(caller);
    let mut tx = Audited::begin(db).await?;
    let Some(n) = store::add_version(
        &mut tx,
        &r,
        seen,
        &name,
        VersionKind::Named,
        &snap,
        &b,
        false,
    )
    .await?
    else {
        return Err(AppError::field("seen", "report-err-stale"));
    };
    store::event(
        &mut tx,
        id,
        r.org_id,
        ReportEventKind::Version,
        Some(n),
        Some(&name),
        &b,
    )
    .await?;
    let e = Entry::by(caller, r.org_id, Action::ReportVersionSaved)
        .target(format!("report:{id}"))
        .detail(format!("v{n} {name}"));
    tx.commit([e]).await?;
    stored(db, id, n).await
}

pub async fn submit(
    db: &Db,
    caller: &Caller,
    id: ReportId,
    input: &SubmitInput,
) -> AppResult<(VersionInfo, bool)> {
    let r = writable(db, caller, id).await?;
    let seen = input.seen.unwrap_or(r.version);
    if matches!(r.status, Status::Submitted | Status::Accepted)
        && (input.seen.is_none() || seen.checked_add(1) == Some(r.version))
    {
        // A retry: answer with the submission that went through.
        if let Some((v, _)) = store::version(db, id, r.version).await?
            && v.kind == VersionKind::Submitted
        {
            return Ok((v, false));
        }
    }
    workflow::transition(r.status, &Move::Submit)?;
    if seen != r.version {
        return Err(AppError::field("seen", "report-err-stale"));
    }
    let snap = live(db, caller, &r).await?;
    let b = by(caller);
    let late = workflow::is_late(b.at, r.report_due_on.end_timestamp());
    let name = caller.lang.t("report-submitted-version");
    let mut tx = Audited::begin(db).await?;
    let Some(n) = store::add_version(
        &mut tx,
        &r,
        seen,
        &name,
        VersionKind::Submitted,
        &snap,
        &b,
        late,
    )
    .await?
    else {
        return Err(AppError::field("seen", "report-err-stale"));
    };
    if !store::set_status(
        &mut tx,
        id,
        &[Status::Draft, Status::Returned],
        Status::Submitted,
        b.at,
        Some(late),
    )
    .await?
    {
        return Err(AppError::field("status", "err-summary-transition"));
    }
    store::event(
        &mut tx,
        id,
        r.org_id,
        ReportEventKind::Submitted,
        Some(n),
        None,
        &b,
    )
    .await?;
    let e = Entry::by(caller, r.org_id, Action::ReportSubmitted)
        .target(format!("report:{id}"))
        .detail(format!("v{n}{}", if late { " late" } else { "" }));
    tx.commit([e]).await?;
    stored(db, id, n).await
}

pub async fn decide(
    db: &Db,
    caller: &Caller,
    id: ReportId,
    reason: Option<&str>,
) -> AppResult<Report> {
    let r = visible(db, caller, id).await?;
    if !may_decide(db, caller, &r).await? {
        return Err(AppError::Forbidden);
    }
    let (action, to, kind, audit_action) = match reason {
        None => (
            Move::Accept,
            Status::Accepted,
            ReportEventKind::Accepted,
            Action::ReportAccepted,
        ),
        Some(text) => (
            Move::Return(ReturnReasons {
                reason: text.trim().to_string(),
                lines: Vec::new(),
            }),
            Status::Returned,
            ReportEventKind::Returned,
            Action::ReportReturned,
        ),
    };
    workflow::transition(r.status, &action)?;
    let b = by(caller);
    let mut tx = Audited::begin(db).await?;
    if !store::set_status(&mut tx, id, &[Status::Submitted], to, b.at, None).await? {
        return Err(AppError::field("status", "err-summary-transition"));
    }
    let reason = reason.map(str::trim);
    store::event(&mut tx, id, r.org_id, kind, Some(r.version), reason, &b).await?;
    let mut e = Entry::by(caller, r.org_id, audit_action).target(format!("report:{id}"));
    if let Some(x) = reason {
        e = e.detail(x.to_string());
    }
    tx.commit([e]).await?;
    visible(db, caller, id).await
}

/// The surveys the caller may cite in a report they write (those the caller
/// reads), with their questions and answered regions.
pub async fn sources(db: &Db, caller: &Caller, id: ReportId) -> AppResult<Vec<SourceSurvey>> {
    let r = writable(db, caller, id).await?;
    let read = caller.scope(Need::Read);
    let mut list = crate::survey::store::list(db, &read, 200).await?;
    // Also the surveys the report already cites, when the caller reads them.
    for e in r.body.elements() {
        let sid = match e {
            Element::Analysis(a) => a.survey_id,
            Element::SurveyQuotes(q) => q.survey_id,
            _ => continue,
        };
        if !list.iter().any(|s| s.id == sid)
            && let Some(s) = crate::survey::store::get(db, &read, sid).await?
        {
            list.push(s);
        }
    }
    let lang = caller.lang;
    let mut out = Vec::new();
    for s in list {
        let forms = analysis::store::forms(db, s.id)
            .await
            .map_err(AppError::Internal)?;
        if forms.is_empty() {
            continue;
        }
        let book = analysis::store::codebook(&forms);
        let questions = book
            .entries
            .iter()
            .map(|e| SourceQuestion {
                name: e.name.clone(),
                label: e.label.get(lang.code()).unwrap_or(&e.name).to_string(),
                kind: QuestionKind::of(e.kind),
            })
            .collect();
        let regions = book
            .find(&s.region_question)
            .map(|i| {
                book.entries[i]
                    .choices
                    .iter()
                    .map(|(n, l)| Region {
                        name: n.clone(),
                        label: l.get(lang.code()).unwrap_or(n).to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(SourceSurvey {
            id: s.id,
            title: s.title,
            questions,
            regions,
        });
    }
    Ok(out)
}

/// Answers to search among (the newest valid ones).
const CANDIDATE_SCAN: i64 = 2_000;
/// Candidates returned.
const CANDIDATES: usize = 50;

/// Free-text answers of a survey's question, or activity notes of the
/// report's campaign in the author org's subtree, containing `q` — only what
/// the caller reads: a survey outside the caller's read scope is 404.
pub async fn candidates(
    db: &Db,
    caller: &Caller,
    id: ReportId,
    q: &CandidateQuery,
) -> AppResult<Candidates> {
    let r = writable(db, caller, id).await?;
    let text = q.q.clone().unwrap_or_default();
    let text = text.trim();
    if q.source.as_deref() == Some("activities") {
        let read = caller.scope(Need::Read);
        let notes =
            store::note_candidates(db, &read, r.org_id, r.campaign_id, text, CANDIDATES as i64)
                .await?;
        return Ok(Candidates {
            answers: Vec::new(),
            notes,
        });
    }
    let sid = int_param::<i64>("survey", &q.survey)?
        .map(SurveyId)
        .ok_or_else(|| AppError::field("survey", "err-required"))?;
    if !citable(db, &caller.scope(Need::Read), sid).await? {
        return Err(AppError::NotFound);
    }
    let question = q.question.clone().unwrap_or_default();
    let filter = Filter {
        group: q
            .group
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .and_then(crate::survey::group_value),
        ..Default::default()
    };
    let rows = analysis::store::texts(db, sid, &question, &filter, 0, CANDIDATE_SCAN).await?;
    let lang = caller.lang;
    // Searched as shown (masked), so a search cannot probe a hidden digit.
    let answers = rows
        .into_iter()
        .map(|mut a| {
            if let std::borrow::Cow::Owned(t) = crate::privacy::mask(&a.text) {
                a.text = t;
            }
            a
        })
        .filter(|a| text.is_empty() || a.text.contains(text))
        .take(CANDIDATES)
        .map(|a| {
            let mut who = Vec::new();
            if let Some(g) = a.worker_group.as_deref().filter(|g| !g.is_empty()) {
                who.push(analysis::group_label(g, lang));
            }
            if let Some(reg) = a.region.as_deref().filter(|g| !g.is_empty()) {
                who.push(reg.to_string());
            }
            who.push(crate::date::Day::of_timestamp(a.submitted_at).iso());
            TextCandidate {
                response_id: a.response_id,
                // What a report quotes is masked (`Figure::mask_personal`), so its candidates are too.
                text: a.text,
                source: who.join(" · "),
            }
        })
        .collect();
    Ok(Candidates {
        answers,
        notes: Vec::new(),
    })
}

/// The report as a file (DOCX or A4 PDF; charts drawn on the server, the
/// Chinese font embedded), as it reads now or as a stored version: its
/// bytes, file name and media type. The download is audited.
pub async fn export_file(
    db: &Db,
    settings: &std::sync::Arc<crate::config::Settings>,
    caller: &Caller,
    id: ReportId,
    format: FileFormat,
    version: Option<i64>,
) -> AppResult<(Vec<u8>, String, &'static str)> {
    let r = visible(db, caller, id).await?;
    let lang = caller.lang;
    let (snap, frozen) = match version {
        Some(n) => {
            let (v, s) = store::version(db, id, n).await?.ok_or(AppError::NotFound)?;
            let label = lang.ta(
                "report-frozen-label",
                &[("n", v.number.to_string()), ("name", v.name.clone())],
            );
            (s, Some(label))
        }
        None => (live(db, caller, &r).await?, None),
    };
    let (ext, mime) = (format.ext(), format.mime());
    let settings = settings.clone();
    let base = settings.server.public_url.clone();
    let body = tokio::task::spawn_blocking(move || {
        let fonts = crate::pdf::PdfFonts::load(&settings)?;
        if ext == "pdf" {
            export::pdf(&snap, &fonts, lang, &base, frozen.as_deref())
        } else {
            export::docx(&snap, &fonts, lang, &base, frozen.as_deref())
        }
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    let name = match version {
        Some(n) => format!("report-{id}-v{n}.{ext}"),
        None => format!("report-{id}-{}.{ext}", crate::web::download::stamp()),
    };
    let e = Entry::by(caller, r.org_id, Action::Export)
        .target(format!("report:{id}"))
        .detail(name.clone());
    audit::store::record(db.pool(), &e).await?;
    Ok((body, name, mime))
}
