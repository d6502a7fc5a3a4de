//! The spec's full examples (topology.md, "Examples") parse to the typed
//! values the planner relies on.

use nslab_model::*;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn n(s: &str) -> NodeName {
    s.parse().unwrap()
}

fn i(s: &str) -> IfName {
    s.parse().unwrap()
}

const DOCKER: &str = r#"lab: docker
nodes:
  internet:                          # stands in for the outside world
    interfaces:
      wan: { addresses: [192.168.54.51/24] }
    serve: [tcp/7]
  docker:
    interfaces:
      ens41: { addresses: [192.168.54.230/24] }
    routes: [default via 192.168.54.51]
  nginx:  { serve: [tcp/80] }
  gitlab: { serve: [tcp/80] }
links:
  - [internet:wan, docker:ens41]
networks:
  docker0:
    node: docker
    subnet: 172.17.0.0/16
    members:
      nginx:  { address: 172.17.10.10, publish: ["8080:80"] }
      gitlab: { address: 172.17.10.20, publish: ["9090:80"] }
expect:
  - nginx -> gitlab
  - nginx -> 172.17.0.1
  - nginx -> 192.168.54.51                          # out through NAT
  - { from: nginx, to: 192.168.54.51:7, proto: tcp, seen-as: 192.168.54.230 }
  - { from: internet, to: 192.168.54.230:8080, proto: http, reply-from: nginx }
  - { from: internet, to: 192.168.54.230:9090, proto: http, reply-from: gitlab }
"#;

const MACVLAN: &str = r#"lab: mv
nodes:
  switch:
    interfaces:
      br0: { kind: bridge }
      up1: { master: br0, hairpin: true }
  ns1:
    interfaces:
      ens41: { addresses: [10.40.1.246/24] }
  ns2:
    interfaces:
      m1: { kind: macvlan, parent: ns1:ens41, mode: bridge, addresses: [10.40.1.247/24] }
  ns3:
    interfaces:
      m2: { kind: macvlan, parent: ns1:ens41, mode: bridge, addresses: [10.40.1.248/24] }
links:
  - [switch:up1, ns1:ens41]
expect:
  - ns2 -> 10.40.1.248
  - ns2 -x 10.40.1.246            # a MACVLAN child cannot reach its parent
"#;

#[test]
fn docker_example() {
    let t = parse_str("docker.yaml", DOCKER, &NoHostInterfaces)
        .unwrap_or_else(|p| panic!("{}", p.render_plain()));
    assert_eq!(t.lab, "docker");
    assert_eq!(t.nodes.len(), 4);
    let docker = &t.nodes[&n("docker")];
    assert_eq!(docker.netns_name(&t.lab, &n("docker")), "docker-docker");
    assert_eq!(t.netns_of(&n("nginx")).as_deref(), Some("docker-nginx"));
    let ens41 = &docker.interfaces[&i("ens41")];
    assert_eq!(ens41.kind, IfKind::Veth);
    assert_eq!(ens41.addresses[0].to_string(), "192.168.54.230/24");
    assert!(ens41.up);
    assert_eq!(docker.routes.len(), 1);
    assert_eq!(docker.routes[0].to, None);
    assert_eq!(docker.routes[0].via, Some(ip("192.168.54.51")));
    assert_eq!(docker.routes[0].destination().to_string(), "0.0.0.0/0");
    assert_eq!(docker.routes[0].loc, Loc::new(10, 14));
    assert_eq!(
        t.nodes[&n("internet")].serve,
        vec![Service {
            proto: Proto::Tcp,
            port: Port::try_from(7).unwrap()
        }]
    );

    assert_eq!(t.links.len(), 1);
    assert_eq!(t.links[0].a.to_string(), "internet:wan");
    assert_eq!(t.links[0].b.to_string(), "docker:ens41");

    let net = &t.networks[&i("docker0")];
    assert_eq!(net.node, "docker");
    assert!(net.masquerade);
    assert_eq!(net.subnets.len(), 1);
    assert_eq!(net.subnets[0].cidr.to_string(), "172.17.0.0/16");
    assert_eq!(net.subnets[0].gateway, ip("172.17.0.1"));
    assert_eq!(net.subnets[0].gateway_cidr().to_string(), "172.17.0.1/16");
    let nginx = &net.members[&n("nginx")];
    assert_eq!(nginx.address, Some(ip("172.17.10.10")));
    assert_eq!(nginx.addresses[0].to_string(), "172.17.10.10/16");
    assert_eq!(nginx.ifname, "eth0");
    assert_eq!(nginx.publish[0].host_port.get(), 8080);
    assert_eq!(nginx.publish[0].port.get(), 80);
    assert_eq!(nginx.publish[0].proto, Proto::Tcp);
    // Networks are not expanded into interfaces here.
    assert!(t.nodes[&n("nginx")].interfaces.is_empty());

    assert_eq!(t.expect.len(), 6);
    assert_eq!(t.expect[0].from, "nginx");
    assert_eq!(
        t.expect[0].to,
        Target::Node {
            node: n("gitlab"),
            port: None
        }
    );
    assert_eq!(t.expect[0].proto, ProbeProto::Icmp);
    assert_eq!(t.expect[0].outcome, Outcome::Ok);
    assert_eq!(t.expect[3].proto, ProbeProto::Tcp);
    assert_eq!(
        t.expect[3].to,
        Target::Addr {
            ip: ip("192.168.54.51"),
            port: Some(Port::try_from(7).unwrap())
        }
    );
    assert_eq!(t.expect[3].seen_as, Some(ip("192.168.54.230")));
    assert_eq!(t.expect[4].proto, ProbeProto::Http);
    assert_eq!(t.expect[4].reply_from, Some(n("nginx")));
    assert_eq!(t.expect[5].loc, Loc::new(28, 5));
}

#[test]
fn macvlan_example() {
    let t = parse_str("macvlan.yaml", MACVLAN, &NoHostInterfaces)
        .unwrap_or_else(|p| panic!("{}", p.render_plain()));
    let sw = &t.nodes[&n("switch")];
    assert_eq!(
        sw.interfaces[&i("br0")].kind,
        IfKind::Device(DeviceKind::Bridge(Bridge {
            stp: false,
            ageing_secs: 300,
            vlan_filtering: false
        }))
    );
    let up1 = &sw.interfaces[&i("up1")];
    assert_eq!(up1.kind, IfKind::Veth);
    assert_eq!(up1.master, Some(i("br0")));
    assert!(up1.hairpin);
    let m1 = &t.nodes[&n("ns2")].interfaces[&i("m1")];
    assert_eq!(
        m1.kind,
        IfKind::Device(DeviceKind::Macvlan(Macvlan {
            parent: IfRef {
                node: n("ns1"),
                ifname: i("ens41")
            },
            mode: MacvlanMode::Bridge
        }))
    );
    assert_eq!(m1.addresses[0].to_string(), "10.40.1.247/24");
    assert_eq!(m1.loc, Loc::new(12, 7));
    assert_eq!(
        t.nodes[&n("ns1")].interfaces[&i("ens41")].kind,
        IfKind::Veth
    );
    assert_eq!(t.expect[1].outcome, Outcome::Fail);
    assert_eq!(
        t.expect[1].to,
        Target::Addr {
            ip: ip("10.40.1.246"),
            port: None
        }
    );
    assert_eq!(
        t.spans.get("nodes.ns2.interfaces.m1.parent"),
        Some(Loc::new(12, 36))
    );
}

#[test]
fn json_is_accepted() {
    let t = parse_str(
        "lab.json",
        r#"{"lab": "j", "nodes": {"a": {}, "b": {}}, "links": [["a:eth0", "b:eth0"]]}"#,
        &NoHostInterfaces,
    )
    .unwrap();
    assert_eq!(t.nodes.len(), 2);
    assert_eq!(t.nodes[&n("a")].interfaces[&i("eth0")].kind, IfKind::Veth);
}

#[test]
fn member_addresses_are_allocated_in_name_order() {
    let text = r#"lab: alloc
nodes:
  gw: { interfaces: { lan: { kind: bridge, addresses: [10.9.0.2/24] } } }
networks:
  br1:
    node: gw
    subnets: [10.9.0.0/24, fd00:9::/64]
    gateway: [10.9.0.1, fd00:9::1]
    members:
      zeta: {}
      alpha: {}
      mid: { address: 10.9.0.3, ifname: net1 }
"#;
    let t = parse_str("a.yaml", text, &NoHostInterfaces)
        .unwrap_or_else(|p| panic!("{}", p.render_plain()));
    let net = &t.networks[&i("br1")];
    let a = |m: &str| {
        net.members[&n(m)]
            .addresses
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    };
    // .1 gateway, .2 on the bridge node's own interface, .3 given to mid.
    assert_eq!(a("alpha"), ["10.9.0.4/24", "fd00:9::2/64"]);
    assert_eq!(a("mid"), ["10.9.0.3/24", "fd00:9::3/64"]);
    assert_eq!(a("zeta"), ["10.9.0.5/24", "fd00:9::4/64"]);
    assert_eq!(net.members[&n("mid")].ifname, "net1");
    // Members not under `nodes` are created as plain nodes.
    assert!(t.nodes.contains_key(&n("zeta")));
    assert!(t.nodes[&n("zeta")].lo_up);
}

#[test]
fn every_interface_kind_and_setting() {
    let text = r#"lab: kinds
nodes:
  a:
    netns: custom-a
    lo: down
    forwarding: false
    sysctls: { net.ipv4.conf.all.rp_filter: 0, net.ipv6.conf.all.disable_ipv6: true }
    interfaces:
      eth0: { addresses: [10.0.0.1/24, "fd00::1/64"], mtu: 9000, mac: "02:00:00:00:00:01", impair: { delay: 20ms, jitter: 5ms, loss: 1%, rate: 10mbit } }
      br0: { kind: bridge, stp: true, ageing: 30, vlan-filtering: true, up: false }
      eth0.100: { kind: vlan, parent: eth0, id: 100 }
      i1: { kind: ipvlan, parent: eth0.100, mode: l3, flag: private }
      vx0: { kind: vxlan, vni: 42, remote: 10.0.0.2, local: 10.0.0.1, dev: eth0, port: 4790, learning: false }
      tap0: { kind: tap, owner: 1000 }
      ens9: { kind: physical, from: ens41 }
    routes:
      - 10.2.0.0/16 via 10.0.0.254 dev eth0 metric 10
      - { to: 10.3.0.0/16, dev: eth0, table: 100 }
      - default via fe80::1 dev eth0
    nat:
      masquerade:
        - { from: 172.17.0.0/16, not-out: br0 }
      forward:
        - { proto: udp, port: 5353, to: 172.17.10.20:53, in: eth0 }
    serve: [tcp/80, udp/53]
    run: ["python3 -m http.server 80", "sh -c 'sleep 1; echo hi'"]
  b: {}
links:
  - endpoints: [a:eth0, b:eth0]
    mtu: 1400
"#;
    let host = |name: &str| name == "ens41";
    let t = parse_str("k.yaml", text, &host).unwrap_or_else(|p| panic!("{}", p.render_plain()));
    let a = &t.nodes[&n("a")];
    assert_eq!(a.netns_name(&t.lab, &n("a")), "custom-a");
    assert!(!a.lo_up);
    assert_eq!(a.forwarding, Some(false));
    assert!(!a.wants_forwarding());
    assert_eq!(
        a.sysctls
            .get("net.ipv4.conf.all.rp_filter")
            .map(String::as_str),
        Some("0")
    );
    assert_eq!(
        a.sysctls
            .get("net.ipv6.conf.all.disable_ipv6")
            .map(String::as_str),
        Some("1")
    );
    let eth0 = &a.interfaces[&i("eth0")];
    assert_eq!(
        eth0.mtu.map(Mtu::get),
        Some(9000),
        "the end's own mtu wins over the link's"
    );
    assert_eq!(
        t.nodes[&n("b")].interfaces[&i("eth0")].mtu.map(Mtu::get),
        Some(1400)
    );
    assert_eq!(eth0.mac.unwrap().to_string(), "02:00:00:00:00:01");
    let imp = eth0.impair.unwrap();
    assert_eq!(imp.delay_us, Some(20_000));
    assert_eq!(imp.loss_ppm, Some(10_000));
    assert_eq!(imp.rate_bps, Some(10_000_000));
    assert_eq!(
        a.interfaces[&i("br0")].kind,
        IfKind::Device(DeviceKind::Bridge(Bridge {
            stp: true,
            ageing_secs: 30,
            vlan_filtering: true
        }))
    );
    assert!(!a.interfaces[&i("br0")].up);
    assert!(
        matches!(a.interfaces[&i("eth0.100")].kind, IfKind::Device(DeviceKind::Vlan(Vlan { id, .. })) if id == 100)
    );
    assert!(matches!(
        a.interfaces[&i("i1")].kind,
        IfKind::Device(DeviceKind::Ipvlan(Ipvlan {
            mode: IpvlanMode::L3,
            flag: IpvlanFlag::Private,
            ..
        }))
    ));
    match &a.interfaces[&i("vx0")].kind {
        IfKind::Device(DeviceKind::Vxlan(nslab_model::Vxlan {
            vni,
            remote,
            group,
            local,
            dev,
            port,
            learning,
        })) => {
            assert_eq!(*vni, 42);
            assert_eq!(*remote, Some(ip("10.0.0.2")));
            assert_eq!(*group, None);
            assert_eq!(*local, Some(ip("10.0.0.1")));
            assert_eq!(dev.as_ref().unwrap().ifname, "eth0");
            assert_eq!(*port, 4790);
            assert!(!learning);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        a.interfaces[&i("tap0")].kind,
        IfKind::Device(DeviceKind::Tap(Tap { owner: Some(1000) }))
    );
    assert_eq!(
        a.interfaces[&i("ens9")].kind,
        IfKind::Physical { from: i("ens41") }
    );
    assert_eq!(a.routes[0].metric, Some(10));
    assert_eq!(a.routes[1].table, Some(100));
    assert_eq!(a.routes[2].family(), Family::V6);
    assert_eq!(a.routes[2].destination().to_string(), "::/0");
    assert_eq!(a.nat.masquerade[0].not_out, Some(i("br0")));
    assert_eq!(a.nat.forward[0].proto, Proto::Udp);
    assert_eq!(a.nat.forward[0].to.to_string(), "172.17.10.20:53");
    assert_eq!(a.run[1], ["sh", "-c", "sleep 1; echo hi"]);
    assert_eq!(t.links[0].mtu.map(Mtu::get), Some(1400));
}
