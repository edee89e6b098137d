//! `llmux-mock`: run the fake LLM upstream as a standalone server (for benchmarks).

use clap::Parser;
use llmux_mock::MockState;
use tokio::net::TcpListener;

/// A fast, deterministic fake LLM upstream (OpenAI, Anthropic and Gemini APIs).
#[derive(Debug, Parser)]
#[command(name = "llmux-mock", version)]
struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 18181)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Do not record requests (recording is only observable in-process; saves memory).
    #[arg(long)]
    no_record: bool,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = TcpListener::bind((args.host.as_str(), args.port)).await?;
    let state = MockState::new();
    state.set_recording(!args.no_record);
    println!("llmux-mock listening on http://{}", listener.local_addr()?);
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        tcp.set_nodelay(true).ok();
    });
    axum::serve(listener, state.router())
        .with_graceful_shutdown(async {
            tokio::signal::ctrl_c().await.ok();
        })
        .await
}
