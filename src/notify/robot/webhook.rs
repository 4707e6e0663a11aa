//! One JSON POST to a webhook over HTTP/1.1, plain or TLS (rustls with ring,
//! trusting the system's certificate store). A connection per post: robots
//! are posted to a few times an hour, so pooling would buy nothing and keep
//! sockets open to the internet. No proxy support: the server must reach the
//! webhook host directly.

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{
    Request, Uri,
    body::Bytes,
    header::{CONTENT_TYPE, HOST, USER_AGENT},
};
use hyper_util::rt::TokioIo;
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    rustls::{self, pki_types::ServerName},
};

/// Answers larger than this are cut off (robots answer a few dozen bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// What the webhook answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why a post got no answer. The text never contains the URL (it carries the
/// robot's key).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PostError(pub String);

fn err(what: &str, e: impl std::fmt::Display) -> PostError {
    PostError(format!("{what}: {e}"))
}

/// The TLS settings, built once: the system trust store, so an intranet CA
/// installed on the host is trusted too.
fn tls() -> Result<TlsConnector, PostError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            // A malformed certificate in the store is skipped, as browsers do.
            let _ = roots.add(cert);
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| Arc::new(b.with_root_certificates(roots).with_no_client_auth()))
            .map_err(|e| e.to_string())
    });
    match config {
        Ok(c) => Ok(TlsConnector::from(c.clone())),
        Err(e) => Err(err("tls setup", e)),
    }
}

/// Checks that `url` is an absolute http or https address with a host.
pub fn parse(url: &str) -> Option<Uri> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = uri.host()?;
    if host.is_empty() || url.chars().any(char::is_whitespace) {
        return None;
    }
    Some(uri)
}

/// POSTs `json` to `url` and reads the answer, all within `timeout`.
pub async fn post_json(url: &str, json: Vec<u8>, timeout: Duration) -> Result<Answer, PostError> {
    post_json_with(url, json, &[], timeout).await
}

/// Like [`post_json`], with more request headers (names in lowercase).
pub async fn post_json_with(
    url: &str,
    json: Vec<u8>,
    headers: &[(&'static str, String)],
    timeout: Duration,
) -> Result<Answer, PostError> {
    match tokio::time::timeout(timeout, post(url, json, headers)).await {
        Ok(r) => r,
        Err(_) => Err(PostError(format!(
            "timed out after {} s",
            timeout.as_secs()
        ))),
    }
}

async fn post(
    url: &str,
    json: Vec<u8>,
    headers: &[(&'static str, String)],
) -> Result<Answer, PostError> {
    let uri = parse(url).ok_or_else(|| PostError("not an http(s) address".into()))?;
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().unwrap_or_default();
    // An IPv6 literal is written in brackets in the URL, not when connecting.
    let bare = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    let path = uri
        .path_and_query()
        .map_or("/".to_string(), |p| p.as_str().to_string());
    let mut request = Request::post(path)
        .header(HOST, authority)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .header(USER_AGENT, concat!("qingting/", env!("CARGO_PKG_VERSION")));
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let request = request
        .body(Full::new(Bytes::from(json)))
        .map_err(|e| err("request", e))?;
    let tcp = TcpStream::connect((bare.as_str(), port))
        .await
        .map_err(|e| err("connect", e))?;
    let _ = tcp.set_nodelay(true);
    if https {
        let name = ServerName::try_from(bare).map_err(|e| err("host name", e))?;
        let stream = tls()?.connect(name, tcp).await.map_err(|e| err("tls", e))?;
        exchange(stream, request).await
    } else {
        exchange(tcp, request).await
    }
}

async fn exchange<S>(io: S, request: Request<Full<Bytes>>) -> Result<Answer, PostError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| err("http", e))?;
    // The connection task ends when the exchange is over (or the caller's
    // timeout drops the sender).
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| err("http", e))?;
    let status = response.status().as_u16();
    let body = Limited::new(response.into_body(), MAX_ANSWER)
        .collect()
        .await
        .map_err(|e| err("answer", e))?
        .to_bytes()
        .to_vec();
    Ok(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_addresses_with_a_host_parse() {
        assert!(parse("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc").is_some());
        assert!(parse("http://127.0.0.1:8089/wecom/k").is_some());
        assert!(parse("http://[::1]:8089/x").is_some());
        for bad in [
            "",
            "qyapi.weixin.qq.com/cgi-bin",
            "ftp://example.org/x",
            "https:///x",
            "https://exa mple.org/x",
            "javascript:alert(1)",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error_without_the_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/dingtalk/secret-token");
        let e = post_json(&url, b"{}".to_vec(), Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(e.0.starts_with("connect"), "{e}");
        assert!(!e.0.contains("secret-token"), "{e}");
    }
}
