//! The `ip route` words of a route: `[to] DEST [via ADDR] [dev IF]
//! [metric N] [src ADDR] [table N]`.

use super::{destination, invalid, words};
use crate::loc::Loc;
use crate::problem::{ProblemKind, ValueError};
use crate::topology::Route;
use std::net::IpAddr;

const HINT: &str = "write a route like `10.2.0.0/16 via 10.0.0.254 dev eth0 metric 10`";

/// A route read from `ip route` words, with where each word was.
#[derive(Debug, PartialEq)]
pub(crate) struct RouteWords {
    /// The route (its `loc` unknown: the caller's to set).
    pub route: Route,
    /// (`to`, `via`, `dev`, `src`…) → character offset of its value.
    pub offsets: Vec<(&'static str, usize)>,
}

/// `[to] DEST [via ADDR] [dev IF] [metric N] [src ADDR] [table N]`.
pub(crate) fn route(s: &str) -> Result<RouteWords, (usize, ValueError)> {
    let hint = HINT;
    let w = words(s);
    let mut i = 0;
    if w.first().is_some_and(|(_, x)| *x == "to") {
        i = 1;
    }
    let Some(&(off, dest)) = w.get(i) else {
        return Err((0, invalid(format!("route `{s}` has no destination"), hint)));
    };
    let mut r = RouteWords {
        route: Route {
            to: destination(dest).map_err(|e| (off, e))?,
            ..Route::at(Loc::UNKNOWN)
        },
        offsets: Vec::new(),
    };
    r.offsets.push(("to", off));
    i += 1;
    while let Some(&(koff, key)) = w.get(i) {
        let Some(&(voff, val)) = w.get(i + 1) else {
            return Err((koff, invalid(format!("`{key}` needs a value"), hint)));
        };
        let name = route_word(&mut r.route, (koff, key), (voff, val))?;
        r.offsets.push((name, voff));
        i += 2;
    }
    Ok(r)
}

/// One `KEY VALUE` pair after the destination, set in `route`; the key's
/// name for the offsets (`priority` and `preference` are `metric`).
fn route_word(
    route: &mut Route,
    (koff, key): (usize, &str),
    (voff, val): (usize, &str),
) -> Result<&'static str, (usize, ValueError)> {
    let hint = HINT;
    let ip = |v: &str| {
        v.parse::<IpAddr>()
            .map_err(|_| (voff, invalid(format!("`{v}` is not an IP address"), hint)))
    };
    let num = |v: &str| {
        let digits = if v.bytes().all(|b| b.is_ascii_digit()) {
            v
        } else {
            "-"
        };
        digits.parse::<u32>().map_err(|_| {
            let e = ValueError::new(
                ProblemKind::OutOfRange,
                format!("`{key}` {v} is out of range 0..=4294967295"),
                "metric and table are written in digits, 0 to 4294967295 (a u32)",
            );
            (voff, e)
        })
    };
    let dup = |set: bool| {
        if set {
            Err((koff, invalid(format!("`{key}` is given twice"), hint)))
        } else {
            Ok(())
        }
    };
    let name: &'static str = match key {
        "via" => {
            dup(route.via.is_some())?;
            route.via = Some(ip(val)?);
            "via"
        }
        "dev" => {
            dup(route.dev.is_some())?;
            route.dev = Some(val.parse().map_err(|e| (voff, e))?);
            "dev"
        }
        "metric" | "priority" | "preference" => {
            dup(route.metric.is_some())?;
            route.metric = Some(num(val)?);
            "metric"
        }
        "src" => {
            dup(route.src.is_some())?;
            route.src = Some(ip(val)?);
            "src"
        }
        "table" => {
            dup(route.table.is_some())?;
            route.table = Some(num(val)?);
            "table"
        }
        _ => {
            return Err((
                koff,
                invalid(
                    format!("`{key}` is not a route word"),
                    "use: to, via, dev, metric, src, table",
                ),
            ))
        }
    };
    Ok(name)
}
