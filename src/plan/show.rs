//! Each operation as the `ip` (or `tc`, `nft`, `sysctl`) command a person
//! would type for it, so `nslab plan` is a dry run that needs no root.

use super::op::{end_opts, kind_words};
use super::{At, LinkChange, NewEnd, Op};
use crate::state::{fmt_mac, nat::Nat, DeviceKind, Impair, LinkKind, Tap};
use std::fmt;

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
            Op::AddVeth { a, b } => add_veth(f, a, b),
            Op::AddLink {
                end,
                kind,
                parent_at,
            } => add_link(f, end, kind, parent_at.as_ref()),
            Op::DeleteLink { at, ifname } => write!(f, "{}link del {ifname}", at.ip()),
            Op::MoveIn { at, ifname, from } => match &at.netns {
                Some(ns) => write!(f, "ip link set {from} netns {ns} name {ifname}"),
                None => write!(f, "ip link set {from} name {ifname}"),
            },
            Op::MoveOut { at, ifname, to } => {
                write!(f, "{}link set {ifname} netns 1 name {to}", at.ip())
            }
            Op::SetLink { at, ifname, change } => set_link(f, at, ifname, change),
            Op::AddAddress { at, ifname, cidr } => {
                write!(f, "{}addr add {cidr} dev {ifname}", at.ip())
            }
            Op::DelAddress { at, ifname, cidr } => {
                write!(f, "{}addr del {cidr} dev {ifname}", at.ip())
            }
            Op::AddRoute { at, route } => write!(f, "{}route add {route}", at.ip()),
            Op::DelRoute { at, route } => write!(f, "{}route del {route}", at.ip()),
            Op::SetNat { at, table, nat } => set_nat(f, at, table, nat.as_ref()),
            Op::WriteFile { at, path, file } => write!(
                f,
                "write-file {} {path} ({} bytes, mode {:04o}, owner {}:{})",
                at.node,
                file.content.len(),
                file.mode,
                file.uid,
                file.gid
            ),
            Op::RemoveFile { at, path } => write!(f, "remove-file {} {path}", at.node),
            Op::SetImpair { at, ifname, impair } => set_impair(f, at, ifname, impair.as_ref()),
        }
    }
}

fn add_veth(f: &mut fmt::Formatter<'_>, a: &NewEnd, b: &NewEnd) -> fmt::Result {
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

fn add_link(
    f: &mut fmt::Formatter<'_>,
    end: &NewEnd,
    kind: &LinkKind,
    parent_at: Option<&At>,
) -> fmt::Result {
    let at = parent_at.unwrap_or(&end.at);
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
    write!(f, " {}", kind_words(kind))?;
    // `ip link add` cannot set a tap's owner: say what `ip tuntap` would.
    match kind.device() {
        Some(DeviceKind::Tap(Tap { owner: Some(o) })) => write!(f, " # tuntap user {o}"),
        _ => Ok(()),
    }
}

fn set_link(f: &mut fmt::Formatter<'_>, at: &At, ifname: &str, change: &LinkChange) -> fmt::Result {
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
    if let Some(ll) = change.ipv6_link_local {
        write!(f, " addrgenmode {}", if ll { "eui64" } else { "none" })?;
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

fn set_nat(f: &mut fmt::Formatter<'_>, at: &At, table: &str, nat: Option<&Nat>) -> fmt::Result {
    let nft = match &at.netns {
        Some(ns) => format!("ip netns exec {ns} nft"),
        None => "nft".to_string(),
    };
    match nat {
        None => write!(f, "{nft} delete table inet {table}"),
        Some(n) => {
            write!(f, "{nft} 'flush table inet {table}")?;
            for (hook, r) in n.shown() {
                write!(f, "; add rule inet {table} {} {r}", hook.name())?;
            }
            write!(f, "'")
        }
    }
}

fn set_impair(
    f: &mut fmt::Formatter<'_>,
    at: &At,
    ifname: &str,
    impair: Option<&Impair>,
) -> fmt::Result {
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

fn fmt_us(us: u32) -> String {
    if us.is_multiple_of(1000) {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}
