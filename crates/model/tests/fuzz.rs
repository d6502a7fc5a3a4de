//! Fuzzing parse + validate: arbitrary text, and structured mutations of
//! every example file (lines dropped, duplicated, swapped, re-indented;
//! scalars replaced with odd values; keys inserted). For every input:
//! no panic, every problem placed inside the file (or just past its end),
//! rendering works, and it takes bounded time.
//!
//! CI runs a few thousand cases. For a soak, set `NSLAB_FUZZ_CASES`
//! (cases per test), e.g. `NSLAB_FUZZ_CASES=200000 cargo test --release
//! -p nslab-model --test fuzz`. The cargo-fuzz target in `fuzz/` drives
//! the same entry point for coverage-guided runs.

use nslab_model::{
    parse_str, parse_str_on, AnyHostInterfaces, Host, NoHostInterfaces, Problems, ProgramLookup,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

thread_local! {
    /// Cases run and the slowest one (µs), per test (each test runs on a
    /// thread of its own), for the soak's report.
    static RUN: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn report(test: &str, start: Instant) {
    let (n, slowest) = RUN.with(|r| r.replace((0, 0)));
    eprintln!(
        "{test}: {n} cases in {:?}, slowest {slowest} us",
        start.elapsed()
    );
}

/// Some programs exist, some do not (so `run:` checks are exercised).
fn programs(p: &str) -> ProgramLookup {
    match p.len() % 3 {
        0 => ProgramLookup::Found,
        1 => ProgramLookup::Missing,
        _ => ProgramLookup::NotExecutable,
    }
}

/// Longest one parse may take (debug build, a loaded CI machine).
const BOUND: Duration = Duration::from_secs(3);

fn cases(default: u32) -> u32 {
    std::env::var("NSLAB_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn config(default: u32) -> Config {
    Config {
        cases: cases(default),
        failure_persistence: None,
        ..Config::default()
    }
}

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("example");
            (p.display().to_string(), text)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 9, "only {} examples", v.len());
    v
}

/// Whether `loc` lies in `text`: a line of it (or the line after the last),
/// a column within that line or just past its end.
fn inside(text: &str, line: u32, col: u32) -> bool {
    if line == 0 || col == 0 {
        return false;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(l) = lines.get(line as usize - 1) else {
        return false;
    };
    col as usize <= l.chars().count() + 1
}

/// Parse and validate `text`, asserting what a user relies on.
fn check(text: &str) -> Result<(), TestCaseError> {
    let start = Instant::now();
    let host = Host {
        interfaces: &AnyHostInterfaces,
        programs: &programs,
    };
    let results = [
        parse_str("fuzz.yaml", text, &NoHostInterfaces),
        parse_str_on("fuzz.yaml", text, host),
    ];
    let took = start.elapsed();
    let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
    RUN.with(|r| {
        let (n, slowest) = r.get();
        r.set((n + 1, slowest.max(us)));
    });
    prop_assert!(took < BOUND, "took {took:?}");
    for r in results {
        if let Err(p) = r {
            check_problems(text, &p)?;
        }
    }
    Ok(())
}

fn check_problems(text: &str, p: &Problems) -> Result<(), TestCaseError> {
    prop_assert!(!p.is_empty(), "an error without problems");
    for x in p.iter() {
        prop_assert!(
            inside(text, x.loc.line, x.loc.col),
            "{:?} at {} is outside the file: {}",
            x.kind,
            x.loc,
            x.message
        );
        prop_assert!(!x.hint.is_empty(), "no hint for {}", x.message);
    }
    let _ = p.render_plain();
    let mut out = String::new();
    let _ = miette::GraphicalReportHandler::new().render_report(&mut out, p);
    Ok(())
}

/// Odd values for a scalar: types, ranges, names and characters at the
/// edges of what the file allows.
const ODD: &[&str] = &[
    "",
    "~",
    "null",
    "true",
    "no",
    "-1",
    "0",
    "65536",
    "4294967296",
    "340282366920938463463374607431768211456",
    "1e400",
    ".nan",
    "-.inf",
    "0x10",
    "010",
    "1_000",
    "[]",
    "{}",
    "[[[]]]",
    "[a, [b, {c: d}]]",
    "{a: }",
    "\"\"",
    "\"a\\0b\"",
    "\"a\\tb\"",
    "\"\\u0085\"",
    "'",
    "\"",
    "&x",
    "*x",
    "&x a",
    "!!binary AA==",
    "!!str 1",
    "!!int x",
    "|",
    ">-",
    "lo",
    "all",
    "default",
    ".",
    "..",
    "a/b",
    "a:b",
    "é",
    "ééééééééé",
    "abcdefghijklmnopq",
    "eth0:1",
    "10.0.0.1/33",
    "10.0.0.256",
    "::/0",
    "::1/129",
    "0.0.0.0/0",
    "255.255.255.255/32",
    "default",
    "default via ::1",
    "default via 10.0.0.1 dev eth0 metric 4294967296",
    "10.0.0.0/8 dev",
    "tcp/0",
    "udp/65535",
    "sctp/1",
    "8080:80/tcp",
    "1.2.3.4:0:0",
    ":::80",
    "h1 -> h2",
    "h1 -x h1",
    "-> ->",
    "h1 -> h2 tcp/80 expect fail",
    "/nonexistent/prog",
    "sh -c '",
    "\"unterminated",
    "net.ipv4.ip_forward",
    "net.",
    "ff:ff:ff:ff:ff:ff",
    "01:00:00:00:00:00",
    "1ms",
    "-1ms",
    "100%",
    "101%",
    "1gbit",
    "0bit",
    "18446744073709551616ms",
];

/// Keys to insert: every key the file knows, and some it does not.
const KEYS: &[&str] = &[
    "lab",
    "nodes",
    "links",
    "networks",
    "expect",
    "netns",
    "kind",
    "lo",
    "forwarding",
    "sysctls",
    "interfaces",
    "routes",
    "nat",
    "serve",
    "run",
    "addresses",
    "up",
    "mtu",
    "mac",
    "master",
    "hairpin",
    "impair",
    "stp",
    "ageing",
    "vlan-filtering",
    "parent",
    "id",
    "mode",
    "flag",
    "vni",
    "remote",
    "group",
    "local",
    "dev",
    "port",
    "learning",
    "from",
    "owner",
    "delay",
    "jitter",
    "loss",
    "rate",
    "endpoints",
    "to",
    "via",
    "metric",
    "src",
    "table",
    "masquerade",
    "forward",
    "not-out",
    "proto",
    "in",
    "node",
    "subnet",
    "subnets",
    "gateway",
    "members",
    "address",
    "ifname",
    "publish",
    "reply-from",
    "seen-as",
    "h1",
    "eth0",
    "bogus",
    "<<",
    "? x",
    "\"\"",
    "'a b'",
    "- x",
];

#[derive(Debug, Clone)]
enum Edit {
    Drop(usize),
    Dup(usize),
    Swap(usize, usize),
    /// Replace the value after `key:` (or the list item) on a line.
    Scalar(usize, usize),
    /// Insert `key: odd` at a line, indented like it.
    Insert(usize, usize, usize),
    /// Indent a line by this many spaces more (or fewer, when negative).
    Indent(usize, i8),
    /// Put a character in a line.
    Char(usize, usize, char),
    /// Cut the file at a byte.
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = 1usize..200;
    prop_oneof![
        n.clone().prop_map(Edit::Drop),
        n.clone().prop_map(Edit::Dup),
        (n.clone(), n.clone()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (n.clone(), 0..ODD.len()).prop_map(|(l, v)| Edit::Scalar(l, v)),
        (n.clone(), 0..KEYS.len(), 0..ODD.len()).prop_map(|(l, k, v)| Edit::Insert(l, k, v)),
        (n.clone(), -4i8..5).prop_map(|(l, d)| Edit::Indent(l, d)),
        (
            n.clone(),
            0usize..80,
            prop_oneof![
                Just(':'),
                Just('-'),
                Just('['),
                Just('{'),
                Just('#'),
                Just('&'),
                Just('*'),
                Just('!'),
                Just('|'),
                Just('\t'),
                Just('"'),
                Just('\''),
                Just('\0'),
                Just('\u{feff}'),
                Just('\u{2028}'),
                any::<char>()
            ]
        )
            .prop_map(|(l, c, ch)| Edit::Char(l, c, ch)),
        (0usize..10_000).prop_map(Edit::Truncate),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cut: Option<usize> = None;
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let at = |i: usize| i % lines.len();
        match *e {
            Edit::Drop(i) => {
                let i = at(i);
                lines.remove(i);
            }
            Edit::Dup(i) => {
                let i = at(i);
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            Edit::Swap(a, b) => {
                let (a, b) = (at(a), at(b));
                lines.swap(a, b);
            }
            Edit::Scalar(i, v) => {
                let i = at(i);
                let l = &lines[i];
                let head = match l.rfind(": ") {
                    Some(p) => l[..p + 2].to_string(),
                    None => match l.find("- ") {
                        Some(p) => l[..p + 2].to_string(),
                        None => String::new(),
                    },
                };
                lines[i] = format!("{head}{}", ODD[v]);
            }
            Edit::Insert(i, k, v) => {
                let i = at(i);
                let indent: String = lines[i].chars().take_while(|c| *c == ' ').collect();
                lines.insert(i, format!("{indent}{}: {}", KEYS[k], ODD[v]));
            }
            Edit::Indent(i, d) => {
                let i = at(i);
                if d >= 0 {
                    lines[i] = format!("{}{}", " ".repeat(d as usize), lines[i]);
                } else {
                    let strip = lines[i]
                        .chars()
                        .take(d.unsigned_abs() as usize)
                        .take_while(|c| *c == ' ')
                        .count();
                    lines[i] = lines[i][strip..].to_string();
                }
            }
            Edit::Char(i, c, ch) => {
                let i = at(i);
                let l = &lines[i];
                let c = l.char_indices().nth(c).map(|(b, _)| b).unwrap_or(l.len());
                let mut l = l.clone();
                l.insert(c, ch);
                lines[i] = l;
            }
            Edit::Truncate(b) => cut = Some(b),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    if let Some(b) = cut {
        let b = b % (out.len() + 1);
        let b = (0..=b)
            .rev()
            .find(|b| out.is_char_boundary(*b))
            .unwrap_or(0);
        out.truncate(b);
    }
    out
}

#[test]
fn arbitrary_bytes_never_panic_and_problems_are_placed() {
    let start = Instant::now();
    let mut runner = TestRunner::new(config(1000));
    runner
        .run(&proptest::collection::vec(any::<u8>(), 0..400), |bytes| {
            check(&String::from_utf8_lossy(&bytes))
        })
        .unwrap_or_else(|e| panic!("{e}"));
    report("bytes", start);
}

/// Text made of YAML's own punctuation and nslab's keys, so the fuzzer
/// gets past the first line more often than random bytes do.
#[test]
fn yaml_shaped_text_never_panics_and_problems_are_placed() {
    let token = prop_oneof![
        (0..KEYS.len()).prop_map(|k| format!("{}: ", KEYS[k])),
        (0..ODD.len()).prop_map(|v| ODD[v].to_string()),
        Just("\n".to_string()),
        Just("  ".to_string()),
        Just("- ".to_string()),
        Just(", ".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("lab: x\nnodes:\n".to_string()),
    ];
    let start = Instant::now();
    let mut runner = TestRunner::new(config(1000));
    runner
        .run(&proptest::collection::vec(token, 0..60), |toks| {
            check(&toks.concat())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    report("yaml-shaped", start);
}

#[test]
fn mutated_examples_never_panic_and_problems_are_placed() {
    let examples = examples();
    // Every example is valid as it is (the mutations start from valid).
    for (name, text) in &examples {
        if let Err(p) = parse_str(name, text, &AnyHostInterfaces) {
            panic!("{}", p.render_plain());
        }
    }
    let n = examples.len();
    let start = Instant::now();
    let mut runner = TestRunner::new(config(2000));
    runner
        .run(
            &(0..n, proptest::collection::vec(edit(), 1..6)),
            |(i, edits)| check(&apply(&examples[i].1, &edits)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    report("mutated examples", start);
}
