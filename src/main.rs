//! The `rbacgraph` command: parses arguments and dispatches; the logic lives
//! in the `rbacgraph` crate and the per-command modules.

mod cli;
mod cmd;
mod input;
mod output;
mod timings;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

/// Why a command failed (exit code 2).
#[derive(Debug)]
pub enum AppError {
    /// The engine rejected the input or the query.
    Rbac(rbacgraph::Error),
    /// Writing output failed.
    Io(io::Error),
    /// The command line is incomplete.
    Usage(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Rbac(e) => write!(f, "{e}"),
            AppError::Io(e) => write!(f, "{e}"),
            AppError::Usage(e) => write!(f, "{e}"),
        }
    }
}

impl From<rbacgraph::Error> for AppError {
    fn from(e: rbacgraph::Error) -> Self {
        AppError::Rbac(e)
    }
}

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Io(e)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    if cli.global.output == cli::Format::Dot
        && matches!(
            cli.command,
            Command::CanI(_)
                | Command::Audit(_)
                | Command::Check(_)
                | Command::WhoCan(_)
                | Command::Summary
                | Command::Diff(_)
                | Command::Usage(_)
        )
    {
        eprintln!("error: -o dot is only for `paths` and `export`; use table, json or yaml");
        return ExitCode::from(2);
    }
    if cli.global.output == cli::Format::Markdown && !matches!(cli.command, Command::Diff(_)) {
        eprintln!("error: -o markdown is only for `diff`; use table, json or yaml");
        return ExitCode::from(2);
    }
    if cli.global.output == cli::Format::Sarif
        && !matches!(cli.command, Command::Audit(_) | Command::Check(_))
    {
        eprintln!("error: -o sarif is only for `audit` and `check`; use table, json or yaml");
        return ExitCode::from(2);
    }
    if cli.global.output == cli::Format::Junit && !matches!(cli.command, Command::Check(_)) {
        eprintln!("error: -o junit is only for `check`; use table, json or yaml");
        return ExitCode::from(2);
    }
    let result = match &cli.command {
        Command::Audit(args) => cmd::audit::run(&cli.global, args),
        Command::CanI(args) => cmd::can_i::run(&cli.global, args),
        Command::Check(args) => cmd::check::run(&cli.global, args),
        Command::Paths(args) => cmd::paths::run(&cli.global, args),
        Command::Export(args) => cmd::export::run(&cli.global, args),
        Command::WhoCan(args) => cmd::who_can::run(&cli.global, args),
        Command::Summary => cmd::summary::run(&cli.global),
        Command::Diff(args) => cmd::diff::run(&cli.global, args),
        Command::Usage(args) => cmd::usage::run(&cli.global, args),
        Command::Generate(args) => cmd::generate::run(&cli.global, args),
        Command::Schema { document } => cmd::check::schema(&cli.global, document),
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "rbacgraph", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    };
    if cli.global.timings {
        eprintln!("{}", timings::report());
    }
    match result {
        Ok(code) => code,
        // A closed pipe (`| head`) is not an error.
        Err(AppError::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", first_line(&e.to_string()));
            ExitCode::from(2)
        }
    }
}

/// `--help` and `--version` print as clap renders them (exit 0); a usage
/// error is one line on stderr, as every other error is, and exit 2.
/// clap's message continues on indented lines (the missing arguments, the
/// invalid value's choices) before a blank line and the usage: those are
/// joined; the usage and tips are left to `--help`.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let message = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("error: {message} (see `rbacgraph --help`)");
    ExitCode::from(2)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
