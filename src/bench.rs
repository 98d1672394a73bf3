//! `vitrine bench`: placeholder until the load generator lands.

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {}

pub async fn run(_args: BenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    Err("the benchmark is not built yet".into())
}
