//! The kinds made on a parent interface (`IFLA_LINK`): 802.1Q VLANs,
//! MACVLANs and IPVLANs. `R` names the parent: an interface of any node
//! in the model and the state, the kernel's ifindex on the wire.

use crate::{IpvlanFlag, IpvlanMode, MacvlanMode};
use serde::{Deserialize, Serialize};

/// An 802.1Q sub-interface of `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Vlan<R> {
    pub parent: R,
    /// The VLAN id (1 to 4094).
    pub id: u16,
}

/// A MACVLAN child of `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Macvlan<R> {
    pub parent: R,
    /// The mode (default bridge).
    pub mode: MacvlanMode,
}

/// An IPVLAN child of `parent`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ipvlan<R> {
    pub parent: R,
    /// The mode (default l2).
    pub mode: IpvlanMode,
    /// The flag (default bridge).
    pub flag: IpvlanFlag,
}

impl<R> Vlan<R> {
    pub(super) fn try_map<S, E>(self, f: impl FnOnce(R) -> Result<S, E>) -> Result<Vlan<S>, E> {
        Ok(Vlan {
            parent: f(self.parent)?,
            id: self.id,
        })
    }
}

impl<R> Macvlan<R> {
    pub(super) fn try_map<S, E>(self, f: impl FnOnce(R) -> Result<S, E>) -> Result<Macvlan<S>, E> {
        Ok(Macvlan {
            parent: f(self.parent)?,
            mode: self.mode,
        })
    }
}

impl<R> Ipvlan<R> {
    pub(super) fn try_map<S, E>(self, f: impl FnOnce(R) -> Result<S, E>) -> Result<Ipvlan<S>, E> {
        Ok(Ipvlan {
            parent: f(self.parent)?,
            mode: self.mode,
            flag: self.flag,
        })
    }
}
