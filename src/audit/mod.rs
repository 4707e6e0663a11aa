//! The audit log: logins, failed logins, changes to users and roles, imports,
//! exports and views of personal data. Append-only: no code path edits an
//! entry, and the database refuses it too (triggers). The one deletion is the
//! daily purge of entries older than `[audit] keep_days` (at least 180), which
//! the database allows only below the retention it records itself
//! (`audit_policy`, migration 0020); see [`retention`].

pub mod api;
mod audited;
pub mod ops;
pub mod pages;
pub mod retention;
pub mod store;

pub use audited::Audited;

use serde::{Deserialize, Serialize};

use crate::{
    auth::Caller,
    db::{OrgId, UserId},
    error::{AppError, FieldError},
    web::{
        form::Errors,
        list::{PageSize, Paging},
    },
};

/// A page of the audit log.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<store::AuditRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// The audit page shows a hundred entries; the API as many as `per_page` asks, up to 500.
pub const PAGE_SIZE: PageSize = PageSize {
    default: 100,
    max: 500,
};

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// An action's stored name, e.g. `login_failed`; unknown names are ignored.
    action: Option<String>,
    /// A login name (exact, any case).
    username: Option<String>,
    /// First day, `YYYY-MM-DD`, China Standard Time.
    from: Option<String>,
    /// Last day (inclusive), `YYYY-MM-DD`, China Standard Time.
    to: Option<String>,
    /// Page number, from 1.
    page: Option<i64>,
    /// Entries per page (API only), 1–500; 100 by default.
    per_page: Option<i64>,
}

impl AuditQuery {
    /// The filter these parameters ask for; a malformed day is an error naming its field.
    pub fn filter(&self) -> Result<store::AuditFilter, AppError> {
        let nonempty = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let day = |field: &str, v: &Option<String>| match nonempty(v) {
            None => Ok(None),
            Some(d) => day_start(&d)
                .map(Some)
                .ok_or_else(|| FieldError::new(field, "err-date")),
        };
        let from = day("from", &self.from);
        let to = day("to", &self.to);
        let errors: Vec<FieldError> = [&from, &to]
            .into_iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect();
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        Ok(store::AuditFilter {
            action: nonempty(&self.action).filter(|a| Action::parse(a).is_some()),
            username: nonempty(&self.username).map(|u| u.to_ascii_lowercase()),
            from: from.ok().flatten(),
            to: to.ok().flatten().map(|t| t + 86_400),
        })
    }

    /// The filter as a query string, for pager and export links.
    /// The page asked for (a page or size out of range is a 422).
    pub fn paging(&self, size: PageSize) -> Result<Paging, AppError> {
        let text = |v: Option<i64>| v.map(|n| n.to_string());
        let mut errs = Errors::default();
        let paging = Paging::read(&mut errs, &text(self.page), &text(self.per_page), size);
        errs.finish()?;
        Ok(paging)
    }

    /// The filters as a query string, for the pager and the export links.
    pub fn query_string(&self) -> String {
        let enc = |v: &Option<String>| crate::web::errors::urlencode(v.as_deref().unwrap_or(""));
        format!(
            "action={}&username={}&from={}&to={}",
            enc(&self.action),
            enc(&self.username),
            enc(&self.from),
            enc(&self.to)
        )
    }

    /// The filter in words for the export's audit entry.
    pub fn describe(&self) -> String {
        [
            ("action", &self.action),
            ("username", &self.username),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.trim().is_empty())
                .map(|v| format!("{k}={}", v.trim()))
        })
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Midnight of a `YYYY-MM-DD` day in China Standard Time, as epoch seconds.
fn day_start(s: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() - 8 * 3600)
}

/// What happened. The stored spelling is the variant's `as_str`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Login,
    LoginFailed,
    LoginLocked,
    Logout,
    UserCreated,
    UserUpdated,
    PasswordChanged,
    RoleGranted,
    RoleRevoked,
    TokenCreated,
    TokenRevoked,
    OrgCreated,
    OrgUpdated,
    OrgMoved,
    OrgDeactivated,
    OrgActivated,
    EnterpriseCreated,
    EnterpriseUpdated,
    Import,
    Export,
    PersonalDataViewed,
    CampaignCreated,
    CampaignUpdated,
    CampaignStatusChanged,
    CampaignCopied,
    PlanSaved,
    PlanSubmitted,
    PlanAccepted,
    PlanReturned,
    WorkdaysUpdated,
    CalendarTokenCreated,
    CalendarTokenRevoked,
    AttachmentUploaded,
    AttachmentDeleted,
    SummarySaved,
    SummarySubmitted,
    SummaryAccepted,
    SummaryReturned,
    SurveyCreated,
    SurveyUpdated,
    SurveyFormSaved,
    SurveyPublished,
    SurveyStatusChanged,
    SurveyValidityChanged,
    SurveyResponseOverridden,
    WorkGroupCreated,
    WorkGroupUpdated,
    WorkGroupContactSaved,
    WorkGroupStudySaved,
    WorkGroupVisitSaved,
    MediationCaseCreated,
    MediationCaseChanged,
    FormationFlagged,
    FormationStep,
    UnionFounded,
    MembersRecorded,
    JoinApplicationDecided,
    JoinLinkCreated,
    ServiceRecorded,
    ReportCreated,
    ReportSaved,
    ReportVersionSaved,
    ReportSubmitted,
    ReportAccepted,
    ReportReturned,
    RobotsUpdated,
    RobotTested,
    CampaignReceived,
    Chased,
    BackupStarted,
    SessionEnded,
    AuditPurged,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    WebhookSecretRotated,
}

impl Action {
    /// Every action, for the filter menu.
    pub const ALL: [Action; 76] = [
        Action::Login,
        Action::LoginFailed,
        Action::LoginLocked,
        Action::Logout,
        Action::UserCreated,
        Action::UserUpdated,
        Action::PasswordChanged,
        Action::RoleGranted,
        Action::RoleRevoked,
        Action::TokenCreated,
        Action::TokenRevoked,
        Action::OrgCreated,
        Action::OrgUpdated,
        Action::OrgMoved,
        Action::OrgDeactivated,
        Action::OrgActivated,
        Action::EnterpriseCreated,
        Action::EnterpriseUpdated,
        Action::Import,
        Action::Export,
        Action::PersonalDataViewed,
        Action::CampaignCreated,
        Action::CampaignUpdated,
        Action::CampaignStatusChanged,
        Action::CampaignCopied,
        Action::PlanSaved,
        Action::PlanSubmitted,
        Action::PlanAccepted,
        Action::PlanReturned,
        Action::WorkdaysUpdated,
        Action::CalendarTokenCreated,
        Action::CalendarTokenRevoked,
        Action::AttachmentUploaded,
        Action::AttachmentDeleted,
        Action::SummarySaved,
        Action::SummarySubmitted,
        Action::SummaryAccepted,
        Action::SummaryReturned,
        Action::SurveyCreated,
        Action::SurveyUpdated,
        Action::SurveyFormSaved,
        Action::SurveyPublished,
        Action::SurveyStatusChanged,
        Action::SurveyValidityChanged,
        Action::SurveyResponseOverridden,
        Action::WorkGroupCreated,
        Action::WorkGroupUpdated,
        Action::WorkGroupContactSaved,
        Action::WorkGroupStudySaved,
        Action::WorkGroupVisitSaved,
        Action::MediationCaseCreated,
        Action::MediationCaseChanged,
        Action::FormationFlagged,
        Action::FormationStep,
        Action::UnionFounded,
        Action::MembersRecorded,
        Action::JoinApplicationDecided,
        Action::JoinLinkCreated,
        Action::ServiceRecorded,
        Action::ReportCreated,
        Action::ReportSaved,
        Action::ReportVersionSaved,
        Action::ReportSubmitted,
        Action::ReportAccepted,
        Action::ReportReturned,
        Action::RobotsUpdated,
        Action::RobotTested,
        Action::CampaignReceived,
        Action::Chased,
        Action::BackupStarted,
        Action::SessionEnded,
        Action::AuditPurged,
        Action::WebhookCreated,
        Action::WebhookUpdated,
        Action::WebhookDeleted,
        Action::WebhookSecretRotated,
    ];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::LoginLocked => "login_locked",
            Action::Logout => "logout",
            Action::UserCreated => "user_created",
            Action::UserUpdated => "user_updated",
            Action::PasswordChanged => "password_changed",
            Action::RoleGranted => "role_granted",
            Action::RoleRevoked => "role_revoked",
            Action::TokenCreated => "token_created",
            Action::TokenRevoked => "token_revoked",
            Action::OrgCreated => "org_created",
            Action::OrgUpdated => "org_updated",
            Action::OrgMoved => "org_moved",
            Action::OrgDeactivated => "org_deactivated",
            Action::OrgActivated => "org_activated",
            Action::EnterpriseCreated => "enterprise_created",
            Action::EnterpriseUpdated => "enterprise_updated",
            Action::Import => "import",
            Action::Export => "export",
            Action::PersonalDataViewed => "personal_data_viewed",
            Action::CampaignCreated => "campaign_created",
            Action::CampaignUpdated => "campaign_updated",
            Action::CampaignStatusChanged => "campaign_status_changed",
            Action::CampaignCopied => "campaign_copied",
            Action::PlanSaved => "plan_saved",
            Action::PlanSubmitted => "plan_submitted",
            Action::PlanAccepted => "plan_accepted",
            Action::PlanReturned => "plan_returned",
            Action::SummarySaved => "summary_saved",
            Action::SummarySubmitted => "summary_submitted",
            Action::SummaryAccepted => "summary_accepted",
            Action::SummaryReturned => "summary_returned",
            Action::WorkdaysUpdated => "workdays_updated",
            Action::CalendarTokenCreated => "calendar_token_created",
            Action::CalendarTokenRevoked => "calendar_token_revoked",
            Action::AttachmentUploaded => "attachment_uploaded",
            Action::AttachmentDeleted => "attachment_deleted",
            Action::SurveyCreated => "survey_created",
            Action::SurveyUpdated => "survey_updated",
            Action::SurveyFormSaved => "survey_form_saved",
            Action::SurveyPublished => "survey_published",
            Action::SurveyStatusChanged => "survey_status_changed",
            Action::SurveyValidityChanged => "survey_validity_changed",
            Action::SurveyResponseOverridden => "survey_response_overridden",
            Action::WorkGroupCreated => "work_group_created",
            Action::WorkGroupUpdated => "work_group_updated",
            Action::WorkGroupContactSaved => "work_group_contact_saved",
            Action::WorkGroupStudySaved => "work_group_study_saved",
            Action::WorkGroupVisitSaved => "work_group_visit_saved",
            Action::MediationCaseCreated => "mediation_case_created",
            Action::MediationCaseChanged => "mediation_case_changed",
            Action::FormationFlagged => "formation_flagged",
            Action::FormationStep => "formation_step",
            Action::UnionFounded => "union_founded",
            Action::MembersRecorded => "members_recorded",
            Action::JoinApplicationDecided => "join_application_decided",
            Action::JoinLinkCreated => "join_link_created",
            Action::ServiceRecorded => "service_recorded",
            Action::ReportCreated => "report_created",
            Action::ReportSaved => "report_saved",
            Action::ReportVersionSaved => "report_version_saved",
            Action::ReportSubmitted => "report_submitted",
            Action::ReportAccepted => "report_accepted",
            Action::ReportReturned => "report_returned",
            Action::RobotsUpdated => "robots_updated",
            Action::RobotTested => "robot_tested",
            Action::CampaignReceived => "campaign_received",
            Action::Chased => "chased",
            Action::BackupStarted => "backup_started",
            Action::SessionEnded => "session_ended",
            Action::AuditPurged => "audit_purged",
            Action::WebhookCreated => "webhook_created",
            Action::WebhookUpdated => "webhook_updated",
            Action::WebhookDeleted => "webhook_deleted",
            Action::WebhookSecretRotated => "webhook_secret_rotated",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One entry to append.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The org the entry belongs to (who may read it): the target's org.
    pub org_id: Option<OrgId>,
    pub user_id: Option<UserId>,
    pub username: Option<String>,
    pub action: Action,
    /// What was acted on, e.g. `enterprise:42`.
    pub target: Option<String>,
    pub detail: Option<String>,
    pub ip: Option<String>,
}

impl Entry {
    /// An entry by `caller` about something owned by `org`.
    pub fn by(caller: &Caller, org: OrgId, action: Action) -> Self {
        Entry {
            org_id: Some(org),
            user_id: Some(caller.user_id),
            username: Some(caller.username.clone()),
            action,
            target: None,
            detail: None,
            ip: caller.ip.clone(),
        }
    }

    /// Names what was acted on.
    pub fn target(mut self, t: impl Into<String>) -> Self {
        self.target = Some(t.into());
        self
    }

    /// Adds a short description.
    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[test]
    fn a_day_starts_at_midnight_in_shanghai() {
        assert_eq!(day_start("2019-11-15"), Some(1_573_747_200));
        assert_eq!(day_start("15/11/2019"), None);
    }

    #[test]
    fn a_bad_day_is_an_error_naming_its_field() {
        let q = AuditQuery {
            from: Some("2019-13-01".into()),
            to: Some("2019-11-15".into()),
            ..Default::default()
        };
        match q.filter() {
            Err(AppError::Validation(fs)) => {
                assert_eq!(fs.len(), 1);
                assert_eq!(fs[0].field, "from");
            }
            other => panic!("{other:?}"),
        }
        let q = AuditQuery {
            to: Some("2019-11-15".into()),
            action: Some("nonsense".into()),
            ..Default::default()
        };
        let f = q.filter().unwrap();
        assert_eq!(
            f.to,
            Some(1_573_747_200 + 86_400),
            "the last day is included"
        );
        assert_eq!(f.action, None, "an unknown action filters nothing");
    }
}
