//! Driving CNI plugins the way a runtime does (libcni): the plugin is
//! `$CNI_PATH/<type>`, the request is the environment plus the network
//! configuration on stdin, a conflist's plugins run in order for ADD (each
//! given the previous one's result as `prevResult`) and in reverse for DEL.
//! `nslab` is found through a directory of links made in the sandbox's
//! /run, beside Debian's reference plugins in /usr/lib/cni.

#![allow(dead_code)]

use crate::common::nslab_bin;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};

/// The directory `nslab` is linked into as a runtime would install it.
pub const BIN_DIR: &str = "/run/cni-bin";
/// Debian's reference plugins (package containernetworking-plugins).
pub const REFERENCE: &str = "/usr/lib/cni";

/// Links `nslab` into [`BIN_DIR`] (once per sandbox).
pub fn install() {
    std::fs::create_dir_all(BIN_DIR).expect("mkdir cni bin dir");
    let link = format!("{BIN_DIR}/nslab");
    if std::fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(nslab_bin(), &link).expect("link nslab");
    }
}

pub fn cni_path() -> String {
    format!("{BIN_DIR}:{REFERENCE}")
}

/// One call: the plugin's exit status, stdout (parsed if JSON) and stderr.
#[derive(Debug)]
pub struct Answer {
    pub code: Option<i32>,
    pub out: String,
    pub err: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }

    pub fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "plugin failed: {self:?}");
        self
    }
}

/// What the runtime says about the container.
#[derive(Debug, Clone)]
pub struct Req<'a> {
    pub container: &'a str,
    pub netns: &'a str,
    pub ifname: &'a str,
}

/// The plugin named by `conf`'s `type`, found along `CNI_PATH`, started
/// with `command` (its stdin written and closed).
pub fn start(command: &str, req: &Req, conf: &Value) -> Child {
    let kind = conf["type"].as_str().unwrap_or("nslab");
    let exe = cni_path()
        .split(':')
        .map(|d| format!("{d}/{kind}"))
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| panic!("no plugin {kind} in {}", cni_path()));
    let mut child = Command::new(exe)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("NSLAB_RUN_DIR", "/run/nslab")
        .env("CNI_COMMAND", command)
        .env("CNI_CONTAINERID", req.container)
        .env("CNI_NETNS", req.netns)
        .env("CNI_IFNAME", req.ifname)
        .env("CNI_ARGS", "IgnoreUnknown=1")
        .env("CNI_PATH", cni_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("exec plugin");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(conf.to_string().as_bytes())
        .expect("write config");
    drop(stdin);
    child
}

pub fn finish(child: Child) -> Answer {
    let o = child.wait_with_output().expect("wait plugin");
    Answer {
        code: o.status.code(),
        out: String::from_utf8_lossy(&o.stdout).trim().to_string(),
        err: String::from_utf8_lossy(&o.stderr).to_string(),
    }
}

pub fn call(command: &str, req: &Req, conf: &Value) -> Answer {
    finish(start(command, req, conf))
}

/// A conflist's plugin `i` as libcni hands it over: the list's
/// `cniVersion` and `name`, and `prevResult` when there is one.
pub fn plugin_conf(list: &Value, i: usize, prev: Option<&Value>) -> Value {
    let mut c = list["plugins"][i].clone();
    c["cniVersion"] = list["cniVersion"].clone();
    c["name"] = list["name"].clone();
    if let Some(p) = prev {
        c["prevResult"] = p.clone();
    }
    c
}

/// ADD of a whole conflist: each plugin's result is the next one's
/// `prevResult`; the last result is returned.
pub fn add_list(list: &Value, req: &Req) -> Value {
    let mut prev: Option<Value> = None;
    for i in 0..list["plugins"].as_array().map_or(0, Vec::len) {
        let a = call("ADD", req, &plugin_conf(list, i, prev.as_ref()));
        a.ok();
        prev = Some(a.json());
    }
    prev.unwrap_or_else(|| json!({}))
}

/// DEL of a whole conflist, last plugin first, each given the list's
/// cached result (as libcni does).
pub fn del_list(list: &Value, req: &Req, cached: Option<&Value>) -> Vec<Answer> {
    let n = list["plugins"].as_array().map_or(0, Vec::len);
    (0..n)
        .rev()
        .map(|i| call("DEL", req, &plugin_conf(list, i, cached)))
        .collect()
}

/// What `GET /` from `addr` answers (status line, headers, body), or
/// why it could not be asked.
pub fn http_get(addr: &str) -> String {
    use std::io::{Read, Write};
    let addr: std::net::SocketAddr = addr.parse().expect("addr");
    let mut s = match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3))
    {
        Ok(s) => s,
        Err(e) => return format!("connect {addr}: {e}"),
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(3)));
    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Podman with every piece of its state private to the sandbox: its
/// containers.conf (CNI backend, cgroupfs, file events, the ulimits these
/// machines need), its storage (vfs under /run), its CNI config and plugin
/// directories; a tmpfs over /var/lib (libcni's result cache), /var/tmp,
/// /dev/shm (its locks) and /sys/fs/cgroup/unified. Returns the environment for `podman`.
pub fn private_podman(conflist: &Value) -> Vec<(String, String)> {
    install();
    // /dev/shm: Podman's locks (`libpod_lock`) stay in this sandbox too.
    for (what, dir) in [
        ("tmpfs", "/var/lib"),
        ("tmpfs", "/var/tmp"),
        ("tmpfs", "/dev/shm"),
    ] {
        let o = Command::new("mount")
            .args(["-t", what, what, dir])
            .output()
            .expect("mount");
        assert!(o.status.success(), "mount {dir}: {o:?}");
    }
    if std::path::Path::new("/sys/fs/cgroup/unified").is_dir() {
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "tmpfs", "/sys/fs/cgroup/unified"])
            .output()
            .expect("mount");
        assert!(o.status.success(), "mount cgroup/unified: {o:?}");
    }
    let dir = "/run/podman";
    std::fs::create_dir_all(format!("{dir}/cni")).expect("mkdir");
    std::fs::create_dir_all(format!("{dir}/tmp")).expect("mkdir");
    let conf = format!(
        "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n\
         [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\ntmp_dir = \"{dir}/tmp\"\n\
         [network]\nnetwork_backend = \"cni\"\ncni_plugin_dirs = [\"{BIN_DIR}\", \"{REFERENCE}\"]\n\
         network_config_dir = \"{dir}/cni\"\n"
    );
    std::fs::write(format!("{dir}/containers.conf"), conf).expect("containers.conf");
    let storage = format!(
        "[storage]\ndriver = \"vfs\"\nrunroot = \"{dir}/runroot\"\ngraphroot = \"{dir}/graph\"\n"
    );
    std::fs::write(format!("{dir}/storage.conf"), storage).expect("storage.conf");
    let name = conflist["name"].as_str().expect("name");
    std::fs::write(format!("{dir}/cni/{name}.conflist"), conflist.to_string()).expect("conflist");
    vec![
        ("CONTAINERS_CONF".into(), format!("{dir}/containers.conf")),
        (
            "CONTAINERS_STORAGE_CONF".into(),
            format!("{dir}/storage.conf"),
        ),
    ]
}

/// A busybox-static root filesystem (`--rootfs`: no image, no registry)
/// at `dir`, with `/www/index.html` saying `body`.
pub fn busybox_rootfs(dir: &str, body: &str) {
    let bin = format!("{dir}/bin");
    std::fs::create_dir_all(&bin).expect("mkdir rootfs");
    for d in ["etc", "proc", "sys", "dev", "tmp", "run", "www"] {
        std::fs::create_dir_all(format!("{dir}/{d}")).expect("mkdir rootfs");
    }
    std::fs::copy("/bin/busybox", format!("{bin}/busybox")).expect("copy busybox");
    let list = Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&list.stdout).lines() {
        if applet != "busybox" {
            let _ = std::os::unix::fs::symlink("busybox", format!("{bin}/{applet}"));
        }
    }
    std::fs::write(format!("{dir}/www/index.html"), body).expect("index");
}

/// A namespace of the test's own, by its path (as a runtime passes it).
pub fn netns(name: &str) -> String {
    crate::common::sh(&format!("ip netns add {name}"));
    format!("/run/netns/{name}")
}

pub fn req<'a>(container: &'a str, ns: &'a str) -> Req<'a> {
    Req {
        container,
        netns: ns,
        ifname: "eth0",
    }
}

/// What the network holds besides its bridge: the host links carrying
/// its mark, its nft table, its IPAM entries.
pub fn leftovers(net: &str) -> (Vec<String>, bool, usize) {
    let mut sock = nslab_netlink::Socket::open().expect("route socket");
    let mark = nslab_types::names::lab_mark(net);
    let links = sock
        .links()
        .expect("links")
        .into_iter()
        .filter(|l| {
            l.alias.as_deref() == Some(mark.as_str()) && l.kind.as_deref() != Some("bridge")
        })
        .map(|l| l.name)
        .collect();
    let mut nft = nslab_nft::Socket::open().expect("netfilter socket");
    let table = nft
        .table_exists(&nslab_types::names::nat_table(net))
        .expect("tables");
    let ipam = std::fs::read(format!("/run/nslab/{net}/cni.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .map_or(0, |v| v["attachments"].as_array().map_or(0, Vec::len));
    (links, table, ipam)
}
