//! Physical interfaces: moved in from the host, given back as they were.

use super::addrs_routes::address;
use super::{Effect, Linux};
use crate::host::Cause;
use crate::plan::At;
use nslab_netlink as nl;
pub use nslab_types::names::{physical_from_mark, physical_mark};

fn host() -> At {
    At {
        node: "host".into(),
        netns: None,
    }
}

impl Linux {
    pub(super) fn move_in(&mut self, at: &At, ifname: &str, from: &str) -> Result<(), Cause> {
        let to = self.raw_fd(at)?;
        let h = self.handle(&host())?;
        let index = h.index(from)?;
        h.forget(from);
        h.exec(nl::Request::SetLink(nl::SetLink {
            netns_fd: Some(to),
            name: Some(ifname.to_string()),
            up: Some(false),
            ..nl::SetLink::index(index)
        }))?;
        self.took_effect.push(Effect::Made);
        // Marked with its host name: without the record, `down`
        // still knows what it is and where it goes back to.
        let mark = physical_mark(&self.lab, from);
        self.set_alias(at, ifname, Some(mark))
    }

    pub(super) fn move_out(&mut self, at: &At, ifname: &str, to: &str) -> Result<(), Cause> {
        let host = host();
        let host_fd = self.raw_fd(&host)?;
        // Its name, or a free one made from it when that was taken
        // while the interface was away.
        let name = free_name(&mut self.handle(&host)?.sock, to)?;
        let h = self.handle(at)?;
        let index = h.index(ifname)?;
        h.forget(ifname);
        h.exec(nl::Request::SetLink(nl::SetLink {
            netns_fd: Some(host_fd),
            name: Some(name.clone()),
            up: Some(false),
            ..nl::SetLink::index(index)
        }))?;
        self.took_effect.push(Effect::Made);
        if name != to {
            self.notes.push(format!(
                "{ifname} of node {} was given back to the host as {name}, not {to}: \
                 {to} is taken there now (`ip link set {name} name {to}` once it is free)",
                at.node
            ));
        }
        self.restore_physical(to, &name)
    }

    /// Give an interface moved back to the host (now called `name`) the
    /// MTU, addresses and admin state it had before it was moved in.
    fn restore_physical(&mut self, orig: &str, name: &str) -> Result<(), Cause> {
        let host = host();
        let was = self.physical_was.get(orig).cloned();
        let h = self.handle(&host)?;
        h.forget(name);
        let index = h.index(name)?;
        // Our mark goes (the alias it had comes back).
        let alias = was
            .as_ref()
            .and_then(|w| w.alias.clone())
            .unwrap_or_default();
        h.exec(nl::Request::SetLink(nl::SetLink {
            alias: Some(alias),
            ..nl::SetLink::index(index)
        }))
        .map_err(|e| e.while_(format!("restoring {name}")))?;
        let Some(was) = was else {
            return Ok(());
        };
        let mut reqs = vec![nl::Request::SetLink(nl::SetLink {
            mtu: Some(was.mtu),
            ..nl::SetLink::index(index)
        })];
        reqs.extend(
            was.addresses
                .iter()
                .map(|c| nl::Request::AddAddress(address(index, c))),
        );
        reqs.push(nl::Request::SetLink(nl::SetLink {
            up: Some(was.up),
            ..nl::SetLink::index(index)
        }));
        for r in h.sock.execute(&reqs) {
            match r {
                Err(e) if !e.is_exists() => {
                    return Err(Cause::from(e).while_(format!("restoring {name}")))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `want`, or when the host has an interface of that name, `want-1`,
/// `want-2`... (shortened to fit the kernel's 15 bytes).
fn free_name(sock: &mut nl::Socket, want: &str) -> Result<String, Cause> {
    let taken = |s: &mut nl::Socket, n: &str| s.link_by_name(n).map(|l| l.is_some());
    if !taken(sock, want)? {
        return Ok(want.to_string());
    }
    for k in 1..1000 {
        let suffix = format!("-{k}");
        let mut stem = want.to_string();
        while stem.len() + suffix.len() > 15 {
            stem.pop();
        }
        let name = format!("{stem}{suffix}");
        if !taken(sock, &name)? {
            return Ok(name);
        }
    }
    Err(Cause::errno_about(
        libc::EEXIST,
        format!("{want} is taken in the host and no free name was found for it"),
    ))
}
