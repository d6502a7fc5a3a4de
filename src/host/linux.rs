//! The real host: operations become netlink requests on one route socket
//! per namespace, opened from a thread inside that namespace (a socket
//! belongs to the namespace it was created in, forever).

mod addrs_routes;
mod faults;
mod links;
mod physical;

pub use faults::{partition_table_name, Drops};
pub use physical::physical_from_mark;

use super::{Cause, OpError};
use crate::plan::{At, Op};
use crate::record::PhysicalWas;
use nslab_netlink as nl;
use nslab_sys::{netns, sysctl};
use std::collections::{BTreeMap, HashMap};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;

/// The namespace of a node: a name under /run/netns, a path (a CNI
/// runtime's `CNI_NETNS`: a namespace nslab did not make), or `None` for
/// the one nslab runs in.
pub(super) fn open_netns(netns: Option<&str>) -> Result<OwnedFd, nslab_sys::Error> {
    match netns {
        Some(p) if p.starts_with('/') => netns::open_path(std::path::Path::new(p)),
        Some(name) => netns::open(name),
        None => netns::current(),
    }
}

/// An open namespace: its fd, its route socket, and a name → index cache.
pub(in crate::host) struct Handle {
    pub fd: OwnedFd,
    pub sock: nl::Socket,
    /// The namespace's netfilter socket, opened when first needed.
    nft: Option<nslab_nft::Socket>,
    index: HashMap<String, u32>,
    /// The namespace of the thread that visits (see [`netns::visit_from`]).
    home: Arc<OwnedFd>,
}

impl Handle {
    fn open(netns: Option<&str>, home: Arc<OwnedFd>) -> Result<Handle, Cause> {
        let fd = open_netns(netns)?;
        // The route socket from a short visit of this thread (no thread
        // of its own: a lab may have thousands of namespaces); the
        // netfilter socket when first needed.
        let sock = netns::visit_from(home.as_fd(), fd.as_fd(), nl::Socket::open)?;
        Ok(Handle {
            fd,
            sock: sock?,
            nft: None,
            index: HashMap::new(),
            home,
        })
    }

    /// Runs `f` inside this namespace, on this thread.
    pub(super) fn visit<R>(&self, f: impl FnOnce() -> R) -> Result<R, Cause> {
        Ok(netns::visit_from(self.home.as_fd(), self.fd.as_fd(), f)?)
    }

    pub(super) fn nft(&mut self) -> Result<&mut nslab_nft::Socket, Cause> {
        let s = match self.nft.take() {
            Some(s) => s,
            None => self.visit(nslab_nft::Socket::open)??,
        };
        Ok(self.nft.insert(s))
    }

    /// The ifindex of `name` in this namespace.
    fn index(&mut self, name: &str) -> Result<u32, Cause> {
        if let Some(i) = self.index.get(name) {
            return Ok(*i);
        }
        match self.sock.link_by_name(name)? {
            Some(l) => {
                self.index.insert(name.to_string(), l.index);
                Ok(l.index)
            }
            None => Err(Cause::errno_about(libc::ENODEV, name)),
        }
    }

    fn forget(&mut self, name: &str) {
        self.index.remove(name);
    }

    /// Send one request.
    fn exec(&mut self, req: nl::Request) -> Result<(), Cause> {
        match self.sock.execute(std::slice::from_ref(&req)).pop() {
            Some(r) => Ok(r?),
            None => Ok(()),
        }
    }
}

pub struct Linux {
    lab: String,
    alias: String,
    handles: HashMap<Option<String>, Handle>,
    /// This thread's own namespace, opened once for all visits.
    home: Option<Arc<OwnedFd>>,
    /// How physical interfaces were before they were moved in (by host
    /// name), restored when they are moved out.
    physical_was: BTreeMap<String, PhysicalWas>,
    /// What the user must know about what was given back.
    notes: Vec<String>,
    /// What of the operation being applied took effect so far (for its
    /// error, should a later request of it fail).
    took_effect: Vec<Effect>,
}

/// A part of an operation that took effect.
pub(super) enum Effect {
    /// Its first request: the link was made (or moved); what failed came
    /// after (marking it).
    Made,
    /// This request (an `ip`-like line).
    Request(String),
}

impl Linux {
    pub fn new(lab: &str) -> Linux {
        Linux {
            lab: lab.to_string(),
            alias: nslab_types::names::lab_mark(lab),
            handles: HashMap::new(),
            home: None,
            physical_was: BTreeMap::new(),
            notes: Vec::new(),
            took_effect: Vec::new(),
        }
    }

    /// How the physical interfaces were before they were moved in: a
    /// `MoveOut` gives each back so.
    pub fn give_back_as(&mut self, was: BTreeMap<String, PhysicalWas>) {
        self.physical_was = was;
    }

    /// Notes on interfaces given back (one came back under another name).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Closes every namespace handle (and this thread's own namespace):
    /// the next operation opens what it needs afresh.
    pub fn release(&mut self) {
        self.handles.clear();
        self.home = None;
    }

    pub fn alias(&self) -> &str {
        &self.alias
    }

    pub fn lab(&self) -> &str {
        &self.lab
    }

    pub(super) fn handle(&mut self, at: &At) -> Result<&mut Handle, Cause> {
        if !self.handles.contains_key(&at.netns) {
            let h = Handle::open(at.netns.as_deref(), self.home()?)?;
            self.handles.insert(at.netns.clone(), h);
        }
        self.handles
            .get_mut(&at.netns)
            .ok_or_else(|| Cause::Refused(format!("namespace of node {} is not open", at.node)))
    }

    /// Takes the open handle of `at`'s namespace out (to use it on
    /// another thread); [`Linux::put_handle`] gives it back.
    pub(super) fn take_handle(&mut self, at: &At) -> Option<Handle> {
        self.handles.remove(&at.netns)
    }

    pub(super) fn put_handle(&mut self, at: At, h: Handle) {
        self.handles.insert(at.netns, h);
    }

    /// This thread's namespace, opened on first use.
    fn home(&mut self) -> Result<Arc<OwnedFd>, Cause> {
        if let Some(h) = &self.home {
            return Ok(h.clone());
        }
        let h = Arc::new(netns::current()?);
        self.home = Some(h.clone());
        Ok(h)
    }

    /// Drop the handle of a namespace (closes its socket and fd, so the
    /// namespace can go away).
    pub(super) fn close(&mut self, netns: &str) {
        self.handles.remove(&Some(netns.to_string()));
    }

    fn raw_fd(&mut self, at: &At) -> Result<i32, Cause> {
        Ok(self.handle(at)?.fd.as_raw_fd())
    }

    fn run(&mut self, op: &Op) -> Result<(), Cause> {
        let alias = Some(self.alias.clone());
        match op {
            Op::CreateNetns { netns: name, .. } => self.create_netns(name, alias.as_deref()),
            Op::DeleteNetns { netns: name, .. } => self.delete_netns(name),
            Op::SetLo { at, up } => self.set_lo(at, *up),
            Op::SetSysctl { at, key, value } => self.set_sysctl(at, key, value),
            Op::AddVeth { a, b } => self.add_veth(a, b, alias),
            Op::AddLink {
                end,
                kind,
                parent_at,
            } => self
                .add_link(end, kind, parent_at.as_ref(), alias)
                .map_err(|e| links::with_module_hint(e, kind)),
            Op::DeleteLink { at, ifname } => self.delete_link(at, ifname),
            Op::MoveIn { at, ifname, from } => self.move_in(at, ifname, from),
            Op::MoveOut { at, ifname, to } => self.move_out(at, ifname, to),
            Op::SetLink { at, ifname, change } => self.set_link(at, ifname, change),
            Op::AddAddress { at, ifname, cidr } => self.set_address(at, ifname, cidr, true),
            Op::DelAddress { at, ifname, cidr } => self.set_address(at, ifname, cidr, false),
            Op::AddRoute { at, route } => self.add_route(at, route),
            Op::DelRoute { at, route } => self.del_route(at, route),
            Op::SetNat { at, table, nat } => self.set_nat(at, table, nat.as_ref()),
            Op::WriteFile { at, path, file } => {
                crate::host::files::write(&self.lab, &at.node, path, file).map_err(Cause::from)
            }
            Op::RemoveFile { at, path } => {
                crate::host::files::remove(&self.lab, &at.node, path).map_err(Cause::from)
            }
            Op::SetImpair { at, ifname, impair } => self.set_impair(at, ifname, impair.as_ref()),
        }
    }

    fn create_netns(&mut self, name: &str, alias: Option<&str>) -> Result<(), Cause> {
        // Mark the namespace as the lab's before it has a name:
        // ownership is this mark (`down` finds it even without the
        // state file), and no one can open it unmarked. The socket that
        // marked it becomes the namespace's handle: no second visit.
        let home = self.home()?;
        let mut marked = None;
        let made = netns::create_from(home.as_fd(), name, || match mark_lo(alias) {
            Ok(v) => Ok(v),
            Err(e) => {
                // The netlink error itself is kept (below); the words
                // only fail the creation, which then leaves nothing.
                let words = e.to_string();
                marked = Some(e);
                Err(words)
            }
        });
        let (fd, (sock, lo)) = match (made, marked) {
            (Ok(v), _) => v,
            (Err(_), Some(e)) => return Err(Cause::from(e).while_("mark lo")),
            (Err(e), None) => return Err(e.into()),
        };
        let mut h = Handle {
            fd,
            sock,
            nft: None,
            index: HashMap::new(),
            home,
        };
        h.index.insert("lo".into(), lo);
        self.handles.insert(Some(name.to_string()), h);
        Ok(())
    }

    fn delete_netns(&mut self, name: &str) -> Result<(), Cause> {
        self.close(name);
        // Its veths' peers in other nodes go too.
        self.forget_all();
        Ok(netns::delete(name)?)
    }

    /// Forget every cached ifindex (the kernel took links along).
    fn forget_all(&mut self) {
        for h in self.handles.values_mut() {
            h.index.clear();
        }
    }

    fn set_lo(&mut self, at: &At, up: bool) -> Result<(), Cause> {
        let h = self.handle(at)?;
        let lo = h.index("lo")?;
        h.exec(nl::Request::SetLink(nl::SetLink {
            up: Some(up),
            ..nl::SetLink::index(lo)
        }))
    }

    fn set_sysctl(&mut self, at: &At, key: &str, value: &str) -> Result<(), Cause> {
        let h = self.handle(at)?;
        // Already so (a new namespace's defaults): no write, which would
        // cost a /proc/sys path lookup and a thread. Writing IPv6's `all`
        // also sets `default` and every interface, so that one is skipped
        // only when `default` agrees too (a new namespace's interfaces
        // started from it).
        if let Some(family) = netconf_key(key) {
            let is = |v: Result<u32, nl::Error>| v.is_ok_and(|v| v.to_string() == value);
            if is(h.sock.forwarding(family))
                && (family == nl::Family::V4 || is(h.sock.default_forwarding(family)))
            {
                return Ok(());
            }
        }
        Ok(h.visit(|| sysctl::write(key, value))??)
    }

    fn set_nat(
        &mut self,
        at: &At,
        table: &str,
        nat: Option<&crate::state::nat::Nat>,
    ) -> Result<(), Cause> {
        if nat.is_some_and(crate::state::nat::Nat::is_foreign) {
            // Undoing a repair: what was there was not nslab's to write.
            return Err(Cause::Refused(format!(
                "table inet {table} held rules not written by nslab; they cannot be put back"
            )));
        }
        let mark = self.alias.clone();
        let sock = self.handle(at)?.nft()?;
        match nat {
            Some(n) => sock.replace(&super::nat::table(table, &mark, n))?,
            None => sock.delete(table)?,
        }
        Ok(())
    }
}

/// The sysctls readable over netlink (`RTM_GETNETCONF`): the `all`
/// forwarding switches.
pub(super) fn netconf_key(key: &str) -> Option<nl::Family> {
    match key {
        "net.ipv4.ip_forward" | "net.ipv4.conf.all.forwarding" => Some(nl::Family::V4),
        "net.ipv6.conf.all.forwarding" => Some(nl::Family::V6),
        _ => None,
    }
}

/// Sets `lo`'s alias in the calling thread's namespace, with a route
/// socket opened there (returned with `lo`'s index, for the handle).
fn mark_lo(alias: Option<&str>) -> Result<(nl::Socket, u32), nl::Error> {
    let mut sock = nl::Socket::open()?;
    let Some(lo) = sock.link_by_name("lo")? else {
        return Err(nl::Error::local(
            nl::Op::GetLink,
            libc::ENODEV,
            "the new namespace has no lo",
        ));
    };
    for r in sock.execute(&[nl::Request::SetLink(nl::SetLink {
        alias: alias.map(str::to_string),
        ..nl::SetLink::index(lo.index)
    })]) {
        r?;
    }
    Ok((sock, lo.index))
}

impl Linux {
    /// [`Host::apply`] on the real kernel (the trait's impl is in
    /// `host/live.rs`, beside the observer's).
    pub(super) fn apply_op(&mut self, op: &Op) -> Result<(), OpError> {
        self.took_effect.clear();
        self.run(op).map_err(|cause| {
            let mut e = OpError::new(op, cause);
            e.took_effect = self
                .took_effect
                .drain(..)
                .map(|p| match p {
                    Effect::Made => op.to_string(),
                    Effect::Request(line) => line,
                })
                .collect();
            e
        })
    }
}
