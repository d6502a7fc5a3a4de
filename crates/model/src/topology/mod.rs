//! The validated topology: what the planner consumes.
//!
//! Every value here has been checked (names, ranges, references, addresses),
//! so the planner never re-validates. Structures carry a [`Loc`] where an
//! error in a later layer may want to point back at the file.

mod expect;
mod fs;
mod interface;
mod network;
mod route;
mod scenario;

pub use expect::*;
pub use fs::*;
pub use interface::*;
pub use network::*;
pub use route::*;
pub use scenario::*;

use crate::loc::{Loc, SourceFile};
use crate::names::{IfName, LabName, NodeName, SysctlKey};
use crate::values::Cidr;
use std::collections::BTreeMap;

/// One lab, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The lab's name (prefix of namespace names).
    pub lab: LabName,
    /// Every node: those under `nodes:`, plus network members not listed
    /// there (created as plain nodes).
    pub nodes: BTreeMap<NodeName, Node>,
    /// Veth pairs, in file order.
    pub links: Vec<Link>,
    /// Docker-style bridge networks by bridge interface name.
    pub networks: BTreeMap<IfName, Network>,
    /// Checks for `nslab check`, in file order.
    pub expect: Vec<Expect>,
    /// Scenarios for `nslab test`, in file order.
    pub scenarios: Vec<Scenario>,
    /// The file this came from.
    pub source: SourceFile,
    /// Locations of individual fields, by path (see [`Spans`]).
    pub spans: Spans,
}

impl Topology {
    /// The namespace name of `node` (`<lab>-<node>` unless `netns:`), or
    /// `None` for a `kind: host` node or an unknown node.
    pub fn netns_of(&self, node: &NodeName) -> Option<String> {
        let n = self.nodes.get(node)?;
        match n.kind {
            NodeKind::Host => None,
            NodeKind::Netns => Some(n.netns_name(&self.lab, node)),
        }
    }

    /// The interface `r` names, if it exists.
    pub fn interface(&self, r: &IfRef) -> Option<&Interface> {
        self.nodes.get(&r.node)?.interfaces.get(&r.ifname)
    }
}

/// Locations of fields that errors in later layers may name, keyed by a
/// dotted path: `nodes.h1.interfaces.eth0.master`, `nodes.h1.routes.0.via`,
/// `links.0.a`, `networks.docker0.members.nginx.address`,
/// `expect.2.reply-from`. Structures also carry their own `loc`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Spans(BTreeMap<String, Loc>);

impl Spans {
    /// The location of the field at `path`, if the file wrote it.
    pub fn get(&self, path: &str) -> Option<Loc> {
        self.0.get(path).copied()
    }

    /// The location at `path`, else `fallback`.
    pub fn get_or(&self, path: &str, fallback: Loc) -> Loc {
        self.get(path).unwrap_or(fallback)
    }

    pub(crate) fn insert(&mut self, path: String, loc: Loc) {
        if loc.is_known() {
            self.0.insert(path, loc);
        }
    }
}

/// Whether a node is a namespace of its own or the one nslab runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum NodeKind {
    /// A network namespace made for the node (the default).
    #[default]
    Netns,
    /// The namespace nslab itself runs in; nothing is created for it.
    Host,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `netns:` as written; see [`Node::netns_name`].
    pub netns: Option<String>,
    /// `netns` (default) or `host`.
    pub kind: NodeKind,
    /// `hostname:` as written; see [`Node::hostname_of`].
    pub hostname: Option<String>,
    /// `lo: up` (default) or `down`.
    pub lo_up: bool,
    /// `lo: { addresses: [...] }`: the lab's addresses on the loopback
    /// (a router's identity), in file order.
    pub lo_addresses: Vec<Cidr>,
    /// `forwarding:` as written. A node with any NAT rule gets `Some(true)`
    /// unless the file says otherwise.
    pub forwarding: Option<bool>,
    /// `net.*` sysctls, values as written to /proc.
    pub sysctls: BTreeMap<SysctlKey, String>,
    /// Every interface of the node, including link ends that have no entry
    /// in the file (added as default veths). Not including interfaces that
    /// `networks` create (the root crate expands those).
    pub interfaces: BTreeMap<IfName, Interface>,
    /// Routes, in file order.
    pub routes: Vec<Route>,
    /// NAT rules.
    pub nat: Nat,
    /// Built-in responders.
    pub serve: Vec<Service>,
    /// Long-running commands, each an argv.
    pub run: Vec<Vec<String>>,
    /// `env:`: added to the environment of every process nslab starts in
    /// the node.
    pub env: BTreeMap<String, String>,
    /// `dirs:`: private to the node, in file order.
    pub dirs: Vec<NodeDir>,
    /// `files:` by absolute path, each inside one of `dirs`.
    pub files: BTreeMap<String, NodeFile>,
    /// Where the node is named in the file (its key, or its network member
    /// entry for nodes made by a network).
    pub loc: Loc,
}

impl Node {
    /// A plain node: a namespace with `lo` up and nothing else.
    pub fn plain(loc: Loc) -> Node {
        Node {
            netns: None,
            kind: NodeKind::Netns,
            hostname: None,
            lo_up: true,
            lo_addresses: Vec::new(),
            forwarding: None,
            sysctls: BTreeMap::new(),
            interfaces: BTreeMap::new(),
            routes: Vec::new(),
            nat: Nat::default(),
            serve: Vec::new(),
            run: Vec::new(),
            env: BTreeMap::new(),
            dirs: Vec::new(),
            files: BTreeMap::new(),
            loc,
        }
    }

    /// The name under /run/netns: `<lab>-<node>` unless `netns:` says
    /// otherwise. (Meaningless for `kind: host`.)
    pub fn netns_name(&self, lab: &LabName, node: &NodeName) -> String {
        match &self.netns {
            Some(n) => n.clone(),
            None => nslab_types::names::node_netns(lab.as_str(), node.as_str()),
        }
    }

    /// The host name its processes see: `hostname:`, else the node's name.
    pub fn hostname_of(&self, node: &NodeName) -> String {
        self.hostname.clone().unwrap_or_else(|| node.to_string())
    }

    /// Whether IP forwarding should be on: `forwarding: true`, or any NAT
    /// rule and no explicit `forwarding: false`.
    pub fn wants_forwarding(&self) -> bool {
        self.forwarding.unwrap_or(!self.nat.is_empty())
    }
}

/// Which interfaces the host namespace has, for `physical` interfaces.
/// Injected so the model stays pure; the root crate passes one that asks
/// the kernel, tests pass a list.
pub trait HostInterfaces {
    /// Whether the host namespace has an interface called `name`.
    fn exists(&self, name: &str) -> bool;
}

/// A host with no interfaces at all (every `physical` is missing).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHostInterfaces;

impl HostInterfaces for NoHostInterfaces {
    fn exists(&self, _name: &str) -> bool {
        false
    }
}

/// A host that has every interface (skip the check, e.g. `plan --offline`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyHostInterfaces;

impl HostInterfaces for AnyHostInterfaces {
    fn exists(&self, _name: &str) -> bool {
        true
    }
}

impl<F: Fn(&str) -> bool> HostInterfaces for F {
    fn exists(&self, name: &str) -> bool {
        self(name)
    }
}

impl HostInterfaces for [&str] {
    fn exists(&self, name: &str) -> bool {
        self.contains(&name)
    }
}

/// What the host says about a `run:` program (its argv\[0\]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramLookup {
    /// It would start: a path to an executable file, or a name found on
    /// `PATH` as `execvp` would.
    Found,
    /// Nothing by that path or name.
    Missing,
    /// It exists but cannot be executed (a directory, no `x` permission).
    NotExecutable,
}

/// Which programs the host can start, for `run:`. Injected like
/// [`HostInterfaces`]: the root crate looks at the file system, tests pass
/// a closure.
pub trait HostPrograms {
    /// What `argv0` (with a `/`: a path; without: a name on `PATH`) is.
    fn lookup(&self, argv0: &str) -> ProgramLookup;
}

/// Every program exists (skip the check).
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyPrograms;

impl HostPrograms for AnyPrograms {
    fn lookup(&self, _argv0: &str) -> ProgramLookup {
        ProgramLookup::Found
    }
}

impl<F: Fn(&str) -> ProgramLookup> HostPrograms for F {
    fn lookup(&self, argv0: &str) -> ProgramLookup {
        self(argv0)
    }
}

/// What the file is checked against: the host's interfaces and programs.
#[derive(Clone, Copy)]
pub struct Host<'a> {
    /// Interfaces of the host namespace (`physical`, vxlan `dev` of a host
    /// node).
    pub interfaces: &'a dyn HostInterfaces,
    /// Programs (`run:`).
    pub programs: &'a dyn HostPrograms,
}
