//! The `shipcheck` binary: arguments, shipcheck.toml, wiring and rendering. No domain logic.

mod args;
mod baseline;
mod check;
mod config;
mod diagnose;
mod distribute;
mod explain;
mod image;
mod init;
mod output;
mod package;
mod progress;
mod registry;
mod repo;
mod rules;
mod runtime;
mod suppress;

use std::process::ExitCode;

use anyhow::Result;
use shipcheck_report::Report;

pub(crate) use args::OutputArgs;
use args::{Cli, Command};
use output::{configured, finish};

fn main() -> ExitCode {
    // Temp files of convert, copy and push are removed on SIGINT/SIGTERM, not left behind.
    shipcheck_core::scratch::install_signal_cleanup().ok();
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    if let Some(name) = matches.subcommand_name() {
        output::COMMAND.set(name.to_string()).ok();
    }
    let cli = <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
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
            let (config, _) = configured(&args.output)?;
            let mut report = Report::new();
            registry::push_into(&mut report, &args)?;
            finish(report, &config, &args.output)
        }
        Command::Copy(args) => {
            let (config, _) = configured(&args.output)?;
            let mut report = Report::new();
            registry::copy_into(&mut report, &args)?;
            finish(report, &config, &args.output)
        }
        Command::Convert(args) => image::convert(args),
        Command::Runtime(args) => runtime::runtime(args),
        Command::Package { dir, tag, existing, output } => {
            let (config, settings) = configured(&output)?;
            let mut report = Report::new();
            let dir = package::package_dir(&dir)?;
            package::package_into(&mut report, &dir, tag.as_deref(), existing.as_deref(), &settings)?;
            finish(report, &config, &output)
        }
        Command::Workflows { dir, output } => {
            let (config, settings) = configured(&output)?;
            let mut report = Report::new();
            repo::workflows_of(&mut report, &dir, &settings)?;
            finish(report, &config, &output)
        }
        Command::Dockerfile(args) => {
            let (config, settings) = configured(&args.output)?;
            let mut report = Report::new();
            let repo_dir = args.repo.clone().unwrap_or_else(|| repo::repository_of(args.files.first()));
            repo::dockerfiles_with(
                &mut report,
                &repo_dir,
                &args.files,
                &args.platform,
                args.online,
                args.include_tests,
                &settings,
            )?;
            finish(report, &config, &args.output)
        }
        Command::Diagnose(args) => {
            let (config, settings) = configured(&args.output)?;
            let mut report = Report::new();
            let logs = if args.logs.is_empty() { vec!["-".to_string()] } else { args.logs };
            // A bare `shipcheck diagnose` at a prompt would otherwise wait without a word.
            if logs.iter().any(|l| l == "-") && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("shipcheck: reading a log from standard input; end it with Ctrl-D (or give a LOG file or directory)");
            }
            diagnose::diagnose_into(&mut report, &logs, &args.rules, &settings)?;
            finish(report, &config, &args.output)
        }
        Command::Init { dir, force } => init::init(&dir, force),
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
