//! The opt-out filter on its own (the benchmark builds this; `steward optout` is the same).
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "steward-optout",
    version,
    about = "National Data Opt-out and Type 1 opt-out filter"
)]
struct Cli {
    #[command(subcommand)]
    command: steward_optout::cli::OptoutCommand,
}

fn main() -> anyhow::Result<()> {
    steward_optout::cli::run(Cli::parse().command)
}
