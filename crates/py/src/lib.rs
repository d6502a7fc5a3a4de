//! `nslab` for Python: the facade ([`nslab::Lab`]) as the extension module
//! `nslab._nslab`, re-exported by the pure-Python package `nslab` (see
//! `python/nslab/__init__.py`, its stubs and docs/python.md). Every call
//! that works on the kernel releases the GIL; every failure is an
//! `nslab.Error` whose `str` is the CLI's message.

mod args;
mod errors;
mod lab;
mod results;

use errors::{Error, KernelError, ProbeError, ValidationError};
use lab::Lab;
use pyo3::prelude::*;
use results::{CheckResult, Completed, ScenarioResult, StepResult};

/// The `nslab` command line on `argv` (the program's name first); returns
/// its exit status. The package's `nslab` script: the wheel's CLI and the
/// `serve:` responder, with the GIL released.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> u8 {
    let code = py.detach(|| nslab::run_cli_from(argv));
    (0..=u8::MAX)
        .find(|n| std::process::ExitCode::from(*n) == code)
        .unwrap_or(1)
}

/// The native part of the `nslab` package.
#[pymodule]
fn _nslab(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_class::<Lab>()?;
    m.add_class::<Completed>()?;
    m.add_class::<CheckResult>()?;
    m.add_class::<StepResult>()?;
    m.add_class::<ScenarioResult>()?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("KernelError", py.get_type::<KernelError>())?;
    m.add("ProbeError", py.get_type::<ProbeError>())?;
    Ok(())
}
