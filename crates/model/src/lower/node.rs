//! `nodes:`: one node and its settings; interfaces, routes and NAT are in
//! their own modules.

use super::{words, Ctx};
use crate::loc::Loc;
use crate::names::{IfName, NodeName, SysctlKey};
use crate::problem::ProblemKind;
use crate::raw::{loc_of, Entries, Leaf, RawLo, RawNode, Scalar};
use crate::topology::{IfRef, Node, NodeKind};
use crate::values::Cidr;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

pub(crate) fn lower_node(
    cx: &mut Ctx<'_>,
    name: &NodeName,
    loc: Loc,
    raw: RawNode,
    ends: &BTreeMap<IfRef, Loc>,
) -> Node {
    let p = format!("nodes.{name}");
    let mut node = Node::plain(loc);
    node_settings(cx, &p, name, &raw, &mut node);
    super::image::lower_image(cx, &p, name, &raw, &mut node);
    node_sysctls(cx, &p, raw.sysctls.unwrap_or_default(), &mut node);
    for (k, v) in raw.interfaces.unwrap_or_default().0 {
        let Some(ifname) = cx.parse::<IfName>(&k, "an interface name") else {
            continue;
        };
        let iloc = loc_of(&k);
        let here = IfRef {
            node: name.clone(),
            ifname: ifname.clone(),
        };
        let ip = format!("{p}.interfaces.{ifname}");
        cx.span(ip.clone(), iloc);
        let iface =
            super::interface::lower_interface(cx, &ip, &here, iloc, v.unwrap_or_default(), ends);
        node.interfaces.insert(ifname, iface);
    }
    for (i, r) in raw.routes.unwrap_or_default().into_iter().enumerate() {
        if let Some(route) = super::route::lower_route(cx, &format!("{p}.routes.{i}"), r) {
            node.routes.push(route);
        }
    }
    node.nat = super::route::lower_nat(cx, &format!("{p}.nat"), raw.nat.unwrap_or_default());
    if node.forwarding.is_none() && !node.nat.is_empty() {
        node.forwarding = Some(true);
    }
    node_services(
        cx,
        &p,
        raw.serve.unwrap_or_default(),
        raw.run.unwrap_or_default(),
        &mut node,
    );
    let fs = super::fs::RawFs {
        env: raw.env,
        dirs: raw.dirs,
        files: raw.files,
    };
    super::fs::node_fs(cx, &p, name, fs, &mut node);
    super::image::container_dirs(cx, name, &node);
    node
}

/// `kind:`, `netns:`, `lo:` and `forwarding:`.
fn node_settings(cx: &mut Ctx<'_>, p: &str, name: &NodeName, raw: &RawNode, node: &mut Node) {
    if let Some(k) = &raw.kind {
        cx.span(format!("{p}.kind"), loc_of(k));
        let kinds = [("netns", NodeKind::Netns), ("host", NodeKind::Host)];
        node.kind = cx.choice(k, "node kind", &kinds).unwrap_or_default();
    }
    if let Some(n) = &raw.netns {
        cx.span(format!("{p}.netns"), loc_of(n));
        node.netns = netns_name(cx, n);
        if node.kind == NodeKind::Host {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(n),
                format!("node `{name}` is the host namespace; it has no `netns` name"),
                "remove `netns:`, or remove `kind: host`",
            );
        }
    }
    if let Some(h) = &raw.hostname {
        cx.span(format!("{p}.hostname"), loc_of(h));
        node.hostname = hostname(cx, h);
        if node.kind == NodeKind::Host {
            cx.push(
                ProblemKind::InvalidValue,
                loc_of(h),
                format!("node `{name}` is the host namespace; its host name is the machine's"),
                "remove `hostname:`, or remove `kind: host`",
            );
        }
    }
    if let Some(lo) = &raw.lo {
        node_lo(cx, p, lo, node);
    }
    if let Some(f) = &raw.forwarding {
        node.forwarding = cx.bool(f, "forwarding");
    }
}

/// `lo: up`, `lo: down`, a boolean, or `lo: { up, addresses }`.
fn node_lo(cx: &mut Ctx<'_>, p: &str, lo: &Spanned<RawLo>, node: &mut Node) {
    cx.span(format!("{p}.lo"), loc_of(lo));
    let leaf = |value: Scalar| Leaf {
        value,
        referenced: lo.referenced,
        defined: lo.defined,
    };
    let state = |cx: &mut Ctx<'_>, l: &Leaf| match &l.value {
        Scalar::Bool(b) => Some(*b),
        _ => cx.choice(l, "lo state", &[("up", true), ("down", false)]),
    };
    match &lo.value {
        RawLo::Words(w) => node.lo_up = state(cx, &leaf(Scalar::Str(w.clone()))).unwrap_or(true),
        RawLo::Other(v) => node.lo_up = state(cx, &leaf(v.clone())).unwrap_or(true),
        RawLo::Map(m) => {
            if let Some(up) = &m.up {
                node.lo_up = state(cx, up).unwrap_or(true);
            }
            for (i, a) in m.addresses.iter().flatten().enumerate() {
                cx.span(format!("{p}.lo.addresses.{i}"), loc_of(a));
                if let Some(c) = cx.parse::<Cidr>(a, "an address like 10.255.0.1/32") {
                    node.lo_addresses.push(c);
                }
            }
        }
    }
}

fn node_sysctls(cx: &mut Ctx<'_>, p: &str, raw: Entries<Leaf>, node: &mut Node) {
    for (k, v) in raw.0 {
        let key: Option<SysctlKey> = cx.parse(&k, "a sysctl key");
        if let Some(key) = &key {
            cx.span(format!("{p}.sysctls.{key}"), loc_of(&k));
        }
        let val = match &v.value {
            Scalar::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
            _ => cx.text(&v, "a sysctl value"),
        };
        if let (Some(key), Some(val)) = (key, val) {
            node.sysctls.insert(key, val);
        }
    }
}

/// `serve:` (`tcp/80`) and `run:` (command lines).
fn node_services(cx: &mut Ctx<'_>, p: &str, serve: Vec<Leaf>, run: Vec<Leaf>, node: &mut Node) {
    for s in serve {
        if let Some(t) = cx.text(&s, "a service like tcp/80") {
            match words::service(&t) {
                Ok(svc) => {
                    cx.span(format!("{p}.serve.{}", node.serve.len()), loc_of(&s));
                    node.serve.push(svc);
                }
                Err(e) => cx.value_err(loc_of(&s), e),
            }
        }
    }
    for r in run {
        if let Some(t) = cx.text(&r, "a command line") {
            match words::argv(&t) {
                Ok(argv) => {
                    cx.span(format!("{p}.run.{}", node.run.len()), loc_of(&r));
                    node.run.push(argv);
                }
                Err(e) => cx.value_err(loc_of(&r), e),
            }
        }
    }
}

/// `hostname:`: what `sethostname` takes and resolvers accept (RFC 1123):
/// dot-separated labels of letters, digits and `-`, none starting or
/// ending with `-`, each at most 63 characters, at most 64 in all.
fn hostname(cx: &mut Ctx<'_>, leaf: &Leaf) -> Option<String> {
    let t = cx.text(leaf, "a host name")?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if t.len() > 64 || !t.split('.').all(label_ok) {
        cx.push(
            ProblemKind::InvalidName,
            loc_of(leaf),
            format!("`{}` cannot be a host name", t.escape_debug()),
            "a host name is letters, digits and `-` (not first or last), in labels separated by `.`, at most 64 characters",
        );
        return None;
    }
    Some(t)
}

/// `netns:`: a file name under /run/netns.
fn netns_name(cx: &mut Ctx<'_>, leaf: &Leaf) -> Option<String> {
    let t = cx.text(leaf, "a namespace name")?;
    let bad = t.is_empty()
        || t == "."
        || t == ".."
        || t.contains('/')
        || t.chars().any(char::is_control)
        || t.len() > 255;
    if bad {
        cx.push(
            ProblemKind::InvalidName,
            loc_of(leaf),
            format!("`{}` cannot be a namespace name", t.escape_debug()),
            "a namespace name is a file name under /run/netns: no `/` or control characters, not `.` or `..`",
        );
        return None;
    }
    Some(t)
}
