//! The kernel side of the network, through the engine's own host layer
//! (the same [`Op`]s a lab's plan is made of, so the same netlink and
//! nftables code, the same marks): the bridge with the gateways, a veth
//! per attachment with its container end made directly in `CNI_NETNS`,
//! the container's addresses and default route, and the network's one
//! nftables table, rewritten whole (atomically) from the IPAM store on
//! every change.

use super::conf::Conf;
use super::error::CniError;
use super::ipam::{Attachment, Store};
use crate::host::linux::Linux;
use crate::host::query::{link_seen, LinkSeen, HOST};
use crate::host::{Host, OpError};
use crate::plan::{At, LinkChange, NewEnd, Op};
use crate::state::nat::{Action, Hook, Match, Nat, Rule, L4};
use crate::state::{Bridge, Cidr, DeviceKind, LinkKind, RouteState};
use std::net::{IpAddr, SocketAddr};

pub fn host_at() -> At {
    At {
        node: HOST.into(),
        netns: None,
    }
}

fn container_at(container_id: &str, netns: &str) -> At {
    let short: String = container_id.chars().take(12).collect();
    At {
        node: format!("cni-{short}"),
        netns: Some(netns.to_string()),
    }
}

/// FNV-1a: a stable hash for names (the same in every run and build).
fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The host end of an attachment's veth: found from the attachment alone,
/// so a DEL after a plugin killed before it recorded anything still finds
/// it (`nsl` and 12 hex digits: 15 characters).
pub fn host_veth(network: &str, container_id: &str, ifname: &str) -> String {
    format!("nsl{:012x}", fnv(&[network, container_id, ifname]) >> 16)
}

/// Docker's MAC for an IPv4 address (`02:42` and the address), or one
/// from the attachment's hash (locally administered, unicast).
pub fn mac_for(addrs: &[Cidr], network: &str, container_id: &str, ifname: &str) -> [u8; 6] {
    if let Some(IpAddr::V4(v4)) = addrs.iter().map(|c| c.addr).find(IpAddr::is_ipv4) {
        let o = v4.octets();
        return [0x02, 0x42, o[0], o[1], o[2], o[3]];
    }
    let h = fnv(&[network, container_id, ifname]).to_be_bytes();
    [0x02, h[1], h[2], h[3], h[4], h[5]]
}

fn op_err(e: OpError) -> CniError {
    CniError::kernel(&format!("{} failed", e.op), &e.cause)
}

/// `op`, where "already there" (for additions) counts as done.
fn apply_idem(host: &mut Linux, op: &Op) -> Result<(), CniError> {
    match host.apply(op) {
        Err(e) if e.cause.errno() == Some(libc::EEXIST) => Ok(()),
        r => r.map_err(op_err),
    }
}

fn seen(netns: Option<&str>, ifname: &str) -> Result<Option<LinkSeen>, CniError> {
    link_seen(netns, ifname).map_err(|e| CniError::kernel(&format!("cannot read {ifname}"), e))
}

/// The bridge, marked as the network's, up, with the gateways. A bridge
/// of that name that is not the network's is refused, never taken over.
pub fn ensure_bridge(host: &mut Linux, conf: &Conf) -> Result<(), CniError> {
    let mark = host.alias().to_string();
    match seen(None, &conf.bridge)? {
        Some(l) if l.alias.as_deref() != Some(mark.as_str()) => {
            return Err(CniError::new(
                super::error::Code::InvalidConfig,
                format!(
                    "bridge {} exists and is not network {}'s",
                    conf.bridge, conf.name
                ),
            )
            .details("choose another `bridge`, or remove that interface"));
        }
        Some(_) => {}
        None => apply_idem(
            host,
            &Op::AddLink {
                end: NewEnd {
                    at: host_at(),
                    ifname: conf.bridge.clone(),
                    mtu: conf.mtu,
                    mac: None,
                },
                kind: LinkKind::Device(DeviceKind::Bridge(Bridge::default())),
                parent_at: None,
            },
        )?,
    }
    for (net, gw) in &conf.subnets {
        apply_idem(
            host,
            &Op::AddAddress {
                at: host_at(),
                ifname: conf.bridge.clone(),
                cidr: net.with_addr(*gw),
            },
        )?;
    }
    set_link(
        host,
        host_at(),
        &conf.bridge,
        LinkChange {
            up: Some(true),
            ..LinkChange::default()
        },
    )
}

fn set_link(host: &mut Linux, at: At, ifname: &str, change: LinkChange) -> Result<(), CniError> {
    host.apply(&Op::SetLink {
        at,
        ifname: ifname.to_string(),
        change,
    })
    .map_err(op_err)
}

/// The attachment's veth, addresses and default routes.
pub fn attach(host: &mut Linux, conf: &Conf, a: &Attachment) -> Result<(), CniError> {
    let Some(veth) = &a.host_veth else {
        return Ok(());
    };
    let cidrs = a.cidrs();
    let inside = container_at(&a.container_id, &a.netns);
    // A half-made veth of an earlier, killed ADD goes first.
    detach_veth(host, veth)?;
    host.apply(&Op::AddVeth {
        a: NewEnd {
            at: host_at(),
            ifname: veth.clone(),
            mtu: conf.mtu,
            mac: None,
        },
        b: NewEnd {
            at: inside.clone(),
            ifname: a.ifname.clone(),
            mtu: conf.mtu,
            mac: Some(mac_for(&cidrs, &conf.name, &a.container_id, &a.ifname)),
        },
    })
    .map_err(op_err)?;
    set_link(
        host,
        host_at(),
        veth,
        LinkChange {
            master: Some(Some(conf.bridge.clone())),
            ..LinkChange::default()
        },
    )?;
    set_link(
        host,
        host_at(),
        veth,
        // Hairpin, as Docker sets it: with br_netfilter loaded, a
        // container reaching its own published port is DNATed at the
        // bridge and sent back out of the port it came in on.
        LinkChange {
            up: Some(true),
            hairpin: Some(true),
            ..LinkChange::default()
        },
    )?;
    configure_inside(host, conf, a, &inside)
}

/// The container's end: DAD off for IPv6, its addresses, up, and (unless
/// the network is internal) a default route per subnet it has an address in.
fn configure_inside(
    host: &mut Linux,
    conf: &Conf,
    a: &Attachment,
    inside: &At,
) -> Result<(), CniError> {
    let cidrs = a.cidrs();
    if cidrs.iter().any(|c| c.addr.is_ipv6()) {
        // Usable at once, as Docker's are: no duplicate address detection
        // on a network whose addresses nslab alone hands out.
        host.apply(&Op::SetSysctl {
            at: inside.clone(),
            key: format!("net.ipv6.conf.{}.accept_dad", a.ifname),
            value: "0".into(),
        })
        .map_err(op_err)?;
    }
    for c in &cidrs {
        apply_idem(
            host,
            &Op::AddAddress {
                at: inside.clone(),
                ifname: a.ifname.clone(),
                cidr: *c,
            },
        )?;
    }
    set_link(
        host,
        inside.clone(),
        &a.ifname,
        LinkChange {
            up: Some(true),
            ..LinkChange::default()
        },
    )?;
    if !conf.internal {
        for (net, gw) in &conf.subnets {
            if !cidrs.iter().any(|c| net.contains(c.addr)) {
                continue;
            }
            apply_idem(
                host,
                &Op::AddRoute {
                    at: inside.clone(),
                    route: default_route(*gw, &a.ifname),
                },
            )?;
        }
    }
    Ok(())
}

pub fn default_route(gw: IpAddr, ifname: &str) -> RouteState {
    RouteState {
        to: None,
        v6: gw.is_ipv6(),
        via: Some(gw),
        dev: Some(ifname.to_string()),
        metric: None,
        src: None,
        table: None,
    }
}

/// Deletes the host end of a veth (its container end goes with it); one
/// already gone is fine.
pub fn detach_veth(host: &mut Linux, veth: &str) -> Result<(), CniError> {
    if seen(None, veth)?.is_none() {
        return Ok(());
    }
    match host.apply(&Op::DeleteLink {
        at: host_at(),
        ifname: veth.to_string(),
    }) {
        Err(e) if e.cause.errno() == Some(libc::ENODEV) => Ok(()),
        r => r.map_err(op_err),
    }
}

/// The network's NAT, Docker's way: MASQUERADE of what leaves each
/// subnet by another interface than the bridge, DNAT of each published
/// port from outside and from the host itself, and hairpin SNAT.
/// Then `isolation`, its forward drops (see `super::isolate`).
/// A network without attachments has no rules (and no table).
pub fn nat_of(conf: &Conf, store: &Store, isolation: Vec<Rule>) -> Nat {
    let mut rules = Vec::new();
    if store.attachments.is_empty() {
        return Nat {
            rules,
            foreign: false,
        };
    }
    if conf.masquerade {
        for (net, _) in &conf.subnets {
            rules.push(Rule::new(
                Hook::Postrouting,
                vec![Match::SrcNet(*net), Match::NotOifName(conf.bridge.clone())],
                Action::Masquerade,
            ));
        }
    }
    let mut published = false;
    for a in &store.attachments {
        let cidrs = a.cidrs();
        for p in &a.ports {
            let proto = if p.protocol == "udp" {
                L4::Udp
            } else {
                L4::Tcp
            };
            let host_ip = p.host_ip.as_deref().and_then(|s| s.parse::<IpAddr>().ok());
            for c in &cidrs {
                if host_ip.is_some_and(|h| h.is_ipv6() != c.addr.is_ipv6()) {
                    continue;
                }
                let to = SocketAddr::new(c.addr, p.container_port);
                crate::state::publish_rules(&mut rules, proto, p.host_port, to, host_ip, None);
                published |= a.host_veth.is_some();
            }
        }
    }
    if published {
        for (net, _) in &conf.subnets {
            rules.push(crate::state::hairpin_rule(*net, &conf.bridge));
        }
    }
    rules.extend(isolation);
    Nat {
        rules,
        foreign: false,
    }
}

/// Writes the network's table whole (one nftables transaction), or
/// deletes it when it has no rules.
pub fn write_nat(host: &mut Linux, conf: &Conf, store: &Store) -> Result<(), CniError> {
    let nat = nat_of(conf, store, super::isolate::rules(conf));
    let table = nslab_types::names::nat_table(&conf.name);
    let op = Op::SetNat {
        at: host_at(),
        table,
        nat: (!nat.rules.is_empty()).then_some(nat),
    };
    match host.apply(&op) {
        Err(e)
            if matches!(&op, Op::SetNat { nat: None, .. })
                && e.cause.errno() == Some(libc::ENOENT) =>
        {
            Ok(())
        }
        r => r.map_err(op_err),
    }
}

/// What CHECK verifies: the veth's host end on the bridge and up, its
/// container end with the recorded addresses.
pub fn verify(conf: &Conf, a: &Attachment) -> Result<(), CniError> {
    let Some(veth) = &a.host_veth else {
        return Ok(());
    };
    let failed =
        |why: String| CniError::new(super::error::Code::Kernel, "CHECK failed").details(why);
    match seen(None, veth)? {
        Some(l) if l.master.as_deref() == Some(conf.bridge.as_str()) && l.up => {}
        Some(_) => {
            return Err(failed(format!(
                "{veth} is not an up port of {}",
                conf.bridge
            )))
        }
        None => return Err(failed(format!("{veth} is gone"))),
    }
    let Some(inside) = seen(Some(&a.netns), &a.ifname)? else {
        return Err(failed(format!("{} is gone from {}", a.ifname, a.netns)));
    };
    for c in a.cidrs() {
        if !inside.addresses.contains(&c) {
            return Err(failed(format!("{} lacks {c}", a.ifname)));
        }
    }
    Ok(())
}
