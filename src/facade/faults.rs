//! The [`Lab`]'s faults: links down or up, impairments, partitions,
//! stopped nodes, and healing them all (as `nslab link`, `impair`,
//! `partition`, `stop`, `start` and `heal`).

use super::{Backend, Error, Lab};
use crate::lab::faults::{self, Request};
use crate::record::Fault;
use crate::state::Impair;

impl Lab {
    fn fault(&self, req: Request) -> Result<(), Error> {
        if let Backend::Child(c) = &self.backend {
            let (cmd, args) = cli_args(&req);
            return c.fault(cmd, &args);
        }
        faults::apply(
            &mut crate::host::linux::Linux::new(self.name()),
            &self.desired,
            &req,
        )
        .map_err(|e| Error::Fault {
            lab: self.name().to_string(),
            cause: Box::new(e),
        })
        .map(|_| ())
    }

    fn endpoint(at: &str) -> Result<(String, String), Error> {
        at.split_once(':')
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .ok_or_else(|| Error::NotEndpoint {
                given: at.to_string(),
            })
    }

    /// Set the admin state of `NODE:IF` (`false`: down).
    pub fn link(&self, at: &str, up: bool) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::Link {
            node,
            ifname,
            up,
            both: false,
        })
    }

    /// Set the admin state of both ends of the veth `NODE:IF`.
    pub fn link_both(&self, at: &str, up: bool) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::Link {
            node,
            ifname,
            up,
            both: true,
        })
    }

    /// Impair `NODE:IF`'s egress (netem); `None`: back to the file's.
    pub fn impair(&self, at: &str, impair: Option<Impair>) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::impair(node, ifname, impair))
    }

    /// Drop every packet between nodes of different groups.
    pub fn partition(&self, groups: &[&[&str]]) -> Result<(), Error> {
        self.partition_with(groups, false)
    }

    /// Drop packets from the first group to the others only.
    pub fn partition_one_way(&self, groups: &[&[&str]]) -> Result<(), Error> {
        self.partition_with(groups, true)
    }

    fn partition_with(&self, groups: &[&[&str]], one_way: bool) -> Result<(), Error> {
        let groups = groups
            .iter()
            .map(|g| g.iter().map(|n| n.to_string()).collect())
            .collect();
        self.fault(Request::Put(Fault::Partition { groups, one_way }))
    }

    /// A failed host: `node`'s interfaces down, its processes frozen.
    pub fn stop(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::stop(node.into()))
    }

    /// `node` back as it was before [`Lab::stop`].
    pub fn start(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::Start { node: node.into() })
    }

    /// Every fault removed; the lab as its file says.
    pub fn heal(&self) -> Result<(), Error> {
        if let Backend::Child(c) = &self.backend {
            return c.fault("heal", &[]);
        }
        faults::heal(
            &mut crate::host::linux::Linux::new(self.name()),
            &self.topology,
            &self.desired,
        )
        .map(|_| ())
        .map_err(|e| Error::Fault {
            lab: self.name().to_string(),
            cause: Box::new(e),
        })
    }

    /// The faults in force (an error when the lab's record cannot be
    /// read: never "none" for "cannot tell").
    pub fn faults(&self) -> Result<Vec<Fault>, Error> {
        if let Backend::Child(c) = &self.backend {
            return c.faults();
        }
        faults::active(self.name()).map_err(|e| Error::Fault {
            lab: self.name().to_string(),
            cause: Box::new(e),
        })
    }
}

/// The `nslab` command that makes `req`, and its arguments after LAB.
pub(super) fn cli_args(req: &Request) -> (&'static str, Vec<String>) {
    let at = |node: &str, ifname: &str| format!("{node}:{ifname}");
    match req {
        Request::Link {
            node,
            ifname,
            up,
            both,
        } => {
            let mut a = vec![at(node, ifname), if *up { "up" } else { "down" }.into()];
            if *both {
                a.push("--both".into());
            }
            ("link", a)
        }
        Request::ClearImpair { node, ifname } => {
            ("impair", vec![at(node, ifname), "--clear".into()])
        }
        Request::Start { node } => ("start", vec![node.clone()]),
        Request::Put(Fault::Stopped { node, .. }) => ("stop", vec![node.clone()]),
        Request::Put(Fault::LinkDown { node, ifname }) => {
            ("link", vec![at(node, ifname), "down".into()])
        }
        Request::Put(Fault::Partition { groups, one_way }) => {
            let mut a: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
            if *one_way {
                a.push("--one-way".into());
            }
            ("partition", a)
        }
        Request::Put(Fault::Impair {
            node,
            ifname,
            impair,
        }) => {
            let mut a = vec![at(node, ifname)];
            a.extend(impair_flags(impair.as_ref()));
            ("impair", a)
        }
    }
}

/// `nslab impair`'s flags for exactly `impair`: those it gives (none:
/// no impairment, whatever the file says, which `--delay=0us` asks for).
fn impair_flags(impair: Option<&Impair>) -> Vec<String> {
    let Some(i) = impair.copied() else {
        return vec!["--delay=0us".into()];
    };
    let mut a = Vec::new();
    if let Some(d) = i.delay_us {
        a.push(format!("--delay={d}us"));
    }
    if let Some(j) = i.jitter_us {
        a.push(format!("--jitter={j}us"));
    }
    if let Some(l) = i.loss_ppm {
        a.push(format!("--loss={}%", f64::from(l) / 10_000.0));
    }
    if let Some(r) = i.rate_bps {
        a.push(format!("--rate={r}bit"));
    }
    a
}
