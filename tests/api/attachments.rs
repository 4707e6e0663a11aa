//! Attachments: photos with thumbnails, documents, dedup by content hash, type
//! checks from content, size and pixel limits, access through the owning record
//! on every route, deletion, and the panels on the owners' pages.

use std::io::Cursor;

use reqwest::{
    Method, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

/// A small opaque photo, encoded as `format`.
fn photo(w: u32, h: u32, format: image::ImageFormat) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// The smallest readable PDF: one empty page.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n\
2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n\
trailer<</Root 1 0 R>>\n%%EOF\n";

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

/// A valid PNG header declaring 60000 × 60000 RGBA pixels (14 GB decoded) in a
/// few dozen bytes: a decompression bomb.
fn bomb_png() -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&60_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // A tiny zlib stream of zeros; the decoder must never get this far.
    png.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    png.extend(chunk(b"IEND", &[]));
    png
}

async fn activity(api: &Api, client_id: &str) -> i64 {
    let (status, r) = api
        .post(
            "/api/v1/activities",
            json!({"client_id": client_id, "kind": "worker_interview", "held_on": "2019-10-28",
                   "workers_interviewed": 3, "notes": "访谈快递员"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    r["id"].as_i64().unwrap()
}

async fn problem(api: &Api, client_id: &str) -> i64 {
    let (status, p) = api
        .post(
            "/api/v1/problems",
            json!({"client_id": client_id, "source": "worker", "topic": "wages",
                   "description": "食堂排队时间太长"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p["id"].as_i64().unwrap()
}

/// Uploads files to an owner through the API.
async fn upload(
    api: &Api,
    kind: &str,
    id: i64,
    files: &[(&str, Vec<u8>)],
    lang: Option<&str>,
) -> (StatusCode, Value) {
    let mut form = Form::new()
        .text("owner_kind", kind.to_string())
        .text("owner_id", id.to_string());
    for (name, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let mut req = api
        .client
        .post(format!("{}/api/v1/attachments", api.base))
        .bearer_auth(&api.token)
        .multipart(form);
    if let Some(l) = lang {
        req = req.header("Accept-Language", l);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn raw(api: &Api, path: &str) -> reqwest::Response {
    api.client
        .get(format!("{}{path}", api.base))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap()
}

fn files_on_disk(app: &TestApp) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().is_none_or(|n| n != "tmp"))
            .map(|p| if p.is_dir() { count(&p) } else { 1 })
            .sum()
    }
    count(&app.data_dir().join("files"))
}

#[tokio::test]
async fn a_photo_gets_a_thumbnail_and_a_pdf_downloads_as_a_document() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = activity(&a, "att-act-0001").await;
    let jpeg = photo(1200, 800, image::ImageFormat::Jpeg);
    let png = photo(300, 600, image::ImageFormat::Png);
    let (status, up) = upload(
        &a,
        "activity",
        id,
        &[
            ("现场.jpg", jpeg.clone()),
            ("签到表.png", png),
            ("纪要.pdf", PDF.to_vec()),
        ],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let items = up["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["mime"], "image/jpeg");
    assert_eq!(items[0]["is_image"], true);
    assert_eq!(items[0]["size_bytes"], jpeg.len());
    assert_eq!(items[2]["mime"], "application/pdf");
    assert_eq!(items[2]["has_thumbnail"], false);

    // The thumbnail fits in 320 × 320 and keeps the proportions.
    let jpg_id = items[0]["id"].as_i64().unwrap();
    let res = raw(&a, &format!("/api/v1/attachments/{jpg_id}/thumbnail")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    let png_id = items[1]["id"].as_i64().unwrap();
    let res = raw(&a, &format!("/api/v1/attachments/{png_id}/thumbnail")).await;
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (160, 320));

    // The photo opens inline with its own type; the PDF downloads.
    let res = raw(&a, &format!("/api/v1/attachments/{jpg_id}/file")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), jpeg.as_slice());
    let pdf_id = items[2]["id"].as_i64().unwrap();
    let res = raw(&a, &format!("/api/v1/attachments/{pdf_id}/file")).await;
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(cd.contains("%E7%BA%AA%E8%A6%81.pdf"), "{cd}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);

    // Listed by owner, and the metadata reads back.
    let (status, list) = a
        .get(&format!(
            "/api/v1/attachments?owner_kind=activity&owner_id={id}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    let (status, meta) = a.get(&format!("/api/v1/attachments/{pdf_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(meta["filename"], "纪要.pdf");
    assert_eq!(meta["owner_kind"], "activity");
    assert_eq!(app.audit_count("attachment_uploaded").await, 3);

    // The detail page shows the gallery and the document.
    let web = app.browser("a.cadre").await;
    let html = web
        .get(app.url(&format!("/activities/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("/api/v1/attachments/{jpg_id}/thumbnail")),
        "gallery"
    );
    // The page's links reach the files with the session cookie; without
    // credentials the API answers 401 with the JSON error, not a redirect.
    for (path, mime) in [
        (format!("/api/v1/attachments/{jpg_id}/file"), "image/jpeg"),
        (
            format!("/api/v1/attachments/{jpg_id}/thumbnail"),
            "image/jpeg",
        ),
        (
            format!("/api/v1/attachments/{pdf_id}/file"),
            "application/pdf",
        ),
    ] {
        let res = web.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["content-type"], mime, "{path}");
        let res = app.anonymous().get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}");
    }
    for old in [
        format!("/attachments/{jpg_id}/file"),
        format!("/attachments/{jpg_id}/thumb"),
    ] {
        let res = web.get(app.url(&old)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{old}");
    }
    assert!(html.contains("纪要.pdf"));
    assert!(
        html.contains("action=\"/attachments\""),
        "upload form for a writer"
    );
}

#[tokio::test]
async fn the_same_bytes_are_stored_once_and_the_file_goes_with_the_last_record() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let one = activity(&a, "att-act-0002").await;
    let two = activity(&a, "att-act-0003").await;
    let jpeg = photo(64, 48, image::ImageFormat::Jpeg);
    let (s1, up1) = upload(&a, "activity", one, &[("a.jpg", jpeg.clone())], None).await;
    let (s2, up2) = upload(&a, "activity", two, &[("b.jpeg", jpeg.clone())], None).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    let first = up1["items"][0]["id"].as_i64().unwrap();
    let second = up2["items"][0]["id"].as_i64().unwrap();
    assert_ne!(first, second, "two records");
    assert_eq!(up1["items"][0]["sha256"], up2["items"][0]["sha256"]);
    assert_eq!(files_on_disk(&app), 1, "one file on disk");

    let (status, _) = a
        .send(
            Method::DELETE,
            &format!("/api/v1/attachments/{first}"),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = a
        .get(&format!(
            "/api/v1/attachments?owner_kind=activity&owner_id={one}"
        ))
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (status, _) = a.get(&format!("/api/v1/attachments/{first}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(files_on_disk(&app), 1, "still attached to the other record");
    let res = raw(&a, &format!("/api/v1/attachments/{second}/file")).await;
    assert_eq!(res.status(), StatusCode::OK);

    // Deleting through the page form (as the panel's button does).
    let web = app.browser("a.cadre").await;
    let res = web
        .post(app.url(&format!("/attachments/{second}/delete")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/activities/{two}#attachments").as_str()
    );
    assert_eq!(files_on_disk(&app), 0, "the last reference took the file");
    assert_eq!(app.audit_count("attachment_deleted").await, 2);
}

#[tokio::test]
async fn types_come_from_the_content_and_refusals_name_the_file() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = activity(&a, "att-act-0004").await;
    // A ".jpg" that is text.
    let (status, err) = upload(
        &a,
        "activity",
        id,
        &[("照片.jpg", b"this is not a photo".to_vec())],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    assert_eq!(err["error"]["fields"][0]["field"], "file");
    let msg = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(msg.contains("照片.jpg") && msg.contains("扩展名"), "{msg}");
    // In English, an unknown type; and nothing of a refused batch is stored.
    let (status, err) = upload(
        &a,
        "activity",
        id,
        &[
            ("ok.png", photo(10, 10, image::ImageFormat::Png)),
            ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec()),
        ],
        Some("en"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let msg = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("\"tool.exe\" is not a supported type"),
        "{msg}"
    );
    let (_, list) = a
        .get(&format!(
            "/api/v1/attachments?owner_kind=activity&owner_id={id}"
        ))
        .await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // A photo from an iPhone in HEIC.
    let (status, err) = upload(
        &a,
        "activity",
        id,
        &[(
            "IMG_0001.HEIC",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
        )],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        err["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("HEIC")
    );
    // A tiny PNG declaring 3.6 billion pixels is refused without decoding it.
    let (status, err) = upload(&a, "activity", id, &[("bomb.png", bomb_png())], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
    let msg = err["error"]["fields"][0]["message"].as_str().unwrap();
    assert!(msg.contains("bomb.png"), "{msg}");
    assert_eq!(files_on_disk(&app), 0);
}

#[tokio::test]
async fn oversized_files_are_refused_with_413() {
    let app = TestApp::spawn_with(|s| s.uploads.max_file_bytes = 100 * 1024).await;
    let a = app.api("a.cadre").await;
    let id = activity(&a, "att-act-0005").await;
    let big = [b"%PDF-1.4\n".to_vec(), vec![b'x'; 200 * 1024]].concat();
    let (status, err) = upload(&a, "activity", id, &[("大.pdf", big.clone())], None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
    assert_eq!(err["error"]["code"], "too_large");
    // From the page: a clear message naming the file and the limit.
    let web = app.browser("a.cadre").await;
    let form = Form::new()
        .text("owner_kind", "activity")
        .text("owner_id", id.to_string())
        .part("file", Part::bytes(big).file_name("大.pdf"));
    let res = web
        .post(app.url("/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("“大.pdf”超过 100 KB"), "{html}");
    assert_eq!(files_on_disk(&app), 0);
}

#[tokio::test]
async fn access_follows_the_owning_record_on_every_route() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let act = activity(&a, "att-act-0006").await;
    let prob = problem(&a, "att-prob-0001").await;
    let (_, up) = upload(
        &a,
        "activity",
        act,
        &[("a.png", photo(20, 20, image::ImageFormat::Png))],
        None,
    )
    .await;
    let att = up["items"][0]["id"].as_i64().unwrap();
    let (status, up) = upload(&a, "problem", prob, &[("证据.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let patt = up["items"][0]["id"].as_i64().unwrap();

    // Street B's cadre is outside street A's subtree: everything is 404.
    let b = app.api("b.cadre").await;
    for path in [
        format!("/api/v1/attachments/{att}"),
        format!("/api/v1/attachments/{att}/file"),
        format!("/api/v1/attachments/{att}/thumbnail"),
        format!("/api/v1/attachments/{patt}"),
        format!("/api/v1/attachments/{patt}/file"),
        format!("/api/v1/attachments?owner_kind=activity&owner_id={act}"),
        format!("/api/v1/attachments?owner_kind=problem&owner_id={prob}"),
    ] {
        assert_eq!(
            raw(&b, &path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let (status, _) = b
        .send(
            Method::DELETE,
            &format!("/api/v1/attachments/{att}"),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = upload(&b, "activity", act, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let web_b = app.browser("b.cadre").await;
    let res = web_b
        .post(app.url(&format!("/attachments/{att}/delete")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Street A's viewer reads but may not upload or delete.
    let v = app.api("a.viewer").await;
    assert_eq!(
        raw(&v, &format!("/api/v1/attachments/{att}/thumbnail"))
            .await
            .status(),
        StatusCode::OK
    );
    let (status, _) = upload(&v, "activity", act, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload(&v, "problem", prob, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = v
        .send(
            Method::DELETE,
            &format!("/api/v1/attachments/{att}"),
            json!(null),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The district reads everything below it.
    let d = app.api("district.admin").await;
    assert_eq!(
        raw(&d, &format!("/api/v1/attachments/{patt}/file"))
            .await
            .status(),
        StatusCode::OK
    );
    // Unknown owners and kinds.
    let (status, _) = upload(&a, "activity", 999_999, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, err) = upload(&a, "enterprise", act, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["error"]["fields"][0]["field"], "owner_kind");
    // The problem page shows the document to the viewer, without the upload form.
    let web_v = app.browser("a.viewer").await;
    let html = web_v
        .get(app.url(&format!("/problems/{prob}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("证据.pdf"));
    assert!(!html.contains("action=\"/attachments\""));
}

#[tokio::test]
async fn campaigns_take_notice_attachments_and_plans_an_optional_document() {
    let app = TestApp::spawn().await;
    let admin = app.api("district.admin").await;
    let (status, c) = admin
        .post(
            "/api/v1/campaigns",
            json!({"title": "大走访", "starts_on": "2019-10-21", "ends_on": "2019-11-15",
                   "report_due_on": "2019-11-15", "kinds": ["street"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let cid = c["campaign"]["id"].as_i64().unwrap();
    let (status, _) = admin
        .post(
            &format!("/api/v1/campaigns/{cid}/status"),
            json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, up) = upload(
        &admin,
        "campaign",
        cid,
        &[("通知附件.pdf", PDF.to_vec())],
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let notice = up["items"][0]["id"].as_i64().unwrap();
    // A street cadre reads the notice's attachment but may not add one.
    let a = app.api("a.cadre").await;
    assert_eq!(
        raw(&a, &format!("/api/v1/attachments/{notice}/file"))
            .await
            .status(),
        StatusCode::OK
    );
    let (status, _) = upload(&a, "campaign", cid, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Street A's plan document.
    let sta = app.street_a.0;
    let plan = format!("/api/v1/campaigns/{cid}/plans/{sta}");
    let (status, p) = a.send(Method::PUT, &plan, json!({"summary": "方案"})).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let pid = p["plan"]["id"].as_i64().unwrap();
    let (status, up) = upload(&a, "plan", pid, &[("实施方案.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::CREATED, "{up}");
    let doc = up["items"][0]["id"].as_i64().unwrap();
    // Street B neither sees nor touches it; the district reads it.
    let b = app.api("b.cadre").await;
    assert_eq!(
        raw(&b, &format!("/api/v1/attachments/{doc}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = upload(&b, "plan", pid, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        raw(&admin, &format!("/api/v1/attachments/{doc}/file"))
            .await
            .status(),
        StatusCode::OK
    );
    // Once submitted, the document is frozen with the plan.
    let (status, _) = a.post(&format!("{plan}/submit"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = upload(&a, "plan", pid, &[("x.pdf", PDF.to_vec())], None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The plan page and the campaign page show their panels.
    let web = app.browser("a.cadre").await;
    let html = web
        .get(app.url(&format!("/campaigns/{cid}/plans/{sta}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("实施方案.pdf"));
    let html = web
        .get(app.url(&format!("/campaigns/{cid}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("通知附件.pdf"));
}

#[tokio::test]
async fn a_page_upload_returns_to_the_record_or_explains_the_refusal() {
    let app = TestApp::spawn().await;
    let a = app.api("a.cadre").await;
    let id = problem(&a, "att-prob-0002").await;
    let web = app.browser("a.cadre").await;
    let form = Form::new()
        .text("owner_kind", "problem")
        .text("owner_id", id.to_string())
        // The empty camera input a browser sends when no photo was taken.
        .part("file", Part::bytes(Vec::new()).file_name(""))
        .part(
            "file",
            Part::bytes(photo(40, 30, image::ImageFormat::Jpeg)).file_name("食堂.jpg"),
        );
    let res = web
        .post(app.url("/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("/problems/{id}#attachments").as_str()
    );
    let form = Form::new()
        .text("owner_kind", "problem")
        .text("owner_id", id.to_string())
        .part("file", Part::bytes(b"hello".to_vec()).file_name("文本.png"));
    let res = web
        .post(app.url("/attachments"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("文本.png"), "{html}");
    assert!(
        html.contains(&format!("/problems/{id}#attachments")),
        "a way back"
    );
}
