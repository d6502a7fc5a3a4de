//! Hostile input: a huge file, an endless file, alias bombs, deep nesting.
//! Each gives one clear problem, quickly and in little memory.

use nslab_model::{parse_file, parse_str, NoHostInterfaces, ProblemKind, MAX_FILE_BYTES};
use std::time::Duration;

/// The CPU time this thread has used (`/proc/thread-self/schedstat`, first
/// field, nanoseconds). The bounds below are on work done, so they hold on a
/// machine busy with other processes, where a wall-clock bound would not.
fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let ns: u64 = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .expect("first field: ns on CPU");
    Duration::from_nanos(ns)
}

fn first(text: &str) -> (ProblemKind, String, nslab_model::Loc) {
    let start = cpu_time();
    let r = parse_str("bomb.yaml", text, &NoHostInterfaces);
    let used = cpu_time() - start;
    assert!(used < Duration::from_secs(5), "took {used:?} of CPU");
    let Err(p) = r else {
        panic!("must be rejected")
    };
    let f = p.iter().next().expect("a problem").clone();
    (f.kind, f.message, f.loc)
}

/// Ten levels of ten aliases each: 10^10 values if expanded.
fn laughs(key: &str) -> String {
    let mut rows = vec![format!("&a0 [{}]", ["lol"; 10].join(","))];
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        rows.push(format!("&a{i} [{}]", vec![prev; 10].join(",")));
    }
    format!("lab: x\nnodes:\n  h1:\n    {key}: [{}]\n", rows.join(", "))
}

#[test]
fn billion_laughs_is_refused() {
    for key in ["run", "serve", "routes"] {
        let (kind, msg, loc) = first(&laughs(key));
        assert_eq!(kind, ProblemKind::TooLarge, "{key}: {msg}");
        assert!(loc.is_known(), "{msg}");
    }
}

#[test]
fn deep_nesting_is_refused() {
    for depth in [100, 10_000, 200_000] {
        let flow = format!("lab: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let (kind, msg, _) = first(&flow);
        assert!(
            matches!(kind, ProblemKind::TooLarge | ProblemKind::Syntax),
            "{kind:?} {msg}"
        );
        let mut block = String::from("lab:\n");
        for i in 0..depth.min(2000) {
            block.push_str(&" ".repeat(i + 1));
            block.push_str("- \n");
        }
        let (kind, msg, _) = first(&block);
        assert!(
            matches!(
                kind,
                ProblemKind::TooLarge | ProblemKind::Syntax | ProblemKind::WrongType
            ),
            "{kind:?} {msg}"
        );
    }
}

#[test]
fn a_file_over_the_limit_is_not_read_whole() {
    let dir = std::env::temp_dir().join(format!("nslab-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let big = dir.join("big.yaml");
    // Sparse: 100 MB of zeros that take no disk.
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(100 << 20).expect("set_len");
    drop(f);
    for path in [big.as_path(), std::path::Path::new("/dev/zero")] {
        let start = cpu_time();
        let Err(p) = parse_file(path, &NoHostInterfaces) else {
            panic!("refused")
        };
        let used = cpu_time() - start;
        assert!(used < Duration::from_secs(2), "took {used:?} of CPU");
        let f = p.iter().next().expect("a problem");
        assert_eq!(f.kind, ProblemKind::TooLarge, "{}", f.message);
        assert!(
            f.message.contains(&path.display().to_string()),
            "{}",
            f.message
        );
        assert!(f.message.contains("4 MiB"), "{}", f.message);
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(MAX_FILE_BYTES, 4 << 20);
}

#[test]
fn text_that_is_not_utf8_is_placed() {
    let dir = std::env::temp_dir().join(format!("nslab-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let f = dir.join("latin1.yaml");
    std::fs::write(&f, b"lab: x\nnodes:\n  h\xe91:\n").expect("write");
    let Err(p) = parse_file(&f, &NoHostInterfaces) else {
        panic!("refused")
    };
    let first = p.iter().next().expect("a problem");
    assert_eq!(first.loc, nslab_model::Loc::new(3, 4), "{}", first.message);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Linux bridge holds at most 1023 ports: a network of 1024 members (or
/// 1023 plus a `master:` port) is refused at the network's line, before
/// anything is made; 1023 members are fine.
#[test]
fn a_bridge_past_the_kernels_port_limit_is_refused_at_its_line() {
    let file = |members: usize, extra_port: bool| {
        let mut y = String::from("lab: big\nnodes:\n");
        if extra_port {
            y.push_str("  gw:\n    interfaces:\n      p0: { master: br0 }\n");
            y.push_str("  x: {}\nlinks:\n  - [gw:p0, x:eth0]\n");
        } else {
            y.push_str("  gw: {}\n");
        }
        y.push_str("networks:\n  br0:\n    node: gw\n    subnet: 10.8.0.0/16\n    members:\n");
        for i in 0..members {
            y.push_str(&format!("      m{i}: {{}}\n"));
        }
        y
    };
    for (members, extra, refused) in [
        (1023, false, false),
        (1024, false, true),
        (1023, true, true),
    ] {
        let text = file(members, extra);
        match parse_str("big.yaml", &text, &NoHostInterfaces) {
            Ok(_) => assert!(!refused, "{members} members, extra port {extra}: accepted"),
            Err(p) => {
                assert!(refused, "{members}: {}", p.render_plain());
                let f = p.iter().next().expect("a problem");
                assert_eq!(p.len(), 1, "{}", p.render_plain());
                assert_eq!(f.kind, ProblemKind::OutOfRange);
                assert!(f.message.contains("at most 1023"), "{}", f.message);
                assert!(f
                    .message
                    .contains(&format!("{} ports", members + usize::from(extra))));
                let line = text.lines().position(|l| l == "  br0:").expect("line") + 1;
                assert_eq!(f.loc.line as usize, line, "{}", p.render_plain());
            }
        }
    }
}
