//! What a lab made without root cannot have, refused before anything is
//! made (`nslab validate --rootless`, `nslab up --rootless`).
//!
//! A rootless lab's namespaces belong to a user namespace the user owns:
//! its root has every capability over them and none over the machine. So
//! nothing may reach into the machine's own namespace (`kind: host`, a
//! `physical` interface moved from it), no sysctl may be one the kernel
//! keeps for the machine's first namespace or does not let a user
//! namespace's root write ([`sysctl`]), nothing may be owned by another
//! user than the one the lab's user namespace maps (`owner:` of dirs,
//! files and taps). Image nodes are not refused here: a lab without root
//! runs them with the user's rootless Podman, from the user's image store
//! (`$XDG_DATA_HOME/nslab/images`), and `up` checks that the image is
//! there, as it checks Podman's store with root.
//!
//! [`refusals`] is pure: every problem it returns points at the token in
//! the file, with the reason and the fix.

use crate::loc::Loc;
use crate::problem::{Problem, ProblemKind, Problems};
use crate::topology::{AnyHostInterfaces, DeviceKind, IfKind, Node, NodeKind, Owner, Topology};

/// What the kernel does with a `net.*` sysctl in a network namespace whose
/// owner is a user namespace other than the machine's first one (a
/// rootless lab's node), as found on Linux 6.18 (the table in
/// `tests/data/rootless-sysctls.txt` and the script that makes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sysctl {
    /// Per namespace, and the namespace's owner may write it.
    Writable,
    /// Not per namespace: only the machine's first network namespace has
    /// it (the machine's value, for every namespace).
    Global,
    /// Shown in the lab's namespace but read-only there (a value the
    /// kernel shares with the machine, or one it only reports).
    ReadOnly,
    /// Per namespace, but the kernel does not show it in a namespace a
    /// user namespace owns ("Don't export sysctls to unprivileged users").
    Hidden,
    /// A range of group ids: the kernel takes only ids mapped into the
    /// writer's user namespace, and a rootless lab's maps one group, the
    /// user's own, as 0.
    GroupRange,
}

/// How a key is matched: the whole key, its start, or its start and end
/// (an interface name, which may hold dots, between them).
#[derive(Clone, Copy)]
enum Pat {
    Is(&'static str),
    Starts(&'static str),
    Around(&'static str, &'static str),
}

impl Pat {
    fn matches(self, key: &str) -> bool {
        match self {
            Pat::Is(k) => key == k,
            Pat::Starts(p) => key.starts_with(p),
            Pat::Around(p, s) => {
                key.len() > p.len() + s.len() && key.starts_with(p) && key.ends_with(s)
            }
        }
    }
}

use Pat::*;
use Sysctl::*;

/// The kernel's tables, first match wins. `net.core`, `net.ipv4.route`
/// and `net.ipv6.route` are the machine's except the few per-namespace
/// keys listed before them (the kernel's `netns_core_table`,
/// `ipv4_route_netns_table`; `ipv6_route_table_template` shows only
/// `max_size` to a user namespace). Anything not here is per namespace
/// (`conf.*`, `neigh.*`, `ip_forward`, `tcp_*`, ...).
const RULES: &[(Pat, Sysctl)] = &[
    (Starts("net.core.xfrm_"), Hidden),
    (Starts("net.core.rmem_"), ReadOnly),
    (Starts("net.core.wmem_"), ReadOnly),
    (Is("net.core.somaxconn"), Writable),
    (Is("net.core.optmem_max"), Writable),
    (Is("net.core.txrehash"), Writable),
    (Is("net.core.tstamp_allow_data"), Writable),
    (Is("net.core.rps_default_mask"), Writable),
    (Starts("net.core."), Global),
    (Is("net.ipv4.route.flush"), Writable),
    (Is("net.ipv4.route.min_pmtu"), Writable),
    (Is("net.ipv4.route.mtu_expires"), Writable),
    (Is("net.ipv4.route.min_adv_mss"), Writable),
    (Starts("net.ipv4.route."), Global),
    (Is("net.ipv6.route.max_size"), Writable),
    (Starts("net.ipv6.route."), Hidden),
    (Starts("net.ipv4.vs."), Hidden),
    (Around("net.ipv4.conf.", ".mc_forwarding"), ReadOnly),
    (Around("net.ipv6.conf.", ".mc_forwarding"), ReadOnly),
    (Is("net.ipv6.conf.all.stable_secret"), ReadOnly),
    (Is("net.ipv4.ping_group_range"), GroupRange),
    (Is("net.ipv4.tcp_allowed_congestion_control"), ReadOnly),
    (Is("net.ipv4.tcp_ehash_entries"), ReadOnly),
    (Is("net.ipv4.udp_hash_entries"), ReadOnly),
    (Starts("net.ipv4.cipso_"), Global),
    (Starts("net.ipv4.inet_peer_"), Global),
    (Is("net.ipv4.fib_sync_mem"), Global),
    (Is("net.ipv4.ipfrag_secret_interval"), Global),
    (Is("net.ipv4.tcp_available_ulp"), Global),
    (Is("net.ipv4.tcp_low_latency"), Global),
    (Is("net.ipv4.tcp_max_orphans"), Global),
    (Is("net.ipv4.tcp_mem"), Global),
    (Is("net.ipv4.udp_mem"), Global),
    (Starts("net.ipv6.calipso_"), Global),
    (Is("net.ipv6.ip6frag_secret_interval"), Global),
    (Is("net.ipv6.mld_max_msf"), Global),
    (Is("net.ipv6.mld_qrv"), Global),
    (Is("net.netfilter.nf_log_all_netns"), Global),
    (Is("net.nf_conntrack_max"), Global),
    (Is("net.netfilter.nf_conntrack_max"), ReadOnly),
    (Is("net.netfilter.nf_conntrack_buckets"), ReadOnly),
    (Is("net.netfilter.nf_conntrack_expect_max"), ReadOnly),
    (Is("net.netfilter.nf_conntrack_count"), ReadOnly),
];

/// What the kernel does with `key` in a rootless lab's namespace.
pub fn sysctl(key: &str) -> Sysctl {
    if let Some((_, v)) = RULES.iter().find(|(p, _)| p.matches(key)) {
        return *v;
    }
    // Lists the kernel only reports (`tcp_available_congestion_control`,
    // `mptcp.available_schedulers`).
    let last = key.rsplit('.').next().unwrap_or(key);
    if last.contains("available_") {
        ReadOnly
    } else {
        Writable
    }
}

/// Whether `value` for `key` can be written in a rootless lab: a writable
/// key, or a group range of the one mapped group (`0 0`).
pub fn sysctl_allowed(key: &str, value: &str) -> bool {
    match sysctl(key) {
        Writable => true,
        GroupRange => value.split_whitespace().all(|g| g == "0"),
        Global | ReadOnly | Hidden => false,
    }
}

/// Why `key` is refused, and how to do without it.
fn sysctl_reason(key: &str, why: Sysctl) -> (String, String) {
    match why {
        Global => (
            format!("sysctl `{key}` is not per namespace: only the machine's own network namespace has it, and a lab without root cannot change the machine"),
            format!("remove `{key}`: no lab's namespace has it, made with root or without (it is the machine's: `sysctl -w` on the machine sets it for every namespace)"),
        ),
        ReadOnly => (
            format!("sysctl `{key}` is read-only in a lab's namespace (the kernel shares it with the machine, or only reports it)"),
            format!("remove `{key}`: a lab's namespace cannot change it, made with root or without"),
        ),
        Hidden => (
            format!("sysctl `{key}` is not shown in a namespace that a user namespace owns: the kernel keeps it for root"),
            format!("remove `{key}`, or run the lab as root"),
        ),
        GroupRange | Writable => (
            format!("`{key}` takes only group ids mapped into the lab's user namespace, and a lab without root maps one: yours, as 0"),
            format!("write `{key}: 0 0`, or run the lab as root"),
        ),
    }
}

/// Everything in `topo` a lab without root cannot have, each at its token
/// in the file with the reason and the fix (empty: the file can be made
/// rootless).
pub fn refusals(topo: &Topology) -> Vec<Problem> {
    let mut out = Vec::new();
    let file = topo.source.name.clone();
    let mut push = |loc: Loc, message: String, hint: String| {
        out.push(Problem {
            kind: ProblemKind::Rootless,
            message,
            file: file.clone(),
            loc,
            hint,
        });
    };
    for (name, node) in &topo.nodes {
        let p = format!("nodes.{name}");
        if node.kind == NodeKind::Host {
            push(
                topo.spans.get_or(&format!("{p}.kind"), node.loc),
                format!("node `{name}` is the machine's own namespace (`kind: host`): a lab without root cannot change the machine"),
                "make it a node of the lab (remove `kind: host`), or run the lab as root".into(),
            );
        }
        for (ifname, iface) in &node.interfaces {
            let ip = format!("{p}.interfaces.{ifname}");
            match &iface.kind {
                IfKind::Physical { from } => push(
                    topo.spans.get_or(&format!("{ip}.kind"), iface.loc),
                    format!("{name}:{ifname} is the machine's interface `{from}` (`kind: physical`): moving it into a lab needs CAP_NET_ADMIN in the machine's namespace"),
                    "use a link (a veth pair) to another node instead, or run the lab as root".into(),
                ),
                IfKind::Device(DeviceKind::Tap(t)) if t.owner.is_some_and(|o| o != 0) => push(
                    topo.spans.get_or(&format!("{ip}.owner"), iface.loc),
                    format!("{name}:{ifname} is to be owned by user {}: {ONE_ID}", t.owner.unwrap_or(0)),
                    "remove `owner:` (the tap is then yours), or run the lab as root".into(),
                ),
                _ => {}
            }
        }
        for (at, what, owner) in owners(topo, &p, node) {
            push(
                at,
                format!("{what} is to be owned by `{owner}`: {ONE_ID}"),
                "remove `owner:` (it is then yours), or run the lab as root".into(),
            );
        }
        for (key, value) in &node.sysctls {
            if !sysctl_allowed(key.as_str(), value) {
                let (message, hint) = sysctl_reason(key.as_str(), sysctl(key.as_str()));
                push(
                    topo.spans.get_or(&format!("{p}.sysctls.{key}"), node.loc),
                    message,
                    hint,
                );
            }
        }
    }
    out
}

/// Why only the user can own what a rootless lab makes.
const ONE_ID: &str = "a lab without root maps one user and one group into its user namespace, yours, as root (0), and the kernel gives files and taps only to mapped ids";

/// The `owner:` of a node's dirs and files that is not root (0, the
/// user inside the lab): where it is, what it owns, the owner.
fn owners(topo: &Topology, p: &str, node: &Node) -> Vec<(Loc, String, String)> {
    let root = |w: &str| w == "root" || w == "0";
    let not_root = |o: &Owner| !root(&o.user) || o.group.as_deref().is_some_and(|g| !root(g));
    let dirs = node.dirs.iter().filter_map(|d| {
        let o = d.owner.as_ref().filter(|o| not_root(o))?;
        let at = topo
            .spans
            .get_or(&format!("{p}.dirs.{}.owner", d.path), d.loc);
        Some((at, format!("directory `{}`", d.path), o.to_string()))
    });
    let files = node.files.iter().filter_map(|(path, f)| {
        let o = f.owner.as_ref().filter(|o| not_root(o))?;
        let at = if f.owner_loc.is_known() {
            f.owner_loc
        } else {
            f.loc
        };
        Some((at, format!("file `{path}`"), o.to_string()))
    });
    dirs.chain(files).collect()
}

/// [`refusals`] as a result: `Err` holds every refusal, in file order, as
/// `nslab` prints problems (status 2, nothing made).
pub fn check(topo: &Topology) -> Result<(), Problems> {
    let list = refusals(topo);
    if list.is_empty() {
        Ok(())
    } else {
        Err(Problems::new(topo.source.clone(), list))
    }
}

/// `problems` of a file validated against this machine, as a lab without
/// root sees them: when the file is valid but for the machine (a
/// `physical` interface it lacks, a program, an image), a missing
/// `physical` interface gives way to its refusal and every other refusal
/// is added, so one run says all. Otherwise `problems` as they are.
pub fn with_refusals(problems: Problems) -> Problems {
    let source = problems.source().clone();
    let Ok(topo) = crate::parse_str(&source.name, &source.text, &AnyHostInterfaces) else {
        return problems;
    };
    let mut list: Vec<Problem> = problems
        .iter()
        .filter(|p| p.kind != ProblemKind::PhysicalMissing)
        .cloned()
        .collect();
    list.extend(refusals(&topo));
    Problems::new(source, list)
}
