//! An interface as written: the common keys and every kind's own keys
//! (which kind has which is `lower/kinds.rs`'s `KINDS`).

use super::{Leaf, RawImpair};
use crate::key_table::raw_map;
use serde_saphyr::Spanned;

raw_map! {
    /// One interface: the common keys and every kind's own keys (the lowering
    /// step rejects keys that do not belong to the interface's kind).
    #[allow(missing_docs)]
    pub struct RawInterface in "Interfaces" {
        kind: Option<Leaf>,
        addresses: Option<Vec<Leaf>>,
        up: Option<Leaf>,
        mtu: Option<Leaf>,
        mac: Option<Leaf>,
        master: Option<Leaf>,
        hairpin: Option<Leaf>,
        impair: Option<Spanned<RawImpair>>,
        // bridge
        stp: Option<Leaf>,
        ageing: Option<Leaf>,
        vlan_filtering: Option<Leaf>,
        // vlan, macvlan, ipvlan
        parent: Option<Leaf>,
        id: Option<Leaf>,
        mode: Option<Leaf>,
        flag: Option<Leaf>,
        // vxlan
        vni: Option<Leaf>,
        remote: Option<Leaf>,
        group: Option<Leaf>,
        local: Option<Leaf>,
        dev: Option<Leaf>,
        port: Option<Leaf>,
        learning: Option<Leaf>,
        // physical
        from: Option<Leaf>,
        // tap
        owner: Option<Leaf>,
        // vrf
        table: Option<Leaf>,
    }
}
