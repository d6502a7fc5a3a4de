//! `nslab plan --script`: the lab as a shell script, from its file alone
//! (planned against an empty machine, so it needs no root and reads no
//! kernel): `up` makes the whole lab, `down` removes it.

use super::load;
use super::Exit;
use crate::plan;
use crate::state::State;

pub(super) fn script_cmd(lab: Option<&str>) -> Exit {
    let loaded = match lab {
        Some(lab) => super::lifecycle::plan_input(lab),
        None => load::demo(),
    };
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) => return e,
    };
    for w in crate::host::kmods::warnings(&loaded.topology, &loaded.desired) {
        eprintln!("{}: warning: {w}", loaded.source);
    }
    let desired = &loaded.desired;
    let empty = State {
        lab: desired.lab.clone(),
        ..Default::default()
    };
    let up = plan::plan(desired, &empty);
    let down = plan::plan(&empty, desired);
    print!(
        "{}",
        plan::script(&desired.lab, &loaded.source.to_string(), &up, &down)
    );
    Exit::Ok
}
