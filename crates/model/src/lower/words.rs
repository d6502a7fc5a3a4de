//! The string forms: `h1:eth0`, `default via 10.0.0.1 dev eth0`,
//! `h1 -> h2`, `tcp/80`, `8080:80/udp`, and `run:` command lines.
//!
//! Each parser is pure and returns a [`ValueError`]; those that read several
//! words also return the character offset of the bad word, so the problem
//! points at it.

use crate::loc::Loc;
use crate::names::NodeName;
use crate::problem::{ProblemKind, ValueError};
use crate::topology::{Family, IfRef, Outcome, Route, Target};
use crate::values::{Cidr, Port};
use std::net::{IpAddr, SocketAddr};

mod services;
pub(crate) use services::{argv, publish, service, socket};

fn invalid(message: String, hint: &str) -> ValueError {
    ValueError::new(ProblemKind::InvalidValue, message, hint)
}

/// `node:ifname`.
pub(crate) fn endpoint(s: &str) -> Result<IfRef, ValueError> {
    let hint = "write a link end as node:ifname, like h1:eth0";
    let Some((node, ifname)) = s.split_once(':') else {
        return Err(invalid(format!("`{s}` is not node:ifname"), hint));
    };
    Ok(IfRef {
        node: node.parse()?,
        ifname: ifname.parse()?,
    })
}

/// `ifname` (in `this` node) or `node:ifname`.
pub(crate) fn parent(s: &str, this: &NodeName) -> Result<IfRef, ValueError> {
    if s.contains(':') {
        endpoint(s)
    } else {
        Ok(IfRef {
            node: this.clone(),
            ifname: s.parse()?,
        })
    }
}

/// A route destination: `default` (`None`), a CIDR, or an address (a host
/// route).
pub(crate) fn destination(s: &str) -> Result<Option<Cidr>, ValueError> {
    if s == "default" {
        return Ok(None);
    }
    if s.contains('/') {
        return s.parse().map(Some).map_err(Into::into);
    }
    match s.parse::<IpAddr>() {
        Ok(ip) => Ok(Some(Cidr::host(ip))),
        Err(_) => Err(invalid(
            format!("`{s}` is not a route destination"),
            "write default, a subnet like 10.2.0.0/16, or an address",
        )),
    }
}

/// A route read from `ip route` words, with where each word was.
#[derive(Debug, PartialEq)]
pub(crate) struct RouteWords {
    /// The route (its `loc` unknown: the caller's to set).
    pub route: Route,
    /// (`to`, `via`, `dev`, `src`…) → character offset of its value.
    pub offsets: Vec<(&'static str, usize)>,
}

/// Words of `s` with their character offsets.
fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (ci, (bi, c)) in s.char_indices().enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some((ci, bi)),
            (true, Some((cs, bs))) => {
                out.push((cs, &s[bs..bi]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some((cs, bs)) = start {
        out.push((cs, &s[bs..]));
    }
    out
}

/// `[to] DEST [via ADDR] [dev IF] [metric N] [src ADDR] [table N]`.
pub(crate) fn route(s: &str) -> Result<RouteWords, (usize, ValueError)> {
    let hint = "write a route like `10.2.0.0/16 via 10.0.0.254 dev eth0 metric 10`";
    let w = words(s);
    let mut i = 0;
    if w.first().is_some_and(|(_, x)| *x == "to") {
        i = 1;
    }
    let Some(&(off, dest)) = w.get(i) else {
        return Err((0, invalid(format!("route `{s}` has no destination"), hint)));
    };
    let mut r = RouteWords {
        route: Route {
            to: destination(dest).map_err(|e| (off, e))?,
            ..Route::at(Loc::UNKNOWN)
        },
        offsets: Vec::new(),
    };
    r.offsets.push(("to", off));
    i += 1;
    while let Some(&(koff, key)) = w.get(i) {
        let Some(&(voff, val)) = w.get(i + 1) else {
            return Err((koff, invalid(format!("`{key}` needs a value"), hint)));
        };
        let ip = |v: &str| {
            v.parse::<IpAddr>()
                .map_err(|_| (voff, invalid(format!("`{v}` is not an IP address"), hint)))
        };
        let num = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| (voff, invalid(format!("`{v}` is not a number"), hint)))
        };
        let dup = |set: bool| {
            if set {
                Err((koff, invalid(format!("`{key}` is given twice"), hint)))
            } else {
                Ok(())
            }
        };
        let name: &'static str = match key {
            "via" => {
                dup(r.route.via.is_some())?;
                r.route.via = Some(ip(val)?);
                "via"
            }
            "dev" => {
                dup(r.route.dev.is_some())?;
                r.route.dev = Some(val.parse().map_err(|e| (voff, e))?);
                "dev"
            }
            "metric" | "priority" | "preference" => {
                dup(r.route.metric.is_some())?;
                r.route.metric = Some(num(val)?);
                "metric"
            }
            "src" => {
                dup(r.route.src.is_some())?;
                r.route.src = Some(ip(val)?);
                "src"
            }
            "table" => {
                dup(r.route.table.is_some())?;
                r.route.table = Some(num(val)?);
                "table"
            }
            _ => {
                return Err((
                    koff,
                    invalid(
                        format!("`{key}` is not a route word"),
                        "use: to, via, dev, metric, src, table",
                    ),
                ))
            }
        };
        r.offsets.push((name, voff));
        i += 2;
    }
    Ok(r)
}

/// `from -> to` or `from -x to`: the from node, the outcome, the target
/// text and its offset.
pub(crate) fn arrow(s: &str) -> Result<(NodeName, Outcome, Target, usize), (usize, ValueError)> {
    let hint = "write a check as `h1 -> h2`, `h1 -> 10.0.0.2` or `h1 -x h2`";
    let w = words(s);
    let [(_, from), (aoff, arrow), (toff, to)] = w.as_slice() else {
        return Err((0, invalid(format!("`{s}` is not a check"), hint)));
    };
    let outcome = match *arrow {
        "->" => Outcome::Ok,
        "-x" => Outcome::Fail,
        other => {
            return Err((
                *aoff,
                invalid(format!("`{other}` is not `->` or `-x`"), hint),
            ))
        }
    };
    let from = from.parse().map_err(|e| (0, e))?;
    let target = target(to).map_err(|e| (*toff, e))?;
    Ok((from, outcome, target, *toff))
}

/// A check target: a node, an address, `addr:port`, `[v6]:port`, `node:port`.
pub(crate) fn target(s: &str) -> Result<Target, ValueError> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(Target::Addr { ip, port: None });
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok(Target::Addr {
            ip: sa.ip(),
            port: Some(Port::try_from(u64::from(sa.port()))?),
        });
    }
    let (node, port) = match s.rsplit_once(':') {
        Some((n, p)) => (n, Some(port(p)?)),
        None => (s, None),
    };
    if node.starts_with(|c: char| c.is_ascii_digit()) || node.contains('.') {
        return Err(invalid(
            format!("`{s}` is not an address or a node"),
            "write a node name, an address, or address:port",
        ));
    }
    Ok(Target::Node {
        node: node.parse()?,
        port,
    })
}

/// A port number from text.
pub(crate) fn port(s: &str) -> Result<Port, ValueError> {
    s.parse()
}

/// The family of an address, for messages.
pub(crate) fn family_name(f: Family) -> &'static str {
    match f {
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The route the words make, without the offsets.
    fn route(s: &str) -> Result<crate::topology::Route, (usize, ValueError)> {
        super::route(s).map(|w| w.route)
    }

    #[test]
    fn route_words() {
        let r = route("default via 10.0.0.1").unwrap();
        assert_eq!(r.to, None);
        assert_eq!(r.via, Some(ip("10.0.0.1")));
        let r =
            route("to 10.2.0.0/16 via 10.0.0.254 dev eth0 metric 10 src 10.0.0.2 table 7").unwrap();
        assert_eq!(r.to.unwrap().to_string(), "10.2.0.0/16");
        assert_eq!(r.dev.unwrap(), "eth0");
        assert_eq!((r.metric, r.table), (Some(10), Some(7)));
        assert_eq!(r.src, Some(ip("10.0.0.2")));
        let r = route("default via fe80::1 dev eth0").unwrap();
        assert_eq!(r.via, Some(ip("fe80::1")));
        assert_eq!(
            route("10.9.9.9").unwrap().to.unwrap().to_string(),
            "10.9.9.9/32"
        );
        // The offset points at the bad word.
        assert_eq!(route("default via nope").unwrap_err().0, 12);
        assert_eq!(route("default gw 1.2.3.4").unwrap_err().0, 8);
        assert!(route("default via").is_err());
        assert!(route("default via 1.1.1.1 via 1.1.1.2").is_err());
        assert!(route("").is_err());
    }

    #[test]
    fn arrows_and_targets() {
        let (from, out, to, off) = arrow("h1 -> h2").unwrap();
        assert_eq!((from.as_str(), out, off), ("h1", Outcome::Ok, 6));
        assert_eq!(
            to,
            Target::Node {
                node: "h2".parse().unwrap(),
                port: None
            }
        );
        let (_, out, to, _) = arrow("ns0 -x 10.0.1.1").unwrap();
        assert_eq!(out, Outcome::Fail);
        assert_eq!(
            to,
            Target::Addr {
                ip: ip("10.0.1.1"),
                port: None
            }
        );
        assert!(arrow("h1 => h2").is_err());
        assert!(arrow("h1 ->").is_err());
        assert_eq!(target("[fd00::1]:80").unwrap().port().unwrap().get(), 80);
        assert_eq!(
            target("192.168.54.230:8080").unwrap().port().unwrap().get(),
            8080
        );
        assert_eq!(
            target("nginx:80").unwrap(),
            Target::Node {
                node: "nginx".parse().unwrap(),
                port: Some(Port::try_from(80).unwrap())
            }
        );
        assert!(target("10.0.0").is_err());
        assert!(target("10.0.0.1:99999").is_err());
    }

    #[test]
    fn endpoints_and_parents() {
        let e = endpoint("h1:eth0").unwrap();
        assert_eq!(e.to_string(), "h1:eth0");
        assert!(endpoint("h1").is_err());
        let h2: NodeName = "h2".parse().unwrap();
        assert_eq!(parent("eth0", &h2).unwrap().to_string(), "h2:eth0");
        assert_eq!(parent("ns1:ens41", &h2).unwrap().to_string(), "ns1:ens41");
    }
}
