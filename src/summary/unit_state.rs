//! Where each unit's summary table stands, as the to-do list and the
//! supervision grid (督办) show it: missing (no record), draft, submitted on
//! time or late (the verdict stored with the first submission, never
//! recomputed, as `workflow::Standing` judges it), returned, accepted. One decoding of the stored rows, one
//! order and one label per state.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{
    auth::Scope,
    db::{CampaignId, Db, DbError, OrgId},
};

/// A unit's summary table as the issuing org follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UnitState {
    /// The unit has not started a table.
    Missing,
    /// Started, never submitted.
    Draft,
    /// Submitted and waiting for a decision; `late` is the verdict stored
    /// with the unit's first submission.
    Submitted { late: bool },
    /// Returned for correction.
    Returned,
    /// Accepted: final.
    Accepted,
}

impl UnitState {
    /// Every state, in sorting order (most in need of attention first).
    pub const ALL: [UnitState; 6] = [
        UnitState::Missing,
        UnitState::Draft,
        UnitState::Returned,
        UnitState::Submitted { late: true },
        UnitState::Submitted { late: false },
        UnitState::Accepted,
    ];

    /// Decodes the stored status of `summaries` (none without a row) and the
    /// `late` verdict of its first submission (none before it).
    pub fn decode(status: Option<&str>, first_late: Option<bool>) -> UnitState {
        match status {
            None => UnitState::Missing,
            Some("submitted") => UnitState::Submitted {
                late: first_late.unwrap_or(false),
            },
            Some("returned") => UnitState::Returned,
            Some("accepted") => UnitState::Accepted,
            Some(_) => UnitState::Draft,
        }
    }

    /// The position in [`UnitState::ALL`]: sorting ascending puts what needs
    /// chasing first.
    pub fn rank(self) -> usize {
        UnitState::ALL
            .iter()
            .position(|s| *s == self)
            .unwrap_or_default()
    }

    /// The filter and CSS spelling: missing, draft, returned, late, on_time, accepted.
    pub fn key(self) -> &'static str {
        match self {
            UnitState::Missing => "missing",
            UnitState::Draft => "draft",
            UnitState::Returned => "returned",
            UnitState::Submitted { late: true } => "late",
            UnitState::Submitted { late: false } => "on_time",
            UnitState::Accepted => "accepted",
        }
    }

    /// Parses [`UnitState::key`].
    pub fn parse_key(s: &str) -> Option<UnitState> {
        UnitState::ALL.into_iter().find(|x| x.key() == s.trim())
    }

    /// The catalogue key of its label.
    pub fn label_key(self) -> String {
        format!("unit-state-{}", self.key())
    }

    /// Whether the table has reached the issuing org (submitted or accepted).
    pub fn is_in(self) -> bool {
        matches!(self, UnitState::Submitted { .. } | UnitState::Accepted)
    }

    /// Whether the unit still has to act (nothing submitted, or returned).
    pub fn is_owed(self) -> bool {
        matches!(
            self,
            UnitState::Missing | UnitState::Draft | UnitState::Returned
        )
    }
}

/// The state of every participating unit of `campaign` that the scope sees:
/// all of them for readers of the issuing org, otherwise the units inside
/// the scope. Units not listed are not participating or not visible.
pub async fn states(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, UnitState>, DbError> {
    let sql = format!(
        "SELECT cu.org_id, s.status, v.late FROM campaign_units cu \
         JOIN campaigns c ON c.id = cu.campaign_id \
         LEFT JOIN summaries s ON s.campaign_id = cu.campaign_id AND s.org_id = cu.org_id \
         LEFT JOIN summary_versions v ON v.summary_id = s.id \
         AND v.version = (SELECT MIN(f.version) FROM summary_versions f WHERE f.summary_id = s.id) \
         WHERE cu.campaign_id = $1 AND ({} OR {})",
        scope.sql("cu.org_id"),
        scope.sql("c.org_id")
    );
    let rows: Vec<(OrgId, Option<String>, Option<i64>)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(campaign)
        .fetch_all(db.pool())
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, status, late)| {
            (
                org,
                UnitState::decode(status.as_deref(), late.map(|l| l != 0)),
            )
        })
        .collect())
}

/// For the to-do list: the state of the scope's own participating units in
/// every active campaign, as (campaign, unit, state), by campaign then unit.
pub async fn of_active_units(
    db: &Db,
    scope: &Scope,
) -> Result<Vec<(CampaignId, OrgId, UnitState)>, DbError> {
    let sql = format!(
        "SELECT cu.campaign_id, cu.org_id, s.status, v.late FROM campaign_units cu \
         JOIN campaigns c ON c.id = cu.campaign_id \
         LEFT JOIN summaries s ON s.campaign_id = cu.campaign_id AND s.org_id = cu.org_id \
         LEFT JOIN summary_versions v ON v.summary_id = s.id \
         AND v.version = (SELECT MIN(f.version) FROM summary_versions f WHERE f.summary_id = s.id) \
         WHERE c.status = 'active' AND {} ORDER BY cu.campaign_id, cu.org_id",
        scope.sql("cu.org_id")
    );
    let rows: Vec<(CampaignId, OrgId, Option<String>, Option<i64>)> =
        sqlx::query_as(AssertSqlSafe(sql))
            .fetch_all(db.pool())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(c, org, status, late)| {
            (
                c,
                org,
                UnitState::decode(status.as_deref(), late.map(|l| l != 0)),
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::UnitState;

    #[test]
    fn stored_rows_decode_to_one_state_each() {
        assert_eq!(UnitState::decode(None, None), UnitState::Missing);
        assert_eq!(UnitState::decode(Some("draft"), None), UnitState::Draft);
        assert_eq!(
            UnitState::decode(Some("submitted"), Some(true)),
            UnitState::Submitted { late: true }
        );
        assert_eq!(
            UnitState::decode(Some("submitted"), Some(false)),
            UnitState::Submitted { late: false }
        );
        assert_eq!(
            UnitState::decode(Some("returned"), Some(true)),
            UnitState::Returned
        );
        assert_eq!(
            UnitState::decode(Some("accepted"), Some(false)),
            UnitState::Accepted
        );
    }

    #[test]
    fn keys_round_trip_and_the_order_puts_owed_tables_first() {
        for s in UnitState::ALL {
            assert_eq!(UnitState::parse_key(s.key()), Some(s));
        }
        assert_eq!(UnitState::parse_key("lost"), None);
        let mut sorted = UnitState::ALL.to_vec();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.rank()));
        sorted.sort_by_key(|s| s.rank());
        assert_eq!(sorted, UnitState::ALL.to_vec());
        assert!(UnitState::Missing.rank() < UnitState::Submitted { late: true }.rank());
        assert!(UnitState::ALL.iter().all(|s| s.is_owed() != s.is_in()));
    }
}
