//! tracing-subscriber's text formats, with or without ANSI colours:
//!
//! ```text
//! Full:     <timer> <LEVEL> [<thread name> ][<ThreadId(NN)> ]<span>{<fields>}:<span>: <target>: [<file>:<line>: ]<message> <k>=<v> ...
//! Compact:  <timer> <LEVEL> [<thread name> ][<ThreadId(NN)> ]<span>:<span>: <target>: [<file>:<line>: ]<message> <k>=<v> ... <span fields, root first>
//! Pretty:     <timer> <LEVEL> <target>[:<line>]: <message>, <k>: <v>, ...
//!               at <file>:<line>[ on <thread name> ThreadId(N)]
//!               in <target>::<span> with <k>: <v>, ...      (the event's span first, then up to the root)
//! ```
//!
//! Every part can be switched off (timer, target, thread, file and line); the pretty field
//! style (`close, time.busy: 8.88µs`) also appears on one line. The timer is any of those
//! `units::parse_timestamp` reads; one it cannot read is counted, not fatal. A prefix a log
//! collector puts on every line (docker, kubectl, journald) is stripped first.
//!
//! The span scope (root first) is printed for every event, including the span itself on its
//! own NEW/ENTER/EXIT/CLOSE lines, so the ancestry of every span is exact here. Compact prints
//! the scope's fields all together after the message; `TextLines` gives each span its own.

use super::units::{MONTHS, parse_busy_idle, parse_timestamp, strip_ansi};
use super::{
    Context, Flow, InputStats, Kind, LineCx, LineFormat, RESPONSE_MESSAGE, ResponseEvent, SpanDesc,
    SpanEvent, parse_latency, read_lines,
};
use crate::error::Result;
use crate::ingest::lines::ParseLine;
use crate::model::TraceBuilder;
use rustc_hash::FxHashMap as HashMap;
use std::borrow::Cow;
use std::io::BufRead;

const LEVELS: [&str; 5] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"];

/// How many words may come before the level: the timer's (`Mar 04 20:18:44.853` has three).
const MAX_TIMER_WORDS: usize = 4;

/// True when `line` starts like a tracing text log line (a timer or none, then a level), after
/// any per-line prefix a log collector adds (see `strip_line_prefix`). A timer this reader
/// cannot read still makes a log line when it has digits and `<spans or target>: ` follows
/// the level (its lines are then read with the time of the line before, and counted).
pub fn looks_like_line(line: &str) -> bool {
    let line = strip_ansi(line);
    split_head(strip_line_prefix(&line)).is_some_and(|h| match h.timer {
        None => true,
        Some(t) if parse_timestamp(t).is_some() => true,
        Some(t) => t.contains(|c: char| c.is_ascii_digit()) && h.rest.contains(": "),
    })
}

/// Removes a prefix that a log collector puts before every line:
///
/// - `docker service logs` / `docker compose logs`: `name.1.abc123@node    | `;
/// - `kubectl logs --prefix`: `[pod/name/container] `;
/// - journald (`journalctl`'s default output): `Mar 04 20:18:44 host app[123]: `.
pub fn strip_line_prefix(line: &str) -> &str {
    // kubectl: `[pod/<pod>/<container>] `
    if let Some(inner_end) = line.strip_prefix('[').and_then(|r| r.find("] "))
        && let inner = &line[1..=inner_end]
        && inner.starts_with("pod/")
        && !inner.contains(char::is_whitespace)
    {
        return &line[inner_end + 3..];
    }
    // docker: one word, padding, `| `
    if let Some(bar) = line.get(..line.len().min(120)).and_then(|h| h.find("| ")) {
        let name = line[..bar].trim_end();
        if !name.is_empty() && !name.contains(char::is_whitespace) && bar > name.len() {
            return &line[bar + 2..];
        }
    }
    // journald: `Mon DD HH:MM:SS host ident[pid]: `
    let mut words = line.split(' ').filter(|w| !w.is_empty());
    if words.next().is_some_and(|m| MONTHS.contains(&m))
        && words
            .next()
            .is_some_and(|d| d.len() <= 2 && d.bytes().all(|b| b.is_ascii_digit()))
        && words
            .next()
            .is_some_and(|t| t.len() == 8 && parse_timestamp(t).is_some())
        && words.next().is_some()
        && words.next().is_some_and(|ident| ident.ends_with(':'))
        && let Some(colon) = line.find(": ")
    {
        return &line[colon + 2..];
    }
    line
}

/// A line's timer and what follows its level.
struct Head<'a> {
    timer: Option<&'a str>,
    rest: &'a str,
}

/// Finds the level among the first words of `line`; the words before it are the timer.
fn split_head(line: &str) -> Option<Head<'_>> {
    let t = line.trim_start();
    let mut pos = 0;
    for _ in 0..=MAX_TIMER_WORDS {
        pos += t[pos..].len() - t[pos..].trim_start().len();
        let end = t[pos..]
            .find(char::is_whitespace)
            .map_or(t.len(), |e| pos + e);
        let word = &t[pos..end];
        if word.is_empty() {
            return None;
        }
        if LEVELS.contains(&word) {
            let timer = t[..pos].trim();
            return Some(Head {
                timer: (!timer.is_empty()).then_some(timer),
                rest: t[end..].trim_start(),
            });
        }
        pos = end;
    }
    None
}

/// A parsed line, borrowing from the (ANSI-stripped) text.
#[derive(Debug, Default, PartialEq)]
struct TextLine<'a> {
    timestamp: Option<&'a str>,
    thread_name: Option<&'a str>,
    thread_id: Option<&'a str>,
    scope: Vec<SpanDesc<'a>>,
    target: Option<&'a str>,
    message: &'a str,
    /// The span event the line is (NEW, ENTER, EXIT, CLOSE), if any.
    kind: Option<Kind>,
    /// A tower-http `finished processing request` event: the fields after the message.
    response: Option<&'a str>,
    fields: Vec<(&'a str, Cow<'a, str>)>,
    /// What the line says about thread names being printed (see `thread_evidence`).
    thread_evidence: Option<bool>,
    /// The line may be the first line of a `pretty()` record (`<target>: <message>` with no
    /// span chain before it): its spans are then on the `in` lines that follow, and this is
    /// the target the header names.
    pretty_header: Option<Option<&'a str>>,
}

/// What `split_outside` does at a byte outside braces and quotes.
enum At {
    /// Nothing: go on.
    Next,
    /// A separator of this many bytes: split around it.
    Split(usize),
    /// This many bytes belong to the current part (`::` in a span name).
    Keep(usize),
}

/// Splits `s` where `at(bytes, i)` finds a separator, outside braces and double quotes.
fn split_outside(s: &str, at: impl Fn(&[u8], usize) -> At) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let c = bytes[i];
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'{' {
            depth += 1;
        } else if c == b'}' {
            depth -= 1;
        } else if depth == 0 {
            match at(bytes, i) {
                At::Next => {}
                At::Split(n) => {
                    out.push((start, i));
                    i += n;
                    start = i;
                    continue;
                }
                At::Keep(n) => {
                    i += n;
                    continue;
                }
            }
        }
        i += 1;
    }
    out.push((start, bytes.len()));
    out
}

/// Splits `s` at `sep` occurring outside braces and double quotes.
fn split_top(s: &str, sep: &str) -> Vec<(usize, usize)> {
    let sepb = sep.as_bytes();
    split_outside(s, |bytes, i| {
        if Some(&bytes[i]) == sepb.first() && bytes[i..].starts_with(sepb) {
            At::Split(sepb.len())
        } else {
            At::Next
        }
    })
}

/// Splits a span chain `a{x=1}:b:Server::start:c` at the single colons outside braces and
/// quotes (`::` belongs to a name).
fn split_chain(s: &str) -> Vec<&str> {
    split_outside(s, |bytes, i| match (bytes[i], bytes.get(i + 1)) {
        (b':', Some(b':')) => At::Keep(2),
        (b':', _) => At::Split(1),
        _ => At::Next,
    })
    .into_iter()
    .map(|(a, b)| &s[a..b])
    .filter(|p| !p.trim().is_empty())
    .collect()
}

/// A field name as tracing prints it (`method`, `http.method`, `time.busy`, `r#type`).
fn is_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '#' | '-'))
}

/// Parses `k=v k2="quoted value" k3=v3` (values may be Debug-quoted strings). A word without
/// `k=` continues the value before it: `%`-recorded values are printed unquoted, spaces and all
/// (`sql=SELECT * FROM t`).
fn parse_kv(s: &str) -> Vec<(&str, &str)> {
    let s = s.trim();
    let mut out: Vec<(&str, usize, usize)> = Vec::new();
    for (a, b) in split_top(s, " ") {
        let word = &s[a..b];
        match word.split_once('=') {
            Some((k, _)) if is_key(k) => out.push((k, a + k.len() + 1, b)),
            _ => {
                if let Some(last) = out.last_mut()
                    && !word.is_empty()
                {
                    last.2 = b;
                }
            }
        }
    }
    out.into_iter().map(|(k, a, b)| (k, &s[a..b])).collect()
}

/// Parses the pretty field style `k: v, k2: "quoted", k3: v3` (the `Pretty` field formatter).
fn parse_pretty_fields(s: &str) -> Vec<(&str, &str)> {
    let s = s.trim();
    let mut items = Vec::new();
    let mut start = 0;
    for (a, b) in split_top(s, ", ") {
        // A `, ` not followed by `key: ` is inside a value.
        let next_is_field = s[b..]
            .strip_prefix(", ")
            .and_then(|r| r.split_once(": "))
            .is_some_and(|(k, _)| is_key(k));
        let _ = a;
        if b == s.len() || next_is_field {
            items.push(&s[start..b]);
            start = (b + 2).min(s.len());
        }
    }
    items
        .into_iter()
        .filter_map(|item| item.split_once(": "))
        .filter(|(k, _)| is_key(k))
        .collect()
}

/// Fields in whichever style they are printed: `k=v ...` or `k: v, ...`.
fn parse_fields(s: &str) -> Vec<(&str, &str)> {
    let first = s.trim_start().split(' ').next().unwrap_or("");
    if !first.contains('=') && first.ends_with(':') {
        parse_pretty_fields(s)
    } else {
        parse_kv(s)
    }
}

/// Unquotes a Debug-printed string value (`"/a"` -> `/a`); other values are returned as is.
fn unquote(v: &str) -> Cow<'_, str> {
    match v.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if inner.contains('\\') => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(o) => out.push(o),
                        None => {}
                    }
                } else {
                    out.push(c);
                }
            }
            Cow::Owned(out)
        }
        Some(inner) => Cow::Borrowed(inner),
        None => Cow::Borrowed(v),
    }
}

fn desc_fields<'a>(fields: Vec<(&'a str, &'a str)>) -> Vec<(Cow<'a, str>, Cow<'a, str>)> {
    fields
        .into_iter()
        .map(|(k, v)| (Cow::Borrowed(k), unquote(v)))
        .collect()
}

fn parse_segment(seg: &str) -> SpanDesc<'_> {
    let seg = seg.trim();
    match seg.find('{') {
        Some(open) if seg.ends_with('}') => SpanDesc {
            name: Cow::Borrowed(&seg[..open]),
            fields: desc_fields(parse_fields(&seg[open + 1..seg.len() - 1])),
        },
        _ => SpanDesc {
            name: Cow::Borrowed(seg),
            fields: Vec::new(),
        },
    }
}

/// A source location part: `src/main.rs`, `src/main.rs:42`.
fn is_file_part(part: &str) -> bool {
    let file = match part.rsplit_once(':') {
        Some((f, l)) if !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()) => f,
        _ => part,
    };
    !file.contains(char::is_whitespace)
        && (file.ends_with(".rs") || file.contains('/') || file.contains('\\'))
}

/// `target:42` (a line number without a file): the target.
fn target_with_line(part: &str) -> Option<&str> {
    let (t, l) = part.rsplit_once(':')?;
    (!t.is_empty()
        && !t.ends_with(':')
        && !t.contains(['{', ' '])
        && !l.is_empty()
        && l.bytes().all(|b| b.is_ascii_digit()))
    .then_some(t)
}

/// The span event word a message starts with (`close`, or `close,` in the pretty field style),
/// and the rest of the line after it.
/// Only fields may follow the word (`new connection from x` is an ordinary event's message).
fn kind_word(s: &str) -> Option<(Kind, &str)> {
    let end = s.find([' ', ',']).unwrap_or(s.len());
    let kind = Kind::from_message(&s[..end])?;
    let rest = &s[end..];
    let fields_follow = match rest.strip_prefix(' ') {
        Some(r) => r
            .trim_start()
            .split_once('=')
            .is_some_and(|(k, _)| is_key(k)),
        None => true,
    };
    fields_follow.then_some((kind, rest))
}

/// Whether this log prints thread names (`with_thread_names(true)`), as far as its lines
/// have shown: a name is one word before the span chain, and so is the first word of a span
/// name with spaces (`HTTP request{...}`, tracing-actix-web's root span).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum ThreadWords {
    #[default]
    Unknown,
    Printed,
    NotPrinted,
}

/// A word that looks like a thread name when nothing else says so: `main`, or a name with
/// `-`, `_` or digits (`tokio-runtime-worker`, `worker_3`); not a plain word like `HTTP`.
fn looks_like_thread_name(w: &str) -> bool {
    w == "main" || w.contains(|c: char| c == '-' || c == '_' || c.is_ascii_digit())
}

/// Thread words, then the span chain: `[<thread name> ][<ThreadId(NN)> ]<chain>`.
fn read_chain(
    chain: &str,
    threads: ThreadWords,
) -> (Option<&str>, Option<&str>, Vec<SpanDesc<'_>>) {
    let words: Vec<(usize, usize)> = split_top(chain, " ")
        .into_iter()
        .filter(|&(a, b)| b > a)
        .collect();
    let (mut name, mut id) = (None, None);
    // Thread words end at the last `ThreadId(..)`; without one, the first word of several is
    // the thread name when the log prints them (or, not known yet, when it looks like one).
    let scope_from = match words
        .iter()
        .rposition(|&(a, b)| chain[a..b].starts_with("ThreadId("))
    {
        Some(i) => {
            id = Some(&chain[words[i].0..words[i].1]);
            if i > 0 {
                name = Some(&chain[words[0].0..words[i - 1].1]);
            }
            i + 1
        }
        None if words.len() > 1
            && match threads {
                ThreadWords::Printed => true,
                ThreadWords::NotPrinted => false,
                ThreadWords::Unknown => looks_like_thread_name(&chain[words[0].0..words[0].1]),
            } =>
        {
            name = Some(&chain[words[0].0..words[0].1]);
            1
        }
        None => 0,
    };
    let scope = match words.get(scope_from) {
        Some(&(a, _)) => split_chain(&chain[a..])
            .into_iter()
            .map(parse_segment)
            .collect(),
        None => Vec::new(),
    };
    (name, id, scope)
}

/// What the words before the chain (or the target) of a line say about thread names: one
/// word only, or a first word that is a span (`a{..}`, `a:b`), means none are printed; two
/// words before a target with no span means they are.
fn thread_evidence(part: &str, is_chain: bool) -> Option<bool> {
    let words: Vec<&str> = split_top(part, " ")
        .into_iter()
        .map(|(a, b)| &part[a..b])
        .filter(|w| !w.is_empty() && !w.starts_with("ThreadId("))
        .collect();
    match words.as_slice() {
        [_] => Some(false),
        [first, ..] if is_chain && first.contains(['{', ':']) => Some(false),
        [_, target]
            if !is_chain
                && target
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') =>
        {
            Some(true)
        }
        _ => None,
    }
}

#[cfg(test)]
fn parse_line(line: &str) -> Option<TextLine<'_>> {
    parse_line_with(line, ThreadWords::Unknown)
}

fn parse_line_with(line: &str, threads: ThreadWords) -> Option<TextLine<'_>> {
    let head = split_head(line)?;
    let rest = head.rest;
    let mut out = TextLine {
        timestamp: head.timer,
        ..TextLine::default()
    };
    // Parts separated by ": " outside braces/quotes: [threads + scope], target, [file:line],
    // message. The message is the first part starting with a span event word.
    let parts = split_top(rest, ": ");
    let kind_at = parts
        .iter()
        .position(|&(a, _)| kind_word(&rest[a..]).is_some());
    let message_at = kind_at.unwrap_or(parts.len() - 1);
    let msg_text = &rest[parts[message_at].0..];
    let (message, tail) = match kind_word(msg_text) {
        Some((kind, tail)) => {
            out.kind = Some(kind);
            (&msg_text[..msg_text.len() - tail.len()], tail)
        }
        None => {
            out.response = msg_text
                .strip_prefix(RESPONSE_MESSAGE)
                .filter(|r| r.is_empty() || r.starts_with(' '));
            msg_text.split_once(' ').unwrap_or((msg_text, ""))
        }
    };
    out.message = message;
    if kind_at.is_some() {
        let fields = match tail.strip_prefix(',') {
            Some(pretty) => parse_pretty_fields(pretty),
            None => parse_kv(tail),
        };
        out.fields = fields.into_iter().map(|(k, v)| (k, unquote(v))).collect();
    }
    let mut head: Vec<(usize, usize)> = parts[..message_at].to_vec();
    let mut line_target = None;
    if let Some(&(a, b)) = head.last() {
        let part = &rest[a..b];
        if is_file_part(part) {
            head.pop();
        } else if let Some(t) = target_with_line(part) {
            head.pop();
            line_target = Some(t);
        }
    }
    out.target = line_target;
    if out.target.is_none() && (head.len() >= 2 || kind_at.is_none()) {
        out.target = head.pop().map(|(a, b)| &rest[a..b]);
    }
    let chain = match (head.first(), head.last()) {
        (Some(&(a, _)), Some(&(_, b))) => Some(&rest[a..b]),
        _ => None,
    };
    if kind_at.is_some() {
        out.pretty_header = match (chain, out.target) {
            (None, t) => Some(t),
            (Some(c), None) if !c.contains(['{', ' ']) => Some(Some(c)),
            _ => None,
        };
    }
    match chain {
        Some(chain) => {
            out.thread_evidence = thread_evidence(chain, true);
            let (name, id, scope) = read_chain(chain, threads);
            out.thread_name = name;
            out.thread_id = id;
            out.scope = scope;
        }
        None if kind_at.is_none() => {
            // No span scope: the target may be preceded by thread words.
            if let Some(t) = out.target {
                out.thread_evidence = thread_evidence(t, false);
                let (name, id, words) = read_chain(t, ThreadWords::Printed);
                out.thread_name = name;
                out.thread_id = id;
                out.target = words.first().map(|d| match d.name {
                    Cow::Borrowed(n) => n,
                    Cow::Owned(_) => t,
                });
            }
        }
        None => {}
    }
    Some(out)
}

/// A continuation line of a `pretty()` record: `at <file>:<line>[ on <thread>]`, `on <thread>`
/// or `in <span>[ with <fields>]`, indented.
fn continuation(line: &str) -> Option<(&str, &str)> {
    let body = line.trim_start();
    if line.len() - body.len() < 2 {
        return None;
    }
    let (word, rest) = body.split_once(' ')?;
    matches!(word, "at" | "on" | "in").then_some((word, rest.trim_end()))
}

/// Thread name and id from a pretty `on <name> ThreadId(2)` text.
fn read_on(s: &str) -> (Option<&str>, Option<&str>) {
    match s.rsplit_once(' ') {
        Some((name, id)) if id.starts_with("ThreadId(") => (Some(name.trim()), Some(id)),
        _ if s.starts_with("ThreadId(") => (None, Some(s)),
        _ => (Some(s), None),
    }
}

/// A pretty `in <target>::<name>[ with <fields>]` line as a span (`target`: the header's).
fn read_in<'a>(s: &'a str, target: Option<&str>) -> SpanDesc<'a> {
    let (name, fields) = match s.split_once(" with ") {
        Some((n, f)) => (n, desc_fields(parse_fields(f))),
        None => (s, Vec::new()),
    };
    let name = match target.and_then(|t| name.strip_prefix(t)?.strip_prefix("::")) {
        Some(n) => n,
        None => name.rsplit_once("::").map_or(name, |(_, n)| n),
    };
    SpanDesc {
        name: Cow::Borrowed(name),
        fields,
    }
}

/// Reads a tracing text log from `reader` into `b`.
pub fn read(
    name: &str,
    reader: &mut dyn BufRead,
    b: &mut TraceBuilder,
    stats: &mut InputStats,
) -> Result<()> {
    read_lines(name, reader, b, stats, TextLines::default())
}

/// A span event line held until the next line tells whether it starts a `pretty()` record.
struct Pending {
    line_no: u64,
    header: String,
    continuations: Vec<String>,
}

/// The text line format (Full, Compact, Pretty, one-line pretty fields); counts the lines that
/// do not parse as log lines.
#[derive(Default)]
struct TextLines {
    unparsed: u64,
    pending: Option<Pending>,
    /// Compact format: the field names seen on each span name, to give each span of a chain
    /// its own fields (compact prints them all after the message, root first).
    compact_keys: HashMap<String, Vec<String>>,
    /// Compact lines held until their spans' fields can be told apart (see `must_hold`), and
    /// every span event line after them, in order.
    held: Vec<(u64, String)>,
    /// Whether thread names are printed, once a line has said so.
    thread_words: ThreadWords,
    /// `MAX_HELD` lines were held without learning: hold no more.
    hold_expired: bool,
}

/// Learning from held lines stops after this many passes (one per level of nesting).
const MAX_LEARNING_PASSES: usize = 8;

/// Learns what a compact line says of its spans' fields (see `attribute_compact`), without
/// applying it.
fn learn_compact(line: &TextLine<'_>, known: &mut HashMap<String, Vec<String>>) {
    if compact_trailing(line).next().is_none() {
        return;
    }
    let mut scope = line.scope.clone();
    let trailing: Vec<(&str, &Cow<'_, str>)> = line
        .fields
        .iter()
        .filter(|(k, _)| *k != "time.busy" && *k != "time.idle")
        .map(|(k, v)| (*k, v))
        .collect();
    attribute_compact(&mut scope, &trailing, known);
}

/// At most this many lines are held waiting for a compact span's fields to be learned.
const MAX_HELD: usize = 1024;

/// The fields after a span event's own (`time.busy`, `time.idle`) on a compact line whose
/// spans print no fields of their own: the spans' fields, root first.
fn compact_trailing<'l>(line: &'l TextLine<'_>) -> impl Iterator<Item = &'l str> {
    let compact = line.scope.iter().all(|s| s.fields.is_empty());
    line.fields
        .iter()
        .map(|(k, _)| *k)
        .filter(move |k| compact && *k != "time.busy" && *k != "time.idle")
}

/// What one span event line says, however it was laid out.
struct Record<'a> {
    timestamp: Option<&'a str>,
    thread_name: Option<&'a str>,
    thread_id: Option<&'a str>,
    target: Option<&'a str>,
    kind: Kind,
    scope: Vec<SpanDesc<'a>>,
    fields: &'a [(&'a str, Cow<'a, str>)],
}

impl TextLines {
    /// A compact line naming two spans or more whose fields are not known yet: which field is
    /// whose is learned from a later line about one span alone (its NEW, or its CLOSE).
    fn must_hold(&self, line: &TextLine<'_>) -> bool {
        !self.hold_expired
            && compact_trailing(line).next().is_some()
            && line
                .scope
                .iter()
                .filter(|s| !self.compact_keys.contains_key(s.name.as_ref()))
                .count()
                >= 2
    }

    /// A compact line about one span alone: it says which fields are that span's.
    fn teaches(&self, line: &TextLine<'_>) -> bool {
        line.scope.len() == 1 && compact_trailing(line).next().is_some()
    }

    /// Applies the held lines in order (their spans' fields learned or not).
    fn replay(&mut self, cx: &mut LineCx<'_, '_>) {
        // First learn what the held lines teach together: a line whose spans are all known but
        // one teaches that one, which may leave a single unknown span on another line.
        for _ in 0..MAX_LEARNING_PASSES {
            let before: usize = self.compact_keys.values().map(Vec::len).sum();
            for (_, text) in &self.held {
                if let Some(line) = parse_line_with(text, self.thread_words) {
                    learn_compact(&line, &mut self.compact_keys);
                }
            }
            if self.compact_keys.values().map(Vec::len).sum::<usize>() == before {
                break;
            }
        }
        for (line_no, text) in std::mem::take(&mut self.held) {
            if let Some(line) = parse_line_with(&text, self.thread_words)
                && let Some(kind) = line.kind
            {
                self.apply(cx, line_no, line, kind);
            }
        }
    }

    /// Applies a held pretty-or-not line, with the continuation lines that followed it.
    fn flush(&mut self, cx: &mut LineCx<'_, '_>) {
        let Some(p) = self.pending.take() else {
            return;
        };
        let Some(line) = parse_line_with(&p.header, self.thread_words) else {
            return;
        };
        let Some(kind) = line.kind else {
            return;
        };
        let ins: Vec<&str> = p
            .continuations
            .iter()
            .filter_map(|c| continuation(c))
            .filter(|(w, _)| *w == "in")
            .map(|(_, r)| r)
            .collect();
        if ins.is_empty() {
            self.apply(cx, p.line_no, line, kind);
            return;
        }
        let target = line.pretty_header.flatten();
        let (mut thread_name, mut thread_id) = (None, None);
        for (word, rest) in p.continuations.iter().filter_map(|c| continuation(c)) {
            let on = match word {
                "on" => Some(rest),
                "at" => rest.split_once(" on ").map(|(_, t)| t),
                _ => None,
            };
            if let Some(on) = on {
                (thread_name, thread_id) = read_on(on);
            }
        }
        // `in` lines go from the event's span up to the root.
        let scope = ins.iter().rev().map(|s| read_in(s, target)).collect();
        let record = Record {
            timestamp: line.timestamp,
            thread_name,
            thread_id,
            target,
            kind,
            scope,
            fields: &line.fields,
        };
        self.apply_record(cx, p.line_no, record);
    }

    fn apply(&mut self, cx: &mut LineCx<'_, '_>, line_no: u64, line: TextLine<'_>, kind: Kind) {
        let record = Record {
            timestamp: line.timestamp,
            thread_name: line.thread_name,
            thread_id: line.thread_id,
            target: line.target,
            kind,
            scope: line.scope,
            fields: &line.fields,
        };
        self.apply_record(cx, line_no, record);
    }

    fn apply_record(&mut self, cx: &mut LineCx<'_, '_>, line_no: u64, mut r: Record<'_>) {
        if r.scope.is_empty() {
            cx.skip();
            return;
        }
        let field = |k: &str| r.fields.iter().find(|(key, _)| *key == k).map(|(_, v)| v);
        let busy = field("time.busy").and_then(|v| parse_busy_idle(v));
        let idle = field("time.idle").and_then(|v| parse_busy_idle(v));
        // Compact: the spans' fields follow the event's own (`time.busy`, `time.idle`).
        if r.scope.iter().all(|s| s.fields.is_empty()) {
            let trailing: Vec<(&str, &Cow<'_, str>)> = r
                .fields
                .iter()
                .filter(|(k, _)| *k != "time.busy" && *k != "time.idle")
                .map(|(k, v)| (*k, v))
                .collect();
            if !trailing.is_empty() {
                attribute_compact(&mut r.scope, &trailing, &mut self.compact_keys);
            }
        }
        let Some((span, context)) = r.scope.split_last() else {
            return;
        };
        let time = cx.time(r.timestamp, line_no);
        let thread = cx.thread(r.thread_id, r.thread_name);
        cx.apply(&SpanEvent {
            kind: r.kind,
            time,
            thread,
            target: r.target,
            span,
            context: Context::Known(context),
            context_exact: true,
            busy,
            idle,
        });
    }
}

/// A tower-http `finished processing request` line (`tail`: its fields) as a [`ResponseEvent`]
/// of the innermost span of its chain; in the compact format (spans printed without fields,
/// theirs after the event's) a single span takes the fields other than `latency` and `status`.
fn response(cx: &mut LineCx<'_, '_>, line_no: u64, line: &TextLine<'_>, tail: &str) {
    let fields = parse_kv(tail);
    let field = |k: &str| fields.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
    let (Some(span), Some(latency)) = (line.scope.last(), field("latency").and_then(parse_latency))
    else {
        cx.skip();
        return;
    };
    let mut span = span.clone();
    if line.scope.len() == 1 && span.fields.is_empty() {
        span.fields = fields
            .iter()
            .filter(|(k, _)| *k != "latency" && *k != "status")
            .map(|(k, v)| (Cow::Borrowed(*k), unquote(v)))
            .collect();
    }
    let time = cx.time(line.timestamp, line_no);
    let thread = cx.thread(line.thread_id, line.thread_name);
    cx.response(
        &ResponseEvent {
            time,
            thread,
            target: line.target,
            span: &span,
            latency,
            status: field("status"),
        },
        line_no,
    );
}

/// Gives each span of a compact chain its fields. Compact prints every span's fields after the
/// event's, root first, with nothing saying where one span's end: spans whose field names are
/// known (from lines where they were alone or the only unknown one) take theirs, from the
/// root down and from the leaf up; what is left goes to the leaf-most span not known yet, and
/// is learned when that span was the only one left. `TextLines` holds lines naming two spans
/// not known yet until a line about one of them alone teaches its fields (in a CLOSE-only log
/// the children close first; the parent's own CLOSE comes later), for at most `MAX_HELD`
/// lines: a root that never closes alone (a server span) gets none of the fields, the span the
/// line is about gets them all.
fn attribute_compact<'a>(
    scope: &mut [SpanDesc<'a>],
    trailing: &[(&'a str, &Cow<'a, str>)],
    known: &mut HashMap<String, Vec<String>>,
) {
    let field = |(k, v): &(&'a str, &Cow<'a, str>)| (Cow::Borrowed(*k), (*v).clone());
    let takes = |known: &HashMap<String, Vec<String>>, name: &str, key: &str| {
        known
            .get(name)
            .is_some_and(|keys| keys.iter().any(|k| k == key))
    };
    let (mut lo, mut hi) = (0, trailing.len());
    let (mut s, mut e) = (0, scope.len());
    while s < e && scope.len() > 1 && known.contains_key(scope[s].name.as_ref()) {
        while lo < hi && takes(known, &scope[s].name, trailing[lo].0) {
            scope[s].fields.push(field(&trailing[lo]));
            lo += 1;
        }
        s += 1;
    }
    while e > s + 1 && known.contains_key(scope[e - 1].name.as_ref()) {
        let from = hi;
        while lo < hi && takes(known, &scope[e - 1].name, trailing[hi - 1].0) {
            hi -= 1;
        }
        scope[e - 1].fields = trailing[hi..from].iter().map(field).collect();
        e -= 1;
    }
    // The rest: the leaf-most span not known (its own fields are last), or, all known, the
    // deepest (a field recorded later).
    let Some(rest) = scope.get_mut(e.saturating_sub(1)) else {
        return;
    };
    rest.fields.extend(trailing[lo..hi].iter().map(field));
    if e == s + 1 {
        let keys = known.entry(rest.name.to_string()).or_default();
        for (k, _) in &trailing[lo..hi] {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_string());
            }
        }
    }
}

/// Text lines are decoded in order: how a line reads depends on the lines before it (which
/// thread words the log prints, a pretty record's continuation lines).
pub(super) struct InOrder;

impl ParseLine for InOrder {
    type Parsed<'a> = ();
    fn parse(&self, _: &str) {}
}

impl LineFormat for TextLines {
    const WHAT: &'static str = "a tracing-subscriber text log";

    type Parser = InOrder;

    fn parser(&self) -> InOrder {
        InOrder
    }

    fn line(
        &mut self,
        cx: &mut LineCx<'_, '_>,
        line_no: u64,
        raw: &str,
        _complete: bool,
        (): (),
    ) -> Result<Flow> {
        let clean = strip_ansi(raw);
        let text = strip_line_prefix(&clean);
        if text.trim().is_empty() {
            return Ok(Flow::Next);
        }
        if continuation(text).is_some() {
            match &mut self.pending {
                Some(p) => p.continuations.push(text.to_string()),
                // Of an ordinary event's pretty record.
                None => cx.skip(),
            }
            return Ok(Flow::Next);
        }
        self.flush(cx);
        let mut parsed = parse_line_with(text, self.thread_words);
        if self.thread_words == ThreadWords::Unknown
            && let Some(printed) = parsed.as_ref().and_then(|l| l.thread_evidence)
        {
            self.thread_words = if printed {
                ThreadWords::Printed
            } else {
                ThreadWords::NotPrinted
            };
            parsed = parse_line_with(text, self.thread_words);
        }
        let Some(line) = parsed else {
            // Continuation lines (multi-line messages, panics) are normal in text logs.
            cx.skip();
            self.unparsed += 1;
            return Ok(Flow::Next);
        };
        if let Some(tail) = line.response {
            response(cx, line_no, &line, tail);
            return Ok(Flow::Next);
        }
        let Some(kind) = line.kind else {
            cx.skip();
            return Ok(Flow::Next);
        };
        if line.pretty_header.is_some() && line.scope.len() <= 1 && self.held.is_empty() {
            self.pending = Some(Pending {
                line_no,
                header: text.to_string(),
                continuations: Vec::new(),
            });
            return Ok(Flow::Next);
        }
        if self.teaches(&line) && !self.held.is_empty() {
            learn_compact(&line, &mut self.compact_keys);
            self.replay(cx);
        } else if !self.held.is_empty() || self.must_hold(&line) {
            self.held.push((line_no, text.to_string()));
            if self.held.len() >= MAX_HELD {
                // Nothing taught them in that many lines: nothing will.
                self.hold_expired = true;
                self.replay(cx);
            }
            return Ok(Flow::Next);
        }
        self.apply(cx, line_no, line, kind);
        Ok(Flow::Next)
    }

    fn end(mut self, cx: &mut LineCx<'_, '_>, lines: u64) -> Result<Option<String>> {
        self.flush(cx);
        self.replay(cx);
        let unparsed = self.unparsed;
        if unparsed > 0 {
            cx.stats.warn(format!(
                "{unparsed} lines did not look like log lines (multi-line messages?) and were skipped"
            ));
        }
        Ok((unparsed == lines && lines > 0).then(|| {
            format!("none of the {lines} lines looks like '<timestamp> <LEVEL> <spans>: <target>: <message>'")
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_close_line_with_scope() {
        let l = r#"2026-11-24T00:30:40.839185Z  INFO http.request{method=GET route="/x y" request_id=4}:db.query{db.system="simulated" db.operation="SELECT"}: trace_lab::server: close time.busy=50.2ms time.idle=128µs"#;
        let p = parse_line(l).unwrap();
        assert_eq!(p.timestamp, Some("2026-11-24T00:30:40.839185Z"));
        assert_eq!(p.scope.len(), 2);
        assert_eq!(p.scope[0].name, "http.request");
        assert_eq!(
            p.scope[0].fields[1],
            (Cow::Borrowed("route"), Cow::Borrowed("/x y"))
        );
        assert_eq!(p.scope[1].name, "db.query");
        assert_eq!(p.target, Some("trace_lab::server"));
        assert_eq!(p.message, "close");
        assert_eq!(
            p.fields,
            vec![
                ("time.busy", Cow::Borrowed("50.2ms")),
                ("time.idle", Cow::Borrowed("128µs"))
            ]
        );
    }

    #[test]
    fn parses_threads_file_and_fieldless_spans() {
        let l = "2026-11-24T00:30:40.839185Z DEBUG tokio-rt-worker ThreadId(03) req{id=1}:compute: app::srv: src/srv.rs:42: enter";
        let p = parse_line(l).unwrap();
        assert_eq!(p.thread_name, Some("tokio-rt-worker"));
        assert_eq!(p.thread_id, Some("ThreadId(03)"));
        assert_eq!(p.scope.len(), 2);
        assert_eq!(p.scope[1].name, "compute");
        assert!(p.scope[1].fields.is_empty());
        assert_eq!(p.target, Some("app::srv"));
        assert_eq!(p.message, "enter");
    }

    #[test]
    fn event_without_spans() {
        let p = parse_line("2026-11-24T00:30:40.839185Z  INFO app: listening addr=127.0.0.1:80")
            .unwrap();
        assert!(p.scope.is_empty());
        assert_eq!(p.target, Some("app"));
        assert_eq!(p.message, "listening");
    }

    #[test]
    fn ansi_log_reads_like_plain() {
        let plain = "2026-11-24T00:00:00.100000Z  INFO req{id=1}: app: close time.busy=1.00ms time.idle=99.0ms\n";
        let ansi = "\x1b[2m2026-11-24T00:00:00.100000Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[1mreq\x1b[0m\x1b[1m{\x1b[0mid\x1b[0m\x1b[2m=\x1b[0m1\x1b[1m}\x1b[0m\x1b[2m:\x1b[0m \x1b[2mapp\x1b[0m\x1b[2m:\x1b[0m close \x1b[3mtime.busy\x1b[0m\x1b[2m=\x1b[0m1.00ms \x1b[3mtime.idle\x1b[0m\x1b[2m=\x1b[0m99.0ms\n";
        for input in [plain, ansi] {
            let mut b = TraceBuilder::new();
            let mut rep = InputStats::new("x", crate::ingest::Format::TracingText, false);
            let mut r = input.as_bytes();
            read("x", &mut r, &mut b, &mut rep).unwrap();
            let t = b.finish();
            assert_eq!(t.spans.len(), 1, "{input:?}");
            assert_eq!(t.spans[0].duration(), 100_000_000);
            assert_eq!(t.spans[0].busy, Some(1_000_000));
        }
    }

    #[test]
    fn span_names_with_colons_and_file_lines() {
        let l = r#"2024-07-23T17:07:07.876264Z  INFO ThreadId(02) Server::start_server{addr_str="[::]:8080" threads=1}:accept: app: close time.busy=2.00ms time.idle=1.50µs"#;
        let p = parse_line(l).unwrap();
        assert_eq!(p.thread_id, Some("ThreadId(02)"));
        assert_eq!(p.scope.len(), 2);
        assert_eq!(p.scope[0].name, "Server::start_server");
        assert_eq!(p.scope[0].fields[0].1, "[::]:8080");
        assert_eq!(p.scope[1].name, "accept");
        assert_eq!(p.target, Some("app"));
        // Compact, without target, with file and line: the one part before them is the chain.
        let p = parse_line("2024-07-23T17:07:07.876264Z  INFO write: src/io_uring.rs:233: close time.busy=2.00ms time.idle=1.50µs").unwrap();
        assert_eq!(p.scope.len(), 1);
        assert_eq!(p.scope[0].name, "write");
        assert_eq!(p.target, None);
        assert_eq!(p.fields[0], ("time.busy", Cow::Borrowed("2.00ms")));
    }

    #[test]
    fn values_with_spaces_and_pretty_fields() {
        assert_eq!(
            parse_kv("sql=SELECT * FROM t WHERE a = 1 n=2"),
            vec![("sql", "SELECT * FROM t WHERE a = 1"), ("n", "2")]
        );
        assert_eq!(
            parse_pretty_fields(r#"method: GET, uri: "/a, b", n: 1"#),
            vec![("method", "GET"), ("uri", r#""/a, b""#), ("n", "1")]
        );
    }

    #[test]
    fn collector_prefixes_are_stripped() {
        let line = "2024-05-25T02:39:09.010480Z  INFO a: x: close";
        for prefixed in [
            format!("web.1.abc123xyz    | {line}"),
            format!("web-1  | {line}"),
            format!("[pod/web-5d8f/app] {line}"),
            format!("Mar 04 20:18:44 host app[123]: {line}"),
        ] {
            assert_eq!(strip_line_prefix(&prefixed), line, "{prefixed}");
            assert!(looks_like_line(&prefixed));
        }
        // The 0.2 timer is not a journald prefix.
        let own = "Mar 04 20:18:44.853  INFO a: x: close";
        assert_eq!(strip_line_prefix(own), own);
        assert!(looks_like_line(own));
        assert!(!looks_like_line("n: 20"));
        assert!(!looks_like_line("$ cargo run --release"));
        // A timer not read here (a custom format) does not stop a line being a log line.
        assert!(looks_like_line(
            "[2024/05/25-10:39:09] INFO a{x=1}: app: close"
        ));
        assert!(!looks_like_line("the INFO desk opens at nine"));
    }

    #[test]
    fn early_pretty_layout_target_line_in_header() {
        let log = "  Mar 04 20:18:44.853  INFO axum_tracing:42: close, time.busy: 486µs, time.idle: 125ms\n    in axum_tracing::index_handler with method: GET, path: \"/\"\n\n";
        let mut b = TraceBuilder::new();
        let mut rep = InputStats::new("x", crate::ingest::Format::TracingText, false);
        read("x", &mut log.as_bytes(), &mut b, &mut rep).unwrap();
        let t = b.finish();
        assert_eq!(t.spans.len(), 1);
        let s = &t.spans[0];
        assert_eq!(t.name(s), "index_handler");
        assert_eq!(t.field(s, "method"), Some("GET"));
        assert_eq!(t.field(s, "path"), Some("/"));
        assert_eq!(s.busy, Some(486_000));
        assert_eq!(s.duration(), 125_486_000);
    }

    #[test]
    fn a_message_starting_with_an_event_word_is_not_a_span_event() {
        for l in [
            "2024-07-23T17:07:07.876264Z  INFO req{id=1}: app: new connection from 10.0.0.1",
            "2024-07-23T17:07:07.876264Z  INFO req{id=1}: app: close the door",
        ] {
            let p = parse_line(l).unwrap();
            assert_eq!(p.kind, None, "{l}");
        }
        assert!(kind_word("close time.busy=1ms").is_some());
        assert!(kind_word("close, time.busy: 1ms").is_some());
        assert!(kind_word("enter").is_some());
    }

    #[test]
    fn span_names_with_spaces_and_thread_names() {
        // tracing-actix-web's root span, no thread names: one span called `HTTP request`.
        let l = "2024-07-23T17:07:07.876264Z  INFO HTTP request{http.method=GET http.route=/a}: tracing_actix_web::root_span_builder: close time.busy=1ms time.idle=2ms";
        let p = parse_line(l).unwrap();
        assert_eq!(p.thread_name, None);
        assert_eq!(p.scope.len(), 1);
        assert_eq!(p.scope[0].name, "HTTP request");
        // A thread name is one word before the chain.
        let l = "2024-07-23T17:07:07.876264Z  INFO tokio-runtime-worker req{id=1}: app: close time.busy=1ms time.idle=2ms";
        let p = parse_line(l).unwrap();
        assert_eq!(p.thread_name, Some("tokio-runtime-worker"));
        assert_eq!(p.scope[0].name, "req");
        // Once a plain event showed thread names, any word before the chain is one.
        let log = "2024-07-23T17:07:07.000000Z  INFO server app: listening\n2024-07-23T17:07:07.010000Z  INFO server req{method=GET path=/}: app: close time.busy=1.00ms time.idle=9.00ms\n";
        let mut b = TraceBuilder::new();
        let mut rep = InputStats::new("x", crate::ingest::Format::TracingText, false);
        read("x", &mut log.as_bytes(), &mut b, &mut rep).unwrap();
        let t = b.finish();
        assert_eq!(t.name(&t.spans[0]), "req");
        assert_eq!(t.threads[0].key, "server");
    }

    #[test]
    fn compact_root_that_never_closes_alone() {
        // A server span open for the whole log: no line teaches its fields; after MAX_HELD
        // lines each request takes all the fields on its line.
        let n = MAX_HELD + 10;
        let log: String = (0..n)
            .map(|i| format!("2024-07-23T17:07:07.{i:06}Z  INFO server:request: app: close time.busy=1.00µs time.idle=0ns addr=0.0.0.0:80 method=GET path=/a id={i}\n"))
            .collect();
        let mut b = TraceBuilder::new();
        let mut rep = InputStats::new("x", crate::ingest::Format::TracingText, false);
        read("x", &mut log.as_bytes(), &mut b, &mut rep).unwrap();
        let t = b.finish();
        let requests: Vec<_> = t.spans.iter().filter(|s| t.name(s) == "request").collect();
        assert_eq!(requests.len(), n);
        for r in requests {
            assert_eq!(t.field(r, "method"), Some("GET"));
            assert_eq!(t.field(r, "path"), Some("/a"));
            assert!(r.parent.is_some_and(|p| t.name(t.span(p)) == "server"));
        }
    }

    #[test]
    fn looks_like() {
        assert!(looks_like_line("2026-11-24T00:30:40.839185Z  INFO x: y"));
        assert!(!looks_like_line("hello world"));
    }
}
