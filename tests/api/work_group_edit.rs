//! The work-group edit page (issue 14 §3): it opens exactly for those whose
//! save would be accepted (one check for the page, its form's POST and the
//! API PATCH: 404 outside the subtree, 403 for readers), and its host picker
//! offers only the host orgs the save accepts from the caller.

use qingting::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::TestApp,
    stationing::{group, group_body, programme},
};

/// The host codes the form's picker offers.
fn offered(html: &str) -> Vec<String> {
    let Some(start) = html.find("<datalist id=\"hosts\">") else {
        return Vec::new();
    };
    let list = &html[start..];
    let list = &list[..list.find("</datalist>").unwrap()];
    list.split("<option value=\"")
        .skip(1)
        .map(|o| o[..o.find('"').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn the_edit_page_opens_exactly_when_the_save_would_be_accepted() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let g = group(
        &app,
        "district.admin",
        p,
        group_body("甲工作组", "STA", "甲"),
    )
    .await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    app.user("ua.cadre", app.union_a, Role::Cadre).await;
    // Reads the whole district, writes only outside it.
    let mixed = app.user("mixed", app.district, Role::Viewer).await;
    sqlx::query(
        "INSERT INTO role_grants (user_id, org_id, role, created_at) VALUES ($1, $2, 'cadre', 0)",
    )
    .bind(mixed)
    .bind(other)
    .execute(app.db.pool())
    .await
    .unwrap();

    // (user, edit page and saves, hosts offered on the edit page)
    let cases: [(&str, StatusCode, &[&str]); 8] = [
        ("district.admin", StatusCode::OK, &["DEPT", "STA", "STB"]),
        ("a.cadre", StatusCode::OK, &["STA"]),
        ("a.admin", StatusCode::OK, &["STA"]),
        ("a.viewer", StatusCode::FORBIDDEN, &[]),
        ("mixed", StatusCode::FORBIDDEN, &[]),
        ("b.cadre", StatusCode::NOT_FOUND, &[]),
        ("ua.cadre", StatusCode::NOT_FOUND, &[]),
        ("other.admin", StatusCode::NOT_FOUND, &[]),
    ];
    for (user, status, hosts) in cases {
        let b = app.browser(user).await;
        let res = b
            .get(app.url(&format!("/work-groups/{g}/edit")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{user} opens the edit page");
        let html = res.text().await.unwrap();
        if status == StatusCode::OK {
            let mut got = offered(&html);
            got.sort();
            assert_eq!(got, hosts, "{user}'s hosts");
        }
        // The API PATCH answers the same.
        let (patched, body) = app
            .api(user)
            .await
            .patch(
                &format!("/api/v1/work-groups/{g}"),
                json!({"remarks": format!("{user} 修改")}),
            )
            .await;
        assert_eq!(patched, status, "{user} PATCH: {body}");
        // And so does the form's POST.
        let res = b
            .post(app.url(&format!("/work-groups/{g}/edit")))
            .header("Origin", &app.base)
            .form(&[
                ("name", "甲工作组"),
                ("host_org_code", "STA"),
                ("region", "甲"),
                ("arrival_due_on", "2021-05-18"),
                ("starts_on", "2021-05-18"),
                ("ends_on", "2021-11-17"),
                ("m1.name", "张建国"),
                ("leader", "1"),
            ])
            .send()
            .await
            .unwrap();
        let want = if status == StatusCode::OK {
            StatusCode::SEE_OTHER
        } else {
            status
        };
        assert_eq!(res.status(), want, "{user} posts the form");
    }

    // Every host offered is accepted; one not offered is refused.
    let a = app.api("a.cadre").await;
    let (status, _) = a
        .patch(
            &format!("/api/v1/work-groups/{g}"),
            json!({"host_org_code": "STA"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for host in ["STB", "DEPT"] {
        let (status, _) = a
            .patch(
                &format!("/api/v1/work-groups/{g}"),
                json!({"host_org_code": host}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{host}");
    }
    let d = app.api("district.admin").await;
    for host in ["DEPT", "STB", "STA"] {
        let (status, body) = d
            .patch(
                &format!("/api/v1/work-groups/{g}"),
                json!({"host_org_code": host}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{host}: {body}");
    }
}

#[tokio::test]
async fn the_new_group_page_offers_only_hosts_the_caller_may_choose() {
    let app = TestApp::spawn().await;
    let p = programme(&app).await;
    let other = app.org("OTHER", "外区总工会", "federation", None).await;
    app.user("other.admin", other, Role::Admin).await;
    app.user("ua.cadre", app.union_a, Role::Cadre).await;
    let mixed = app.user("mixed", app.district, Role::Viewer).await;
    sqlx::query(
        "INSERT INTO role_grants (user_id, org_id, role, created_at) VALUES ($1, $2, 'cadre', 0)",
    )
    .bind(mixed)
    .bind(other)
    .execute(app.db.pool())
    .await
    .unwrap();
    let cases: [(&str, StatusCode, &[&str]); 6] = [
        ("district.admin", StatusCode::OK, &["DEPT", "STA", "STB"]),
        ("a.cadre", StatusCode::OK, &["STA"]),
        // A writer deeper in the tree hosts at their own org.
        ("ua.cadre", StatusCode::OK, &["UA"]),
        ("a.viewer", StatusCode::FORBIDDEN, &[]),
        ("mixed", StatusCode::FORBIDDEN, &[]),
        ("other.admin", StatusCode::NOT_FOUND, &[]),
    ];
    for (user, status, hosts) in cases {
        let res = app
            .browser(user)
            .await
            .get(app.url(&format!("/campaigns/{p}/groups/new")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{user}");
        if status == StatusCode::OK {
            let mut got = offered(&res.text().await.unwrap());
            got.sort();
            assert_eq!(got, hosts, "{user}'s hosts");
            // Each one is accepted by the save.
            for (i, host) in hosts.iter().enumerate() {
                let mut body = group_body(&format!("{user}组{i}"), host, "甲");
                body["members"][0]["username"] = json!(null);
                let (status, g) = app
                    .api(user)
                    .await
                    .post(&format!("/api/v1/campaigns/{p}/groups"), body)
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{user} hosts at {host}: {g}");
            }
        }
    }
}
