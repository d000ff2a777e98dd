//! Thin entry point: parse arguments, run the library, map errors to exit codes.

mod cli;

use clap::Parser;
use stallscope::ingest::Progress;
use stallscope::report::text::safe;
use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Instant;

/// Exit codes are interface; README "Exit codes" documents them.
const EXIT_INPUT: u8 = 2;
const EXIT_FAIL_ON: u8 = 3;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    if cli.verbose > 0 {
        let level = if cli.verbose > 1 { "trace" } else { "debug" };
        tracing_subscriber::fmt()
            .with_writer(io::stderr)
            .with_env_filter(tracing_subscriber::EnvFilter::new(format!(
                "stallscope={level}"
            )))
            .with_ansi(false)
            .init();
    }
    if let Some(n) = cli.threads {
        stallscope::ingest::set_threads(usize::from(n));
    }
    let args = match cli.command {
        cli::Command::Analyze(args) => args,
        cli::Command::Record(rec) => return record(rec),
        cli::Command::Diff(d) => return diff(d),
        cli::Command::Timeline(t) => return timeline(t),
    };
    // `-o FILE`: the report is written there once complete ('-' is standard output).
    let output = args.output.clone().filter(|p| p.as_os_str() != "-");
    let config = match args.into_config() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("stallscope: {msg}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let stdout = io::stdout();
    let mut to_stdout = io::BufWriter::new(stdout.lock());
    let mut buffer: Vec<u8> = Vec::new();
    let out: &mut dyn Write = if output.is_some() {
        &mut buffer
    } else {
        &mut to_stdout
    };
    let mut diag = io::stderr();
    let mut progress = ProgressLine::new(config.progress);
    stallscope::exit_after_run();
    match stallscope::run_with_progress(&config, out, &mut diag, &mut |p| progress.show(p)) {
        Ok(outcome) => {
            let _ = out.flush();
            if let Some(path) = &output
                && let Err(e) = std::fs::write(path, &buffer)
            {
                let _ = writeln!(
                    diag,
                    "stallscope: {}: cannot write the report: {e}",
                    safe(&path.display().to_string())
                );
                return ExitCode::from(EXIT_INPUT);
            }
            // Every readable input was reported; the unreadable ones are named here.
            let warning = if config.keep_going { "warning: " } else { "" };
            for e in &outcome.unreadable {
                let _ = writeln!(diag, "stallscope: {warning}{}", safe(&e.to_string()));
            }
            if let Some(e) = outcome.unreadable.first().filter(|_| !config.keep_going) {
                ExitCode::from(e.exit_code() as u8)
            } else if outcome.failed {
                ExitCode::from(EXIT_FAIL_ON)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(stallscope::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Messages quote the input (an excerpt of a bad line): never raw control bytes.
            let _ = writeln!(diag, "stallscope: {}", safe(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Progress on stderr while reading a big input, for a person at a terminal: at most every
/// half second, from half a second in, and cleared when done. A file of known size (a regular
/// file, stdin redirected from one) shows it only over 64 MB, as a percentage; an input of
/// unknown size (a pipe, stdin from a pipe) shows the bytes read and the rate.
struct ProgressLine {
    enabled: bool,
    started: Instant,
    last: Instant,
    shown: bool,
}

const PROGRESS_MIN_BYTES: u64 = 64 << 20;
const PROGRESS_EVERY_MS: u128 = 500;

impl ProgressLine {
    fn new(enabled: bool) -> Self {
        ProgressLine {
            enabled,
            started: Instant::now(),
            last: Instant::now(),
            shown: false,
        }
    }

    fn show(&mut self, progress: Progress<'_>) {
        if !self.enabled {
            return;
        }
        match progress {
            Progress::Started { .. } => {
                self.started = Instant::now();
                self.last = self.started;
                self.shown = false;
            }
            Progress::Read { name, done, total } => {
                let known = total > 0;
                if (known && total < PROGRESS_MIN_BYTES)
                    || self.last.elapsed().as_millis() < PROGRESS_EVERY_MS
                {
                    return;
                }
                self.last = Instant::now();
                self.shown = true;
                if known {
                    eprint!(
                        "\r\x1b[2Kstallscope: reading {}: {}% ({} of {} MB)",
                        safe(name),
                        done.min(total) * 100 / total,
                        done >> 20,
                        total >> 20
                    );
                } else {
                    let secs = self.started.elapsed().as_secs_f64().max(0.001);
                    eprint!(
                        "\r\x1b[2Kstallscope: reading {}: {} MB read ({:.0} MB/s)",
                        safe(name),
                        done >> 20,
                        (done >> 20) as f64 / secs
                    );
                }
            }
            Progress::Finished { .. } => {
                if self.shown {
                    eprint!("\r\x1b[2K");
                    self.shown = false;
                }
            }
        }
    }
}

fn record(rec: cli::RecordArgs) -> ExitCode {
    let name = rec.output.display().to_string();
    let mut out: Box<dyn Write> = if name == "-" {
        Box::new(io::BufWriter::new(io::stdout()))
    } else {
        match std::fs::File::create(&rec.output) {
            Ok(f) => Box::new(io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("stallscope: {name}: cannot create: {e}");
                return ExitCode::from(EXIT_INPUT);
            }
        }
    };
    let duration = std::time::Duration::from_nanos(rec.duration.max(0) as u64);
    match stallscope::capture::record(&rec.console, duration, &mut out, &name) {
        Ok(s) => {
            eprintln!(
                "stallscope: captured {} updates, {} tasks from {} into {name} ({})",
                s.updates, s.tasks, rec.console, s.reason
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("stallscope: {e}");
            ExitCode::from(EXIT_INPUT)
        }
    }
}

fn diff(args: cli::DiffArgs) -> ExitCode {
    let cfg = args.config();
    let mut diag = io::stderr();
    let sides = stallscope::diff::read_side(&args.baseline, &cfg, &mut diag).and_then(|b| {
        stallscope::diff::read_side(&args.candidate, &cfg, &mut diag).map(|c| (b, c))
    });
    let (baseline, candidate) = match sides {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(diag, "stallscope: {}", safe(&e.to_string()));
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    let d = stallscope::diff::compare(baseline, candidate, args.tolerance);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written =
        stallscope::report::diff::render(&d, cfg.format, &mut out).and_then(|_| out.flush());
    match written {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(diag, "stallscope: cannot write output: {e}");
            return ExitCode::from(EXIT_INPUT);
        }
        _ => {}
    }
    if args.fail_on.is_some() && d.regressed() > 0 {
        ExitCode::from(EXIT_FAIL_ON)
    } else {
        ExitCode::SUCCESS
    }
}

fn timeline(args: cli::TimelineArgs) -> ExitCode {
    let (cfg, opt) = match args.config() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("stallscope: {msg}");
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut diag = io::stderr();
    match stallscope::run_timeline(&cfg, &opt, &mut out, &mut diag) {
        Ok(unreadable) => {
            for e in &unreadable {
                let _ = writeln!(diag, "stallscope: {}", safe(&e.to_string()));
            }
            match unreadable.first() {
                Some(e) => ExitCode::from(e.exit_code() as u8),
                None => ExitCode::SUCCESS,
            }
        }
        Err(stallscope::Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = out.flush();
            let _ = writeln!(diag, "stallscope: {}", safe(&e.to_string()));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
