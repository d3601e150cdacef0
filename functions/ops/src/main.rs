use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = ops::Cli::parse();
    match ops::run(cli).await {
        Ok(out) => {
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
