//! nft-like text for a table, for `nslab plan` and `nslab show`. It names
//! what the encoder sends; it is not meant to be fed back to `nft`.

use std::fmt::{self, Write as _};
use std::net::IpAddr;

use crate::model::{Action, Cidr, Match, Rule, Table};

/// The table as `nft list table` would roughly print it:
///
/// ```text
/// table inet nslab-demo {
///     chain postrouting {
///         type nat hook postrouting priority 100; policy accept;
///         ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
///     }
/// }
/// ```
pub fn describe(table: &Table) -> String {
    let mut s = format!("table inet {} {{\n", table.name);
    for c in &table.chains {
        // Writing to a String cannot fail.
        let _ = writeln!(s, "\tchain {} {{", c.name);
        let _ = writeln!(
            s,
            "\t\ttype {} hook {} priority {}; policy accept;",
            c.kind.name(),
            c.hook.name(),
            c.priority
        );
        for r in &c.rules {
            let _ = writeln!(s, "\t\t{r}");
        }
        s.push_str("\t}\n");
    }
    s.push_str("}\n");
    s
}

/// `ip` or `ip6`: nft's protocol keyword for an address family.
fn l3(a: IpAddr) -> &'static str {
    if a.is_ipv4() {
        "ip"
    } else {
        "ip6"
    }
}

/// A prefix as nft prints it: a single address without `/32` or `/128`.
struct Net<'a>(&'a Cidr);

impl fmt::Display for Net<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let network: IpAddr = match n.addr {
            IpAddr::V4(_) => {
                let b = n.network_bytes();
                IpAddr::from([b[0], b[1], b[2], b[3]])
            }
            IpAddr::V6(_) => {
                let mut o = [0u8; 16];
                o.copy_from_slice(&n.network_bytes());
                IpAddr::from(o)
            }
        };
        if n.prefix >= n.max_prefix() {
            write!(f, "{network}")
        } else {
            write!(f, "{network}/{}", n.prefix)
        }
    }
}

impl fmt::Display for Match {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Match::SrcNet(n) => write!(f, "{} saddr {}", l3(n.addr), Net(n)),
            Match::DstNet(n) => write!(f, "{} daddr {}", l3(n.addr), Net(n)),
            Match::NotSrcNet(n) => write!(f, "{} saddr != {}", l3(n.addr), Net(n)),
            Match::NotDstNet(n) => write!(f, "{} daddr != {}", l3(n.addr), Net(n)),
            Match::IifName(i) => write!(f, "iifname \"{i}\""),
            Match::NotIifName(i) => write!(f, "iifname != \"{i}\""),
            Match::OifName(i) => write!(f, "oifname \"{i}\""),
            Match::NotOifName(i) => write!(f, "oifname != \"{i}\""),
            Match::L4Proto(p) => write!(f, "meta l4proto {}", p.name()),
            Match::DstPort(p) => write!(f, "th dport {p}"),
            Match::DstLocal => write!(f, "fib daddr type local"),
            Match::CtStatusDnat => write!(f, "ct status dnat"),
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Masquerade => write!(f, "masquerade"),
            Action::Accept => write!(f, "accept"),
            Action::Drop => write!(f, "drop"),
            Action::Dnat { addr, port: None } => write!(f, "dnat {} to {addr}", l3(*addr)),
            Action::Dnat {
                addr: IpAddr::V6(a),
                port: Some(p),
            } => write!(f, "dnat ip6 to [{a}]:{p}"),
            Action::Dnat {
                addr,
                port: Some(p),
            } => write!(f, "dnat ip to {addr}:{p}"),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.matches {
            write!(f, "{m} ")?;
        }
        write!(f, "{}", self.action)
    }
}
