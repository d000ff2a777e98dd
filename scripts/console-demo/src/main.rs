//! The demo server (examples/demo_server.rs, same endpoints and load) recorded by
//! console-subscriber: `console-demo OUT.jsonl --mode patterns|incident --log-format none`.

#[path = "../../../examples/demo_server.rs"]
mod demo_server;

use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "console.jsonl".into());
    // DEMO_CONSOLE_PORT: where the console's gRPC server listens (default 6669).
    let port: u16 = std::env::var("DEMO_CONSOLE_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(6669);
    let console = console_subscriber::ConsoleLayer::builder()
        .recording_path(&out)
        .server_addr(([127, 0, 0, 1], port))
        .spawn();
    // The demo's own spans must stay enabled (written nowhere): otherwise `Span::current()` in a
    // handler is tokio's task span, and `parent.in_scope(..)` on a blocking thread would enter
    // the task span for the whole blocking call, which the recording shows as a long poll.
    let ours = tracing_subscriber::fmt::layer()
        .with_writer(std::io::sink)
        .with_filter(tracing_subscriber::filter::Targets::new().with_target("console_demo", tracing::Level::INFO));
    tracing_subscriber::registry().with(console).with(ours).init();
    // The demo reads its own flags; `--log-format none` keeps it from installing a subscriber.
    demo_server::main();
    // The recorder thread flushes after each burst; give it a moment before exiting.
    std::thread::sleep(std::time::Duration::from_millis(500));
}
