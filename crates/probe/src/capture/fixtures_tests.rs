//! Frames captured with tcpdump on a veth between two namespaces
//! (10.0.0.1/fd00::1 and 10.0.0.2/fd00::2, a VXLAN with VNI 42 over them
//! joining 192.168.42.1 and .2), as hex: the byte fixtures of the
//! summary and filter tests.

/// IP 10.0.0.1 > 10.0.0.2: ICMP echo request
pub(crate) const ICMP_ECHO_REQUEST: &str = concat!(
    "daf383855c277e3f6da732c7080045000024393840004001ed9e0a0000010a00",
    "000208005435123400016162636465666768",
);

pub(crate) const ICMP_ECHO_REPLY: &str = concat!(
    "7e3f6da732c7daf383855c27080045000024c9c1000040019d150a0000020a00",
    "000100005c35123400016162636465666768",
);

/// fd00::1 > ff02::1:ff00:2 who has fd00::2
pub(crate) const NDP_SOLICITATION: &str = concat!(
    "3333ff0000027e3f6da732c786dd6000000000203afffd000000000000000000",
    "000000000001ff0200000000000000000001ff000002870060ea00000000fd00",
    "000000000000000000000000000201017e3f6da732c7",
);

pub(crate) const NDP_ADVERTISEMENT: &str = concat!(
    "7e3f6da732c7daf383855c2786dd6000000000203afffd000000000000000000",
    "000000000002fd000000000000000000000000000001880063fb60000000fd00",
    "00000000000000000000000000020201daf383855c27",
);

pub(crate) const ICMP6_ECHO_REQUEST: &str = concat!(
    "daf383855c277e3f6da732c786dd600980ae00103a40fd000000000000000000",
    "000000000001fd0000000000000000000000000000028000e1e5123400016162",
    "636465666768",
);

pub(crate) const ICMP6_ECHO_REPLY: &str = concat!(
    "7e3f6da732c7daf383855c2786dd600fd48400103a40fd000000000000000000",
    "000000000002fd0000000000000000000000000000018100e0e5123400016162",
    "636465666768",
);

/// with a hop-by-hop header, from ::
pub(crate) const MLD_REPORT: &str = concat!(
    "3333000000167e3f6da732c786dd600000000038000100000000000000000000",
    "000000000000ff0200000000000000000000000000163a000502000001008f00",
    "3a010000000204000000ff0200000000000000000001ffa732c704000000ff02",
    "00000000000000000001ff000001",
);

pub(crate) const ROUTER_SOLICITATION: &str = concat!(
    "3333000000027e3f6da732c786dd6000000000103afffe800000000000007c3f",
    "6dfffea732c7ff020000000000000000000000000002850041d2000000000101",
    "7e3f6da732c7",
);

/// 10.0.0.1 > 10.0.0.2:4789, vni 42, inner ARP who-has 192.168.42.2
pub(crate) const VXLAN_ARP_REQUEST: &str = concat!(
    "daf383855c277e3f6da732c708004500004e5d1b0000401109820a0000010a00",
    "0002e78f12b5003a144e0800000000002a00ffffffffffffde748cf4956d0806",
    "0001080006040001de748cf4956dc0a82a01000000000000c0a82a02",
);

/// inner 192.168.42.1 > 192.168.42.2 echo request
pub(crate) const VXLAN_ICMP_ECHO: &str = concat!(
    "daf383855c277e3f6da732c70800450000565d1c0000401109790a0000010a00",
    "0002b32212b5004214560800000000002a00725a16f434e0de748cf4956d0800",
    "450000248b4840004001da3cc0a82a01c0a82a02080054351234000161626364",
    "65666768",
);

/// A? example.com. from 10.0.0.1 to 10.0.0.2:53
pub(crate) const DNS_QUERY: &str = concat!(
    "daf383855c277e3f6da732c70800450000395d2740004011c98a0a0000010a00",
    "0002c4b60035002514391a2b01000001000000000000076578616d706c650363",
    "6f6d0000010001",
);

/// 10.0.0.1 > 10.0.0.2:80
pub(crate) const TCP_SYN: &str = concat!(
    "daf383855c277e3f6da732c708004500003c80a040004006a6190a0000010a00",
    "000297d6005008edfeb400000000a002faf014310000020405b40402080a0e46",
    "8e62000000000103030a",
);

/// The bytes of a hex fixture.
pub(crate) fn bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex fixture"))
        .collect()
}

/// `frame` with an 802.1Q tag of VLAN `vid` inserted after its addresses
/// (this kernel has no 8021q module to capture one from).
pub(crate) fn tagged(frame: &[u8], tpid: u16, vid: u16) -> Vec<u8> {
    let mut f = frame[..12].to_vec();
    f.extend_from_slice(&tpid.to_be_bytes());
    f.extend_from_slice(&vid.to_be_bytes());
    f.extend_from_slice(&frame[12..]);
    f
}
