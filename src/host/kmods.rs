//! The kernel modules a lab needs, and a warning for each one this kernel
//! has neither loaded, built in nor installed: said by `validate` and
//! `plan` before `up` fails on it (a VLAN on a kernel without `8021q` is
//! refused with "Operation not supported" after everything before it was
//! made and undone).

use crate::state::nat::{Action, Match, Rule};
use crate::state::{LinkKind, State};
use nslab_model::{StepKind, Topology};
use nslab_sys::kmod::{Have, Module, Modules};
use nslab_types::DeviceKind;
use std::collections::BTreeMap;

const fn module(name: &'static str, config: &'static str) -> Module {
    Module { name, config }
}

const VETH: Module = module("veth", "CONFIG_VETH");
const BRIDGE: Module = module("bridge", "CONFIG_BRIDGE");
const VLAN: Module = module("8021q", "CONFIG_VLAN_8021Q");
const MACVLAN: Module = module("macvlan", "CONFIG_MACVLAN");
const IPVLAN: Module = module("ipvlan", "CONFIG_IPVLAN");
const VXLAN: Module = module("vxlan", "CONFIG_VXLAN");
const TUN: Module = module("tun", "CONFIG_TUN");
const DUMMY: Module = module("dummy", "CONFIG_DUMMY");
const VRF: Module = module("vrf", "CONFIG_NET_VRF");
const NETEM: Module = module("sch_netem", "CONFIG_NET_SCH_NETEM");
const NF_TABLES: Module = module("nf_tables", "CONFIG_NF_TABLES");
const NAT_CHAIN: Module = module("nft_chain_nat", "CONFIG_NFT_NAT");
const NAT: Module = module("nft_nat", "CONFIG_NFT_NAT");
const MASQ: Module = module("nft_masq", "CONFIG_NFT_MASQ");
const FIB: Module = module("nft_fib_inet", "CONFIG_NFT_FIB_INET");
const CT: Module = module("nft_ct", "CONFIG_NFT_CT");

/// The modules an interface of kind `kind` needs (none for a physical
/// interface, which exists already).
pub fn for_link(kind: &LinkKind) -> &'static [Module] {
    match kind {
        LinkKind::Veth { .. } => &[VETH],
        LinkKind::Physical { .. } | LinkKind::Other { .. } => &[],
        LinkKind::Device(d) => match d {
            DeviceKind::Bridge(_) => &[BRIDGE],
            DeviceKind::Vlan(_) => &[VLAN],
            DeviceKind::Macvlan(_) => &[MACVLAN],
            DeviceKind::Ipvlan(_) => &[IPVLAN],
            DeviceKind::Vxlan(_) => &[VXLAN],
            DeviceKind::Tap(_) => &[TUN],
            DeviceKind::Dummy(_) => &[DUMMY],
            DeviceKind::Vrf(_) => &[VRF],
        },
    }
}

/// The modules an `impair:` needs.
pub fn for_impair() -> &'static [Module] {
    &[NETEM]
}

/// The modules a NAT rule needs: nftables with its NAT chain type (a
/// forward rule sits in a filter chain, nf_tables' own), and the
/// expressions the rule uses.
pub fn for_nat_rule(rule: &Rule) -> Vec<Module> {
    let mut out = vec![NF_TABLES];
    if rule.hook != crate::state::nat::Hook::Forward {
        out.push(NAT_CHAIN);
    }
    for m in &rule.rule.matches {
        match m {
            Match::DstLocal => out.push(FIB),
            Match::CtStatusDnat => out.push(CT),
            _ => {}
        }
    }
    match rule.rule.action {
        Action::Masquerade => out.push(MASQ),
        Action::Dnat { .. } => out.push(NAT),
        // A verdict is nf_tables' own.
        Action::Accept | Action::Drop => {}
    }
    out
}

/// The modules a scenario step needs (a partition is an nftables table).
pub fn for_step(step: &StepKind) -> &'static [Module] {
    match step {
        StepKind::Impair {
            impair: Some(_), ..
        } => &[NETEM],
        StepKind::Partition { .. } => &[NF_TABLES],
        _ => &[],
    }
}

/// Each module the file `t` (whose desired state is `desired`) needs, with
/// what needs it (`node:ifname (kind)`, `node (nat)`, `scenario NAME
/// (partition)`), in file order.
pub fn needed(t: &Topology, desired: &State) -> BTreeMap<Module, Vec<String>> {
    let mut out: BTreeMap<Module, Vec<String>> = BTreeMap::new();
    let mut need = |m: Module, what: String| {
        let users = out.entry(m).or_default();
        if !users.contains(&what) {
            users.push(what);
        }
    };
    for (node, n) in &desired.nodes {
        for (ifname, l) in &n.links {
            for m in for_link(&l.kind) {
                need(*m, format!("{node}:{ifname} ({})", l.kind.name()));
            }
            if l.impair.is_some() {
                for m in for_impair() {
                    need(*m, format!("{node}:{ifname} (impair)"));
                }
            }
        }
        for rule in n.nat.iter().flat_map(|nat| &nat.rules) {
            for m in for_nat_rule(rule) {
                need(m, format!("{node} (nat)"));
            }
        }
    }
    for s in &t.scenarios {
        for step in &s.steps {
            for m in for_step(&step.kind) {
                need(
                    *m,
                    format!("scenario {} ({})", s.name, step_name(&step.kind)),
                );
            }
        }
    }
    out
}

fn step_name(step: &StepKind) -> &'static str {
    match step {
        StepKind::Partition { .. } => "partition",
        _ => "impair",
    }
}

/// A warning for each module the file `t` (whose desired state is
/// `desired`) needs that this kernel lacks, as its files say (no process
/// started, nothing loaded); none when they cannot tell.
pub fn warnings(t: &Topology, desired: &State) -> Vec<String> {
    let needed = needed(t, desired);
    if needed.is_empty() {
        return Vec::new();
    }
    warnings_with(&needed, &Modules::read())
}

fn warnings_with(needed: &BTreeMap<Module, Vec<String>>, modules: &Modules) -> Vec<String> {
    const SHOWN: usize = 3;
    let mut out = Vec::new();
    for (m, users) in needed {
        let Have::Missing(why) = modules.have(m) else {
            continue;
        };
        let mut who = users
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if users.len() > SHOWN {
            who.push_str(&format!(" and {} more", users.len() - SHOWN));
        }
        let verb = if users.len() == 1 { "needs" } else { "need" };
        out.push(format!(
            "{who} {verb} kernel module {}, which this kernel lacks: {why}; `nslab up` will fail \
             (it needs a kernel with {}, or the module installed)",
            m.name, m.config
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::nat::{Hook, L4};

    fn names(ms: &[Module]) -> Vec<&'static str> {
        ms.iter().map(|m| m.name).collect()
    }

    fn needed_by(text: &str) -> (State, BTreeMap<Module, Vec<String>>) {
        let t = nslab_model::parse_str("k.yaml", text, &nslab_model::AnyHostInterfaces)
            .expect("parses");
        let desired = crate::state::desired::desired(&t);
        let needed = needed(&t, &desired);
        (desired, needed)
    }

    /// A file with every kind of interface it can name.
    const EVERY_KIND: &str = "lab: k\nnodes:\n  n:\n    interfaces:\n      eth0: { impair: { delay: 5ms } }\n      br0: { kind: bridge }\n      v: { kind: vlan, parent: eth0, id: 10 }\n      m: { kind: macvlan, parent: eth0 }\n      eth1: {}\n      i: { kind: ipvlan, parent: eth1 }\n      x: { kind: vxlan, vni: 7, remote: 10.0.0.2 }\n      t: { kind: tap }\n      d: { kind: dummy }\n      r: { kind: vrf, table: 10 }\n  o:\n    interfaces:\n      eth0: {}\n      eth1: {}\nlinks:\n  - [n:eth0, o:eth0]\n  - [n:eth1, o:eth1]\n";

    /// Every kind of interface the file can name, with the module the
    /// kernel needs to make it (a kind added to `DeviceKind` does not
    /// compile until [`for_link`] gives it its modules).
    #[test]
    fn each_kind_needs_its_module() {
        let (desired, needed) = needed_by(EVERY_KIND);
        let kinds: BTreeMap<String, Vec<&str>> = desired.nodes["n"]
            .links
            .values()
            .map(|l| (l.kind.name().to_string(), names(for_link(&l.kind))))
            .collect();
        let want: BTreeMap<String, Vec<&str>> = [
            ("veth", "veth"),
            ("bridge", "bridge"),
            ("vlan", "8021q"),
            ("macvlan", "macvlan"),
            ("ipvlan", "ipvlan"),
            ("vxlan", "vxlan"),
            ("tap", "tun"),
            ("dummy", "dummy"),
            ("vrf", "vrf"),
        ]
        .into_iter()
        .map(|(k, m)| (k.to_string(), vec![m]))
        .collect();
        assert_eq!(kinds, want);
        let physical = LinkKind::Physical {
            from: "ens3".into(),
        };
        assert!(for_link(&physical).is_empty(), "it exists already");
        assert_eq!(names(for_impair()), ["sch_netem"]);
        assert_eq!(
            needed.get(&NETEM),
            Some(&vec!["n:eth0 (impair)".to_string()])
        );
    }

    /// Scenario steps: an impairment needs netem, a partition nftables.
    #[test]
    fn each_fault_step_needs_its_module() {
        let text = "lab: k\nnodes:\n  a:\n    interfaces:\n      eth0: {}\n  b:\n    interfaces:\n      eth0: {}\nlinks:\n  - [a:eth0, b:eth0]\nscenarios:\n  s:\n    - partition: [[a], [b]]\n    - impair: { interface: a:eth0, delay: 10ms }\n    - impair: { interface: a:eth0, clear: true }\n    - link: a:eth0 down\n";
        let (_, needed) = needed_by(text);
        let got: BTreeMap<&str, Vec<String>> = needed
            .into_iter()
            .map(|(m, users)| (m.name, users))
            .collect();
        let want: BTreeMap<&str, Vec<String>> = [
            ("veth", vec!["a:eth0 (veth)", "b:eth0 (veth)"]),
            ("nf_tables", vec!["scenario s (partition)"]),
            ("sch_netem", vec!["scenario s (impair)"]),
        ]
        .into_iter()
        .map(|(m, u)| (m, u.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(got, want);
    }

    /// NAT: nftables and its NAT chain type, and the module of each
    /// expression a rule uses.
    #[test]
    fn each_nat_rule_needs_its_expressions() {
        let rule =
            |matches: Vec<Match>, action: Action| Rule::new(Hook::Postrouting, matches, action);
        let dnat = Action::Dnat {
            addr: "10.0.0.2".parse().expect("address"),
            port: Some(80),
        };
        for (r, want) in [
            (
                rule(
                    vec![Match::SrcNet("10.0.0.0/24".parse().expect("cidr"))],
                    Action::Masquerade,
                ),
                vec!["nf_tables", "nft_chain_nat", "nft_masq"],
            ),
            (
                rule(
                    vec![
                        Match::DstLocal,
                        Match::L4Proto(L4::Tcp),
                        Match::DstPort(8080),
                    ],
                    dnat.clone(),
                ),
                vec!["nf_tables", "nft_chain_nat", "nft_fib_inet", "nft_nat"],
            ),
            (
                rule(vec![Match::CtStatusDnat], Action::Masquerade),
                vec!["nf_tables", "nft_chain_nat", "nft_ct", "nft_masq"],
            ),
        ] {
            assert_eq!(names(&for_nat_rule(&r)), want, "{r:?}");
        }
    }

    /// A warning names the module, what needs it and why it is missing;
    /// modules loaded, built in or installed give none (a fake modules
    /// root).
    #[test]
    fn only_what_the_kernel_lacks_is_warned_about() {
        let needed = needed_by(EVERY_KIND).1;
        let root = std::env::temp_dir().join(format!("nslab-kmods-{}", std::process::id()));
        let dir = root.join("lib/modules/6.1.0-test");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::create_dir_all(root.join("proc/sys/kernel")).expect("mkdir");
        std::fs::write(root.join("proc/sys/kernel/osrelease"), "6.1.0-test\n").expect("write");
        std::fs::write(
            root.join("proc/modules"),
            "veth 1 0 - Live 0x0\nbridge 1 0 - Live 0x0\n",
        )
        .expect("write");
        std::fs::write(
            dir.join("modules.builtin"),
            "kernel/drivers/net/tun.ko\nkernel/drivers/net/dummy.ko\nkernel/drivers/net/macvlan.ko\n",
        )
        .expect("write");
        std::fs::write(
            dir.join("modules.dep"),
            "kernel/drivers/net/vxlan/vxlan.ko.zst:\nkernel/drivers/net/vrf.ko.zst:\n",
        )
        .expect("write");
        let modules = Modules::read_at(&root);
        let warned = warnings_with(&needed, &modules);
        let _ = std::fs::remove_dir_all(&root);
        let missing: Vec<&str> = ["8021q", "ipvlan", "sch_netem"].to_vec();
        assert_eq!(warned.len(), missing.len(), "{warned:#?}");
        for (w, m) in warned.iter().zip(&missing) {
            assert!(
                w.contains(&format!("kernel module {m},")) && w.contains("modules.dep"),
                "{w}"
            );
        }
        assert!(
            warned[0].starts_with("n:v (vlan) needs kernel module 8021q,"),
            "{}",
            warned[0]
        );
    }
}
