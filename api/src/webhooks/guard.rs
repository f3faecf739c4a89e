//! The SSRF guard: a webhook URL must be `http` or `https` and its host must resolve only
//! to public addresses, unless an administrator allow-listed the network
//! (`CAMPTRACK_WEBHOOK_ALLOW_NETS`). Checked at registration and again before every
//! attempt (DNS can change); the attempt then connects to exactly the addresses checked.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::time::Duration;

use reqwest::Url;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// An IP network in CIDR notation (`127.0.0.1/32`, `10.0.0.0/8`, `::1/128`); a bare address
/// is the one-address network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Net {
    type Err = String;

    /// ```
    /// use camptrack::webhooks::guard::Net;
    /// let net: Net = "10.0.0.0/8".parse().unwrap();
    /// assert!(net.contains("10.1.2.3".parse().unwrap()));
    /// assert!(!net.contains("11.0.0.1".parse().unwrap()));
    /// assert!("::1".parse::<Net>().unwrap().contains("::1".parse().unwrap()));
    /// assert!("10.0.0.0/33".parse::<Net>().is_err());
    /// ```
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{raw}` is not an IP network such as 10.0.0.0/8"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{raw}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self { addr, prefix })
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Net {
    /// Whether `ip` lies in this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Parses a comma-separated list of networks (the allow-list setting).
pub fn parse_nets(raw: &str) -> Result<Vec<Net>, String> {
    raw.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a public unicast address: not private, loopback, link-local, multicast,
/// unspecified, broadcast, shared (CGNAT), reserved or documentation space, in IPv4 or IPv6
/// (IPv4-mapped and NAT64 addresses are judged by the IPv4 address they carry).
///
/// ```
/// use camptrack::webhooks::guard::is_public;
/// assert!(is_public("93.184.216.34".parse().unwrap()));
/// for ip in ["127.0.0.1", "10.1.2.3", "192.168.1.1", "169.254.169.254", "::1", "fe80::1",
///            "fd00::1", "::ffff:127.0.0.1", "0.0.0.0", "::", "224.0.0.1", "ff02::1"] {
///     assert!(!is_public(ip.parse().unwrap()), "{ip}");
/// }
/// ```
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => public_v6(v6),
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let bits = u128::from(ip) as u32;
        return public_v4(Ipv4Addr::from(bits));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8) // documentation
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::/96 (deprecated)
}

/// A URL that passed the guard, with the addresses it may be reached at.
#[derive(Debug, Clone)]
pub struct Target {
    /// The parsed URL.
    pub url: Url,
    /// The host name to pin (`None` for an IP literal).
    pub host: Option<String>,
    /// Every address the host resolved to; all passed the guard.
    pub addrs: Vec<SocketAddr>,
}

/// Checks `raw` and resolves its host: refuses what is not `http`/`https`, carries
/// credentials, or resolves to any address that is neither public nor in `allow`. The
/// error is a reason for the `url` field.
pub async fn check(raw: &str, allow: &[Net], dns_timeout: Duration) -> Result<Target, String> {
    if raw.len() > MAX_URL_LEN {
        return Err(format!("at most {MAX_URL_LEN} characters"));
    }
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "only http and https URLs are accepted, not {}",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "a URL may not carry a user name or password; verify the signature instead".into(),
        );
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| "the URL has no port".to_owned())?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| "the URL has no host".to_owned())?;
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>()
        .ok();
    let (host, addrs) = match literal {
        Some(ip) => (None, vec![SocketAddr::new(ip, port)]),
        None => {
            let name = host.to_owned();
            let found =
                tokio::time::timeout(dns_timeout, tokio::net::lookup_host((name.as_str(), port)))
                    .await
                    .map_err(|_| format!("{name} did not resolve in time"))?
                    .map_err(|e| format!("{name} does not resolve: {e}"))?
                    .collect::<Vec<_>>();
            if found.is_empty() {
                return Err(format!("{name} does not resolve to any address"));
            }
            (Some(name), found)
        }
    };
    for addr in &addrs {
        let ip = addr.ip();
        if !is_public(ip) && !allow.iter().any(|n| n.contains(ip)) {
            return Err(format!(
                "the host resolves to {ip}, a private, loopback, link-local, multicast or otherwise non-public address; an administrator can allow-list it with CAMPTRACK_WEBHOOK_ALLOW_NETS"
            ));
        }
    }
    Ok(Target { url, host, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(raw: &str) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(check(raw, &[], Duration::from_secs(5)))
            .expect_err(raw)
    }

    #[test]
    fn loopback_private_and_mapped_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/hook",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fe80::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0/",
            "http://localhost/",
        ] {
            assert!(block(url).contains("non-public"), "{url}");
        }
        assert!(block("ftp://example.org/").contains("only http and https"));
        assert!(block("http://u:p@example.org/").contains("user name"));
    }

    #[test]
    fn an_allow_listed_network_passes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let allow = parse_nets("127.0.0.1/32, ::1").expect("nets");
        let t = rt
            .block_on(check(
                "http://127.0.0.1:9/x",
                &allow,
                Duration::from_secs(5),
            ))
            .expect("allowed");
        assert_eq!(t.addrs.len(), 1);
        assert!(
            rt.block_on(check("http://[::1]:9/x", &allow, Duration::from_secs(5)))
                .is_ok()
        );
        assert!(
            rt.block_on(check("http://127.0.0.2/", &allow, Duration::from_secs(5)))
                .is_err()
        );
    }
}
