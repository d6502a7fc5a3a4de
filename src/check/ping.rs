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
    pub result: Result<PingStats, String>,
}

/// The pairs to ping: from `from` (every node if `None`) to `to` (every
/// other node if `None`; a node or an address), each with the address
/// pinged. Targets without an address are left out.
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
            let Some(ip) = ip else { continue };
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
    let results: Vec<Result<PingStats, String>> = std::thread::scope(|sc| {
        let hs: Vec<_> = pairs
            .iter()
            .map(|(s, _, ip)| {
                let ns = state.nodes.get(s).and_then(|n| n.netns.clone());
                sc.spawn(move || {
                    let fd = open_ns(ns.as_deref())?;
                    nslab_probe::icmp_echo(fd.as_fd(), *ip, 3, Duration::from_millis(100), TIMEOUT)
                        .map_err(|e| e.to_string())
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("probe thread panicked".into()))
            })
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
