//! Union formation and membership (建会入会, issue 6 §3): a pipeline per
//! enterprise from the visit that flags it to the founding of its grassroots
//! union, and the members who join — recorded by cadres as counts per worker
//! group, or applying one by one on a union's public join page (`/j/{code}`)
//! and confirmed by a cadre.
//!
//! In the shape of a domain: this file the types and rules, `lifecycle.rs`
//! the pipeline's state machine, `store.rs` the scoped queries, the founding
//! transaction and the dashboard figures, `ops.rs` the use cases, `pages.rs`
//! the staff pages, `public.rs` the public join page (its QR code, poster and
//! receipt), `api.rs` the API and the router.

pub mod api;
pub mod demo;
pub mod lifecycle;
pub mod ops;
pub mod pages;
pub mod public;
pub mod store;

use serde::{Deserialize, Serialize};

use self::{
    lifecycle::{Stage, StageCode, Wish},
    store::{Join, MemberRow, PipelineFilter},
};
use crate::{
    date::Day,
    db::{ActivityId, CampaignId, EnterpriseId, OrgId, code_enum},
    error::{AppError, AppResult, FieldError},
    org::Phone,
    problem::mask_name,
    web::{
        errors::urlencode,
        form::{self, Errors},
        list::{PageSize, Paging},
    },
};

/// The worker groups members are counted by: ordinary employees, the four
/// new-employment-form groups of seed 002 (same codes as `WorkerGroup`), the
/// other groups of the "eight groups" (八大群体) drive, and anyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberGroup {
    /// 企业职工.
    Employee,
    /// 货车司机.
    TruckDriver,
    /// 网约车司机.
    RideHailing,
    /// 快递员.
    Courier,
    /// 外卖配送员.
    FoodDelivery,
    /// 家政服务员.
    Domestic,
    /// 护工护理员.
    CareWorker,
    /// 保安员.
    SecurityGuard,
    /// 商场信息员.
    MallClerk,
    /// 房产中介员.
    EstateAgent,
    /// 其他.
    Other,
}

impl MemberGroup {
    /// Every group, in the order forms and tables show them.
    pub const ALL: [MemberGroup; 11] = [
        MemberGroup::Employee,
        MemberGroup::TruckDriver,
        MemberGroup::RideHailing,
        MemberGroup::Courier,
        MemberGroup::FoodDelivery,
        MemberGroup::Domestic,
        MemberGroup::CareWorker,
        MemberGroup::SecurityGuard,
        MemberGroup::MallClerk,
        MemberGroup::EstateAgent,
        MemberGroup::Other,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MemberGroup::Employee => "employee",
            MemberGroup::TruckDriver => "truck_driver",
            MemberGroup::RideHailing => "ride_hailing",
            MemberGroup::Courier => "courier",
            MemberGroup::FoodDelivery => "food_delivery",
            MemberGroup::Domestic => "domestic",
            MemberGroup::CareWorker => "care_worker",
            MemberGroup::SecurityGuard => "security_guard",
            MemberGroup::MallClerk => "mall_clerk",
            MemberGroup::EstateAgent => "estate_agent",
            MemberGroup::Other => "other",
        }
    }

    /// The Chinese name.
    pub fn zh_name(self) -> &'static str {
        match self {
            MemberGroup::Employee => "企业职工",
            MemberGroup::TruckDriver => "货车司机",
            MemberGroup::RideHailing => "网约车司机",
            MemberGroup::Courier => "快递员",
            MemberGroup::FoodDelivery => "外卖配送员",
            MemberGroup::Domestic => "家政服务员",
            MemberGroup::CareWorker => "护工护理员",
            MemberGroup::SecurityGuard => "保安员",
            MemberGroup::MallClerk => "商场信息员",
            MemberGroup::EstateAgent => "房产中介员",
            MemberGroup::Other => "其他",
        }
    }

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<MemberGroup> {
        let s = s.trim();
        MemberGroup::ALL
            .into_iter()
            .find(|g| g.as_str() == s.to_ascii_lowercase() || g.zh_name() == s)
    }

    /// Whether the group is one of seed 002's new-employment-form groups.
    pub fn is_new_form(self) -> bool {
        matches!(
            self,
            MemberGroup::TruckDriver
                | MemberGroup::RideHailing
                | MemberGroup::Courier
                | MemberGroup::FoodDelivery
        )
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("fm-group-{}", self.as_str())
    }
}

/// A pipeline as readers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub id: i64,
    /// The org tracking it (owns the row).
    pub org_id: OrgId,
    pub org_name: String,
    pub enterprise_id: EnterpriseId,
    pub enterprise_name: String,
    pub credit_code: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    /// The visit that flagged it, if a visit did.
    pub activity_id: Option<ActivityId>,
    pub wish: Wish,
    pub stage: Stage,
    pub flagged_on: Day,
    /// The founded union's name, once founded.
    pub union_org_name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One step of a pipeline's timeline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
#[schema(as = FormationEvent)]
pub struct Event {
    /// The stage the step led to.
    pub kind: StageCode,
    pub actor: String,
    pub from_stage: Option<StageCode>,
    pub to_stage: StageCode,
    #[schema(value_type = Option<Wish>)]
    pub wish: Option<String>,
    pub founded_on: Option<Day>,
    pub union_org_id: Option<OrgId>,
    pub union_org_name: Option<String>,
    pub reason: Option<String>,
    pub activity_id: Option<ActivityId>,
    pub created_at: i64,
}

/// A flag raised on the enterprise page or through the API.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct FlagInput {
    /// The enterprise: id or credit code.
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprise: Option<String>,
    /// no_union or wants_union.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Wish>, example = "wants_union")]
    pub wish: Option<String>,
    /// The org that will track it; defaults to the enterprise's jurisdiction
    /// when the caller may write there, else the caller's own org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub campaign_id: Option<String>,
    /// Sent again with a retry, so it opens nothing twice (8–64 letters, digits, - or _).
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
}

/// A step asked of a pipeline (form or JSON).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct StepInput {
    /// prepare, resume, found, stall, drop, or flag (a new finding on a flagged pipeline).
    #[serde(default, deserialize_with = "form::lenient")]
    pub action: Option<String>,
    /// Why it stalled or was dropped.
    #[serde(default, deserialize_with = "form::lenient")]
    pub reason: Option<String>,
    /// flag: no_union or wants_union.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Wish>)]
    pub wish: Option<String>,
    /// found: the founding date (YYYY-MM-DD, not in the future).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>)]
    pub founded_on: Option<String>,
    /// found: the code of the org the new union sits under (one the caller may
    /// write to); defaults to the enterprise's jurisdiction.
    #[serde(default, deserialize_with = "form::lenient")]
    pub parent_code: Option<String>,
    /// found: the new union's name; defaults to "<enterprise>工会委员会".
    #[serde(default, deserialize_with = "form::lenient")]
    pub union_name: Option<String>,
    /// found: the new union's code; defaults to JC- and the credit code.
    #[serde(default, deserialize_with = "form::lenient")]
    pub union_code: Option<String>,
}

/// Members joined, as a cadre records them.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct JoinInput {
    /// Sent again with a retry (8–64 letters, digits, - or _).
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
    /// The union they joined (an org code in the caller's write scope); defaults
    /// to the enterprise's union, else the caller's org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    /// Their enterprise: id or credit code (optional).
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprise: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>)]
    pub campaign_id: Option<String>,
    /// employee, truck_driver, ride_hailing, courier, food_delivery, domestic,
    /// care_worker, security_guard, mall_clerk, estate_agent or other.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<MemberGroup>, example = "courier")]
    pub member_group: Option<String>,
    /// How many joined.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<i64>, example = 12)]
    pub members: Option<String>,
    /// When (YYYY-MM-DD); defaults to today.
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<Day>)]
    pub joined_on: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub note: Option<String>,
}

/// The parsed fields of members joined.
#[derive(Clone, Debug, PartialEq)]
pub struct JoinFields {
    pub client_id: String,
    pub org_code: Option<String>,
    pub enterprise: Option<String>,
    pub campaign: Option<CampaignId>,
    pub group: MemberGroup,
    pub members: i64,
    pub joined_on: Day,
    pub note: Option<String>,
}

/// At most this many members in one record: larger numbers are typing mistakes.
const MAX_MEMBERS: i64 = 100_000;

fn client_id(errs: &mut Errors, raw: &Option<String>) -> Option<String> {
    match form::opt(raw) {
        Some(c) if crate::activity::valid_client_id(&c) => Some(c),
        Some(_) => {
            errs.push(FieldError::new("client_id", "err-client-id"));
            None
        }
        None => {
            errs.push(FieldError::new("client_id", "err-required"));
            None
        }
    }
}

fn member_group(errs: &mut Errors, field: &str, raw: &Option<String>) -> Option<MemberGroup> {
    match form::opt(raw) {
        None => {
            errs.push(FieldError::new(field, "err-required"));
            None
        }
        Some(g) => {
            let p = MemberGroup::parse(&g);
            if p.is_none() {
                errs.push(FieldError::new(field, "err-fm-group").arg("value", g));
            }
            p
        }
    }
}

/// Parses a wish, naming `field`.
pub fn parse_wish(errs: &mut Errors, field: &str, raw: &Option<String>) -> Option<Wish> {
    match form::opt(raw) {
        None => {
            errs.push(FieldError::new(field, "err-required"));
            None
        }
        Some(w) => {
            let p = Wish::parse(&w);
            if p.is_none() {
                errs.push(FieldError::new(field, "err-fm-wish"));
            }
            p
        }
    }
}

impl JoinInput {
    /// Parses every field, reporting all errors at once.
    pub fn parse(&self, today: Day) -> Result<JoinFields, AppError> {
        let mut errs = Errors::default();
        let client_id = client_id(&mut errs, &self.client_id);
        let campaign = errs
            .take(form::optional_int(
                "campaign_id",
                &self.campaign_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(CampaignId);
        let group = member_group(&mut errs, "member_group", &self.member_group);
        let members = match errs.take(form::optional_int("members", &self.members, 1, MAX_MEMBERS))
        {
            Some(Some(n)) => Some(n),
            Some(None) => {
                errs.push(FieldError::new("members", "err-required"));
                None
            }
            None => None,
        };
        let joined_on = errs
            .take(Day::parse_opt("joined_on", &self.joined_on))
            .flatten()
            .unwrap_or(today);
        if joined_on > today {
            errs.push(FieldError::new("joined_on", "err-future-date"));
        }
        let note = errs.take(form::optional("note", &self.note, 500)).flatten();
        errs.finish()?;
        match (client_id, group, members) {
            (Some(client_id), Some(group), Some(members)) => Ok(JoinFields {
                client_id,
                org_code: form::opt(&self.org_code).map(|c| c.to_ascii_uppercase()),
                enterprise: form::opt(&self.enterprise),
                campaign,
                group,
                members,
                joined_on,
                note,
            }),
            _ => Err(AppError::BadRequest("unparsed join")),
        }
    }
}

/// What a worker sends from the public join page.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ApplyInput {
    /// Generated by the page; a retry sends the same one.
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
    /// 姓名.
    #[serde(default, deserialize_with = "form::lenient")]
    pub applicant_name: Option<String>,
    /// 手机号: an 11-digit mobile number.
    #[serde(default, deserialize_with = "form::lenient")]
    pub applicant_phone: Option<String>,
    /// A member group code (see `JoinInput::member_group`).
    #[serde(default, deserialize_with = "form::lenient")]
    #[schema(value_type = Option<MemberGroup>)]
    pub member_group: Option<String>,
    /// 工作单位: the employer or platform.
    #[serde(default, deserialize_with = "form::lenient")]
    pub employer: Option<String>,
}

/// The parsed fields of an application.
#[derive(Clone, Debug, PartialEq)]
pub struct ApplyFields {
    pub client_id: String,
    pub name: String,
    pub phone: String,
    pub group: MemberGroup,
    pub employer: String,
}

impl ApplyInput {
    /// Parses every field, reporting all errors at once.
    pub fn parse(&self) -> Result<ApplyFields, AppError> {
        let mut errs = Errors::default();
        let client_id = client_id(&mut errs, &self.client_id);
        let name = errs.take(form::required("applicant_name", &self.applicant_name, 50));
        let phone = match form::opt(&self.applicant_phone) {
            None => {
                errs.push(FieldError::new("applicant_phone", "err-required"));
                None
            }
            Some(p) => {
                let digits: String = p
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect();
                let digits = digits.trim_start_matches("+86").to_string();
                // A mobile: the union calls or texts it back.
                let mobile = digits.len() == 11
                    && digits.starts_with('1')
                    && Phone::parse("applicant_phone", &digits).is_ok();
                if mobile {
                    Some(digits)
                } else {
                    errs.push(FieldError::new("applicant_phone", "err-fm-mobile"));
                    None
                }
            }
        };
        let group = member_group(&mut errs, "member_group", &self.member_group);
        let employer = errs.take(form::required("employer", &self.employer, 100));
        errs.finish()?;
        match (client_id, name, phone, group, employer) {
            (Some(client_id), Some(name), Some(phone), Some(group), Some(employer)) => {
                Ok(ApplyFields {
                    client_id,
                    name,
                    phone,
                    group,
                    employer,
                })
            }
            _ => Err(AppError::BadRequest("unparsed application")),
        }
    }
}

/// One union flag of an enterprise visit (the activity form's `uf1.enterprise`
/// and `uf1.wish`, or an item of the API's `union_flags`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct UnionFlagInput {
    /// A visited enterprise (id or credit code); empty: every visited
    /// enterprise without a union.
    #[serde(default, deserialize_with = "form::lenient")]
    pub enterprise: Option<String>,
    /// no_union or wants_union; empty: no flag.
    #[serde(default, deserialize_with = "form::lenient")]
    pub wish: Option<String>,
}

/// A parsed union flag; `n` numbers it (1-based) for error fields.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitFlag {
    pub n: usize,
    pub enterprise: Option<String>,
    pub wish: Wish,
}

/// Parses the union flags of an activity: blank ones are skipped; they are
/// allowed only on an enterprise visit. Errors name `uf<n>.wish`.
pub fn parse_visit_flags(
    flags: &[UnionFlagInput],
    is_visit: bool,
    errs: &mut Errors,
) -> Vec<VisitFlag> {
    let mut out = Vec::new();
    for (i, f) in flags.iter().enumerate() {
        if form::opt(&f.wish).is_none() {
            continue;
        }
        let field = format!("uf{}.wish", i + 1);
        if !is_visit {
            errs.push(FieldError::new(field, "err-fm-visit-only"));
            continue;
        }
        if let Some(wish) = parse_wish(errs, &field, &f.wish) {
            out.push(VisitFlag {
                n: i + 1,
                enterprise: form::opt(&f.enterprise),
                wish,
            });
        }
    }
    out
}

/// An application as cadres see it (name and phone masked unless the reader
/// may see personal data).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct Application {
    pub id: i64,
    /// The union applied to.
    pub org_id: OrgId,
    pub org_name: String,
    pub receipt_code: String,
    pub name: String,
    pub phone: String,
    pub worker_group: String,
    pub employer: String,
    pub status: ApplicationStatus,
    pub reason: Option<String>,
    pub created_at: i64,
    pub decided_at: Option<i64>,
}

impl Application {
    /// The copy shown to readers who do not need the applicant's identity.
    pub fn masked(mut self) -> Self {
        self.name = mask_name(&self.name);
        self.phone = crate::org::mask_phone(&self.phone);
        self
    }

    /// The group's catalogue key.
    pub fn group_key(&self) -> String {
        format!("fm-group-{}", self.worker_group)
    }
}

/// A cadre's decision on an application.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = JoinDecisionInput)]
pub struct DecisionInput {
    /// confirm or decline.
    #[serde(default, deserialize_with = "form::lenient")]
    pub decision: Option<String>,
    /// Why it was declined (optional; shown on the worker's receipt).
    #[serde(default, deserialize_with = "form::lenient")]
    pub reason: Option<String>,
}

/// Thirty pipelines a page, on the board and in the API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(30);

code_enum! {
    /// Where an application from a join page stands.
    pub enum ApplicationStatus: "fm-app" {
        /// Waiting for the union to decide.
        Pending = "pending",
        /// Confirmed: one member joined.
        Confirmed = "confirmed",
        /// Declined.
        Declined = "declined",
    }
}

/// Query of the board and the list API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this campaign.
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only pipelines tracked in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// flagged, preparing, founded, stalled or dropped.
    #[param(value_type = Option<StageCode>)]
    pub stage: Option<String>,
    /// Text in the enterprise's name or credit code.
    pub q: Option<String>,
    /// 1-based page of 30.
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

pub fn id_param(errs: &mut Errors, field: &str, v: &Option<String>) -> Option<i64> {
    errs.take(form::optional_int(field, v, 1, i64::MAX))
        .flatten()
}

impl ListParams {
    /// The filter and the page asked for, every bad field reported.
    pub fn parse(&self) -> AppResult<(PipelineFilter, Paging)> {
        let mut errs = Errors::default();
        let campaign = id_param(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id_param(&mut errs, "org", &self.org).map(OrgId);
        let stage = form::opt(&self.stage).and_then(|s| match s.parse::<StageCode>() {
            Ok(s) => Some(s.as_str().to_string()),
            Err(e) => {
                errs.push(e.field("stage", "err-fm-stage"));
                None
            }
        });
        let page = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        Ok((
            PipelineFilter {
                campaign,
                org,
                stage,
                enterprise: None,
                q: form::opt(&self.q),
            },
            page,
        ))
    }

    /// The filters as a query string (without the stage for the board's columns).
    pub fn query(&self, with_stage: bool) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("stage", &self.stage),
            ("q", &self.q),
        ] {
            if k == "stage" && !with_stage {
                continue;
            }
            if let Some(v) = form::opt(v) {
                parts.push(format!("{k}={}", urlencode(&v)));
            }
        }
        parts.join("&")
    }
}

/// A page of pipelines with the count at each stage.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PipelinePage {
    pub items: Vec<Pipeline>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// The count at each stage for the filter without its stage: the board's columns.
    pub stages: Vec<StageCount>,
}

/// How many pipelines are at one stage.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StageCount {
    pub stage: StageCode,
    pub pipelines: i64,
}

/// A pipeline with its timeline.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PipelineDetail {
    pub pipeline: Pipeline,
    pub events: Vec<Event>,
    /// Whether the caller may take its steps.
    pub can_act: bool,
}

/// Query of the members page and API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberParams {
    /// Only this campaign.
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// The org whose children are the table's rows (default: the caller's top org).
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// Only this enterprise (id).
    #[param(value_type = Option<i64>)]
    pub enterprise: Option<String>,
}

/// Members joined by group × org, and the latest records.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MembersPage {
    pub org_id: OrgId,
    pub org_name: String,
    /// The group codes of the columns.
    pub groups: Vec<MemberGroup>,
    pub rows: Vec<MemberRow>,
    /// Column totals (same order as `groups`) and the grand total.
    pub totals: Vec<i64>,
    pub total: i64,
    pub recent: Vec<Join>,
}

/// What a save answered: the record, and whether this request created it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = FormationRecorded)]
pub struct Recorded {
    pub id: i64,
    pub created: bool,
}

/// Query of the applications list.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppParams {
    /// pending, confirmed or declined.
    #[param(value_type = Option<ApplicationStatus>)]
    pub status: Option<String>,
}

impl AppParams {
    /// The status asked for.
    pub fn parse(&self) -> AppResult<Option<ApplicationStatus>> {
        match form::opt(&self.status) {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|e: crate::db::CodeError| {
                AppError::Validation(vec![e.field("status", "err-fm-status")])
            }),
        }
    }
}

/// Which union gets a join page.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct LinkInput {
    /// The union's org code (in the caller's write scope).
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
}

/// Query of the figures API.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FigureParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Only records of this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
}

/// What the worker is told after applying.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JoinReceipt {
    /// Keep it to look the application up: `/j/{code}/receipt/{receipt_code}`.
    pub receipt_code: String,
    /// The union applied to.
    pub org_name: String,
    pub status: ApplicationStatus,
    /// False when this was a retry of an application already stored.
    pub created: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Validation(fs) => fs.into_iter().map(|f| (f.field, f.key)).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_application_needs_every_field_and_a_mobile_number() {
        let e = ApplyInput {
            client_id: Some("join-0001-abcd".into()),
            applicant_phone: Some("021-6589461".into()),
            member_group: Some("pilot".into()),
            ..Default::default()
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            keys(e),
            [
                ("applicant_name".to_string(), "err-required"),
                ("applicant_phone".to_string(), "err-fm-mobile"),
                ("member_group".to_string(), "err-fm-group"),
                ("employer".to_string(), "err-required"),
            ]
        );
        let ok = ApplyInput {
            client_id: Some("join-0001-abcd".into()),
            applicant_name: Some("王小明".into()),
            applicant_phone: Some("+86 139 1234 5678".into()),
            member_group: Some("外卖配送员".into()),
            employer: Some("美团".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(ok.phone, "13912345678");
        assert_eq!(ok.group, MemberGroup::FoodDelivery);
    }

    #[test]
    fn members_joined_need_a_positive_count_and_no_future_date() {
        let today = Day::from_ymd(2019, 11, 15).unwrap();
        let e = JoinInput {
            client_id: Some("joins-0001".into()),
            member_group: Some("courier".into()),
            members: Some("0".into()),
            joined_on: Some("2019-11-16".into()),
            ..Default::default()
        }
        .parse(today)
        .unwrap_err();
        assert_eq!(
            keys(e),
            [
                ("members".to_string(), "err-out-of-range"),
                ("joined_on".to_string(), "err-future-date"),
            ]
        );
        let f = JoinInput {
            client_id: Some("joins-0001".into()),
            member_group: Some("courier".into()),
            members: Some("12".into()),
            ..Default::default()
        }
        .parse(today)
        .unwrap();
        assert_eq!(
            (f.members, f.joined_on, f.group),
            (12, today, MemberGroup::Courier)
        );
        assert!(
            MemberGroup::ALL
                .iter()
                .all(|g| MemberGroup::parse(g.zh_name()) == Some(*g))
        );
        assert_eq!(
            MemberGroup::ALL.iter().filter(|g| g.is_new_form()).count(),
            4
        );
    }
}
