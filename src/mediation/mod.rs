//! Labour-dispute mediation cases (大调解; 劳动争议调解仲裁法): the application
//! (written, or oral and recorded on the spot), the parties, the dispute, the
//! committee and mediator, the fifteen-day clock from receipt, the outcome
//! (`lifecycle`), the money recovered, and the agreement document (`docx`).
//!
//! A case belongs to the org that received it (`org_id`); reads are scoped by
//! it like every other record. A case may come from a problem (and link back)
//! and may count towards a campaign.

pub mod api;
pub mod demo;
pub mod docx;
pub mod lifecycle;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use self::lifecycle::{
    Action, CaseAction, CaseEventKind, CaseStatus, Clock, LifecycleError, Recovery, Signatures,
    State,
};
use crate::{
    date::Day,
    db::{CampaignId, EnterpriseId, MediationCaseId, OrgId, ProblemId, code_enum},
    error::{AppError, AppResult, FieldError},
    money::Fen,
    org::mask_phone,
    problem::{bad_code, mask_name},
    web::{
        form::{self, Errors},
        list::{self, PageSize, Paging},
    },
};

/// The most a case may involve: ten billion yuan.
pub const MAX_AMOUNT: Fen = Fen(1_000_000_000_000);

/// An optional amount in yuan as typed; empty is `None`.
pub fn amount(field: &str, raw: &Option<String>) -> Result<Option<Fen>, FieldError> {
    match form::opt(raw) {
        None => Ok(None),
        Some(s) => Fen::parse_yuan(&s, MAX_AMOUNT)
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "err-amount")),
    }
}

code_enum! {
    /// The kinds of labour dispute (劳动争议调解仲裁法 Art. 2, as unions file them).
    pub enum DisputeType: "med-type" {
        /// 拖欠工资.
        WageArrears = "wage_arrears",
        /// 劳动合同.
        LabourContract = "labour_contract",
        /// 工伤.
        WorkInjury = "work_injury",
        /// 社会保险.
        SocialInsurance = "social_insurance",
        /// 解除/终止劳动关系.
        Dismissal = "dismissal",
        /// 其他.
        Other = "other",
    }
}

impl DisputeType {
    /// The Chinese name (documents are Chinese whatever the reader's language).
    pub fn zh_name(self) -> &'static str {
        match self {
            DisputeType::WageArrears => "拖欠工资",
            DisputeType::LabourContract => "劳动合同",
            DisputeType::WorkInjury => "工伤",
            DisputeType::SocialInsurance => "社会保险",
            DisputeType::Dismissal => "解除/终止劳动关系",
            DisputeType::Other => "其他",
        }
    }

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<DisputeType> {
        let s = s.trim();
        DisputeType::from_code(s)
            .or_else(|| DisputeType::ALL.into_iter().find(|t| t.zh_name() == s))
    }

    /// The type a problem's topic suggests when a problem becomes a case.
    pub fn from_topic(code: &str) -> DisputeType {
        match code {
            "wages" => DisputeType::WageArrears,
            "social_security" => DisputeType::SocialInsurance,
            "safety" => DisputeType::WorkInjury,
            _ => DisputeType::Other,
        }
    }
}

code_enum! {
    /// How the application reached the committee (Art. 12).
    pub enum IntakeKind: "med-intake" {
        /// 书面申请.
        Written = "written",
        /// 口头申请.
        Oral = "oral",
    }
}

/// How the application reached the committee (Art. 12), with what each way records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "intake", rename_all = "snake_case")]
#[schema(as = MediationIntake)]
pub enum Intake {
    /// 书面申请: the date on the application.
    Written { applied_on: Day },
    /// 口头申请, recorded on the spot: the applicant's basic details, the
    /// reasons and the time (the disputed matter is the case's `matter`,
    /// required for every case).
    Oral {
        applicant: String,
        reasons: String,
        /// Epoch seconds.
        recorded_at: i64,
    },
}

impl Intake {
    /// The stored spelling.
    pub fn code(&self) -> IntakeKind {
        match self {
            Intake::Written { .. } => IntakeKind::Written,
            Intake::Oral { .. } => IntakeKind::Oral,
        }
    }
}

/// A worker party (申请人).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Worker {
    pub name: String,
    /// Masked unless the reader's role needs it.
    pub phone: Option<String>,
}

impl Worker {
    /// The copy shown to readers who do not need the worker's details.
    pub fn masked(self) -> Worker {
        Worker {
            name: mask_name(&self.name),
            phone: self.phone.map(|p| mask_phone(&p)),
        }
    }
}

/// The employer party (被申请人): an enterprise on record, or a name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Employer {
    pub enterprise_id: Option<EnterpriseId>,
    pub name: String,
}

/// The most workers one case lists.
pub const MAX_WORKERS: usize = 50;

/// A new case as submitted (form fields or JSON), unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct CaseInput {
    /// Generated by the client; a retry with the same id returns the first case.
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
    /// The receiving org's code; defaults to the caller's own org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub campaign_id: Option<String>,
    /// The problem the case comes from ("转为调解案件").
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub problem_id: Option<String>,
    /// written or oral.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<IntakeKind>, example = "written")]
    pub intake: Option<String>,
    /// Written: the date on the application.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>, example = "2019-10-24")]
    pub applied_on: Option<String>,
    /// Oral: the applicant's basic details (name, sex, age, post, contact…).
    #[serde(default, deserialize_with = "form::lenient")]
    pub oral_applicant: Option<String>,
    /// Oral: the reasons given.
    #[serde(default, deserialize_with = "form::lenient")]
    pub oral_reasons: Option<String>,
    /// Oral: when it was recorded, `YYYY-MM-DDTHH:MM` (Beijing time).
    #[serde(default, deserialize_with = "form::lenient")]
    pub oral_recorded_at: Option<String>,
    /// Names of the workers, one per line (or a JSON list).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = json!(["张建国", "李秀英"]))]
    pub workers: Option<String>,
    /// Their phones, one per line in the same order (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    pub worker_phones: Option<String>,
    /// Id of an enterprise on record (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub employer_enterprise_id: Option<String>,
    /// The employer's name (required unless an enterprise is given).
    #[serde(default, deserialize_with = "form::lenient")]
    pub employer_name: Option<String>,
    /// wage_arrears, labour_contract, work_injury, social_insurance, dismissal or other.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<DisputeType>, example = "wage_arrears")]
    pub dispute_type: Option<String>,
    /// The disputed matter (争议事项).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "拖欠2019年8月至9月工资")]
    pub matter: Option<String>,
    /// What the applicant asks for (申请请求), optional.
    #[serde(default, deserialize_with = "form::lenient")]
    pub claims: Option<String>,
    /// Yuan: a number (`12345.5`) or text as typed (`12,345.50`).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<f64>, example = 12345.5)]
    pub amount: Option<String>,
    /// The committee's org id; defaults to the receiving org.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub committee_org_id: Option<String>,
    /// The committee's name; defaults to the org's name + 劳动争议调解委员会.
    #[serde(default, deserialize_with = "form::lenient")]
    pub committee_name: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(example = "王调解")]
    pub mediator: Option<String>,
    /// The day the committee received the application.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>, example = "2019-10-25")]
    pub received_on: Option<String>,
}

/// A parsed new case (the org, committee and links still to be checked
/// against the caller's scope).
#[derive(Clone, Debug, PartialEq)]
pub struct CaseFields {
    pub client_id: String,
    pub org_code: Option<String>,
    pub campaign: Option<CampaignId>,
    pub problem: Option<ProblemId>,
    pub intake: Intake,
    pub workers: Vec<Worker>,
    pub employer_enterprise: Option<EnterpriseId>,
    pub employer_name: Option<String>,
    pub dispute_type: DisputeType,
    pub matter: String,
    pub claims: Option<String>,
    pub amount: Fen,
    pub committee_org: Option<OrgId>,
    pub committee_name: Option<String>,
    pub mediator: String,
    pub received_on: Day,
}

/// Parses `2019-10-25T09:30` (or with a space, or seconds) in Beijing time.
pub fn parse_local_time(raw: &str) -> Option<i64> {
    use chrono::TimeZone;
    let s = raw.trim().replace(' ', "T");
    let t = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    crate::date::cst()
        .from_local_datetime(&t)
        .single()
        .map(|t| t.timestamp())
}

/// Splits a list field: lines, or commas/、 for names typed on one line.
fn lines(raw: &Option<String>, also_commas: bool) -> Vec<String> {
    let Some(s) = raw.as_deref() else {
        return Vec::new();
    };
    s.split(|c| c == '\n' || (also_commas && matches!(c, ',' | '，' | '、' | ';' | '；')))
        .map(|l| l.trim().to_string())
        .collect()
}

impl CaseInput {
    /// Parses every field against `today`; every bad field is reported.
    pub fn parse(&self, today: Day) -> Result<CaseFields, AppError> {
        let mut errs = Errors::default();
        let client_id = match form::opt(&self.client_id) {
            Some(c) if crate::activity::valid_client_id(&c) => Some(c),
            _ => {
                errs.push(FieldError::new("client_id", "err-client-id"));
                None
            }
        };
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let campaign = id(&mut errs, "campaign_id", &self.campaign_id).map(CampaignId);
        let problem = id(&mut errs, "problem_id", &self.problem_id).map(ProblemId);
        let employer_enterprise = id(
            &mut errs,
            "employer_enterprise_id",
            &self.employer_enterprise_id,
        )
        .map(EnterpriseId);
        let committee_org = id(&mut errs, "committee_org_id", &self.committee_org_id).map(OrgId);
        let received_on = errs.take(Day::parse_req("received_on", &self.received_on));
        if let Some(r) = received_on
            && r > today
        {
            errs.push(FieldError::new("received_on", "err-future-date"));
        }
        let intake = match form::opt(&self.intake).map(|i| i.parse::<IntakeKind>()) {
            Some(Ok(IntakeKind::Written)) => {
                let applied_on = errs.take(Day::parse_req("applied_on", &self.applied_on));
                if let (Some(a), Some(r)) = (applied_on, received_on)
                    && a > r
                {
                    errs.push(FieldError::new(
                        "applied_on",
                        "err-med-applied-after-receipt",
                    ));
                }
                applied_on.map(|applied_on| Intake::Written { applied_on })
            }
            Some(Ok(IntakeKind::Oral)) => {
                let applicant =
                    errs.take(form::required("oral_applicant", &self.oral_applicant, 500));
                let reasons = errs.take(form::required("oral_reasons", &self.oral_reasons, 2000));
                let recorded_at = match form::opt(&self.oral_recorded_at) {
                    None => {
                        errs.push(FieldError::new("oral_recorded_at", "err-required"));
                        None
                    }
                    Some(t) => {
                        let at = parse_local_time(&t);
                        if at.is_none() {
                            errs.push(FieldError::new("oral_recorded_at", "err-med-datetime"));
                        }
                        at
                    }
                };
                match (applicant, reasons, recorded_at) {
                    (Some(applicant), Some(reasons), Some(recorded_at)) => Some(Intake::Oral {
                        applicant,
                        reasons,
                        recorded_at,
                    }),
                    _ => None,
                }
            }
            Some(Err(e)) => {
                errs.push(e.field("intake", "err-med-intake"));
                None
            }
            None => {
                errs.push(FieldError::new("intake", "err-required"));
                None
            }
        };
        let names = lines(&self.workers, true);
        let phones = lines(&self.worker_phones, true);
        let mut workers = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            if name.chars().count() > 50 {
                errs.push(FieldError::new("workers", "err-too-long").arg("max", 50));
                continue;
            }
            let phone = phones.get(i).filter(|p| !p.is_empty()).cloned();
            if let Some(p) = &phone
                && p.chars().count() > 30
            {
                errs.push(FieldError::new("worker_phones", "err-too-long").arg("max", 30));
            }
            workers.push(Worker {
                name: name.clone(),
                phone,
            });
        }
        if workers.is_empty() {
            errs.push(FieldError::new("workers", "err-med-workers"));
        } else if workers.len() > MAX_WORKERS {
            errs.push(FieldError::new("workers", "err-too-many").arg("max", MAX_WORKERS));
        }
        let employer_name = errs
            .take(form::optional("employer_name", &self.employer_name, 200))
            .flatten();
        if employer_name.is_none() && employer_enterprise.is_none() {
            errs.push(FieldError::new("employer_name", "err-med-employer"));
        }
        let dispute_type = match form::opt(&self.dispute_type) {
            None => {
                errs.push(FieldError::new("dispute_type", "err-required"));
                None
            }
            Some(t) => {
                let p = DisputeType::parse(&t);
                if p.is_none() {
                    errs.push(bad_code(
                        "dispute_type",
                        "err-med-type",
                        &DisputeType::CODES,
                    ));
                }
                p
            }
        };
        let matter = errs.take(form::required("matter", &self.matter, 2000));
        let claims = errs
            .take(form::optional("claims", &self.claims, 2000))
            .flatten();
        let amount = errs
            .take(self::amount("amount", &self.amount))
            .flatten()
            .unwrap_or_default();
        let committee_name = errs
            .take(form::optional("committee_name", &self.committee_name, 100))
            .flatten();
        let mediator = errs.take(form::required("mediator", &self.mediator, 50));
        errs.finish()?;
        match (
            client_id,
            intake,
            dispute_type,
            matter,
            mediator,
            received_on,
        ) {
            (
                Some(client_id),
                Some(intake),
                Some(dispute_type),
                Some(matter),
                Some(mediator),
                Some(received_on),
            ) => Ok(CaseFields {
                client_id,
                org_code: form::opt(&self.org_code),
                campaign,
                problem,
                intake,
                workers,
                employer_enterprise,
                employer_name,
                dispute_type,
                matter,
                claims,
                amount,
                committee_org,
                committee_name,
                mediator,
                received_on,
            }),
            _ => Err(AppError::BadRequest("unparsed case")),
        }
    }
}

/// A stored case as readers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: MediationCaseId,
    /// The case number shown on documents, e.g. `（2019）调字第12号`.
    pub number: String,
    /// The org that received it (and owns it).
    pub org_id: OrgId,
    pub org_name: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    pub problem_id: Option<ProblemId>,
    pub intake: Intake,
    pub dispute_type: DisputeType,
    pub matter: String,
    pub claims: Option<String>,
    /// The amount involved, in fen.
    pub amount_fen: Fen,
    /// The same in yuan, `12,345.50`.
    pub amount_yuan: String,
    pub workers: Vec<Worker>,
    pub employer: Employer,
    pub committee_org_id: OrgId,
    pub committee_name: String,
    pub mediator: String,
    pub received_on: Day,
    pub started_on: Option<Day>,
    /// The last day of the fifteen (receipt + 15 calendar days).
    pub due_on: Day,
    /// Days left until `due_on` while the case is open (negative once past).
    pub days_left: Option<i64>,
    /// Open after `due_on`: a party may apply for arbitration.
    pub overdue: bool,
    pub state: State,
    pub status: CaseStatus,
    /// A valid agreement: its document can be downloaded.
    pub agreement_valid: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Case {
    /// The clock of this case on `today`.
    pub fn clock(&self, today: Day) -> Clock {
        Clock {
            received_on: self.received_on,
            today,
        }
    }

    /// The copy shown to readers who do not need the workers' details.
    pub fn masked(mut self) -> Self {
        self.workers = self.workers.into_iter().map(Worker::masked).collect();
        if let Intake::Oral { applicant, .. } = &mut self.intake {
            *applicant = mask_name(applicant);
        }
        self
    }

    /// The workers' names, joined.
    pub fn worker_names(&self) -> String {
        self.workers
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }

    /// A one-line excerpt of the matter for lists.
    pub fn excerpt(&self) -> String {
        let mut s: String = self.matter.chars().take(60).collect();
        if self.matter.chars().count() > 60 {
            s.push('…');
        }
        s
    }
}

/// The case number: one per case, by the year of receipt.
pub fn case_number(id: MediationCaseId, received_on: Day) -> String {
    use chrono::Datelike;
    format!("（{}）调字第{}号", received_on.naive().year(), id.0)
}

/// One entry of a case's timeline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = MediationEvent)]
pub struct Event {
    pub kind: CaseEventKind,
    pub actor: String,
    pub from_state: Option<CaseStatus>,
    pub to_state: CaseStatus,
    /// The day the step concerns (signed, failed, paid…).
    pub on_day: Option<Day>,
    pub detail: Option<String>,
    pub created_at: i64,
}

/// A step as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = MediationTransitionInput)]
pub struct TransitionInput {
    /// begin, agree, sign, fail, withdraw, transfer or recover.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<CaseAction>, example = "agree")]
    pub action: Option<String>,
    /// The day of the step (defaults to today).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>, example = "2019-10-30")]
    pub on: Option<String>,
    /// For fail (required), withdraw and transfer.
    #[serde(default, deserialize_with = "form::lenient")]
    pub reason: Option<String>,
    /// For agree: what was agreed.
    #[serde(default, deserialize_with = "form::lenient")]
    pub terms: Option<String>,
    /// For agree: the money agreed, in yuan; for recover: the money paid to date.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<f64>, example = 5000)]
    pub amount: Option<String>,
    /// For agree and sign: true when the workers signed.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub signed_workers: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub signed_employer: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub signed_mediator: Option<String>,
    /// True when the committee's seal is on the agreement.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<bool>)]
    pub sealed: Option<String>,
}

impl TransitionInput {
    /// Parses into a lifecycle action; every bad field reported.
    pub fn parse(&self, today: Day) -> Result<Action, AppError> {
        let mut errs = Errors::default();
        let on = errs
            .take(Day::parse_opt("on", &self.on))
            .flatten()
            .unwrap_or(today);
        let reason = errs
            .take(form::optional("reason", &self.reason, 2000))
            .flatten();
        let mut flag = |field: &'static str, v: &Option<String>| match form::flag(v) {
            Ok(b) => b,
            Err(_) => {
                errs.push(FieldError::new(field, "err-flag"));
                false
            }
        };
        let signatures = Signatures {
            workers: flag("signed_workers", &self.signed_workers),
            employer: flag("signed_employer", &self.signed_employer),
            mediator: flag("signed_mediator", &self.signed_mediator),
            seal: flag("sealed", &self.sealed),
        };
        let amount = errs.take(self::amount("amount", &self.amount)).flatten();
        let action = match form::opt(&self.action).map(|a| a.parse::<CaseAction>()) {
            Some(Ok(CaseAction::Begin)) => Some(Action::Begin { on }),
            Some(Ok(CaseAction::Agree)) => {
                let terms = errs.take(form::required("terms", &self.terms, 4000));
                terms.map(|terms| Action::Agree {
                    signed_on: on,
                    terms,
                    amount: amount.unwrap_or_default(),
                    signatures,
                })
            }
            Some(Ok(CaseAction::Sign)) => Some(Action::Sign(signatures)),
            Some(Ok(CaseAction::Fail)) => {
                if reason.is_none() {
                    errs.push(FieldError::new("reason", "err-required"));
                }
                reason.clone().map(|reason| Action::Fail { on, reason })
            }
            Some(Ok(CaseAction::Withdraw)) => Some(Action::Withdraw {
                on,
                reason: reason.clone(),
            }),
            Some(Ok(CaseAction::Transfer)) => Some(Action::Transfer {
                on,
                reason: reason.clone(),
            }),
            Some(Ok(CaseAction::Recover)) => {
                if amount.is_none() && form::opt(&self.amount).is_none() {
                    errs.push(FieldError::new("amount", "err-required"));
                }
                amount.map(|amount| Action::Recover(Recovery { amount, on }))
            }
            Some(Err(e)) => {
                errs.push(e.field("action", "err-action"));
                None
            }
            None => {
                errs.push(FieldError::new("action", "err-required"));
                None
            }
        };
        errs.finish()?;
        action.ok_or(AppError::BadRequest("unparsed action"))
    }
}

/// A refused step becomes a validation error naming the field at fault.
pub fn refusal(e: LifecycleError) -> AppError {
    let f =
        |field: &str, key: &'static str| AppError::Validation(vec![FieldError::new(field, key)]);
    match e {
        LifecycleError::NotAllowed => f("action", "err-med-not-allowed"),
        LifecycleError::ReasonRequired => f("reason", "err-required"),
        LifecycleError::TermsRequired => f("terms", "err-required"),
        LifecycleError::BeforeReceipt => f("on", "err-med-before-receipt"),
        LifecycleError::InTheFuture => f("on", "err-future-date"),
        LifecycleError::BeforeOutcome => f("on", "err-med-before-outcome"),
        LifecycleError::TooEarly { from } => AppError::Validation(vec![
            FieldError::new("action", "err-med-too-early").arg("from", from.iso()),
        ]),
        LifecycleError::NothingSigned => f("signed_workers", "err-med-nothing-signed"),
    }
}

/// Thirty cases a page, in the list and the API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(30);

/// Query of the list page and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// received, mediating, agreement_pending, agreed, no_agreement, withdrawn or arbitration.
    #[param(value_type = Option<CaseStatus>)]
    pub status: Option<String>,
    /// A dispute type.
    #[serde(rename = "type")]
    #[param(value_type = Option<DisputeType>)]
    pub kind: Option<String>,
    /// yes: only cases open past their fifteen days.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// Received in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Text in the matter, the employer's or a worker's name.
    pub q: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

impl ListParams {
    /// The filter and the page asked for, every bad field reported.
    pub fn parse(&self) -> AppResult<(store::CaseFilter, Paging)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let status = form::opt(&self.status).and_then(|s| match s.parse::<CaseStatus>() {
            Ok(s) => Some(s),
            Err(e) => {
                errs.push(e.field("status", "err-med-status"));
                None
            }
        });
        let dispute_type = form::opt(&self.kind).and_then(|t| {
            let p = DisputeType::parse(&t);
            if p.is_none() {
                errs.push(bad_code("type", "err-med-type", &DisputeType::CODES));
            }
            p
        });
        let overdue = match form::flag(&self.overdue) {
            Ok(b) => b,
            Err(_) => {
                errs.push(FieldError::new("overdue", "err-flag"));
                false
            }
        };
        let paging = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        Ok((
            store::CaseFilter {
                status,
                dispute_type,
                overdue,
                org,
                campaign,
                problem: None,
                q: form::opt(&self.q),
            },
            paging,
        ))
    }

    /// The filters as a query string, for the page's address and its pager.
    pub fn query(&self) -> String {
        list::query(&[
            ("status", &self.status),
            ("type", &self.kind),
            ("overdue", &self.overdue),
            ("org", &self.org),
            ("campaign", &self.campaign),
            ("q", &self.q),
        ])
    }
}

/// A page of cases.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<Case>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only cases received in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

impl FiguresParams {
    /// The campaign and org asked for.
    pub fn parse(&self) -> AppResult<(Option<CampaignId>, Option<OrgId>)> {
        let mut errs = Errors::default();
        let campaign = errs
            .take(form::optional_int("campaign", &self.campaign, 1, i64::MAX))
            .flatten()
            .map(CampaignId);
        let org = errs
            .take(form::optional_int("org", &self.org, 1, i64::MAX))
            .flatten()
            .map(OrgId);
        errs.finish()?;
        Ok((campaign, org))
    }
}

/// One case with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub events: Vec<Event>,
    /// Whether the caller may record steps.
    pub can_act: bool,
    /// The steps the case accepts today.
    pub actions: Vec<CaseAction>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Validation(fs) => fs.into_iter().map(|f| (f.field, f.key)).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    fn today() -> Day {
        Day::from_ymd(2019, 11, 1).unwrap()
    }

    fn written() -> CaseInput {
        CaseInput {
            client_id: Some("case-0001-abcd".into()),
            intake: Some("written".into()),
            applied_on: Some("2019-10-24".into()),
            workers: Some("张建国\n李秀英".into()),
            worker_phones: Some("13812345678\n".into()),
            employer_name: Some("上海某物流有限公司".into()),
            dispute_type: Some("wage_arrears".into()),
            matter: Some("拖欠2019年8月至9月工资".into()),
            amount: Some("12,345.50".into()),
            mediator: Some("王调解".into()),
            received_on: Some("2019-10-25".into()),
            ..Default::default()
        }
    }

    #[test]
    fn amounts_are_read_in_yuan_up_to_ten_billion() {
        assert_eq!(
            amount("amount", &Some("12,345.5".into())),
            Ok(Some(Fen(1_234_550)))
        );
        assert_eq!(amount("amount", &Some(".5".into())), Ok(Some(Fen(50))));
        assert_eq!(amount("amount", &None), Ok(None));
        for bad in ["-5", "12.345", "1.2万", "10000000000.01"] {
            assert_eq!(
                amount("amount", &Some(bad.into())),
                Err(FieldError::new("amount", "err-amount")),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_written_application_parses_with_its_workers() {
        let f = written().parse(today()).unwrap();
        assert_eq!(
            f.intake,
            Intake::Written {
                applied_on: Day::from_ymd(2019, 10, 24).unwrap()
            }
        );
        assert_eq!(f.workers.len(), 2);
        assert_eq!(f.workers[0].phone.as_deref(), Some("13812345678"));
        assert_eq!(f.workers[1].phone, None);
        assert_eq!(f.amount, Fen(1_234_550));
    }

    #[test]
    fn an_oral_application_needs_the_applicant_reasons_and_time() {
        let oral = CaseInput {
            intake: Some("oral".into()),
            applied_on: None,
            ..written()
        };
        assert_eq!(
            fields_of(oral.parse(today()).unwrap_err()),
            [
                ("oral_applicant".to_string(), "err-required"),
                ("oral_reasons".to_string(), "err-required"),
                ("oral_recorded_at".to_string(), "err-required"),
            ]
        );
        let ok = CaseInput {
            oral_applicant: Some("张建国，男，42岁，仓库搬运工".into()),
            oral_reasons: Some("公司以经营困难为由拖欠两个月工资".into()),
            oral_recorded_at: Some("2019-10-25T09:30".into()),
            ..oral
        };
        match ok.parse(today()).unwrap().intake {
            Intake::Oral { recorded_at, .. } => {
                assert_eq!(Day::of_timestamp(recorded_at).iso(), "2019-10-25")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_bad_field_is_named() {
        let bad = CaseInput {
            client_id: Some("x".into()),
            intake: Some("email".into()),
            workers: Some(" ".into()),
            employer_name: None,
            dispute_type: Some("boss".into()),
            matter: None,
            amount: Some("-3".into()),
            mediator: None,
            received_on: Some("2019-11-02".into()),
            ..written()
        };
        let got: Vec<String> = fields_of(bad.parse(today()).unwrap_err())
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            got,
            [
                "client_id",
                "received_on",
                "intake",
                "workers",
                "employer_name",
                "dispute_type",
                "matter",
                "amount",
                "mediator"
            ]
        );
    }

    #[test]
    fn workers_are_masked() {
        let w = Worker {
            name: "张建国".into(),
            phone: Some("13812345678".into()),
        };
        assert_eq!(
            w.masked(),
            Worker {
                name: "张**".into(),
                phone: Some("138****5678".into())
            }
        );
    }

    #[test]
    fn steps_parse_into_actions() {
        let t = TransitionInput {
            action: Some("fail".into()),
            ..Default::default()
        };
        assert_eq!(
            fields_of(t.parse(today()).unwrap_err()),
            [("reason".to_string(), "err-required")]
        );
        let agree = TransitionInput {
            action: Some("agree".into()),
            on: Some("2019-10-30".into()),
            terms: Some("一次性支付".into()),
            amount: Some("5,000".into()),
            signed_workers: Some("yes".into()),
            sealed: Some("on".into()),
            ..Default::default()
        };
        match agree.parse(today()).unwrap() {
            Action::Agree {
                amount, signatures, ..
            } => {
                assert_eq!(amount, Fen(500_000));
                assert!(signatures.workers && signatures.seal && !signatures.employer);
            }
            other => panic!("{other:?}"),
        }
    }
}
