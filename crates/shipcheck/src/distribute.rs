//! What packagers ship beside the binary: shell completions and manual pages, both generated
//! from the argument definitions so that they never drift from `--help`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use shipcheck_core::scratch::Dir;

use crate::args::Cli;

/// `shipcheck completions SHELL`: the completion script on stdout.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "shipcheck", &mut out);
    print_all(&out)
}

/// `shipcheck man`: the top page on stdout; with `--out DIR`, `shipcheck.1` and one
/// `shipcheck-COMMAND.1` per visible subcommand, each written atomically.
pub(crate) fn man(out: Option<&Path>) -> Result<u8> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut page)?;
        return print_all(&page);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let handle = Dir::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    let mut pages = vec![cmd.clone()];
    pages.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    for page in pages {
        let man = clap_mangen::Man::new(page);
        let mut text = Vec::new();
        man.render(&mut text)?;
        let name = man.get_filename();
        handle
            .write_atomic(&name, &text, true)
            .with_context(|| format!("cannot write {}", dir.join(&name).display()))?;
    }
    Ok(0)
}

fn print_all(bytes: &[u8]) -> Result<u8> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // `shipcheck completions bash | head` closing the pipe early is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        r => r.context("cannot write to stdout").map(|()| 0),
    }
}
