//! Entry points: text or file → [`Topology`] or every [`Problem`] found.

use crate::limits::{MAX_FILE_BYTES, MAX_FILE_TEXT};
use crate::loc::{Loc, SourceFile};
use crate::problem::{Problem, ProblemKind, Problems};
use crate::raw::RawTopology;
use crate::suggest::closest;
use crate::topology::{AnyPrograms, Host, HostInterfaces, Topology};
use serde_saphyr::Error as YamlError;
use std::io::Read;
use std::path::Path;

/// Read, parse and validate the topology file at `path`.
///
/// `host` answers whether an interface exists in the host namespace (for
/// `physical` interfaces); pass [`crate::AnyHostInterfaces`] to skip that
/// check (offline planning).
pub fn parse_file(path: &Path, host: &dyn HostInterfaces) -> Result<Topology, Problems> {
    let text = read_file(path)?;
    parse_str(&path.display().to_string(), &text, host)
}

/// Read the topology file at `path` (`-`: standard input): at most [`MAX_FILE_BYTES`] (reading
/// stops one byte past it, so `/dev/zero` costs 4 MiB), UTF-8. A problem
/// names the file; for a file too large or not UTF-8, also the place.
pub fn read_file(path: &Path) -> Result<String, Problems> {
    let name = path.display().to_string();
    let fail = |loc: Loc, kind: ProblemKind, message: String, hint: &str| {
        Err(one(
            SourceFile::new(name.clone(), ""),
            kind,
            loc,
            message,
            hint,
        ))
    };
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_FILE_BYTES).unwrap_or(u64::MAX) + 1;
    // `-` is standard input, as for most tools; bounded the same way.
    let read = if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    if let Err(e) = read {
        return fail(
            Loc::UNKNOWN,
            ProblemKind::Io,
            format!("cannot read {name}: {e}"),
            "check the path and its permissions",
        );
    }
    if bytes.len() > MAX_FILE_BYTES {
        let loc = place(&bytes[..MAX_FILE_BYTES]);
        return fail(
            loc,
            ProblemKind::TooLarge,
            format!("{name} is larger than {MAX_FILE_TEXT}, the most nslab reads"),
            "a topology file is a few kilobytes; check that this is the right file",
        );
    }
    match String::from_utf8(bytes) {
        Ok(t) => Ok(t),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let loc = place(&e.as_bytes()[..at]);
            fail(
                loc,
                ProblemKind::Syntax,
                format!("{name} is not UTF-8 text (byte {at})"),
                "save the file as UTF-8",
            )
        }
    }
}

/// The line and column just after `prefix` (valid UTF-8 up to its end,
/// give or take a cut character).
fn place(prefix: &[u8]) -> Loc {
    let text = String::from_utf8_lossy(prefix);
    let line = text.matches('\n').count() + 1;
    let last = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = text[last..].chars().count() + 1;
    Loc::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// Parse and validate topology `text`; `name` is used in messages. `run:`
/// programs are not looked up: use [`parse_str_on`] with the host's
/// [`crate::HostPrograms`] for that.
pub fn parse_str(name: &str, text: &str, host: &dyn HostInterfaces) -> Result<Topology, Problems> {
    let host = Host {
        interfaces: host,
        programs: &AnyPrograms,
    };
    parse_str_on(name, text, host)
}

/// Parse and validate topology `text` against the host: its interfaces
/// (`physical`) and its programs (`run:`).
pub fn parse_str_on(name: &str, text: &str, host: Host<'_>) -> Result<Topology, Problems> {
    let source = SourceFile::new(name, text);
    let (raw, mut problems) = read_raw(&source)?;
    // Unknown keys (the shape problems that still let the file be read)
    // and bad values come out in the same run.
    let (topo, lowered) = crate::lower::lower(raw, &source, host);
    problems.extend(lowered);
    match topo {
        Some(t) if problems.is_empty() => Ok(t),
        _ => Err(Problems::new(source, problems)),
    }
}

/// Only the first step: the file's shape, unvalidated (unknown keys, wrong
/// shapes and YAML syntax are still reported). For tools that show a file
/// as written.
pub fn parse_raw(name: &str, text: &str) -> Result<RawTopology, Problems> {
    let source = SourceFile::new(name, text);
    match read_raw(&source)? {
        (raw, shape) if shape.is_empty() => Ok(raw),
        (_, shape) => Err(Problems::new(source, shape)),
    }
}

/// The file read into the raw structs, with the shape problems that did
/// not stop the reading (unknown keys); `Err` when it could not be read at
/// all (syntax, limits, a wrong shape), with every problem found.
fn read_raw(source: &SourceFile) -> Result<(RawTopology, Vec<Problem>), Problems> {
    let text: &str = &source.text;
    if text.len() > MAX_FILE_BYTES {
        return Err(one(
            source.clone(),
            ProblemKind::TooLarge,
            place(&text.as_bytes()[..MAX_FILE_BYTES]),
            format!(
                "{} is larger than {MAX_FILE_TEXT}, the most nslab reads",
                source.name
            ),
            "a topology file is a few kilobytes; check that this is the right file",
        ));
    }
    if let Some(at) = lone_cr(text) {
        return Err(one(
            source.clone(),
            ProblemKind::Syntax,
            place(&text.as_bytes()[..at]),
            "a carriage return without a line feed (an old Mac line ending)".into(),
            "save the file with Unix (LF) or Windows (CRLF) line endings",
        ));
    }
    if is_empty(text) {
        return Err(one(
            source.clone(),
            ProblemKind::Empty,
            Loc::new(1, 1),
            "the file is empty; a lab needs at least `lab:`".into(),
            "start the file with `lab: NAME`",
        ));
    }
    let yaml_error = |e: YamlError| {
        let (kind, message, hint) = classify(&e);
        let loc = e.location().map(Loc::from).unwrap_or(Loc::UNKNOWN);
        let loc = if loc.is_known() { loc } else { Loc::new(1, 1) };
        one(source.clone(), kind, loc, message, &hint)
    };
    // First the shape, every problem at once; then the typed structs.
    let shape = crate::shape::check(text, &source.name, crate::limits::yaml_options())
        .map_err(yaml_error)?;
    let only_unknown_keys = shape.iter().all(|p| p.kind == ProblemKind::UnknownKey);
    if !only_unknown_keys {
        return Err(Problems::new(source.clone(), shape));
    }
    let options = crate::limits::yaml_options();
    match serde_saphyr::from_str_with_options::<RawTopology>(text, options) {
        Ok(raw) => Ok((raw, shape)),
        Err(_) if !shape.is_empty() => Err(Problems::new(source.clone(), shape)),
        Err(e) => Err(yaml_error(e)),
    }
}

/// The byte offset of a `\r` not followed by `\n`. YAML counts it as a
/// line break, editors and this crate's locations do not; refused so that
/// every line and column means the same to both.
fn lone_cr(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    (0..b.len()).find(|&i| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n'))
}

/// Blank, comments, and document markers only.
fn is_empty(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

fn one(source: SourceFile, kind: ProblemKind, loc: Loc, message: String, hint: &str) -> Problems {
    let file = source.name.clone();
    Problems::new(
        source,
        vec![Problem {
            kind,
            message,
            file,
            loc,
            hint: hint.to_string(),
        }],
    )
}

/// The YAML reader's error as a problem kind, message and hint.
fn classify(e: &YamlError) -> (ProblemKind, String, String) {
    match e {
        YamlError::AliasError { error, .. } | YamlError::WithSnippet { error, .. } => {
            classify(error)
        }
        YamlError::Budget { .. }
        | YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::AliasExpansionLimitExceeded { .. }
        | YamlError::AliasReplayStackDepthExceeded { .. }
        | YamlError::AliasReplayCounterOverflow { .. } => past_limits(e),
        _ if render(e).contains("recursion limit exceeded") => (
            ProblemKind::TooLarge,
            format!(
                "the file nests lists and maps deeper than {} levels",
                crate::limits::MAX_DEPTH
            ),
            "a topology file nests a few levels; check the brackets and the indentation here"
                .into(),
        ),
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => unknown_key(field, expected),
        YamlError::SerdeMissingField { field, .. } => (
            ProblemKind::MissingKey,
            format!("missing key `{field}`"),
            format!("add `{field}:`"),
        ),
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.clone().unwrap_or_default();
            (
                ProblemKind::DuplicateName,
                format!("`{key}` is written twice in this map"),
                "each name may appear once; rename or merge the two entries".into(),
            )
        }
        YamlError::Unexpected { expected, .. } => (
            ProblemKind::WrongType,
            format!("expected {}", plain_expected(expected)),
            "check the indentation and the brackets; docs/topology.md gives every key's form"
                .into(),
        ),
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => (
            ProblemKind::WrongType,
            format!("expected {expected}, found {unexpected}"),
            "docs/topology.md gives every key's form".into(),
        ),
        YamlError::SerdeInvalidLength { .. }
        | YamlError::InvalidScalar { .. }
        | YamlError::NullIntoString { .. }
        | YamlError::InvalidBooleanStrict { .. }
        | YamlError::ExternallyTaggedEnumExpectedScalarOrMapping { .. } => (
            ProblemKind::WrongType,
            strip_location(&render(e)),
            "docs/topology.md gives every key's form".into(),
        ),
        YamlError::SerdeInvalidValue { .. } | YamlError::SerdeUnknownVariant { .. } => (
            ProblemKind::InvalidValue,
            strip_location(&render(e)),
            "docs/topology.md gives every key's values".into(),
        ),
        _ => (
            ProblemKind::Syntax,
            format!("YAML syntax: {}", strip_location(&render(e))),
            "fix the YAML (indentation, quotes, brackets) at this spot".into(),
        ),
    }
}

/// The reader's budget or alias limits were hit.
fn past_limits(e: &YamlError) -> (ProblemKind, String, String) {
    (
        ProblemKind::TooLarge,
        format!("the file goes past nslab's limits: {}", strip_location(&render(e))),
        format!(
            "a topology file nests at most {} levels and expands at most {} values through aliases (`*name`); write the values out, or nest less",
            crate::limits::MAX_DEPTH,
            crate::limits::MAX_REPLAYED_EVENTS
        ),
    )
}

/// A key serde does not know, with the closest known one as a hint.
fn unknown_key(field: &str, expected: &[&str]) -> (ProblemKind, String, String) {
    let known = expected.join(", ");
    let hint = match closest(field, expected) {
        Some(k) => format!("did you mean `{k}`? Known keys here: {known}"),
        None => format!("known keys here: {known}"),
    };
    (
        ProblemKind::UnknownKey,
        format!("unknown key `{field}`"),
        hint,
    )
}

fn plain_expected(e: &str) -> String {
    match e {
        "mapping start" => "a map (`key: value` entries) here".into(),
        "sequence start" => "a list (`- item` or `[a, b]`) here".into(),
        other => other.to_string(),
    }
}

fn render(e: &YamlError) -> String {
    let mut o = serde_saphyr::RenderOptions::default();
    o.snippets = serde_saphyr::SnippetMode::Off;
    e.render_with_options(o)
}

/// The reader appends " at line L, column C"; we show the location ourselves.
fn strip_location(s: &str) -> String {
    let first = s.lines().next().unwrap_or(s);
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_blank_comments_or_markers() {
        assert!(is_empty(""));
        assert!(is_empty("# only a comment\n---\n\n"));
        assert!(!is_empty("lab: x\n"));
    }
}
