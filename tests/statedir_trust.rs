//! The state directory `/run/nslab/<lab>/` cannot be turned against the
//! machine, and cannot stop a user: links planted in it are never followed,
//! a corrupt or empty record does not block `up` or `down` (and `ls` still
//! lists the lab), looking at a lab that is not up creates nothing and is
//! bad input, and the demo never takes over a lab it did not make.

mod common;
use common::*;
use std::path::Path;

const LAB: &str = "lab: st\nnodes:\n  a:\n    interfaces:\n      eth0: { addresses: [10.0.0.1/24] }\n    run: [\"sh -c 'echo written; sleep 1001'\"]\n  b:\n    interfaces:\n      eth0: { addresses: [10.0.0.2/24] }\nlinks:\n  - [a:eth0, b:eth0]\n";

fn lab_file() -> String {
    let d = Path::new("/run/test-files");
    std::fs::create_dir_all(d).expect("mkdir");
    let p = d.join("st.yaml");
    std::fs::write(&p, LAB).expect("write topology");
    p.to_str().expect("utf-8").to_string()
}

const STATE: &str = "/run/nslab/st";

fn plant(name: &str) -> String {
    let victim = format!("/run/victim-{name}");
    std::fs::write(&victim, "precious").expect("victim");
    let link = format!("{STATE}/{name}");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&victim, &link).expect("plant link");
    victim
}

fn untouched(victim: &str, what: &str) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("victim"),
        "precious",
        "{what}: written through a link"
    );
}

/// For each file nslab keeps in a lab's directory: a link planted under its
/// name is never written through, by `up` (first or again) nor `down`.
#[test]
fn links_planted_in_the_state_directory_are_never_followed() {
    if !sandbox("links_planted_in_the_state_directory_are_never_followed") {
        return;
    }
    let f = lab_file();
    // The record and the topology: replaced, never written through.
    for name in ["state.json", "topology.yaml", "a.0.log"] {
        // Planted before the first `up` (the directory made by hand as
        // `up` would), then again before a second `up` and before `down`.
        std::fs::create_dir_all(STATE).expect("mkdir");
        let victim = plant(name);
        let o = nslab(&["up", &f]);
        untouched(&victim, &format!("first up with {name} a link"));
        assert_eq!(
            o.status.code(),
            Some(0),
            "first up with {name} a link:\n{}",
            text(&o)
        );
        let victim = plant(name);
        let o = nslab(&["up", &f]);
        untouched(&victim, &format!("up with {name} a link"));
        assert_eq!(
            o.status.code(),
            Some(0),
            "up with {name} a link:\n{}",
            text(&o)
        );
        let victim = plant(name);
        let o = nslab(&["down", "st"]);
        untouched(&victim, &format!("down with {name} a link"));
        assert_eq!(
            o.status.code(),
            Some(0),
            "down with {name} a link:\n{}",
            text(&o)
        );
        assert_nothing_left("st");
    }
    // The lock: refused, naming it and what to do; nothing written.
    nslab_ok(&["up", &f], 0);
    let victim = plant("lock");
    for args in [vec!["up", f.as_str()], vec!["down", "st"]] {
        let o = nslab(&args);
        untouched(&victim, &format!("{args:?} with the lock a link"));
        assert_eq!(o.status.code(), Some(1), "{args:?}:\n{}", text(&o));
        let t = text(&o);
        assert!(
            t.contains("/run/nslab/st/lock")
                && t.contains("symbolic link")
                && t.contains("remove it"),
            "{t}"
        );
    }
    std::fs::remove_file(format!("{STATE}/lock")).expect("rm lock link");
    nslab_ok(&["down", "st"], 0);
    assert_nothing_left("st");
    // The lab's directory itself a link, and a directory others may write.
    std::fs::create_dir_all("/run/elsewhere").expect("mkdir");
    std::os::unix::fs::symlink("/run/elsewhere", STATE).expect("plant dir link");
    let o = nslab(&["up", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    assert_eq!(std::fs::read_dir("/run/elsewhere").expect("ls").count(), 0);
    std::fs::remove_file(STATE).expect("rm dir link");
    std::fs::create_dir(STATE).expect("mkdir");
    sh(&format!("chmod 777 {STATE}"));
    let o = nslab(&["up", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("chmod go-w"), "{}", text(&o));
    std::fs::remove_dir(STATE).expect("rmdir");
    assert_nothing_left("st");
    // The base, /run/nslab, a link.
    std::fs::remove_dir("/run/nslab").expect("rmdir base");
    std::os::unix::fs::symlink("/run/elsewhere", "/run/nslab").expect("plant base link");
    let o = nslab(&["up", &f]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("/run/nslab: it is a symbolic link"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir("/run/elsewhere").expect("ls").count(), 0);
    assert!(sh("ls /run/netns 2>/dev/null").trim().is_empty());
}

/// A record that is corrupt or empty is set aside with a warning; `ls`
/// lists the lab from its marks; `up` and `down` work.
#[test]
fn a_corrupt_or_empty_record_blocks_nothing() {
    if !sandbox("a_corrupt_or_empty_record_blocks_nothing") {
        return;
    }
    let f = lab_file();
    for bad in ["{\"lab\": 7", "", "\n"] {
        nslab_ok(&["up", &f], 0);
        std::fs::write(format!("{STATE}/state.json"), bad).expect("corrupt");
        let ls = nslab_ok(&["ls"], 0);
        assert!(
            ls.lines()
                .any(|l| l.starts_with("st ") && l.contains("unreadable"))
                && ls.contains("record unreadable"),
            "ls with record {bad:?}:\n{ls}"
        );
        let up = nslab_ok(&["up", &f], 0);
        assert!(
            up.contains("warning") && up.contains("state.json.corrupt-"),
            "{up}"
        );
        let aside = std::fs::read_dir(STATE)
            .expect("ls state")
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("state.json.corrupt-")
            })
            .count();
        assert_eq!(aside, 1, "the bad record is kept aside");
        assert_eq!(
            nslab_ok(&["plan", &f, "--exit-code"], 0).trim_end(),
            "lab st matches the file: nothing to do"
        );
        std::fs::write(format!("{STATE}/state.json"), bad).expect("corrupt");
        let down = nslab_ok(&["down", "st"], 0);
        assert!(down.contains("warning"), "{down}");
        assert_nothing_left("st");
    }
}

/// Every command that looks at a lab by name, for a lab that is not up:
/// "not up", status 2, and no directory made for it.
#[test]
fn looking_at_a_lab_that_is_not_up_creates_nothing() {
    if !sandbox("looking_at_a_lab_that_is_not_up_creates_nothing") {
        return;
    }
    let commands: [&[&str]; 7] = [
        &["show", "nosuch"],
        &["exec", "nosuch", "a", "--", "true"],
        &["check", "nosuch"],
        &["ping", "nosuch"],
        &["capture", "nosuch", "a:eth0", "-c", "1"],
        &["graph", "nosuch"],
        &["shell", "nosuch", "a"],
    ];
    for with_base in [false, true] {
        if with_base {
            std::fs::create_dir_all("/run/nslab").expect("mkdir");
        }
        for args in commands {
            let o = nslab(args);
            assert_eq!(o.status.code(), Some(2), "{args:?}:\n{}", text(&o));
            assert!(
                text(&o).contains("lab nosuch is not up"),
                "{args:?}:\n{}",
                text(&o)
            );
            assert!(
                !Path::new("/run/nslab/nosuch").exists(),
                "{args:?} made a directory"
            );
            assert_eq!(Path::new("/run/nslab").exists(), with_base, "{args:?}");
        }
        let o = nslab(&["down", "nosuch"]);
        assert!(text(&o).contains("not up"), "{}", text(&o));
        assert!(
            !Path::new("/run/nslab/nosuch").exists(),
            "down made a directory"
        );
        let o = nslab(&["plan", &lab_file()]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        assert!(!Path::new(STATE).exists(), "plan made a directory");
        assert_eq!(nslab_ok(&["ls"], 0).trim(), "no labs are up");
    }
}

/// `nslab demo` and `nslab up` (no file) refuse a lab called like the demo
/// that the demo did not make, and change nothing.
#[test]
fn the_demo_never_takes_over_a_lab_it_did_not_make() {
    if !sandbox("the_demo_never_takes_over_a_lab_it_did_not_make") {
        return;
    }
    let d = Path::new("/run/test-files");
    std::fs::create_dir_all(d).expect("mkdir");
    let mine = d.join("mine.yaml");
    std::fs::write(
        &mine,
        "lab: docker\nnodes:\n  mine:\n    interfaces:\n      eth0: { addresses: [10.9.0.1/24] }\n  other:\n    interfaces:\n      eth0: { addresses: [10.9.0.2/24] }\nlinks:\n  - [mine:eth0, other:eth0]\n",
    )
    .expect("write");
    let mine = mine.to_str().expect("utf-8");
    let snapshot = || {
        (
            // Names, MTUs and global addresses: not the operational
            // state or link-local addresses, which the kernel settles on
            // its own for a while after `up`.
            sh("ls /run/netns; ip -all netns exec sh -c \
                'ip -o link | cut -d\" \" -f2,4,5; ip -o addr show scope global'"),
            std::fs::read("/run/nslab/docker/state.json").ok(),
        )
    };
    nslab_ok(&["up", mine], 0);
    // The user's lab, with its record; then with its record lost (only the
    // marks say whose namespaces they are); then with a corrupt record.
    for how in ["recorded", "record lost", "record corrupt"] {
        match how {
            "record lost" => std::fs::remove_file("/run/nslab/docker/state.json").expect("rm"),
            "record corrupt" => {
                nslab_ok(&["down", "docker"], 0);
                nslab_ok(&["up", mine], 0);
                std::fs::write("/run/nslab/docker/state.json", "{").expect("corrupt")
            }
            _ => {}
        }
        // The kernel brings a new veth's carrier up (and then its IPv6
        // link-local address) on its own, up to a second after `up`: wait
        // for that, so only what the demo does is compared.
        let before = snapshot();
        for args in [&["demo"][..], &["up"][..]] {
            let o = nslab(args);
            let t = text(&o);
            assert_eq!(o.status.code(), Some(2), "{how}: {args:?}:\n{t}");
            assert!(
                t.contains("docker") && t.contains("nslab down docker"),
                "{how}: {t}"
            );
            assert_eq!(snapshot(), before, "{how}: {args:?} changed something");
        }
    }
    nslab_ok(&["down", "docker"], 0);
    assert_nothing_left("docker");
    // The demo's own lab is the demo's: `up` twice is fine.
    nslab_ok(&["up"], 0);
    nslab_ok(&["up"], 0);
    nslab_ok(&["down", "docker"], 0);
    assert_nothing_left("docker");
}

/// The faults in force cannot be told from a record that cannot be read:
/// `plan` says so (it never says "nothing to do" for "cannot tell"); the
/// network is still planned by the marks (a bad record blocks nothing).
#[test]
fn plan_with_an_unreadable_record_does_not_say_nothing_to_do() {
    if !sandbox("plan_with_an_unreadable_record_does_not_say_nothing_to_do") {
        return;
    }
    let f = lab_file();
    nslab_ok(&["up", &f], 0);
    std::fs::write(format!("{STATE}/state.json"), "{\"lab\": 7").expect("corrupt");
    let plan = nslab(&["plan", &f, "--exit-code"]);
    nslab_ok(&["down", "st"], 0);
    assert_nothing_left("st");
    let out = text(&plan);
    assert_eq!(plan.status.code(), Some(0), "{out}");
    assert!(
        out.contains("faults of lab st cannot be read")
            && out.contains("faults in force cannot be told")
            && !out.contains("nothing to do"),
        "{out}"
    );
}
