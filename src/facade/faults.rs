//! The [`Lab`]'s faults: links down or up, impairments, partitions,
//! stopped nodes, and healing them all (as `nslab link`, `impair`,
//! `partition`, `stop`, `start` and `heal`).

use super::{Error, Lab};
use crate::lab::faults::{self, Request};
use crate::record::Fault;
use crate::state::Impair;

impl Lab {
    fn fault(&self, req: Request) -> Result<Vec<Fault>, Error> {
        faults::apply(
            &mut crate::host::linux::Linux::new(self.name()),
            &self.desired,
            &req,
        )
        .map_err(|e| Error::Fault {
            lab: self.name().to_string(),
            cause: Box::new(e),
        })
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
        .map(|_| ())
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
        .map(|_| ())
    }

    /// Impair `NODE:IF`'s egress (netem); `None`: back to the file's.
    pub fn impair(&self, at: &str, impair: Option<Impair>) -> Result<(), Error> {
        let (node, ifname) = Lab::endpoint(at)?;
        self.fault(Request::impair(node, ifname, impair))
            .map(|_| ())
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
            .map(|_| ())
    }

    /// A failed host: `node`'s interfaces down, its processes frozen.
    pub fn stop(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::stop(node.into())).map(|_| ())
    }

    /// `node` back as it was before [`Lab::stop`].
    pub fn start(&self, node: &str) -> Result<(), Error> {
        self.fault(Request::Start { node: node.into() }).map(|_| ())
    }

    /// Every fault removed; the lab as its file says.
    pub fn heal(&self) -> Result<(), Error> {
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
        faults::active(self.name()).map_err(|e| Error::Fault {
            lab: self.name().to_string(),
            cause: Box::new(e),
        })
    }
}
