//! The demo server (examples/demo_server.rs, same endpoints and load) recorded by
//! console-subscriber: `console-demo OUT.jsonl --mode patterns|incident --log-format none
//! [--paired-log PREFIX] [--unnamed-tasks]`.
//!
//! `--paired-log PREFIX` also writes the demo's own spans of the same run, as tracing-subscriber
//! logs: `PREFIX.json-full.log` (every poll, thread ids) and `PREFIX.json-close.log` (CLOSE
//! only). `--unnamed-tasks` keeps each request in its connection's task instead of a task named
//! after its route, as a server that does not name its tasks would.

#[path = "../../../examples/demo_server.rs"]
mod demo_server;

use std::fs::File;
use std::sync::Mutex;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "console.jsonl".into());
    let paired = args
        .iter()
        .position(|a| a == "--paired-log")
        .and_then(|i| args.get(i + 1))
        .cloned();
    if args.iter().any(|a| a == "--unnamed-tasks") {
        demo_server::NAME_TASKS.store(false, std::sync::atomic::Ordering::Relaxed);
    }
    // DEMO_CONSOLE_PORT: where the console's gRPC server listens (default 6669).
    let port: u16 = std::env::var("DEMO_CONSOLE_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(6669);
    let console = console_subscriber::ConsoleLayer::builder()
        .recording_path(&out)
        .server_addr(([127, 0, 0, 1], port))
        .spawn();
    let ours = || Targets::new().with_target("console_demo", tracing::Level::INFO);
    let create = |path: String| match File::create(&path) {
        Ok(f) => Mutex::new(f),
        Err(e) => {
            eprintln!("console-demo: {path}: {e}");
            std::process::exit(2);
        }
    };
    // The demo's own spans must stay enabled even when written nowhere: otherwise
    // `Span::current()` in a handler is tokio's task span, and `parent.in_scope(..)` on a
    // blocking thread would enter the task span for the whole blocking call, which the recording
    // shows as a long poll. Each file is written unbuffered, so nothing is lost at exit.
    let (full, close, sink) = match paired {
        Some(prefix) => (
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_span_events(FmtSpan::FULL)
                    .with_thread_ids(true)
                    .with_thread_names(true)
                    .with_writer(create(format!("{prefix}.json-full.log")))
                    .with_filter(ours()),
            ),
            Some(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_span_events(FmtSpan::CLOSE)
                    .with_writer(create(format!("{prefix}.json-close.log")))
                    .with_filter(ours()),
            ),
            None,
        ),
        None => (
            None,
            None,
            Some(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::sink)
                    .with_filter(ours()),
            ),
        ),
    };
    tracing_subscriber::registry()
        .with(console)
        .with(full)
        .with(close)
        .with(sink)
        .init();
    // The demo reads its own flags; `--log-format none` keeps it from installing a subscriber.
    demo_server::main();
    // The recorder thread flushes after each burst; give it a moment before exiting.
    std::thread::sleep(std::time::Duration::from_millis(500));
}
