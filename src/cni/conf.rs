//! The network configuration a runtime passes on stdin, read and checked
//! before anything is touched: the keys of docs/cni.md, their defaults,
//! and what a runtime adds (`runtimeConfig`, `prevResult`, the GC list).

use super::error::{CniError, Code};
use crate::state::Cidr;
use serde::Deserialize;
use serde_json::Value;
use std::net::IpAddr;

/// The versions of the spec this plugin speaks (VERSION's answer).
pub const SUPPORTED: [&str; 4] = ["0.3.1", "0.4.0", "1.0.0", "1.1.0"];

/// Whether this plugin speaks version `v`.
pub fn supported(v: &str) -> bool {
    SUPPORTED.contains(&v)
}

/// A published port from `runtimeConfig.portMappings`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortMapping {
    pub host_port: u16,
    pub container_port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
    #[serde(default, rename = "hostIP")]
    pub host_ip: Option<String>,
}

fn tcp() -> String {
    "tcp".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeConfig {
    #[serde(default)]
    port_mappings: Vec<PortMapping>,
}

/// One attachment the runtime still uses (GC's `cni.dev/valid-attachments`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Valid {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    cni_version: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    bridge: Option<String>,
    #[serde(default)]
    subnets: Vec<String>,
    gateway: Option<Value>,
    mtu: Option<u32>,
    masquerade: Option<bool>,
    isolate: Option<bool>,
    internal: Option<bool>,
    #[serde(default)]
    runtime_config: RuntimeConfig,
    prev_result: Option<Value>,
    #[serde(rename = "cni.dev/valid-attachments")]
    valid: Option<Vec<Valid>>,
}

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Conf {
    pub version: String,
    /// The network's name: also the name of its lab.
    pub name: String,
    pub bridge: String,
    /// Each subnet with its gateway.
    pub subnets: Vec<(Cidr, IpAddr)>,
    pub mtu: Option<u32>,
    pub masquerade: bool,
    /// Dropped to and from the machine's other isolating nslab CNI
    /// networks (see `super::isolate`).
    pub isolate: bool,
    /// No route out, no masquerade, nothing forwarded in or out.
    pub internal: bool,
    pub ports: Vec<PortMapping>,
    pub prev: Option<Value>,
    pub valid: Option<Vec<Valid>>,
}

fn bad(msg: impl Into<String>) -> CniError {
    CniError::new(Code::InvalidConfig, msg)
}

/// Reads the configuration; the version alone is enough for VERSION.
pub fn version_of(stdin: &[u8]) -> String {
    serde_json::from_slice::<Value>(stdin)
        .ok()
        .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_string))
        .unwrap_or_else(|| "0.2.0".into())
}

pub fn parse(stdin: &[u8]) -> Result<Conf, CniError> {
    let raw: Raw = serde_json::from_slice(stdin).map_err(|e| {
        CniError::new(Code::Decode, "cannot decode the network configuration")
            .details(e.to_string())
    })?;
    if !supported(&raw.cni_version) {
        return Err(CniError::new(
            Code::IncompatibleVersion,
            format!("cniVersion {} is not supported", raw.cni_version),
        )
        .details(format!("supported: {}", SUPPORTED.join(", "))));
    }
    if raw.kind != "nslab" {
        return Err(bad(format!("type is {:?}, not \"nslab\"", raw.kind)));
    }
    if raw.name.parse::<nslab_model::LabName>().is_err() {
        return Err(bad(format!(
            "network name {:?} cannot name a lab (letters, digits, `-`, `_`, at most {} characters)",
            raw.name,
            nslab_model::LabName::MAX_LEN
        )));
    }
    let bridge = raw.bridge.unwrap_or_else(|| format!("nsl-{}", raw.name));
    if bridge.parse::<nslab_model::IfName>().is_err() {
        return Err(bad(format!("bridge {bridge:?} is not an interface name")));
    }
    let subnets = subnets(&raw.subnets, raw.gateway.as_ref())?;
    if let Some(m) = raw.mtu {
        if !(68..=65535).contains(&m) {
            return Err(bad(format!("mtu {m} is outside 68..=65535")));
        }
    }
    for p in &raw.runtime_config.port_mappings {
        if !matches!(p.protocol.as_str(), "tcp" | "udp") {
            return Err(bad(format!("portMappings protocol {:?}", p.protocol)));
        }
        if p.host_port == 0 || p.container_port == 0 {
            return Err(bad("portMappings: port 0"));
        }
        if let Some(ip) = p.host_ip.as_deref().filter(|s| !s.is_empty()) {
            ip.parse::<IpAddr>()
                .map_err(|_| bad(format!("portMappings hostIP {ip:?}")))?;
        }
    }
    let internal = raw.internal.unwrap_or(false);
    Ok(Conf {
        version: raw.cni_version,
        name: raw.name,
        bridge,
        subnets,
        mtu: raw.mtu,
        masquerade: raw.masquerade.unwrap_or(true) && !internal,
        isolate: raw.isolate.unwrap_or(true),
        internal,
        ports: raw.runtime_config.port_mappings,
        prev: raw.prev_result,
        valid: raw.valid,
    })
}

/// `subnets` with their gateways: `gateway` is one address (for the
/// subnet holding it) or a list; each subnet without one gets its first
/// host address.
fn subnets(list: &[String], gateway: Option<&Value>) -> Result<Vec<(Cidr, IpAddr)>, CniError> {
    let gws: Vec<IpAddr> = match gateway {
        None => Vec::new(),
        Some(Value::String(s)) => vec![parse_ip(s)?],
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().ok_or_else(|| bad("gateway: not a string")))
            .map(|s| s.and_then(parse_ip))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad("gateway: an address or a list of addresses")),
    };
    let mut out: Vec<(Cidr, IpAddr)> = Vec::new();
    for s in list {
        let c: Cidr = s.parse().map_err(|e| bad(format!("subnets: {s:?}: {e}")))?;
        let c = c.network();
        if c.size() < 4 {
            return Err(bad(format!("subnets: {c} is too small")));
        }
        if let Some((o, _)) = out.iter().find(|(o, _)| o.overlaps(&c)) {
            return Err(bad(format!("subnets: {c} overlaps {o}")));
        }
        let gw = match gws.iter().find(|g| c.contains(**g)) {
            Some(g) if c.is_host_address(*g) => *g,
            Some(g) => return Err(bad(format!("gateway {g} cannot be a host of {c}"))),
            None => c.first_host().ok_or_else(|| bad(format!("subnets: {c}")))?,
        };
        out.push((c, gw));
    }
    if let Some(g) = gws
        .iter()
        .find(|g| !out.iter().any(|(c, _)| c.contains(**g)))
    {
        return Err(bad(format!("gateway {g} is in none of the subnets")));
    }
    Ok(out)
}

fn parse_ip(s: &str) -> Result<IpAddr, CniError> {
    s.parse()
        .map_err(|_| bad(format!("gateway {s:?}: not an address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conf(extra: &str) -> Result<Conf, CniError> {
        let s = format!(r#"{{"cniVersion":"1.0.0","name":"n1","type":"nslab"{extra}}}"#);
        parse(s.as_bytes())
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = conf(r#","subnets":["10.9.0.0/24","fd09::/64"]"#).expect("valid");
        assert_eq!(c.bridge, "nsl-n1");
        assert!(c.masquerade && c.isolate && !c.internal);
        let gws: Vec<String> = c.subnets.iter().map(|(_, g)| g.to_string()).collect();
        assert_eq!(gws, ["10.9.0.1", "fd09::1"]);
    }

    /// Every key refuses what it cannot carry out, with code 7 (or 1 for
    /// the version, 6 for what is not JSON): nothing is half-done later.
    #[test]
    fn bad_values_are_refused_before_anything_happens() {
        let cases = [
            (r#","subnets":["10.9.0.0/33"]"#, 7),
            (r#","subnets":["10.9.0.0/24","10.9.0.128/25"]"#, 7),
            (r#","subnets":["10.9.0.0/24"],"gateway":"10.8.0.1""#, 7),
            (r#","subnets":["10.9.0.0/24"],"gateway":"10.9.0.0""#, 7),
            (r#","subnets":["10.9.0.0/24"],"mtu":20"#, 7),
            (r#","bridge":"a-name-far-too-long""#, 7),
            (
                r#","runtimeConfig":{"portMappings":[{"hostPort":1,"containerPort":2,"protocol":"sctp"}]}"#,
                7,
            ),
        ];
        for (extra, code) in cases {
            let e = conf(extra).expect_err(extra);
            assert_eq!(e.code as u32, code, "{extra}: {e:?}");
        }
        let e = parse(br#"{"cniVersion":"9.9.9","name":"n","type":"nslab"}"#).expect_err("v");
        assert_eq!(e.code as u32, 1);
        assert_eq!(parse(b"{").expect_err("json").code as u32, 6);
    }

    #[test]
    fn internal_means_no_masquerade() {
        let c = conf(r#","subnets":["10.9.0.0/24"],"internal":true"#).expect("valid");
        assert!(c.internal && !c.masquerade);
    }
}
