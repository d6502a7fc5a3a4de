//! Debian's Podman 4.3 with its CNI backend runs containers on an nslab
//! network: `podman run --network NET -p 8080:80 --rootfs ROOTFS` (a
//! busybox-static root filesystem: no image, no registry). The container
//! gets its address from nslab, reaches its gateway and a second
//! container, its published port answers from the sandbox's host side,
//! and once the containers are gone (DEL from conmon's cleanup) nothing
//! of theirs is left. All of Podman's state is the sandbox's own.

#[path = "common/cni.rs"]
mod cni;
mod common;
use cni::{busybox_rootfs, http_get, private_podman};
use common::*;
use serde_json::{json, Value};
use std::process::Command;

const NET: &str = "podnet";

fn podman(env: &[(String, String)], args: &[&str]) -> (bool, String) {
    let o = Command::new("timeout")
        .arg("120")
        .arg("podman")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("podman");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

fn attachments() -> Vec<Value> {
    std::fs::read(format!("/run/nslab/{NET}/cni.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["attachments"].as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn podman_runs_containers_on_an_nslab_network() {
    if !sandbox("podman_runs_containers_on_an_nslab_network") {
        return;
    }
    let list = json!({"cniVersion": "1.0.0", "name": NET, "plugins": [
        {"type": "nslab", "bridge": "nsl-pod", "subnets": ["10.88.7.0/24"],
         "capabilities": {"portMappings": true}}]});
    // The cgroups Podman makes on the machine's v1 hierarchies go with
    // the test (dropped last).
    let _cgroups = common::images::MadeCgroups::now();
    let env = private_podman(&list);
    busybox_rootfs("/run/rootfs", "hello-from-podman\n");
    sh("ip link set lo up");
    let (ok, out) = podman(
        &env,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "--network",
            NET,
            "-p",
            "8080:80",
            "--rootfs",
            "/run/rootfs",
            "/bin/httpd",
            "-f",
            "-p",
            "80",
            "-h",
            "/www",
        ],
    );
    assert!(ok, "podman run web: {out}");
    // Its address is nslab's: the IPAM store holds it.
    let held = attachments();
    assert_eq!(held.len(), 1, "{held:?}");
    let web = held[0]["addresses"][0]
        .as_str()
        .expect("address")
        .to_string();
    let web_ip = web.split('/').next().expect("ip").to_string();
    assert!(web.starts_with("10.88.7.") && web.ends_with("/24"), "{web}");
    // A second container: its own address, the gateway and `web` answer.
    let script = format!(
        "ip -4 -o addr show eth0; ping -c1 -W2 10.88.7.1 && echo GW-OK; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O - http://{web_ip}/ \\
         && break; sleep 0.2; done"
    );
    let (ok, out) = podman(
        &env,
        &[
            "run",
            "--rm",
            "--network",
            NET,
            "--cap-add",
            "NET_RAW",
            "--rootfs",
            "/run/rootfs",
            "/bin/sh",
            "-c",
            &script,
        ],
    );
    assert!(ok, "podman run client: {out}");
    assert!(
        out.contains("inet 10.88.7.") && !out.contains(&web),
        "{out}"
    );
    assert!(out.contains("GW-OK"), "the gateway did not answer: {out}");
    assert!(
        out.contains("hello-from-podman"),
        "web did not answer: {out}"
    );
    // The client's attachment went with it (DEL from conmon's cleanup).
    assert_eq!(attachments().len(), 1, "{:?}", attachments());
    // The published port, from the sandbox's host side.
    let mut got = String::new();
    for _ in 0..20 {
        got = http_get("10.88.7.1:8080");
        if got.contains("hello-from-podman") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(got.contains("hello-from-podman"), "published port: {got}");
    let (ok, out) = podman(&env, &["rm", "-f", "-t", "0", "web"]);
    assert!(ok, "podman rm: {out}");
    // Nothing of the containers is left: no veth, no rules, no IPAM entry.
    assert!(attachments().is_empty(), "{:?}", attachments());
    let mark = nslab_types::names::lab_mark(NET);
    let links = sh("ip -d -o link show");
    let veths: Vec<&str> = links
        .lines()
        .filter(|l| l.contains(&mark) && !l.contains("bridge_id"))
        .collect();
    assert!(veths.is_empty(), "{veths:?}");
    let mut nft = nslab_nft::Socket::open().expect("netfilter socket");
    assert!(!nft
        .table_exists(&nslab_types::names::nat_table(NET))
        .expect("tables"));
    // The network itself is a lab: `nslab down` removes it whole.
    assert!(nslab_ok(&["ls"], 0).contains(NET));
    nslab_ok(&["down", NET], 0);
    assert_nothing_left(NET);
}
