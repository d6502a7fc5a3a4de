//! `nslab ping`: ICMP echo between nodes' first addresses, in parallel,
//! each pair with its statistics or why it could not be asked.

use super::run::{first_address, open_ns, TIMEOUT};
use super::CheckError;
use crate::state::State;
use nslab_probe::PingStats;
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::time::Duration;

/// One pair pinged: the statistics, or why the echo could not be sent.
#[derive(Debug)]
pub struct Pinged {
    pub from: String,
    /// The node (or address) as asked for.
    pub to: String,
    pub address: IpAddr,
    pub result: Result<PingStats, PingError>,
}

/// Why a pair could not be pinged (the echo was never sent, or its
/// answers never read): the errno stays in the source.
#[derive(Debug, thiserror::Error)]
pub enum PingError {
    /// The node's namespace could not be entered.
    #[error("{0}")]
    Enter(#[source] nslab_sys::Error),
    /// The probe failed (a socket the kernel refused, say).
    #[error("{0}")]
    Probe(#[source] nslab_probe::Error),
    #[error("probe thread panicked")]
    Panicked,
}

/// The pairs to ping: from `from` (every node if `None`) to `to` (every
/// other node if `None`; a node or an address), each with the address
/// pinged. Among every other node, those without an address are left out;
/// a target named by `to` without one is an error.
fn pairs(
    state: &State,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<(String, String, IpAddr)>, CheckError> {
    let nodes: Vec<String> = state.nodes.keys().cloned().collect();
    for n in from.iter().chain(to.iter()) {
        if !nodes.iter().any(|x| x == n) && n.parse::<IpAddr>().is_err() {
            return Err(CheckError::NoNode {
                lab: state.lab.clone(),
                node: n.to_string(),
                nodes,
            });
        }
    }
    let mut pairs = Vec::new();
    for s in nodes
        .iter()
        .filter(|n| from.is_none_or(|f| f == n.as_str()))
    {
        let targets: Vec<String> = match to {
            Some(t) => vec![t.to_string()],
            None => nodes.iter().filter(|t| *t != s).cloned().collect(),
        };
        for t in targets {
            let ip = t
                .parse::<IpAddr>()
                .ok()
                .or_else(|| first_address(state, &t));
            let Some(ip) = ip else {
                // A node asked for by name must have an address to ping.
                if to.is_some() {
                    return Err(CheckError::NoAddress {
                        from: s.clone(),
                        node: t,
                    });
                }
                continue;
            };
            pairs.push((s.clone(), t, ip));
        }
    }
    Ok(pairs)
}

/// Ping the pairs [`pairs`] picks, all at once, three echoes each.
pub fn ping(
    state: &State,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<Pinged>, CheckError> {
    let pairs = pairs(state, from, to)?;
    let results: Vec<Result<PingStats, PingError>> = std::thread::scope(|sc| {
        let hs: Vec<_> = pairs
            .iter()
            .map(|(s, _, ip)| {
                let ns = state.nodes.get(s).and_then(|n| n.netns.clone());
                sc.spawn(move || {
                    let fd = open_ns(ns.as_deref()).map_err(PingError::Enter)?;
                    nslab_probe::icmp_echo(fd.as_fd(), *ip, 3, Duration::from_millis(100), TIMEOUT)
                        .map_err(PingError::Probe)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or(Err(PingError::Panicked)))
            .collect()
    });
    Ok(pairs
        .into_iter()
        .zip(results)
        .map(|((from, to, address), result)| Pinged {
            from,
            to,
            address,
            result,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab(text: &str) -> State {
        let t = nslab_model::parse_str("t.yaml", text, &nslab_model::AnyHostInterfaces)
            .expect("a valid file");
        crate::state::desired::desired(&t)
    }

    const THREE: &str = "lab: t
nodes:
  a: { interfaces: { e0: { addresses: [10.0.0.1/24] } } }
  b: { interfaces: { e0: { addresses: [10.0.0.2/24] } } }
  c: {}
links:
  - [a:e0, b:e0]
";

    #[test]
    fn every_node_pings_every_other_node_with_an_address() {
        let got = pairs(&lab(THREE), None, None).expect("pairs");
        let got: Vec<String> = got
            .iter()
            .map(|(f, t, ip)| format!("{f}->{t}@{ip}"))
            .collect();
        assert_eq!(
            got,
            [
                "a->b@10.0.0.2",
                "b->a@10.0.0.1",
                "c->a@10.0.0.1",
                "c->b@10.0.0.2"
            ]
        );
    }

    #[test]
    fn one_source_and_an_address_target_are_kept_as_given() {
        let got = pairs(&lab(THREE), Some("c"), Some("192.0.2.9")).expect("pairs");
        assert_eq!(
            got,
            [(
                "c".to_string(),
                "192.0.2.9".to_string(),
                "192.0.2.9".parse().expect("ip")
            )]
        );
    }

    #[test]
    fn a_target_named_without_an_address_is_an_error() {
        let e = pairs(&lab(THREE), Some("a"), Some("c")).expect_err("c has no address");
        assert_eq!(
            e.to_string(),
            "check from a: node c has no address to probe"
        );
        let e = pairs(&lab(THREE), None, Some("c")).expect_err("c has no address");
        assert!(e.to_string().contains("node c has no address"), "{e}");
    }

    #[test]
    fn an_unknown_node_is_an_error_naming_the_lab_s_nodes() {
        for (from, to) in [(Some("x"), None), (None, Some("x")), (Some("a"), Some("x"))] {
            let e = pairs(&lab(THREE), from, to).expect_err("x is no node");
            assert_eq!(e.to_string(), "lab t has no node x; its nodes: a, b, c");
        }
    }
}
