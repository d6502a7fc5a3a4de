//! `nslab up --rootless` of the examples whose interface kinds this
//! machine's kernel lacks (802.1Q VLAN, IPVLAN, dummy, VRF): VM-only, run
//! by the VM lane (tests/vm/run) on a stock Debian kernel. The rootless
//! lane (tests/rootless/lane) runs every other example a user without root
//! can have; together they cover them all.

mod common;

#[path = "rootless/user.rs"]
mod as_user;

use as_user::{assert_nothing_left, entries, example, run_ok, xdg};
use common::{sandbox, text};
use std::process::Command;

/// Root makes each kind the examples use once (so its module is loaded)
/// and removes it again: a failure here is the kernel's, not the lab's.
/// (Debian's 6.1 also loads `rtnl-link-<kind>` when the root of a user's
/// own user namespace asks for the kind — seen with none of the four
/// loaded before — but that is the machine's to allow: `kernel.modprobe`,
/// `kernel.modules_disabled`.)
fn load_link_kinds_as_root() {
    let steps: [&[&str]; 6] = [
        &["link", "add", "kinds-d0", "type", "dummy"],
        &[
            "link", "add", "link", "kinds-d0", "name", "kinds-v0", "type", "vlan", "id", "10",
        ],
        &[
            "link", "add", "link", "kinds-d0", "name", "kinds-i0", "type", "ipvlan", "mode", "l2",
        ],
        &["link", "add", "kinds-r0", "type", "vrf", "table", "10"],
        &["link", "del", "kinds-r0"],
        &["link", "del", "kinds-d0"],
    ];
    for args in steps {
        let o = Command::new("ip").args(args).output().expect("run ip");
        assert!(o.status.success(), "ip {}:\n{}", args.join(" "), text(&o));
    }
    let left = Command::new("ip")
        .args(["-o", "link"])
        .output()
        .expect("ip");
    assert!(!text(&left).contains("kinds-"), "{}", text(&left));
}

#[test]
#[ignore = "needs 802.1Q VLAN, IPVLAN, dummy and VRF, which this kernel lacks; runs in the VM lane (tests/vm/run)"]
fn vm_rootless_vlan_ipvlan_vrf_examples() {
    if !sandbox("vm_rootless_vlan_ipvlan_vrf_examples") {
        return;
    }
    load_link_kinds_as_root();
    let x = xdg();
    for (file, lab) in [
        ("vlan.yaml", "vlan"),
        ("ipvlan.yaml", "ipv"),
        ("vrf.yaml", "vrf"),
    ] {
        let path = example(file);
        let up = run_ok(&["up", "--rootless", "--check", &path], &x, 0);
        assert!(up.contains(&format!("lab {lab} is up")), "{file}:\n{up}");
        assert!(up.contains(" 0 failed"), "{file}:\n{up}");
        assert!(
            x.join("nslab").join(lab).join("holder").is_file(),
            "{file}: {:?}",
            entries(&x)
        );
        let yaml = std::fs::read_to_string(&path).expect("read the example");
        if yaml.lines().any(|l| l.starts_with("scenarios:")) {
            run_ok(&["test", lab], &x, 0);
        }
        run_ok(&["down", lab], &x, 0);
        assert_nothing_left(&x);
    }
}
