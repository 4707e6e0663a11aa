//! The submission writer: stores checked responses durably, committing
//! concurrent submissions together.
//!
//! With SQLite at `synchronous = FULL` (an acknowledgement means the response
//! survives a power cut) every commit waits for the disk to flush. One
//! transaction per response would cap a survey's intake at the disk's flush
//! rate just when a QR poster sends a canteen full of phones at once. So the
//! handlers hand their checked responses to one writer task per server, which
//! stores whatever has queued up meanwhile in one transaction — each response
//! in its own savepoint, so a refused one (quota full, same device) leaves the
//! others in — and answers them all after the one commit. Under light load a
//! batch is one response and nothing waits; under heavy load the flush is
//! shared. PostgreSQL takes the same path (the same code on both databases).
//!
//! Published form versions never change, so the parsed forms are cached here
//! by version for the handlers' checks.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Arc, Mutex},
};

use tokio::sync::{mpsc, oneshot};

use super::{
    Refusal,
    analysis::{self, codec::Layout},
    form::Form,
    store, validity,
};
use crate::{
    date::Day,
    db::{Backend, Db, DbError, ResponseId, SurveyId, SurveyVersionId, Tx, now},
    error::AppError,
    webhook::{self, Event, Record, ResponseRecord, Wants},
};

/// The most responses one transaction stores: bounds the time the write lock
/// is held and the latency of the first response in a batch.
const MAX_BATCH: usize = 256;

/// How many submissions may wait for the writer before handlers wait to queue.
const QUEUE: usize = 4096;

/// The most parsed form versions kept.
const MAX_FORMS: usize = 512;

/// A checked response, ready to store.
#[derive(Debug)]
pub struct Pending {
    pub new: store::NewResponse,
    /// The answers kept (hidden questions dropped), by question name.
    pub kept: BTreeMap<String, String>,
    pub form: Arc<Form>,
    /// How the form's answers are coded for analysis.
    pub layout: Arc<Layout>,
    pub rules: validity::Rules,
    pub today: Day,
}

/// What became of a response handed to the writer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Stored(ResponseId),
    /// A retry: the response stored earlier with the same instance id.
    Duplicate(ResponseId),
    Refused(Refusal),
}

struct Job {
    pending: Pending,
    reply: oneshot::Sender<Result<Written, String>>,
}

/// Whether the writer stores what it is handed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Store,
    /// Acknowledges without storing: the submission benchmark's baseline,
    /// the same server answering the same POSTs.
    Discard,
}

/// The handle of a server's submission writer (cheap to clone).
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
    forms: Arc<Mutex<FormCache>>,
}

impl Intake {
    /// Starts the writer task on the current runtime. `webhooks` says
    /// whether a subscription wants stored responses (else they emit nothing).
    pub fn start(db: Db, mode: Mode, webhooks: Wants) -> Intake {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, mode, webhooks, rx));
        Intake {
            jobs,
            forms: Arc::default(),
        }
    }

    /// Stores one response with whatever else is waiting, once committed.
    pub async fn write(&self, pending: Pending) -> Result<Written, AppError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { pending, reply }).await.map_err(|_| {
            AppError::Internal(anyhow::anyhow!("the submission writer has stopped"))
        })?;
        answer
            .await
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the submission writer has stopped")))?
            .map_err(|e| AppError::Internal(anyhow::anyhow!("storing the response failed: {e}")))
    }

    /// The published version `v` of `survey`, parsed once per server.
    pub async fn form(
        &self,
        db: &Db,
        survey: SurveyId,
        v: SurveyVersionId,
    ) -> anyhow::Result<Option<Arc<Form>>> {
        if let Some((f, _)) = self.lock().get(&(survey, v)) {
            return Ok(Some(f.clone()));
        }
        let Some(form) = store::published_form(db, survey, v).await? else {
            return Ok(None);
        };
        let layout = Arc::new(Layout::of(&form));
        let form = Arc::new(form);
        let mut forms = self.lock();
        if forms.len() >= MAX_FORMS {
            forms.clear();
        }
        forms.insert((survey, v), (form.clone(), layout));
        Ok(Some(form))
    }

    /// How answers to `form` (version `v` of `survey`) are coded for analysis.
    pub fn layout(&self, survey: SurveyId, v: SurveyVersionId, form: &Form) -> Arc<Layout> {
        match self.lock().get(&(survey, v)) {
            Some((_, layout)) => layout.clone(),
            None => Arc::new(Layout::of(form)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FormCache> {
        // The cache holds no invariant a panicking holder could break.
        self.forms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type FormCache = HashMap<(SurveyId, SurveyVersionId), (Arc<Form>, Arc<Layout>)>;

/// Takes what has queued, stores it in one transaction, answers each.
async fn writer(db: Db, mode: Mode, webhooks: Wants, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // How much a commit is shared, for the operator's /metrics.
        metrics::histogram!("qingting_survey_responses_per_commit").record(batch.len() as f64);
        let outcome = match mode {
            Mode::Store => store_batch(&db, &webhooks, &batch).await,
            Mode::Discard => Ok(batch
                .iter()
                .map(|_| Ok(Written::Stored(ResponseId(0))))
                .collect()),
        };
        match outcome {
            Ok(written) => {
                for (job, w) in batch.drain(..).zip(written) {
                    // The handler may have gone (the phone hung up): the
                    // response is stored and its retry will find it.
                    let _ = job.reply.send(w);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, responses = batch.len(), "storing a batch of responses failed");
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Stores a batch in one transaction. Most batches store every response
/// (or find it a retry), so the first attempt runs without savepoints; if a
/// response must be undone (its quota is full) or fails, the transaction is
/// rolled back and the batch stored again with each response in its own
/// savepoint, so that one is undone alone. An error here (the transaction
/// itself failing) answers every response of the batch with it; their phones
/// retry with the same instance ids.
async fn store_batch(
    db: &Db,
    webhooks: &Wants,
    batch: &[Job],
) -> Result<Vec<Result<Written, String>>, DbError> {
    if let Some(written) = attempt(db, webhooks, batch, false).await? {
        return Ok(written);
    }
    // With savepoints every response is settled, so this is never `None`
    // (and an empty answer would reach each handler as an error, not a
    // false acknowledgement).
    Ok(attempt(db, webhooks, batch, true)
        .await?
        .unwrap_or_default())
}

/// One transaction over the batch. Without savepoints it gives up (rolled
/// back, `None`) at the first response that left something to undo; with
/// them it undoes that response alone.
async fn attempt(
    db: &Db,
    webhooks: &Wants,
    batch: &[Job],
    savepoints: bool,
) -> Result<Option<Vec<Result<Written, String>>>, DbError> {
    let mut tx = db.begin().await?;
    let quotas = with_quotas(db, &mut tx, batch).await?;
    let mut out = Vec::with_capacity(batch.len());
    let mut codes = Vec::with_capacity(batch.len());
    for job in batch {
        if savepoints {
            sqlx::query("SAVEPOINT response").execute(&mut *tx).await?;
        }
        let result = store_one(&mut tx, webhooks, &job.pending, &quotas).await;
        // A full quota leaves its row and count to undo, a failed statement
        // (on PostgreSQL) an aborted transaction; a device refused by its
        // unique key left nothing.
        let undo = !matches!(
            result,
            Ok((
                Written::Stored(_) | Written::Duplicate(_) | Written::Refused(Refusal::DeviceLimit),
                _
            ))
        );
        if savepoints {
            if undo {
                sqlx::query("ROLLBACK TO SAVEPOINT response")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("RELEASE SAVEPOINT response")
                .execute(&mut *tx)
                .await?;
        } else if undo {
            tx.rollback().await?;
            return Ok(None);
        }
        out.push(
            result
                .map(|(w, code)| {
                    codes.extend(code);
                    w
                })
                .map_err(|e| e.to_string()),
        );
    }
    // Every coded copy in a few statements: the analysis can count them as
    // soon as the responses are committed, with them.
    analysis::store::write_codes(&mut tx, &codes).await?;
    tx.commit().await?;
    Ok(Some(out))
}

/// Which of the batch's surveys have quotas, read once per batch. The
/// surveys' rows are share-locked on PostgreSQL so that quotas set meanwhile
/// (which update the survey row first) wait for this commit and then count
/// these responses; SQLite's write lock, held from `BEGIN IMMEDIATE`, does
/// the same there.
async fn with_quotas(db: &Db, tx: &mut Tx, batch: &[Job]) -> Result<HashSet<SurveyId>, DbError> {
    let surveys: BTreeSet<SurveyId> = batch.iter().map(|j| j.pending.new.survey).collect();
    let query = |head: &str, tail: &str| {
        let mut q = crate::db::Sql::new(head);
        for (i, id) in surveys.iter().enumerate() {
            q.push(if i == 0 { "" } else { ", " }).bind(*id);
        }
        q.push(tail);
        q.build()
    };
    if db.backend() == Backend::Postgres {
        // A statement of its own, so the next one's snapshot is taken once
        // the locks are held and sees quotas committed before them.
        let (sql, args) = query("SELECT id FROM surveys WHERE id IN (", ") FOR SHARE");
        sqlx::query_with(sql, args).execute(&mut **tx).await?;
    }
    let (sql, args) = query(
        "SELECT DISTINCT survey_id FROM survey_quotas WHERE survey_id IN (",
        ")",
    );
    let rows: Vec<SurveyId> = sqlx::query_scalar_with(sql, args)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Stores one response — its verdict, row and quota count — and returns its
/// coded copy for the caller to write with the batch.
async fn store_one(
    tx: &mut Tx,
    webhooks: &Wants,
    p: &Pending,
    quotas: &HashSet<SurveyId>,
) -> Result<(Written, Option<analysis::store::Coded>), DbError> {
    let mut new = p.new.clone();
    // The device rule counts the device's earlier responses in this
    // transaction (an index look-up), so a batch sees its own rows.
    let earlier = match (p.rules.max_per_device, new.device_id.as_deref()) {
        (Some(_), Some(d)) => Some(store::device_count(tx, new.survey, d).await?),
        _ => None,
    };
    new.reasons = validity::judge(
        &p.rules,
        &p.form,
        &validity::Facts {
            answers: &p.kept,
            started_at: new.started_at,
            ended_at: new.ended_at,
            earlier_from_device: earlier,
        },
        p.today,
    );
    let at = now();
    let Some(id) = store::insert_response(tx, &new, at).await? else {
        // The unique keys refused it: the same instance (a retry racing the
        // first, maybe in this very batch) or, for a one-per-device survey,
        // the same device.
        let w = match store::response_by_instance(&mut **tx, new.survey, &new.instance_id).await? {
            Some(id) => Written::Duplicate(id),
            None => Written::Refused(Refusal::DeviceLimit),
        };
        return Ok((w, None));
    };
    if quotas.contains(&new.survey)
        && !store::take_quota(
            tx,
            new.survey,
            new.worker_group.as_deref(),
            new.region.as_deref(),
        )
        .await?
    {
        return Ok((Written::Refused(Refusal::QuotaFull), None));
    }
    // The in-memory check first: while nobody subscribes, this costs nothing.
    if webhooks.wants(Event::ResponseStored) {
        let record = Record::Response(ResponseRecord {
            id,
            survey_id: new.survey,
            version_id: new.version,
            org_id: new.org,
            valid: new.reasons.is_empty(),
            submitted_at: at,
            worker_group: new.worker_group.clone(),
            region: new.region.clone(),
        });
        webhook::ops::emit(tx, Event::ResponseStored, record).await?;
    }
    let code = analysis::store::Coded::of(
        new.survey,
        id,
        new.org,
        new.reasons.is_empty(),
        at,
        new.version,
        &p.layout,
        &p.kept,
        new.worker_group.as_deref(),
        new.region.as_deref(),
    );
    Ok((Written::Stored(id), Some(code)))
}
