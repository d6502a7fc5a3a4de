//! The facade against the in-memory kernel (in a sandbox: the record and
//! the nodes' files are the sandbox's).

use super::Lab;
use crate::host::fake::FakeHost;
use crate::lab::faults::Request;
use crate::launch;
use crate::record;
use crate::record::Fault;
use crate::state::Impair;
use nslab_sys::statedir::StateDir;
use proptest::prelude::*;

/// A file `up` accepts with a warning: a NAT rule asked for twice.
const TWICE: &str = "lab: fw
nodes:
  gw:
    interfaces:
      wan: { addresses: [192.168.9.1/24] }
      lan: { kind: bridge, addresses: [10.0.0.1/24] }
    nat:
      masquerade:
        - { from: 10.0.0.0/24, out: wan }
        - { from: 10.0.0.0/24, out: wan }
  out:
    interfaces:
      eth0: { addresses: [192.168.9.2/24] }
links:
  - [gw:wan, out:eth0]
";

/// What `nslab up` prints as warnings reaches the facade's user: the
/// file's (a NAT rule asked for twice) and the run's (an earlier record
/// that cannot be read, set aside).
#[test]
fn up_gives_the_caller_its_warnings() {
    if !nslab_sys::sandbox::Sandbox::new()
        .with_pid_namespace()
        .enter("facade::tests::up_gives_the_caller_its_warnings")
    {
        return;
    }
    let l = launch::parse("(string)", TWICE).expect("valid");
    let dir = StateDir::open("fw").expect("state dir");
    dir.write_atomic(record::FILE, b"{ not a record")
        .expect("write");
    let mut h = FakeHost::new("fw");
    let lab = Lab::bring_up_on(&mut h, l).expect("up").keep();
    let w = lab.warnings();
    assert!(w.iter().any(|w| w.contains("is asked for twice")), "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.contains("cannot be read") && w.contains("set aside")),
        "{w:?}"
    );
    assert!(lab.notes().is_empty(), "{:?}", lab.notes());
    let r = crate::lab::down(&mut h, "fw").expect("down");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

/// The request the CLI makes of `nslab CMD LAB ARGS`, as its fault
/// commands make it.
fn cli_request(cmd: &str, args: &[String]) -> Result<Request, String> {
    use crate::cli::args::{Args, Command, FaultCommand};
    use clap::Parser;
    let argv = ["nslab", cmd, "lab"]
        .into_iter()
        .map(String::from)
        .chain(args.iter().cloned());
    let parsed = Args::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Fault(f) = parsed.command else {
        return Err(format!("`{cmd}` is no fault command"));
    };
    let split = |t: &str| {
        let (n, i) = t.split_once(':').unwrap_or((t, ""));
        (n.to_string(), i.to_string())
    };
    Ok(match f {
        FaultCommand::Link {
            target,
            state,
            both,
            ..
        } => {
            let (node, ifname) = split(&target);
            let up = state == crate::cli::faults::UpDown::Up;
            Request::Link {
                node,
                ifname,
                up,
                both,
            }
        }
        FaultCommand::Impair { target, flags, .. } => {
            let (node, ifname) = split(&target);
            Request::impair(node, ifname, crate::cli::faults::impair_of(&flags)?)
        }
        FaultCommand::Partition {
            groups, one_way, ..
        } => {
            let groups = groups
                .iter()
                .map(|g| g.split(',').map(String::from).collect())
                .collect();
            Request::Put(Fault::Partition { groups, one_way })
        }
        FaultCommand::Stop { node, .. } => Request::stop(node),
        FaultCommand::Start { node, .. } => Request::Start { node },
        other => return Err(format!("{other:?} makes no request")),
    })
}

fn impair_strategy() -> impl Strategy<Value = Option<Impair>> {
    let us = proptest::option::of(0u32..=60_000_000);
    let ppm = proptest::option::of(0u32..=1_000_000);
    let bps = proptest::option::of((1u64..=1_000_000_000).prop_map(|b| b * 8));
    proptest::option::of((us.clone(), us, ppm, bps).prop_map(|(d, j, l, r)| Impair {
        delay_us: d,
        // As the file allows it: a jitter varies a delay.
        jitter_us: j.filter(|_| d.is_some()),
        loss_ppm: l,
        rate_bps: r,
    }))
}

proptest! {
    /// Without root the facade's faults are `nslab` commands: each
    /// request, written as the command's arguments, is read by the CLI
    /// back into the same request (an impairment to the microsecond and
    /// part per million, a stopped node, a one-way partition, ...).
    #[test]
    fn a_fault_as_a_command_is_the_same_request(
        node in "[a-z][a-z0-9]{0,6}",
        ifname in "[a-z][a-z0-9]{0,6}",
        up: bool,
        both: bool,
        one_way: bool,
        impair in impair_strategy(),
    ) {
        let reqs = [
            Request::Link { node: node.clone(), ifname: ifname.clone(), up, both },
            Request::impair(node.clone(), ifname.clone(), impair),
            Request::Put(Fault::Partition {
                groups: vec![vec![node.clone(), "x".into()], vec!["y".into()]],
                one_way,
            }),
            Request::stop(node.clone()),
            Request::Start { node: node.clone() },
        ];
        for req in reqs {
            let (cmd, args) = super::faults::cli_args(&req);
            prop_assert_eq!(cli_request(cmd, &args), Ok(req.clone()), "{} {:?}", cmd, args);
        }
    }
}
