//! `steward redact` as a stand-alone example binary (used by bench/redaction-documents).
//! The real binary exposes the same arguments through `steward_documents::cli`.
use clap::Parser;

#[derive(Parser)]
#[command(name = "redact", about = "Write a true-redacted disclosure bundle")]
struct Cli {
    #[command(flatten)]
    args: steward_documents::cli::RedactArgs,
}

fn main() -> anyhow::Result<()> {
    steward_documents::cli::run(Cli::parse().args)
}
