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
    sysctl_allowed_in(key, value, Mapped::ONE)
}

/// [`sysctl_allowed`] in a lab whose user namespace maps `mapped`: a group
/// range of mapped gids.
pub fn sysctl_allowed_in(key: &str, value: &str, mapped: Mapped) -> bool {
    match sysctl(key) {
        Writable => true,
        GroupRange => value
            .split_whitespace()
            .all(|g| g.parse::<u64>().is_ok_and(|g| g < mapped.gids)),
        Global | ReadOnly | Hidden => false,
    }
}

/// Why `key` is refused, and how to do without it.
fn sysctl_reason(key: &str, why: Sysctl, mapped: Mapped) -> (String, String) {
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
            format!("`{key}` takes only group ids mapped into the lab's user namespace: {}", not_mapped(mapped)),
            format!("write `{key}: 0 {}`, or run the lab as root", mapped.gids - 1),
        ),
    }
}

/// The ids a lab's user namespace maps: uids `0..uids` and gids
/// `0..gids` inside (the user's own as 0; with subordinate ids, the rest
/// from them). [`Mapped::ONE`] without subordinate ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapped {
    pub uids: u64,
    pub gids: u64,
}

impl Mapped {
    /// The user's own uid and gid as 0, nothing else.
    pub const ONE: Mapped = Mapped { uids: 1, gids: 1 };

    fn has(self, (uid, gid): (u32, u32)) -> bool {
        u64::from(uid) < self.uids && u64::from(gid) < self.gids
    }
}

/// How an `owner:` is found: its uid and gid (the user's own group when
/// none is written), `None` when the machine has no such user or group
/// (not refused here: the file's own problem says so).
pub type OwnerIds<'a> = &'a dyn Fn(&Owner) -> Option<(u32, u32)>;

/// Owners by number alone (`root` is 0): what [`refusals`] knows without
/// the machine's users; any other name is taken as unmapped.
fn numeric(o: &Owner) -> Option<(u32, u32)> {
    let id = |w: &str| match w {
        "root" => 0,
        w => w.parse().unwrap_or(u32::MAX),
    };
    let uid = id(&o.user);
    let gid = o.group.as_deref().map_or(uid, id);
    Some((uid, gid))
}

/// [`refusals_for`] with the one-id map, owners known by number (and
/// `root`) alone: any other owner is refused.
pub fn refusals(topo: &Topology) -> Vec<Problem> {
    refusals_for(topo, Mapped::ONE, &numeric)
}

/// Everything in `topo` a lab without root whose user namespace maps
/// `mapped` cannot have, each at its token in the file with the reason and
/// the fix (empty: the file can be made rootless). `ids` finds an owner's
/// ids, as `up` will (the machine's users and groups).
pub fn refusals_for(topo: &Topology, mapped: Mapped, ids: OwnerIds) -> Vec<Problem> {
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
                IfKind::Device(DeviceKind::Tap(t))
                    if t.owner.is_some_and(|o| u64::from(o) >= mapped.uids) =>
                {
                    push(
                        topo.spans.get_or(&format!("{ip}.owner"), iface.loc),
                        format!(
                            "{name}:{ifname} is to be owned by user {}: {}",
                            t.owner.unwrap_or(0),
                            not_mapped(mapped)
                        ),
                        owner_hint("the tap", mapped),
                    )
                }
                _ => {}
            }
        }
        for (at, what, owner) in owners(topo, &p, node, mapped, ids) {
            push(
                at,
                format!("{what} is to be owned by `{owner}`: {}", not_mapped(mapped)),
                owner_hint("it", mapped),
            );
        }
        for (key, value) in &node.sysctls {
            if !sysctl_allowed_in(key.as_str(), value, mapped) {
                let (message, hint) = sysctl_reason(key.as_str(), sysctl(key.as_str()), mapped);
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

/// How to get subordinate ids, which a lab without root maps.
pub const SUBIDS_HINT: &str = "give your user subordinate ids (as root: `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER` and `apt-get install uidmap`), which the lab then maps (docs/rootless.md)";

/// Why an owner outside `mapped` cannot own what the lab makes.
fn not_mapped(mapped: Mapped) -> String {
    if mapped == Mapped::ONE {
        "a lab without root maps one user and one group into its user namespace, yours, as root (0), and the kernel gives files and taps only to mapped ids".into()
    } else {
        format!(
            "a lab without root maps uids 0-{} and gids 0-{} into its user namespace (yours as 0, then your subordinate ids), and the kernel gives files and taps only to mapped ids",
            mapped.uids - 1,
            mapped.gids - 1
        )
    }
}

fn owner_hint(what: &str, mapped: Mapped) -> String {
    if mapped == Mapped::ONE {
        format!("remove `owner:` ({what} is then yours); or {SUBIDS_HINT}; or run the lab as root")
    } else {
        format!("remove `owner:` ({what} is then yours), write an owner among the mapped ids, add subordinate ids to your range (/etc/subuid, /etc/subgid), or run the lab as root")
    }
}

/// The `owner:` of a node's dirs and files that `mapped` does not map:
/// where it is, what it owns, the owner.
fn owners(
    topo: &Topology,
    p: &str,
    node: &Node,
    mapped: Mapped,
    ids: OwnerIds,
) -> Vec<(Loc, String, String)> {
    let outside = |o: &Owner| ids(o).is_some_and(|i| !mapped.has(i));
    let dirs = node.dirs.iter().filter_map(|d| {
        let o = d.owner.as_ref().filter(|o| outside(o))?;
        let at = topo
            .spans
            .get_or(&format!("{p}.dirs.{}.owner", d.path), d.loc);
        Some((at, format!("directory `{}`", d.path), o.to_string()))
    });
    let files = node.files.iter().filter_map(|(path, f)| {
        let o = f.owner.as_ref().filter(|o| outside(o))?;
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
    check_for(topo, Mapped::ONE, &numeric)
}

/// [`check`] with the map the lab will get and the machine's owners.
pub fn check_for(topo: &Topology, mapped: Mapped, ids: OwnerIds) -> Result<(), Problems> {
    let list = refusals_for(topo, mapped, ids);
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
    with_refusals_for(problems, Mapped::ONE, &numeric)
}

/// [`with_refusals`] with the map the lab will get and the machine's owners.
pub fn with_refusals_for(problems: Problems, mapped: Mapped, ids: OwnerIds) -> Problems {
    let source = problems.source().clone();
    let Ok(topo) = crate::parse_str(&source.name, &source.text, &AnyHostInterfaces) else {
        return problems;
    };
    let mut list: Vec<Problem> = problems
        .iter()
        .filter(|p| p.kind != ProblemKind::PhysicalMissing)
        .cloned()
        .collect();
    list.extend(refusals_for(&topo, mapped, ids));
    Problems::new(source, list)
}
