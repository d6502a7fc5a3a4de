//! Cross-check with the `nft` tool (tests only; nslab never runs it): what
//! the kernel holds, read back by nft, is what the table meant.

use std::process::Command;

use nslab_nft::*;
use serde_json::Value;

use crate::common::*;

/// `nft` run inside the calling thread's network namespace.
fn nft_here(args: &[&str]) -> String {
    let ns = format!(
        "--net={}",
        nslab_sys::testing::thread_netns_path().display()
    );
    let out = Command::new("nsenter")
        .arg(ns)
        .arg("nft")
        .args(args)
        .output()
        .expect("running nsenter nft");
    assert!(
        out.status.success(),
        "nft {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn have_nft() -> bool {
    Command::new("nft").arg("--version").output().is_ok()
}

/// The rules of `chain`, each as its list of JSON expressions.
fn rules(ruleset: &Value, chain: &str) -> Vec<Vec<Value>> {
    ruleset["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o.get("rule"))
        .filter(|r| r["chain"] == chain && r["table"] == "nslab-demo" && r["family"] == "inet")
        .map(|r| r["expr"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn nft_reads_back_what_was_meant() {
    assert!(
        have_nft(),
        "this cross-check needs the nft tool (test-only): apt-get install nftables (.ci/run does)"
    );
    in_new_netns(|| {
        let mut s = Socket::open().unwrap();
        let t = everything("nslab-demo");
        s.replace(&t).unwrap();
        let text = nft_here(&["list", "ruleset"]);
        eprintln!("{text}");
        for want in [
            "table inet nslab-demo",
            "type nat hook prerouting priority dstnat; policy accept;",
            // nft names -100 "dstnat" only at prerouting.
            "type nat hook output priority -100; policy accept;",
            "type nat hook postrouting priority srcnat; policy accept;",
            // The family guard shows where no ip/ip6 match implies it.
            "meta nfproto ipv4 fib daddr type local tcp dport 8080 dnat ip to 172.17.10.10:80",
            "iifname \"ens41\" ip daddr 192.0.2.1 udp dport 5353 dnat ip to 172.17.10.20:53",
            "iifname != \"lo\" tcp dport 8443 ip6 daddr != fd00:17::/64 dnat ip6 to [fd00:17::10]:443",
            "ip saddr != 10.0.0.0/8 dnat ip to 10.9.9.9",
            "ip saddr 172.17.0.0/16 oifname != \"docker0\" masquerade",
            "ip6 saddr fd00:17::/64 oifname \"ens41\" masquerade",
            "ct status dnat ip saddr 172.17.0.0/16 ip daddr 172.17.0.0/16 oifname \"docker0\" masquerade",
        ] {
            assert!(text.contains(want), "missing {want:?} in:\n{text}");
        }

        let json: Value = serde_json::from_str(&nft_here(&["-j", "list", "ruleset"])).unwrap();
        let pre = rules(&json, "prerouting");
        assert_eq!(pre.len(), 4);
        let dnat = pre[0].iter().find_map(|e| e.get("dnat")).unwrap();
        assert_eq!(dnat["addr"], "172.17.10.10");
        assert_eq!(dnat["port"], 80);
        let first = serde_json::to_string(&pre[0]).unwrap();
        eprintln!("{first}");
        // {"match":{"op":"==","left":{"fib":{"flags":["daddr"],"result":"type"}},"right":"local"}}
        let fib = pre[0]
            .iter()
            .find_map(|e| e["match"]["left"].get("fib"))
            .unwrap();
        assert_eq!(fib["result"], "type", "{first}");
        assert_eq!(fib["flags"], serde_json::json!(["daddr"]), "{first}");
        let port = pre[0]
            .iter()
            .find(|e| e["match"]["left"]["payload"]["field"] == "dport")
            .unwrap();
        assert_eq!(
            port["match"]["left"]["payload"]["protocol"], "tcp",
            "{first}"
        );
        assert_eq!(port["match"]["right"], 8080, "{first}");
        let dnat6 = pre[2].iter().find_map(|e| e.get("dnat")).unwrap();
        assert_eq!(dnat6["addr"], "fd00:17::10");
        assert_eq!(dnat6["port"], 443);
        let post = rules(&json, "postrouting");
        assert_eq!(post.len(), 3);
        assert!(post
            .iter()
            .all(|r| r.iter().any(|e| e.get("masquerade").is_some())));
        assert_eq!(rules(&json, "output").len(), 1);
    });
}
