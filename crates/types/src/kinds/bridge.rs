//! A Linux bridge's parameters.

use serde::{Deserialize, Serialize};

/// A Linux bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Bridge {
    /// Spanning tree on (default off).
    pub stp: bool,
    /// FDB ageing time in seconds (default 300); on the wire
    /// `IFLA_BR_AGEING_TIME` in hundredths of a second.
    pub ageing_secs: u32,
    /// VLAN filtering on (default off).
    pub vlan_filtering: bool,
}

impl Bridge {
    /// The arguments `ip link add ... type bridge` takes (the ageing time
    /// in hundredths of a second, as `ip` wants it).
    pub fn ip_link_args(&self) -> String {
        format!(
            "type bridge stp_state {} ageing_time {} vlan_filtering {}",
            u8::from(self.stp),
            u64::from(self.ageing_secs) * 100,
            u8::from(self.vlan_filtering)
        )
    }

    /// The options of `self` that differ from `was`'s, as a change to a
    /// bridge that is `was` now (`None`: nothing differs).
    pub fn change_from(&self, was: &Bridge) -> Option<BridgeChange> {
        let differs = |a, b| (a != b).then_some(a);
        let c = BridgeChange {
            stp: differs(self.stp, was.stp),
            ageing_secs: (self.ageing_secs != was.ageing_secs).then_some(self.ageing_secs),
            vlan_filtering: differs(self.vlan_filtering, was.vlan_filtering),
        };
        (c != BridgeChange::default()).then_some(c)
    }

    /// This bridge with the options `c` sets changed.
    pub fn changed(self, c: &BridgeChange) -> Bridge {
        Bridge {
            stp: c.stp.unwrap_or(self.stp),
            ageing_secs: c.ageing_secs.unwrap_or(self.ageing_secs),
            vlan_filtering: c.vlan_filtering.unwrap_or(self.vlan_filtering),
        }
    }
}

impl Default for Bridge {
    /// What `ip link add type bridge` makes.
    fn default() -> Bridge {
        Bridge {
            stp: false,
            ageing_secs: 300,
            vlan_filtering: false,
        }
    }
}

/// Options of an existing bridge to change in place; `None` leaves one
/// alone (`ip link set br0 type bridge ...`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BridgeChange {
    pub stp: Option<bool>,
    pub ageing_secs: Option<u32>,
    pub vlan_filtering: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_link_words_and_changes() {
        assert_eq!(
            Bridge::default().ip_link_args(),
            "type bridge stp_state 0 ageing_time 30000 vlan_filtering 0"
        );
        let stp = Bridge {
            stp: true,
            ..Bridge::default()
        };
        let want = BridgeChange {
            stp: Some(true),
            ..BridgeChange::default()
        };
        assert_eq!(stp.change_from(&Bridge::default()), Some(want));
        assert_eq!(stp.change_from(&stp), None);
        assert_eq!(Bridge::default().changed(&want), stp);
    }
}
