//! The backups page and API: only admins of the top-level org see them or
//! start a backup; "back up now" runs in the background, is recorded, shows
//! on the page and in `/metrics`, and its archive verifies.

use std::{io::Cursor, sync::Arc, time::Duration};

use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8, y as u8, 7]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload_photo(api: &Api) -> Value {
    let (status, a) = api
        .post(
            "/api/v1/activities",
            json!({"client_id": "backup-photo-1", "kind": "worker_interview", "held_on": "2019-10-28",
                   "workers_interviewed": 3, "notes": "访谈快递员"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let form = Form::new()
        .text("owner_kind", "activity")
        .text("owner_id", a["id"].to_string())
        .part("file", Part::bytes(photo()).file_name("现场.png"));
    let res = api
        .client
        .post(format!("{}/api/v1/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn only_admins_of_the_top_org_see_or_start_backups() {
    let app = TestApp::spawn().await;
    for who in ["a.admin", "a.cadre", "a.viewer", "b.cadre"] {
        let api = app.api(who).await;
        let (status, _) = api.get("/api/v1/admin/backups").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let (status, _) = api.post("/api/v1/admin/backups", json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}");
        let page = app.browser(who).await;
        let res = page.get(app.url("/admin/backups")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        let res = page.post(app.url("/admin/backups")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        // The menu does not lead anyone to a page that refuses them.
        let home = page
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!home.contains("href=\"/admin/backups\""), "{who}");
    }
    let res = app
        .anonymous()
        .get(app.url("/api/v1/admin/backups"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.audit_count("backup_started").await, 0);
    assert!(!app.settings.backup_dir().exists(), "nothing was written");
}

#[tokio::test]
async fn back_up_now_runs_in_the_background_and_shows_its_result() {
    let app = TestApp::spawn_with(|s| {
        s.metrics.enabled = true;
        s.metrics.token = "prom-secret-1".into();
    })
    .await;
    let admin = app.api("district.admin").await;
    upload_photo(&app.api("a.cadre").await).await;

    let (status, s) = admin.get("/api/v1/admin/backups").await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["last"], Value::Null);
    assert_eq!(s["archives"], json!([]));

    let page = app.browser("district.admin").await;
    let res = page.post(app.url("/admin/backups")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let mut s = Value::Null;
    for _ in 0..300 {
        s = admin.get("/api/v1/admin/backups").await.1;
        if s["running"].is_null() && !s["last"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(s["last"]["ok"], true, "{s}");
    assert_eq!(s["last"]["origin"], "manual");
    let name = s["last"]["archive"].as_str().unwrap().to_string();
    assert!(
        name.starts_with("qingting-") && name.ends_with(".zip"),
        "{name}"
    );
    assert_eq!(s["archives"][0]["name"], name.as_str());
    assert_eq!(app.audit_count("backup_started").await, 1);

    // The archive is whole: database and the photo with its thumbnail.
    let path = app.settings.backup_dir().join(&name);
    let m = qingting::backup::verify::verify(&path, None, Arc::new(qingting::backup::Silent))
        .await
        .unwrap();
    let files = m
        .entries
        .iter()
        .filter(|e| e.name.starts_with("files/"))
        .count();
    let thumbs = m
        .entries
        .iter()
        .filter(|e| e.name.starts_with("thumbs/"))
        .count();
    assert_eq!((files, thumbs), (1, 1), "{:?}", m.entries);
    assert_eq!(m.counts["attachments"], 1);

    let html = page
        .get(app.url("/admin/backups"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&name), "the archive is listed");
    assert!(
        html.contains("href=\"/admin/backups\""),
        "the menu links the page"
    );

    let metrics = app
        .anonymous()
        .get(app.url("/metrics"))
        .bearer_auth("prom-secret-1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("qingting_backup_last_status 1")
            && metrics.contains("qingting_backup_last_success_timestamp_seconds")
            && metrics.contains("qingting_backup_last_size_bytes"),
        "{metrics}"
    );

    // A second start while none runs is accepted through the API.
    let (status, s) = admin.post("/api/v1/admin/backups", json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{s}");
    for _ in 0..300 {
        let s = admin.get("/api/v1/admin/backups").await.1;
        if s["running"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
