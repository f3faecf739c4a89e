//! Slows guessing: a client address that presents `--auth-failure-limit` unknown, revoked
//! or expired tokens within `--auth-failure-window-secs` gets `429` with `Retry-After` until
//! its window ends. Per process and in memory (a local defence, as the design allows);
//! IPv6 clients are counted per /64, which one subscriber usually holds whole.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::IncomingStream;

use super::AppState;
use super::load::{error_response, retry_after};
use crate::graphql::error::code;

/// Entries kept before expired ones are dropped, so a flood of addresses cannot grow the
/// map without bound.
const PRUNE_ABOVE: usize = 10_000;

/// The peer address of a connection, for every listener the server runs on.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, crate::tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// The client address of `request`, when the server was started through [`crate::serve`].
pub(crate) fn client_addr(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<ClientAddr>>()
        .map(|c| c.0.0)
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: Instant,
    failures: u32,
}

/// Failed authentications per client address.
#[derive(Debug)]
pub struct AuthThrottle {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<IpAddr, Window>>,
}

impl AuthThrottle {
    /// At most `limit` failures per `window` (`limit` 0: never throttles).
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window: window.max(Duration::from_secs(1)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// How long `ip` must still wait, if it is throttled.
    fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        if self.limit == 0 {
            return None;
        }
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = windows.get(&key(ip))?;
        let elapsed = w.started.elapsed();
        (w.failures >= self.limit && elapsed < self.window).then(|| self.window - elapsed)
    }

    /// Counts one failure from `ip`.
    fn failed(&self, ip: IpAddr) {
        if self.limit == 0 {
            return;
        }
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > PRUNE_ABOVE {
            let window = self.window;
            windows.retain(|_, w| w.started.elapsed() < window);
        }
        let now = Instant::now();
        let w = windows.entry(key(ip)).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now.duration_since(w.started) >= self.window {
            *w = Window {
                started: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

/// The unit counted: an IPv4 address, or an IPv6 /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Whether the request presents a credential: an `Authorization` header or a
/// `/key/<token>/` path (OpenRosa devices).
fn presents_credential(request: &Request) -> bool {
    request.headers().contains_key(header::AUTHORIZATION)
        || request
            .uri()
            .path()
            .split('/')
            .any(|s| s.eq_ignore_ascii_case("key"))
}

/// The middleware: refuses throttled addresses, counts `401`s to requests that presented a
/// credential (a `401` challenge to a request without one is the normal start of HTTP Basic
/// and is not counted).
pub(super) async fn throttle(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if super::load::is_probe(&request) {
        return next.run(request).await;
    }
    let ip = client_addr(&request).map(|a| a.ip());
    if let Some(ip) = ip
        && let Some(wait) = state.throttle.blocked(ip)
    {
        let secs = wait.as_secs() + 1;
        return retry_after(
            error_response(
                StatusCode::TOO_MANY_REQUESTS,
                code::LIMIT_EXCEEDED,
                &format!("too many failed sign-ins from your address; try again in {secs} seconds"),
            ),
            secs,
        );
    }
    let counted = presents_credential(&request);
    let response = next.run(request).await;
    if counted
        && response.status() == StatusCode::UNAUTHORIZED
        && let Some(ip) = ip
    {
        state.throttle.failed(ip);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_throttled_after_the_limit_and_others_are_not() {
        let t = AuthThrottle::new(3, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..2 {
            t.failed(a);
        }
        assert!(t.blocked(a).is_none());
        t.failed(a);
        assert!(t.blocked(a).is_some());
        assert!(t.blocked(b).is_none());
    }

    #[test]
    fn ipv6_addresses_in_one_64_share_a_window() {
        let t = AuthThrottle::new(2, Duration::from_secs(60));
        t.failed("2001:db8:1:2::1".parse().unwrap());
        t.failed("2001:db8:1:2:ffff::9".parse().unwrap());
        assert!(t.blocked("2001:db8:1:2::77".parse().unwrap()).is_some());
        assert!(t.blocked("2001:db8:1:3::1".parse().unwrap()).is_none());
    }

    #[test]
    fn a_zero_limit_never_throttles() {
        let t = AuthThrottle::new(0, Duration::from_secs(60));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..100 {
            t.failed(a);
        }
        assert!(t.blocked(a).is_none());
    }
}
