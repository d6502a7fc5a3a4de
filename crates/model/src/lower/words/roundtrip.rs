//! Parsing is lossless: for every short form, any string its parser
//! accepts, printed back canonically (`canon`) and parsed again, is the
//! same value. A parser that drops a token (`a -> b:9999` read as a ping)
//! fails here: the printer says what the value means, and what it means
//! differs from what was written.
//!
//! The strings are soups of the forms' own tokens and near misses (extra
//! colons, ports, protocols, trailing words), so most are refused and the
//! accepted ones cover the corners.

use super::canon;
use super::*;
use crate::impair::{parse_duration, parse_micros, Percent, Rate};
use crate::topology::{Expect, ProbeProto};
use proptest::prelude::*;

/// `n` to `m` tokens from `tokens`, each followed by a space or nothing.
fn soup(tokens: &'static [&'static str], n: usize, m: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        (
            prop::sample::select(tokens),
            prop::sample::select(&[" ", "", " "][..]),
        ),
        n..m,
    )
    .prop_map(|v| v.into_iter().map(|(t, s)| format!("{t}{s}")).collect())
}

const CHECK: &[&str] = &[
    "a",
    "b",
    "h1",
    "->",
    "-x",
    "=>",
    ":",
    "80",
    "9999",
    "0",
    "+80",
    "/tcp",
    "/udp",
    "/http",
    "/sctp",
    "/",
    "10.0.0.2",
    "10.0.0.2:80",
    "fd00::2",
    "[fd00::2]",
    "[fd00::2]:53",
    "b:80",
    "b:80:90",
    ".",
    "x",
];

const ROUTE: &[&str] = &[
    "to",
    "default",
    "10.2.0.0/16",
    "10.2.0.1/16",
    "10.2.0.0/+16",
    "10.9.9.9",
    "fd00::/64",
    "via",
    "10.0.0.1",
    "fe80::1",
    "dev",
    "eth0",
    "metric",
    "priority",
    "10",
    "src",
    "10.0.0.2",
    "table",
    "7",
    "+7",
    "gw",
    "/",
];

const LINK: &[&str] = &[
    "a:eth0", "a", ":", "eth0", "up", "down", "both", "x", "a:eth0:1",
];

const DURATION: &[&str] = &[
    "1", "0", ".", "5", "000", "s", "ms", "us", "sec", "m", " ", "+",
];

const PERCENT: &[&str] = &["1", "0", ".", "5", "100", "%", " ", "0001", "e"];

const RATE: &[&str] = &[
    "1", "0", ".", "5", "8", "bit", "kbit", "mbit", "kbps", "b", "e",
];

const SERVICE: &[&str] = &[
    "tcp",
    "udp",
    "/",
    ":",
    "80",
    "8080",
    "0",
    "127.0.0.1",
    "[::1]",
    "::1",
    "fd00::1",
    "[",
    "]",
    "x",
];

/// One of `tokens`.
fn one(tokens: &'static [&'static str]) -> impl Strategy<Value = &'static str> {
    prop::sample::select(tokens)
}

/// Forms built as they are written, with a near miss in any part: a
/// soup alone seldom lines three words up.
fn written_check() -> impl Strategy<Value = String> {
    (
        one(&["a", "h1", "1a", "a:80"]),
        one(&["->", "-x", "=>"]),
        one(&[
            "b",
            "b:80",
            "10.0.0.2",
            "10.0.0.2:80",
            "fd00::2",
            "[fd00::2]:53",
            "b:80:90",
            "b:+80",
            "b:0",
            "[fd00::2]",
            "fd00::2:80",
        ]),
        one(&["", "", "/tcp", "/udp", "/http", "/sctp", "/", "/udp/x"]),
        one(&["", "", "", " c", " "]),
    )
        .prop_map(|(f, a, t, p, x)| format!("{f} {a} {t}{p}{x}"))
}

fn written_number() -> impl Strategy<Value = String> {
    (
        one(&["0", "1", "5", "10", "1500", "123456789", ""]),
        one(&[
            "",
            "",
            ".",
            ".5",
            ".0001",
            ".00001",
            ".123456789",
            ".1234567891",
            ".5.5",
        ]),
    )
        .prop_map(|(i, f)| format!("{i}{f}"))
}

fn written_duration() -> impl Strategy<Value = String> {
    (written_number(), one(&["s", "ms", "us", "sec", "m", ""])).prop_map(|(n, u)| format!("{n}{u}"))
}

/// A check as `Expect`, from its words.
fn expect(a: ArrowWords) -> Expect {
    Expect {
        from: a.from,
        to: a.to,
        proto: a.proto,
        reply_from: None,
        seen_as: None,
        outcome: a.outcome,
        within: None,
        loc: crate::loc::Loc::UNKNOWN,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn checks(s in prop_oneof![soup(CHECK, 1, 7), written_check()]) {
        if let Ok(a) = arrow(&s) {
            let e = expect(a);
            // What the check probes agrees with its port: ICMP has none,
            // TCP, UDP and HTTP need one (the map form's own rule).
            prop_assert_eq!(e.proto == ProbeProto::Icmp, e.to.port().is_none(), "{}", s);
            let printed = canon::check(&e);
            prop_assert!(printed.is_some(), "{s} accepted but has no short form");
            let printed = printed.unwrap_or_default();
            let again = arrow(&printed).map(expect);
            prop_assert_eq!(again.as_ref().ok(), Some(&e), "{} -> {}", s, printed);
        }
    }

    #[test]
    fn routes(s in soup(ROUTE, 1, 9)) {
        if let Ok(r) = route(&s) {
            let printed = canon::route(&r.route);
            let again = route(&printed).map(|w| w.route);
            prop_assert_eq!(again.as_ref().ok(), Some(&r.route), "{} -> {}", s, printed);
            // A subnet is its network address: nothing the kernel masks.
            if let Some(c) = r.route.to {
                prop_assert_eq!(c, c.network(), "{}", s);
            }
        }
    }

    #[test]
    fn link_steps(s in prop_oneof![
        soup(LINK, 1, 5),
        (one(&["a:eth0", "a", "a:eth0:1"]), one(&["up", "down", "sideways"]), one(&["", " both", " both now", " bothx", " x"]))
            .prop_map(|(a, s, b)| format!("{a} {s}{b}")),
    ]) {
        if let Ok((at, up, both)) = link_step(&s) {
            let printed = canon::link_step(&at, up, both);
            prop_assert_eq!(link_step(&printed).ok(), Some((at, up, both)), "{} -> {}", s, printed);
        }
    }

    #[test]
    fn endpoints(s in soup(LINK, 1, 4)) {
        if let Ok(e) = endpoint(&s) {
            let printed = e.to_string();
            prop_assert_eq!(endpoint(&printed).ok(), Some(e), "{} -> {}", s, printed);
        }
    }

    #[test]
    fn durations(s in prop_oneof![soup(DURATION, 1, 6), written_duration()]) {
        if let Ok(d) = parse_duration(&s) {
            let printed = canon::duration(d);
            prop_assert_eq!(parse_duration(&printed).ok(), Some(d), "{} -> {}", s, printed);
        }
        if let Ok(us) = parse_micros(&s) {
            let printed = canon::micros(us);
            prop_assert_eq!(parse_micros(&printed).ok(), Some(us), "{} -> {}", s, printed);
            // Nothing below a microsecond was dropped.
            prop_assert_eq!(parse_duration(&s).ok().map(|d| d.as_nanos()), Some(u128::from(us) * 1000));
        }
    }

    #[test]
    fn percents(s in prop_oneof![soup(PERCENT, 1, 6), written_number().prop_map(|n| format!("{n}%"))]) {
        if let Ok(p) = s.parse::<Percent>() {
            let printed = canon::percent(p);
            prop_assert_eq!(printed.parse::<Percent>().ok(), Some(p), "{} -> {}", s, printed);
        }
    }

    #[test]
    fn rates(s in prop_oneof![
        soup(RATE, 1, 6),
        (written_number(), one(&["bit", "kbit", "mbit", "kbps", "gbit"])).prop_map(|(n, u)| format!("{n}{u}")),
    ]) {
        if let Ok(r) = s.parse::<Rate>() {
            // netem counts bytes: a rate is a whole number of them.
            prop_assert_eq!(r.bits_per_sec() % 8, 0, "{}", s);
            let printed = canon::rate(r);
            prop_assert_eq!(printed.parse::<Rate>().ok(), Some(r), "{} -> {}", s, printed);
        }
    }

    #[test]
    fn services_and_published_ports(s in soup(SERVICE, 1, 8)) {
        if let Ok(v) = service(&s) {
            let printed = canon::service(&v);
            prop_assert_eq!(service(&printed).ok(), Some(v), "{} -> {}", s, printed);
        }
        if let Ok(v) = publish(&s) {
            let printed = canon::publish(&v);
            prop_assert_eq!(publish(&printed).ok(), Some(v), "{} -> {}", s, printed);
        }
    }
}

/// The soups do reach accepted forms of every kind (a generator that
/// only made refused strings would prove nothing).
#[test]
fn the_token_soups_reach_accepted_forms() {
    assert!(arrow("a -> b:80/udp").is_ok());
    assert!(arrow("a -x [fd00::2]:53").is_ok());
    assert!(route("to 10.2.0.0/16 via 10.0.0.1 dev eth0 metric 10").is_ok());
    assert!(link_step("a:eth0 down both").is_ok());
    assert!(parse_micros("1.5ms").is_ok());
    assert!("0.5%".parse::<Percent>().is_ok());
    assert!("1.6kbit".parse::<Rate>().is_ok());
    assert!(publish("127.0.0.1:8080:80/udp").is_ok());
}

/// Each form refuses, at the token, what it would otherwise half read.
#[test]
fn half_read_words_are_refused_at_the_token() {
    let cases: &[(&str, usize)] = &[
        ("a -> b c", 7),
        ("a -> b:80/sctp", 10),
        ("a -> b/tcp", 7),
        ("a -> b:80:90", 5),
        ("a -> b:+80", 5),
        ("a -> 10.0.0.2:80/udp/x", 17),
    ];
    for (s, off) in cases {
        match arrow(s) {
            Ok(a) => panic!("{s} accepted as {a:?}"),
            Err((o, _)) => assert_eq!(o, *off, "{s}"),
        }
    }
    assert_eq!(
        route("10.2.0.1/16 via 10.0.0.1").map(|_| ()).unwrap_err().0,
        0
    );
    assert_eq!(link_step("a:eth0 down both x").unwrap_err().0, 17);
    assert_eq!(link_step("a:eth0 down twice").unwrap_err().0, 12);
}
