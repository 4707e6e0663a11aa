//! One id type per table, so an org id can never be passed where a user id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    )*};
}

id_type!(
    /// An organisation (federation, union, department).
    OrgId,
    /// An enterprise or public institution that is visited.
    EnterpriseId,
    /// A person who logs in.
    UserId,
    /// One role held by one user at one org.
    GrantId,
    /// A bearer token for scripts.
    TokenId,
    /// An uploaded file waiting for the user to confirm its import.
    ImportId,
    /// A campaign (调研活动) issued by a federation or union.
    CampaignId,
    /// A participating unit's implementation plan for a campaign.
    PlanId,
    /// A field activity record (走访记录).
    ActivityId,
    /// A problem or suggestion raised by a worker, enterprise or union.
    ProblemId,
    /// An entry of the admin-editable problem topic list.
    TopicId,
    /// A file attached to an activity, problem, campaign or plan.
    AttachmentId,
    /// A participating unit's summary table (情况汇总表) for a campaign.
    SummaryId,
    /// A questionnaire (调查问卷) owned by an org.
    SurveyId,
    /// One version of a survey's form; immutable once published.
    SurveyVersionId,
    /// One submitted questionnaire.
    ResponseId,
    /// A work group (工作组) of a stationing programme.
    WorkGroupId,
    /// A member (leader or cadre) of a work group.
    GroupMemberId,
    /// A work group's contact at a local union.
    GroupContactId,
    /// A study session (学习) in a work group's log.
    GroupStudyId,
    /// A leader's visit to a work group.
    GroupVisitId,
    /// A labour-dispute mediation case (调解案件).
    MediationCaseId,
    /// A special report (专题报告) of an org for a campaign.
    ReportId,
    /// A person's login session, named without its secret token.
    SessionId,
    /// A webhook subscription: an org's URL and the events it wants.
    WebhookId,
    /// One event posted (and retried) to one webhook subscription.
    WebhookDeliveryId,
);
