//! Terminal polish: colour and a progress bar, only when a person watches.
//! Colour only when the stream is a terminal, `NO_COLOR` is unset (or
//! empty, as no-color.org says) and `TERM` is not `dumb`; the progress bar
//! only on a terminal, never with `--json`, and only for runs long enough
//! to need one.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

fn colour_allowed() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

/// Colour on standard output.
pub fn colour_stdout() -> bool {
    colour_allowed() && std::io::stdout().is_terminal()
}

/// Colour on standard error.
pub fn colour_stderr() -> bool {
    colour_allowed() && std::io::stderr().is_terminal()
}

/// `text` in an SGR colour (`32` green, `31` red, `33` yellow) when `on`.
pub fn paint(on: bool, code: &str, text: &str) -> String {
    if on {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A progress bar on standard error for `up` and `down`.
pub struct Progress {
    on: bool,
    what: &'static str,
    drawn: Option<Instant>,
}

/// Runs with fewer operations than this finish before a bar would help.
const WORTH_A_BAR: usize = 50;
const WIDTH: usize = 30;

impl Progress {
    pub fn new(what: &'static str, json: bool) -> Progress {
        Progress {
            on: !json && std::io::stderr().is_terminal(),
            what,
            drawn: None,
        }
    }

    /// `done` of `total` operations are done.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.on || total < WORTH_A_BAR {
            return;
        }
        // At most 20 frames a second, and always the last one.
        if done < total
            && self
                .drawn
                .is_some_and(|t| t.elapsed() < Duration::from_millis(50))
        {
            return;
        }
        self.drawn = Some(Instant::now());
        let _ = write!(std::io::stderr(), "\r{}", bar(self.what, done, total));
    }

    /// Clear the bar's line, so what follows starts at a clean line.
    pub fn finish(&mut self) {
        if self.drawn.take().is_some() {
            let _ = write!(std::io::stderr(), "\r\x1b[K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn bar(what: &str, done: usize, total: usize) -> String {
    let filled = (done.min(total) * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH);
    format!(
        "  {what} [{}{}] {done}/{total} operations",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_work() {
        assert_eq!(
            bar("up", 0, 300),
            format!("  up [{}] 0/300 operations", "-".repeat(30))
        );
        assert_eq!(
            bar("up", 150, 300),
            format!(
                "  up [{}{}] 150/300 operations",
                "#".repeat(15),
                "-".repeat(15)
            )
        );
        assert_eq!(
            bar("down", 300, 300),
            format!("  down [{}] 300/300 operations", "#".repeat(30))
        );
    }

    #[test]
    fn paint_only_when_on() {
        assert_eq!(paint(false, "32", "ok"), "ok");
        assert_eq!(paint(true, "32", "ok"), "\x1b[32mok\x1b[0m");
    }
}
