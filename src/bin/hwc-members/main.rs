//! `hwc-members`: membership as code for DataArts Security permission sets and CodeArts
//! projects, over the library's reconcile engine (see `--help` and README).
//!
//! The layers: `args` (clap), `file` (the members file), `connect` (clients, the fake, names),
//! `engine` (every reconcile call), `output` (human, JSON, Markdown), `commands` (the flow).

mod args;
mod commands;
mod connect;
mod engine;
mod file;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// The exit codes (see [`args::EXIT_CODES`]).
pub mod exit {
    /// In sync, applied, exported or valid.
    pub const OK: u8 = 0;
    /// An error, a refusal or a failed change.
    pub const FAILURE: u8 = 1;
    /// Drift found, with `plan --detailed-exitcode`.
    pub const DRIFT: u8 = 2;
    /// A usage error.
    pub const USAGE: u8 = 64;
}

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and succeed; anything else is a usage error.
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    cli.global.color.apply();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hwc-members: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("hwc-members: {message}");
            ExitCode::from(exit::FAILURE)
        }
    }
}
