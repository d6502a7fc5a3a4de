//! A node's NAT table as `nft -f` input: the table the host layer writes
//! (`host/nat.rs`: chains at the NAT hooks with the standard priorities, a
//! filter chain at the forward hook for the isolation of networks, the
//! lab's mark in the table's comment), replacing one that is there in the
//! same transaction, as nslab does.

use crate::state::nat::{Action, Hook, Match, Nat, Rule};
use crate::state::Cidr;
use std::fmt::Write as _;

/// The type and priority of a hook's chain (dstnat -100, srcnat 100, the
/// forward filter 0).
fn chain_kind(h: Hook) -> (&'static str, i32) {
    match h {
        Hook::Prerouting | Hook::Output => ("nat", -100),
        Hook::Postrouting => ("nat", 100),
        Hook::Input | Hook::Forward => ("filter", 0),
    }
}

/// `ip saddr NET` (`op` `==` or `!=`) in the form the host layer encodes
/// it: the whole address loaded and masked (`& MASK`), a full prefix
/// compared bare. (`ip saddr 10.0.0.0/24` would have nft load only the
/// prefix's bytes: the same packets, but not nslab's table.) A /0 is the
/// rule's family guard alone (`!=`: no packet of it).
fn net(c: &Cidr, field: &str, op: &str) -> String {
    let l3 = if c.is_ipv6() { "ip6" } else { "ip" };
    let n = c.network();
    if n.prefix == 0 {
        return match op {
            "==" => String::new(),
            _ => format!("meta nfproto != {}", family(c.is_ipv6())),
        };
    }
    if n.prefix >= n.max_prefix() {
        return format!("{l3} {field} {op} {}", n.addr);
    }
    let bytes = n.mask_bytes();
    let mask = match <[u8; 4]>::try_from(bytes.as_slice()) {
        Ok(b4) => std::net::IpAddr::from(b4),
        Err(_) => {
            let mut b16 = [0u8; 16];
            b16.copy_from_slice(&bytes[..16.min(bytes.len())]);
            std::net::IpAddr::from(b16)
        }
    };
    format!("{l3} {field} & {mask} {op} {}", n.addr)
}

/// One match as nft syntax.
fn match_words(m: &Match) -> String {
    match m {
        Match::SrcNet(c) => net(c, "saddr", "=="),
        Match::DstNet(c) => net(c, "daddr", "=="),
        Match::NotSrcNet(c) => net(c, "saddr", "!="),
        Match::NotDstNet(c) => net(c, "daddr", "!="),
        Match::IifName(n) => format!("iifname {}", string(n)),
        Match::NotIifName(n) => format!("iifname != {}", string(n)),
        Match::OifName(n) => format!("oifname {}", string(n)),
        Match::NotOifName(n) => format!("oifname != {}", string(n)),
        Match::L4Proto(p) => format!("meta l4proto {p}"),
        Match::DstPort(p) => format!("th dport {p}"),
        Match::DstLocal => "fib daddr type local".to_string(),
        Match::CtStatusDnat => "ct status dnat".to_string(),
    }
}

/// A quoted nft string (interface names have no quotes or backslashes;
/// any that came would be escaped).
fn string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn family(v6: bool) -> &'static str {
    if v6 {
        "ipv6"
    } else {
        "ipv4"
    }
}

/// Whether the rule is of IPv6 (`Some(true)`) or IPv4, by its first
/// address, as the encoder pins it; `None`: no address in it.
fn rule_family(r: &Rule) -> Option<bool> {
    let from_match = r.rule.matches.iter().find_map(|m| match m {
        Match::SrcNet(c) | Match::DstNet(c) | Match::NotSrcNet(c) | Match::NotDstNet(c) => {
            Some(c.is_ipv6())
        }
        _ => None,
    });
    from_match.or(match &r.rule.action {
        Action::Dnat { addr, .. } => Some(addr.is_ipv6()),
        Action::Masquerade | Action::Accept | Action::Drop => None,
    })
}

fn rule_words(r: &Rule) -> String {
    let mut s = String::new();
    // The family first, where the encoder puts it (nft would put its own
    // just before the first address).
    if let Some(v6) = rule_family(r) {
        let _ = write!(s, "meta nfproto {} ", family(v6));
    }
    for m in &r.rule.matches {
        let w = match_words(m);
        if !w.is_empty() {
            s.push_str(&w);
            s.push(' ');
        }
    }
    match &r.rule.action {
        Action::Masquerade => s.push_str("masquerade"),
        Action::Accept => s.push_str("accept"),
        Action::Drop => s.push_str("drop"),
        Action::Dnat {
            addr,
            port: Some(port),
        } if addr.is_ipv6() => {
            let _ = write!(s, "dnat ip6 to [{addr}]:{port}");
        }
        Action::Dnat { addr, port: None } if addr.is_ipv6() => {
            let _ = write!(s, "dnat ip6 to {addr}");
        }
        Action::Dnat {
            addr,
            port: Some(port),
        } => {
            let _ = write!(s, "dnat ip to {addr}:{port}");
        }
        Action::Dnat { addr, port: None } => {
            let _ = write!(s, "dnat ip to {addr}");
        }
    }
    s
}

/// The `nft -f` input that makes table `table` (family inet) hold `nat`,
/// marked `mark`, replacing what it held; `None`: the table goes.
pub(super) fn table_text(table: &str, mark: &str, nat: Option<&Nat>) -> String {
    let Some(nat) = nat else {
        return format!("delete table inet {table}\n");
    };
    // Made if missing, so that the delete always has one to delete.
    let mut s = format!("table inet {table}\ndelete table inet {table}\n");
    let _ = writeln!(s, "table inet {table} {{");
    let _ = writeln!(s, "\tcomment {}", string(mark));
    for h in [
        Hook::Prerouting,
        Hook::Output,
        Hook::Postrouting,
        Hook::Forward,
    ] {
        let rules: Vec<String> = nat
            .rules
            .iter()
            .filter(|r| r.hook == h)
            .map(rule_words)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let name = h.name();
        let (kind, priority) = chain_kind(h);
        let _ = writeln!(s, "\tchain {name} {{");
        let _ = writeln!(
            s,
            "\t\ttype {kind} hook {name} priority {priority}; policy accept;"
        );
        for r in rules {
            let _ = writeln!(s, "\t\t{r}");
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}
