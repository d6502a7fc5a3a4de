//! The `--json` reports, one JSON value per command, in the shapes
//! docs/json.md documents (tests/json.rs parses each against it):
//! durations are milliseconds rounded to the microsecond, MAC addresses and
//! addresses are the strings `ip` prints.

use crate::check::{Check, Outcome};
use crate::plan::Plan;
use serde_json::{json, Value};
use std::time::Duration;

/// Milliseconds, to the microsecond: `1.566`, never `1.5660310000000002`.
pub fn ms(d: Duration) -> f64 {
    // Microseconds fit an f64 exactly for any duration a probe takes.
    let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
    f64::from(us) / 1000.0
}

/// The operations of a plan: each as data and as the equivalent command.
pub fn operations(p: &Plan) -> Value {
    p.steps
        .iter()
        .map(|s| json!({"op": s.op, "line": s.op.to_string()}))
        .collect()
}

/// `up`, `down` and `plan`: `{"lab", "operations"}`.
pub fn plan_report(lab: &str, p: &Plan) -> Value {
    json!({"lab": lab, "operations": operations(p)})
}

/// The checks and what each saw.
pub fn checks(results: &[(Check, Outcome)]) -> Value {
    results
        .iter()
        .map(|(c, o)| json!({"check": c.text, "pass": o.pass, "seen": o.seen, "ms": ms(o.took)}))
        .collect()
}

/// `show`: MAC addresses as `aa:bb:cc:dd:ee:ff`, addresses (and route
/// destinations, NAT subnets) as `10.0.0.1/24`, wherever they are in the
/// node's state.
pub fn tidy(v: &mut Value) {
    if let Some(cidr) = cidr_string(v) {
        *v = cidr;
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map.iter_mut() {
                match k.as_str() {
                    "mac" => mac_string(child),
                    _ => tidy(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

fn mac_string(v: &mut Value) {
    if let Value::Array(bytes) = v {
        let hex: Option<Vec<String>> = bytes
            .iter()
            .map(|b| b.as_u64().filter(|b| *b < 256).map(|b| format!("{b:02x}")))
            .collect();
        if let Some(hex) = hex.filter(|h| h.len() == 6) {
            *v = Value::String(hex.join(":"));
        }
    }
}

/// `{"addr": "10.0.0.1", "prefix": 24}` as `"10.0.0.1/24"`.
fn cidr_string(v: &Value) -> Option<Value> {
    let map = v.as_object().filter(|m| m.len() == 2)?;
    let addr = map.get("addr")?.as_str()?;
    let prefix = map.get("prefix")?.as_u64()?;
    Some(Value::String(format!("{addr}/{prefix}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_have_no_float_noise() {
        for (us, text) in [
            (1_566_031, "1566.031"),
            (1_566, "1.566"),
            (200, "0.2"),
            (0, "0.0"),
        ] {
            let v = json!({ "ms": ms(Duration::from_nanos(us * 1000 + 999)) });
            assert_eq!(v.to_string(), format!("{{\"ms\":{text}}}"));
        }
    }

    #[test]
    fn macs_and_addresses_are_strings() {
        let mut v = json!({"nodes": {"a": {"links": {"eth0": {
            "mac": [10, 186, 23, 177, 152, 9],
            "addresses": [{"addr": "10.0.1.1", "prefix": 24}, {"addr": "fd00::1", "prefix": 64}],
        }}, "routes": [{"to": {"addr": "10.2.0.0", "prefix": 16}, "via": "10.0.1.2"}]}}});
        tidy(&mut v);
        let l = &v["nodes"]["a"]["links"]["eth0"];
        assert_eq!(l["mac"], "0a:ba:17:b1:98:09");
        assert_eq!(l["addresses"], json!(["10.0.1.1/24", "fd00::1/64"]));
        assert_eq!(v["nodes"]["a"]["routes"][0]["to"], "10.2.0.0/16");
    }
}
