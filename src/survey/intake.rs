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
    collections::{BTreeMap, HashMap},
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
    db::{Db, DbError, ResponseId, SurveyId, SurveyVersionId, Tx},
    error::AppError,
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
    /// Starts the writer task on the current runtime.
    pub fn start(db: Db, mode: Mode) -> Intake {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(db, mode, rx));
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
        if let Some(f) = self.lock().get(&(survey, v)) {
            return Ok(Some(f.clone()));
        }
        let Some(form) = store::published_form(db, survey, v).await? else {
            return Ok(None);
        };
        let form = Arc::new(form);
        let mut forms = self.lock();
        if forms.len() >= MAX_FORMS {
            forms.clear();
        }
        forms.insert((survey, v), form.clone());
        Ok(Some(form))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FormCache> {
        // The cache holds no invariant a panicking holder could break.
        self.forms.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type FormCache = HashMap<(SurveyId, SurveyVersionId), Arc<Form>>;

/// Takes what has queued, stores it in one transaction, answers each.
async fn writer(db: Db, mode: Mode, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // How much a commit is shared, for the operator's /metrics.
        metrics::histogram!("qingting_survey_responses_per_commit").record(batch.len() as f64);
        let outcome = match mode {
            Mode::Store => store_batch(&db, &batch).await,
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

/// Stores a batch in one transaction, each response in its own savepoint:
/// a refused response or a failing one is undone alone. An error here (the
/// transaction itself failing) answers every response of the batch with it;
/// their phones retry with the same instance ids.
async fn store_batch(db: &Db, batch: &[Job]) -> Result<Vec<Result<Written, String>>, DbError> {
    let mut tx = db.begin().await?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        sqlx::query("SAVEPOINT response").execute(&mut *tx).await?;
        let result = store_one(&mut tx, &job.pending).await;
        if !matches!(result, Ok(Written::Stored(_) | Written::Duplicate(_))) {
            // Undoes the row and the quota count of a refused response; on
            // PostgreSQL also clears the error state of a failed statement.
            sqlx::query("ROLLBACK TO SAVEPOINT response")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("RELEASE SAVEPOINT response")
            .execute(&mut *tx)
            .await?;
        out.push(result.map_err(|e| e.to_string()));
    }
    tx.commit().await?;
    Ok(out)
}

/// Stores one response: its verdict, row, quota count and coded copy.
async fn store_one(tx: &mut Tx, p: &Pending) -> Result<Written, DbError> {
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
    let Some(id) = store::insert_response(tx, &new).await? else {
        // The unique keys refused it: the same instance (a retry racing the
        // first, maybe in this very batch) or, for a one-per-device survey,
        // the same device.
        return Ok(
            match store::response_by_instance(&mut **tx, new.survey, &new.instance_id).await? {
                Some(id) => Written::Duplicate(id),
                None => Written::Refused(Refusal::DeviceLimit),
            },
        );
    };
    if !store::take_quota(
        tx,
        new.survey,
        new.worker_group.as_deref(),
        new.region.as_deref(),
    )
    .await?
    {
        return Ok(Written::Refused(Refusal::QuotaFull));
    }
    // The coded copy analysis counts, in the same transaction: a stored
    // response is countable at once.
    analysis::store::write_codes(
        tx,
        id,
        new.version,
        &Layout::of(&p.form),
        &p.kept,
        new.worker_group.as_deref(),
        new.region.as_deref(),
    )
    .await?;
    Ok(Written::Stored(id))
}
