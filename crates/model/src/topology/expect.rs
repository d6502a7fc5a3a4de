//! Checks run by `nslab check`.

use crate::loc::Loc;
use crate::names::NodeName;
use crate::values::Port;
use std::net::IpAddr;

pub use nslab_types::ProbeProto;

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A node (its first address), with an optional port (`nginx:80`).
    Node {
        /// The node.
        node: NodeName,
        /// The port for tcp/udp/http.
        port: Option<Port>,
    },
    /// An address, with an optional port (`10.0.0.1:80`, `[fd00::1]:80`).
    Addr {
        /// The address.
        ip: IpAddr,
        /// The port for tcp/udp/http.
        port: Option<Port>,
    },
}

impl Target {
    /// The port, if one is given.
    pub fn port(&self) -> Option<Port> {
        match self {
            Target::Node { port, .. } | Target::Addr { port, .. } => *port,
        }
    }
}

/// Whether a check must succeed or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Outcome {
    /// The probe must succeed (`->`, `expect: ok`).
    #[default]
    Ok,
    /// The probe must not get a reply (`-x`, `expect: fail`).
    Fail,
}

/// One check: `h1 -> h2`, `ns0 -x 10.0.1.1`, or the map form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// The node the probe starts from.
    pub from: NodeName,
    /// What it probes.
    pub to: Target,
    /// How (default ICMP).
    pub proto: ProbeProto,
    /// The answer must come from this node's built-in responder.
    pub reply_from: Option<NodeName>,
    /// The responder must have seen the client as this address.
    pub seen_as: Option<IpAddr>,
    /// Succeed or fail.
    pub outcome: Outcome,
    /// `within: 5s`: retried until it holds or this time is up (failover
    /// and reconvergence take time); `None`: one try.
    pub within: Option<std::time::Duration>,
    /// Where the check is written.
    pub loc: Loc,
}
