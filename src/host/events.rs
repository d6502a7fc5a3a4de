//! What changes in a lab as it happens (`nslab events`): one
//! [`nl::Watch`] per node (a route socket on the multicast groups of its
//! namespace), the kernel's messages turned into [`LabEvent`]s — links
//! added, removed, up, down, carrier on and off; addresses and routes
//! added and removed; neighbours (ARP, NDP) and bridge FDB entries
//! learned, changed and removed. Nothing is polled: [`Watcher::next`]
//! sleeps in `poll(2)` on the sockets, on an inotify watch of
//! `/run/netns` (a node whose namespace is deleted, by `nslab down` say,
//! is dropped — its socket would keep the namespace alive) and on a
//! `signalfd` for SIGINT and SIGTERM, which end the watch.

use super::{Cause, OpError};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nslab_netlink as nl;
use nslab_sys::netns;
use serde::Serialize;
use std::collections::BTreeMap;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

mod translate;

/// One change, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabEvent {
    pub node: String,
    /// `link`, `address`, `route`, `neighbour`, `fdb`, `node`, or `lost`
    /// (the kernel dropped events: its buffer for us was full).
    pub kind: &'static str,
    /// `added`, `removed`, `changed`; for links also `up`, `down`,
    /// `carrier-on`, `carrier-off`, `renamed`. (`node` `removed`: its
    /// namespace was deleted.)
    pub action: String,
    /// The interface it is about (for `fdb`: the bridge port).
    pub interface: Option<String>,
    /// The rest: `10.0.0.1/24`, `10.2.0.0/16 via 10.0.0.2`, ...
    pub detail: String,
}

/// How [`Watcher::next`] returned.
#[derive(Debug)]
pub enum Next {
    Events(Vec<LabEvent>),
    /// SIGINT or SIGTERM arrived.
    Stopped,
    TimedOut,
    /// Every node's namespace is gone (the lab went down).
    Ended,
}

/// A link as last seen, to tell what a `RTM_NEWLINK` changed.
#[derive(Debug, Clone)]
struct LinkSeen {
    name: String,
    up: bool,
    oper: String,
    mtu: u32,
    master: Option<u32>,
    alias: Option<String>,
}

/// A neighbour: its interface, and its IP (ARP/NDP) or MAC and VLAN (FDB).
type NeighKey = (u32, String);
/// A neighbour's MAC and state.
type NeighSeen = (Option<[u8; 6]>, String);

/// The watch of one node and what it has seen.
struct NodeWatch {
    node: String,
    netns: Option<String>,
    watch: nl::Watch,
    links: BTreeMap<u32, LinkSeen>,
    /// Neighbours as last seen.
    neighbours: BTreeMap<NeighKey, NeighSeen>,
    /// In the host node only the lab's links (alias `nslab:<lab>`) count.
    mark: Option<String>,
}

/// Watches every node of a lab.
pub struct Watcher {
    nodes: Vec<NodeWatch>,
    /// Deletions in `/run/netns` (`None` without namespaced nodes).
    gone: Option<Inotify>,
    signals: SignalFd,
}

impl Watcher {
    /// Joins the multicast groups in each node (`None`: the host node),
    /// learns what is there now, and from then on takes SIGINT and
    /// SIGTERM as "stop".
    pub fn open(lab: &str, nodes: &[(String, Option<String>)]) -> Result<Watcher, OpError> {
        let mut watches = Vec::new();
        // Nodes whose namespace is gone (a degraded lab) are not watched.
        let present = nodes
            .iter()
            .filter(|(_, ns)| ns.as_deref().is_none_or(netns::exists));
        for (node, ns) in present {
            let fail = |c: Cause| OpError::at("ip monitor", node, c);
            let open = || -> Result<_, nl::Error> {
                // The watch first, so nothing happens between the two.
                let watch = nl::Watch::open()?;
                let mut s = nl::Socket::open()?;
                Ok((watch, s.links()?, s.neighbours()?))
            };
            let (watch, links, neighbours) = match ns {
                Some(ns) => {
                    let fd = netns::open(ns).map_err(|e| fail(e.into()))?;
                    netns::run_in(fd.as_fd(), open).map_err(|e| fail(e.into()))?
                }
                None => open(),
            }
            .map_err(|e| fail(e.into()))?;
            let mut w = NodeWatch {
                node: node.clone(),
                netns: ns.clone(),
                watch,
                links: BTreeMap::new(),
                neighbours: BTreeMap::new(),
                mark: ns.is_none().then(|| nslab_types::names::lab_mark(lab)),
            };
            for l in &links {
                w.links.insert(l.index, LinkSeen::of(l));
            }
            for n in &neighbours {
                w.neighbours
                    .insert(translate::neigh_key(n), (n.mac, n.state.clone()));
            }
            watches.push(w);
        }
        let mut mask = SigSet::empty();
        mask.add(Signal::SIGINT);
        mask.add(Signal::SIGTERM);
        let signals = mask
            .thread_block()
            .and_then(|()| {
                SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
            })
            .map_err(|e| OpError::at("signalfd", super::query::HOST, e))?;
        let gone = if nodes.iter().any(|(_, ns)| ns.is_some()) {
            let dir = netns::netns_dir();
            let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
                .and_then(|i| {
                    let what = AddWatchFlags::IN_DELETE | AddWatchFlags::IN_MOVED_FROM;
                    i.add_watch(&dir, what).map(|_| i)
                })
                .map_err(|e| {
                    OpError::at(format!("inotify {}", dir.display()), super::query::HOST, e)
                })?;
            Some(ino)
        } else {
            None
        };
        // A namespace deleted before the inotify watch was in place.
        watches.retain(|w| w.netns.as_deref().is_none_or(netns::exists));
        Ok(Watcher {
            nodes: watches,
            gone,
            signals,
        })
    }

    /// How many nodes are watched (those whose namespace exists).
    pub fn watched(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes whose namespace inotify says was deleted: dropped, each
    /// an event.
    fn forget_gone(&mut self, out: &mut Vec<LabEvent>) {
        let Some(ino) = &self.gone else { return };
        let names: Vec<String> = ino
            .read_events()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|e| e.name.map(|n| n.to_string_lossy().into_owned()))
            .collect();
        self.nodes.retain(|w| {
            let gone = w.netns.as_ref().is_some_and(|ns| names.contains(ns));
            if gone {
                out.push(LabEvent {
                    node: w.node.clone(),
                    kind: "node",
                    action: "removed".into(),
                    interface: None,
                    detail: format!("namespace {} deleted", w.netns.clone().unwrap_or_default()),
                });
            }
            !gone
        });
    }

    /// Waits for events (at most `timeout`; `None`: for ever), and returns
    /// all that are queued.
    pub fn next(&mut self, timeout: Option<Duration>) -> Result<Next, OpError> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            if self.nodes.is_empty() {
                return Ok(Next::Ended);
            }
            let wait = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(Next::TimedOut);
                    }
                    PollTimeout::try_from(left.as_millis().saturating_add(1))
                        .unwrap_or(PollTimeout::MAX)
                }
            };
            let ready = self.wait(wait)?;
            let (nodes, rest) = ready.split_at(self.nodes.len());
            if rest.last() == Some(&true) {
                return Ok(Next::Stopped);
            }
            let mut out = Vec::new();
            for (w, _) in self.nodes.iter_mut().zip(nodes).filter(|(_, r)| **r) {
                w.drain(&mut out)?;
            }
            if rest.len() == 2 && rest[0] {
                self.forget_gone(&mut out);
            }
            if !out.is_empty() {
                return Ok(Next::Events(out));
            }
        }
    }

    /// `poll(2)`: which of the node sockets, then the inotify watch (if
    /// any), then the signalfd, are ready.
    fn wait(&self, wait: PollTimeout) -> Result<Vec<bool>, OpError> {
        let mut fds: Vec<PollFd> = self
            .nodes
            .iter()
            .map(|w| PollFd::new(w.watch.as_fd(), PollFlags::POLLIN))
            .chain(
                self.gone
                    .iter()
                    .map(|i| PollFd::new(i.as_fd(), PollFlags::POLLIN)),
            )
            .chain(std::iter::once(PollFd::new(
                self.signals.as_fd(),
                PollFlags::POLLIN,
            )))
            .collect();
        match poll(&mut fds, wait) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(OpError::at("poll", super::query::HOST, e)),
        }
        Ok(fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect())
    }
}

impl NodeWatch {
    /// Reads every queued datagram of this node's socket.
    fn drain(&mut self, out: &mut Vec<LabEvent>) -> Result<(), OpError> {
        loop {
            let evs = self
                .watch
                .read()
                .map_err(|e| OpError::at("ip monitor", &self.node, e))?;
            if evs.is_empty() {
                return Ok(());
            }
            for ev in evs {
                out.extend(self.translate(ev));
            }
        }
    }
}

impl LinkSeen {
    fn of(l: &nl::Link) -> LinkSeen {
        LinkSeen {
            name: l.name.clone(),
            up: l.admin_up,
            oper: l.oper_state.to_ascii_lowercase(),
            mtu: l.mtu,
            master: l.master,
            alias: l.alias.clone(),
        }
    }

    /// Whether the link has carrier (`UNKNOWN`: a device that does not
    /// report it, such as `lo`, counts as on).
    fn carrier(&self) -> bool {
        matches!(self.oper.as_str(), "up" | "unknown")
    }
}
