//! The flags of fault commands read as the file reads the same values.

use super::*;

fn flags(
    delay: Option<&str>,
    jitter: Option<&str>,
    loss: Option<&str>,
    rate: Option<&str>,
) -> ImpairFlags {
    ImpairFlags {
        delay: delay.map(Into::into),
        jitter: jitter.map(Into::into),
        loss: loss.map(Into::into),
        rate: rate.map(Into::into),
        clear: false,
    }
}

/// The flags read as the file's `impair:` values do; a loss without
/// `%` is a percentage too; what cannot be meant is refused.
#[test]
fn impair_flags_read_as_the_file_reads_them() {
    let ok = |f: ImpairFlags| impair_of(&f).expect("valid").expect("an impairment");
    let i = ok(flags(Some("50ms"), Some("5ms"), Some("1%"), Some("10mbit")));
    assert_eq!(
        (i.delay_us, i.jitter_us, i.loss_ppm, i.rate_bps),
        (Some(50_000), Some(5_000), Some(10_000), Some(10_000_000))
    );
    assert_eq!(
        ok(flags(None, None, Some("0.5"), None)).loss_ppm,
        Some(5_000)
    );
    let bad = [
        (flags(None, None, None, None), "say what to impair"),
        (flags(None, Some("5ms"), None, None), "--delay"),
        (flags(Some("soon"), None, None, None), "--delay"),
        (flags(None, None, Some("150%"), None), "--loss"),
        (flags(None, None, None, Some("fast")), "--rate"),
    ];
    for (f, why) in bad {
        let e = impair_of(&f).expect_err(why);
        assert!(e.contains(why), "{f:?}: {e}");
    }
    let clear = ImpairFlags {
        clear: true,
        ..ImpairFlags::default()
    };
    assert_eq!(impair_of(&clear), Ok(None));
}

/// The impairment a file's `impair:` of `keys` (`delay: 1ms`) gives,
/// or its problem.
fn from_file(keys: &str) -> Result<Impair, String> {
    let yaml = format!(
        "lab: t\nnodes:\n  a:\n    interfaces:\n      eth0:\n        impair: {{ {keys} }}\n  b: {{}}\nlinks:\n  - [a:eth0, b:eth0]\n"
    );
    let t = nslab_model::parse_str("t.yaml", &yaml, &nslab_model::AnyHostInterfaces)
        .map_err(|e| format!("{e:?}"))?;
    t.nodes
        .values()
        .flat_map(|n| n.interfaces.values())
        .find_map(|i| i.impair)
        .ok_or_else(|| "no impairment".to_string())
}

/// The same values are accepted by `nslab impair` and by a file's
/// `impair:`, and mean the same: a delay or jitter finer than a
/// microsecond is refused by both, not truncated by one.
#[test]
fn the_cli_and_the_file_accept_the_same_delays() {
    let values = [
        "20ms",
        "1s",
        "500us",
        "1.5ms",
        "0.001ms",
        "1.0005ms",
        "0.5us",
        "1500ns",
        "0us",
        "3600s",
        "3601s",
        "0.0000001s",
        "soon",
        "5",
    ];
    for v in values {
        for flag in ["--delay", "--jitter"] {
            let (f, keys) = match flag {
                "--delay" => (flags(Some(v), None, None, None), format!("delay: \"{v}\"")),
                _ => (
                    flags(Some("1ms"), Some(v), None, None),
                    format!("delay: 1ms, jitter: \"{v}\""),
                ),
            };
            let cli = impair_of(&f).map(|i| i.map(|i| (i.delay_us, i.jitter_us)));
            let file = from_file(&keys).map(|i| Some((i.delay_us, i.jitter_us)));
            match (&cli, &file) {
                (Ok(c), Ok(f)) => assert_eq!(c, f, "{flag} {v}"),
                (Err(e), Err(_)) => assert!(e.contains(flag), "{flag} {v}: {e}"),
                _ => panic!("{flag} {v}: the CLI gives {cli:?}, the file {file:?}"),
            }
        }
    }
}
