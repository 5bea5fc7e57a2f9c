//! Stand-alone front end for the bench and for trying the engine: the same subcommands the
//! `steward` binary exposes as `steward audit ...`.
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "steward-audit",
    about = "Steward access audit (same as `steward audit`)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: steward_access_audit::cli::AuditCommand,
}

fn main() -> anyhow::Result<()> {
    steward_access_audit::cli::run(Cli::parse().cmd)
}
