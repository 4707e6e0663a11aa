//! Services (办实事, issue 6 §4): practical things a union did for workers —
//! assistance to workers in difficulty, skills competitions, cultural
//! activities, legal aid, condolence visits — with who did it, for whom, how
//! many workers benefited, the amount (stored as integer fen) and the date.
//! A service may belong to a campaign and to an activity of kind `service`.
//!
//! The exemplar of the shape every domain takes (ARCHITECTURE.md, "The shape
//! of a domain"): this file the types and rules, `store` the SQL, `ops` the
//! use cases (the one write, its transaction and audit entry), `pages` the
//! pages, `api` the JSON API and the router declaring every route once.

pub mod api;
pub mod demo;
pub mod ops;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{ActivityId, CampaignId, OrgId, code_enum},
    error::{AppError, AppResult, FieldError},
    formation::MemberGroup,
    money::Fen,
    web::{
        form::{self, Errors},
        list::{self, PageSize, Paging},
    },
};

code_enum! {
    /// The kinds of service seed 002 names.
    pub enum ServiceKind: "svc-kind" {
        /// 困难职工帮扶.
        Hardship = "hardship",
        /// 劳动和技能竞赛.
        Competition = "competition",
        /// 职工文化活动.
        Culture = "culture",
        /// 法律援助.
        LegalAid = "legal_aid",
        /// 走访慰问.
        Condolence = "condolence",
        /// 其他.
        Other = "other",
    }
}

impl ServiceKind {
    /// The Chinese name.
    pub fn zh_name(self) -> &'static str {
        match self {
            ServiceKind::Hardship => "困难职工帮扶",
            ServiceKind::Competition => "劳动和技能竞赛",
            ServiceKind::Culture => "职工文化活动",
            ServiceKind::LegalAid => "法律援助",
            ServiceKind::Condolence => "走访慰问",
            ServiceKind::Other => "其他",
        }
    }

    /// Parses the stored code or the Chinese name.
    pub fn parse(s: &str) -> Option<ServiceKind> {
        let s = s.trim();
        ServiceKind::from_code(s)
            .or_else(|| ServiceKind::ALL.into_iter().find(|k| k.zh_name() == s))
    }
}

/// The most one service may record: one hundred million yuan.
pub const MAX_AMOUNT: Fen = Fen::HUNDRED_MILLION_YUAN;

/// A stored service as readers see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Service {
    pub id: i64,
    pub client_id: String,
    /// The org that did it (owns the record).
    pub org_id: OrgId,
    pub org_name: String,
    pub campaign_id: Option<CampaignId>,
    pub campaign_title: Option<String>,
    /// The service activity it belongs to.
    pub activity_id: Option<ActivityId>,
    pub kind: ServiceKind,
    /// What was done.
    pub description: String,
    /// The cadres who did it.
    pub cadres: String,
    /// For whom.
    pub beneficiary: String,
    pub worker_group: Option<MemberGroup>,
    /// How many workers benefited.
    pub workers: i64,
    /// The amount in fen (1 yuan = 100 fen).
    pub amount_fen: Fen,
    pub served_on: Day,
    pub created_at: i64,
}

impl Service {
    /// The amount in yuan, for pages.
    pub fn amount(&self) -> String {
        self.amount_fen.yuan()
    }

    /// A one-line excerpt of what was done.
    pub fn excerpt(&self) -> String {
        let mut s: String = self.description.chars().take(50).collect();
        if self.description.chars().count() > 50 {
            s.push('…');
        }
        s
    }
}

/// The outcome of a save.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Saved {
    pub id: i64,
    /// False when a retry found the first record.
    pub created: bool,
}

/// A page of services.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServicePage {
    pub items: Vec<Service>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

/// Thirty services a page, in the list and the API.
pub const PAGE_SIZE: PageSize = PageSize::fixed(30);

/// Filters of the service list and figures; `None` does not filter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceFilter {
    pub campaign: Option<CampaignId>,
    /// Done by an org in this org's subtree.
    pub org: Option<OrgId>,
    pub kind: Option<ServiceKind>,
    pub activity: Option<ActivityId>,
    pub from: Option<Day>,
    pub to: Option<Day>,
}

/// Query of the list page and the list API, unparsed.
#[derive(Deserialize, Default, Debug, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<i64>)]
    pub campaign: Option<String>,
    /// Done by an org in this org's subtree.
    #[param(value_type = Option<i64>)]
    pub org: Option<String>,
    /// hardship, competition, culture, legal_aid, condolence or other.
    pub kind: Option<String>,
    /// On or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// On or before (YYYY-MM-DD).
    pub to: Option<String>,
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
}

impl ListParams {
    /// The filter and the page asked for, every bad field reported.
    pub fn parse(&self) -> AppResult<(ServiceFilter, Paging)> {
        let mut errs = Errors::default();
        let id = |errs: &mut Errors, field: &str, v: &Option<String>| {
            errs.take(form::optional_int(field, v, 1, i64::MAX))
                .flatten()
        };
        let campaign = id(&mut errs, "campaign", &self.campaign).map(CampaignId);
        let org = id(&mut errs, "org", &self.org).map(OrgId);
        let kind = match form::opt(&self.kind) {
            None => None,
            Some(k) => {
                let p = ServiceKind::parse(&k);
                if p.is_none() {
                    errs.push(FieldError::new("kind", "err-svc-kind"));
                }
                p
            }
        };
        let from = errs.take(Day::parse_opt("from", &self.from)).flatten();
        let to = errs.take(Day::parse_opt("to", &self.to)).flatten();
        let paging = Paging::read(&mut errs, &self.page, &None, PAGE_SIZE);
        errs.finish()?;
        let filter = ServiceFilter {
            campaign,
            org,
            kind,
            activity: None,
            from,
            to,
        };
        Ok((filter, paging))
    }

    /// The filters as a query string, for the page's address and its pager.
    pub fn query(&self) -> String {
        list::query(&[
            ("campaign", &self.campaign),
            ("org", &self.org),
            ("kind", &self.kind),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }
}

/// A service as submitted (form or JSON), unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ServiceInput {
    /// Generated by the client before the first save; a retry sends the same one.
    #[serde(default, deserialize_with = "form::lenient")]
    pub client_id: Option<String>,
    /// The org that did it; defaults to the caller's own org.
    #[serde(default, deserialize_with = "form::lenient")]
    pub org_code: Option<String>,
    #[serde(default, deserialize_with = "form::lenient")]
    pub campaign_id: Option<String>,
    /// An activity of kind `service` this record belongs to.
    #[serde(default, deserialize_with = "form::lenient")]
    pub activity_id: Option<String>,
    /// hardship, competition, culture, legal_aid, condolence or other.
    #[serde(default, deserialize_with = "form::lenient")]
    pub service_kind: Option<String>,
    /// What was done.
    #[serde(default, deserialize_with = "form::lenient")]
    pub description: Option<String>,
    /// Who did it (the cadres).
    #[serde(default, deserialize_with = "form::lenient")]
    pub cadres: Option<String>,
    /// For whom (a description of the workers).
    #[serde(default, deserialize_with = "form::lenient")]
    pub beneficiary: Option<String>,
    /// A worker group code (optional; see the formation groups).
    #[serde(default, deserialize_with = "form::lenient")]
    pub member_group: Option<String>,
    /// How many workers benefited.
    #[serde(default, deserialize_with = "form::lenient")]
    pub workers: Option<String>,
    /// Yuan, e.g. "1500" or "1,500.50"; empty for none.
    #[serde(default, deserialize_with = "form::lenient")]
    pub amount_yuan: Option<String>,
    /// YYYY-MM-DD; defaults to today.
    #[serde(default, deserialize_with = "form::lenient")]
    pub served_on: Option<String>,
}

/// The parsed fields of a service.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFields {
    pub client_id: String,
    pub org_code: Option<String>,
    pub campaign: Option<CampaignId>,
    pub activity: Option<ActivityId>,
    pub kind: ServiceKind,
    pub description: String,
    pub cadres: String,
    pub beneficiary: String,
    pub group: Option<MemberGroup>,
    pub workers: i64,
    pub amount_fen: Fen,
    pub served_on: Day,
}

impl ServiceInput {
    /// Parses every field, reporting all errors at once.
    pub fn parse(&self, today: Day) -> Result<ServiceFields, AppError> {
        let mut errs = Errors::default();
        let client_id = match form::opt(&self.client_id) {
            Some(c) if crate::activity::valid_client_id(&c) => Some(c),
            Some(_) => {
                errs.push(FieldError::new("client_id", "err-client-id"));
                None
            }
            None => {
                errs.push(FieldError::new("client_id", "err-required"));
                None
            }
        };
        let campaign = errs
            .take(form::optional_int(
                "campaign_id",
                &self.campaign_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(CampaignId);
        let activity = errs
            .take(form::optional_int(
                "activity_id",
                &self.activity_id,
                1,
                i64::MAX,
            ))
            .flatten()
            .map(ActivityId);
        let kind = match form::opt(&self.service_kind) {
            None => {
                errs.push(FieldError::new("service_kind", "err-required"));
                None
            }
            Some(k) => {
                let p = ServiceKind::parse(&k);
                if p.is_none() {
                    errs.push(FieldError::new("service_kind", "err-svc-kind"));
                }
                p
            }
        };
        let description = errs.take(form::required("description", &self.description, 2000));
        let cadres = errs
            .take(form::optional("cadres", &self.cadres, 200))
            .flatten()
            .unwrap_or_default();
        let beneficiary = errs.take(form::required("beneficiary", &self.beneficiary, 200));
        let group = match form::opt(&self.member_group) {
            None => None,
            Some(g) => {
                let p = MemberGroup::parse(&g);
                if p.is_none() {
                    errs.push(FieldError::new("member_group", "err-fm-group").arg("value", g));
                }
                p
            }
        };
        let workers = errs
            .take(form::optional_int("workers", &self.workers, 0, 1_000_000))
            .flatten()
            .unwrap_or(0);
        let amount_fen = match form::opt(&self.amount_yuan) {
            None => Fen(0),
            Some(a) => Fen::parse_yuan(&a, MAX_AMOUNT).unwrap_or_else(|| {
                errs.push(FieldError::new("amount_yuan", "err-svc-amount"));
                Fen(0)
            }),
        };
        let served_on = errs
            .take(Day::parse_opt("served_on", &self.served_on))
            .flatten()
            .unwrap_or(today);
        if served_on > today {
            errs.push(FieldError::new("served_on", "err-future-date"));
        }
        errs.finish()?;
        match (client_id, kind, description, beneficiary) {
            (Some(client_id), Some(kind), Some(description), Some(beneficiary)) => {
                Ok(ServiceFields {
                    client_id,
                    org_code: form::opt(&self.org_code).map(|c| c.to_ascii_uppercase()),
                    campaign,
                    activity,
                    kind,
                    description,
                    cadres,
                    beneficiary,
                    group,
                    workers,
                    amount_fen,
                    served_on,
                })
            }
            _ => Err(AppError::BadRequest("unparsed service")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_needs_its_kind_what_and_for_whom() {
        let today = Day::from_ymd(2019, 11, 15).unwrap();
        let e = ServiceInput {
            client_id: Some("svc-0001-abcd".into()),
            service_kind: Some("party".into()),
            amount_yuan: Some("12.345".into()),
            served_on: Some("2019-11-16".into()),
            ..Default::default()
        }
        .parse(today)
        .unwrap_err();
        let AppError::Validation(fs) = e else {
            panic!()
        };
        let got: Vec<(&str, &str)> = fs.iter().map(|f| (f.field.as_str(), f.key)).collect();
        assert_eq!(
            got,
            [
                ("service_kind", "err-svc-kind"),
                ("description", "err-required"),
                ("beneficiary", "err-required"),
                ("amount_yuan", "err-svc-amount"),
                ("served_on", "err-future-date"),
            ]
        );
        assert_eq!(ServiceKind::parse("法律援助"), Some(ServiceKind::LegalAid));
    }
}
