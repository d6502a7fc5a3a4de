//! Scenario steps against the lab: the nodes and interfaces they name
//! exist, `both` names an end of a veth, a partition's groups do not share
//! a node, and their checks are checked like the file's.

use super::{addresses::check_expect_list, Known, Origin};
use crate::ctx::Ctx;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::topology::{IfRef, StepKind, Topology};

pub(super) fn check_scenarios(cx: &mut Ctx<'_>, t: &Topology, known: &Known) {
    for s in &t.scenarios {
        for step in &s.steps {
            let p = format!("scenarios.{}.{}", s.name, step.index);
            check_step(cx, t, known, &step.kind, &p, step.loc);
        }
    }
}

fn check_step(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    kind: &StepKind,
    p: &str,
    loc: crate::loc::Loc,
) {
    let at = |cx: &Ctx<'_>, key: &str| cx.spans.get_or(&format!("{p}.{key}"), loc);
    match kind {
        StepKind::Expect(list) => check_expect_list(cx, t, list, &format!("{p}.expect")),
        StepKind::Link { at: r, both, .. } => {
            let l = at(cx, "link");
            if interface(cx, t, known, r, l) && *both && !is_veth_end(t, known, r) {
                cx.push(
                    ProblemKind::InvalidValue,
                    l,
                    format!("`{r}` is not an end of a link, so it has no other end"),
                    "drop `both`, or name an interface listed under `links:`",
                );
            }
        }
        StepKind::Impair { at: r, .. } => {
            let l = at(cx, "impair");
            interface(cx, t, known, r, l);
        }
        StepKind::Stop(n) => node(cx, t, n, at(cx, "stop")),
        StepKind::Start(n) => node(cx, t, n, at(cx, "start")),
        StepKind::Exec { node: n, .. } => node(cx, t, n, at(cx, "exec.node")),
        StepKind::Partition { groups, .. } => {
            let mut seen: Vec<&NodeName> = Vec::new();
            for (g, group) in groups.iter().enumerate() {
                for (k, n) in group.iter().enumerate() {
                    let l = at(cx, &format!("partition.{g}.{k}"));
                    node(cx, t, n, l);
                    if seen.contains(&n) {
                        cx.push(
                            ProblemKind::InvalidValue,
                            l,
                            format!("node `{n}` is in two groups of the partition"),
                            "a node belongs to one side of a partition",
                        );
                    }
                    seen.push(n);
                }
            }
        }
        StepKind::Heal | StepKind::Wait(_) => {}
    }
}

fn node(cx: &mut Ctx<'_>, t: &Topology, n: &NodeName, loc: crate::loc::Loc) {
    if !t.nodes.contains_key(n) {
        cx.push(
            ProblemKind::UnknownReference,
            loc,
            format!("there is no node `{n}`"),
            "name a node of this lab",
        );
    }
}

/// Whether `r` exists; a problem at `loc` when it does not.
fn interface(
    cx: &mut Ctx<'_>,
    t: &Topology,
    known: &Known,
    r: &IfRef,
    loc: crate::loc::Loc,
) -> bool {
    if !t.nodes.contains_key(&r.node) {
        node(cx, t, &r.node, loc);
        return false;
    }
    let ok = known
        .get(&r.node)
        .is_some_and(|m| m.contains_key(&r.ifname));
    if !ok {
        cx.push(
            ProblemKind::UnknownReference,
            loc,
            format!("node `{}` has no interface `{}`", r.node, r.ifname),
            "name an interface of that node",
        );
    }
    ok
}

fn is_veth_end(t: &Topology, known: &Known, r: &IfRef) -> bool {
    t.links.iter().any(|l| l.a == *r || l.b == *r)
        || known
            .get(&r.node)
            .and_then(|m| m.get(&r.ifname))
            .is_some_and(|o| matches!(o, Origin::Member(_) | Origin::Port(..)))
}
