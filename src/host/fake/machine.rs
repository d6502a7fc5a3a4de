//! The fake as the whole machine the lab layer asks about: its
//! namespaces, the physical interfaces moved in, the partition tables. In
//! the fake every namespace is the lab's (there is no other lab), and
//! nothing lingers after a delete (no waits).

use super::{injected, FakeHost};
use crate::host::linux::Drops;
use crate::host::{Cause, Host, OpError, Scope};
use crate::plan::{At, Op};
use crate::record::PhysicalWas;
use crate::state::{LinkKind, State};
use std::collections::BTreeMap;
use std::time::Duration;

impl FakeHost {
    /// The node `at` names, for a partition: the host node always
    /// exists; a namespace node only while it is in the fake kernel.
    fn partition_node(&self, at: &At, op: &str) -> Result<String, OpError> {
        if at.netns.is_none() || self.state.nodes.contains_key(&at.node) {
            return Ok(at.node.clone());
        }
        Err(OpError::at(
            op,
            &at.node,
            Cause::errno_about(libc::ENOENT, "namespace missing"),
        ))
    }
}

impl Host for FakeHost {
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError> {
        let mut s = self.state.clone();
        s.lab = scope.lab.clone();
        Ok(s)
    }

    fn apply(&mut self, op: &Op) -> Result<(), OpError> {
        let index = self.applied;
        self.applied += 1;
        if self.fail_at == Some(index) {
            self.fail_at = None;
            return Err(injected(op));
        }
        self.apply_requests(op)?;
        self.log.push(op.to_string());
        Ok(())
    }

    fn lab_namespaces(&mut self, lab: &str, named: &[String]) -> Vec<String> {
        let prefix = nslab_types::names::netns_prefix(lab);
        let mut out: Vec<String> = self
            .state
            .nodes
            .values()
            .filter_map(|n| n.netns.clone())
            .filter(|ns| named.contains(ns) || ns.starts_with(&prefix))
            .collect();
        out.sort();
        out
    }

    fn physical_marks(
        &mut self,
        _lab: &str,
        nodes: &[(String, Option<String>)],
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (node, ns) in nodes {
            let Some(n) = self.state.nodes.get(node).filter(|_| ns.is_some()) else {
                continue;
            };
            for (ifname, l) in &n.links {
                if let LinkKind::Physical { from } = &l.kind {
                    out.insert(format!("{node}:{ifname}"), from.clone());
                }
            }
        }
        out
    }

    fn host_interfaces(&mut self, names: &[&str]) -> BTreeMap<String, PhysicalWas> {
        names
            .iter()
            .filter(|n| self.host_ifaces.contains(**n))
            .map(|n| {
                let was = PhysicalWas {
                    mtu: 1500,
                    up: false,
                    addresses: Vec::new(),
                    alias: None,
                };
                (n.to_string(), was)
            })
            .collect()
    }

    fn wait_links_gone(&mut self, _links: Vec<(Option<String>, Vec<String>)>, _within: Duration) {}

    fn wait_host_links_gone(&mut self, _lab: &str) -> Result<(), OpError> {
        if self.fail_host_links > 0 {
            self.fail_host_links -= 1;
            return Err(OpError::at(
                "remove host links",
                crate::host::query::HOST,
                Cause::errno_about(libc::EBUSY, "injected"),
            ));
        }
        Ok(())
    }

    fn clear_leftover_netns(&mut self, _ns: &str) {}

    fn forget_unresolved(&mut self, at: &At) -> Result<(), OpError> {
        let node = self.partition_node(at, "flush unresolved neighbours")?;
        self.forgot.push(node);
        Ok(())
    }

    fn give_back_as(&mut self, _was: BTreeMap<String, PhysicalWas>) {}

    fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    fn partition_of(&mut self, at: &At) -> Result<Option<Drops>, OpError> {
        let node = self.partition_node(at, "nft list table")?;
        Ok(self.partitions.get(&node).cloned())
    }

    fn set_partition(&mut self, at: &At, drops: Option<&Drops>) -> Result<(), OpError> {
        let node = self.partition_node(at, "nft replace table")?;
        match drops.filter(|d| !d.is_empty()) {
            Some(d) => self.partitions.insert(node, d.clone()),
            None => self.partitions.remove(&node),
        };
        Ok(())
    }

    fn restore_host_sysctl(&mut self, key: &str, value: &str) -> Result<(), OpError> {
        for n in self.state.nodes.values_mut().filter(|n| n.netns.is_none()) {
            if let Some(v) = n.sysctls.get_mut(key) {
                *v = value.to_string();
            }
        }
        Ok(())
    }

    fn release(&mut self) {}

    fn processes(&mut self) -> &mut dyn crate::host::Processes {
        self
    }

    fn containers(&mut self) -> &mut dyn crate::host::Containers {
        self
    }
}
