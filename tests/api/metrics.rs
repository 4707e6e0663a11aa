//! `/metrics`: never open on the main port; a bearer token, a separate
//! listener, or both.

use qingting::{config::Settings, startup::Application};
use reqwest::{Client, StatusCode};

use crate::helpers::TestApp;

async fn status(url: &str, bearer: Option<&str>) -> (StatusCode, String) {
    let mut req = Client::new().get(url);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn by_default_metrics_are_served_to_no_one() {
    let app = TestApp::spawn().await;
    assert_eq!(
        status(&app.url("/metrics"), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&app.url("/metrics"), Some("anything")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn with_a_token_the_main_port_answers_only_its_bearer() {
    let app = TestApp::spawn_with(|s| {
        s.metrics.enabled = true;
        s.metrics.token = "prom-secret-1".into();
    })
    .await;
    app.anonymous().get(app.url("/login")).send().await.unwrap();
    let url = app.url("/metrics");
    assert_eq!(status(&url, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(&url, Some("prom-secret-2")).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (code, body) = status(&url, Some("prom-secret-1")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(body.contains("qingting_http_requests_total"), "{body}");
}

#[tokio::test]
async fn with_a_bind_address_metrics_move_to_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Settings {
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    s.server.bind = "127.0.0.1:0".into();
    s.reminders.sweep_interval_minutes = 0;
    s.robots.poll_seconds = 0;
    s.metrics.enabled = true;
    s.metrics.bind = "127.0.0.1:0".into();
    s.metrics.token = "prom-secret-1".into();
    let app = Application::build(s).await.unwrap();
    let main = format!("http://{}", app.addr);
    let metrics = format!("http://{}/metrics", app.metrics_addr.unwrap());
    tokio::spawn(app.run());
    Client::new()
        .get(format!("{main}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(&format!("{main}/metrics"), Some("prom-secret-1"))
            .await
            .0,
        StatusCode::NOT_FOUND,
        "no longer on the main port"
    );
    assert_eq!(status(&metrics, None).await.0, StatusCode::UNAUTHORIZED);
    let (code, body) = status(&metrics, Some("prom-secret-1")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(body.contains("qingting_http_requests_total"), "{body}");
}

#[tokio::test]
async fn turning_metrics_on_without_a_token_or_an_address_is_refused() {
    let mut s = Settings::default();
    s.metrics.enabled = true;
    let err = match Application::build(s).await {
        Ok(_) => panic!("metrics open to everyone"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains("[metrics] enabled = true needs a token"),
        "{err}"
    );
}
