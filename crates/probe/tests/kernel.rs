//! Kernel tests: each runs in a scratch network namespace of its own
//! (`unshare_netns`), with only `lo`, and sends traffic only there.

#![deny(unsafe_code)]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

use nslab_probe::{
    http_probe, icmp_echo, in_netns, serve, set_link_up, tcp_probe, udp_probe, unshare_netns,
    Error, ProbeError, Proto,
};

const LABEL: &str = "test/h1";
const T: Duration = Duration::from_secs(2);
const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

/// A scratch namespace with `lo` up.
fn node() -> OwnedFd {
    let ns = unshare_netns().unwrap();
    set_link_up(ns.as_fd(), "lo", true).unwrap();
    ns
}

fn at(ip: IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

#[test]
fn tcp_probe_reads_label_and_source_over_v4_and_v6() {
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 7)]).unwrap();
    let reply = tcp_probe(ns.as_fd(), at(V4, 7), T).unwrap();
    assert_eq!(reply.text, "test/h1 127.0.0.1");
    assert_eq!(reply.from_label.as_deref(), Some(LABEL));
    // Dual-stack socket: an IPv4 client is shown as IPv4, not ::ffff:.
    assert_eq!(reply.seen_as, Some(V4));
    let reply = tcp_probe(ns.as_fd(), at(V6, 7), T).unwrap();
    assert_eq!(reply.from_label.as_deref(), Some(LABEL));
    assert_eq!(reply.seen_as, Some(V6));
}

#[test]
fn udp_probe_reads_label_and_source() {
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Udp, 53)]).unwrap();
    let reply = udp_probe(ns.as_fd(), at(V4, 53), T).unwrap();
    assert_eq!(reply.from_label.as_deref(), Some(LABEL));
    assert_eq!(reply.seen_as, Some(V4));
    let reply = udp_probe(ns.as_fd(), at(V6, 53), T).unwrap();
    assert_eq!(reply.seen_as, Some(V6));
}

#[test]
fn udp_answer_leaves_from_the_address_it_was_sent_to() {
    // 127.0.0.5 is local too, but routing would pick 127.0.0.1 as the
    // source; a connected client socket drops answers from elsewhere.
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Udp, 53)]).unwrap();
    let reply = udp_probe(ns.as_fd(), at("127.0.0.5".parse().unwrap(), 53), T).unwrap();
    assert_eq!(reply.from_label.as_deref(), Some(LABEL));
}

#[test]
fn http_probe_gets_200_with_the_line_as_body() {
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 80), (Proto::Tcp, 8080)]).unwrap();
    for port in [80, 8080] {
        let reply = http_probe(ns.as_fd(), at(V4, port), T).unwrap();
        assert_eq!(reply.status, Some(200));
        assert_eq!(reply.text, "test/h1 127.0.0.1");
        assert_eq!(reply.seen_as, Some(V4));
    }
    let reply = http_probe(ns.as_fd(), at(V6, 80), T).unwrap();
    assert_eq!(reply.from_label.as_deref(), Some(LABEL));
}

#[test]
fn http_probe_to_a_plain_line_server_is_a_bad_reply() {
    let ns = node();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let listener = in_netns(ns.as_fd(), || {
        std::net::TcpListener::bind((V4, 9000)).unwrap()
    })
    .unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            let (mut c, _) = listener.accept().unwrap();
            c.write_all(b"SSH-2.0-test\r\n").unwrap();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        match http_probe(ns.as_fd(), at(V4, 9000), T) {
            Err(ProbeError::BadReply(text)) => assert!(text.contains("SSH-2.0-test"), "{text}"),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn raw_clients_get_the_line_or_an_http_response() {
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 7)]).unwrap();
    let exchange = |send: &'static [u8]| {
        in_netns(ns.as_fd(), move || {
            let start = Instant::now();
            let mut c = TcpStream::connect((V4, 7)).unwrap();
            c.write_all(send).unwrap();
            let mut out = String::new();
            c.read_to_string(&mut out).unwrap();
            (out, start.elapsed())
        })
        .unwrap()
    };
    // A client that writes first is answered at once, not after the wait.
    let (out, took) = exchange(b"hello\n");
    assert_eq!(out, "test/h1 127.0.0.1\n");
    assert!(took < Duration::from_millis(150), "{took:?}");
    let (out, _) = exchange(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.contains("Content-Length: 18\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\n"), "HEAD must have no body: {out}");
    let (out, _) = exchange(b"GET /x HTTP/1.0\r\n\r\n");
    assert!(out.contains("Content-Type: text/plain\r\n"), "{out}");
    assert!(out.ends_with("\r\n\r\ntest/h1 127.0.0.1\n"), "{out}");
}

#[test]
fn closed_ports_are_refused() {
    let ns = node();
    match tcp_probe(ns.as_fd(), at(V4, 81), T) {
        Err(ProbeError::Refused) => {}
        other => panic!("{other:?}"),
    }
    // UDP: the kernel answers with ICMP port unreachable, which a
    // connected socket reports as ECONNREFUSED.
    match udp_probe(ns.as_fd(), at(V4, 54), T) {
        Err(ProbeError::Refused) => {}
        other => panic!("{other:?}"),
    }
    match udp_probe(ns.as_fd(), at(V6, 54), T) {
        Err(ProbeError::Refused) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn udp_to_a_silent_listener_times_out() {
    let ns = node();
    // Bound, so no port unreachable, but never answers.
    let _silent = in_netns(ns.as_fd(), || UdpSocket::bind((V4, 5353)).unwrap()).unwrap();
    let timeout = Duration::from_millis(300);
    let start = Instant::now();
    match udp_probe(ns.as_fd(), at(V4, 5353), timeout) {
        Err(ProbeError::Timeout { after }) => assert_eq!(after, timeout),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn probes_from_a_namespace_with_lo_down_are_unreachable() {
    let ns = unshare_netns().unwrap();
    match tcp_probe(ns.as_fd(), at(V4, 7), T) {
        Err(ProbeError::Unreachable(text)) => assert_eq!(text, "Network is unreachable"),
        other => panic!("{other:?}"),
    }
    match udp_probe(ns.as_fd(), at(V4, 53), T) {
        Err(ProbeError::Unreachable(text)) => assert_eq!(text, "Network is unreachable"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn stopped_responder_no_longer_answers() {
    let ns = node();
    let r = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 7), (Proto::Udp, 7)]).unwrap();
    assert_eq!(r.local_addrs().len(), 2);
    assert!(tcp_probe(ns.as_fd(), at(V4, 7), T).is_ok());
    r.stop();
    assert!(matches!(
        tcp_probe(ns.as_fd(), at(V4, 7), T),
        Err(ProbeError::Refused)
    ));
    assert!(matches!(
        udp_probe(ns.as_fd(), at(V4, 7), T),
        Err(ProbeError::Refused)
    ));
    // The port can be bound again right away (restart after down/up).
    let _again = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 7)]).unwrap();
}

#[test]
fn a_port_in_use_is_a_bind_error_naming_it() {
    let ns = node();
    let _first = serve(ns.as_fd(), LABEL, &[(Proto::Udp, 53)]).unwrap();
    match serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 80), (Proto::Udp, 53)]) {
        Err(Error::Bind { proto, port, .. }) => assert_eq!((proto, port), (Proto::Udp, 53)),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("bound udp/53 twice"),
    }
    // The tcp/80 of the failed attempt was released.
    let _ok = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 80)]).unwrap();
}

#[test]
fn concurrent_probes_all_get_answers() {
    let ns = node();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Tcp, 7), (Proto::Udp, 7)]).unwrap();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let ns = ns.as_fd();
                s.spawn(move || {
                    if i % 2 == 0 {
                        tcp_probe(ns, at(V4, 7), T)
                    } else {
                        udp_probe(ns, at(V6, 7), T)
                    }
                })
            })
            .collect();
        for h in handles {
            assert_eq!(
                h.join().unwrap().unwrap().from_label.as_deref(),
                Some(LABEL)
            );
        }
    });
}

#[test]
fn icmp_echo_to_loopback_v4_and_v6() {
    let ns = node();
    for dst in [V4, V6] {
        let stats = icmp_echo(ns.as_fd(), dst, 3, Duration::from_millis(20), T).unwrap();
        assert_eq!((stats.sent, stats.received), (3, 3), "{dst}: {stats:?}");
        assert_eq!(stats.rtts.len(), 3);
        assert!(stats.errors.is_empty(), "{stats:?}");
        assert!(stats.max().unwrap() < T);
        assert_eq!(stats.loss(), 0.0);
    }
}

#[test]
fn concurrent_pings_in_one_namespace_do_not_steal_replies() {
    let ns = node();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let ns = ns.as_fd();
                s.spawn(move || icmp_echo(ns, V4, 5, Duration::from_millis(10), T).unwrap())
            })
            .collect();
        for h in handles {
            let stats = h.join().unwrap();
            assert_eq!((stats.sent, stats.received, stats.rtts.len()), (5, 5, 5));
        }
    });
}

#[test]
fn icmp_echo_fails_when_lo_is_down() {
    // The tutorial's point: a namespace whose lo is down cannot ping even
    // its own loopback address.
    let ns = unshare_netns().unwrap();
    let start = Instant::now();
    // IPv4 has no route at all; IPv6 has no usable source address
    // (::1 is gone while lo is down).
    for (dst, why) in [
        (V4, "Network is unreachable"),
        (V6, "Cannot assign requested address"),
    ] {
        let stats = icmp_echo(ns.as_fd(), dst, 2, Duration::from_millis(10), T).unwrap();
        assert!(!stats.success(), "{stats:?}");
        assert_eq!((stats.sent, stats.received), (2, 0));
        assert_eq!(stats.errors.len(), 2);
        assert!(
            stats
                .errors
                .iter()
                .all(|e| e.reason == why && e.from.is_none()),
            "{dst}: {stats:?}"
        );
    }
    // Local send errors answer at once; no waiting for the timeout.
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn icmp_echo_after_lo_comes_up() {
    let ns = unshare_netns().unwrap();
    let down = icmp_echo(ns.as_fd(), V4, 1, Duration::ZERO, T).unwrap();
    assert!(!down.success());
    set_link_up(ns.as_fd(), "lo", true).unwrap();
    let up = icmp_echo(ns.as_fd(), V4, 1, Duration::ZERO, T).unwrap();
    assert!(up.success(), "{up:?}");
    set_link_up(ns.as_fd(), "lo", false).unwrap();
    let short = Duration::from_millis(300);
    let again = icmp_echo(ns.as_fd(), V4, 1, Duration::ZERO, short).unwrap();
    assert!(!again.success(), "{again:?}");
}

#[test]
fn capture_on_lo_summarises_ping_and_udp_once_each() {
    use nslab_probe::capture::{summarize, Capture, PcapWriter};
    let ns = node();
    let mut cap = Capture::open(ns.as_fd(), "lo").unwrap();
    let _r = serve(ns.as_fd(), LABEL, &[(Proto::Udp, 53)]).unwrap();
    assert!(icmp_echo(ns.as_fd(), V4, 1, Duration::ZERO, T)
        .unwrap()
        .success());
    udp_probe(ns.as_fd(), at(V4, 53), T).unwrap();
    let mut lines = Vec::new();
    let mut pcap = PcapWriter::new(Vec::new()).unwrap();
    let mut frame_bytes = 0;
    while let Some(p) = cap.next_packet(Some(Duration::from_millis(200))).unwrap() {
        lines.push(summarize(&p.data));
        frame_bytes += p.data.len();
        pcap.write_packet(p.ts, &p.data, p.data.len()).unwrap();
    }
    let count = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(
        count("IP 127.0.0.1 > 127.0.0.1: ICMP echo request"),
        1,
        "{lines:#?}"
    );
    assert_eq!(
        count("IP 127.0.0.1 > 127.0.0.1: ICMP echo reply"),
        1,
        "{lines:#?}"
    );
    assert_eq!(count(" > 127.0.0.1.53: UDP, length 12"), 1, "{lines:#?}");
    assert_eq!(count("IP 127.0.0.1.53 > 127.0.0.1."), 1, "{lines:#?}");
    let file = pcap.into_inner();
    assert_eq!(file.len(), 24 + 16 * lines.len() + frame_bytes);
}

#[test]
fn capture_on_a_missing_interface_names_it() {
    use nslab_probe::capture::Capture;
    let ns = node();
    match Capture::open(ns.as_fd(), "eth9") {
        Err(Error::NoSuchInterface { name }) => assert_eq!(name, "eth9"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("opened a capture on a missing interface"),
    }
}

#[test]
fn tcp_to_a_listener_that_drops_syns_times_out() {
    use nix::sys::socket::{
        bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType, SockaddrIn,
    };
    use std::os::fd::AsRawFd;
    let ns = node();
    // A listener whose accept queue is full drops new SYNs: a black hole
    // without any firewall rule.
    let listener = in_netns(ns.as_fd(), || {
        let fd = socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::empty(),
            None,
        )
        .unwrap();
        bind(fd.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 9100)).unwrap();
        listen(&fd, Backlog::new(0).unwrap()).unwrap();
        fd
    })
    .unwrap();
    let short = Duration::from_millis(300);
    let mut held = Vec::new();
    for _ in 0..4 {
        match in_netns(ns.as_fd(), || {
            TcpStream::connect_timeout(&at(V4, 9100), short)
        })
        .unwrap()
        {
            Ok(s) => held.push(s),
            Err(_) => break,
        }
    }
    match tcp_probe(ns.as_fd(), at(V4, 9100), short) {
        Err(ProbeError::Timeout { after }) => assert_eq!(after, short),
        other => panic!("{other:?} after {} queued connections", held.len()),
    }
    drop(listener);
}
