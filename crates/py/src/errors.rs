//! The Python exceptions (`nslab.Error` and its kinds) and the facade's
//! errors turned into them.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    nslab,
    Error,
    PyException,
    "A lab operation failed; `str(e)` is the message `nslab` prints for it. \
     `errno` is the system call's errno when one is behind it, else None."
);
create_exception!(
    nslab,
    ValidationError,
    Error,
    "The topology has problems; nothing was changed. `file`, `line`, `column`: \
     the first problem's place; `problems`: every problem as \
     (file, line, column, message, hint)."
);
create_exception!(
    nslab,
    KernelError,
    Error,
    "The kernel refused an operation (bringing the lab up, a fault, taking it \
     down); `errno` is the kernel's errno."
);
create_exception!(
    nslab,
    ProbeError,
    Error,
    "A probe (ping, a check) could not be made at all, so it proves nothing \
     about the network."
);

/// The facade's error as the Python exception of its kind, with its data
/// as attributes.
pub(crate) fn to_py(py: Python<'_>, e: nslab::Error) -> PyErr {
    let msg = e.to_string();
    let errno = e.errno();
    let err = if let Some(p) = e.problems() {
        let err = ValidationError::new_err(msg);
        let v = err.value(py);
        let all: Vec<(String, u32, u32, String, String)> = p
            .iter()
            .map(|p| {
                (
                    p.file.clone(),
                    p.loc.line,
                    p.loc.col,
                    p.message.clone(),
                    p.hint.clone(),
                )
            })
            .collect();
        let first = all.first().cloned();
        let _ = v.setattr("file", first.as_ref().map(|f| f.0.clone()));
        let _ = v.setattr("line", first.as_ref().map(|f| f.1));
        let _ = v.setattr("column", first.as_ref().map(|f| f.2));
        let _ = v.setattr("problems", all);
        err
    } else {
        match &e {
            nslab::Error::CouldNotAsk { .. } => ProbeError::new_err(msg),
            nslab::Error::Up { .. }
            | nslab::Error::Processes { .. }
            | nslab::Error::Fault { .. }
            | nslab::Error::Down { .. }
                if errno.is_some() =>
            {
                KernelError::new_err(msg)
            }
            _ => Error::new_err(msg),
        }
    };
    let _ = err.value(py).setattr("errno", errno);
    err
}

/// Bad input from Python (an impairment, a time): `nslab.Error` with
/// nothing changed.
pub(crate) fn bad(msg: impl std::fmt::Display) -> PyErr {
    Error::new_err(format!("{msg}; nothing was changed"))
}
