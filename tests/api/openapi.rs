//! The OpenAPI document against the router: every route served under
//! `/api/v1` is documented with its method and every documented one is
//! served, and no two parts of the document give one schema name two
//! different definitions (merging would keep one silently), and operation ids
//! are unique (generated clients name their methods after them).

use std::collections::{BTreeMap, BTreeSet};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `/api/v1/…` paths given to `.route(…)` anywhere in `src/`: the routes of
/// domains not yet declared through `utoipa-axum` (a declared domain's API
/// routes come from its handlers' annotations, so they are documented by
/// construction), and any API route added beside a declaration.
fn routed_in_source() -> BTreeSet<String> {
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut sources = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut sources,
    );
    let route = regex::Regex::new(r#"\.route\(\s*"(/api/v1/[^"]*)""#).unwrap();
    let found: BTreeSet<String> = sources
        .iter()
        .flat_map(|s| route.captures_iter(s).map(|c| c[1].to_string()))
        .collect();
    found
}

/// The methods the router serves at `path` (parameters filled in): no route
/// answers OPTIONS, so a path it knows answers 405 listing its methods in
/// `Allow`, and a path it does not know answers 404.
async fn served(app: &TestApp, path: &str) -> Result<BTreeSet<String>, String> {
    let param = regex::Regex::new(r"\{[^}]+\}").unwrap();
    let concrete = param.replace_all(path, "1");
    let res = app
        .anonymous()
        .request(Method::OPTIONS, app.url(&concrete))
        .send()
        .await
        .unwrap();
    match res.status() {
        StatusCode::NOT_FOUND => Ok(BTreeSet::new()),
        StatusCode::METHOD_NOT_ALLOWED => {
            let allow = res
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Ok(allow
                .split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| METHODS.contains(&m.as_str()))
                .collect())
        }
        other => Err(format!("OPTIONS {concrete} answered {other}")),
    }
}

#[tokio::test]
async fn every_api_route_is_documented_with_its_method_and_every_documented_one_is_served() {
    let app = TestApp::spawn().await;
    let doc = app.openapi().await;
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let methods = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_ascii_uppercase())
            .filter(|m| METHODS.contains(&m.as_str()))
            .collect();
        documented.insert(path.clone(), methods);
    }
    // The declared domains' routers are the document's source for their paths.
    for (domain, router) in qingting::web::declared() {
        for path in router.into_openapi().paths.paths.keys() {
            assert!(
                documented.contains_key(path),
                "{domain}: {path} missing from the document"
            );
        }
    }
    let candidates: BTreeSet<String> = documented
        .keys()
        .cloned()
        .chain(routed_in_source())
        .collect();
    let mut wrong = Vec::new();
    for path in &candidates {
        let want = documented.get(path).cloned().unwrap_or_default();
        match served(&app, path).await {
            Err(e) => wrong.push(e),
            Ok(got) if got != want => {
                wrong.push(format!("{path}: served {got:?}, documented {want:?}"))
            }
            Ok(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "routes and document disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_two_parts_of_the_document_define_one_schema_name_differently() {
    let mut seen: BTreeMap<String, Vec<(&str, Value)>> = BTreeMap::new();
    for (part, doc) in qingting::web::openapi::parts() {
        for (name, schema) in doc.components.map(|c| c.schemas).unwrap_or_default() {
            seen.entry(name)
                .or_default()
                .push((part, serde_json::to_value(schema).unwrap()));
        }
    }
    assert!(seen.contains_key("Service"), "{:?}", seen.keys());
    let collisions: Vec<String> = seen
        .iter()
        .filter(|(_, defs)| defs.iter().any(|(_, d)| *d != defs[0].1))
        .map(|(name, defs)| {
            let parts: Vec<&str> = defs.iter().map(|(p, _)| *p).collect();
            format!("{name} in {}", parts.join(", "))
        })
        .collect();
    assert!(
        collisions.is_empty(),
        "schema names with different definitions: {collisions:?}"
    );
}

#[test]
fn every_operation_id_is_unique_in_the_document() {
    let doc = serde_json::to_value(qingting::web::openapi::spec()).unwrap();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ids.entry(id.to_string())
                    .or_default()
                    .push(format!("{method} {path}"));
            }
        }
    }
    assert!(ids.len() > 100, "{} operations", ids.len());
    let repeated: Vec<_> = ids.iter().filter(|(_, at)| at.len() > 1).collect();
    assert!(
        repeated.is_empty(),
        "operation ids used twice: {repeated:?}"
    );
}

#[test]
fn every_schema_reference_resolves() {
    let doc = serde_json::to_value(qingting::web::openapi::spec()).unwrap();
    let defined: BTreeSet<&str> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let text = doc.to_string();
    let reference = regex::Regex::new(r##""#/components/schemas/([^"]+)""##).unwrap();
    let dangling: BTreeSet<&str> = reference
        .captures_iter(&text)
        .map(|c| c.get(1).unwrap().as_str())
        .filter(|name| !defined.contains(name))
        .collect();
    assert!(dangling.is_empty(), "references to no schema: {dangling:?}");
}
