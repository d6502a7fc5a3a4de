//! Every limit on the input, in one place. A topology file is a few
//! kilobytes; these are far above any real lab and far below what would
//! cost a machine memory or time (an alias bomb, `/dev/zero`, nesting that
//! would overflow the stack).
//!
//! And the range of every number in the file ([`NUMERIC`]): what the
//! kernel holds in the field the value is sent in and keeps as sent. A
//! value past it would be refused half-way through `up`, or worse,
//! saturated or changed by the kernel and shown as drift by every `plan`
//! after. docs/topology.md's "Limits" table is [`doc_table`].

/// Largest topology file read, in bytes (4 MiB). Reading stops one byte
/// past it, so `/dev/zero` or a 100 MB file costs 4 MiB, not all of it.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// The same limit as people read it, for messages.
pub const MAX_FILE_TEXT: &str = "4 MiB";

/// Deepest nesting of lists and maps (a real file nests 6 levels).
pub const MAX_DEPTH: usize = 32;

/// Most YAML nodes (scalars, lists, maps) in a file.
pub const MAX_NODES: usize = 200_000;

/// Most parser events (aliases replayed count).
pub const MAX_EVENTS: usize = 400_000;

/// Most aliases (`*name`) in a file.
pub const MAX_ALIASES: usize = 10_000;

/// Most events replayed from aliases in total: what stops a "billion
/// laughs" file, where each alias repeats the one before ten times.
pub const MAX_REPLAYED_EVENTS: usize = 100_000;

/// Most bytes of scalar text, aliases expanded.
pub const MAX_SCALAR_BYTES: usize = 8 << 20;

/// The YAML reader's options with these limits.
pub(crate) fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    // YAML 1.2 booleans only: a node called `off` or `no` is a name, not
    // `false` (the YAML 1.1 "Norway problem"); `010` stays as written.
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(MAX_FILE_BYTES);
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_events = MAX_EVENTS;
    budget.max_aliases = MAX_ALIASES;
    budget.max_recorded_anchor_events = MAX_REPLAYED_EVENTS;
    budget.max_total_scalar_bytes = MAX_SCALAR_BYTES;
    budget.max_documents = 1;
    budget.max_inclusion_depth = 0;
    options.budget = Some(budget);
    let mut alias = serde_saphyr::options::AliasLimits::default();
    alias.max_total_replayed_events = MAX_REPLAYED_EVENTS;
    alias.max_replay_stack_depth = MAX_DEPTH;
    options.alias_limits = alias;
    options
}

/// The range of one numeric key: what the kernel can hold in the field
/// it is sent in, and what it keeps as sent (a value it would change, or
/// saturate, reads back different and `plan` would show drift forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The section of `docs/topology.md` whose map has the key.
    pub section: &'static str,
    /// The key, as written in the file.
    pub key: &'static str,
    /// Where the range applies (`bridge`, `tap`, `any kind`…).
    pub applies: &'static str,
    /// Smallest accepted value.
    pub min: u64,
    /// Largest accepted value.
    pub max: u64,
    /// The unit the number is written in.
    pub unit: &'static str,
    /// Why these bounds: the kernel field and limit they come from.
    pub why: &'static str,
}

impl Range {
    /// `min..=max`, as messages write it.
    pub fn text(&self) -> String {
        format!("{}..={}", self.min, self.max)
    }

    /// Whether `v` is in range.
    pub fn holds(&self, v: u64) -> bool {
        (self.min..=self.max).contains(&v)
    }
}

const fn range(
    section: &'static str,
    key: &'static str,
    applies: &'static str,
    (min, max): (u64, u64),
    unit: &'static str,
    why: &'static str,
) -> Range {
    Range {
        section,
        key,
        applies,
        min,
        max,
        unit,
        why,
    }
}

/// The MTU of most kinds: `ETH_MIN_MTU`..`ETH_MAX_MTU` (veth, bridge,
/// vxlan without `dev`, macvlan and vlan below their parent's).
pub const MTU: Range = range(
    "Interfaces",
    "mtu",
    "veth, bridge, vlan, macvlan, ipvlan, vxlan, physical, dummy",
    (68, 65535),
    "bytes",
    "ETH_MIN_MTU..ETH_MAX_MTU (dev->min_mtu/max_mtu); a child's MTU is at most its parent's",
);
/// A TAP device's MTU: tun's `MAX_MTU` less its Ethernet header.
pub const MTU_TAP: Range = range(
    "Interfaces",
    "mtu",
    "tap",
    (68, 65521),
    "bytes",
    "drivers/net/tun.c: max_mtu = MAX_MTU (65535) - ETH_HLEN",
);
/// A VRF's MTU: `IPV6_MIN_MTU`..`IP6_MAX_MTU`.
pub const MTU_VRF: Range = range(
    "Interfaces",
    "mtu",
    "vrf",
    (1280, 65535),
    "bytes",
    "drivers/net/vrf.c: min_mtu = IPV6_MIN_MTU (the kernel's max_mtu, IP6_MAX_MTU = 65575, is past what an MTU holds here)",
);
/// An interface with an IPv6 address: the kernel turns IPv6 off below
/// 1280 and its addresses go.
pub const MTU_IPV6: Range = range(
    "Interfaces",
    "mtu",
    "an interface with an IPv6 address",
    (1280, 65535),
    "bytes",
    "IPV6_MIN_MTU: below it the kernel disables IPv6 on the interface and drops its addresses",
);
/// A link's MTU, on both veth ends.
pub const LINK_MTU: Range = range(
    "Links",
    "mtu",
    "both ends (veth)",
    (68, 65535),
    "bytes",
    "veth: ETH_MIN_MTU..ETH_MAX_MTU",
);
/// A bridge's ageing time.
pub const AGEING: Range = range(
    "Interfaces",
    "ageing",
    "bridge",
    (0, 42_949_672),
    "seconds",
    "IFLA_BR_AGEING_TIME is a u32 of centiseconds (clock_t): at most 4294967295 / 100 whole seconds",
);
/// An 802.1Q VLAN id.
pub const VLAN_ID: Range = range(
    "Interfaces",
    "id",
    "vlan",
    (1, 4094),
    "",
    "IFLA_VLAN_ID below VLAN_VID_MASK (4095); 0 is the priority tag, not a VLAN",
);
/// A VXLAN network identifier.
pub const VNI: Range = range(
    "Interfaces",
    "vni",
    "vxlan",
    (0, 16_777_215),
    "",
    "IFLA_VXLAN_ID below VXLAN_N_VID (2^24)",
);
/// A VXLAN's UDP port.
pub const VXLAN_PORT: Range = range(
    "Interfaces",
    "port",
    "vxlan",
    (1, 65535),
    "",
    "IFLA_VXLAN_PORT is 16 bits; 0 makes the kernel pick its own default (8472)",
);
/// A TAP device's owner.
pub const TAP_OWNER: Range = range(
    "Interfaces",
    "owner",
    "tap",
    (0, 4_294_967_294),
    "uid",
    "TUNSETOWNER takes a uid_t; 4294967295 is (uid_t)-1, no valid uid (EINVAL)",
);
/// A VRF's table (253 to 255 refused besides: the host's own tables).
pub const VRF_TABLE: Range = range(
    "Interfaces",
    "table",
    "vrf",
    (1, 4_294_967_295),
    "",
    "IFLA_VRF_TABLE is a u32; 0 (RT_TABLE_UNSPEC) is refused by the kernel; 253-255 are the host's",
);
/// A route's metric.
pub const METRIC: Range = range(
    "Routes",
    "metric",
    "IPv4; IPv6 from 1",
    (0, 4_294_967_295),
    "",
    "RTA_PRIORITY is a u32; for IPv6 the kernel turns 0 into 1024",
);
/// A route's table.
pub const ROUTE_TABLE: Range = range(
    "Routes",
    "table",
    "any route",
    (1, 4_294_967_295),
    "",
    "RTA_TABLE is a u32; 0 (RT_TABLE_UNSPEC) is put in main, so leave `table` out for main",
);
/// A NAT forward's port.
pub const NAT_PORT: Range = range(
    "NAT",
    "port",
    "forward",
    (1, 65535),
    "",
    "a TCP/UDP port (th dport is 16 bits; 0 is no port)",
);
/// A netem delay or jitter, in microseconds.
pub const DELAY: Range = range(
    "Impairments",
    "delay",
    "netem (also `jitter`, and in scenario steps)",
    (0, 3_600_000_000),
    "microseconds (written with a unit: 0us to 3600s)",
    "TCA_NETEM_LATENCY64/JITTER64 are ns in an s64; nslab keeps whole microseconds, at most an hour",
);
/// A netem loss, in millionths.
pub const LOSS: Range = range(
    "Impairments",
    "loss",
    "netem (and scenario steps)",
    (0, 1_000_000),
    "millionths (written 0% to 100%, 4 decimals)",
    "tc_netem_qopt.loss is a u32 share of 2^32",
);
/// A netem rate, in bits per second.
pub const RATE: Range = range(
    "Impairments",
    "rate",
    "netem (and scenario steps)",
    (8, 1_000_000_000_000_000),
    "bit/s, a multiple of 8 (written 8bit to 1000tbit)",
    "tc_netem_rate.rate / TCA_NETEM_RATE64 count bytes per second",
);
/// `within:` of a check.
pub const WITHIN: Range = range(
    "Expect",
    "within",
    "a check",
    (1, 3_600_000_000_000),
    "nanoseconds (written with a unit: more than 0s, at most 3600s)",
    "nslab's own: a retry needs some time, and an hour is the longest wait",
);
/// `wait:` and `timeout:` of scenario steps.
pub const WAIT: Range = range(
    "Scenarios",
    "wait",
    "a step (also `timeout` of `exec`)",
    (0, 3_600_000_000_000),
    "nanoseconds (written with a unit: 0s to 3600s)",
    "nslab's own: an hour is the longest wait",
);
/// `exit:` of an `exec` step.
pub const EXIT: Range = range(
    "Scenarios",
    "exit",
    "exec",
    (0, 255),
    "",
    "an exit status is 8 bits (wait(2))",
);

/// Every numeric key of the file and its range, in the order
/// `docs/topology.md` lists them (a test checks that every key of the
/// shape table is here or named as not numeric, and that the reference
/// states these ranges).
pub const NUMERIC: &[Range] = &[
    MTU,
    MTU_TAP,
    MTU_VRF,
    MTU_IPV6,
    AGEING,
    VLAN_ID,
    VNI,
    VXLAN_PORT,
    TAP_OWNER,
    VRF_TABLE,
    DELAY,
    LOSS,
    RATE,
    LINK_MTU,
    METRIC,
    ROUTE_TABLE,
    NAT_PORT,
    WITHIN,
    WAIT,
    EXIT,
];

/// Keys that take another key's range: `(section, key, range)`.
pub const SAME_RANGE: &[(&str, &str, Range)] = &[
    ("Impairments", "jitter", DELAY),
    ("Scenarios", "delay", DELAY),
    ("Scenarios", "jitter", DELAY),
    ("Scenarios", "loss", LOSS),
    ("Scenarios", "rate", RATE),
    ("Scenarios", "timeout", WAIT),
];

/// The ranges of the key `key` of section `section`.
pub fn ranges_of(section: &str, key: &str) -> Vec<Range> {
    NUMERIC
        .iter()
        .copied()
        .filter(|r| r.section == section && r.key == key)
        .chain(
            SAME_RANGE
                .iter()
                .filter(|(s, k, _)| *s == section && *k == key)
                .map(|(_, _, r)| *r),
        )
        .collect()
}

/// `r` as a row of the "Limits" table of `docs/topology.md`.
pub fn doc_row(r: &Range) -> String {
    let unit = if r.unit.is_empty() { "—" } else { r.unit };
    format!(
        "| `{}` | {} | {} | {} | {} | {unit} | {} |",
        r.key, r.section, r.applies, r.min, r.max, r.why
    )
}

/// The "Limits" table of `docs/topology.md`, every range in order.
pub fn doc_table() -> String {
    let mut out = String::from(
        "| key | section | applies to | smallest | largest | unit | why |\n|---|---|---|---|---|---|---|\n",
    );
    for r in NUMERIC {
        out += &doc_row(r);
        out.push('\n');
    }
    out
}
