//! ADD's result as the spec writes it for the config's version: 1.x
//! (`interfaces`, `ips` with `interface`, `routes`, `dns`) and 0.3.1/0.4.0
//! (the same, each IP with its `version`); chained, the previous
//! plugin's result passed through.

use super::conf::Conf;
use super::ipam::Attachment;
use serde_json::{json, Map, Value};

/// The result of an ADD that made `a` (its container interface has
/// `mac`, its netns is `sandbox`).
pub fn added(conf: &Conf, a: &Attachment, mac: &str) -> Value {
    if let Some(prev) = &conf.prev {
        return passed_through(conf, prev);
    }
    let v1 = conf.version.starts_with("1.");
    let veth = a.host_veth.clone().unwrap_or_default();
    let mut inside = json!({"name": a.ifname, "mac": mac, "sandbox": a.netns});
    if let (Some(m), true) = (conf.mtu, conf.version == "1.1.0") {
        inside["mtu"] = json!(m);
    }
    let interfaces = vec![json!({"name": conf.bridge}), json!({"name": veth}), inside];
    let mut ips = Vec::new();
    let mut routes = Vec::new();
    for c in a.cidrs() {
        let Some((_, gw)) = conf.subnets.iter().find(|(n, _)| n.contains(c.addr)) else {
            continue;
        };
        let mut ip = Map::new();
        if !v1 {
            ip.insert(
                "version".into(),
                json!(if c.addr.is_ipv6() { "6" } else { "4" }),
            );
        }
        ip.insert("address".into(), json!(c.to_string()));
        ip.insert("gateway".into(), json!(gw.to_string()));
        ip.insert("interface".into(), json!(2));
        ips.push(Value::Object(ip));
        if !conf.internal {
            let dst = if c.addr.is_ipv6() {
                "::/0"
            } else {
                "0.0.0.0/0"
            };
            routes.push(json!({"dst": dst, "gw": gw.to_string()}));
        }
    }
    json!({
        "cniVersion": conf.version,
        "interfaces": interfaces,
        "ips": ips,
        "routes": routes,
        "dns": {},
    })
}

/// The previous plugin's result, in the config's version (a runtime
/// hands it over in that version already).
pub fn passed_through(conf: &Conf, prev: &Value) -> Value {
    let mut out = prev.clone();
    if let Some(o) = out.as_object_mut() {
        o.insert("cniVersion".into(), json!(conf.version));
    }
    out
}

/// The addresses a previous plugin gave interface `ifname` in `sandbox`
/// (those of its `ips` whose interface is that one, or that name none).
pub fn prev_addresses(prev: &Value, ifname: &str, sandbox: &str) -> Vec<String> {
    let ifaces = prev.get("interfaces").and_then(Value::as_array);
    let ours = |i: &Value| -> bool {
        let Some(idx) = i.get("interface").and_then(Value::as_u64) else {
            return true;
        };
        let iface = ifaces.and_then(|l| l.get(usize::try_from(idx).ok()?));
        iface.is_some_and(|f| {
            f.get("name").and_then(Value::as_str) == Some(ifname)
                && f.get("sandbox")
                    .and_then(Value::as_str)
                    .is_none_or(|s| s.is_empty() || s == sandbox)
        })
    };
    prev.get("ips")
        .and_then(Value::as_array)
        .map(|ips| {
            ips.iter()
                .filter(|i| ours(i))
                .filter_map(|i| i.get("address")?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference bridge plugin's result (as Debian's 1.1 writes it):
    /// its container interface's address is found, the host side's not.
    #[test]
    fn a_reference_result_gives_its_container_address() {
        let prev = json!({"cniVersion":"1.0.0","interfaces":[{"name":"cni0","mac":"aa:bb:cc:dd:ee:01"},{"name":"veth1","mac":"aa:bb:cc:dd:ee:02"},{"name":"eth0","mac":"aa:bb:cc:dd:ee:03","sandbox":"/run/netns/x"}],"ips":[{"interface":2,"address":"10.22.0.5/16","gateway":"10.22.0.1"},{"interface":0,"address":"10.99.0.1/16"}]});
        assert_eq!(
            prev_addresses(&prev, "eth0", "/run/netns/x"),
            ["10.22.0.5/16"]
        );
        assert!(prev_addresses(&prev, "eth1", "/run/netns/x").is_empty());
    }
}
