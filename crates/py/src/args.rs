//! Python arguments read as the facade's values: durations and the
//! impairment of `Lab.impair`.

use crate::errors::bad;
use nslab::model::{self, Percent, Rate};
use nslab::Impair;
use pyo3::prelude::*;
use std::time::Duration;

/// A duration from Python: seconds as a number, or text like `5s`, `500ms`.
pub(crate) fn duration(v: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    if let Ok(s) = v.extract::<String>() {
        return model::impair::parse_duration(&s).map_err(|e| bad(format!("{what}: {e}")));
    }
    let secs: f64 = v
        .extract()
        .map_err(|_| bad(format!("{what}: give seconds or a time like 5s")))?;
    Duration::try_from_secs_f64(secs).map_err(|e| bad(format!("{what}: {e}")))
}

fn micros(v: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<u32>> {
    v.map(|v| {
        let d = duration(v, what)?;
        u32::try_from(d.as_micros()).map_err(|_| bad(format!("{what}: too long")))
    })
    .transpose()
}

/// The impairment `Lab.impair`'s keywords give: `None` with
/// `clear=True`, else what they set (at least one of them).
pub(crate) fn impairment(
    delay: Option<&Bound<'_, PyAny>>,
    jitter: Option<&Bound<'_, PyAny>>,
    loss: Option<&Bound<'_, PyAny>>,
    rate: Option<&str>,
    clear: bool,
) -> PyResult<Option<Impair>> {
    let impair = if clear {
        if delay.is_some() || jitter.is_some() || loss.is_some() || rate.is_some() {
            return Err(bad("impair: clear=True takes no impairment with it"));
        }
        None
    } else {
        let loss_ppm = loss
            .map(|v| {
                let s = match v.extract::<String>() {
                    Ok(s) => s,
                    Err(_) => v.extract::<f64>().map(|f| f.to_string())?,
                };
                let s = if s.ends_with('%') { s } else { format!("{s}%") };
                s.parse::<Percent>()
                    .map(Percent::ppm)
                    .map_err(|e| bad(format!("loss: {e}")))
            })
            .transpose()?;
        let rate_bps = rate
            .map(|s| {
                s.parse::<Rate>()
                    .map(Rate::bits_per_sec)
                    .map_err(|e| bad(format!("rate: {e}")))
            })
            .transpose()?;
        let i = Impair {
            delay_us: micros(delay, "delay")?,
            jitter_us: micros(jitter, "jitter")?,
            loss_ppm,
            rate_bps,
        };
        if i.jitter_us.is_some() && i.delay_us.is_none() {
            return Err(bad("jitter varies the delay: give delay too"));
        }
        if i == Impair::default() {
            return Err(bad(
                "say what to impair: delay, jitter, loss or rate (or clear=True)",
            ));
        }
        Some(i)
    };
    Ok(impair)
}
