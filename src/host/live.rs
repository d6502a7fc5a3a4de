//! The [`Host`] on the live kernel: operations applied through
//! [`super::linux`], the lab read back through `super::observe`. Here, so
//! that neither of the two names the other: the observer uses the
//! applier's handles, one way.

use super::linux::{Drops, Linux};
use super::{observe, query, Host, OpError, Scope};
use crate::plan::{At, Op};
use crate::record::PhysicalWas;
use crate::state::State;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

impl Host for Linux {
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError> {
        observe::observe(self, scope)
    }

    fn apply(&mut self, op: &Op) -> Result<(), OpError> {
        self.apply_op(op)
    }

    fn lab_namespaces(&mut self, lab: &str, named: &[String]) -> Vec<String> {
        query::lab_namespaces(lab, named)
    }

    fn lab_namespaces_among(&mut self, lab: &str, named: &[String]) -> Vec<String> {
        query::lab_namespaces_among(lab, named)
    }

    fn physical_marks(
        &mut self,
        lab: &str,
        nodes: &[(String, Option<String>)],
    ) -> BTreeMap<String, String> {
        query::physical_marks(lab, nodes)
    }

    fn host_interfaces(&mut self, names: &[&str]) -> BTreeMap<String, PhysicalWas> {
        query::host_interfaces(names)
    }

    fn wait_links_gone(&mut self, links: Vec<(Option<String>, Vec<String>)>, within: Duration) {
        let deadline = Instant::now() + within;
        let mut watch = query::LinkWatch::new(links);
        while watch.left() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn wait_host_links_gone(&mut self, lab: &str) -> Result<(), OpError> {
        query::wait_host_links_gone(lab)
    }

    fn clear_leftover_netns(&mut self, ns: &str) {
        use nslab_sys::netns;
        if matches!(netns::open(ns), Err(nslab_sys::Error::NotNetns { .. })) {
            let _ = netns::delete(ns);
        }
    }

    fn give_back_as(&mut self, was: BTreeMap<String, PhysicalWas>) {
        Linux::give_back_as(self, was);
    }

    fn take_notes(&mut self) -> Vec<String> {
        Linux::take_notes(self)
    }

    fn partition_of(&mut self, at: &At) -> Result<Option<Drops>, OpError> {
        Linux::partition_of(self, at)
    }

    fn set_partition(&mut self, at: &At, drops: Option<&Drops>) -> Result<(), OpError> {
        Linux::set_partition(self, at, drops)
    }

    fn forget_unresolved(&mut self, at: &At) -> Result<(), OpError> {
        Linux::forget_unresolved(self, at)
    }

    fn restore_host_sysctl(&mut self, key: &str, value: &str) -> Result<(), OpError> {
        query::restore_host_sysctl(key, value)
    }

    fn release(&mut self) {
        Linux::release(self);
    }

    fn processes(&mut self) -> &mut dyn super::Processes {
        self
    }

    fn containers(&mut self) -> &mut dyn super::Containers {
        self
    }
}
