//! Services (办实事, issue 6 §4): practical things a union did for workers —
//! assistance to workers in difficulty, skills competitions, cultural
//! activities, legal aid, condolence visits — with who did it, for whom, how
//! many workers benefited, the amount (stored as integer fen) and the date.
//! A service may belong to a campaign and to an activity of kind `service`.

pub mod demo;
pub mod http;
pub mod store;

use serde::{Deserialize, Serialize};

use crate::{
    date::Day,
    db::{ActivityId, CampaignId, OrgId},
    error::{AppError, FieldError},
    formation::MemberGroup,
    web::form::{self, Errors},
};

/// The kinds of service seed 002 names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// 困难职工帮扶.
    Hardship,
    /// 劳动和技能竞赛.
    Competition,
    /// 职工文化活动.
    Culture,
    /// 法律援助.
    LegalAid,
    /// 走访慰问.
    Condolence,
    /// 其他.
    Other,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 6] = [
        ServiceKind::Hardship,
        ServiceKind::Competition,
        ServiceKind::Culture,
        ServiceKind::LegalAid,
        ServiceKind::Condolence,
        ServiceKind::Other,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Hardship => "hardship",
            ServiceKind::Competition => "competition",
            ServiceKind::Culture => "culture",
            ServiceKind::LegalAid => "legal_aid",
            ServiceKind::Condolence => "condolence",
            ServiceKind::Other => "other",
        }
    }

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

    /// Parses the stored spelling or the Chinese name.
    pub fn parse(s: &str) -> Option<ServiceKind> {
        let s = s.trim();
        ServiceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.zh_name() == s)
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("svc-kind-{}", self.as_str())
    }
}

/// An amount in yuan as people type it (`1500`, `1,500.5`, `¥200`, `300元`),
/// as integer fen; at most 100 million yuan, at most two decimals.
pub fn parse_yuan(field: &str, raw: &str) -> Result<i64, FieldError> {
    let s: String = raw
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    let bad = || FieldError::new(field, "err-svc-amount");
    let (whole, frac) = match s.split_once('.') {
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() && frac.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
        || frac.len() > 2
        || whole.len() > 9
    {
        return Err(bad());
    }
    let yuan: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let total = yuan * 100 + fen;
    if total > 100_000_000 * 100 {
        return Err(bad());
    }
    Ok(total)
}

/// Fen as yuan text: 150050 → "1,500.50".
pub fn yuan_text(fen: i64) -> String {
    let yuan = fen / 100;
    let cents = fen % 100;
    let digits = yuan.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{cents:02}")
}

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
    pub amount_fen: i64,
    pub served_on: Day,
    pub created_at: i64,
}

impl Service {
    /// The amount in yuan, for pages.
    pub fn amount(&self) -> String {
        yuan_text(self.amount_fen)
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
    pub amount_fen: i64,
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
            None => 0,
            Some(a) => errs.take(parse_yuan("amount_yuan", &a)).unwrap_or(0),
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
    fn amounts_are_read_as_people_type_them_and_kept_in_fen() {
        for (raw, fen) in [
            ("1500", 150_000),
            ("1,500.5", 150_050),
            ("¥200", 20_000),
            ("300元", 30_000),
            ("0.05", 5),
            (".5", 50),
        ] {
            assert_eq!(parse_yuan("a", raw), Ok(fen), "{raw}");
        }
        for raw in ["", "abc", "1.234", "-5", "1e3", "1000000000"] {
            assert!(parse_yuan("a", raw).is_err(), "{raw}");
        }
        assert_eq!(yuan_text(150_050), "1,500.50");
        assert_eq!(yuan_text(5), "0.05");
        assert_eq!(yuan_text(123_456_789), "1,234,567.89");
    }

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
