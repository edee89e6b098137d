//! `llmux`: the gateway binary. `llmux --config config.yaml --port 4000`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use llmux_server::AppState;
use llmux_server::config::{Config, LitellmParams, ModelEntry};
use tracing::{info, warn};

// A gateway allocates and frees small buffers for every request on every worker thread:
// mimalloc's thread-local free lists cost less CPU per request than glibc's arenas and
// return memory instead of fragmenting it (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` says
/// otherwise. mimalloc asks for huge pages and returns freed memory to the OS after
/// 10 ms; touched again, each 2 MiB page is zeroed whole by the kernel for what may be a
/// few small buffers. Under load that zeroing was the gateway's largest single symbol in
/// a profile (8–15 % of its CPU, BENCHMARKS.md §9); with 4 KiB pages only the pages
/// touched are zeroed.
fn small_pages_only() -> std::io::Result<()> {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(true)?;
    Ok(())
}

/// A drop-in replacement for the LiteLLM proxy.
#[derive(Debug, Parser)]
#[command(name = "llmux", version, about)]
struct Cli {
    /// LiteLLM-format config.yaml.
    #[arg(long, env = "CONFIG_FILE_PATH")]
    config: Option<PathBuf>,
    /// Serve a single model (as `litellm --model`), e.g. `openai/gpt-4o-mini`.
    #[arg(long)]
    model: Option<String>,
    #[arg(long, default_value = "0.0.0.0")]
    host: String,
    #[arg(long, default_value_t = 4000, env = "PORT")]
    port: u16,
    /// Accepted for LiteLLM compatibility; llmux uses every core in one process.
    #[arg(long = "num_workers")]
    num_workers: Option<usize>,
    /// Verbose logs.
    #[arg(long = "detailed_debug")]
    detailed_debug: bool,
    /// On SIGTERM or Ctrl-C, how many seconds in-flight requests and streams get to
    /// finish once the gateway has stopped accepting connections; then it exits anyway.
    #[arg(
        long = "graceful_shutdown_timeout",
        env = "LLMUX_GRACEFUL_SHUTDOWN_TIMEOUT",
        default_value_t = 30.0
    )]
    graceful_shutdown_timeout: f64,
}

fn main() -> std::process::ExitCode {
    let thp = small_pages_only();
    let cli = Cli::parse();
    let filter = if cli.detailed_debug { "debug" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LLMUX_LOG")
                .unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    llmux_server::panic::install_hook();
    if let Err(e) = thp {
        warn!("transparent huge pages left on (prctl: {e}); CPU per request may be higher");
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("llmux: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let env: llmux::secrets::Env = std::sync::Arc::new(|name: &str| std::env::var(name).ok());
    let mut config = match &cli.config {
        Some(path) => llmux_server::secrets::load_config(path, env, &runtime)?,
        None => Config::default(),
    };
    if let Some(model) = &cli.model {
        config.model_list.push(ModelEntry {
            model_name: model.clone(),
            litellm_params: LitellmParams {
                model: model.clone(),
                ..LitellmParams::default()
            },
            model_info: serde_json::Map::new(),
        });
    }
    // With a master key and no database named, keys live in an embedded SQLite file.
    if config
        .general_settings
        .master_key
        .as_ref()
        .is_some_and(|k| !k.is_empty())
        && llmux_server::keys::setup::database_url(&config, &|n| std::env::var(n).ok()).is_none()
    {
        config.general_settings.extra.insert(
            "database_url".into(),
            llmux_server::keys::setup::DEFAULT_SQLITE_URL.into(),
        );
    }
    for w in config.warnings() {
        warn!("config: {w}");
    }
    let unsupported = config.unsupported_keys();
    if !unsupported.is_empty() {
        warn!(
            "config keys llmux does not act on yet (ignored): {}",
            unsupported.join(", ")
        );
    }
    let addr: SocketAddr = format!("{}:{}", cli.host, cli.port).parse()?;
    let grace = std::time::Duration::try_from_secs_f64(cli.graceful_shutdown_timeout)
        .map_err(|e| anyhow::anyhow!("--graceful_shutdown_timeout: {e}"))?;
    runtime.block_on(async {
        // Inside the runtime: a Redis-backed router starts connecting as it is built.
        let state = AppState::from_config(&config, &|name| std::env::var(name).ok())?;
        if state.master_key.is_none() {
            warn!("no general_settings.master_key: the gateway accepts every request");
        }
        serve(addr, Arc::new(state), grace).await
    })
}

/// Serves until SIGTERM/Ctrl-C, then stops accepting and lets in-flight requests and
/// streams finish for up to `grace`.
async fn serve(
    addr: SocketAddr,
    state: Arc<AppState>,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(
        %addr,
        models = state.model_names().len(),
        routing_strategy = state.router.strategy().name(),
        state = state.router.state().backend(),
        "llmux listening"
    );
    let keys = state.keys.clone();
    let logger = state.logging.as_ref().map(|l| l.logger.clone());
    let app = llmux_server::router(state);
    // Without TCP_NODELAY each SSE chunk waits on Nagle's algorithm (~40 ms a stream).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown().await;
        info!(
            grace_s = grace.as_secs_f64(),
            "shutting down: no new connections, finishing in-flight requests"
        );
        let _ = signalled.send(());
    });
    let deadline = async move {
        if on_signal.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served?,
        () = deadline => warn!("graceful shutdown deadline passed: dropping the requests still in flight"),
    }
    // Spend rows and log events still queued would be dropped with the runtime.
    let spend = async {
        if let Some(keys) = &keys {
            keys.writer().flush().await;
        }
    };
    let logs = async {
        if let Some(logger) = &logger {
            logger.flush().await;
        }
    };
    if tokio::time::timeout(grace, futures::future::join(spend, logs))
        .await
        .is_err()
    {
        warn!(
            "graceful shutdown deadline passed: spend rows and log events not yet written are lost"
        );
    }
    info!("llmux stopped");
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
