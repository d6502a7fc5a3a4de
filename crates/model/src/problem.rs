//! Problems found in a topology file, and how they are shown.
//!
//! Every problem has a [`ProblemKind`] (what tests and callers match on), a
//! message, the file, a line and column, and a hint that says how to fix it.
//! [`Problems`] holds all of them and renders as one miette diagnostic whose
//! `related()` lists each problem with a label in the file.

use crate::loc::{Loc, SourceFile};
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use std::fmt;
use std::sync::Arc;

/// What is wrong, as a type (tests and callers match on this, not on text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The file could not be read.
    Io,
    /// The file goes past a limit of [`crate::limits`] (size, nesting,
    /// aliases).
    TooLarge,
    /// The file is empty (or only comments).
    Empty,
    /// The YAML itself is malformed.
    Syntax,
    /// A key nslab does not know (or that does not apply to this kind).
    UnknownKey,
    /// A required key is missing (`lab`, a VLAN's `id`, an interface's `kind`…).
    MissingKey,
    /// A value has the wrong type (a list where a number belongs, `mtu: abc`).
    WrongType,
    /// A number outside its range (VLAN id, VNI, MTU, prefix length, port…).
    OutOfRange,
    /// A name with the wrong length or characters (lab, node, interface).
    InvalidName,
    /// A value of the right type that does not parse (a CIDR, a route, a MAC…).
    InvalidValue,
    /// A name used twice (node, interface in a node, netns, generated name).
    DuplicateName,
    /// A link endpoint, `parent`, `master`, `dev`, `reply-from` or expect
    /// node that names something that does not exist.
    UnknownReference,
    /// A `master` that is not a bridge in the same node.
    MasterNotBridge,
    /// A parent that cannot carry this sub-interface (itself, a cycle, a
    /// bridge port under a MACVLAN/IPVLAN, MACVLAN and IPVLAN children mixed).
    BadParent,
    /// An interface that is a link end and also declares another kind.
    KindConflict,
    /// One interface used as the end of two links.
    EndpointReused,
    /// A link whose two ends are the same interface.
    SelfLink,
    /// The same address in two different nodes.
    DuplicateAddress,
    /// A network member's address outside the network's subnets.
    AddressOutsideSubnet,
    /// A network member's address equal to the gateway.
    AddressIsGateway,
    /// Two networks with overlapping subnets in one node.
    SubnetOverlap,
    /// A network subnet with no host address left for a member.
    SubnetExhausted,
    /// IPv4 and IPv6 mixed where one family is needed (route `to`/`via`).
    FamilyMismatch,
    /// A route `via` outside every connected subnet of the node.
    ViaUnreachable,
    /// A `passthru` MACVLAN parent with more than one MACVLAN child.
    PassthruShared,
    /// A VXLAN without exactly one of `remote` and `group`.
    VxlanDestination,
    /// A `physical` interface that the host namespace does not have.
    PhysicalMissing,
    /// A host port published twice on one node (or a `serve:` port
    /// listed twice).
    PortConflict,
    /// Two routes of a node with the same destination, table and metric.
    DuplicateRoute,
    /// A `run:` program that does not exist or cannot be executed.
    ProgramMissing,
    /// What a lab without root cannot have (`validate --rootless`): a
    /// `kind: host` node, a `physical` interface, an image node, a sysctl
    /// the kernel keeps for root, an `owner:` other than root.
    Rootless,
}

impl ProblemKind {
    /// A short stable code (`nslab::unknown-reference`) for diagnostics.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Io => "nslab::io",
            ProblemKind::TooLarge => "nslab::too-large",
            ProblemKind::Empty => "nslab::empty",
            ProblemKind::Syntax => "nslab::syntax",
            ProblemKind::UnknownKey => "nslab::unknown-key",
            ProblemKind::MissingKey => "nslab::missing-key",
            ProblemKind::WrongType => "nslab::wrong-type",
            ProblemKind::OutOfRange => "nslab::out-of-range",
            ProblemKind::InvalidName => "nslab::invalid-name",
            ProblemKind::InvalidValue => "nslab::invalid-value",
            ProblemKind::DuplicateName => "nslab::duplicate-name",
            ProblemKind::UnknownReference => "nslab::unknown-reference",
            ProblemKind::MasterNotBridge => "nslab::master-not-bridge",
            ProblemKind::BadParent => "nslab::bad-parent",
            ProblemKind::KindConflict => "nslab::kind-conflict",
            ProblemKind::EndpointReused => "nslab::endpoint-reused",
            ProblemKind::SelfLink => "nslab::self-link",
            ProblemKind::DuplicateAddress => "nslab::duplicate-address",
            ProblemKind::AddressOutsideSubnet => "nslab::address-outside-subnet",
            ProblemKind::AddressIsGateway => "nslab::address-is-gateway",
            ProblemKind::SubnetOverlap => "nslab::subnet-overlap",
            ProblemKind::SubnetExhausted => "nslab::subnet-exhausted",
            ProblemKind::FamilyMismatch => "nslab::family-mismatch",
            ProblemKind::ViaUnreachable => "nslab::via-unreachable",
            ProblemKind::PassthruShared => "nslab::passthru-shared",
            ProblemKind::VxlanDestination => "nslab::vxlan-destination",
            ProblemKind::PhysicalMissing => "nslab::physical-missing",
            ProblemKind::PortConflict => "nslab::port-conflict",
            ProblemKind::DuplicateRoute => "nslab::duplicate-route",
            ProblemKind::ProgramMissing => "nslab::program-missing",
            ProblemKind::Rootless => "nslab::rootless",
        }
    }
}

/// Why one value is not valid, before it is placed in the file.
///
/// Returned by the newtypes' `FromStr`/`TryFrom`; the parser adds the file
/// location and turns it into a [`Problem`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// What kind of problem this is.
    pub kind: ProblemKind,
    /// What is wrong, naming the value.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

impl ValueError {
    pub(crate) fn new(
        kind: ProblemKind,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ValueError {
            kind,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl From<nslab_types::ParseError> for ValueError {
    fn from(e: nslab_types::ParseError) -> ValueError {
        let kind = match e.kind {
            nslab_types::ParseErrorKind::Invalid => ProblemKind::InvalidValue,
            nslab_types::ParseErrorKind::OutOfRange => ProblemKind::OutOfRange,
        };
        ValueError::new(kind, e.message, e.hint)
    }
}

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem (match on this).
    pub kind: ProblemKind,
    /// What is wrong.
    pub message: String,
    /// The file's name as given.
    pub file: String,
    /// Where (line and column, 1-based; [`Loc::UNKNOWN`] for I/O errors).
    pub loc: Loc,
    /// How to fix it.
    pub hint: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.loc.is_known() {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.loc.line, self.loc.col, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// Every problem found in one file, in file order.
#[derive(Debug)]
pub struct Problems {
    source: SourceFile,
    list: Vec<Problem>,
    diagnostics: Vec<ProblemDiagnostic>,
}

impl Problems {
    /// Problems found outside this crate (against the machine: owners,
    /// `from:` files), in `source`.
    pub fn found(source: SourceFile, list: Vec<Problem>) -> Problems {
        Problems::new(source, list)
    }

    pub(crate) fn new(source: SourceFile, mut list: Vec<Problem>) -> Problems {
        list.sort_by(|a, b| a.loc.cmp(&b.loc).then(a.kind.cmp(&b.kind)));
        list.dedup();
        let diagnostics = list
            .iter()
            .map(|p| ProblemDiagnostic::new(p, &source))
            .collect();
        Problems {
            source,
            list,
            diagnostics,
        }
    }

    /// The problems, in file order.
    pub fn iter(&self) -> std::slice::Iter<'_, Problem> {
        self.list.iter()
    }

    /// The kinds of all problems, in file order.
    pub fn kinds(&self) -> Vec<ProblemKind> {
        self.list.iter().map(|p| p.kind).collect()
    }

    /// How many problems there are (never 0).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Always false: a `Problems` holds at least one problem.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The file the problems are in.
    pub fn source(&self) -> &SourceFile {
        &self.source
    }

    /// Plain text: one `file:LINE:COL: message` line and one `help: hint`
    /// line per problem (what `nslab validate` prints without colors).
    pub fn render_plain(&self) -> String {
        let mut out = String::new();
        for p in &self.list {
            out.push_str(&p.to_string());
            out.push('\n');
            if !p.hint.is_empty() {
                out.push_str("  help: ");
                out.push_str(&p.hint);
                out.push('\n');
            }
        }
        out
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.list.len();
        let s = if n == 1 { "" } else { "s" };
        write!(f, "{}: {n} problem{s} found", self.source.name)
    }
}

impl std::error::Error for Problems {}

impl Diagnostic for Problems {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("nslab::invalid-topology"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(
            "nothing was changed; fix the problems listed below",
        ))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(
            self.diagnostics.iter().map(|d| d as &dyn Diagnostic),
        ))
    }
}

/// One problem as a miette diagnostic: `file:LINE:COL: message`, the line
/// of the file with a label under the value, and `help: hint`.
#[derive(Debug)]
pub struct ProblemDiagnostic {
    problem: Problem,
    source: NamedSource<Arc<str>>,
    span: Option<SourceSpan>,
}

impl ProblemDiagnostic {
    fn new(problem: &Problem, source: &SourceFile) -> ProblemDiagnostic {
        let span = problem.loc.byte_offset(&source.text).map(|start| {
            // Underline the token that starts here (up to the next separator).
            let rest = source.text.get(start..).unwrap_or("");
            let len = rest.find(['\n', ',', '}', ']', '#']).unwrap_or(rest.len());
            let len = rest[..len].trim_end().len().max(1);
            SourceSpan::new(start.into(), len)
        });
        ProblemDiagnostic {
            problem: problem.clone(),
            source: NamedSource::new(&source.name, source.text.clone()),
            span,
        }
    }

    /// The problem this shows.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl fmt::Display for ProblemDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem.fmt(f)
    }
}

impl std::error::Error for ProblemDiagnostic {}

impl Diagnostic for ProblemDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.problem.kind.code()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.problem.hint.is_empty() {
            None
        } else {
            Some(Box::new(&self.problem.hint))
        }
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.span.map(|_| &self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some("here".to_string()),
            span,
        ))))
    }
}
