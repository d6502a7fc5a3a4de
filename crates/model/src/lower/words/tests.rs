//! The parsers' unit tests: routes, arrows and targets, link ends.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The route the words make, without the offsets.
fn route(s: &str) -> Result<crate::topology::Route, (usize, ValueError)> {
    super::route(s).map(|w| w.route)
}

#[test]
fn route_words() {
    let r = route("default via 10.0.0.1").unwrap();
    assert_eq!(r.to, None);
    assert_eq!(r.via, Some(ip("10.0.0.1")));
    let r = route("to 10.2.0.0/16 via 10.0.0.254 dev eth0 metric 10 src 10.0.0.2 table 7").unwrap();
    assert_eq!(r.to.unwrap().to_string(), "10.2.0.0/16");
    assert_eq!(r.dev.unwrap(), "eth0");
    assert_eq!((r.metric, r.table), (Some(10), Some(7)));
    assert_eq!(r.src, Some(ip("10.0.0.2")));
    let r = route("default via fe80::1 dev eth0").unwrap();
    assert_eq!(r.via, Some(ip("fe80::1")));
    assert_eq!(
        route("10.9.9.9").unwrap().to.unwrap().to_string(),
        "10.9.9.9/32"
    );
    // The offset points at the bad word.
    assert_eq!(route("default via nope").unwrap_err().0, 12);
    assert_eq!(route("default gw 1.2.3.4").unwrap_err().0, 8);
    assert!(route("default via").is_err());
    assert!(route("default via 1.1.1.1 via 1.1.1.2").is_err());
    assert!(route("").is_err());
}

#[test]
fn arrows_and_targets() {
    let a = arrow("h1 -> h2").unwrap();
    assert_eq!(
        (a.from.as_str(), a.outcome, a.to_offset, a.proto),
        ("h1", Outcome::Ok, 6, ProbeProto::Icmp)
    );
    assert_eq!(
        a.to,
        Target::Node {
            node: "h2".parse().unwrap(),
            port: None
        }
    );
    let a = arrow("ns0 -x 10.0.1.1").unwrap();
    assert_eq!(a.outcome, Outcome::Fail);
    assert_eq!(
        a.to,
        Target::Addr {
            ip: ip("10.0.1.1"),
            port: None
        }
    );
    assert!(arrow("h1 => h2").is_err());
    assert!(arrow("h1 ->").is_err());
    assert_eq!(target("[fd00::1]:80").unwrap().port().unwrap().get(), 80);
    assert_eq!(
        target("192.168.54.230:8080").unwrap().port().unwrap().get(),
        8080
    );
    assert_eq!(
        target("nginx:80").unwrap(),
        Target::Node {
            node: "nginx".parse().unwrap(),
            port: Some(Port::try_from(80).unwrap())
        }
    );
    assert!(target("10.0.0").is_err());
    assert!(target("10.0.0.1:99999").is_err());
}

#[test]
fn endpoints_and_parents() {
    let e = endpoint("h1:eth0").unwrap();
    assert_eq!(e.to_string(), "h1:eth0");
    assert!(endpoint("h1").is_err());
    let h2: NodeName = "h2".parse().unwrap();
    assert_eq!(parent("eth0", &h2).unwrap().to_string(), "h2:eth0");
    assert_eq!(parent("ns1:ens41", &h2).unwrap().to_string(), "ns1:ens41");
}
