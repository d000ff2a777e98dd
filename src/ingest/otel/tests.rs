//! Helpers for the readers' tests, and the window's own tests.

use crate::ingest::{Format, InputStats, ingest_bytes};
use crate::model::Trace;

/// Reads `text` as a whole input; it must sniff as `format`.
#[track_caller]
pub fn read_str(format: Format, text: &str) -> (Trace, InputStats) {
    let ing =
        ingest_bytes("t.json", text.as_bytes(), false).unwrap_or_else(|e| panic!("reads: {e}"));
    assert_eq!(ing.stats.format, format);
    (ing.trace, ing.stats)
}

/// Field `key` of span number `i`.
pub fn field<'a>(t: &'a Trace, i: usize, key: &str) -> Option<&'a str> {
    t.field(&t.spans[i], key)
}

mod window {
    use super::super::{Assembler, Kind, MAX_HELD, QUIET_SPANS, SpanIn};
    use crate::ingest::{Format, InputStats};
    use crate::model::{Trace, TraceBuilder, Tree, TreeSink};

    /// Names of the roots of the trees handed over, in order.
    #[derive(Default)]
    struct Roots(Vec<(String, usize)>);

    impl TreeSink for Roots {
        fn tree(&mut self, trace: &Trace, tree: Tree<'_>) {
            let root = trace.span(tree.root);
            self.0
                .push((trace.name(root).to_string(), tree.members.len()));
        }
    }

    fn span<'a>(trace: &'a str, id: &'a str, parent: Option<&'a str>, name: &'a str) -> SpanIn<'a> {
        SpanIn {
            trace_id: trace,
            span_id: id,
            parent_id: parent,
            name,
            start: Some(1_000),
            end: Some(2_000),
            kind: Some(Kind::Internal),
            line: 1,
            ..SpanIn::default()
        }
    }

    fn stats() -> InputStats {
        InputStats::new("t", Format::OtlpJson, false)
    }

    /// ```text
    /// batch 1:  child(A)                      (its parent not yet seen: held)
    /// batch 2:  parent(A)                     -> tree A handed over with both spans
    /// batch 3:  QUIET_SPANS single-span traces, then a late child of A: an orphan
    /// ```
    #[test]
    fn a_trace_waits_for_its_parent_then_goes_when_quiet() {
        let mut roots = Roots::default();
        let mut st = stats();
        {
            let mut b = TraceBuilder::with_sink(&mut roots);
            let mut asm = Assembler::new(&mut b);
            asm.push(&mut b, &mut st, span("a", "2", Some("1"), "child"));
            asm.end_batch(&mut b);
            asm.push(&mut b, &mut st, span("a", "1", None, "parent"));
            asm.end_batch(&mut b);
            assert_eq!(
                b.span_count(),
                0,
                "nothing in the model yet: trace a is held"
            );
            let ids: Vec<String> = (0..QUIET_SPANS).map(|i| format!("{:x}", i + 100)).collect();
            for id in &ids {
                asm.push(&mut b, &mut st, span(id, "1", None, "other"));
            }
            asm.end_batch(&mut b);
            let late = SpanIn {
                line: 9,
                ..span("a", "3", Some("2"), "late")
            };
            asm.push(&mut b, &mut st, late);
            asm.finish(&mut b, &mut st);
            drop(b.finish());
        }
        assert_eq!(
            roots.0[0],
            ("parent".to_string(), 2),
            "handed over when quiet"
        );
        assert_eq!(roots.0.len() as u64, 1 + QUIET_SPANS + 1);
        assert_eq!(roots.0.last(), Some(&("late".to_string(), 1)));
        assert!(
            st.warnings
                .iter()
                .any(|w| w == "1 span whose parent is not in the input (orphans) read as roots of their own (first at line 9)"),
            "{:?}",
            st.warnings
        );
    }

    /// ```text
    /// parent:      [1000 ............ 2000]
    /// child:   [500 ........ 1800]             starts 500 ns early: clamped to 1000..1800
    /// grandchild:      [1500 ............ 2600] ends past the clamped child: 1500..1800
    /// ```
    #[test]
    fn a_child_outside_its_parent_is_clamped() {
        let mut st = stats();
        let mut b = TraceBuilder::new();
        let mut asm = Assembler::new(&mut b);
        asm.push(&mut b, &mut st, span("a", "1", None, "parent"));
        let child = SpanIn {
            start: Some(500),
            end: Some(1_800),
            ..span("a", "2", Some("1"), "child")
        };
        asm.push(&mut b, &mut st, child);
        let grand = SpanIn {
            start: Some(1_500),
            end: Some(2_600),
            ..span("a", "3", Some("2"), "grand")
        };
        asm.push(&mut b, &mut st, grand);
        asm.finish(&mut b, &mut st);
        let t = b.finish();
        // Rebased: the earliest time put in (the parent's start, 1000) is 0.
        let at = |i: usize| (t.spans[i].start, t.spans[i].end);
        assert_eq!(at(0), (0, 1_000));
        assert_eq!(at(1), (0, 800));
        assert_eq!(at(2), (500, 800));
        assert_eq!(
            st.warnings,
            [
                "2 spans ran outside their parent's time (clock skew, up to 0.001 ms): clamped into the parent"
            ]
        );
    }

    /// Spans without an id, without times, ending before they start: skipped, counted.
    #[test]
    fn bad_spans_are_skipped_and_counted() {
        let mut st = stats();
        let mut b = TraceBuilder::new();
        let mut asm = Assembler::new(&mut b);
        asm.push(
            &mut b,
            &mut st,
            SpanIn {
                line: 3,
                ..span("a", "", None, "no id")
            },
        );
        asm.push(
            &mut b,
            &mut st,
            SpanIn {
                start: None,
                ..span("a", "5", None, "no start")
            },
        );
        let backwards = SpanIn {
            start: Some(2_000),
            end: Some(1_000),
            line: 4,
            ..span("a", "6", None, "backwards")
        };
        asm.push(&mut b, &mut st, backwards);
        asm.push(&mut b, &mut st, span("a", "7", None, "good"));
        asm.finish(&mut b, &mut st);
        let t = b.finish();
        assert_eq!(t.spans.len(), 1);
        assert_eq!((st.events, st.skipped), (1, 3));
        assert_eq!(
            st.warnings,
            [
                "1 span without a span id skipped (first at line 3)",
                "1 span without a start or end time skipped (first at line 1)",
                "1 span ending before its start skipped (first at line 4)",
            ]
        );
    }

    /// Two spans naming each other as parent: both read, the loop cut, nothing hangs.
    #[test]
    fn a_parent_cycle_is_cut() {
        let mut st = stats();
        let mut b = TraceBuilder::new();
        let mut asm = Assembler::new(&mut b);
        asm.push(&mut b, &mut st, span("a", "1", Some("2"), "x"));
        asm.push(&mut b, &mut st, span("a", "2", Some("1"), "y"));
        asm.finish(&mut b, &mut st);
        let t = b.finish();
        assert_eq!(t.spans.len(), 2);
        assert_eq!(t.spans.iter().filter(|s| s.parent.is_none()).count(), 1);
    }

    /// One batch holding more than MAX_HELD spans of one trace: it is put in early, warned.
    #[test]
    fn more_than_max_held_spans_are_put_in_early() {
        let mut roots = Roots::default();
        let mut st = stats();
        {
            let mut b = TraceBuilder::with_sink(&mut roots);
            let mut asm = Assembler::new(&mut b);
            let ids: Vec<String> = (1..=MAX_HELD + 1).map(|i| format!("{i:x}")).collect();
            asm.push(&mut b, &mut st, span("a", "ffffffff", None, "root"));
            for id in &ids {
                asm.push(&mut b, &mut st, span("a", id, Some("ffffffff"), "child"));
            }
            asm.end_batch(&mut b);
            assert_eq!(b.span_count(), 0, "handed over at the end of the batch");
            asm.finish(&mut b, &mut st);
            drop(b.finish());
        }
        assert_eq!(roots.0, [("root".to_string(), MAX_HELD + 2)]);
        assert!(
            st.warnings
                .iter()
                .any(|w| w.starts_with("1 trace put together before it was quiet")),
            "{:?}",
            st.warnings
        );
    }
}

/// Pretty-printed documents: a Zipkin list over many lines, and two OTLP documents one after
/// the other (each pretty-printed), read as a stream; a document cut off after a whole one is
/// a warning, and the whole one is read.
#[test]
fn pretty_printed_documents() {
    let zipkin = "[\n  {\n    \"traceId\": \"a\",\n    \"id\": \"1\",\n    \"name\": \"GET /x\",\n    \"kind\": \"SERVER\",\n    \"timestamp\": 10,\n    \"duration\": 5\n  }\n]\n";
    let (t, stats) = read_str(Format::ZipkinJson, zipkin);
    assert_eq!((t.spans.len(), stats.events), (1, 1));
    assert_eq!(field(&t, 0, "otel.kind"), Some("server"));

    let doc = |id: &str| {
        format!(
            "{{\n  \"resourceSpans\": [{{\"scopeSpans\": [{{\"spans\": [\n    {{\"traceId\": \"01\", \"spanId\": \"{id}\", \"name\": \"s{id}\", \"startTimeUnixNano\": \"10\", \"endTimeUnixNano\": \"20\"}}\n  ]}}]}}]\n}}\n"
        )
    };
    let two = format!("{}{}", doc("1"), doc("2"));
    let (t, stats) = read_str(Format::OtlpJson, &two);
    assert_eq!((t.spans.len(), stats.events), (2, 2));
    assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);

    let cut = format!("{}{}", doc("1"), &doc("2")[..40]);
    let (t, stats) = read_str(Format::OtlpJson, &cut);
    assert_eq!(t.spans.len(), 1);
    assert_eq!(stats.warnings.len(), 1, "{:?}", stats.warnings);
    assert!(
        stats.warnings[0].starts_with("line 7: the input ends in a document cut off"),
        "{:?}",
        stats.warnings
    );
}

/// A first document that is cut off, or not the format, is an error naming the file and line.
#[test]
fn a_bad_first_document_is_an_error_with_its_line() {
    let err = ingest_bytes(
        "t.json",
        b"{\n  \"resourceSpans\": [\n    {\"scopeSpans\": [",
        false,
    )
    .expect_err("cut off");
    assert!(
        err.to_string()
            .starts_with("t.json: line 3: EOF while parsing"),
        "{err}"
    );
    let err = ingest_bytes(
        "t.jsonl",
        b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":\"x\"}]}]}\n",
        false,
    )
    .expect_err("bad shape");
    assert!(
        err.to_string().starts_with("t.jsonl: line 1: invalid type"),
        "{err}"
    );
}

/// The trace id written for `otel.trace_id` is W3C's form: 32 lower-case hex digits, zeros
/// kept.
#[test]
fn trace_ids_are_written_as_32_hex_digits() {
    assert_eq!(
        super::hex32(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c).as_str(),
        "0af7651916cd43dd8448eb211c80319c"
    );
    assert_eq!(super::hex32(1).as_str(), "00000000000000000000000000000001");
    assert_eq!(super::hex32(u128::MAX).as_str(), "f".repeat(32));
}

/// The recent names and keys give the interner's symbol for every string, in any order, with
/// more strings than slots and strings that are prefixes of each other; and they intern in
/// the same order as the interner alone would.
#[test]
fn recent_strings_give_the_interners_symbols() {
    use super::Recent;
    use crate::model::TraceBuilder;
    let words = [
        "a", "ab", "GET /", "", "db.query", "a", "cpu", "ab", "x", "GET /", "",
    ];
    let mut with = TraceBuilder::new();
    let mut alone = TraceBuilder::new();
    let mut two = Recent::<2>::default();
    let mut four = Recent::<4>::default();
    for round in 0..3 {
        for (i, w) in words.iter().enumerate() {
            let want = alone.intern(w);
            let got = if (i + round) % 2 == 0 {
                two.sym(&mut with, w)
            } else {
                four.sym(&mut with, w)
            };
            assert_eq!(got, want, "{w:?} in round {round}");
        }
    }
}
