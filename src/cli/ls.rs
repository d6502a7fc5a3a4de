//! `nslab ls`: the labs that are up, and whether the kernel still has what
//! their file asks for (a link, address or bridge removed by hand is
//! drift, found by planning against the kernel as `nslab plan` does).

use super::Exit;
use crate::lab;
use crate::record;
use nslab_sys::netns;
use nslab_sys::statedir::StateDir;

/// One lab as `ls` lists it.
struct Row {
    lab: String,
    nodes: usize,
    present: usize,
    /// One word: ok, faults, drift, unchecked, degraded, incomplete,
    /// unreadable, unrecorded.
    health: &'static str,
    /// What the word means here and what to do, when not ok.
    detail: Option<String>,
    source: String,
}

/// What `up` would change for a lab brought up from `dir`'s file: none
/// when the kernel matches it; why it cannot be told.
fn drift(dir: &StateDir) -> Result<Option<usize>, String> {
    let bytes = dir
        .read(record::TOPOLOGY)
        .map_err(|e| e.to_string())?
        .ok_or("no copy of the file it was brought up from")?;
    let text = String::from_utf8(bytes).map_err(|e| format!("its file copy: {e}"))?;
    let t = nslab_model::parse_str("", &text, &nslab_model::AnyHostInterfaces)
        .map_err(|e| format!("its file copy: {e}"))?;
    let desired = crate::state::desired::desired(&t);
    // The record was read already (`ls` shows one it cannot read as
    // such): a warning about it here would say the same again.
    let (plan, _) = lab::plan_up(&mut crate::host::linux::Linux::new(&desired.lab), &desired)
        .map_err(|e| e.to_string())?;
    Ok((!plan.is_empty()).then_some(plan.len()))
}

fn recorded(lab: &str, dir: &StateDir, rec: record::Record) -> Row {
    let total = rec.nodes.len();
    let present = rec
        .nodes
        .values()
        .filter(|ns| ns.as_deref().is_none_or(netns::exists))
        .count();
    let (health, detail) = if rec.incomplete {
        (
            "incomplete",
            Some("an up was interrupted: run `nslab up` again, or `nslab down`".to_string()),
        )
    } else if present < total {
        (
            "degraded",
            Some(format!(
                "{} namespace(s) missing: `nslab up` makes them again",
                total - present
            )),
        )
    } else if !rec.faults.is_empty() || !rec.pending.is_empty() {
        // Faults put in on purpose are not drift: `heal` removes them.
        let n = rec.faults.len() + rec.pending.len();
        (
            "faults",
            Some(format!(
                "{n} fault(s) put in: `nslab show {lab}` lists them, `nslab heal {lab}` removes them"
            )),
        )
    } else {
        match drift(dir) {
            Ok(Some(n)) => {
                let file = if rec.source == super::load::DEMO_SOURCE {
                    String::new()
                } else {
                    format!(" {}", rec.source)
                };
                (
                    "drift",
                    Some(format!(
                        "{n} change(s) from its file (removed by hand?): `nslab plan{file}` lists them, `nslab up{file}` repairs"
                    )),
                )
            }
            Ok(None) => ("ok", None),
            Err(e) => (
                "unchecked",
                Some(format!("cannot be compared with its file: {e}")),
            ),
        }
    };
    Row {
        lab: lab.to_string(),
        nodes: total,
        present,
        health,
        detail,
        source: rec.source,
    }
}

/// Every lab that is up: by its state directory, or by the marks on its
/// namespaces when it has no record.
fn rows() -> Result<Vec<Row>, nslab_sys::Error> {
    let labs = StateDir::list_labs()?;
    let marked = lab::marked_namespaces();
    let mut rows = Vec::new();
    for name in &labs {
        let dir = match StateDir::find(name) {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => {
                rows.push(unreadable(name, &marked, e.to_string()));
                continue;
            }
        };
        match lab::look(&dir) {
            Ok(lab::Recorded::Found(r)) => rows.push(recorded(name, &dir, *r)),
            // No record: listed below if its namespaces carry its mark.
            Ok(lab::Recorded::Missing) => {}
            Ok(lab::Recorded::Unreadable(why)) => rows.push(unreadable(name, &marked, why)),
            Err(e) => rows.push(unreadable(name, &marked, e.to_string())),
        }
    }
    // Labs whose namespaces carry their mark but whose record is gone.
    for (name, namespaces) in marked {
        if !rows.iter().any(|r| r.lab == name) {
            let n = namespaces.len();
            rows.push(Row {
                detail: Some(format!(
                    "no record: `nslab down {name}` removes it by its marks"
                )),
                lab: name,
                nodes: n,
                present: n,
                health: "unrecorded",
                source: String::new(),
            });
        }
    }
    Ok(rows)
}

fn unreadable(
    name: &str,
    marked: &std::collections::BTreeMap<String, Vec<String>>,
    why: String,
) -> Row {
    let n = marked.get(name).map_or(0, Vec::len);
    Row {
        lab: name.to_string(),
        nodes: n,
        present: n,
        health: "unreadable",
        detail: Some(format!(
            "record unreadable ({why}): `nslab down {name}` removes the lab by its marks"
        )),
        source: String::new(),
    }
}

/// The table: columns as wide as their widest cell, no trailing spaces;
/// what a health word means on its own line below the lab.
fn table(rows: &[Row], colour: bool) -> String {
    let lab_w = rows.iter().map(|r| r.lab.len()).max().unwrap_or(0).max(3);
    let health_w = rows
        .iter()
        .map(|r| r.health.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = String::new();
    let mut line = |l: String| {
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(format!(
        "{:<lab_w$}  {:>5}  {:<health_w$}  source",
        "lab", "nodes", "health"
    ));
    for r in rows {
        // Padded before it is painted: escape codes take no columns.
        let code = if r.health == "ok" { "32" } else { "33" };
        let health =
            super::term::paint(colour, code, r.health) + &" ".repeat(health_w - r.health.len());
        line(format!(
            "{:<lab_w$}  {:>5}  {health}  {}",
            r.lab, r.nodes, r.source
        ));
        if let Some(d) = &r.detail {
            line(format!("  {d}"));
        }
    }
    out
}

pub(super) fn ls(json: bool) -> Exit {
    let rows = match rows() {
        Ok(r) => r,
        Err(e) => return super::fail(e),
    };
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"lab": r.lab, "nodes": r.nodes, "present": r.present, "health": r.health, "detail": r.detail, "source": r.source})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else if rows.is_empty() {
        println!("no labs are up");
    } else {
        print!("{}", table(&rows, super::term::colour_stdout()));
    }
    Exit::Ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_lines_end_without_spaces() {
        let row = |lab: &str, health, detail: Option<&str>| Row {
            lab: lab.into(),
            nodes: 3,
            present: 3,
            health,
            detail: detail.map(str::to_string),
            source: String::new(),
        };
        let t = table(
            &[
                row("a-very-long1", "ok", None),
                row("b", "unreadable", Some("record unreadable")),
            ],
            false,
        );
        for l in t.lines() {
            assert_eq!(l, l.trim_end(), "trailing spaces: {l:?}");
        }
        let col = |l: &str, word: &str| l.find(word).expect("word");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(col(lines[0], "health"), col(lines[1], "ok"), "{t}");
        assert_eq!(col(lines[0], "health"), col(lines[2], "unreadable"), "{t}");
        assert_eq!(lines[3], "  record unreadable");
    }
}
