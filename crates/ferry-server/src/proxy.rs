//! The trusted-proxy mode (off unless configured): an SSO proxy in front of the server
//! authenticates people and names the user in a header. The header is believed only on requests
//! whose peer address is the proxy's (`--trusted-proxy-from`); anyone else sending it is ignored
//! and must present a token. A proxy user's roles are configured on the server
//! (`--proxy-role USER=ROLE`), never taken from the request.

use crate::auth::{Caller, Via};
use crate::error::ApiError;
use crate::roles::Grant;
use axum::http::{HeaderMap, HeaderName};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// An address or a CIDR block (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad = || {
            format!("'{text}' is not an IP address or CIDR block (e.g. 127.0.0.1 or 10.0.0.0/8)")
        };
        let (ip, bits) = match text.trim().split_once('/') {
            Some((ip, bits)) => (ip, Some(bits)),
            None => (text.trim(), None),
        };
        let addr: IpAddr = ip.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            None => max,
            Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(bad)?,
        };
        Ok(Cidr { addr, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        let (a, b, width) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => {
                (u128::from(u32::from(a)), u128::from(u32::from(b)), 32)
            }
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
            _ => return false,
        };
        let shift = width - u32::from(self.bits);
        if shift >= 128 {
            return true;
        }
        (a >> shift) == (b >> shift)
    }
}

#[derive(Debug, Clone)]
pub struct TrustedProxy {
    pub header: HeaderName,
    pub from: Vec<Cidr>,
    /// user → grants.
    pub roles: BTreeMap<String, Vec<Grant>>,
}

impl TrustedProxy {
    /// From the flags: the header name, the proxy addresses, and `USER=ROLE` pairs.
    pub fn new(
        header: &str,
        from: &[String],
        user_roles: &[String],
    ) -> Result<TrustedProxy, String> {
        let header = HeaderName::try_from(header.trim())
            .map_err(|_| format!("--trusted-proxy-header '{header}' is not a header name"))?;
        if from.is_empty() {
            return Err(
                "--trusted-proxy-header needs --trusted-proxy-from ADDRESS: the header is believed only from the proxy"
                    .into(),
            );
        }
        let from = from
            .iter()
            .map(|f| Cidr::parse(f))
            .collect::<Result<_, _>>()?;
        let mut roles: BTreeMap<String, Vec<Grant>> = BTreeMap::new();
        for pair in user_roles {
            let (user, role) = pair
                .split_once('=')
                .filter(|(u, _)| !u.trim().is_empty())
                .ok_or_else(|| {
                    format!("--proxy-role '{pair}': write USER=ROLE (e.g. alice=approver:prod)")
                })?;
            let grant = Grant::parse(role).map_err(|e| format!("--proxy-role '{pair}': {e}"))?;
            roles
                .entry(user.trim().to_string())
                .or_default()
                .push(grant);
        }
        Ok(TrustedProxy {
            header,
            from,
            roles,
        })
    }

    /// The proxy's user when the request came from the proxy and names one; `None` otherwise
    /// (the request must then authenticate itself).
    pub fn caller(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
    ) -> Result<Option<Caller>, ApiError> {
        let Some(value) = headers.get(&self.header) else {
            return Ok(None);
        };
        let Some(peer) = peer.filter(|p| self.from.iter().any(|c| c.contains(*p))) else {
            tracing::warn!("ignored the {} header from an untrusted peer", self.header);
            return Ok(None);
        };
        let user = value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                ApiError::unauthenticated(format!(
                    "the proxy's {} header names no user",
                    self.header
                ))
            })?;
        tracing::debug!("proxy {peer} authenticated {user}");
        Ok(Some(Caller {
            user: user.to_string(),
            grants: self.roles.get(user).cloned().unwrap_or_default(),
            via: Via::Proxy,
            origin: "proxy".into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::roles::Role;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_blocks_and_single_addresses_match_what_they_cover() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains(ip("10.1.200.3")));
        assert!(!c.contains(ip("10.2.0.1")));
        let one = Cidr::parse("127.0.0.1").unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(one.contains(ip("::ffff:127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("nope").is_err());
    }

    #[test]
    fn the_header_is_believed_only_from_the_proxy_and_roles_come_from_the_server() {
        let p = TrustedProxy::new(
            "X-Forwarded-User",
            &["127.0.0.1".into()],
            &["alice=approver:prod".into(), "alice=viewer".into()],
        )
        .unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-user", "alice".parse().unwrap());
        let c = p.caller(&h, Some(ip("127.0.0.1"))).unwrap().unwrap();
        assert_eq!(c.user, "alice");
        assert_eq!(c.via, Via::Proxy);
        assert!(c.require(Role::Approver, Some("prod")).is_ok());
        assert!(c.require(Role::Approver, Some("dev")).is_err());
        assert!(p.caller(&h, Some(ip("10.9.9.9"))).unwrap().is_none());
        assert!(p.caller(&h, None).unwrap().is_none());
        h.insert("x-forwarded-user", "mallory".parse().unwrap());
        let m = p.caller(&h, Some(ip("127.0.0.1"))).unwrap().unwrap();
        assert!(m.grants.is_empty());
        assert!(p
            .caller(&HeaderMap::new(), Some(ip("127.0.0.1")))
            .unwrap()
            .is_none());
    }

    #[test]
    fn bad_proxy_flags_are_refused_with_the_fix() {
        assert!(TrustedProxy::new("X-User", &[], &[])
            .unwrap_err()
            .contains("--trusted-proxy-from"));
        assert!(
            TrustedProxy::new("X-User", &["1.2.3.4".into()], &["alice".into()])
                .unwrap_err()
                .contains("USER=ROLE")
        );
        assert!(
            TrustedProxy::new("X-User", &["1.2.3.4".into()], &["alice=boss".into()])
                .unwrap_err()
                .contains("unknown role")
        );
    }
}
