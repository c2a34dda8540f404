//! The `shipcheck` binary: arguments, shipcheck.toml, wiring and rendering. No domain logic.

mod args;
mod check;
mod config;
mod diagnose;
mod distribute;
mod explain;
mod image;
mod output;
mod package;
mod progress;
mod registry;
mod repo;
mod runtime;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use shipcheck_report::{Report, Settings};

pub(crate) use args::OutputArgs;
use args::{Cli, Command};
use config::Config;
use output::finish;

fn main() -> ExitCode {
    // Temp files of convert, copy and push are removed on SIGINT/SIGTERM, not left behind.
    shipcheck_core::scratch::install_signal_cleanup().ok();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("shipcheck: error: {}", safe_error(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

/// An error as it may be shown: errors can quote what an input or a server said, so each line
/// is cut to a short excerpt, control characters are escaped (no terminal tricks, no line-start
/// `::error` for GitHub to parse) and secrets are redacted, like every report.
fn safe_error(text: &str) -> String {
    const LINE: usize = 300;
    // Redacted whole first: a cut cannot leave half a secret, and a PEM block spans lines.
    let redacted = shipcheck_report::redact::redact(text);
    let lines: Vec<String> = redacted
        .lines()
        .take(20)
        .map(|line| {
            let mut cut: String = line.chars().take(LINE).collect();
            if line.chars().nth(LINE).is_some() {
                cut.push('…');
            }
            cut
        })
        .collect();
    // Controls escaped; no line, indented or not, that GitHub parses as a command.
    shipcheck_report::escape::terminal(&lines.join("\n  "))
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Image(args) => image::image(args),
        Command::Check(args) => check::check(args),
        Command::Push(args) => {
            let mut report = Report::new();
            registry::push_into(&mut report, &args)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Copy(args) => {
            let mut report = Report::new();
            registry::copy_into(&mut report, &args)?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Convert(args) => image::convert(args),
        Command::Runtime(args) => runtime::runtime(args),
        Command::Package { dir, tag, existing, output } => {
            let mut report = Report::new();
            package::package_into(&mut report, &dir, tag.as_deref(), existing.as_deref(), &Settings::default())?;
            finish(report, &Config::default(), &output)
        }
        Command::Workflows { dir, output } => {
            let mut report = Report::new();
            repo::workflows_into(&mut report, &dir, &Settings::default())?;
            finish(report, &Config::default(), &output)
        }
        Command::Dockerfile(args) => {
            let mut report = Report::new();
            let repo_dir = args.repo.clone().unwrap_or_else(|| repo::repository_of(args.files.first()));
            repo::dockerfiles_with(
                &mut report,
                &repo_dir,
                &args.files,
                &args.platform,
                args.online,
                args.include_tests,
                &Settings::default(),
            )?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Diagnose(args) => {
            let mut report = Report::new();
            let logs = if args.logs.is_empty() { vec!["-".to_string()] } else { args.logs };
            diagnose::diagnose_into(&mut report, &logs, &args.rules, &Settings::default())?;
            finish(report, &Config::default(), &args.output)
        }
        Command::Explain { rule } => explain::explain(rule.as_deref()),
        Command::Completions { shell } => distribute::completions(shell),
        Command::Man { out } => distribute::man(out.as_deref()),
        Command::DiagnosePatterns => {
            let kb = shipcheck_triage::kb::Kb::load(&[]).map_err(anyhow::Error::msg)?;
            // Plain groups: grep tools join patterns into one regex, where names would clash.
            let named = regex::Regex::new(r"\(\?P<\w+>").expect("static regex");
            for s in &kb.signatures {
                println!("{}", named.replace_all(&s.def.pattern, "("));
            }
            Ok(0)
        }
        Command::EnginesDoc => {
            print!("{}", shipcheck_image::engine::matrix_markdown());
            Ok(0)
        }
        Command::RuntimesDoc => {
            print!("{}", shipcheck_runtime::data::matrix_markdown());
            Ok(0)
        }
        Command::RulesDoc => {
            print!("{}", explain::rules_markdown());
            Ok(0)
        }
    }
}
