//! The working-day file: everyone reads it, only admins of a top-level org
//! replace it, bad files are refused with every problem named, and the sweep
//! follows the file in force.

use qingting::{date::Day, workday};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn admins_of_the_top_org_replace_the_file_and_bad_files_are_refused() {
    let app = TestApp::spawn().await;
    let (status, f) = app.api("a.viewer").await.get("/api/v1/workdays").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(f["built_in"], true);
    assert_eq!(f["years"].as_array().unwrap().len(), 8);

    // 2031 gets a (made-up) holiday on Monday 6 January and a make-up Saturday.
    let file = "[2031]\nholidays = [\"2031-01-06\"]\nworkdays = [\"2031-01-11\"]\n";
    for who in ["a.admin", "a.cadre", "a.viewer"] {
        let (status, _) = app
            .api(who)
            .await
            .send(Method::PUT, "/api/v1/workdays", json!({"body": file}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
    }
    let admin = app.api("district.admin").await;
    let (status, err) = admin
        .send(
            Method::PUT,
            "/api/v1/workdays",
            json!({"body": "[2031]\nholidays = [\"2031-01-06\", \"2031-02-30\"]\nworkdays = [\"2031-01-06\"]\n"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("2031-02-30") && msg.contains("2031-01-06 is both"),
        "{msg}"
    );
    assert!(
        workday::store::workdays(&app.db)
            .await
            .unwrap()
            .years()
            .len()
            == 8,
        "unchanged"
    );

    let (status, f) = admin
        .send(Method::PUT, "/api/v1/workdays", json!({"body": file}))
        .await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["built_in"], false);
    assert_eq!(f["years"], json!([2031]));
    assert_eq!(app.audit_count("workdays_updated").await, 1);
    let w = workday::store::workdays(&app.db).await.unwrap();
    let day = |s: &str| Day::from_db(s).unwrap();
    // Friday 3 January + 1 working day skips the holiday Monday to Tuesday 7th.
    assert_eq!(w.add(day("2031-01-03"), 1), day("2031-01-07"));
    assert!(w.is_working(day("2031-01-11")));

    // The page: the form for the top admin, read-only for others; a bad upload is a 422 page.
    let c = app.browser("district.admin").await;
    let html = c
        .get(app.url("/admin/workdays"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<textarea") && html.contains("2031-01-06"));
    let res = c
        .post(app.url("/admin/workdays"))
        .form(&[("body", "[2031]\nworkdays = [\"2031-01-08\"]\n")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("2031-01-08 is a weekday")
    );
    let v = app.browser("a.viewer").await;
    let html = v
        .get(app.url("/admin/workdays"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<textarea"));
    let res = v
        .post(app.url("/admin/workdays"))
        .form(&[("body", file)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Back to the built-in file.
    let res = c
        .post(app.url("/admin/workdays/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, f) = admin.get("/api/v1/workdays").await;
    assert_eq!(f["built_in"], true);
}
