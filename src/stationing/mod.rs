//! Stationed work groups (蹲点工作组, seed 002). A stationing programme is a
//! campaign of kind [`CampaignKind::Stationing`](crate::campaign::CampaignKind):
//! its work groups are stationed for 3–6 months at a host org (a province
//! federation, the group's owning `org_id`), with a leader and members and
//! their duties (分工), an arrival deadline and the actual arrival, contacts
//! with local unions, a study log, a temporary party branch flag (临时党支部)
//! and the visits of leaders to the group.
//!
//! Groups record their field work with the existing records: an activity
//! carries `work_group_id` (its campaign must be the group's programme) and the
//! problems heard on it. A group's **questionnaires** are the responses to the
//! surveys linked to the programme (`surveys.campaign_id`) whose `region`
//! equals the group's region (e.g. 湖南): collected = every such response,
//! valid = those passing [`crate::survey::store::valid_sql`]. See
//! [`store::group_outputs`] for every figure.
//!
//! This file holds the types and the rules (no SQL, no HTTP): the 3–6 month
//! window, exactly one leader, arrival on time or late; `store` the SQL,
//! `ops` the use cases that write, `pages` the pages and `api` the JSON API
//! and the router.

pub mod api;
pub mod demo;
pub mod ops;
pub mod pages;
pub mod store;

use chrono::Months;
use serde::{Deserialize, Serialize};

use crate::{
    activity::Activity,
    audit::Action,
    date::Day,
    db::{
        CampaignId, GroupContactId, GroupMemberId, GroupStudyId, GroupVisitId, OrgId, UserId,
        WorkGroupId, code_enum,
    },
    error::{AppError, FieldError},
    org::Phone,
    web::form::{self, Errors, lenient},
};

/// The shortest stay, in months.
pub const MIN_MONTHS: u32 = 3;
/// The longest stay, in months.
pub const MAX_MONTHS: u32 = 6;
/// The most members a group may list.
pub const MAX_MEMBERS: usize = 30;

/// Whether a stay from `start` to `end` (both days included) lasts 3–6
/// months: the day after `end` lies between `start` + 3 months and `start` +
/// 6 months. 2021-05-18 – 2021-11-17 is six months; – 2021-08-17 three.
pub fn check_window(start: Day, end: Day) -> Result<(), FieldError> {
    let after = end.plus_days(1).naive();
    let s = start.naive();
    let min = s.checked_add_months(Months::new(MIN_MONTHS));
    let max = s.checked_add_months(Months::new(MAX_MONTHS));
    match (min, max) {
        (Some(min), Some(max)) if after >= min && after <= max => Ok(()),
        _ => Err(FieldError::new("ends_on", "err-stationing-window")
            .arg("min", MIN_MONTHS)
            .arg("max", MAX_MONTHS)),
    }
}

code_enum! {
    /// Where a group is with its arrival (computed from the deadline and
    /// the arrival day, never stored).
    pub enum Arrival: "stationing-arrival" {
        /// Arrived on or before the deadline.
        OnTime = "on_time",
        /// Arrived after the deadline.
        Late = "late",
        /// Not arrived, the deadline not yet passed.
        Expected = "expected",
        /// Not arrived and the deadline has passed.
        Overdue = "overdue",
    }
}

impl Arrival {
    /// The arrival of a group due on `due` that arrived on `arrived`, as of `today`.
    pub fn of(due: Day, arrived: Option<Day>, today: Day) -> Arrival {
        match arrived {
            Some(a) if a <= due => Arrival::OnTime,
            Some(_) => Arrival::Late,
            None if today > due => Arrival::Overdue,
            None => Arrival::Expected,
        }
    }

    /// The badge class that shows it.
    pub fn badge(self) -> &'static str {
        match self {
            Arrival::OnTime => "yes",
            Arrival::Late | Arrival::Overdue => "no",
            Arrival::Expected => "off",
        }
    }
}

/// A work group as read.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WorkGroup {
    pub id: WorkGroupId,
    /// The programme (a campaign of kind stationing).
    pub campaign_id: CampaignId,
    pub campaign_title: String,
    /// The org issuing the programme.
    pub issuer_org_id: OrgId,
    /// The host org (the group's owner), e.g. 湖南省总工会.
    pub org_id: OrgId,
    pub org_code: String,
    pub org_name: String,
    /// 湖南工作组.
    pub name: String,
    /// The province as questionnaire region answers write it, e.g. 湖南.
    pub region: String,
    pub arrival_due_on: Day,
    pub arrived_on: Option<Day>,
    pub arrival: Arrival,
    pub starts_on: Day,
    pub ends_on: Day,
    /// A temporary party branch (临时党支部) was set up.
    pub party_branch: bool,
    pub remarks: Option<String>,
    /// The leader's name.
    pub leader: Option<String>,
    pub member_count: i64,
}

/// A member of a group.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: GroupMemberId,
    pub name: String,
    /// Home department, e.g. 全总组织部.
    pub department: Option<String>,
    /// Duty in the group (分工).
    pub duty: Option<String>,
    pub is_leader: bool,
    pub user_id: Option<UserId>,
    pub username: Option<String>,
}

/// A contact at a local union.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: GroupContactId,
    pub name: String,
    pub job_title: Option<String>,
    pub org_name: Option<String>,
    /// Masked (138****5678) unless the caller is a cadre or admin over the group.
    pub phone: Option<String>,
}

impl Contact {
    /// A copy with the phone masked.
    pub fn masked(mut self) -> Self {
        self.phone = self.phone.as_deref().map(crate::org::mask_phone);
        self
    }
}

/// A study session (学习) or group meeting in the log.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Study {
    pub id: GroupStudyId,
    pub held_on: Day,
    pub subject: String,
    /// How many took part.
    pub attendees: i64,
    pub remarks: Option<String>,
}

/// A leader's visit to the group.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LeaderVisit {
    pub id: GroupVisitId,
    pub visited_on: Day,
    /// The visiting leader, e.g. 蔡振华.
    pub leader_name: String,
    pub leader_title: Option<String>,
    pub remarks: Option<String>,
}

/// The figures of one group (see [`store::group_outputs`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outputs {
    /// Distinct enterprises with an activity of the group.
    pub enterprises: i64,
    /// Workers interviewed, summed over the group's activities.
    pub interviews: i64,
    /// Symposiums the group held.
    pub symposiums: i64,
    /// Every activity of the group.
    pub activities: i64,
    /// Questionnaires of the group's region collected by the programme's surveys.
    pub questionnaires_collected: i64,
    /// … of which valid (有效问卷).
    pub questionnaires_valid: i64,
    /// Problems recorded on the group's activities.
    pub problems: i64,
    /// Special reports written in the host org's subtree for the programme
    /// and submitted at least once (`report::store::counts`).
    pub reports: i64,
}

impl Outputs {
    /// Adds another group's figures (enterprises are re-counted distinct by the store).
    pub fn add(&mut self, o: &Outputs) {
        self.enterprises += o.enterprises;
        self.interviews += o.interviews;
        self.symposiums += o.symposiums;
        self.activities += o.activities;
        self.questionnaires_collected += o.questionnaires_collected;
        self.questionnaires_valid += o.questionnaires_valid;
        self.problems += o.problems;
        self.reports += o.reports;
    }
}

/// One row of the programme's comparison of groups.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct GroupOutputs {
    pub group_id: WorkGroupId,
    pub name: String,
    pub host_org_id: OrgId,
    pub host_org_name: String,
    pub region: String,
    pub leader: Option<String>,
    pub members: i64,
    pub arrival_due_on: Day,
    pub arrived_on: Option<Day>,
    pub arrival: Arrival,
    pub party_branch: bool,
    #[serde(flatten)]
    pub outputs: Outputs,
}

/// A member as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct MemberInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Home department, e.g. 全总组织部.
    #[serde(default, deserialize_with = "lenient")]
    pub department: Option<String>,
    /// Duty in the group (分工).
    #[serde(default, deserialize_with = "lenient")]
    pub duty: Option<String>,
    /// true for the leader (exactly one).
    #[serde(default, deserialize_with = "lenient")]
    #[schema(value_type = Option<bool>)]
    pub leader: Option<String>,
    /// The member's user account, if any.
    #[serde(default, deserialize_with = "lenient")]
    pub username: Option<String>,
}

impl MemberInput {
    fn is_blank(&self) -> bool {
        [&self.name, &self.department, &self.duty, &self.username]
            .iter()
            .all(|v| form::opt(v).is_none())
    }
}

/// A member parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberFields {
    pub name: String,
    pub department: Option<String>,
    pub duty: Option<String>,
    pub is_leader: bool,
    pub username: Option<String>,
}

/// A work group as submitted (form or JSON), unparsed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct GroupInput {
    /// e.g. 湖南工作组.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Code of the host org, in the programme issuer's subtree (e.g. P-HUNAN).
    #[serde(default, deserialize_with = "lenient")]
    pub host_org_code: Option<String>,
    /// The province as questionnaire region answers write it (e.g. 湖南).
    #[serde(default, deserialize_with = "lenient")]
    pub region: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default, deserialize_with = "lenient")]
    pub arrival_due_on: Option<String>,
    /// When the group arrived (empty: not yet).
    #[serde(default, deserialize_with = "lenient")]
    pub arrived_on: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub starts_on: Option<String>,
    /// 3 to 6 months after the start.
    #[serde(default, deserialize_with = "lenient")]
    pub ends_on: Option<String>,
    /// A temporary party branch (临时党支部) was set up.
    #[serde(default, deserialize_with = "lenient")]
    #[schema(value_type = Option<bool>)]
    pub party_branch: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub remarks: Option<String>,
    /// The leader and members; exactly one has `leader: true`. Omitted in a
    /// PATCH: the members stay as they are.
    #[serde(default)]
    pub members: Option<Vec<MemberInput>>,
}

/// A group parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupFields {
    pub name: String,
    /// Upper-case.
    pub host_org_code: String,
    pub region: String,
    pub arrival_due_on: Day,
    pub arrived_on: Option<Day>,
    pub starts_on: Day,
    pub ends_on: Day,
    pub party_branch: bool,
    pub remarks: Option<String>,
    pub members: Vec<MemberFields>,
}

fn flag(field: &str, v: &Option<String>, errs: &mut Errors) -> bool {
    form::flag(v).unwrap_or_else(|_| {
        errs.push(FieldError::new(field, "err-flag"));
        false
    })
}

impl GroupInput {
    /// Parses every field and member row (named by their JSON paths,
    /// `members[0].name`, `members[1].duty`, …),
    /// reporting all errors: the 3–6 month window (`ends_on`), exactly one
    /// leader (`members`), an arrival after the end (`arrived_on`) or in the
    /// future, a deadline outside the stay (`arrival_due_on`), and a stay
    /// outside the programme's window `programme` (`starts_on`/`ends_on`).
    pub fn parse(&self, programme: (Day, Day), today: Day) -> Result<GroupFields, AppError> {
        let mut errs = Errors::default();
        let name = errs.take(form::required("name", &self.name, 100));
        let host = errs.take(form::required("host_org_code", &self.host_org_code, 40));
        let region = errs.take(form::required("region", &self.region, 20));
        let due = errs.take(Day::parse_req("arrival_due_on", &self.arrival_due_on));
        let arrived = errs
            .take(Day::parse_opt("arrived_on", &self.arrived_on))
            .flatten();
        let starts_on = errs.take(Day::parse_req("starts_on", &self.starts_on));
        let ends_on = errs.take(Day::parse_req("ends_on", &self.ends_on));
        let party_branch = flag("party_branch", &self.party_branch, &mut errs);
        let remarks = errs
            .take(form::optional("remarks", &self.remarks, 5000))
            .flatten();
        if let (Some(s), Some(e)) = (starts_on, ends_on) {
            if e < s {
                errs.push(FieldError::new("ends_on", "err-window").arg("start", s));
            } else if let Err(e) = check_window(s, e) {
                errs.push(e);
            }
            if s < programme.0 {
                errs.push(
                    FieldError::new("starts_on", "err-outside-programme")
                        .arg("start", programme.0)
                        .arg("end", programme.1),
                );
            }
            if e > programme.1 {
                errs.push(
                    FieldError::new("ends_on", "err-outside-programme")
                        .arg("start", programme.0)
                        .arg("end", programme.1),
                );
            }
        }
        if let (Some(d), Some(e)) = (due, ends_on)
            && d > e
        {
            errs.push(FieldError::new("arrival_due_on", "err-arrival-after-end"));
        }
        if let Some(a) = arrived {
            if a > today {
                errs.push(FieldError::new("arrived_on", "err-future-date"));
            } else if ends_on.is_some_and(|e| a > e) {
                errs.push(FieldError::new("arrived_on", "err-arrival-after-end"));
            }
        }
        let members = parse_members(self.members.as_deref().unwrap_or(&[]), &mut errs);
        errs.finish()?;
        match (name, host, region, due, starts_on, ends_on) {
            (Some(name), Some(host), Some(region), Some(due), Some(s), Some(e)) => {
                Ok(GroupFields {
                    name,
                    host_org_code: host.to_ascii_uppercase(),
                    region,
                    arrival_due_on: due,
                    arrived_on: arrived,
                    starts_on: s,
                    ends_on: e,
                    party_branch,
                    remarks,
                    members,
                })
            }
            _ => Err(AppError::BadRequest("unparsed work group")),
        }
    }

    /// The input that edits `g` with its `members` as they are.
    pub fn from_group(g: &WorkGroup, members: &[Member]) -> GroupInput {
        GroupInput {
            name: Some(g.name.clone()),
            host_org_code: Some(g.org_code.clone()),
            region: Some(g.region.clone()),
            arrival_due_on: Some(g.arrival_due_on.iso()),
            arrived_on: g.arrived_on.map(Day::iso),
            starts_on: Some(g.starts_on.iso()),
            ends_on: Some(g.ends_on.iso()),
            party_branch: Some(if g.party_branch { "1" } else { "0" }.into()),
            remarks: g.remarks.clone(),
            members: Some(
                members
                    .iter()
                    .map(|m| MemberInput {
                        name: Some(m.name.clone()),
                        department: m.department.clone(),
                        duty: m.duty.clone(),
                        leader: Some(if m.is_leader { "1" } else { "0" }.into()),
                        username: m.username.clone(),
                    })
                    .collect(),
            ),
        }
    }

    /// PATCH: the fields `self` gives replace those of `base`.
    pub fn over(self, base: GroupInput) -> GroupInput {
        GroupInput {
            name: self.name.or(base.name),
            host_org_code: self.host_org_code.or(base.host_org_code),
            region: self.region.or(base.region),
            arrival_due_on: self.arrival_due_on.or(base.arrival_due_on),
            arrived_on: self.arrived_on.or(base.arrived_on),
            starts_on: self.starts_on.or(base.starts_on),
            ends_on: self.ends_on.or(base.ends_on),
            party_branch: self.party_branch.or(base.party_branch),
            remarks: self.remarks.or(base.remarks),
            members: self.members.or(base.members),
        }
    }
}

/// The JSON path of a member row's field: `members[0].name`.
pub fn member_field(row: usize, field: &str) -> String {
    format!("members[{row}].{field}")
}

/// Parses the member rows (blank rows skipped): each needs a name, and
/// exactly one is the leader.
fn parse_members(rows: &[MemberInput], errs: &mut Errors) -> Vec<MemberFields> {
    let mut out = Vec::new();
    for (i, m) in rows.iter().enumerate() {
        if m.is_blank() {
            continue;
        }
        let p = |f: &str| member_field(i, f);
        let name = errs.take(form::required(&p("name"), &m.name, 50));
        let department = errs
            .take(form::optional(&p("department"), &m.department, 100))
            .flatten();
        let duty = errs
            .take(form::optional(&p("duty"), &m.duty, 200))
            .flatten();
        let is_leader = flag(&p("leader"), &m.leader, errs);
        let username = form::opt(&m.username);
        if let Some(name) = name {
            out.push(MemberFields {
                name,
                department,
                duty,
                is_leader,
                username,
            });
        }
    }
    if rows.iter().filter(|m| !m.is_blank()).count() > MAX_MEMBERS {
        errs.push(FieldError::new("members", "err-too-many").arg("max", MAX_MEMBERS));
    }
    let leaders = rows
        .iter()
        .filter(|m| !m.is_blank() && form::flag(&m.leader) == Ok(true))
        .count();
    if rows.iter().all(MemberInput::is_blank) {
        errs.push(FieldError::new("members", "err-members-required"));
    } else if leaders != 1 {
        errs.push(FieldError::new("members", "err-one-leader").arg("count", leaders as i64));
    }
    out
}

/// A contact as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContactInput {
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// e.g. 副主席.
    #[serde(default, deserialize_with = "lenient")]
    pub job_title: Option<String>,
    /// e.g. 长沙县总工会.
    #[serde(default, deserialize_with = "lenient")]
    pub org_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub phone: Option<String>,
}

/// A contact parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct ContactFields {
    pub name: String,
    pub job_title: Option<String>,
    pub org_name: Option<String>,
    pub phone: Option<Phone>,
}

impl ContactInput {
    /// Parses every field.
    pub fn parse(&self) -> Result<ContactFields, AppError> {
        let mut errs = Errors::default();
        let name = errs.take(form::required("name", &self.name, 50));
        let job_title = errs
            .take(form::optional("job_title", &self.job_title, 100))
            .flatten();
        let org_name = errs
            .take(form::optional("org_name", &self.org_name, 200))
            .flatten();
        let phone = match form::opt(&self.phone) {
            None => None,
            Some(p) => errs.take(Phone::parse("phone", &p)),
        };
        errs.finish()?;
        let name = name.ok_or(AppError::BadRequest("unparsed contact"))?;
        Ok(ContactFields {
            name,
            job_title,
            org_name,
            phone,
        })
    }
}

/// A study session as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct StudyInput {
    /// YYYY-MM-DD; defaults to today.
    #[serde(default, deserialize_with = "lenient")]
    pub held_on: Option<String>,
    /// e.g. 周二夜学：党史学习教育.
    #[serde(default, deserialize_with = "lenient")]
    pub subject: Option<String>,
    /// How many took part.
    #[serde(default, deserialize_with = "lenient")]
    #[schema(value_type = Option<i64>)]
    pub attendees: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub remarks: Option<String>,
}

/// A study session parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyFields {
    pub held_on: Day,
    pub subject: String,
    pub attendees: i64,
    pub remarks: Option<String>,
}

impl StudyInput {
    /// Parses every field; the date may not be in the future.
    pub fn parse(&self, today: Day) -> Result<StudyFields, AppError> {
        let mut errs = Errors::default();
        let held_on = errs
            .take(Day::parse_opt("held_on", &self.held_on))
            .flatten()
            .unwrap_or(today);
        if held_on > today {
            errs.push(FieldError::new("held_on", "err-future-date"));
        }
        let subject = errs.take(form::required("subject", &self.subject, 200));
        let attendees = errs
            .take(form::optional_int("attendees", &self.attendees, 0, 1000))
            .flatten()
            .unwrap_or(0);
        let remarks = errs
            .take(form::optional("remarks", &self.remarks, 5000))
            .flatten();
        errs.finish()?;
        let subject = subject.ok_or(AppError::BadRequest("unparsed study"))?;
        Ok(StudyFields {
            held_on,
            subject,
            attendees,
            remarks,
        })
    }
}

/// A leader's visit as submitted.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// YYYY-MM-DD; defaults to today.
    #[serde(default, deserialize_with = "lenient")]
    pub visited_on: Option<String>,
    /// e.g. 蔡振华.
    #[serde(default, deserialize_with = "lenient")]
    pub leader_name: Option<String>,
    /// e.g. 全总党组书记、副主席.
    #[serde(default, deserialize_with = "lenient")]
    pub leader_title: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    pub remarks: Option<String>,
}

/// A visit parsed.
#[derive(Clone, Debug, PartialEq)]
pub struct VisitFields {
    pub visited_on: Day,
    pub leader_name: String,
    pub leader_title: Option<String>,
    pub remarks: Option<String>,
}

impl VisitInput {
    /// Parses every field; the date may not be in the future.
    pub fn parse(&self, today: Day) -> Result<VisitFields, AppError> {
        let mut errs = Errors::default();
        let visited_on = errs
            .take(Day::parse_opt("visited_on", &self.visited_on))
            .flatten()
            .unwrap_or(today);
        if visited_on > today {
            errs.push(FieldError::new("visited_on", "err-future-date"));
        }
        let leader_name = errs.take(form::required("leader_name", &self.leader_name, 50));
        let leader_title = errs
            .take(form::optional("leader_title", &self.leader_title, 100))
            .flatten();
        let remarks = errs
            .take(form::optional("remarks", &self.remarks, 5000))
            .flatten();
        errs.finish()?;
        let leader_name = leader_name.ok_or(AppError::BadRequest("unparsed visit"))?;
        Ok(VisitFields {
            visited_on,
            leader_name,
            leader_title,
            remarks,
        })
    }
}

/// The programme's comparison of groups and its total row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgrammeOutputs {
    pub campaign_id: CampaignId,
    /// One row per group the caller reaches.
    pub groups: Vec<GroupOutputs>,
    /// Sums of the rows; enterprises counted once across groups.
    pub total: Outputs,
}

/// A group with everything its page shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupDetail {
    pub group: WorkGroup,
    /// Leader first.
    pub members: Vec<Member>,
    /// Phones masked unless `can_write`.
    pub contacts: Vec<Contact>,
    /// Latest first.
    pub studies: Vec<Study>,
    /// Latest first.
    pub visits: Vec<LeaderVisit>,
    pub outputs: Outputs,
    /// The latest activities of the group that the caller sees.
    pub recent_activities: Vec<Activity>,
    /// Whether the caller may edit the group and add to its records.
    pub can_write: bool,
}

/// The three kinds of record a group keeps beside its activities, by the
/// path segment that names them (`/work-groups/{id}/contacts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Contact,
    Study,
    Visit,
}

impl ItemKind {
    /// The kind a path segment names; any other is not found.
    pub fn parse(s: &str) -> Result<ItemKind, AppError> {
        match s {
            "contacts" => Ok(ItemKind::Contact),
            "studies" => Ok(ItemKind::Study),
            "visits" => Ok(ItemKind::Visit),
            _ => Err(AppError::NotFound),
        }
    }

    /// Its path segment.
    pub fn path(self) -> &'static str {
        match self {
            ItemKind::Contact => "contacts",
            ItemKind::Study => "studies",
            ItemKind::Visit => "visits",
        }
    }

    /// The audit action of a save.
    pub fn action(self) -> Action {
        match self {
            ItemKind::Contact => Action::WorkGroupContactSaved,
            ItemKind::Study => Action::WorkGroupStudySaved,
            ItemKind::Visit => Action::WorkGroupVisitSaved,
        }
    }
}

/// A contact, study or visit as submitted.
pub enum ItemInput {
    Contact(ContactInput),
    Study(StudyInput),
    Visit(VisitInput),
}

impl ItemInput {
    /// Which kind of record it is.
    pub fn kind(&self) -> ItemKind {
        match self {
            ItemInput::Contact(_) => ItemKind::Contact,
            ItemInput::Study(_) => ItemKind::Study,
            ItemInput::Visit(_) => ItemKind::Visit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        Day::parse_str(s).unwrap()
    }

    fn keys(e: AppError) -> Vec<(String, &'static str)> {
        match e {
            AppError::Validation(fs) => fs.into_iter().map(|f| (f.field, f.key)).collect(),
            other => panic!("{other:?}"),
        }
    }

    fn member(name: &str, leader: bool) -> MemberInput {
        MemberInput {
            name: Some(name.into()),
            department: Some("全总组织部".into()),
            duty: Some("联络".into()),
            leader: Some(if leader { "true" } else { "false" }.into()),
            username: None,
        }
    }

    fn good() -> GroupInput {
        GroupInput {
            name: Some(" 湖南工作组 ".into()),
            host_org_code: Some("p-hunan".into()),
            region: Some("湖南".into()),
            arrival_due_on: Some("2021-05-18".into()),
            arrived_on: Some("2021-05-17".into()),
            starts_on: Some("2021-05-18".into()),
            ends_on: Some("2021-11-17".into()),
            party_branch: Some("on".into()),
            remarks: None,
            members: Some(vec![member("张三", true), member("李四", false)]),
        }
    }

    fn programme() -> (Day, Day) {
        (d("2021-05-18"), d("2021-11-17"))
    }

    #[test]
    fn the_stay_lasts_three_to_six_months() {
        let s = d("2021-05-18");
        for (end, ok) in [
            ("2021-08-17", true),
            ("2021-08-16", false),
            ("2021-11-17", true),
            ("2021-11-18", false),
            ("2021-09-30", true),
        ] {
            assert_eq!(check_window(s, d(end)).is_ok(), ok, "{end}");
        }
        // Month ends: 30 November + 3 months is 28 February.
        assert!(check_window(d("2021-11-30"), d("2022-02-27")).is_ok());
        assert!(check_window(d("2021-11-30"), d("2022-02-26")).is_err());
    }

    #[test]
    fn arrival_is_on_time_late_expected_or_overdue() {
        let due = d("2021-05-18");
        let today = d("2021-05-20");
        assert_eq!(
            Arrival::of(due, Some(d("2021-05-18")), today),
            Arrival::OnTime
        );
        assert_eq!(
            Arrival::of(due, Some(d("2021-05-19")), today),
            Arrival::Late
        );
        assert_eq!(Arrival::of(due, None, today), Arrival::Overdue);
        assert_eq!(Arrival::of(due, None, d("2021-05-18")), Arrival::Expected);
    }

    #[test]
    fn a_good_group_parses() {
        let f = good().parse(programme(), d("2021-06-01")).unwrap();
        assert_eq!(f.name, "湖南工作组");
        assert_eq!(f.host_org_code, "P-HUNAN");
        assert!(f.party_branch);
        assert_eq!(f.members.len(), 2);
        assert!(f.members[0].is_leader && !f.members[1].is_leader);
    }

    #[test]
    fn exactly_one_leader() {
        let mut g = good();
        g.members = Some(vec![member("张三", false), member("李四", false)]);
        assert_eq!(
            keys(g.parse(programme(), d("2021-06-01")).unwrap_err()),
            [("members".to_string(), "err-one-leader")]
        );
        g.members = Some(vec![member("张三", true), member("李四", true)]);
        assert_eq!(
            keys(g.parse(programme(), d("2021-06-01")).unwrap_err()),
            [("members".to_string(), "err-one-leader")]
        );
        g.members = Some(vec![MemberInput::default()]);
        assert_eq!(
            keys(g.parse(programme(), d("2021-06-01")).unwrap_err()),
            [("members".to_string(), "err-members-required")]
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let g = GroupInput {
            name: Some(" ".into()),
            arrival_due_on: Some("2021-12-01".into()),
            arrived_on: Some("2021-06-02".into()),
            starts_on: Some("2021-05-18".into()),
            ends_on: Some("2021-07-01".into()),
            party_branch: Some("perhaps".into()),
            members: Some(vec![
                member("张三", true),
                MemberInput {
                    duty: Some("后勤".into()),
                    ..Default::default()
                },
            ]),
            ..Default::default()
        };
        assert_eq!(
            keys(g.parse(programme(), d("2021-06-01")).unwrap_err()),
            [
                ("name".to_string(), "err-required"),
                ("host_org_code".to_string(), "err-required"),
                ("region".to_string(), "err-required"),
                ("party_branch".to_string(), "err-flag"),
                ("ends_on".to_string(), "err-stationing-window"),
                ("arrival_due_on".to_string(), "err-arrival-after-end"),
                ("arrived_on".to_string(), "err-future-date"),
                ("members[1].name".to_string(), "err-required"),
            ]
        );
    }

    #[test]
    fn the_stay_lies_in_the_programme() {
        let mut g = good();
        g.starts_on = Some("2021-05-01".into());
        g.ends_on = Some("2021-10-31".into());
        assert_eq!(
            keys(g.parse(programme(), d("2021-06-01")).unwrap_err()),
            [("starts_on".to_string(), "err-outside-programme")]
        );
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_name() {
        let patch = GroupInput {
            arrived_on: Some("2021-05-19".into()),
            ..Default::default()
        };
        let merged = patch.over(good());
        assert_eq!(merged.name, good().name);
        let f = merged.parse(programme(), d("2021-06-01")).unwrap();
        assert_eq!(
            Arrival::of(f.arrival_due_on, f.arrived_on, d("2021-06-01")),
            Arrival::Late
        );
    }

    #[test]
    fn records_of_the_log_are_checked() {
        let today = d("2021-06-01");
        let s = StudyInput {
            held_on: Some("2021-05-25".into()),
            subject: Some("周二夜学".into()),
            attendees: Some("4".into()),
            remarks: None,
        }
        .parse(today)
        .unwrap();
        assert_eq!(s.attendees, 4);
        let bad = StudyInput {
            held_on: Some("2021-06-02".into()),
            attendees: Some("-1".into()),
            ..Default::default()
        };
        assert_eq!(
            keys(bad.parse(today).unwrap_err()),
            [
                ("held_on".to_string(), "err-future-date"),
                ("subject".to_string(), "err-required"),
                ("attendees".to_string(), "err-out-of-range"),
            ]
        );
        let c = ContactInput {
            name: Some("王芳".into()),
            phone: Some("12".into()),
            ..Default::default()
        };
        assert_eq!(
            keys(c.parse().unwrap_err()),
            [("phone".to_string(), "err-phone")]
        );
        let v = VisitInput::default().parse(today).unwrap_err();
        assert_eq!(keys(v), [("leader_name".to_string(), "err-required")]);
        let contact = Contact {
            id: GroupContactId(1),
            name: "王芳".into(),
            job_title: None,
            org_name: None,
            phone: Some("13912345678".into()),
        };
        assert_eq!(contact.masked().phone.as_deref(), Some("139****5678"));
    }
}
