//! Stopping a lab's processes: the recorded ones that are still the
//! processes recorded, and every process found to be the lab's by the
//! namespace it lives in or by the mark it carries.

use super::{ids_of, verified};
use crate::host::processes::{NsId, Proc, Processes};
use crate::host::Host;
use crate::record::Record;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How long stopped processes get between `SIGTERM` and `SIGKILL`.
const GRACE: Duration = Duration::from_secs(2);

/// Finds the lab's orphans: processes living in a namespace that has no
/// name any more (deleted by `down`, by hand, or by a run that was killed)
/// and that is the lab's by proof — its `lo` still carries the alias
/// `nslab:<lab>`. The environment mark alone could be forged or inherited
/// (a container's process, say), the namespace's own mark cannot.
struct Orphans<'a> {
    lab: &'a str,
    /// The namespaces with a name, read on the first process that carries
    /// the lab's mark outside its namespaces (usually none): not for
    /// every run, whatever other labs have.
    named: Option<BTreeSet<NsId>>,
    /// The namespace nslab itself runs in (never a lab's).
    own: Option<NsId>,
    seen: BTreeMap<NsId, bool>,
}

impl<'a> Orphans<'a> {
    fn new(p: &mut dyn Processes, lab: &'a str) -> Orphans<'a> {
        Orphans {
            lab,
            named: None,
            own: p.own_namespace(),
            seen: BTreeMap::new(),
        }
    }

    fn is_orphan(&mut self, p: &mut dyn Processes, q: &Proc) -> bool {
        let Some(n) = q.ns else { return false };
        if !has_mark(q, self.lab) || Some(n) == self.own {
            return false;
        }
        let named = self
            .named
            .get_or_insert_with(|| p.named_namespaces().into_iter().collect());
        if named.contains(&n) {
            return false;
        }
        if let Some(known) = self.seen.get(&n) {
            return *known;
        }
        let alias = nslab_types::names::lab_mark(self.lab);
        // The process may be in the namespace it claims, with no other
        // process left there: check it is the same one.
        let ours = p
            .netns_of(q.pid)
            .is_some_and(|(id, a)| id == n && a.as_deref() == Some(alias.as_str()));
        self.seen.insert(n, ours);
        ours
    }
}

fn has_mark(q: &Proc, lab: &str) -> bool {
    q.mark.as_ref().is_some_and(|(l, _)| l == lab)
}

/// Stops every process of the lab, before its namespaces are deleted:
/// the recorded ones that are still the processes recorded (pid and start
/// time) with their sessions, every process living in one of the lab's
/// namespaces `owned`, and every process carrying the lab's mark whose
/// namespace has no name any more. Works without a record. Returns how
/// many processes were stopped.
pub fn stop_all(host: &mut dyn Host, lab: &str, rec: Option<&Record>, owned: &[String]) -> usize {
    let p = host.processes();
    // The lab's namespaces: those carrying its mark (`owned`, found by
    // it), not whatever the record names.
    let lab_ns = ids_of(p, owned);
    let recorded: Vec<(i32, u64)> = rec
        .map(|r| {
            r.processes
                .iter()
                .filter_map(|r| verified(p, lab, r, &lab_ns))
                .map(|q| (q.pid, q.stat.start))
                .collect()
        })
        .unwrap_or_default();
    let leaders: Vec<i32> = recorded.iter().map(|(pid, _)| *pid).collect();
    // Looked up once per process of the machine: a set.
    let lab_ns: BTreeSet<NsId> = lab_ns.into_iter().collect();
    let mut orphans = Orphans::new(p, lab);
    stop_where(p, recorded, |p, q| {
        q.ns.is_some_and(|n| lab_ns.contains(&n))
            || orphans.is_orphan(p, q)
            || leaders.contains(&q.stat.session)
    })
}

/// Stops only the lab's orphans: its processes living in a namespace
/// that lost its name (a node's namespace deleted by hand). Each keeps
/// that namespace alive, and with it the far ends of its veths in the
/// other nodes; `up` stops them before it looks at the kernel (and
/// [`super::start_locked`] starts them again in the node's new namespace).
/// Returns how many were stopped.
pub fn stop_orphans(host: &mut dyn Host, lab: &str) -> usize {
    let p = host.processes();
    let mut orphans = Orphans::new(p, lab);
    stop_where(p, Vec::new(), |p, q| orphans.is_orphan(p, q))
}

/// Stops `first` and every live process `select` picks, then looks again
/// until nothing is picked: a process may fork between a scan and the
/// signal, and its child is only seen by the next scan. Returns how many
/// were stopped.
pub(super) fn stop_where(
    p: &mut dyn Processes,
    first: Vec<(i32, u64)>,
    mut select: impl FnMut(&mut dyn Processes, &Proc) -> bool,
) -> usize {
    const ROUNDS: usize = 5;
    let mut total = 0;
    let mut stop = first;
    for _ in 0..ROUNDS {
        for q in p.scan() {
            if select(p, &q) && !stop.iter().any(|(pid, _)| *pid == q.pid) {
                stop.push((q.pid, q.stat.start));
            }
        }
        if stop.is_empty() {
            break;
        }
        total += p.stop(&stop, GRACE);
        stop = Vec::new();
    }
    total
}

/// For `start`: stops `stop` (recorded processes not kept) and every
/// process that carries the lab's mark and lives in one of the lab's
/// namespaces `lab_ns` or in a namespace with no name, or that is in the
/// session of a stopped one; never one of `keep` or its session.
pub(super) fn all_but(
    p: &mut dyn Processes,
    lab: &str,
    keep: &[crate::record::Process],
    stop: Vec<(i32, u64)>,
    lab_ns: &[NsId],
) {
    let mut orphans = Orphans::new(p, lab);
    let stopped_leaders: Vec<i32> = stop.iter().map(|(pid, _)| *pid).collect();
    stop_where(p, stop, |p, q| {
        let kept = keep
            .iter()
            .any(|k| k.pid == q.pid || k.pid == q.stat.session);
        let marked_here = has_mark(q, lab) && q.ns.is_some_and(|n| lab_ns.contains(&n));
        let marked_here = marked_here || orphans.is_orphan(p, q);
        !kept && (marked_here || stopped_leaders.contains(&q.stat.session))
    });
}
