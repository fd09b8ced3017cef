//! `ocpizza-bridge`: the service OC Pizza runs next to OCPizza_DB, and its operator commands.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ocpizza_bridge::cli::Cli::parse();
    ocpizza_bridge::cli::run(cli)
}
