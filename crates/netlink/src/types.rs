//! Plain Rust descriptions of links, addresses, routes and the requests
//! that change them. Nothing here knows about netlink bytes; `encode`
//! turns requests into messages and `decode` turns dump replies into
//! these types.

use std::net::IpAddr;
use std::os::fd::RawFd;

pub use crate::tc::{Impair, Qdisc, QdiscInfo};

/// `RT_TABLE_MAIN` (uapi/linux/rtnetlink.h).
pub const RT_TABLE_MAIN: u32 = 254;
/// `RT_TABLE_LOCAL`.
pub const RT_TABLE_LOCAL: u32 = 255;
/// `RTPROT_KERNEL`: route installed by the kernel (e.g. for an address).
pub const RTPROT_KERNEL: u8 = 2;
/// `RTPROT_BOOT`: `ip route add` without `proto`.
pub const RTPROT_BOOT: u8 = 3;
/// `RTPROT_STATIC`: `ip route add ... proto static`, and what
/// NetworkManager and systemd-networkd give the routes they install.
pub const RTPROT_STATIC: u8 = 4;
/// nslab's own route protocol: every route nslab adds carries it, and only
/// routes that carry it can be a lab's. `ip route` shows it as `proto 231`
/// (or as `proto nslab` with a line `231 nslab` in
/// `/etc/iproute2/rt_protos.d/nslab.conf`). 231 is in none of the kernel's
/// `RTPROT_*` (uapi/linux/rtnetlink.h: 0-4, 8-18, 42, 99, 186-192) nor in
/// iproute2's `rt_protos`, nor among the numbers FRR (186-198), BIRD (12)
/// or Calico (80) use.
pub const RTPROT_NSLAB: u8 = 231;
/// `RT_SCOPE_UNIVERSE`.
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// `RT_SCOPE_LINK`.
pub const RT_SCOPE_LINK: u8 = 253;
/// `RT_SCOPE_HOST`.
pub const RT_SCOPE_HOST: u8 = 254;
/// `RT_SCOPE_NOWHERE`: in a delete request, matches any scope.
pub const RT_SCOPE_NOWHERE: u8 = 255;
/// `RTN_UNICAST`.
pub const RTN_UNICAST: u8 = 1;
/// `RTN_LOCAL`.
pub const RTN_LOCAL: u8 = 2;
/// `RTN_BLACKHOLE`.
pub const RTN_BLACKHOLE: u8 = 6;
/// `RTN_UNREACHABLE`.
pub const RTN_UNREACHABLE: u8 = 7;

/// One change to the kernel. `Socket::execute` sends many at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `RTM_NEWLINK` with `NLM_F_CREATE | NLM_F_EXCL`.
    NewLink(NewLink),
    /// `RTM_NEWLINK` without `NLM_F_CREATE` on an existing link (what
    /// `ip link set` sends; unlike `RTM_SETLINK` it also carries
    /// `IFLA_LINKINFO`, needed for bridge-port options).
    SetLink(SetLink),
    /// `RTM_DELLINK`. Deleting one end of a veth deletes both.
    DelLink { index: u32 },
    /// `RTM_NEWADDR` with `NLM_F_CREATE | NLM_F_EXCL`; IPv6 addresses get
    /// `IFA_F_NODAD` so they are usable at once.
    AddAddress(Address),
    /// `RTM_DELADDR`.
    DelAddress(Address),
    /// `RTM_NEWROUTE` with `NLM_F_CREATE | NLM_F_EXCL`.
    AddRoute(Route),
    /// `RTM_DELROUTE`. Sent with `RT_SCOPE_NOWHERE` so any scope matches;
    /// table, destination, gateway, oif, metric, protocol and type must
    /// match the installed route (a zero protocol/type matches any).
    DelRoute(Route),
    /// `RTM_NEWQDISC` with `NLM_F_CREATE | NLM_F_REPLACE`: make a netem
    /// qdisc the root qdisc of an interface, or change the netem qdisc
    /// already there in place (`tc qdisc replace dev X root netem ...`).
    ReplaceQdisc(Qdisc),
    /// `RTM_DELQDISC` of the root qdisc: the interface goes back to its
    /// default qdisc. Without a qdisc of ours there (the default one has
    /// handle 0) it fails with ENOENT, without the link with ENODEV: both
    /// are `Error::is_not_found`.
    DelQdisc { index: u32 },
}

/// A link to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub name: String,
    pub kind: LinkKind,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// `IFLA_IFALIAS`. The kernel ignores it in a create request
    /// (`rtnl_create_link` does not read it), so `execute` sets it with a
    /// second message once the create has succeeded. That only works when
    /// the link stays in the socket's namespace: with `netns_fd` set, use
    /// `SetLink` on that namespace's socket instead (rejected with EINVAL).
    pub alias: Option<String>,
    /// `IFF_UP` in the `ifinfomsg`.
    pub up: bool,
    /// `IFLA_MASTER`, honoured at creation.
    pub master: Option<u32>,
    /// `IFLA_NET_NS_FD`: create the link directly in that namespace.
    pub netns_fd: Option<RawFd>,
}

impl NewLink {
    /// A link with just a name and a kind; everything else unset.
    pub fn new(name: impl Into<String>, kind: impl Into<LinkKind>) -> NewLink {
        NewLink {
            name: name.into(),
            kind: kind.into(),
            mtu: None,
            mac: None,
            alias: None,
            up: false,
            master: None,
            netns_fd: None,
        }
    }
}

/// The kind of a link to create, with its `IFLA_INFO_DATA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkKind {
    /// The peer is described in `VETH_INFO_PEER` (a nested `ifinfomsg`).
    Veth {
        peer_name: String,
        /// Create the peer directly in this namespace.
        peer_netns_fd: Option<RawFd>,
        peer_mtu: Option<u32>,
        peer_mac: Option<[u8; 6]>,
        /// Same rule as `NewLink::alias`: only when the peer stays in the
        /// socket's namespace.
        peer_alias: Option<String>,
        // No `peer_up`: the kernel refuses to open a veth peer before the
        // pair is linked (veth_open: ENOTCONN), so bring the peer up with a
        // `SetLink` afterwards (on its namespace's socket).
    },
    /// Any other kind, its parent (`IFLA_LINK`) or underlay named by
    /// ifindex, looked up in the socket's namespace even when `netns_fd`
    /// is set.
    Device(DeviceKind<u32>),
}

impl From<DeviceKind<u32>> for LinkKind {
    fn from(kind: DeviceKind<u32>) -> LinkKind {
        LinkKind::Device(kind)
    }
}

impl LinkKind {
    /// A veth whose peer has only a name and stays in this namespace.
    pub fn veth(peer_name: impl Into<String>) -> LinkKind {
        LinkKind::Veth {
            peer_name: peer_name.into(),
            peer_netns_fd: None,
            peer_mtu: None,
            peer_mac: None,
            peer_alias: None,
        }
    }
}

pub use nslab_types::{
    Bridge, BridgeChange, Cidr, DeviceKind, Ipvlan, IpvlanFlag, IpvlanMode, Macvlan, MacvlanMode,
    Tap, Vlan, Vxlan,
};

/// Which link a `SetLink` changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkRef {
    /// `ifi_index`.
    Index(u32),
    /// `IFLA_IFNAME` with `ifi_index = 0` (the kernel looks the name up).
    Name(String),
}

/// Changes to an existing link. `None` leaves a property as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetLink {
    pub link: LinkRef,
    pub up: Option<bool>,
    pub mtu: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// `IFLA_MASTER`; `Some(0)` detaches (nomaster).
    pub master: Option<u32>,
    /// `IFLA_IFALIAS`; `Some("")` removes the alias.
    pub alias: Option<String>,
    /// Rename; only with `LinkRef::Index` (rejected with EINVAL otherwise).
    pub name: Option<String>,
    /// `IFLA_NET_NS_FD`: move the link to that namespace.
    pub netns_fd: Option<RawFd>,
    /// Bridge port `IFLA_BRPORT_MODE` (hairpin), sent in
    /// `IFLA_INFO_SLAVE_DATA`. The kernel applies slave data before the
    /// master change, so with `master` set too it goes in a second message.
    pub hairpin: Option<bool>,
    /// Bridge options changed in place, sent as `IFLA_LINKINFO` kind
    /// bridge with `IFLA_INFO_DATA` (`ip link set br0 type bridge ...`).
    pub bridge: Option<BridgeChange>,
    /// IPv6 link-local address generation (`IFLA_INET6_ADDR_GEN_MODE`
    /// `eui64` or `none`, `ip link set dev X addrgenmode ...`). Sent in a
    /// message of its own before the others: the kernel applies
    /// `IFLA_AF_SPEC` after `up`, and the mode must be set before the link
    /// goes up for `none` to keep it quiet (no DAD, router solicitations
    /// or MLD reports). A kernel without IPv6 refuses it (EAFNOSUPPORT).
    pub ipv6_link_local: Option<bool>,
}

impl SetLink {
    /// No change yet to the link at `index`.
    pub fn index(index: u32) -> SetLink {
        SetLink::of(LinkRef::Index(index))
    }

    /// No change yet to the link called `name`.
    pub fn name(name: impl Into<String>) -> SetLink {
        SetLink::of(LinkRef::Name(name.into()))
    }

    fn of(link: LinkRef) -> SetLink {
        SetLink {
            link,
            up: None,
            mtu: None,
            mac: None,
            master: None,
            alias: None,
            name: None,
            netns_fd: None,
            hairpin: None,
            bridge: None,
            ipv6_link_local: None,
        }
    }
}

/// A link as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub index: u32,
    pub name: String,
    /// `IFLA_INFO_KIND`: "veth", "bridge", ...; `None` for lo and devices
    /// without rtnl_link_ops.
    pub kind: Option<String>,
    pub mtu: u32,
    pub mac: Option<[u8; 6]>,
    pub alias: Option<String>,
    pub master: Option<u32>,
    /// `IFF_UP`.
    pub admin_up: bool,
    /// `IFLA_OPERSTATE` as `ip` prints it: "UP", "DOWN", "LOWERLAYERDOWN"...
    pub oper_state: String,
    /// `IFLA_LINK`: veth peer or parent ifindex (in `link_netnsid`'s
    /// namespace when that is set).
    pub link: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the namespace of `link`, as this namespace
    /// numbers it (see `Socket::nsid_of`).
    pub link_netnsid: Option<i32>,
    pub details: LinkDetails,
}

/// Decoded kind-specific and bridge-port data of a link.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkDetails {
    /// The device as nslab makes it, from `IFLA_INFO_KIND`,
    /// `IFLA_INFO_DATA` and `IFLA_LINK`; `None` for kinds nslab does not
    /// make (veth pairs are told by `kind` and `link`).
    pub info: Option<DeviceKind<u32>>,
    /// Bridge port hairpin (`IFLA_BRPORT_MODE`); `None` if not a bridge port.
    pub hairpin: Option<bool>,
    /// Whether the kernel gives the link an IPv6 link-local address
    /// (`IFLA_INET6_ADDR_GEN_MODE` other than `none`); `None` when the
    /// link has no IPv6 (IPv6 is off in the kernel or on the link).
    pub ipv6_link_local: Option<bool>,
}

/// An interface address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    pub index: u32,
    /// The address with its prefix length.
    pub cidr: Cidr,
}

/// Address family of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// The family of an address.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// A route, as sent or as dumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    pub table: u32,
    /// `None` is the default route (`dst_len` 0).
    pub dst: Option<Cidr>,
    pub family: Family,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    /// `RTA_PRIORITY`.
    pub metric: Option<u32>,
    pub prefsrc: Option<IpAddr>,
    pub protocol: u8,
    pub scope: u8,
    /// `RTN_UNICAST` etc.
    pub kind: u8,
}

impl Route {
    /// A unicast route in the main table with protocol static: universe
    /// scope with a gateway, link scope without one.
    pub fn unicast(
        family: Family,
        dst: Option<Cidr>,
        gateway: Option<IpAddr>,
        oif: Option<u32>,
    ) -> Route {
        Route {
            table: RT_TABLE_MAIN,
            dst,
            family,
            gateway,
            oif,
            metric: None,
            prefsrc: None,
            protocol: RTPROT_STATIC,
            scope: if gateway.is_some() || family == Family::V6 {
                RT_SCOPE_UNIVERSE
            } else {
                RT_SCOPE_LINK
            },
            kind: RTN_UNICAST,
        }
    }
}
