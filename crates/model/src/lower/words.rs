//! The string forms: `h1:eth0`, `default via 10.0.0.1 dev eth0`,
//! `h1 -> h2`, `tcp/80`, `8080:80/udp`, and `run:` command lines.
//!
//! Each parser is pure and returns a [`ValueError`]; those that read several
//! words also return the character offset of the bad word, so the problem
//! points at it.

use crate::names::NodeName;
use crate::problem::{ProblemKind, ValueError};
use crate::topology::{Family, IfRef, Outcome, ProbeProto, Target};
use crate::values::{Cidr, Port};
use std::net::{IpAddr, SocketAddr};

#[cfg(test)]
mod canon;
#[cfg(test)]
mod roundtrip;
mod routes;
mod services;
#[cfg(test)]
mod tests;
pub(crate) use routes::route;
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

/// `ADDRESS/PREFIX`, the prefix length in digits only (`/+24` is not
/// one, though Rust's integer parser would take it).
pub(crate) fn cidr(s: &str) -> Result<Cidr, ValueError> {
    if let Some((_, p)) = s.split_once('/') {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                format!("`{p}` is not a prefix length"),
                "write an address with its prefix length in digits, like 10.0.0.1/24 or fd00::1/64",
            ));
        }
    }
    Ok(s.parse()?)
}

/// A subnet written as its network address: `10.2.0.0/16`, not
/// `10.2.0.1/16`, whose host bits the kernel (`ip route add`) and Docker
/// (`docker network create --subnet`) refuse rather than guess at.
pub(crate) fn subnet(s: &str) -> Result<Cidr, ValueError> {
    let c = cidr(s)?;
    let net = c.network();
    if net != c {
        return Err(invalid(
            format!("`{s}` has host bits set: as a subnet it is {net}"),
            &format!("write the network address, `{net}`"),
        ));
    }
    Ok(c)
}

/// A route destination: `default` (`None`), a subnet, or an address (a
/// host route).
pub(crate) fn destination(s: &str) -> Result<Option<Cidr>, ValueError> {
    if s == "default" {
        return Ok(None);
    }
    if s.contains('/') {
        return subnet(s).map(Some);
    }
    match s.parse::<IpAddr>() {
        Ok(ip) => Ok(Some(Cidr::host(ip))),
        Err(_) => Err(invalid(
            format!("`{s}` is not a route destination"),
            "write default, a subnet like 10.2.0.0/16, or an address",
        )),
    }
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

/// A scenario's `link:` step: `NODE:IF down`, `NODE:IF up`, and `both`
/// after either; the interface, up or down, both ends or one.
pub(crate) fn link_step(s: &str) -> Result<(IfRef, bool, bool), (usize, ValueError)> {
    let hint =
        "write `NODE:IF down` or `NODE:IF up`, and `both` for both ends (`r1:eth1 down both`)";
    let w = words(s);
    if let Some(&(off, extra)) = w.get(3) {
        return Err((
            off,
            invalid(
                format!("`{extra}` after the link step is not part of it"),
                hint,
            ),
        ));
    }
    let [(ioff, at), (soff, state), rest @ ..] = w.as_slice() else {
        return Err((0, invalid(format!("`{s}` is not a link step"), hint)));
    };
    let up = match *state {
        "up" => true,
        "down" => false,
        other => {
            return Err((
                *soff,
                invalid(format!("`{other}` is not `up` or `down`"), hint),
            ))
        }
    };
    let both = match rest {
        [] => false,
        [(_, "both")] => true,
        [(off, other), ..] => {
            return Err((*off, invalid(format!("`{other}` is not `both`"), hint)));
        }
    };
    let at = endpoint(at).map_err(|e| (*ioff, e))?;
    Ok((at, up, both))
}

/// A check in the arrow form, read word by word.
#[derive(Debug, PartialEq)]
pub(crate) struct ArrowWords {
    pub from: NodeName,
    pub outcome: Outcome,
    pub to: Target,
    /// ICMP without a port; with a port, TCP unless `/udp` or `/http`
    /// says otherwise.
    pub proto: ProbeProto,
    /// Character offset of the target word.
    pub to_offset: usize,
}

/// `FROM -> TO`, `FROM -x TO`, and with a port `FROM -> TO:PORT[/tcp|udp|http]`:
/// exactly three words, each read whole.
pub(crate) fn arrow(s: &str) -> Result<ArrowWords, (usize, ValueError)> {
    let hint = "write a check as `h1 -> h2`, `h1 -x 10.0.0.2`, or with a port `h1 -> h2:80` (TCP), `h1 -> h2:53/udp`, `h1 -> h2:80/http`";
    let w = words(s);
    if let Some(&(off, extra)) = w.get(3) {
        return Err((
            off,
            invalid(
                format!("`{extra}` after the check's target is not part of a check"),
                hint,
            ),
        ));
    }
    let [(foff, from), (aoff, arrow), (toff, to)] = w.as_slice() else {
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
    let from = from.parse().map_err(|e| (*foff, e))?;
    let (target_text, proto_text) = match to.split_once('/') {
        Some((t, p)) => (t, Some(p)),
        None => (*to, None),
    };
    let target = target(target_text).map_err(|e| (*toff, e))?;
    let poff = toff + target_text.chars().count() + 1;
    let proto = match (target.port(), proto_text) {
        (None, None) => ProbeProto::Icmp,
        (None, Some(_)) => {
            return Err((
                poff,
                invalid(
                    format!("`{to}` names a protocol but no port"),
                    "write the port before the protocol, like `h2:53/udp`; without a port the check is a ping",
                ),
            ))
        }
        (Some(_), None) => ProbeProto::Tcp,
        (Some(_), Some("tcp")) => ProbeProto::Tcp,
        (Some(_), Some("udp")) => ProbeProto::Udp,
        (Some(_), Some("http")) => ProbeProto::Http,
        (Some(_), Some(other)) => {
            return Err((
                poff,
                invalid(
                    format!("`{other}` is not a probe protocol"),
                    "after the port write /tcp (the default), /udp or /http",
                ),
            ))
        }
    };
    Ok(ArrowWords {
        from,
        outcome,
        to: target,
        proto,
        to_offset: *toff,
    })
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
    if node.starts_with(|c: char| c.is_ascii_digit()) || node.contains(['.', ':', '[']) {
        return Err(invalid(
            format!("`{s}` is not an address or a node"),
            "write a node name, an address, NODE:PORT, ADDRESS:PORT or [IPv6]:PORT",
        ));
    }
    Ok(Target::Node {
        node: node.parse()?,
        port,
    })
}

/// A port number from text.
pub(crate) fn port(s: &str) -> Result<Port, ValueError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            format!("`{s}` is not a port number"),
            "a port is written in digits only, 1 to 65535",
        ));
    }
    s.parse()
}

/// The family of an address, for messages.
pub(crate) fn family_name(f: Family) -> &'static str {
    match f {
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}
