//! The operations a plan is made of. Each reads like the `ip` command a
//! person would type for it (`Display`), so `nslab plan` is a dry run that
//! needs no root.

use crate::state::{fmt_mac, Cidr, Impair, LinkKind, RouteState};
use serde::Serialize;
use std::fmt;

/// Where an operation runs: a node, by name, and its namespace (`None` for
/// the host node, the namespace nslab itself runs in).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct At {
    pub node: String,
    pub netns: Option<String>,
}

impl At {
    /// `ip -n NAME ` or nothing for the host node.
    fn ip(&self) -> String {
        match &self.netns {
            Some(ns) => format!("ip -n {ns} "),
            None => "ip ".to_string(),
        }
    }
}

/// One end of a new link: its node, name and kernel-chosen-unless-set knobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewEnd {
    pub at: At,
    pub ifname: String,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
}

/// Attributes of an existing link to change; `None` leaves one alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkChange {
    pub up: Option<bool>,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// `Some(None)` is `nomaster`.
    pub master: Option<Option<String>>,
    pub hairpin: Option<bool>,
    /// New bridge options, changed in place (`type bridge stp_state ...`).
    pub bridge: Option<BridgeChange>,
}

/// Options of a bridge to change without recreating it; `None` leaves one
/// alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BridgeChange {
    pub stp: Option<bool>,
    pub ageing_secs: Option<u32>,
    pub vlan_filtering: Option<bool>,
}

impl LinkChange {
    pub fn is_empty(&self) -> bool {
        *self == LinkChange::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    CreateNetns {
        node: String,
        netns: String,
    },
    DeleteNetns {
        node: String,
        netns: String,
    },
    SetLo {
        at: At,
        up: bool,
    },
    SetSysctl {
        at: At,
        key: String,
        value: String,
    },
    /// A veth pair, both ends at once (the peer is created directly in its
    /// namespace).
    AddVeth {
        a: NewEnd,
        b: NewEnd,
    },
    /// Any other kind. A sub-interface whose parent lives in another node is
    /// created next to its parent (`parent_at`) and placed in `end.at`.
    AddLink {
        end: NewEnd,
        kind: LinkKind,
        parent_at: Option<At>,
    },
    DeleteLink {
        at: At,
        ifname: String,
    },
    /// Move the host interface `from` into the node, renamed `ifname`.
    MoveIn {
        at: At,
        ifname: String,
        from: String,
    },
    /// Move it back to the host namespace under its old name.
    MoveOut {
        at: At,
        ifname: String,
        to: String,
    },
    SetLink {
        at: At,
        ifname: String,
        change: LinkChange,
    },
    AddAddress {
        at: At,
        ifname: String,
        cidr: Cidr,
    },
    DelAddress {
        at: At,
        ifname: String,
        cidr: Cidr,
    },
    AddRoute {
        at: At,
        route: RouteState,
    },
    DelRoute {
        at: At,
        route: RouteState,
    },
    /// Replace the node's nftables table in one transaction (`None`
    /// deletes it).
    SetNat {
        at: At,
        /// `nslab-<lab>`.
        table: String,
        nat: Option<crate::state::nat::Nat>,
    },
    /// Replace the egress qdisc (`None` removes the impairment).
    SetImpair {
        at: At,
        ifname: String,
        impair: Option<Impair>,
    },
}

impl Op {
    /// The node the operation runs in (for errors: "failed in node h1").
    pub fn node(&self) -> &str {
        match self {
            Op::CreateNetns { node, .. } | Op::DeleteNetns { node, .. } => node,
            Op::AddVeth { a, .. } => &a.at.node,
            Op::AddLink { end, .. } => &end.at.node,
            Op::SetLo { at, .. }
            | Op::SetSysctl { at, .. }
            | Op::DeleteLink { at, .. }
            | Op::MoveIn { at, .. }
            | Op::MoveOut { at, .. }
            | Op::SetLink { at, .. }
            | Op::AddAddress { at, .. }
            | Op::DelAddress { at, .. }
            | Op::AddRoute { at, .. }
            | Op::DelRoute { at, .. }
            | Op::SetNat { at, .. }
            | Op::SetImpair { at, .. } => &at.node,
        }
    }
}

fn end_opts(e: &NewEnd) -> String {
    let mut s = String::new();
    if let Some(mtu) = e.mtu {
        s.push_str(&format!(" mtu {mtu}"));
    }
    if let Some(mac) = &e.mac {
        s.push_str(&format!(" address {}", fmt_mac(mac)));
    }
    s
}

fn kind_words(kind: &LinkKind) -> String {
    match kind {
        LinkKind::Bridge(b) => b.ip_link_args(),
        LinkKind::Vlan { id, .. } => format!("type vlan id {id}"),
        LinkKind::Macvlan { mode, .. } => {
            format!("type macvlan mode {}", mode)
        }
        LinkKind::Ipvlan { mode, flag, .. } => format!("type ipvlan mode {} {}", mode, flag),
        LinkKind::Vxlan(v) => v.ip_link_args(),
        LinkKind::Tap { .. } => "type tap".to_string(),
        other => format!("type {}", other.name()),
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::CreateNetns { netns, .. } => write!(f, "ip netns add {netns}"),
            Op::DeleteNetns { netns, .. } => write!(f, "ip netns del {netns}"),
            Op::SetLo { at, up } => {
                write!(
                    f,
                    "{}link set lo {}",
                    at.ip(),
                    if *up { "up" } else { "down" }
                )
            }
            Op::SetSysctl { at, key, value } => match &at.netns {
                Some(ns) => write!(f, "ip netns exec {ns} sysctl -w {key}={value}"),
                None => write!(f, "sysctl -w {key}={value}"),
            },
            Op::AddVeth { a, b } => {
                write!(
                    f,
                    "{}link add {}{} type veth peer name {}{}",
                    a.at.ip(),
                    a.ifname,
                    end_opts(a),
                    b.ifname,
                    end_opts(b)
                )?;
                match &b.at.netns {
                    Some(ns) if b.at != a.at => write!(f, " netns {ns}"),
                    _ => Ok(()),
                }
            }
            Op::AddLink {
                end,
                kind,
                parent_at,
            } => {
                let at = parent_at.as_ref().unwrap_or(&end.at);
                write!(f, "{}link add", at.ip())?;
                if let Some(p) = kind.parent() {
                    write!(f, " link {}", p.ifname)?;
                }
                write!(f, " name {}{}", end.ifname, end_opts(end))?;
                if parent_at.is_some() && end.at.netns != at.netns {
                    if let Some(ns) = &end.at.netns {
                        write!(f, " netns {ns}")?;
                    }
                }
                match kind {
                    LinkKind::Tap { owner } => {
                        write!(f, " type tap")?;
                        if let Some(o) = owner {
                            write!(f, " # tuntap user {o}")?;
                        }
                        Ok(())
                    }
                    k => write!(f, " {}", kind_words(k)),
                }
            }
            Op::DeleteLink { at, ifname } => write!(f, "{}link del {ifname}", at.ip()),
            Op::MoveIn { at, ifname, from } => match &at.netns {
                Some(ns) => write!(f, "ip link set {from} netns {ns} name {ifname}"),
                None => write!(f, "ip link set {from} name {ifname}"),
            },
            Op::MoveOut { at, ifname, to } => {
                write!(f, "{}link set {ifname} netns 1 name {to}", at.ip())
            }
            Op::SetLink { at, ifname, change } => {
                write!(f, "{}link set {ifname}", at.ip())?;
                match &change.master {
                    Some(Some(m)) => write!(f, " master {m}")?,
                    Some(None) => write!(f, " nomaster")?,
                    None => {}
                }
                if let Some(mtu) = change.mtu {
                    write!(f, " mtu {mtu}")?;
                }
                if let Some(mac) = &change.mac {
                    write!(f, " address {}", fmt_mac(mac))?;
                }
                if let Some(h) = change.hairpin {
                    write!(
                        f,
                        " type bridge_slave hairpin {}",
                        if h { "on" } else { "off" }
                    )?;
                }
                if let Some(b) = &change.bridge {
                    write!(f, " type bridge")?;
                    if let Some(stp) = b.stp {
                        write!(f, " stp_state {}", u8::from(stp))?;
                    }
                    if let Some(a) = b.ageing_secs {
                        write!(f, " ageing_time {}", u64::from(a) * 100)?;
                    }
                    if let Some(v) = b.vlan_filtering {
                        write!(f, " vlan_filtering {}", u8::from(v))?;
                    }
                }
                if let Some(up) = change.up {
                    write!(f, " {}", if up { "up" } else { "down" })?;
                }
                Ok(())
            }
            Op::AddAddress { at, ifname, cidr } => {
                write!(f, "{}addr add {cidr} dev {ifname}", at.ip())
            }
            Op::DelAddress { at, ifname, cidr } => {
                write!(f, "{}addr del {cidr} dev {ifname}", at.ip())
            }
            Op::AddRoute { at, route } => write!(f, "{}route add {route}", at.ip()),
            Op::DelRoute { at, route } => write!(f, "{}route del {route}", at.ip()),
            Op::SetNat { at, table, nat } => {
                let nft = match &at.netns {
                    Some(ns) => format!("ip netns exec {ns} nft"),
                    None => "nft".to_string(),
                };
                match nat {
                    None => write!(f, "{nft} delete table inet {table}"),
                    Some(n) => {
                        write!(f, "{nft} 'flush table inet {table}")?;
                        for r in &n.rules {
                            write!(f, "; add rule inet {table} {} {r}", r.hook.name())?;
                        }
                        write!(f, "'")
                    }
                }
            }
            Op::SetImpair { at, ifname, impair } => {
                let tc = match &at.netns {
                    Some(ns) => format!("tc -n {ns}"),
                    None => "tc".to_string(),
                };
                match impair {
                    None => write!(f, "{tc} qdisc del dev {ifname} root"),
                    Some(i) => {
                        write!(f, "{tc} qdisc replace dev {ifname} root netem")?;
                        if let Some(d) = i.delay_us {
                            write!(f, " delay {}", fmt_us(d))?;
                            if let Some(j) = i.jitter_us {
                                write!(f, " {}", fmt_us(j))?;
                            }
                        }
                        if let Some(l) = i.loss_ppm {
                            write!(f, " loss {}%", f64::from(l) / 10_000.0)?;
                        }
                        if let Some(r) = i.rate_bps {
                            write!(f, " rate {r}bit")?;
                        }
                        Ok(())
                    }
                }
            }
        }
    }
}

fn fmt_us(us: u32) -> String {
    if us.is_multiple_of(1000) {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}
