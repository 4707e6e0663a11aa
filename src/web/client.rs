//! Who is on the other end of a request: the peer address, or — behind a
//! trusted reverse proxy — the client its `X-Forwarded-For` names.

use std::net::IpAddr;

use axum::http::HeaderMap;

/// The client's address. The proxies in `trusted` (comma-separated) are peeled
/// off the right of `X-Forwarded-For`; the first address they did not add is the
/// client. A header from an untrusted peer is ignored: anyone can write one.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &str) -> IpAddr {
    let trusted: Vec<IpAddr> = trusted
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// The client's address as [`client_ip`] finds it; `None` only where no
/// connection info exists (a router driven without a socket).
#[derive(Clone, Copy, Debug)]
pub struct ClientAddr(pub Option<IpAddr>);

impl ClientAddr {
    /// The address as text, for audit rows.
    pub fn text(&self) -> Option<String> {
        self.0.map(|ip| ip.to_string())
    }
}

impl axum::extract::FromRequestParts<super::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &super::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(peer.map(|p| {
            client_ip(p, &parts.headers, &state.settings.server.trusted_proxies)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client: IpAddr = "192.168.5.9".parse().unwrap();
        let h = headers("1.2.3.4, 192.168.5.9");
        assert_eq!(
            client_ip(proxy, &h, "10.0.0.1"),
            client,
            "the proxy appended the client"
        );
        assert_eq!(
            client_ip(proxy, &h, ""),
            proxy,
            "no proxy is trusted by default"
        );
        assert_eq!(
            client_ip(client, &h, "10.0.0.1"),
            client,
            "a client cannot claim another address"
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), "10.0.0.1"), proxy);
        let chain = headers("192.168.5.9, 10.0.0.2");
        assert_eq!(
            client_ip(proxy, &chain, "10.0.0.1, 10.0.0.2"),
            client,
            "two proxies in a row"
        );
    }
}
