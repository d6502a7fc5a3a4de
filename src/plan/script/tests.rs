use super::*;

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
