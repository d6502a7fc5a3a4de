//! From a path (or the built-in demo) to a topology validated against this
//! machine ([`crate::launch`]); bad input is printed with file:line:column
//! and a hint and ends the command with status 2 before anything is
//! changed; warnings are printed.

use super::Exit;
use nslab_model::Problems;
use std::io::IsTerminal;
use std::path::Path;

use crate::launch::problems_text;
pub(crate) use crate::launch::{Loaded, DEMO_SOURCE};

/// The problems, as every command prints them: on a terminal miette's
/// report (the file's lines with a label under each value), then one line
/// per problem and its hint, and the count; status 2.
pub(crate) fn print_problems(problems: &Problems) -> Exit {
    let mut fancy = String::new();
    let graphical = std::io::stderr().is_terminal()
        && !problems.source().text.is_empty()
        && miette::GraphicalReportHandler::new()
            .render_report(&mut fancy, problems)
            .is_ok();
    if graphical {
        eprint!("{fancy}");
    }
    eprintln!("{}", problems_text(problems));
    Exit::BadInput
}

fn loaded(r: Result<Loaded, Problems>) -> Result<Loaded, Exit> {
    match r {
        Ok(l) => {
            for w in &l.warnings {
                eprintln!("{}: warning: {w}", l.topology.source.name);
            }
            Ok(l)
        }
        Err(problems) => Err(print_problems(&problems)),
    }
}

/// `text`, named `name` in messages.
pub(crate) fn parse(name: &str, text: &str) -> Result<Loaded, Exit> {
    loaded(crate::launch::parse(name, text))
}

/// [`parse`], `from:` files relative to `base`.
pub(crate) fn parse_at(name: &str, text: &str, base: &Path) -> Result<Loaded, Exit> {
    loaded(crate::launch::parse_at(name, text, base))
}

pub(crate) fn from_file(path: &Path) -> Result<Loaded, Exit> {
    loaded(crate::launch::read(path))
}

pub(crate) fn demo() -> Result<Loaded, Exit> {
    loaded(crate::launch::demo())
}

/// FILE, or the built-in demo lab when there is none (`up`).
pub(crate) fn file_or_demo(file: Option<&Path>) -> Result<Loaded, Exit> {
    match file {
        Some(f) => from_file(f),
        None => demo(),
    }
}

/// A file validated against this machine, then for a lab without root:
/// every problem and every refusal in one list (a `physical` interface
/// the machine lacks is refused for needing root, not reported missing).
/// Owners as the lab's user namespace will map them (docs/rootless.md).
fn for_rootless(r: Result<Loaded, Problems>) -> Result<Loaded, Problems> {
    use nslab_model::rootless;
    // The map the user's lab will get (`up` sets it the same way).
    let m = nslab_sys::userns::id_map();
    let mapped = rootless::Mapped {
        uids: m.uids_inside(),
        gids: m.gids_inside(),
    };
    let ids = |o: &nslab_model::Owner| crate::launch::owner_ids(o).ok();
    let l = r.map_err(|p| rootless::with_refusals_for(p, mapped, &ids))?;
    rootless::check_for(&l.topology, mapped, &ids)?;
    Ok(l)
}

/// [`file_or_demo`] for a lab without root (`up --rootless` calls this
/// before anything is made): what such a lab cannot have is printed as
/// every problem is, status 2.
pub(crate) fn file_or_demo_rootless(file: Option<&Path>) -> Result<Loaded, Exit> {
    loaded(for_rootless(match file {
        Some(f) => crate::launch::read(f),
        None => crate::launch::demo(),
    }))
}

/// `validate --rootless`: the file's problems and what a lab without root
/// cannot have, each at its place with the reason; status 2 if any.
pub(crate) fn validate_rootless(file: &Path, json: bool) -> Exit {
    if json {
        return validate_json_as(file, true);
    }
    let l = match file_or_demo_rootless(Some(file)) {
        Ok(l) => l,
        Err(e) => return e,
    };
    validated(&l, file, "ok without root")
}

/// What `validate` says of a file it accepts: the kernel-module warnings,
/// then `FILE: <verdict> (lab L, N node(s))`.
pub(crate) fn validated(l: &Loaded, file: &Path, verdict: &str) -> Exit {
    for w in crate::host::kmods::warnings(&l.topology, &l.desired) {
        eprintln!("{}: warning: {w}", l.source);
    }
    let n = l.desired.nodes.len();
    println!(
        "{}: {verdict} (lab {}, {n} node(s))",
        file.display(),
        l.desired.lab
    );
    Exit::Ok
}

/// `validate --json`: the verdict and every problem as data, for editors
/// and scripts (`{"file", "ok", "lab"}` or `{"file", "ok": false,
/// "problems": [{code, message, line, column, hint}]}`).
pub(crate) fn validate_json(path: &Path) -> Exit {
    validate_json_as(path, false)
}

/// [`validate_json`]; with `rootless`, what a lab without root cannot
/// have are problems too (`nslab::rootless`).
fn validate_json_as(path: &Path, rootless: bool) -> Exit {
    let name = path.display().to_string();
    let checked = if rootless {
        for_rootless(crate::launch::read(path))
    } else {
        crate::launch::read(path)
    };
    match checked {
        Ok(l) => {
            // What plain `validate` prints, as data: the file's warnings
            // and the kernel modules this machine lacks.
            let mut warnings = l.warnings.clone();
            warnings.extend(crate::host::kmods::warnings(&l.topology, &l.desired));
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": true, "lab": l.topology.lab.as_str(), "nodes": l.topology.nodes.len(), "warnings": warnings})
            );
            Exit::Ok
        }
        Err(problems) => {
            let list: Vec<_> = problems
                .iter()
                .map(|p| {
                    serde_json::json!({
                        "code": p.kind.code(),
                        "message": p.message,
                        "line": p.loc.line,
                        "column": p.loc.col,
                        "hint": p.hint,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::json!({"file": name, "ok": false, "problems": list})
            );
            Exit::BadInput
        }
    }
}
