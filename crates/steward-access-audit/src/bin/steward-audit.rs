//! Stand-alone front end for the bench and for trying the engine: the same subcommands the
//! `steward` binary exposes as `steward audit ...`.
use clap::Parser;

/// mimalloc keeps freed memory for reuse: with the system allocator, the buffers the Parquet
/// reader allocates per page were handed back and faulted in again (about 9% of a 10M-event
/// run in zeroing fresh pages).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
