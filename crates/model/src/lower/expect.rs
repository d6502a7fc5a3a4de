//! `expect:`: checks, arrow form (`h1 -> h2`, `a -x b`) and map form.

use super::{words, Ctx};
use crate::loc::Loc;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, RawExpect, RawExpectMap};
use crate::topology::{Expect, Outcome, ProbeProto, Target};
use serde_saphyr::Spanned;

pub(crate) fn lower_expects(cx: &mut Ctx<'_>, raw: Vec<Spanned<RawExpect>>) -> Vec<Expect> {
    lower_expects_at(cx, raw, "expect")
}

/// Checks written under `prefix` (`expect`, or a scenario step's).
pub(crate) fn lower_expects_at(
    cx: &mut Ctx<'_>,
    raw: Vec<Spanned<RawExpect>>,
    prefix: &str,
) -> Vec<Expect> {
    let mut out = Vec::new();
    for (i, sp) in raw.into_iter().enumerate() {
        let loc = loc_of(&sp);
        let p = format!("{prefix}.{i}");
        cx.span(p.clone(), loc);
        let expect = match sp.value {
            RawExpect::Words(text) => expect_words(cx, &text, &p, loc),
            RawExpect::Map(m) => expect_map(cx, &m, &p, loc),
            RawExpect::Other(s) => {
                cx.push(
                    ProblemKind::WrongType,
                    loc,
                    format!("expected a check, found {}", s.describe()),
                    "write `h1 -> h2` or `{ from: h1, to: h2, proto: tcp }`",
                );
                None
            }
        };
        out.extend(expect);
    }
    out
}

/// The arrow form: `h1 -> h2`, `a -x b`, `a -> b:80/udp`.
fn expect_words(cx: &mut Ctx<'_>, text: &str, p: &str, loc: Loc) -> Option<Expect> {
    match words::arrow(text) {
        Ok(a) => {
            cx.span(format!("{p}.from"), loc);
            let tl = cx.within(loc, a.to_offset);
            cx.span(format!("{p}.to"), tl);
            Some(Expect {
                from: a.from,
                to: a.to,
                proto: a.proto,
                reply_from: None,
                seen_as: None,
                outcome: a.outcome,
                within: None,
                loc,
            })
        }
        Err((off, e)) => {
            let l = cx.within(loc, off);
            cx.value_err(l, e);
            None
        }
    }
}

/// The map form: `{ from: h1, to: h2:80, proto: tcp, ... }`, or
/// `{ check: h1 -> h2, within: 5s }`; either may say `within`.
fn expect_map(cx: &mut Ctx<'_>, m: &RawExpectMap, p: &str, loc: Loc) -> Option<Expect> {
    let within = m.within.as_ref().and_then(|l| {
        cx.span(format!("{p}.within"), loc_of(l));
        let t = cx.text(l, "a time like 5s")?;
        let d = crate::impair::parse_duration(&t)
            .map_err(|e| cx.value_err(loc_of(l), e))
            .ok()?;
        if d.is_zero() {
            cx.push(
                ProblemKind::OutOfRange,
                loc_of(l),
                "`within: 0s` is out of range: more than 0s, at most 3600s",
                "write a time like 5s, or leave `within` out for one try",
            );
            return None;
        }
        Some(d)
    });
    let Some(check) = &m.check else {
        return expect_fields(cx, m, p, loc).map(|e| Expect { within, ..e });
    };
    let others = [
        &m.from,
        &m.to,
        &m.proto,
        &m.reply_from,
        &m.seen_as,
        &m.expect,
    ];
    if let Some(l) = others.into_iter().flatten().next() {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(l),
            "a check is written either as `check: a -> b` or with `from`/`to`, not both",
            "keep `check: FROM -> TO` (with `within`), or write the map form without `check`",
        );
        return None;
    }
    let cl = loc_of(check);
    let text = cx.text(check, "a check like `a -> b`")?;
    expect_words(cx, &text, p, cl).map(|e| Expect { within, ..e })
}

/// The map form's fields.
fn expect_fields(cx: &mut Ctx<'_>, m: &RawExpectMap, p: &str, loc: Loc) -> Option<Expect> {
    let from = map_from(cx, m, p, loc);
    let to = map_to(cx, m, p, loc);
    let protos = [
        ("icmp", ProbeProto::Icmp),
        ("tcp", ProbeProto::Tcp),
        ("udp", ProbeProto::Udp),
        ("http", ProbeProto::Http),
    ];
    let proto = match &m.proto {
        Some(l) => cx.choice(l, "probe protocol", &protos),
        None => Some(ProbeProto::Icmp),
    };
    let reply_from = m.reply_from.as_ref().and_then(|l| {
        cx.span(format!("{p}.reply-from"), loc_of(l));
        cx.parse::<NodeName>(l, "a node name")
    });
    let seen_as = m.seen_as.as_ref().and_then(|l| {
        cx.span(format!("{p}.seen-as"), loc_of(l));
        cx.ip(l, "an address")
    });
    let outcome = match &m.expect {
        Some(l) => cx.choice(
            l,
            "expected outcome",
            &[("ok", Outcome::Ok), ("fail", Outcome::Fail)],
        ),
        None => Some(Outcome::Ok),
    };
    let (Some(from), Some(to), Some(proto), Some(outcome)) = (from, to, proto, outcome) else {
        return None;
    };
    check_proto_fits(cx, m, proto, &to, loc);
    Some(Expect {
        from,
        to,
        proto,
        reply_from,
        seen_as,
        outcome,
        within: None,
        loc,
    })
}

fn map_from(cx: &mut Ctx<'_>, m: &RawExpectMap, p: &str, loc: Loc) -> Option<NodeName> {
    match &m.from {
        Some(l) => {
            cx.span(format!("{p}.from"), loc_of(l));
            cx.parse(l, "a node name")
        }
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                "the check has no `from`",
                "add `from: NODE`",
            );
            None
        }
    }
}

fn map_to(cx: &mut Ctx<'_>, m: &RawExpectMap, p: &str, loc: Loc) -> Option<Target> {
    match &m.to {
        Some(l) => {
            cx.span(format!("{p}.to"), loc_of(l));
            cx.text(l, "a node, an address or address:port")
                .and_then(|t| {
                    words::target(&t)
                        .map_err(|e| cx.value_err(loc_of(l), e))
                        .ok()
                })
        }
        None => {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                "the check has no `to`",
                "add `to: NODE`, `to: ADDRESS` or `to: ADDRESS:PORT`",
            );
            None
        }
    }
}

/// A port for tcp and udp, none for ICMP, and `reply-from`/`seen-as` only
/// with a responder to answer.
fn check_proto_fits(cx: &mut Ctx<'_>, m: &RawExpectMap, proto: ProbeProto, to: &Target, loc: Loc) {
    let ploc = m.proto.as_ref().map(loc_of).unwrap_or(loc);
    match (proto, to.port()) {
        (ProbeProto::Tcp | ProbeProto::Udp, None) => cx.push(
            ProblemKind::MissingKey,
            m.to.as_ref().map(loc_of).unwrap_or(loc),
            "a tcp or udp check needs a port",
            "write the target as ADDRESS:PORT or NODE:PORT",
        ),
        (ProbeProto::Icmp, Some(_)) => cx.push(
            ProblemKind::InvalidValue,
            m.to.as_ref().map(loc_of).unwrap_or(loc),
            "an ICMP check has no port",
            "add `proto: tcp` (or udp, http), or remove the port",
        ),
        _ => {}
    }
    if proto == ProbeProto::Icmp && (m.reply_from.is_some() || m.seen_as.is_some()) {
        cx.push(
            ProblemKind::InvalidValue,
            ploc,
            "`reply-from` and `seen-as` need an answer from a responder; ICMP has none",
            "add `proto: tcp`, `udp` or `http`",
        );
    }
}
