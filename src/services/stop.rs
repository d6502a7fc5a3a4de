//! Stopping a lab's processes: the recorded ones that are still the
//! processes recorded, and every process found to be the lab's by the
//! namespace it lives in or by the mark it carries.

use super::{ids_of, verified};
use crate::host::query::lo_alias;
use crate::record::Record;
use nslab_sys::procs::{self, NsId};
use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::AsFd;
use std::time::Duration;

/// How long stopped processes get between `SIGTERM` and `SIGKILL`.
const GRACE: Duration = Duration::from_secs(2);

/// The namespace nslab itself runs in (never a lab's).
fn own_namespace() -> Option<NsId> {
    i32::try_from(std::process::id())
        .ok()
        .and_then(procs::ns_of)
}

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
    named: OnceCell<BTreeSet<NsId>>,
    own: Option<NsId>,
    seen: RefCell<BTreeMap<NsId, bool>>,
}

impl<'a> Orphans<'a> {
    fn new(lab: &'a str) -> Orphans<'a> {
        Orphans {
            lab,
            named: OnceCell::new(),
            own: own_namespace(),
            seen: RefCell::new(BTreeMap::new()),
        }
    }

    fn is_orphan(&self, q: &procs::Proc) -> bool {
        let Some(n) = q.ns else { return false };
        if !has_mark(q, self.lab) || Some(n) == self.own {
            return false;
        }
        let named = self.named.get_or_init(|| {
            procs::named_namespaces()
                .into_iter()
                .map(|(_, id)| id)
                .collect()
        });
        if named.contains(&n) {
            return false;
        }
        if let Some(known) = self.seen.borrow().get(&n) {
            return *known;
        }
        let alias = nslab_types::names::lab_mark(self.lab);
        let ours = std::fs::File::open(format!("/proc/{}/ns/net", q.pid))
            .ok()
            .and_then(|f| lo_alias(f.as_fd()))
            // The process may be in the namespace it claims, with no
            // other process left there: check it is the same one.
            .is_some_and(|a| a == alias)
            && procs::ns_of(q.pid) == Some(n);
        self.seen.borrow_mut().insert(n, ours);
        ours
    }
}

fn has_mark(q: &procs::Proc, lab: &str) -> bool {
    q.mark.as_ref().is_some_and(|(l, _)| l == lab)
}

/// Stops every process of the lab, before its namespaces are deleted:
/// the recorded ones that are still the processes recorded (pid and start
/// time) with their sessions, every process living in one of the lab's
/// namespaces `owned`, and every process carrying the lab's mark whose
/// namespace has no name any more. Works without a record. Returns how
/// many processes were stopped.
pub fn stop_all(lab: &str, rec: Option<&Record>, owned: &[String]) -> usize {
    // The lab's namespaces: those carrying its mark (`owned`, found by
    // it), not whatever the record names.
    let lab_ns = ids_of(owned);
    let recorded: Vec<procs::Handle> = rec
        .map(|r| {
            r.processes
                .iter()
                .filter_map(|p| verified(lab, p, &lab_ns))
                .collect()
        })
        .unwrap_or_default();
    let leaders: Vec<i32> = recorded.iter().map(|h| h.pid).collect();
    // Looked up once per process of the machine: a set.
    let lab_ns: BTreeSet<NsId> = lab_ns.into_iter().collect();
    let orphans = Orphans::new(lab);
    stop_where(recorded, |q| {
        q.ns.is_some_and(|n| lab_ns.contains(&n))
            || orphans.is_orphan(q)
            || leaders.contains(&q.stat.session)
    })
}

/// Stops only the lab's orphans: its processes living in a namespace
/// that lost its name (a node's namespace deleted by hand). Each keeps
/// that namespace alive, and with it the far ends of its veths in the
/// other nodes; `up` stops them before it looks at the kernel (and
/// [`super::start`] starts them again in the node's new namespace).
/// Returns how many were stopped.
pub fn stop_orphans(lab: &str) -> usize {
    let orphans = Orphans::new(lab);
    stop_where(Vec::new(), |q| orphans.is_orphan(q))
}

/// Stops `first` and every live process `select` picks, then looks again
/// until nothing is picked: a process may fork between a scan and the
/// signal, and its child is only seen by the next scan. Returns how many
/// were stopped.
pub(super) fn stop_where(
    first: Vec<procs::Handle>,
    select: impl Fn(&procs::Proc) -> bool,
) -> usize {
    const ROUNDS: usize = 5;
    let mut total = 0;
    let mut stop = first;
    for _ in 0..ROUNDS {
        for q in procs::scan() {
            if select(&q) && !stop.iter().any(|h| h.pid == q.pid) {
                if let Some(h) = procs::Handle::open(q.pid, q.stat.start) {
                    stop.push(h);
                }
            }
        }
        if stop.is_empty() {
            break;
        }
        procs::stop(&stop, GRACE);
        total += stop.len();
        stop = Vec::new();
    }
    total
}

/// For `start`: stops `stop` (recorded processes not kept) and every
/// process that carries the lab's mark and lives in one of the lab's
/// namespaces `lab_ns` or in a namespace with no name, or that is in the
/// session of a stopped one; never one of `keep` or its session.
pub(super) fn all_but(
    lab: &str,
    keep: &[crate::record::Process],
    stop: Vec<procs::Handle>,
    lab_ns: &[NsId],
) {
    let orphans = Orphans::new(lab);
    let stopped_leaders: Vec<i32> = stop.iter().map(|h| h.pid).collect();
    stop_where(stop, |q| {
        let kept = keep
            .iter()
            .any(|k| k.pid == q.pid || k.pid == q.stat.session);
        let marked_here = has_mark(q, lab) && q.ns.is_some_and(|n| lab_ns.contains(&n));
        let marked_here = marked_here || orphans.is_orphan(q);
        !kept && (marked_here || stopped_leaders.contains(&q.stat.session))
    });
}
