//! Where each participating unit's summary table stands, read for many units
//! at once (the supervision grid, 督办, and the to-do list). Rows decode
//! through [`Standing::of`], so a unit stands here as it does on its summary
//! page: timeliness is the verdict stored with its first submission.

use std::collections::HashMap;

use sqlx::AssertSqlSafe;

use super::workflow::{Standing, Status};
use crate::{
    auth::Scope,
    db::{CampaignId, Db, DbError, OrgId},
};

/// The participating units with their summary record (if any) and the
/// `late` verdict of its first version (if submitted).
const UNITS_WITH_FIRST_VERDICT: &str = "FROM campaign_units cu \
     JOIN campaigns c ON c.id = cu.campaign_id \
     LEFT JOIN summaries s ON s.campaign_id = cu.campaign_id AND s.org_id = cu.org_id \
     LEFT JOIN summary_versions v ON v.summary_id = s.id \
     AND v.version = (SELECT MIN(f.version) FROM summary_versions f WHERE f.summary_id = s.id)";

/// The standing of a row's stored `status` (none without a record) and
/// first `late` verdict (none before the first submission).
fn decode(status: Option<String>, late: Option<i64>) -> Standing {
    Standing::of(
        status.map(|s| Status::parse(&s).unwrap_or(Status::Draft)),
        late.map(|l| l != 0),
    )
}

/// The standing of every participating unit of `campaign` that the scope
/// sees: all of them for readers of the issuing org, otherwise the units
/// inside the scope. Units not listed are not participating or not visible.
pub async fn states(
    db: &Db,
    scope: &Scope,
    campaign: CampaignId,
) -> Result<HashMap<OrgId, Standing>, DbError> {
    let sql = format!(
        "SELECT cu.org_id, s.status, v.late {UNITS_WITH_FIRST_VERDICT} \
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
        .map(|(org, status, late)| (org, decode(status, late)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{Standing, decode};

    #[test]
    fn stored_rows_decode_as_the_summary_page_judges_them() {
        let table = [
            (None, None, Standing::Missing),
            (Some("draft"), None, Standing::Draft),
            (Some("submitted"), Some(1), Standing::Late),
            (Some("submitted"), Some(0), Standing::OnTime),
            (Some("returned"), Some(1), Standing::Returned),
            (Some("accepted"), Some(0), Standing::Accepted),
        ];
        for (status, late, want) in table {
            assert_eq!(decode(status.map(String::from), late), want, "{status:?}");
        }
    }
}
