//! The [`Host`] on the live kernel: operations applied through
//! [`super::linux`], the lab read back through `super::observe`. Here, so
//! that neither of the two names the other: the observer uses the
//! applier's handles, one way.

use super::linux::Linux;
use super::{observe, Host, OpError, Scope};
use crate::plan::Op;
use crate::state::State;

impl Host for Linux {
    fn observe(&mut self, scope: &Scope) -> Result<State, OpError> {
        observe::observe(self, scope)
    }

    fn apply(&mut self, op: &Op) -> Result<(), OpError> {
        self.apply_op(op)
    }
}
