//! The short forms printed back: each typed value as the one canonical
//! string that parses to it again. A value a short form cannot say (a
//! check with `reply-from`) has none. The round-trip tests hold the
//! parsers to these: whatever a parser accepts, printed here and parsed
//! again, is the same value — so no part of what was written is dropped.

use crate::impair::{Percent, Rate};
use crate::topology::{Expect, IfRef, Outcome, ProbeProto, Publish, Route, Service, Target};
use std::net::IpAddr;
use std::time::Duration;

/// A check's arrow form: `a -> b`, `a -x 10.0.0.2`, `a -> b:80`,
/// `a -> [fd00::2]:53/udp`; `None` for what only the map form says
/// (`reply-from`, `seen-as`, a port without a protocol that takes one).
pub(crate) fn check(e: &Expect) -> Option<String> {
    if e.reply_from.is_some() || e.seen_as.is_some() {
        return None;
    }
    let arrow = match e.outcome {
        Outcome::Ok => "->",
        Outcome::Fail => "-x",
    };
    let suffix = match (e.proto, e.to.port()) {
        (ProbeProto::Icmp, None) => "",
        (ProbeProto::Tcp, Some(_)) => "",
        (ProbeProto::Udp, Some(_)) => "/udp",
        (ProbeProto::Http, Some(_)) => "/http",
        _ => return None,
    };
    Some(format!("{} {arrow} {}{suffix}", e.from, target(&e.to)))
}

/// A check's target: `b`, `b:80`, `10.0.0.2:80`, `[fd00::2]:80`.
pub(crate) fn target(t: &Target) -> String {
    match t {
        Target::Node { node, port: None } => node.to_string(),
        Target::Node {
            node,
            port: Some(p),
        } => format!("{node}:{p}"),
        Target::Addr { ip, port: None } => ip.to_string(),
        Target::Addr {
            ip: IpAddr::V6(ip),
            port: Some(p),
        } => format!("[{ip}]:{p}"),
        Target::Addr {
            ip: IpAddr::V4(ip),
            port: Some(p),
        } => format!("{ip}:{p}"),
    }
}

/// A route's `ip route` words, in the order `ip route` prints them.
pub(crate) fn route(r: &Route) -> String {
    let mut out = match r.to {
        Some(c) => c.to_string(),
        None => "default".to_string(),
    };
    if let Some(v) = r.via {
        out += &format!(" via {v}");
    }
    if let Some(d) = &r.dev {
        out += &format!(" dev {d}");
    }
    if let Some(m) = r.metric {
        out += &format!(" metric {m}");
    }
    if let Some(s) = r.src {
        out += &format!(" src {s}");
    }
    if let Some(t) = r.table {
        out += &format!(" table {t}");
    }
    out
}

/// A scenario's `link:` step: `r1:eth1 down`, `r1:eth1 up both`.
pub(crate) fn link_step(at: &IfRef, up: bool, both: bool) -> String {
    let state = if up { "up" } else { "down" };
    let both = if both { " both" } else { "" };
    format!("{at} {state}{both}")
}

/// A duration in the largest unit that holds it whole: `2s`, `150ms`,
/// `20us`, `1.5us` (nanoseconds as decimals of a microsecond).
pub(crate) fn duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns.is_multiple_of(1_000_000_000) {
        format!("{}s", ns / 1_000_000_000)
    } else if ns.is_multiple_of(1_000_000) {
        format!("{}ms", ns / 1_000_000)
    } else if ns.is_multiple_of(1_000) {
        format!("{}us", ns / 1_000)
    } else {
        format!("{}.{:03}us", ns / 1_000, ns % 1_000)
    }
}

/// A netem delay kept in microseconds.
pub(crate) fn micros(us: u32) -> String {
    duration(Duration::from_micros(u64::from(us)))
}

/// A loss: `1%`, `0.0001%` (exact, from millionths).
pub(crate) fn percent(p: Percent) -> String {
    let ppm = p.ppm();
    let (whole, frac) = (ppm / 10_000, ppm % 10_000);
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:04}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

/// A rate in bits per second: `10000000bit`.
pub(crate) fn rate(r: Rate) -> String {
    format!("{}bit", r.bits_per_sec())
}

/// A service: `tcp/80`.
pub(crate) fn service(s: &Service) -> String {
    format!("{}/{}", s.proto, s.port)
}

/// A published port: `[HOST-IP:]HOST-PORT:PORT/PROTO`.
pub(crate) fn publish(p: &Publish) -> String {
    let ip = match p.host_ip {
        Some(IpAddr::V6(ip)) => format!("[{ip}]:"),
        Some(IpAddr::V4(ip)) => format!("{ip}:"),
        None => String::new(),
    };
    format!("{ip}{}:{}/{}", p.host_port, p.port, p.proto)
}
