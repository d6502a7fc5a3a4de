//! Running checks: resolve them against the lab, probe in parallel from
//! inside the nodes, and return each check with what it saw.

use super::{judge, Answer, Check, CheckError, Outcome, Proto};
use crate::state::State;
use nslab_model as m;
use nslab_sys::netns;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// How long a probe waits for an answer.
pub(super) const TIMEOUT: Duration = Duration::from_millis(1500);
/// At most this many probes at once.
const PARALLEL: usize = 32;

/// The first address of a node: the first IPv4 address in interface-name
/// order, else the first IPv6 one.
pub fn first_address(state: &State, node: &str) -> Option<IpAddr> {
    let n = state.nodes.get(node)?;
    let all: Vec<IpAddr> = n
        .links
        .values()
        .flat_map(|l| l.addresses.iter().map(|c| c.addr))
        .collect();
    all.iter()
        .copied()
        .find(IpAddr::is_ipv4)
        .or_else(|| all.first().copied())
}

/// Resolve the file's `expect:` entries against its desired state.
pub fn resolve(t: &m::Topology, state: &State) -> Result<Vec<Check>, CheckError> {
    resolve_list(t, state, &t.expect)
}

/// Resolve `expects` (the file's, or a scenario step's) against the lab.
pub fn resolve_list(
    t: &m::Topology,
    state: &State,
    expects: &[m::Expect],
) -> Result<Vec<Check>, CheckError> {
    let mut out = Vec::new();
    for e in expects {
        let (to, port, to_netns) = match &e.to {
            m::Target::Node { node, port } => {
                let ip =
                    first_address(state, node.as_str()).ok_or_else(|| CheckError::NoAddress {
                        from: e.from.to_string(),
                        node: node.to_string(),
                    })?;
                (ip, port.map(|p| p.get()), t.netns_of(node))
            }
            m::Target::Addr { ip, port } => (*ip, port.map(|p| p.get()), None),
        };
        let proto = e.proto;
        let port = match (proto, port) {
            (Proto::Http, None) => Some(80),
            (_, p) => p,
        };
        let target = match port {
            Some(p) if proto != Proto::Icmp => format!("{}", SocketAddr::new(to, p)),
            _ => to.to_string(),
        };
        let arrow = if e.outcome == m::Outcome::Ok {
            "->"
        } else {
            "-x"
        };
        let mut text = format!("{} {arrow} {target}", e.from);
        if proto != Proto::Icmp {
            text.push_str(&format!(" {proto}"));
        }
        if let Some(r) = &e.reply_from {
            text.push_str(&format!(" reply-from {r}"));
        }
        if let Some(s) = &e.seen_as {
            text.push_str(&format!(" seen-as {s}"));
        }
        if let Some(w) = e.within {
            text.push_str(&format!(" within {}", secs(w)));
        }
        out.push(Check {
            text,
            from: e.from.to_string(),
            from_netns: t.netns_of(&e.from),
            to_netns,
            to,
            port,
            proto,
            reply_from: e.reply_from.as_ref().map(|r| format!("{}/{r}", t.lab)),
            seen_as: e.seen_as,
            should_answer: e.outcome == m::Outcome::Ok,
            within: e.within,
        });
    }
    Ok(out)
}

pub(super) fn open_ns(netns_name: Option<&str>) -> Result<OwnedFd, nslab_sys::Error> {
    match netns_name {
        Some(n) => netns::open(n),
        None => netns::current(),
    }
}

/// `5s`, `1.5s`, `200ms`.
fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() > 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// How long a check with `within` rests between tries.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// Run one check; one with `within` again and again until it holds or the
/// time is up. `took` is the time until it held (or gave up).
pub fn probe(c: &Check) -> Outcome {
    let Some(within) = c.within else {
        return probe_once(c);
    };
    let started = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        let o = probe_once(c);
        let spent = started.elapsed();
        // An interrupt (Ctrl-C in `nslab test`) ends the retries: the
        // outcome is the last try's.
        let stop = nslab_sys::process::interrupted();
        if o.pass || stop || spent + RETRY_EVERY >= within {
            let when = if o.pass {
                format!("held after {:.1}s ({tries} tries)", spent.as_secs_f64())
            } else {
                format!(
                    "still failing after {:.1}s ({tries} tries)",
                    spent.as_secs_f64()
                )
            };
            return Outcome {
                pass: o.pass,
                seen: format!("{}: {when}", o.seen),
                took: spent,
                asked: o.asked,
            };
        }
        let rest = Instant::now() + RETRY_EVERY;
        while Instant::now() < rest && !nslab_sys::process::interrupted() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Run one check once.
fn probe_once(c: &Check) -> Outcome {
    let started = Instant::now();
    let answer = match (open_ns(c.from_netns.as_deref()), &c.to_netns) {
        (Err(e), _) => Answer::CouldNotAsk(format!("cannot enter node {}: {e}", c.from)),
        // A target node whose namespace is gone cannot answer: that proves
        // nothing about the network between the two.
        (Ok(_), Some(ns)) if !netns::exists(ns) => {
            Answer::CouldNotAsk(format!("the target's namespace {ns} does not exist"))
        }
        (Ok(fd), _) => probe_in(fd.as_fd(), c),
    };
    let asked = !matches!(answer, Answer::CouldNotAsk(_));
    let (pass, seen) = judge(c, answer);
    Outcome {
        pass,
        seen,
        took: started.elapsed(),
        asked,
    }
}

/// Sort a TCP/UDP/HTTP probe's failure: nothing answered, something
/// answered oddly, or the probe could not be made.
fn answer_of(e: nslab_probe::ProbeError) -> Answer {
    use nslab_probe::ProbeError as P;
    match e {
        P::Timeout { .. } | P::Refused | P::Unreachable(_) => Answer::NoAnswer(e.to_string()),
        P::BadReply(_) => Answer::Unexpected(e.to_string()),
        P::Os { op, ref source }
            if matches!(op, "read" | "write" | "recv")
                && matches!(
                    source.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
                ) =>
        {
            Answer::Unexpected(format!("connected, then {e}"))
        }
        other => Answer::CouldNotAsk(other.to_string()),
    }
}

/// Sort an ICMP echo run: replies, errors from the network or the local
/// kernel's refusal to route, or a send that failed for another reason.
fn answer_of_ping(stats: &nslab_probe::PingStats) -> Answer {
    if stats.success() {
        return Answer::Answered {
            label: None,
            seen_as: None,
        };
    }
    let local_fault = stats.errors.iter().find(|f| {
        f.errno
            .is_some_and(|n| !nslab_probe::error::is_network_refusal(n))
    });
    if let Some(f) = local_fault {
        return Answer::CouldNotAsk(format!("cannot send an echo request: {}", f.reason));
    }
    Answer::NoAnswer(match stats.errors.first() {
        Some(e) => e.to_string(),
        None => format!("no echo reply in {}ms", TIMEOUT.as_millis()),
    })
}

fn probe_in(fd: std::os::fd::BorrowedFd, c: &Check) -> Answer {
    let port = c.port.unwrap_or(0);
    let dst = SocketAddr::new(c.to, port);
    if c.proto != Proto::Icmp && port == 0 {
        return Answer::CouldNotAsk(format!("{} needs a port (write {}:PORT)", c.proto, c.to));
    }
    let reply = match c.proto {
        Proto::Icmp => {
            let count = if c.should_answer { 3 } else { 2 };
            return match nslab_probe::icmp_echo(
                fd,
                c.to,
                count,
                Duration::from_millis(100),
                TIMEOUT,
            ) {
                Ok(stats) => answer_of_ping(&stats),
                Err(e) => Answer::CouldNotAsk(error_chain(&e)),
            };
        }
        Proto::Tcp => nslab_probe::tcp_probe(fd, dst, TIMEOUT),
        Proto::Udp => nslab_probe::udp_probe(fd, dst, TIMEOUT),
        Proto::Http => nslab_probe::http_probe(fd, dst, TIMEOUT),
    };
    match reply {
        Ok(r) => Answer::Answered {
            label: r.from_label,
            seen_as: r.seen_as,
        },
        Err(e) => answer_of(e),
    }
}

/// An error and its sources, `: `-joined (`raw ICMP socket: Operation not
/// permitted`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// Run all checks in parallel, in the order given.
pub fn run_all(checks: &[Check]) -> Vec<Outcome> {
    let mut out: Vec<Option<Outcome>> = vec![None; checks.len()];
    for (chunk_i, chunk) in checks.chunks(PARALLEL).enumerate() {
        std::thread::scope(|s| {
            let handles: Vec<_> = chunk.iter().map(|c| s.spawn(move || probe(c))).collect();
            for (i, h) in handles.into_iter().enumerate() {
                let o = h.join().unwrap_or_else(|_| Outcome {
                    pass: false,
                    seen: "the probe thread panicked".into(),
                    took: Duration::ZERO,
                    asked: false,
                });
                out[chunk_i * PARALLEL + i] = Some(o);
            }
        });
    }
    out.into_iter().flatten().collect()
}

/// Resolve the file's checks against `state` and run them all: each
/// check with what it saw, in the file's order.
pub fn run(t: &m::Topology, state: &State) -> Result<Vec<(Check, Outcome)>, CheckError> {
    let checks = resolve(t, state)?;
    let outcomes = run_all(&checks);
    Ok(checks.into_iter().zip(outcomes).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nslab_probe::ProbeError as P;
    use std::io;

    /// Every kind of probe failure lands on the side a user expects.
    #[test]
    fn probe_failures_are_sorted_into_no_answer_unexpected_and_could_not_ask() {
        let t = Duration::from_secs(1);
        let kind = |a: &Answer| match a {
            Answer::Answered { .. } => "answered",
            Answer::NoAnswer(_) => "no",
            Answer::Unexpected(_) => "odd",
            Answer::CouldNotAsk(_) => "cant",
        };
        let os = |op, errno| P::Os {
            op,
            source: io::Error::from_raw_os_error(errno),
        };
        let table: Vec<(P, &str)> = vec![
            (P::Timeout { after: t }, "no"),
            (P::Refused, "no"),
            (P::Unreachable("No route to host".into()), "no"),
            (P::BadReply("HTTP/1.1 garbage".into()), "odd"),
            (os("read", libc::ECONNRESET), "odd"),
            (os("write", libc::EPIPE), "odd"),
            (os("bind", libc::EADDRINUSE), "cant"),
            (os("socket", libc::EMFILE), "cant"),
            (
                P::Setup(nslab_probe::Error::Netns(io::Error::from_raw_os_error(
                    libc::EPERM,
                ))),
                "cant",
            ),
        ];
        for (e, want) in table {
            let shown = format!("{e:?}");
            let a = answer_of(e);
            assert_eq!(kind(&a), want, "{shown} became {a:?}");
        }
    }

    fn stats(received: u32, errors: Vec<nslab_probe::PingFailure>) -> nslab_probe::PingStats {
        nslab_probe::PingStats {
            dst: "10.0.0.2".parse().expect("ip"),
            sent: 2,
            received,
            rtts: vec![],
            errors,
        }
    }

    fn fail(errno: Option<i32>, from: Option<&str>) -> nslab_probe::PingFailure {
        nslab_probe::PingFailure {
            seq: 1,
            from: from.map(|f| f.parse().expect("ip")),
            reason: "reason".into(),
            errno,
        }
    }

    #[test]
    fn ping_outcomes_tell_a_send_that_could_not_be_made_from_silence() {
        assert!(matches!(
            answer_of_ping(&stats(1, vec![])),
            Answer::Answered { .. }
        ));
        assert!(matches!(
            answer_of_ping(&stats(0, vec![])),
            Answer::NoAnswer(_)
        ));
        assert!(matches!(
            answer_of_ping(&stats(0, vec![fail(None, Some("10.0.0.254"))])),
            Answer::NoAnswer(_)
        ));
        assert!(matches!(
            answer_of_ping(&stats(0, vec![fail(Some(libc::ENETUNREACH), None)])),
            Answer::NoAnswer(_)
        ));
        assert!(matches!(
            answer_of_ping(&stats(0, vec![fail(Some(libc::EBADF), None)])),
            Answer::CouldNotAsk(_)
        ));
    }
}
