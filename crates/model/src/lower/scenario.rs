//! `scenarios:`: each step lowered to a [`StepKind`], every bad value
//! reported with its line and column. Whether the nodes and interfaces a
//! step names exist is checked in `validate`.

use super::{expect::lower_expects_at, words, Ctx};
use crate::impair::{parse_duration, parse_micros, Impair, Percent, Rate};
use crate::loc::Loc;
use crate::names::NodeName;
use crate::problem::ProblemKind;
use crate::raw::*;
use crate::topology::{Scenario, Step, StepKind};
use serde_saphyr::Spanned;
use std::time::Duration;

const STEPS: &str = "expect, link, impair, partition, stop, start, heal, wait, exec";

pub(crate) fn lower_scenarios(cx: &mut Ctx<'_>, raw: RawScenarios) -> Vec<Scenario> {
    let mut out = Vec::new();
    for (key, steps) in raw.0 {
        let loc = loc_of(&key);
        let Some(name) = cx.text(&key, "a scenario name") else {
            continue;
        };
        let good = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !good {
            cx.push(
                ProblemKind::InvalidName,
                loc,
                format!("`{name}` is not a scenario name"),
                "use letters, digits, `-` and `_` (at most 64)",
            );
        }
        let p = format!("scenarios.{name}");
        cx.span(p.clone(), loc);
        let steps = steps.unwrap_or_default();
        let written = steps.len();
        let steps: Vec<Step> = steps
            .into_iter()
            .enumerate()
            .filter_map(|(i, sp)| lower_step(cx, sp, &p, i))
            .collect();
        if written == 0 {
            cx.push(
                ProblemKind::MissingKey,
                loc,
                format!("scenario `{name}` has no steps"),
                format!("list its steps below it: {STEPS}"),
            );
        }
        out.push(Scenario { name, steps, loc });
    }
    out
}

fn lower_step(
    cx: &mut Ctx<'_>,
    sp: Spanned<RawStep>,
    scenario: &str,
    index: usize,
) -> Option<Step> {
    let p = &format!("{scenario}.{index}");
    let loc = loc_of(&sp);
    cx.span(p.to_string(), loc);
    let kind = match sp.value {
        RawStep::Words(w) if w.trim() == "heal" => Some(StepKind::Heal),
        RawStep::Words(w) => {
            cx.push(
                ProblemKind::InvalidValue,
                loc,
                format!("`{w}` is not a step"),
                format!("a step is `heal` or a map of one of: {STEPS}"),
            );
            None
        }
        RawStep::Map(m) => step_map(cx, *m, p, loc),
        // Its keys are reported as unknown already: one mistake, one problem.
        RawStep::UnknownKeys => None,
        RawStep::Other(s) => {
            cx.push(
                ProblemKind::WrongType,
                loc,
                format!("expected a step, found {}", s.describe()),
                format!("write `heal` or a map of one of: {STEPS}"),
            );
            None
        }
    };
    kind.map(|kind| Step { kind, loc, index })
}

fn step_map(cx: &mut Ctx<'_>, m: RawStepMap, p: &str, loc: Loc) -> Option<StepKind> {
    let given = [
        m.expect.is_some(),
        m.link.is_some(),
        m.impair.is_some(),
        m.partition.is_some(),
        m.stop.is_some(),
        m.start.is_some(),
        m.wait.is_some(),
        m.exec.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        cx.push(
            ProblemKind::InvalidValue,
            loc,
            "a step does one thing: it is a map of exactly one key",
            format!("split it into one step per key (one of: {STEPS})"),
        );
        return None;
    }
    if let Some(list) = m.expect {
        let checks = lower_expects_at(cx, list, &format!("{p}.expect"));
        return Some(StepKind::Expect(checks));
    }
    if let Some(l) = &m.link {
        return link_step(cx, l, p);
    }
    if let Some(sp) = &m.impair {
        return impair_step(cx, sp, p);
    }
    if let Some(sp) = &m.partition {
        return partition_step(cx, sp, p);
    }
    if let Some(l) = &m.stop {
        return node_at(cx, l, &format!("{p}.stop")).map(StepKind::Stop);
    }
    if let Some(l) = &m.start {
        return node_at(cx, l, &format!("{p}.start")).map(StepKind::Start);
    }
    if let Some(l) = &m.wait {
        return duration(cx, l, "a time like 1s").map(StepKind::Wait);
    }
    let sp = m.exec.as_ref()?;
    exec_step(cx, sp, p)
}

fn node_at(cx: &mut Ctx<'_>, l: &Leaf, path: &str) -> Option<NodeName> {
    cx.span(path.to_string(), loc_of(l));
    cx.parse(l, "a node name")
}

fn duration(cx: &mut Ctx<'_>, l: &Leaf, what: &str) -> Option<Duration> {
    let t = cx.text(l, what)?;
    parse_duration(&t)
        .map_err(|e| cx.value_err(loc_of(l), e))
        .ok()
}

/// `link: r1:eth1 down` / `up`, optionally `both`.
fn link_step(cx: &mut Ctx<'_>, l: &Leaf, p: &str) -> Option<StepKind> {
    let loc = loc_of(l);
    cx.span(format!("{p}.link"), loc);
    let text = cx.text(l, "`NODE:IF down` or `NODE:IF up`")?;
    match words::link_step(&text) {
        Ok((at, up, both)) => Some(StepKind::Link { at, up, both }),
        Err((off, e)) => {
            let at = cx.within(loc, off);
            cx.value_err(at, e);
            None
        }
    }
}

fn impair_step(cx: &mut Ctx<'_>, sp: &Spanned<RawImpairStep>, p: &str) -> Option<StepKind> {
    let r = &sp.value;
    let loc = loc_of(sp);
    let Some(il) = &r.interface else {
        cx.push(
            ProblemKind::MissingKey,
            loc,
            "the impair step has no `interface`",
            "add `interface: NODE:IF`",
        );
        return None;
    };
    cx.span(format!("{p}.impair"), loc_of(il));
    let t = cx.text(il, "an interface like a:eth0")?;
    let at = words::endpoint(&t)
        .map_err(|e| cx.value_err(loc_of(il), e))
        .ok()?;
    let clear = match &r.clear {
        Some(l) => cx.bool(l, "clear")?,
        None => false,
    };
    let us = |cx: &mut Ctx<'_>, l: &Leaf, what: &str| {
        let t = cx.text(l, what)?;
        parse_micros(&t)
            .map_err(|e| cx.value_err(loc_of(l), e))
            .ok()
    };
    let i = Impair {
        delay_us: r
            .delay
            .as_ref()
            .and_then(|l| us(cx, l, "a delay like 20ms")),
        jitter_us: r
            .jitter
            .as_ref()
            .and_then(|l| us(cx, l, "a jitter like 5ms")),
        loss_ppm: r
            .loss
            .as_ref()
            .and_then(|l| cx.parse::<Percent>(l, "a loss like 1%"))
            .map(Percent::ppm),
        rate_bps: r
            .rate
            .as_ref()
            .and_then(|l| cx.parse::<Rate>(l, "a rate like 10mbit"))
            .map(Rate::bits_per_sec),
    };
    let given = r.delay.is_some() || r.jitter.is_some() || r.loss.is_some() || r.rate.is_some();
    let problem = match (clear, given) {
        (true, true) => Some((
            "`clear` takes the impairment away: it goes alone",
            "remove `clear`, or the values",
        )),
        (false, false) => Some((
            "the impair step says nothing to impair",
            "add `delay`, `jitter`, `loss` or `rate`, or `clear: true`",
        )),
        _ if r.jitter.is_some() && r.delay.is_none() => Some((
            "`jitter` needs a `delay` to vary",
            "add `delay:`, or remove `jitter:`",
        )),
        _ => None,
    };
    if let Some((msg, hint)) = problem {
        cx.push(ProblemKind::InvalidValue, loc, msg, hint);
        return None;
    }
    Some(StepKind::Impair {
        at,
        impair: (!clear).then_some(i),
    })
}

fn partition_step(cx: &mut Ctx<'_>, sp: &Spanned<RawPartition>, p: &str) -> Option<StepKind> {
    let loc = loc_of(sp);
    let (groups, one_way) = match &sp.value {
        RawPartition::Groups(g) => (g.clone(), false),
        RawPartition::Map(m) => {
            let one_way = match &m.one_way {
                Some(l) => cx.bool(l, "one-way")?,
                None => false,
            };
            (m.groups.clone().unwrap_or_default(), one_way)
        }
        RawPartition::Other(s) => {
            cx.push(
                ProblemKind::WrongType,
                loc,
                format!("expected groups of nodes, found {}", s.describe()),
                "write `partition: [[a, b], [c]]`",
            );
            return None;
        }
    };
    let mut out = Vec::new();
    let mut refused = false;
    for (g, group) in groups.iter().enumerate() {
        // A group is a list, even of one node: `[[a, b], c]` would read
        // `c` as a group or as a member of the group before, so neither.
        let leaves: &[Leaf] = match &group.value {
            OneOrMany::Many(v) => v,
            OneOrMany::One(s) => {
                let what = match s.text() {
                    Some(t) => format!("`{t}`"),
                    None => s.describe().to_string(),
                };
                cx.push(
                    ProblemKind::WrongType,
                    loc_of(group),
                    format!("a partition group is a list of nodes, not {what}"),
                    "write each group as a list, even of one node: `partition: [[a, b], [c]]`",
                );
                refused = true;
                continue;
            }
        };
        let mut names = Vec::new();
        for (k, l) in leaves.iter().enumerate() {
            names.extend(node_at(cx, l, &format!("{p}.partition.{g}.{k}")));
        }
        out.push(names);
    }
    if refused {
        return None;
    }
    if out.len() < 2 || out.iter().any(Vec::is_empty) {
        cx.push(
            ProblemKind::InvalidValue,
            loc,
            "a partition needs two or more groups, none empty",
            "write `partition: [[a, b], [c]]`",
        );
        return None;
    }
    Some(StepKind::Partition {
        groups: out,
        one_way,
    })
}

fn exec_step(cx: &mut Ctx<'_>, sp: &Spanned<RawExec>, p: &str) -> Option<StepKind> {
    let r = &sp.value;
    let loc = loc_of(sp);
    let (Some(nl), Some(cl)) = (&r.node, &r.cmd) else {
        cx.push(
            ProblemKind::MissingKey,
            loc,
            "the exec step needs `node` and `cmd`",
            "write `exec: { node: a, cmd: [sh, -c, \"...\"], exit: 0 }`",
        );
        return None;
    };
    let node = node_at(cx, nl, &format!("{p}.exec.node"));
    let cmd = match &cl.value {
        OneOrMany::One(s) => s.text().map(|t| vec!["sh".into(), "-c".into(), t]),
        OneOrMany::Many(v) => v
            .iter()
            .map(|l| match &l.value {
                Scalar::Bool(b) => Some(b.to_string()),
                _ => cx.text(l, "a word of the command"),
            })
            .collect(),
    };
    if cmd.as_ref().is_none_or(Vec::is_empty) {
        cx.push(
            ProblemKind::InvalidValue,
            loc_of(cl),
            "`cmd` is empty or not a command",
            "write the command as a list of words, or as one string run by `sh -c`",
        );
    }
    let exit = match &r.exit {
        Some(l) => {
            // In range: fits a u8.
            cx.ranged(l, &crate::limits::EXIT)? as u8
        }
        None => 0,
    };
    let timeout = match &r.timeout {
        Some(l) => duration(cx, l, "a time like 30s")?,
        None => Duration::from_secs(60),
    };
    Some(StepKind::Exec {
        node: node?,
        cmd: cmd?,
        exit,
        timeout,
    })
}
