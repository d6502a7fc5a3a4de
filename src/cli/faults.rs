//! `link`, `impair`, `partition`, `stop`, `start` and `heal`: faults put
//! into a running lab and taken out again ([`crate::lab::faults`]), and
//! the faults section of `show`.

use super::labs::loaded_lab;
use super::labs::{lab_error, not_up};
use super::{fail, Exit};
use crate::lab::faults::{self, FaultError, Request};
use crate::record::{Fault, Record};
use crate::state::Impair;
use nslab_model::impair::parse_micros;
use nslab_model::{Percent, Rate};

/// The admin state `nslab link` sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UpDown {
    Up,
    Down,
}

/// The flags of `nslab impair`, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ImpairFlags {
    /// Added delay (20ms, 1s, 500us).
    #[arg(long)]
    pub delay: Option<String>,
    /// Random variation of the delay (needs --delay).
    #[arg(long)]
    pub jitter: Option<String>,
    /// Random loss, a percentage (1%, 0.5%, 100%).
    #[arg(long)]
    pub loss: Option<String>,
    /// Rate limit (10mbit, 512kbit, 1gbit).
    #[arg(long)]
    pub rate: Option<String>,
    /// Remove the impairment set at run time: back to what the file says.
    #[arg(long, conflicts_with_all = ["delay", "jitter", "loss", "rate"])]
    pub clear: bool,
}

fn bad(msg: impl std::fmt::Display) -> Exit {
    eprintln!("error: {msg}; nothing was changed");
    Exit::BadInput
}

/// `NODE:IF`.
fn endpoint(target: &str) -> Result<(String, String), Exit> {
    match target.split_once(':') {
        Some((n, i)) if !n.is_empty() && !i.is_empty() => Ok((n.to_string(), i.to_string())),
        _ => Err(bad(format!(
            "`{target}` is not an interface; write NODE:INTERFACE, like r1:eth1"
        ))),
    }
}

/// The impairment the flags ask for (`None` for `--clear`).
pub fn impair_of(f: &ImpairFlags) -> Result<Option<Impair>, String> {
    if f.clear {
        return Ok(None);
    }
    // The file's parser: a value finer than a microsecond is refused, as
    // in `impair:`, not truncated.
    let us = |s: &Option<String>, what: &str| -> Result<Option<u32>, String> {
        s.as_deref()
            .map(|s| parse_micros(s).map_err(|e| format!("--{what}: {e}")))
            .transpose()
    };
    let loss = f
        .loss
        .as_deref()
        .map(|s| {
            let s = if s.ends_with('%') {
                s.to_string()
            } else {
                format!("{s}%")
            };
            s.parse::<Percent>()
                .map(Percent::ppm)
                .map_err(|e| format!("--loss: {e}"))
        })
        .transpose()?;
    let rate = f
        .rate
        .as_deref()
        .map(|s| {
            s.parse::<Rate>()
                .map(Rate::bits_per_sec)
                .map_err(|e| format!("--rate: {e}"))
        })
        .transpose()?;
    let i = Impair {
        delay_us: us(&f.delay, "delay")?,
        jitter_us: us(&f.jitter, "jitter")?,
        loss_ppm: loss,
        rate_bps: rate,
    };
    if i.jitter_us.is_some() && i.delay_us.is_none() {
        return Err("--jitter varies the delay: give --delay too".into());
    }
    if i == Impair::default() {
        return Err("say what to impair: --delay, --jitter, --loss or --rate (or --clear)".into());
    }
    Ok(Some(i))
}

/// Runs a fault request against the lab as brought up, and prints the
/// faults in force.
fn run(lab: &str, req: Request, done: &str) -> Exit {
    let l = match loaded_lab(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    match faults::apply(
        &mut crate::host::linux::Linux::new(&l.desired.lab),
        &l.desired,
        &req,
    ) {
        Ok(now) => {
            println!("{done}");
            print_list(&l.desired.lab, &now);
            Exit::Ok
        }
        Err(e) => fault_error(&l.desired.lab, e),
    }
}

pub(super) fn fault_error(lab: &str, e: FaultError) -> Exit {
    match e {
        FaultError::BadInput(m) => bad(m),
        FaultError::NotUp(_) => not_up(lab),
        FaultError::Lab(e) => lab_error(e),
        FaultError::Services(e) => fail(e),
        FaultError::Kernel { undone: true, .. } => fail(format!(
            "{e}\n  what was done was undone: the faults in force are as before"
        )),
        FaultError::Kernel { undone: false, .. } => fail(format!(
            "{e}\n  the fault stays recorded as perhaps put in; `nslab heal {lab}` undoes it"
        )),
    }
}

fn print_list(lab: &str, now: &[Fault]) {
    if now.is_empty() {
        println!("no faults in force in lab {lab}");
        return;
    }
    println!("faults in force in lab {lab} (`nslab heal {lab}` removes them):");
    for f in now {
        println!("  {f}");
    }
}

pub(super) fn link(lab: &str, target: &str, state: UpDown, both: bool) -> Exit {
    let (node, ifname) = match endpoint(target) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let up = state == UpDown::Up;
    let word = if up { "up" } else { "down" };
    let req = Request::Link {
        node,
        ifname,
        up,
        both,
    };
    let ends = if both { " (both ends)" } else { "" };
    run(lab, req, &format!("{target} is {word}{ends}"))
}

pub(super) fn impair(lab: &str, target: &str, flags: &ImpairFlags) -> Exit {
    let (node, ifname) = match endpoint(target) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let impair = match impair_of(flags) {
        Ok(i) => i,
        Err(m) => return bad(m),
    };
    let done = match &impair {
        Some(i) => format!("{target} impaired:{}", crate::record::impair_words(i)),
        None => format!("{target}: run-time impairment cleared (as the file says)"),
    };
    run(lab, Request::impair(node, ifname, impair), &done)
}

pub(super) fn partition(lab: &str, groups: &[String], one_way: bool) -> Exit {
    let groups: Vec<Vec<String>> = groups
        .iter()
        .map(|g| g.split(',').map(|n| n.trim().to_string()).collect())
        .collect();
    let f = Fault::Partition { groups, one_way };
    let done = f.to_string();
    run(lab, Request::Put(f), &done)
}

pub(super) fn stop(lab: &str, node: &str) -> Exit {
    let req = Request::stop(node.into());
    run(
        lab,
        req,
        &format!("node {node} stopped: interfaces down, processes frozen"),
    )
}

pub(super) fn start(lab: &str, node: &str) -> Exit {
    let req = Request::Start { node: node.into() };
    run(lab, req, &format!("node {node} started again"))
}

pub(super) fn heal(lab: &str, json: bool) -> Exit {
    let l = match loaded_lab(lab) {
        Ok(l) => l,
        Err(e) => return e,
    };
    match faults::heal(
        &mut crate::host::linux::Linux::new(&l.desired.lab),
        &l.topology,
        &l.desired,
    ) {
        Ok(healed) if json => {
            let v: Vec<String> = healed.iter().map(ToString::to_string).collect();
            println!("{}", serde_json::json!({"lab": l.desired.lab, "healed": v}));
            Exit::Ok
        }
        Ok(healed) => {
            for f in &healed {
                println!("  healed: {f}");
            }
            println!(
                "lab {} healed: {} fault(s) removed",
                l.desired.lab,
                healed.len()
            );
            Exit::Ok
        }
        Err(e) => fault_error(&l.desired.lab, e),
    }
}

/// The faults section of `show`: each recorded fault, and what the kernel
/// holds of partitions and frozen processes.
pub(super) fn show(rec: &Record, node: Option<&str>) {
    let mine = |f: &Fault| node.is_none_or(|n| f.nodes().contains(&n));
    let list: Vec<&Fault> = rec.faults.iter().filter(|f| mine(f)).collect();
    let pending: Vec<&Fault> = rec.pending.iter().filter(|f| mine(f)).collect();
    if list.is_empty() && pending.is_empty() {
        return;
    }
    if !list.is_empty() {
        println!("faults (`nslab heal {}` removes them):", rec.lab);
    }
    for f in list {
        println!("  {f}");
        if let Fault::Stopped { node, .. } = f {
            let frozen =
                crate::services::frozen(&mut crate::host::linux::Linux::new(&rec.lab), rec, node);
            println!("    {} process(es) frozen", frozen.len());
        }
    }
    if !pending.is_empty() {
        println!(
            "faults being put in, not known to be in force (a command putting them in \
             runs, or was killed; `nslab heal {}` undoes them):",
            rec.lab
        );
        for f in pending {
            println!("  {f}");
        }
    }
    for (n, d) in faults::partitions_seen(&mut crate::host::linux::Linux::new(&rec.lab), rec) {
        if node.is_none_or(|x| x == n) {
            match d {
                Ok(d) => println!(
                    "  {n}: drops {} address(es) out, {} in (nft table inet {})",
                    d.to.len(),
                    d.from.len(),
                    crate::host::linux::partition_table_name(&rec.lab)
                ),
                Err(e) => println!("  {n}: its partition table cannot be read: {e}"),
            }
        }
    }
}

/// The faults for `show --json`.
pub(super) fn json(rec: &Record) -> serde_json::Value {
    serde_json::to_value(&rec.faults).unwrap_or_default()
}

/// A plan and the faults in force, which `up` also undoes.
pub(super) fn print_plan_with(lab: &str, p: &crate::plan::Plan, now: &[Fault], json: bool) {
    let line = |f: &Fault| format!("undo fault: {f}");
    if json {
        let mut v = super::json::plan_report(lab, p);
        if let Some(ops) = v.get_mut("operations").and_then(|o| o.as_array_mut()) {
            ops.extend(now.iter().map(
                |f| serde_json::json!({"op": {"op": "undo-fault"}, "fault": f, "line": line(f)}),
            ));
        }
        println!("{v}");
        return;
    }
    super::labs::print_plan(lab, p, false);
    for f in now {
        println!("{}", line(f));
    }
}

#[cfg(test)]
mod tests;
