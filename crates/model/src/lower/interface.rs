//! One interface: its kind (and only that kind's keys), addresses and
//! common settings.

use super::kinds::{kind_keys, lower_kind, Here, KINDS};
use super::Ctx;
use crate::impair::{parse_micros, Impair, Percent, Rate};
use crate::limits;
use crate::loc::Loc;
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Leaf, RawImpair, RawInterface};
use crate::topology::{DeviceKind, IfKind, IfRef, Interface, Tap};
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

pub(crate) fn lower_interface(
    cx: &mut Ctx<'_>,
    path: &str,
    here: &IfRef,
    loc: Loc,
    r: RawInterface,
    ends: &BTreeMap<IfRef, Loc>,
) -> Interface {
    let kind_name = kind_name(cx, path, here, loc, &r, ends.contains_key(here));
    let own_keys = kind_name
        .and_then(|k| KINDS.iter().find(|(n, _)| *n == k))
        .map(|(_, keys)| *keys);
    if let (Some(kind), Some(own)) = (kind_name, own_keys) {
        reject_foreign_keys(cx, &r, kind, own);
    }
    let at = Here {
        path,
        iface: here,
        loc,
    };
    let kind = kind_name.and_then(|k| lower_kind(cx, &at, k, &r));
    // An interface whose kind did not parse still takes its place, so that
    // references to it do not add problems of their own.
    let placeholder = || IfKind::Device(DeviceKind::Tap(Tap::default()));
    let mut iface = Interface::new(kind.unwrap_or_else(placeholder), loc);
    lower_common(cx, path, &r, &mut iface);
    if let (Some(mtu), Some(leaf)) = (iface.mtu, &r.mtu) {
        check_mtu(cx, kind_name, &iface, mtu.get(), loc_of(leaf));
    }
    iface
}

/// The MTU within its kind's bounds (`limits::MTU` for most, narrower
/// for a tap and a VRF) and, with an IPv6 address, at least 1280.
fn check_mtu(cx: &mut Ctx<'_>, kind: Option<&str>, iface: &Interface, mtu: u32, loc: Loc) {
    let mut ranges = vec![match kind {
        Some("tap") => limits::MTU_TAP,
        Some("vrf") => limits::MTU_VRF,
        _ => limits::MTU,
    }];
    if iface.addresses.iter().any(|a| a.is_ipv6()) {
        ranges.push(limits::MTU_IPV6);
    }
    if let Some(r) = ranges.iter().find(|r| !r.holds(u64::from(mtu))) {
        cx.out_of_range(loc, r, u64::from(mtu));
    }
}

/// The kind the interface is: its `kind:`, or a veth as the end of a
/// link (and nothing else then).
fn kind_name(
    cx: &mut Ctx<'_>,
    path: &str,
    here: &IfRef,
    loc: Loc,
    r: &RawInterface,
    is_end: bool,
) -> Option<&'static str> {
    let choices: Vec<(&str, &'static str)> = KINDS.iter().map(|(k, _)| (*k, *k)).collect();
    let kind_name = match &r.kind {
        Some(k) => {
            cx.span(format!("{path}.kind"), loc_of(k));
            cx.choice(k, "interface kind", &choices)
        }
        None if is_end => Some("veth"),
        None => {
            let others: Vec<&str> = KINDS.iter().map(|(k, _)| *k).skip(2).collect();
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("interface {here} has no `kind` and is not the end of a link"),
                format!(
                    "add `kind: bridge` (or {}), or add a link to it",
                    others.join(", ")
                ),
            );
            None
        }
    };
    let kloc = r.kind.as_ref().map(loc_of).unwrap_or(loc);
    match kind_name {
        Some("veth") if !is_end => cx.push(
            ProblemKind::UnknownReference,
            kloc,
            format!("{here} is a veth, but no link has it as an end"),
            format!("add a link like `[{here}, other:eth0]`, or give it another kind"),
        ),
        Some(k) if k != "veth" && is_end => cx.push(
            ProblemKind::KindConflict,
            kloc,
            format!("{here} is the end of a link, so it is a veth, not a {k}"),
            "remove `kind:` from this interface, or link another interface",
        ),
        _ => {}
    }
    kind_name
}

/// The keys every kind has: addresses, up, MTU, MAC, master, hairpin,
/// impairment.
fn lower_common(cx: &mut Ctx<'_>, path: &str, r: &RawInterface, iface: &mut Interface) {
    for (i, a) in r.addresses.iter().flatten().enumerate() {
        cx.span(format!("{path}.addresses.{i}"), loc_of(a));
        let c = cx.text(a, "an address like 10.0.0.1/24").and_then(|t| {
            super::words::cidr(&t)
                .map_err(|e| cx.value_err(loc_of(a), e))
                .ok()
        });
        iface.addresses.extend(c);
    }
    if let Some(up) = &r.up {
        iface.up = cx.bool(up, "up").unwrap_or(true);
    }
    if let Some(m) = &r.mtu {
        cx.span(format!("{path}.mtu"), loc_of(m));
        iface.mtu = cx.number(m, "MTU");
    }
    if let Some(m) = &r.mac {
        cx.span(format!("{path}.mac"), loc_of(m));
        iface.mac = cx.parse(m, "a MAC address");
    }
    if let Some(m) = &r.master {
        cx.span(format!("{path}.master"), loc_of(m));
        iface.master = cx.parse(m, "an interface name");
    }
    if let Some(h) = &r.hairpin {
        iface.hairpin = cx.bool(h, "hairpin").unwrap_or(false);
    }
    if let Some(imp) = &r.impair {
        iface.impair = Some(lower_impair(cx, imp));
    }
}

/// Keys of other kinds (`vni` on a bridge) are unknown keys here.
fn reject_foreign_keys(cx: &mut Ctx<'_>, r: &RawInterface, kind: &str, own: &str) {
    for (key, leaf) in kind_keys(r) {
        let Some(leaf) = leaf else { continue };
        if own.split(' ').any(|k| k == key) {
            continue;
        }
        let hint = if own.is_empty() {
            format!("a {kind} takes only the common keys; remove `{key}`")
        } else {
            format!("a {kind} takes: {}; remove `{key}`", own.replace(' ', ", "))
        };
        cx.push(
            ProblemKind::UnknownKey,
            loc_of(leaf),
            format!("`{key}` does not apply to a {kind} interface"),
            hint,
        );
    }
}

fn lower_impair(cx: &mut Ctx<'_>, sp: &Spanned<RawImpair>) -> Impair {
    let r = &sp.value;
    let mut imp = Impair::default();
    let us = |cx: &mut Ctx<'_>, l: &Option<Leaf>, what: &str| {
        let l = l.as_ref()?;
        let t = cx.text(l, what)?;
        parse_micros(&t)
            .map_err(|e| cx.value_err(loc_of(l), e))
            .ok()
    };
    imp.delay_us = us(cx, &r.delay, "a delay like 20ms");
    imp.jitter_us = us(cx, &r.jitter, "a jitter like 5ms");
    imp.loss_ppm = r
        .loss
        .as_ref()
        .and_then(|l| cx.parse::<Percent>(l, "a loss like 1%"))
        .map(Percent::ppm);
    imp.rate_bps = r
        .rate
        .as_ref()
        .and_then(|l| cx.parse::<Rate>(l, "a rate like 10mbit"))
        .map(Rate::bits_per_sec);
    if imp.jitter_us.is_some() && imp.delay_us.is_none() {
        cx.push(
            ProblemKind::MissingKey,
            loc_of(sp),
            "`jitter` needs a `delay` to vary",
            "add `delay:`, or remove `jitter:`",
        );
    }
    imp
}
