//! Demo group robots: WeCom robots for 定海路街道 and 复旦科技园工会联合会 and a
//! signed DingTalk robot for 大桥街道 (the three units whose tables are missing in
//! the demo campaign), all pointing at a local sink on port 8089 (nothing listens
//! there unless someone starts one; deliveries then retry and fail, visibly,
//! on the robot page).

use crate::db::{Db, OrgId, now};

/// Where the demo robots post: a sink anyone can run on the demo machine.
pub const SINK: &str = "http://127.0.0.1:8089";

/// The demo robots: (org code, platform, path under the sink, secret).
const ROBOTS: [(&str, &str, &str, &str); 3] = [
    ("YP-JD-DHL", "wecom", "/wecom/dhl-demo-key", ""),
    ("YP-ZS-FDKJY", "wecom", "/wecom/fdkjy-demo-key", ""),
    (
        "YP-JD-DQ",
        "dingtalk",
        "/dingtalk/dq-demo-token",
        "SECdemo0123456789abcdef0123456789",
    ),
];

/// Configures the demo robots (orgs missing from the database are skipped)
/// and returns the lines the demo prints about them.
pub async fn generate(db: &Db) -> anyhow::Result<String> {
    let mut tx = db.begin().await?;
    let mut lines = vec![format!(
        "Group robots post to a local sink at {SINK} (run any HTTP server there that answers {{\"errcode\":0}}):"
    )];
    for (code, platform, path, secret) in ROBOTS {
        let org: Option<(OrgId, String)> =
            sqlx::query_as("SELECT id, name FROM orgs WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((org, name)) = org else { continue };
        sqlx::query(
            "INSERT INTO robots (org_id, platform, webhook, secret, enabled, updated_at) \
             VALUES ($1, $2, $3, $4, 1, $5) ON CONFLICT (org_id, platform) DO NOTHING",
        )
        .bind(org)
        .bind(platform)
        .bind(format!("{SINK}{path}"))
        .bind(secret)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let signed = if secret.is_empty() {
            String::new()
        } else {
            format!(", signed with secret {secret}")
        };
        lines.push(format!(
            "  {name} ({code}): {platform} POST {SINK}{path}{signed}"
        ));
    }
    tx.commit().await?;
    Ok(lines.join("\n"))
}
