//! A real axum server with four endpoints that cover the four rows of stallscope's verdict table,
//! a bounded built-in load generator, and tracing-subscriber recording. It produced the files in
//! `sample-traces/` (see `scripts/record-samples.sh`).
//!
//! ```text
//! cargo run --release --example demo_server -- --mode patterns --log-format json-full --out t.log
//! ```
//!
//! Endpoints have neutral names; what they do:
//!
//! | route        | handler                                                   |
//! |--------------|-----------------------------------------------------------|
//! | `/orders`    | async, awaits ~80 ms of non-blocking I/O (`db.query`)     |
//! | `/report`    | async, ~100 ms of CPU inline on the worker (`compute`)    |
//! | `/export`    | `spawn_blocking`, ~80 ms blocking I/O call (`db.query`)   |
//! | `/thumbnail` | `spawn_blocking`, ~100 ms of CPU (`compute`)              |
//!
//! `/orders/{id}` is `/orders` under a route with an id in the path.
//!
//! The server runtime has 2 worker threads with tokio's default thread names. The load generator
//! runs on its own runtime and thread and records nothing. Everything stops by itself.
//!
//! Options for other common setups (none changes what the others record):
//!
//! - `--task-spans`: also record tokio's own task spans (`runtime.spawn`, target `tokio::task`,
//!   TRACE), except the load generator's. Needs a build with `RUSTFLAGS="--cfg tokio_unstable"`
//!   and `--features tokio/tracing` (`scripts/record-issue10.sh`); each request then stays in
//!   its connection's task, as in a server that does not spawn per request.
//! - `--serve tower-http`: serve through `tower_http::trace::TraceLayer::new_for_http()` (span
//!   `request` with `method`, `uri`, `version`; event `finished processing request` with
//!   `latency`, `status`; both DEBUG, let through as `tower_http=debug`) instead of the demo's
//!   `http.request` middleware; the load then asks for `/orders/{id}` with a random id each time.
//! - `--report-awaits-query MS`: `/report` first awaits a non-blocking `db.query` of MS ms, then
//!   does its CPU work inline.

use axum::extract::{MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use std::fs::File;
use std::hint::black_box;
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{Instrument, Span, info_span};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const IO_DELAY: Duration = Duration::from_millis(80);
const CPU_TARGET: Duration = Duration::from_millis(100);

static CPU_ITERS: OnceLock<u64> = OnceLock::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(1);
/// `--task-spans`: tokio's task spans go through the recording filter.
static TASK_SPANS: AtomicBool = AtomicBool::new(false);
/// `--serve tower-http`: tower-http's TraceLayer instead of `trace_request`, and ids in the
/// path of the load's `/orders` requests.
static TOWER_HTTP: AtomicBool = AtomicBool::new(false);
/// `--report-awaits-query MS`: 0 = off.
static REPORT_QUERY_MS: AtomicU64 = AtomicU64::new(0);
/// State of the load's random order ids (xorshift64).
static ORDER_ID_STATE: AtomicU64 = AtomicU64::new(0x9e37_79b9_7f4a_7c15);

thread_local! {
    /// Set on the load generator's thread: nothing it creates is recorded.
    static LOAD_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}
/// Under `--cfg tokio_unstable`: run each request in a task named after its route (the default),
/// or, when false, in its connection's task like a server that does not name tasks.
#[cfg(tokio_unstable)]
pub static NAME_TASKS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Deterministic CPU work: an FNV-style mixing loop.
fn cpu_work(iters: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for i in 0..iters {
        h ^= black_box(i);
        h = h.wrapping_mul(0x0100_0000_01b3).rotate_left(5);
    }
    h
}

/// Iterations of [`cpu_work`] that take about [`CPU_TARGET`] on this machine.
fn calibrate() -> u64 {
    let probe = 2_000_000;
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        black_box(cpu_work(probe));
        best = best.min(t.elapsed());
    }
    (probe as f64 * CPU_TARGET.as_secs_f64() / best.as_secs_f64().max(1e-9)) as u64
}

fn iters() -> u64 {
    *CPU_ITERS.get().unwrap_or(&50_000_000)
}

async fn orders() -> &'static str {
    let db = info_span!(
        "db.query",
        db.system = "postgresql",
        db.operation = "SELECT"
    );
    tokio::time::sleep(IO_DELAY).instrument(db).await;
    "orders\n"
}

/// `--offload-report`: `/report` runs its CPU work in `spawn_blocking` instead of inline (the
/// fix recorded by `scripts/record-diff.sh`, compared with `stallscope diff`).
static OFFLOAD_REPORT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

async fn report() -> String {
    if OFFLOAD_REPORT.load(Ordering::Relaxed) {
        return thumbnail().await.replacen("thumbnail", "report", 1);
    }
    let query = REPORT_QUERY_MS.load(Ordering::Relaxed);
    if query > 0 {
        let db = info_span!(
            "db.query",
            db.system = "postgresql",
            db.operation = "SELECT"
        );
        tokio::time::sleep(Duration::from_millis(query))
            .instrument(db)
            .await;
    }
    let compute = info_span!("compute", work = "hash", iterations = iters());
    let h = compute.in_scope(|| cpu_work(iters()));
    format!("report {h:x}\n")
}

async fn export() -> String {
    let parent = Span::current();
    let rows = tokio::task::spawn_blocking(move || {
        parent.in_scope(|| {
            let db = info_span!(
                "db.query",
                db.system = "postgresql",
                db.operation = "SELECT"
            );
            // Stands in for a blocking database driver call.
            db.in_scope(|| std::thread::sleep(IO_DELAY));
            42u32
        })
    })
    .await
    .unwrap_or(0);
    format!("export {rows}\n")
}

async fn thumbnail() -> String {
    let parent = Span::current();
    let h = tokio::task::spawn_blocking(move || {
        parent.in_scope(|| {
            let compute = info_span!("compute", work = "hash", iterations = iters());
            compute.in_scope(|| cpu_work(iters()))
        })
    })
    .await
    .unwrap_or(0);
    format!("thumbnail {h:x}\n")
}

/// Wraps every request in an `http.request` span; the handler future is instrumented with it,
/// so each poll enters and exits the span.
async fn trace_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let span = info_span!(
        "http.request",
        method = %req.method(),
        route = route.as_str(),
        request_id = NEXT_ID.fetch_add(1, Ordering::Relaxed),
        status = tracing::field::Empty,
    );
    let fut = next.run(req).instrument(span.clone());
    // Built with --cfg tokio_unstable (scripts/console-demo), each request runs in a task named
    // after its route, so tokio-console shows which endpoint a task serves.
    #[cfg(tokio_unstable)]
    let response = if !NAME_TASKS.load(Ordering::Relaxed) {
        fut.await
    } else {
        match tokio::task::Builder::new().name(&route).spawn(fut) {
            Ok(handle) => handle.await.unwrap_or_else(|_| {
                let mut r = Response::new(axum::body::Body::empty());
                *r.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                r
            }),
            Err(_) => {
                let mut r = Response::new(axum::body::Body::empty());
                *r.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
                r
            }
        }
    };
    #[cfg(not(tokio_unstable))]
    let response = fut.await;
    span.record("status", response.status().as_u16());
    response
}

/// A page whose largest element is an image from a handler that does CPU work inline.
async fn page() -> axum::response::Html<&'static str> {
    axum::response::Html(
        "<!doctype html><html><head><title>Sales</title></head><body>\
         <h1>Sales this quarter</h1><p>Numbers by region.</p>\
         <img src=\"/chart\" width=\"800\" height=\"500\" alt=\"chart\"></body></html>",
    )
}

async fn chart() -> ([(axum::http::header::HeaderName, &'static str); 1], String) {
    let compute = info_span!("compute", work = "hash", iterations = iters());
    let h = compute.in_scope(|| cpu_work(iters()));
    // A bar chart with enough detail to count for LCP (Chrome ignores low-entropy images:
    // under 0.05 bits per displayed pixel, i.e. 2.5 KB for 800x500).
    let mut svg =
        String::from("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"500\">");
    let mut x = h;
    for i in 0..160u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let height = 20 + x % 460;
        svg.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"4\" height=\"{height}\" fill=\"#{:06x}\"/>",
            i * 5,
            500 - height,
            x & 0xff_ffff
        ));
    }
    svg.push_str("</svg>");
    ([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg)
}

fn app() -> axum::Router {
    let router = axum::Router::new()
        .route("/", get(page))
        .route("/chart", get(chart))
        .route("/orders", get(orders))
        .route("/orders/{id}", get(orders))
        .route("/report", get(report))
        .route("/export", get(export))
        .route("/thumbnail", get(thumbnail));
    if TOWER_HTTP.load(Ordering::Relaxed) {
        router.layer(tower_http::trace::TraceLayer::new_for_http())
    } else {
        router.route_layer(middleware::from_fn(trace_request))
    }
}

// ------------------------------------------------------------------ load generator

/// One GET over a fresh connection; returns the latency, or None on failure.
async fn get_once(addr: SocketAddr, path: &str) -> Option<Duration> {
    let with_id;
    let path = if path == "/orders" && TOWER_HTTP.load(Ordering::Relaxed) {
        with_id = format!("/orders/{}", next_order_id());
        with_id.as_str()
    } else {
        path
    };
    let t = Instant::now();
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    buf.starts_with(b"HTTP/1.1 200").then(|| t.elapsed())
}

/// A random order id of up to 9 digits (xorshift64; the load runs on one thread).
fn next_order_id() -> u64 {
    let mut x = ORDER_ID_STATE.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    ORDER_ID_STATE.store(x, Ordering::Relaxed);
    x % 1_000_000_000
}

type Latencies = Arc<Mutex<Vec<(&'static str, Duration)>>>;

/// When a client stops: after a number of requests, or at a deadline.
#[derive(Clone, Copy)]
enum Stop {
    After(usize),
    At(Instant),
}

/// `n` concurrent clients sending GETs to `path`, `pause` apart, until `stop`.
async fn run_clients(
    addr: SocketAddr,
    path: &'static str,
    n: usize,
    stop: Stop,
    pause: Duration,
    lat: Latencies,
) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let lat = lat.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            while match stop {
                Stop::After(each) => sent < each,
                Stop::At(until) => Instant::now() < until,
            } {
                sent += 1;
                if let Some(d) = get_once(addr, path).await
                    && let Ok(mut l) = lat.lock()
                {
                    l.push((path, d));
                }
                tokio::time::sleep(pause).await;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// `n` clients each sending `each` requests.
async fn clients(
    addr: SocketAddr,
    path: &'static str,
    n: usize,
    each: usize,
    pause: Duration,
    lat: Latencies,
) {
    run_clients(addr, path, n, Stop::After(each), pause, lat).await;
}

/// `n` clients sending requests until `until`.
async fn clients_until(
    addr: SocketAddr,
    path: &'static str,
    n: usize,
    until: Instant,
    pause: Duration,
    lat: Latencies,
) {
    run_clients(addr, path, n, Stop::At(until), pause, lat).await;
}

async fn load(mode: &str, addr: SocketAddr, lat: Latencies) {
    let gap = Duration::from_millis(300);
    let p = Duration::from_millis(5);
    match mode {
        "page" | "page-burst" => {
            // Serve a browser for a while; with a burst of CPU-inline requests under way.
            let secs = std::env::var("DEMO_SECONDS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(15);
            let until = Instant::now() + Duration::from_secs(secs);
            if mode == "page-burst" {
                clients_until(addr, "/report", 3, until, Duration::ZERO, lat.clone()).await;
            } else {
                tokio::time::sleep_until(until.into()).await;
            }
        }
        "incident" => {
            // ~5 s of healthy async traffic with a 2-second burst of CPU-inline requests.
            let start = Instant::now();
            let healthy = clients_until(
                addr,
                "/orders",
                4,
                start + Duration::from_secs(5),
                Duration::from_millis(20),
                lat.clone(),
            );
            let burst = async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                clients_until(
                    addr,
                    "/report",
                    3,
                    Instant::now() + Duration::from_secs(2),
                    Duration::ZERO,
                    lat.clone(),
                )
                .await;
            };
            tokio::join!(healthy, burst);
        }
        _ => {
            // Each endpoint alone, then /orders beside each of the others.
            clients(addr, "/orders", 4, 8, p, lat.clone()).await;
            tokio::time::sleep(gap).await;
            clients(addr, "/report", 2, 8, p, lat.clone()).await;
            tokio::time::sleep(gap).await;
            clients(addr, "/export", 4, 8, p, lat.clone()).await;
            tokio::time::sleep(gap).await;
            clients(addr, "/thumbnail", 4, 8, p, lat.clone()).await;
            tokio::time::sleep(gap).await;
            tokio::join!(
                clients(addr, "/orders", 4, 10, p, lat.clone()),
                clients(addr, "/report", 2, 6, p, lat.clone())
            );
            tokio::time::sleep(gap).await;
            tokio::join!(
                clients(addr, "/orders", 4, 10, p, lat.clone()),
                clients(addr, "/export", 4, 6, p, lat.clone())
            );
            tokio::time::sleep(gap).await;
            tokio::join!(
                clients(addr, "/orders", 4, 10, p, lat.clone()),
                clients(addr, "/thumbnail", 4, 6, p, lat.clone())
            );
        }
    }
}

// ------------------------------------------------------------------ recording

/// A file shared by the fmt layer's writers; flushed explicitly at the end.
#[derive(Clone)]
struct SharedFile(Arc<Mutex<BufWriter<File>>>);

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .write(buf)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .write_all(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .flush()
    }
}

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = SharedFile;
    fn make_writer(&'a self) -> SharedFile {
        self.clone()
    }
}

/// What a recording lets through: the demo's own spans at INFO; with `--task-spans`, tokio's task
/// spans (TRACE) except those the load generator's thread creates; with `--serve tower-http`,
/// tower-http's span and events at their default level, DEBUG.
fn recording_filter<S: tracing::Subscriber>()
-> Box<dyn tracing_subscriber::layer::Filter<S> + Send + Sync> {
    use tracing_subscriber::filter::{FilterExt, Targets, dynamic_filter_fn};
    let mut targets = Targets::new().with_target("demo_server", tracing::Level::INFO);
    if TOWER_HTTP.load(Ordering::Relaxed) {
        targets = targets.with_target("tower_http", tracing::Level::DEBUG);
    }
    if TASK_SPANS.load(Ordering::Relaxed) {
        targets = targets.with_target("tokio::task", tracing::Level::TRACE);
        // Decided per span on the thread that creates it (`filter_fn` would decide once per
        // callsite, on whichever thread reached it first).
        return targets
            .and(dynamic_filter_fn(|_, _| {
                !LOAD_THREAD.with(std::cell::Cell::get)
            }))
            .boxed();
    }
    targets.boxed()
}

enum Recorder {
    Fmt(SharedFile),
    Chrome(tracing_chrome::FlushGuard),
    /// Someone else installed the subscriber (scripts/console-demo records with
    /// console-subscriber).
    None,
}

fn record(format: &str, out: &str) -> Result<Recorder, String> {
    if format == "none" {
        return Ok(Recorder::None);
    }
    if let Some(style) = format.strip_prefix("chrome-") {
        let style = match style {
            "threaded" => tracing_chrome::TraceStyle::Threaded,
            "async" => tracing_chrome::TraceStyle::Async,
            other => return Err(format!("unknown chrome style {other}")),
        };
        let (layer, guard) = tracing_chrome::ChromeLayerBuilder::new()
            .file(out)
            .include_args(true)
            .trace_style(style)
            .build();
        tracing_subscriber::registry()
            .with(layer.with_filter(recording_filter()))
            .init();
        return Ok(Recorder::Chrome(guard));
    }
    let file = File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let shared = SharedFile(Arc::new(Mutex::new(BufWriter::new(file))));
    let w = shared.clone();
    use tracing_subscriber::Layer;
    let layer: Box<dyn Layer<_> + Send + Sync> = match format {
        "json-full" => tracing_subscriber::fmt::layer()
            .json()
            .with_span_events(FmtSpan::FULL)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_writer(w)
            .boxed(),
        "json-close" => tracing_subscriber::fmt::layer()
            .json()
            .with_span_events(FmtSpan::CLOSE)
            .with_writer(w)
            .boxed(),
        // Where each span was created and closed, on which thread, but no polls.
        "json-newclose" => tracing_subscriber::fmt::layer()
            .json()
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_writer(w)
            .boxed(),
        "text-newclose" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
            .with_thread_ids(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        // The default text format with no span events: events only (tower-http's).
        "text-events" => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text-ansi" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(true)
            .with_writer(w)
            .boxed(),
        "text-full" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::FULL)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        // The text formatters and options people use (tests/data/formats/demo/), ANSI off.
        "compact-close" => tracing_subscriber::fmt::layer()
            .compact()
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "compact-full" => tracing_subscriber::fmt::layer()
            .compact()
            .with_span_events(FmtSpan::FULL)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "pretty-close" => tracing_subscriber::fmt::layer()
            .pretty()
            .with_span_events(FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "pretty-full" => tracing_subscriber::fmt::layer()
            .pretty()
            .with_span_events(FmtSpan::FULL)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text-notarget" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_target(false)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text-fileline" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_file(true)
            .with_line_number(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text-threads-close" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_thread_ids(true)
            .with_thread_names(true)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        "text-uptime" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        // Also drops time.busy/time.idle from the CLOSE lines.
        "text-notime" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .without_time()
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        // The default timer, named; ChronoLocal / time::LocalTime need crate features this
        // project does not build (no chrono or time in Cargo.lock).
        "text-systime" => tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_timer(tracing_subscriber::fmt::time::SystemTime)
            .with_ansi(false)
            .with_writer(w)
            .boxed(),
        // Custom timers in the shapes of ChronoLocal formats people use, written with std only
        // (UTC): `2024-05-25 10:39:09.010480`, time-of-day `10:39:09.010480`, and
        // tracing-subscriber 0.2's default `Mar 04 20:18:44.853` (no year).
        "text-datespace" | "text-timeofday" | "text-monthday" => {
            use tracing_subscriber::fmt::format::Writer;
            fn parts() -> (i64, u32, u32, u64, u32) {
                let d = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                let (days, secs) = ((d.as_secs() / 86_400) as i64, d.as_secs() % 86_400);
                // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
                let z = days + 719_468;
                let era = z.div_euclid(146_097);
                let doe = z - era * 146_097;
                let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
                let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
                let mp = (5 * doy + 2) / 153;
                let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
                let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
                let year = yoe + era * 400 + i64::from(month <= 2);
                (year, month, day, secs, d.subsec_micros())
            }
            fn date_space(w: &mut Writer<'_>) -> std::fmt::Result {
                let (y, mo, d, s, us) = parts();
                write!(
                    w,
                    "{y:04}-{mo:02}-{d:02} {:02}:{:02}:{:02}.{us:06}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60
                )
            }
            fn time_of_day(w: &mut Writer<'_>) -> std::fmt::Result {
                let (_, _, _, s, us) = parts();
                write!(
                    w,
                    "{:02}:{:02}:{:02}.{us:06}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60
                )
            }
            fn month_day(w: &mut Writer<'_>) -> std::fmt::Result {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let (_, mo, d, s, us) = parts();
                let month = MONTHS[(mo as usize).clamp(1, 12) - 1];
                write!(
                    w,
                    "{month} {d:02} {:02}:{:02}:{:02}.{:03}",
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    us / 1000
                )
            }
            let timer: fn(&mut Writer<'_>) -> std::fmt::Result = match format {
                "text-datespace" => date_space,
                "text-timeofday" => time_of_day,
                _ => month_day,
            };
            tracing_subscriber::fmt::layer()
                .with_span_events(FmtSpan::CLOSE)
                .with_timer(timer)
                .with_ansi(false)
                .with_writer(w)
                .boxed()
        }
        other => return Err(format!("unknown --log-format {other}")),
    };
    tracing_subscriber::registry()
        .with(layer.with_filter(recording_filter()))
        .init();
    Ok(Recorder::Fmt(shared))
}

pub fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mode = arg("--mode").unwrap_or_else(|| "patterns".into());
    let format = arg("--log-format").unwrap_or_else(|| "json-full".into());
    let out = arg("--out").unwrap_or_else(|| format!("{mode}.{format}.log"));
    if !matches!(
        mode.as_str(),
        "patterns" | "incident" | "page" | "page-burst"
    ) {
        eprintln!("demo_server: --mode must be patterns, incident, page or page-burst");
        std::process::exit(2);
    }
    let port: u16 = arg("--port").and_then(|p| p.parse().ok()).unwrap_or(0);
    if args.iter().any(|a| a == "--task-spans") {
        if !cfg!(tokio_unstable) {
            eprintln!(
                "demo_server: --task-spans needs a build with RUSTFLAGS=\"--cfg tokio_unstable\" \
                 and --features tokio/tracing"
            );
            std::process::exit(2);
        }
        TASK_SPANS.store(true, Ordering::Relaxed);
        // Each request in its connection's task, as axum serves it.
        #[cfg(tokio_unstable)]
        NAME_TASKS.store(false, Ordering::Relaxed);
    }
    match arg("--serve").as_deref() {
        None | Some("own") => {}
        Some("tower-http") => TOWER_HTTP.store(true, Ordering::Relaxed),
        Some(other) => {
            eprintln!("demo_server: --serve must be own or tower-http, not {other}");
            std::process::exit(2);
        }
    }
    if let Some(ms) = arg("--report-awaits-query") {
        match ms.parse::<u64>() {
            Ok(ms) => REPORT_QUERY_MS.store(ms, Ordering::Relaxed),
            Err(_) => {
                eprintln!("demo_server: --report-awaits-query takes whole milliseconds, not {ms}");
                std::process::exit(2);
            }
        }
    }
    let _ = CPU_ITERS.set(calibrate());
    OFFLOAD_REPORT.store(
        args.iter().any(|a| a == "--offload-report"),
        Ordering::Relaxed,
    );
    let recorder = match record(&format, &out) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("demo_server: {e}");
            std::process::exit(2);
        }
    };
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind(("127.0.0.1", port)))
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local addr");
    println!("listening on http://{addr}");
    let _ = io::stdout().flush();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = server_rt.spawn(async move {
        let _ = axum::serve(listener, app())
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });

    let lat: Latencies = Arc::new(Mutex::new(Vec::new()));
    let lat2 = lat.clone();
    let mode2 = mode.clone();
    let started = Instant::now();
    let client = std::thread::spawn(move || {
        LOAD_THREAD.with(|c| c.set(true));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        rt.block_on(load(&mode2, addr, lat2));
    });
    let _ = client.join();
    let _ = stop_tx.send(());
    let _ = server_rt.block_on(server);
    drop(server_rt);
    match recorder {
        Recorder::Fmt(mut f) => {
            let _ = f.flush();
        }
        Recorder::Chrome(guard) => drop(guard),
        Recorder::None => {}
    }

    // Client-side summary, to check a recording against what the clients saw.
    let lat = lat.lock().map(|l| l.clone()).unwrap_or_default();
    eprintln!(
        "demo_server: mode {mode}, {} requests in {:.1} s, cpu work {} iterations; wrote {out}",
        lat.len(),
        started.elapsed().as_secs_f64(),
        iters()
    );
    for path in ["/orders", "/report", "/export", "/thumbnail"] {
        let mut v: Vec<f64> = lat
            .iter()
            .filter(|(p, _)| *p == path)
            .map(|(_, d)| d.as_secs_f64() * 1e3)
            .collect();
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        let pct = |p: f64| v[((p / 100.0 * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        eprintln!(
            "  {path:<11} {:>4} req  client p50 {:>7.1} ms  p95 {:>7.1} ms",
            v.len(),
            pct(50.0),
            pct(95.0)
        );
    }
}
