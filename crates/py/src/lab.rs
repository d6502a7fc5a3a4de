//! `nslab.Lab`: a lab that is up, its methods calling the facade's with
//! the GIL released.

use crate::args::{duration, impairment};
use crate::errors::{bad, to_py, Error};
use crate::results::{CheckResult, Completed, ScenarioResult};
use nslab::Lab as RLab;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A lab that is up: what `nslab up` made, driven from Python.
///
/// Bring one up with `Lab.up(path_or_dict)`, `Lab.up_str(yaml)` or
/// `Lab.up_dict(d)`; use it as a context manager so it is taken down
/// whatever happens inside. Works as root and without root, as `nslab
/// up` does.
#[pyclass(module = "nslab", name = "Lab", frozen)]
pub(crate) struct Lab {
    /// `None` once taken down. Locked only with the GIL released.
    inner: Mutex<Option<RLab>>,
    /// `keep()` was called: `down` lets go of the lab and leaves it up.
    kept: AtomicBool,
    name: String,
    nodes: Vec<String>,
    source: String,
    warnings: Vec<String>,
    notes: Vec<String>,
}

fn gone(name: &str) -> PyErr {
    Error::new_err(format!(
        "lab {name} was taken down by this Lab; bring it up again"
    ))
}

impl Lab {
    fn new(lab: RLab) -> Lab {
        let name = lab.name().to_string();
        let nodes = lab.topology().nodes.keys().map(|n| n.to_string()).collect();
        let source = lab.topology().source.text.to_string();
        let (warnings, notes) = (lab.warnings().to_vec(), lab.notes().to_vec());
        Lab {
            inner: Mutex::new(Some(lab)),
            kept: AtomicBool::new(false),
            name,
            nodes,
            source,
            warnings,
            notes,
        }
    }

    fn guard(&self) -> MutexGuard<'_, Option<RLab>> {
        // A panic inside a call poisons the lock; the lab is still what it
        // was, so carry on with it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` on the lab with the GIL released.
    fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&RLab) -> Result<T, nslab::Error> + Send,
    ) -> PyResult<T> {
        let r = py.detach(|| self.guard().as_ref().map(f));
        match r {
            None => Err(gone(&self.name)),
            Some(r) => r.map_err(|e| to_py(py, e)),
        }
    }
}

fn up_with(py: Python<'_>, f: impl FnOnce() -> Result<RLab, nslab::Error> + Send) -> PyResult<Lab> {
    py.detach(f).map(Lab::new).map_err(|e| to_py(py, e))
}

#[pymethods]
impl Lab {
    /// Bring up the lab of a topology file (a path), or of a dict (as
    /// `up_dict`). The file is validated as `nslab up` validates it.
    #[classmethod]
    fn up(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
    ) -> PyResult<Lab> {
        if let Ok(d) = source.cast::<PyDict>() {
            return Lab::up_dict_impl(py, d);
        }
        let path: PathBuf = source.extract()?;
        up_with(py, move || RLab::up_file(&path))
    }

    /// Bring up the lab of topology text (named `(string)` in messages).
    #[classmethod]
    fn up_str(_cls: &Bound<'_, pyo3::types::PyType>, py: Python<'_>, yaml: &str) -> PyResult<Lab> {
        let yaml = yaml.to_string();
        up_with(py, move || RLab::up_str(&yaml))
    }

    /// Bring up the lab a dict describes, with the file's keys (`lab`,
    /// `nodes`, `links`, ...): it is written as JSON text, which is YAML.
    #[classmethod]
    fn up_dict(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        topology: &Bound<'_, PyDict>,
    ) -> PyResult<Lab> {
        Lab::up_dict_impl(py, topology)
    }

    /// The lab's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The lab's node names.
    #[getter]
    fn nodes(&self) -> Vec<String> {
        self.nodes.clone()
    }

    /// The topology text it was brought up from.
    #[getter]
    fn source(&self) -> &str {
        &self.source
    }

    /// What `nslab up` prints as `warning:` lines for this lab.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// What `nslab up` prints as `note:` lines for this lab.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    /// Whether it is still up (not taken down by `down` or the `with`).
    #[getter]
    fn is_up(&self, py: Python<'_>) -> bool {
        py.detach(|| self.guard().is_some())
    }

    fn __repr__(&self) -> String {
        format!("<nslab.Lab {}>", self.name)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Take the lab down (unless `keep()` was called), whatever happened
    /// inside the `with`. Never swallows the exception that ended it.
    #[pyo3(signature = (_kind=None, _value=None, _tb=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _kind: Option<&Bound<'_, PyAny>>,
        _value: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.down(py)?;
        Ok(false)
    }

    /// Remove everything the lab owns (as `nslab down`). Taking down a
    /// lab already taken down does nothing. After `keep()`, the lab is
    /// left up and only this object lets go of it.
    fn down(&self, py: Python<'_>) -> PyResult<()> {
        let kept = self.kept.load(Ordering::SeqCst);
        // Dropped after `keep()`, the facade's lab leaves the lab up.
        let r = py.detach(|| {
            self.guard()
                .take()
                .map(|l| if kept { Ok(()) } else { l.down() })
        });
        match r {
            None | Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(to_py(py, e)),
        }
    }

    /// Leave the lab up when `down` or the `with` ends it (for a look with
    /// `nslab show` after a failed test). Returns the lab.
    fn keep(slf: Py<Self>, py: Python<'_>) -> Py<Self> {
        let me = slf.get();
        py.detach(|| {
            me.kept.store(true, Ordering::SeqCst);
            let mut g = me.guard();
            if let Some(l) = g.take() {
                *g = Some(l.keep());
            }
        });
        slf
    }

    /// Whether `src` gets an ICMP echo reply from `dst`'s first address.
    /// False only when the request went out and nothing came back;
    /// ProbeError when it could not be sent.
    fn ping(&self, py: Python<'_>, src: &str, dst: &str) -> PyResult<bool> {
        self.with(py, |l| l.ping(src, dst))
    }

    /// Run `argv` in `node` (as `nslab exec`) and wait for it; stdout and
    /// stderr are captured as bytes. With `check=True`, a non-zero exit
    /// raises nslab.Error.
    #[pyo3(signature = (node, argv, check=false))]
    fn exec(
        &self,
        py: Python<'_>,
        node: &str,
        argv: Vec<String>,
        check: bool,
    ) -> PyResult<Completed> {
        if argv.is_empty() {
            return Err(bad(
                "exec: give the program to run, as a list [\"ip\", \"route\"]",
            ));
        }
        let out = self.with(py, |l| {
            let a: Vec<&str> = argv.iter().map(String::as_str).collect();
            l.exec(node, &a)
        })?;
        use std::os::unix::process::ExitStatusExt;
        let returncode = out
            .status
            .code()
            .or_else(|| out.status.signal().map(|s| -s))
            .unwrap_or(-1);
        if check && returncode != 0 {
            return Err(Error::new_err(format!(
                "`{}` in node {node} exited with {returncode}: {}",
                argv.join(" "),
                String::from_utf8_lossy(&out.stderr).trim_end()
            )));
        }
        Ok(Completed {
            args: argv,
            returncode,
            stdout: PyBytes::new(py, &out.stdout).unbind(),
            stderr: PyBytes::new(py, &out.stderr).unbind(),
        })
    }

    /// Set the admin state of `NODE:IF`: `state` is "up"/"down" or a bool;
    /// `both=True`: both ends of the veth.
    #[pyo3(signature = (at, state, both=false))]
    fn link(&self, py: Python<'_>, at: &str, state: &Bound<'_, PyAny>, both: bool) -> PyResult<()> {
        let up = if let Ok(s) = state.extract::<String>() {
            match s.as_str() {
                "up" => true,
                "down" => false,
                _ => return Err(bad(format!("link state `{s}`: write up or down"))),
            }
        } else {
            state
                .extract::<bool>()
                .map_err(|_| bad("link state: write \"up\", \"down\" or a bool"))?
        };
        self.with(py, |l| {
            if both {
                l.link_both(at, up)
            } else {
                l.link(at, up)
            }
        })
    }

    /// Drop every packet between nodes of different groups (each group a
    /// list of node names); `one_way=True`: only from the first group to
    /// the others.
    #[pyo3(signature = (*groups, one_way=false))]
    fn partition(
        &self,
        py: Python<'_>,
        groups: &Bound<'_, PyTuple>,
        one_way: bool,
    ) -> PyResult<()> {
        let groups: Vec<Vec<String>> = groups
            .iter()
            .map(|g| {
                if g.extract::<String>().is_ok() {
                    return Err(bad(
                        "partition: give each group as a list of nodes, like [\"a\", \"b\"]",
                    ));
                }
                g.extract::<Vec<String>>()
            })
            .collect::<PyResult<_>>()?;
        self.with(py, |l| {
            let gs: Vec<Vec<&str>> = groups
                .iter()
                .map(|g| g.iter().map(String::as_str).collect())
                .collect();
            let refs: Vec<&[&str]> = gs.iter().map(Vec::as_slice).collect();
            if one_way {
                l.partition_one_way(&refs)
            } else {
                l.partition(&refs)
            }
        })
    }

    /// A failed host: `node`'s interfaces down, its processes frozen.
    fn stop(&self, py: Python<'_>, node: &str) -> PyResult<()> {
        self.with(py, |l| l.stop(node))
    }

    /// `node` back as it was before `stop`.
    fn start(&self, py: Python<'_>, node: &str) -> PyResult<()> {
        self.with(py, |l| l.start(node))
    }

    /// Impair `NODE:IF`'s egress (netem), as `nslab impair` does: `delay`
    /// and `jitter` as times ("50ms") or seconds, `loss` a percentage
    /// ("1%" or 1.0), `rate` like "10mbit"; `clear=True`: back to the file's.
    #[pyo3(signature = (at, *, delay=None, jitter=None, loss=None, rate=None, clear=false))]
    #[allow(clippy::too_many_arguments)]
    fn impair(
        &self,
        py: Python<'_>,
        at: &str,
        delay: Option<&Bound<'_, PyAny>>,
        jitter: Option<&Bound<'_, PyAny>>,
        loss: Option<&Bound<'_, PyAny>>,
        rate: Option<&str>,
        clear: bool,
    ) -> PyResult<()> {
        let impair = impairment(delay, jitter, loss, rate, clear)?;
        self.with(py, |l| l.impair(at, impair))
    }

    /// Every fault removed; the lab as its file says.
    fn heal(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |l| l.heal())
    }

    /// The faults in force, in words (`link rb:p1 down`, `partition a,b | c`).
    fn faults(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |l| {
            l.faults()
                .map(|f| f.iter().map(ToString::to_string).collect())
        })
    }

    /// One check written as the file writes one: a line (`a -> c`,
    /// `a -x 10.0.0.3`) or the map form as a dict (`{"from": "a", "to":
    /// "c:7000", "proto": "tcp", "reply-from": "c"}`), retried for up to
    /// `within` (a time like "5s", or seconds) as `within:` does. Truthy
    /// when it holds; ProbeError when the probe could not be made.
    #[pyo3(signature = (check, within=None))]
    fn check(
        &self,
        py: Python<'_>,
        check: &Bound<'_, PyAny>,
        within: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CheckResult> {
        let within = within.map(|w| duration(w, "within")).transpose()?;
        let check: String = if check.cast::<PyDict>().is_ok() {
            py.import("json")?
                .call_method1("dumps", (check,))?
                .extract()?
        } else {
            check.extract()?
        };
        let check = check.as_str();
        let (c, o) = self.with(py, |l| l.check(check, within))?;
        Ok(CheckResult::new(&c, &o))
    }

    /// The file's `expect:` checks, each with what it saw.
    fn checks(&self, py: Python<'_>) -> PyResult<Vec<CheckResult>> {
        let r = self.with(py, |l| l.checks())?;
        Ok(r.iter().map(|(c, o)| CheckResult::new(c, o)).collect())
    }

    /// Run the file's scenario `name` (healed when it ends).
    fn test(&self, py: Python<'_>, scenario: &str) -> PyResult<ScenarioResult> {
        let r = self.with(py, |l| l.test(scenario))?;
        Ok(ScenarioResult::new(&r))
    }
}

impl Lab {
    fn up_dict_impl(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<Lab> {
        let json: String = py.import("json")?.call_method1("dumps", (d,))?.extract()?;
        up_with(py, move || RLab::up_str(&json))
    }
}
