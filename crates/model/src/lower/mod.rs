//! Lowering: raw serde structs → typed [`Topology`], value by value.
//!
//! Every leaf is parsed into its newtype here; a bad one becomes a
//! [`Problem`] with the leaf's line and column and the walk goes on, so one
//! run reports every bad value. Cross-references are checked afterwards, in
//! [`crate::validate`], on the typed model.

mod expect;
mod fs;
mod interface;
pub(crate) mod kinds;
mod link;
mod network;
mod node;
mod route;
mod scenario;
mod vxlan;
pub(crate) mod words;

use crate::loc::{Loc, SourceFile};
use crate::names::LabName;
use crate::problem::{Problem, ProblemKind, ValueError};
use crate::raw::{loc_of, Leaf, RawTopology, Scalar};
use crate::topology::{Host, Node, Spans, Topology};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::str::FromStr;

/// Collects problems and field locations while lowering.
pub(crate) struct Ctx<'a> {
    pub(crate) source: &'a SourceFile,
    pub(crate) problems: Vec<Problem>,
    pub(crate) spans: Spans,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(source: &'a SourceFile) -> Ctx<'a> {
        Ctx {
            source,
            problems: Vec::new(),
            spans: Spans::default(),
        }
    }

    /// Record a problem.
    pub(crate) fn push(
        &mut self,
        kind: ProblemKind,
        loc: Loc,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.problems.push(Problem {
            kind,
            message: message.into(),
            file: self.source.name.clone(),
            loc,
            hint: hint.into(),
        });
    }

    /// Record a value error at `loc`.
    pub(crate) fn value_err(&mut self, loc: Loc, e: ValueError) {
        self.push(e.kind, loc, e.message, e.hint);
    }

    /// Remember where `path` is written.
    pub(crate) fn span(&mut self, path: impl Into<String>, loc: Loc) {
        self.spans.insert(path.into(), loc);
    }

    /// The location `offset` characters into the string value written at
    /// `loc` (skipping an opening quote), for errors about one word of a
    /// string like `default via X`.
    pub(crate) fn within(&self, loc: Loc, offset: usize) -> Loc {
        let quoted = loc
            .byte_offset(&self.source.text)
            .and_then(|b| self.source.text.get(b..))
            .is_some_and(|rest| rest.starts_with('"') || rest.starts_with('\''));
        let offset = u32::try_from(offset).unwrap_or(0) + u32::from(quoted);
        let at = Loc::new(loc.line, loc.col.saturating_add(offset));
        // A value folded over several lines (or with escapes) does not map
        // word for word onto one line: point at the value itself then.
        let line_len = self
            .source
            .text
            .split('\n')
            .nth(loc.line.saturating_sub(1) as usize)
            .map(|l| l.chars().count());
        match line_len {
            Some(n) if (at.col as usize) <= n => at,
            _ => loc,
        }
    }

    /// The leaf as text (a string or a number), or a wrong-type problem.
    pub(crate) fn text(&mut self, leaf: &Leaf, what: &str) -> Option<String> {
        match leaf.value.text() {
            Some(t) => Some(t),
            None => {
                self.wrong_type(leaf, what);
                None
            }
        }
    }

    pub(crate) fn wrong_type(&mut self, leaf: &Leaf, what: &str) {
        let found = leaf.value.describe();
        self.push(
            ProblemKind::WrongType,
            loc_of(leaf),
            format!("expected {what}, found {found}"),
            format!("write {what} here"),
        );
    }

    /// Parse the leaf's text with `T::from_str`.
    pub(crate) fn parse<T>(&mut self, leaf: &Leaf, what: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Into<ValueError>,
    {
        let text = self.text(leaf, what)?;
        match text.parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.value_err(loc_of(leaf), e.into());
                None
            }
        }
    }

    /// An IP address without prefix.
    pub(crate) fn ip(&mut self, leaf: &Leaf, what: &str) -> Option<IpAddr> {
        let text = self.text(leaf, what)?;
        match text.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.push(
                    ProblemKind::InvalidValue,
                    loc_of(leaf),
                    format!("`{text}` is not an IP address"),
                    format!("write {what} like 10.0.0.1 or fd00::1"),
                );
                None
            }
        }
    }

    /// A boolean (`true`/`false`).
    pub(crate) fn bool(&mut self, leaf: &Leaf, what: &str) -> Option<bool> {
        match &leaf.value {
            Scalar::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(leaf, &format!("true or false for {what}"));
                None
            }
        }
    }

    /// A non-negative integer, as u64 (numbers written as strings accepted).
    fn unsigned(&mut self, leaf: &Leaf, what: &str) -> Option<u64> {
        let n: Option<i128> = match &leaf.value {
            Scalar::Int(i) => Some(*i),
            Scalar::Str(s) => s.trim().parse::<i128>().ok(),
            _ => None,
        };
        let Some(n) = n else {
            self.wrong_type(leaf, &format!("a number for {what}"));
            return None;
        };
        match u64::try_from(n) {
            Ok(v) => Some(v),
            Err(_) => {
                self.push(
                    ProblemKind::OutOfRange,
                    loc_of(leaf),
                    format!("{what} {n} is out of range"),
                    format!("{what} must be a non-negative number"),
                );
                None
            }
        }
    }

    /// A number newtype (VLAN id, VNI, MTU, port) from an integer leaf.
    pub(crate) fn number<T: TryFrom<u64, Error = ValueError>>(
        &mut self,
        leaf: &Leaf,
        what: &str,
    ) -> Option<T> {
        let v = self.unsigned(leaf, what)?;
        match T::try_from(v) {
            Ok(t) => Some(t),
            Err(e) => {
                self.value_err(loc_of(leaf), e);
                None
            }
        }
    }

    /// A number in the range `r` (from `crate::limits`), or a problem
    /// that states the range and where it comes from.
    pub(crate) fn ranged(&mut self, leaf: &Leaf, r: &crate::limits::Range) -> Option<u64> {
        let v = self.unsigned(leaf, r.key)?;
        if r.holds(v) {
            return Some(v);
        }
        self.out_of_range(loc_of(leaf), r, v);
        None
    }

    /// `v` is outside `r`: the problem, with the range.
    pub(crate) fn out_of_range(&mut self, loc: Loc, r: &crate::limits::Range, v: u64) {
        let unit = if r.unit.is_empty() {
            String::new()
        } else {
            format!(" {}", r.unit)
        };
        self.push(
            ProblemKind::OutOfRange,
            loc,
            format!(
                "`{}` {v} is out of range {}{unit} for {}",
                r.key,
                r.text(),
                r.applies
            ),
            format!("use {} to {}: {}", r.min, r.max, r.why),
        );
    }

    /// One of `choices` (as written in the file) mapped to its value.
    pub(crate) fn choice<T: Copy>(
        &mut self,
        leaf: &Leaf,
        what: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let list = names.join(", ");
        let text = self.text(leaf, &format!("one of {list} for {what}"))?;
        match choices.iter().find(|(n, _)| *n == text) {
            Some((_, v)) => Some(*v),
            None => {
                self.push(
                    ProblemKind::InvalidValue,
                    loc_of(leaf),
                    format!("`{text}` is not a valid {what}"),
                    format!("use one of: {list}"),
                );
                None
            }
        }
    }
}

/// Lower a raw file. Returns the topology even when there are problems (so
/// validation can run on everything that did parse); the caller decides.
pub(crate) fn lower(
    raw: RawTopology,
    source: &SourceFile,
    host: Host<'_>,
) -> (Option<Topology>, Vec<Problem>) {
    let mut cx = Ctx::new(source);
    let lab: Option<LabName> = match &raw.lab {
        Some(leaf) => cx.parse(leaf, "a lab name"),
        None => {
            cx.push(
                ProblemKind::MissingKey,
                Loc::new(1, 1),
                "the file has no `lab:`",
                "add `lab: NAME` at the top ([a-z][a-z0-9-]*, at most 12 characters)",
            );
            None
        }
    };

    let links = link::lower_links(&mut cx, raw.links.unwrap_or_default());
    let mut nodes = BTreeMap::new();
    for (key, rn) in raw.nodes.unwrap_or_default().0 {
        let Some(name) = cx.parse(&key, "a node name") else {
            continue;
        };
        let loc = loc_of(&key);
        let node = node::lower_node(&mut cx, &name, loc, rn.unwrap_or_default(), &links.ends);
        nodes.insert(name, node);
    }
    let links = link::attach_links(&mut cx, links, &mut nodes);
    let networks = network::lower_networks(&mut cx, raw.networks.unwrap_or_default());
    for net in networks.values() {
        for (member, m) in &net.members {
            nodes
                .entry(member.clone())
                .or_insert_with(|| Node::plain(m.loc));
        }
    }
    let expect = expect::lower_expects(&mut cx, raw.expect.unwrap_or_default());
    let scenarios = scenario::lower_scenarios(&mut cx, raw.scenarios.unwrap_or_default());

    let Some(lab) = lab else {
        return (None, cx.problems);
    };
    let mut topo = Topology {
        lab,
        nodes,
        links,
        networks,
        expect,
        scenarios,
        source: source.clone(),
        spans: Spans::default(),
    };
    network::allocate(&mut cx, &mut topo);
    crate::validate::validate(&mut cx, &topo, host);
    topo.spans = std::mem::take(&mut cx.spans);
    (Some(topo), cx.problems)
}
