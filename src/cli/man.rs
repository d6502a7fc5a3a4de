//! `nslab man`: the man pages, from the same definition as `--help`.

use super::{fail, Exit};
use clap_mangen::Man;
use std::io::Write;
use std::path::Path;

/// With `dir`: `nslab.1` and one page per command (`nslab-up.1`, ...), the
/// pages the main page's COMMANDS section refers to. Without: one page on
/// standard output with every command and its options in it, referring to
/// no other page.
pub(super) fn man(dir: Option<&Path>) -> Exit {
    let cmd = <super::args::Args as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        return match one_page(cmd, &mut out).and_then(|()| std::io::stdout().write_all(&out)) {
            Ok(()) => Exit::Ok,
            Err(e) => fail(e),
        };
    };
    match clap_mangen::generate_to(cmd, dir) {
        Ok(()) => {
            println!("wrote the man pages to {}", dir.display());
            Exit::Ok
        }
        Err(e) => fail(format!(
            "cannot write the man pages to {}: {e}",
            dir.display()
        )),
    }
}

/// The whole command line on one page: the top's sections, then a COMMANDS
/// section with each command's synopsis, description and options.
fn one_page(mut cmd: clap::Command, w: &mut dyn Write) -> std::io::Result<()> {
    cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let top = Man::new(cmd.clone());
    top.render_title(w)?;
    top.render_name_section(w)?;
    top.render_synopsis_section(w)?;
    top.render_description_section(w)?;
    top.render_options_section(w)?;
    writeln!(w, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let page = Man::new(sub.clone());
        let mut buf = Vec::new();
        page.render_synopsis_section(&mut buf)?;
        page.render_description_section(&mut buf)?;
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            page.render_options_section(&mut buf)?;
        }
        page.render_extra_section(&mut buf)?;
        writeln!(w, ".SS \"nslab {}\"", sub.get_name())?;
        // Each command is one subsection: its sections' headings become
        // paragraph breaks.
        let text = String::from_utf8_lossy(&buf);
        for line in text.lines() {
            let line = if line.starts_with(".SH ") {
                ".PP"
            } else {
                line
            };
            writeln!(w, "{line}")?;
        }
    }
    top.render_extra_section(w)?;
    top.render_version_section(w)
}
