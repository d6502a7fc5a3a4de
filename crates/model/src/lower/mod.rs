//! Lowering: raw serde structs → typed [`Topology`], value by value.
//!
//! Every leaf is parsed into its newtype here; a bad one becomes a
//! [`Problem`] with the leaf's line and column and the walk goes on, so one
//! run reports every bad value. Cross-references are checked afterwards, in
//! [`crate::validate`], on the typed model.

mod expect;
mod fs;
mod image;
mod interface;
pub(crate) mod kinds;
mod link;
mod network;
mod network_flags;
mod node;
mod route;
mod scenario;
mod vxlan;
pub(crate) mod words;

pub(crate) use crate::ctx::Ctx;
use crate::loc::{Loc, SourceFile};
use crate::names::LabName;
use crate::problem::{Problem, ProblemKind};
use crate::raw::{loc_of, RawTopology};
use crate::topology::{Host, Node, Spans, Topology};
use std::collections::BTreeMap;

/// Lower a raw file. Returns the topology even when there are problems (so
/// validation can run on everything that did parse); the caller decides.
pub(crate) fn lower(
    raw: RawTopology,
    source: &SourceFile,
    host: Host<'_>,
) -> (Option<Topology>, Vec<Problem>) {
    let mut cx = Ctx::new(source);
    let lab: Option<LabName> = match &raw.lab {
        Some(leaf) => cx.parse(leaf, "a lab name"),
        None => {
            cx.push(
                ProblemKind::MissingKey,
                Loc::new(1, 1),
                "the file has no `lab:`",
                "add `lab: NAME` at the top ([a-z][a-z0-9-]*, at most 12 characters)",
            );
            None
        }
    };

    let links = link::lower_links(&mut cx, raw.links.unwrap_or_default());
    let mut nodes = BTreeMap::new();
    for (key, rn) in raw.nodes.unwrap_or_default().0 {
        let Some(name) = cx.parse(&key, "a node name") else {
            continue;
        };
        let loc = loc_of(&key);
        let node = node::lower_node(&mut cx, &name, loc, rn.unwrap_or_default(), &links.ends);
        nodes.insert(name, node);
    }
    let links = link::attach_links(&mut cx, links, &mut nodes);
    let networks = network::lower_networks(&mut cx, raw.networks.unwrap_or_default());
    for net in networks.values() {
        for (member, m) in &net.members {
            nodes
                .entry(member.clone())
                .or_insert_with(|| Node::plain(m.loc));
        }
    }
    let expect = expect::lower_expects(&mut cx, raw.expect.unwrap_or_default());
    let scenarios = scenario::lower_scenarios(&mut cx, raw.scenarios.unwrap_or_default());

    let Some(lab) = lab else {
        return (None, cx.problems);
    };
    let mut topo = Topology {
        lab,
        nodes,
        links,
        networks,
        expect,
        scenarios,
        source: source.clone(),
        spans: Spans::default(),
    };
    network::allocate(&mut cx, &mut topo);
    crate::validate::validate(&mut cx, &topo, host);
    topo.spans = std::mem::take(&mut cx.spans);
    (Some(topo), cx.problems)
}
