//! Host sysctls of a lab's own interfaces: a `kind: host` node that sets
//! per-interface keys on the veth the lab makes there (`lab0`). The lab's
//! own values are never recorded as the ones from before the lab, however
//! often it is brought up; `down` is done when the interface went with
//! the lab (its keys have nothing to go back to), and gives every other
//! key back its value from before. Table: IPv4 and IPv6 `conf` keys and a
//! `neigh` key of `lab0`, beside a global key.

mod common;
use common::*;

const KEYS: [(&str, &str); 4] = [
    ("net.ipv4.conf.lab0.forwarding", "1"),
    ("net.ipv6.conf.lab0.forwarding", "1"),
    ("net.ipv4.neigh.lab0.retrans_time_ms", "500"),
    ("net.ipv4.ip_forward", "1"),
];

fn lab() -> String {
    let sysctls: Vec<String> = KEYS.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(
        "lab: hs
nodes:
  me:
    kind: host
    interfaces:
      lab0: {{ addresses: [10.9.0.1/24] }}
    sysctls: {{ {} }}
  h1:
    interfaces:
      eth0: {{ addresses: [10.9.0.2/24] }}
links:
  - [me:lab0, h1:eth0]
",
        sysctls.join(", ")
    )
}

fn read(key: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/{}", key.replace('.', "/")))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|e| format!("({e})"))
}

/// The keys the record saves as "before the lab".
fn saved() -> serde_json::Value {
    let r = std::fs::read("/run/nslab/hs/state.json").expect("record");
    let v: serde_json::Value = serde_json::from_slice(&r).expect("json");
    v["host_sysctls"].clone()
}

#[test]
fn the_labs_own_interface_keys_are_never_saved_and_down_finishes() {
    if !sandbox("the_labs_own_interface_keys_are_never_saved_and_down_finishes") {
        return;
    }
    let before = read("net.ipv4.ip_forward");
    let f = write("hs.yaml", &lab());
    nslab_ok(&["up", &f], 0);
    let first = saved();
    nslab_ok(&["up", &f], 0);
    let second = saved();
    let set: Vec<String> = KEYS.iter().map(|(k, _)| read(k)).collect();
    let down = nslab(&["down", "hs"]);
    let after = read("net.ipv4.ip_forward");
    // A record written by an earlier nslab that saved a lab0 key: `down`
    // still finishes.
    nslab_ok(&["up", &f], 0);
    let path = "/run/nslab/hs/state.json";
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("record")).expect("json");
    v["host_sysctls"]["net.ipv4.conf.lab0.forwarding"] = "1".into();
    std::fs::write(path, serde_json::to_vec(&v).expect("json")).expect("write");
    let old = nslab(&["down", "hs"]);
    let after_old = read("net.ipv4.ip_forward");
    let left = std::path::Path::new("/run/nslab/hs").exists();
    if left {
        std::fs::remove_dir_all("/run/nslab/hs").expect("clean up");
    }
    assert_nothing_left("hs");
    for (k, _) in &KEYS[..3] {
        assert!(first.get(k).is_none(), "{k} saved at the first up: {first}");
        assert!(
            second.get(k).is_none(),
            "{k} saved at the second up: {second}"
        );
    }
    assert_eq!(second["net.ipv4.ip_forward"], before.as_str(), "{second}");
    let want: Vec<String> = KEYS.iter().map(|(_, v)| v.to_string()).collect();
    assert_eq!(set, want, "the file's values are set");
    assert_eq!(down.status.code(), Some(0), "{}", text(&down));
    assert_eq!(after, before, "ip_forward given back");
    assert_eq!(old.status.code(), Some(0), "{}", text(&old));
    assert_eq!(after_old, before, "ip_forward given back");
    assert!(!left, "/run/nslab/hs stayed");
}
