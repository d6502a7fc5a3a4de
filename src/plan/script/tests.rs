use super::*;
use crate::plan::LinkChange;
use crate::state::BridgeChange;

/// The split of a link change is the host layer's, for every mix of
/// attributes (each attribute on or off).
#[test]
fn link_changes_split_as_the_host_sends_them() {
    for bits in 0u32..(1 << 7) {
        let on = |i: u32| bits & (1 << i) != 0;
        let change = LinkChange {
            up: on(0).then_some(true),
            mtu: on(1).then_some(1400),
            mac: on(2).then_some([2, 0, 0, 0, 0, 1]),
            master: on(3).then(|| Some("br0".to_string())),
            hairpin: on(4).then_some(true),
            bridge: on(5).then_some(BridgeChange {
                stp: Some(true),
                ageing_secs: None,
                vlan_filtering: Some(false),
            }),
            ipv6_link_local: on(6).then_some(false),
        };
        assert_eq!(
            parts::parts(&change),
            crate::host::link_change_parts(&change),
            "{change:?}"
        );
    }
}

#[test]
fn words_are_quoted_for_the_shell_only_when_needed() {
    assert_eq!(quote("lab-h1"), "lab-h1");
    assert_eq!(quote("a b"), "'a b'");
    assert_eq!(quote("it's"), "'it'\\''s'");
    assert_eq!(quote(""), "''");
}

/// A sysctl's file, an interface's with dots in its name included.
#[test]
fn sysctls_are_written_to_their_files() {
    for (key, path) in [
        ("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward"),
        (
            "net.ipv6.conf.all.forwarding",
            "/proc/sys/net/ipv6/conf/all/forwarding",
        ),
        (
            "net.ipv4.conf.eth0.100.rp_filter",
            "/proc/sys/net/ipv4/conf/eth0.100/rp_filter",
        ),
        (
            "net.ipv6.neigh.eth0.base_reachable_time_ms",
            "/proc/sys/net/ipv6/neigh/eth0/base_reachable_time_ms",
        ),
    ] {
        assert_eq!(sysctl_path(key), path);
    }
}
