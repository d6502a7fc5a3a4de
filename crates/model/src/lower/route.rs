//! A node's routes (`ip route` words or map form) and NAT rules.

use super::{words, Ctx};
use crate::limits;
use crate::loc::Loc;
use crate::names::IfName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawForward, RawMasquerade, RawNat, RawRoute, RawRouteMap};
use crate::topology::{Family, Forward, Masquerade, Nat, Route};
use crate::values::{Port, Proto};
use serde_saphyr::Spanned;

pub(crate) fn lower_route(cx: &mut Ctx<'_>, path: &str, sp: Spanned<RawRoute>) -> Option<Route> {
    let loc = loc_of(&sp);
    cx.span(path.to_string(), loc);
    let (route, at) = match sp.value {
        RawRoute::Words(text) => route_words(cx, path, &text, loc)?,
        RawRoute::Map(m) => route_map(cx, path, &m, loc)?,
        RawRoute::Other(s) => {
            cx.push(
                ProblemKind::WrongType,
                loc,
                format!("expected a route, found {}", s.describe()),
                "write `default via 10.0.0.1` or `{ to: 10.3.0.0/16, dev: eth1 }`",
            );
            return None;
        }
    };
    check_route(cx, &route, loc, at.via, at.src);
    check_numbers(cx, &route, &at)?;
    Some(route)
}

/// Where a route's keys are written.
struct At {
    via: Loc,
    src: Loc,
    metric: Loc,
    table: Loc,
}

impl At {
    fn all(loc: Loc) -> At {
        At {
            via: loc,
            src: loc,
            metric: loc,
            table: loc,
        }
    }
}

/// Metric and table as the kernel keeps them: table 0 is put in main,
/// an IPv6 metric 0 becomes 1024 (`limits::ROUTE_TABLE`, `limits::METRIC`).
fn check_numbers(cx: &mut Ctx<'_>, route: &Route, at: &At) -> Option<()> {
    let mut ok = true;
    if let Some(t) = route.table {
        if !limits::ROUTE_TABLE.holds(u64::from(t)) {
            cx.out_of_range(at.table, &limits::ROUTE_TABLE, u64::from(t));
            ok = false;
        }
    }
    if let (Some(0), Family::V6) = (route.metric, route.family()) {
        cx.push(
            ProblemKind::OutOfRange,
            at.metric,
            "`metric` 0 is out of range 1..=4294967295 for an IPv6 route",
            "the kernel gives an IPv6 route of metric 0 its default, 1024: write 1024, or leave `metric` out",
        );
        ok = false;
    }
    ok.then_some(())
}

/// The words form, `default via 10.0.0.1 dev eth0`; with where its words
/// are.
fn route_words(cx: &mut Ctx<'_>, path: &str, text: &str, loc: Loc) -> Option<(Route, At)> {
    let w = match words::route(text) {
        Ok(w) => w,
        Err((off, e)) => {
            let l = cx.within(loc, off);
            cx.value_err(l, e);
            return None;
        }
    };
    let mut at = At::all(loc);
    for (name, off) in &w.offsets {
        let l = cx.within(loc, *off);
        cx.span(format!("{path}.{name}"), l);
        match *name {
            "via" => at.via = l,
            "src" => at.src = l,
            "metric" => at.metric = l,
            "table" => at.table = l,
            _ => {}
        }
    }
    Some((Route { loc, ..w.route }, at))
}

/// The map form, `{ to: 10.3.0.0/16, dev: eth1 }`; with where its keys
/// are.
fn route_map(cx: &mut Ctx<'_>, path: &str, m: &RawRouteMap, loc: Loc) -> Option<(Route, At)> {
    let mut route = Route::at(loc);
    let mut at = At::all(loc);
    let Some(to) = &m.to else {
        cx.push(
            ProblemKind::MissingKey,
            loc,
            "the route has no `to`",
            "add `to: 10.3.0.0/16` (or `to: default`)",
        );
        return None;
    };
    cx.span(format!("{path}.to"), loc_of(to));
    let t = cx.text(to, "a destination")?;
    route.to = match words::destination(&t) {
        Ok(d) => d,
        Err(e) => {
            cx.value_err(loc_of(to), e);
            return None;
        }
    };
    if let Some(l) = &m.via {
        at.via = loc_of(l);
        cx.span(format!("{path}.via"), at.via);
        route.via = cx.ip(l, "a gateway address");
    }
    if let Some(l) = &m.dev {
        cx.span(format!("{path}.dev"), loc_of(l));
        route.dev = cx.parse(l, "an interface name");
    }
    if let Some(l) = &m.src {
        at.src = loc_of(l);
        cx.span(format!("{path}.src"), at.src);
        route.src = cx.ip(l, "a source address");
    }
    // In range: fits a u32.
    route.metric = m.metric.as_ref().and_then(|l| {
        at.metric = loc_of(l);
        cx.ranged(l, &limits::METRIC).map(|v| v as u32)
    });
    route.table = m.table.as_ref().and_then(|l| {
        at.table = loc_of(l);
        cx.ranged(l, &limits::ROUTE_TABLE).map(|v| v as u32)
    });
    Some((route, at))
}

/// A route needs `via` or `dev`, and one IP family throughout.
fn check_route(cx: &mut Ctx<'_>, route: &Route, loc: Loc, via_loc: Loc, src_loc: Loc) {
    if route.via.is_none() && route.dev.is_none() {
        cx.push(
            ProblemKind::MissingKey,
            loc,
            "the route has neither `via` nor `dev`",
            "add `via ADDRESS` or `dev INTERFACE`",
        );
    }
    let fam = route.family();
    for (ip, l) in [(route.via, via_loc), (route.src, src_loc)] {
        if let Some(ip) = ip {
            if Family::of(ip) != fam {
                cx.push(
                    ProblemKind::FamilyMismatch,
                    l,
                    format!(
                        "{ip} is {} but the route is {}",
                        words::family_name(Family::of(ip)),
                        words::family_name(fam)
                    ),
                    "a route's destination, via and src must be of one IP family",
                );
            }
        }
    }
}

pub(crate) fn lower_nat(cx: &mut Ctx<'_>, path: &str, raw: RawNat) -> Nat {
    let mut nat = Nat::default();
    for (i, sp) in raw.masquerade.unwrap_or_default().into_iter().enumerate() {
        let m = lower_masquerade(cx, &format!("{path}.masquerade.{i}"), sp);
        nat.masquerade.push(m);
    }
    for (i, sp) in raw.forward.unwrap_or_default().into_iter().enumerate() {
        if let Some(f) = lower_forward(cx, &format!("{path}.forward.{i}"), sp) {
            nat.forward.push(f);
        }
    }
    nat
}

fn lower_masquerade(cx: &mut Ctx<'_>, p: &str, sp: Spanned<RawMasquerade>) -> Masquerade {
    let loc = loc_of(&sp);
    cx.span(p.to_string(), loc);
    let m = sp.value;
    let ifname = |cx: &mut Ctx<'_>, l: &Option<Leaf>, key: &str| {
        let l = l.as_ref()?;
        cx.span(format!("{p}.{key}"), loc_of(l));
        cx.parse::<IfName>(l, "an interface name")
    };
    let out = ifname(cx, &m.out, "out");
    let not_out = ifname(cx, &m.not_out, "not-out");
    if let (Some(_), Some(l)) = (&m.out, &m.not_out) {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(l),
            "a masquerade rule has both `out` and `not-out`",
            "keep one of them",
        );
    }
    let from = m.from.as_ref().and_then(|l| {
        cx.span(format!("{p}.from"), loc_of(l));
        let t = cx.text(l, "a subnet like 172.17.0.0/16")?;
        words::subnet(&t)
            .map_err(|e| cx.value_err(loc_of(l), e))
            .ok()
    });
    Masquerade {
        from,
        out,
        not_out,
        loc,
    }
}

fn lower_forward(cx: &mut Ctx<'_>, p: &str, sp: Spanned<RawForward>) -> Option<Forward> {
    let loc = loc_of(&sp);
    cx.span(p.to_string(), loc);
    let f = sp.value;
    let proto = match &f.proto {
        Some(l) => cx.parse::<Proto>(l, "tcp or udp"),
        None => Some(Proto::Tcp),
    };
    let port = match &f.port {
        Some(l) => cx.number::<Port>(l, "port"),
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                "the forward has no `port`",
                "add `port: 8080`",
            );
            None
        }
    };
    let to = match &f.to {
        Some(l) => {
            cx.span(format!("{p}.to"), loc_of(l));
            cx.text(l, "address:port").and_then(|t| {
                words::socket(&t)
                    .map_err(|e| cx.value_err(loc_of(l), e))
                    .ok()
            })
        }
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                "the forward has no `to`",
                "add `to: 172.17.10.10:80`",
            );
            None
        }
    };
    let in_ = f.in_.as_ref().and_then(|l| {
        cx.span(format!("{p}.in"), loc_of(l));
        cx.parse::<IfName>(l, "an interface name")
    });
    Some(Forward {
        proto: proto?,
        port: port?,
        to: to?,
        in_,
        loc,
    })
}
