//! Checks a [`Table`] before encoding: what the kernel would reject with a
//! bare `EINVAL` (names too long, a prefix longer than the address) or
//! what would silently mean something else (a port without a protocol, a
//! rule mixing IPv4 and IPv6). Every problem is reported, not the first.

use std::fmt;
use std::net::IpAddr;

use crate::model::{Action, Cidr, Match, Rule, Table};
use crate::uapi::{IFNAMSIZ, NFPROTO_IPV4, NFPROTO_IPV6};

/// A table that cannot be encoded, with every reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("nftables table {table:?} is invalid: {}", list(.problems))]
pub struct InvalidTable {
    pub table: String,
    pub problems: Vec<Problem>,
}

/// One reason, and where: chain name and 0-based rule index when it is in
/// a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub chain: Option<String>,
    pub rule: Option<usize>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    #[error("name {0:?} must be 1 to 255 bytes with no NUL")]
    BadName(String),
    #[error("two chains are named {0:?}")]
    DuplicateChain(String),
    #[error("interface name {0:?} must be 1 to 15 bytes with no NUL or '/'")]
    BadIfName(String),
    #[error("prefix {0} is longer than the address")]
    BadPrefix(Cidr),
    #[error("the rule mixes IPv4 and IPv6 addresses")]
    MixedFamilies,
    /// A `/0` prefix is written as the family alone (nft does the same),
    /// so where it stands and which address it named cannot be read back.
    #[error(
        "prefix {0} matches every address: only as a rule's first and only address match, \
         a source (`ip saddr 0.0.0.0/0`, this family only); leave it out elsewhere"
    )]
    AnyAddress(Cidr),
    #[error("a port needs a protocol (meta l4proto tcp|udp) in the same rule")]
    PortWithoutProto,
    #[error("comment {0:?} must be at most 253 bytes with no NUL")]
    BadComment(String),
}

fn list(problems: &[Problem]) -> String {
    let v: Vec<String> = problems.iter().map(ToString::to_string).collect();
    v.join("; ")
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.chain {
            write!(f, "chain {c}")?;
            if let Some(r) = self.rule {
                write!(f, " rule {}", r + 1)?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// All problems of `table`; empty when it can be encoded.
pub fn check(table: &Table) -> Result<(), InvalidTable> {
    let mut problems = Vec::new();
    let mut push = |chain: Option<&str>, rule: Option<usize>, kind| {
        problems.push(Problem {
            chain: chain.map(str::to_string),
            rule,
            kind,
        })
    };
    if !good_name(&table.name) {
        push(None, None, ProblemKind::BadName(table.name.clone()));
    }
    if let Some(c) = &table.comment {
        // One TLV of user data: type, length byte, text, NUL.
        if c.len() + 3 > crate::uapi::NFT_USERDATA_MAXLEN || c.contains('\0') {
            push(None, None, ProblemKind::BadComment(c.clone()));
        }
    }
    for (i, c) in table.chains.iter().enumerate() {
        if !good_name(&c.name) {
            push(None, None, ProblemKind::BadName(c.name.clone()));
        }
        if table.chains[..i].iter().any(|o| o.name == c.name) {
            push(None, None, ProblemKind::DuplicateChain(c.name.clone()));
        }
        for (j, r) in c.rules.iter().enumerate() {
            for kind in rule_problems(r) {
                push(Some(&c.name), Some(j), kind);
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InvalidTable {
            table: table.name.clone(),
            problems,
        })
    }
}

fn rule_problems(r: &Rule) -> Vec<ProblemKind> {
    let mut out = Vec::new();
    for m in &r.matches {
        match m {
            Match::SrcNet(n) | Match::DstNet(n) | Match::NotSrcNet(n) | Match::NotDstNet(n)
                if n.prefix > n.max_prefix() =>
            {
                out.push(ProblemKind::BadPrefix(*n))
            }
            Match::IifName(i) | Match::NotIifName(i) | Match::OifName(i) | Match::NotOifName(i)
                if !good_ifname(i) =>
            {
                out.push(ProblemKind::BadIfName(i.clone()))
            }
            _ => {}
        }
    }
    out.extend(any_address_problems(r));
    if rule_family(r).is_err() {
        out.push(ProblemKind::MixedFamilies);
    }
    let has_proto = r.matches.iter().any(|m| matches!(m, Match::L4Proto(_)));
    let has_port = r.matches.iter().any(|m| matches!(m, Match::DstPort(_)))
        || matches!(r.action, Action::Dnat { port: Some(_), .. });
    if has_port && !has_proto {
        out.push(ProblemKind::PortWithoutProto);
    }
    out
}

/// `/0` matches that would not read back as themselves: any but a lone
/// source match that comes first (the one form [`crate::read`] gives back
/// for a family guard alone).
fn any_address_problems(r: &Rule) -> Vec<ProblemKind> {
    let addrs = r
        .matches
        .iter()
        .filter(|m| {
            matches!(
                m,
                Match::SrcNet(_) | Match::DstNet(_) | Match::NotSrcNet(_) | Match::NotDstNet(_)
            )
        })
        .count()
        + usize::from(matches!(r.action, Action::Dnat { .. }));
    let mut out = Vec::new();
    for (i, m) in r.matches.iter().enumerate() {
        let (Match::SrcNet(n) | Match::DstNet(n) | Match::NotSrcNet(n) | Match::NotDstNet(n)) = m
        else {
            continue;
        };
        let lone_first_source = i == 0 && addrs == 1 && matches!(m, Match::SrcNet(_));
        if n.prefix == 0 && !lone_first_source {
            out.push(ProblemKind::AnyAddress(*n));
        }
    }
    out
}

/// The `NFPROTO_*` a rule is limited to by its addresses, `None` when it
/// has none (it then applies to IPv4 and IPv6). `Err` when it mixes them.
pub(crate) fn rule_family(r: &Rule) -> Result<Option<u8>, ()> {
    let of = |a: &IpAddr| {
        if a.is_ipv4() {
            NFPROTO_IPV4
        } else {
            NFPROTO_IPV6
        }
    };
    let mut fams = r.matches.iter().filter_map(|m| match m {
        Match::SrcNet(n) | Match::DstNet(n) | Match::NotSrcNet(n) | Match::NotDstNet(n) => {
            Some(of(&n.addr))
        }
        _ => None,
    });
    let mut fam = fams.next();
    if fams.any(|f| Some(f) != fam) {
        return Err(());
    }
    if let Action::Dnat { addr, .. } = &r.action {
        match fam {
            Some(f) if f != of(addr) => return Err(()),
            _ => fam = Some(of(addr)),
        }
    }
    Ok(fam)
}

/// nf_tables names: `NLA_STRING` of at most `NFT_NAME_MAXLEN - 1` bytes.
fn good_name(s: &str) -> bool {
    !s.is_empty() && s.len() < 256 && !s.contains('\0')
}

/// What the kernel accepts as an interface name (`dev_valid_name`).
fn good_ifname(s: &str) -> bool {
    !s.is_empty()
        && s.len() < IFNAMSIZ
        && s != "."
        && s != ".."
        && !s.contains(['\0', '/'])
        && !s.chars().any(char::is_whitespace)
}
