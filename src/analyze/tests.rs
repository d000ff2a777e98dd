//! The judging code, one edge per test, on traces written as timelines
//! ([`Timeline`](super::timeline::Timeline)).

use super::timeline::{MS, S, Timeline};
use super::*;
use crate::analyze::requests::{Placement, RequestWork};

fn judge_all(t: Timeline) -> Analysis {
    analyze(&t.finish(), &Config::default())
}

fn row<'a>(a: &'a Analysis, endpoint: &str) -> &'a Judgement {
    a.judgements
        .iter()
        .find(|j| j.subject == endpoint)
        .unwrap_or_else(|| panic!("no row for {endpoint}: {:#?}", a.judgements))
}

fn server<'a>(a: &'a Analysis, endpoint: &str) -> &'a ServerJudgement {
    row(a, endpoint).server().expect("a server row")
}

/// An `/orders` request awaiting its database for 78 ms: polled at its start and end on
/// `thread` (or without thread), its `db` child idle in between.
fn orders(t: &mut Timeline, thread: Option<usize>, at: f64, len: f64) -> S {
    let r = t.request("GET /orders", at, at + len);
    t.poll(r, thread, at, at + 0.2);
    let db = t.span(
        "db",
        &[("db.system", "postgresql")],
        Some(r),
        at + 0.5,
        at + len - 0.5,
    );
    t.poll(db, thread, at + 0.5, at + 0.6);
    t.poll(r, thread, at + len - 0.2, at + len);
    r
}

/// ```text
/// t(ms)   0        100       200       300       400       500
/// w1      [o][o]   [═ report ═]  [o]   [═ report ═]  [o][o]
/// w2        [o]       [═ report ═]        [═ report ═]   [o]
/// orders  healthy: 80 ms    started in a burst: 80 + 60 ms
/// ```
/// Four 100 ms polls of `/report` on both workers: each is a stall on an event loop, so the
/// endpoint is async-cpu, Bad, located by threads; `/orders` awaits its database: Good.
#[test]
fn cpu_in_polls_on_workers_is_async_cpu_with_measured_stalls() {
    let mut t = Timeline::new();
    let w = [t.thread("w1"), t.thread("w2")];
    for (i, at) in [100.0, 110.0, 300.0, 310.0].into_iter().enumerate() {
        let r = t.request("GET /report", at, at + 100.0);
        t.poll(r, Some(w[i % 2]), at, at + 100.0);
    }
    for (i, at) in [0.0, 20.0, 40.0, 500.0, 520.0, 540.0]
        .into_iter()
        .enumerate()
    {
        orders(&mut t, Some(w[i % 2]), at, 80.0);
    }
    // Started during the first burst: both workers held, they finish 60 ms late.
    orders(&mut t, Some(w[0]), 150.0, 140.0);
    orders(&mut t, Some(w[1]), 160.0, 140.0);
    let a = judge_all(t);

    let j = row(&a, "GET /report");
    assert_eq!((j.pattern, j.verdict), (Pattern::AsyncCpu, Verdict::Bad));
    assert_eq!((j.unit, j.count), (Unit::Requests, 4));
    let s = server(&a, "GET /report");
    assert_eq!(s.kind, RequestWork::Cpu);
    assert_eq!(s.location_by, LocationBy::Threads);
    assert_eq!((s.stalls, s.longest_stall), (4, 100 * MS));
    assert_eq!(s.loop_threads, 2);
    assert!(
        s.evidence.contains(&ServerEvidence::Stalls {
            count: 4,
            threshold: 10 * MS,
            inferred: 0,
            longest: 100 * MS
        }),
        "{:?}",
        s.evidence
    );
    // The two /orders requests started in the burst took 140 ms against a healthy 80 ms.
    assert_eq!((s.delays_caused, s.max_delay), (2, 60 * MS));
    assert!(
        a.stalls
            .iter()
            .all(|x| x.source == StallSource::EventLoopPoll)
    );

    let o = row(&a, "GET /orders");
    assert_eq!((o.pattern, o.verdict), (Pattern::AsyncIo, Verdict::Good));
    assert_eq!(server(&a, "GET /orders").delays_suffered, 2);

    // Two episodes (one per burst), both workers held in each.
    assert_eq!(a.episodes.len(), 2);
    assert!(
        a.episodes
            .iter()
            .all(|e| e.max_at_once == 2 && e.workers == 2)
    );
    assert_eq!(a.episodes[0].all_held, 90 * MS);
    assert_eq!(a.episodes[0].delayed, 2);
    assert_eq!(a.episodes[1].delayed, 0);
    // Bad rows first.
    assert_eq!(a.judgements[0].subject, "GET /report");
    assert!(a.notes.is_empty(), "{:?}", a.notes);
}

/// ```text
/// w1      [o][e]      [o]   [e]   [o]       e: /export's own short polls
/// pool              [═══ compute 100 ms ═══]   one request at a time
/// ```
/// The CPU runs in a child on a thread that runs one request at a time: a blocking-pool
/// thread. sync-cpu, OK, no stall.
#[test]
fn cpu_on_a_blocking_thread_is_sync_cpu() {
    let mut t = Timeline::new();
    let w1 = t.thread("w1");
    let pool = t.thread("pool");
    for at in [0.0, 200.0, 400.0] {
        let r = t.request("GET /export", at, at + 105.0);
        t.poll(r, Some(w1), at, at + 0.5);
        let c = t.span("compute", &[], Some(r), at + 1.0, at + 101.0);
        t.poll(c, Some(pool), at + 1.0, at + 101.0);
        t.poll(r, Some(w1), at + 104.5, at + 105.0);
    }
    for at in [20.0, 120.0, 220.0, 320.0] {
        orders(&mut t, Some(w1), at, 80.0);
    }
    let a = judge_all(t);
    let j = row(&a, "GET /export");
    assert_eq!((j.pattern, j.verdict), (Pattern::SyncCpu, Verdict::Ok));
    let s = server(&a, "GET /export");
    assert_eq!(s.location_by, LocationBy::Threads);
    assert_eq!((s.blocking_threads, s.loop_threads, s.stalls), (1, 0, 0));
    assert!(s.evidence.iter().any(|e| matches!(
        e,
        ServerEvidence::RanOffLoop {
            requests: 3,
            of: 3,
            example: Some(Placement::OnBlockingThreads(d))
        } if *d == 100 * MS
    )));
    assert!(a.stalls.is_empty());
}

/// CLOSE-only: a request busy 1 ms whose child was busy 95 ms ran its work elsewhere while it
/// awaited it.
#[test]
fn a_child_busy_while_its_request_idles_ran_off_the_loop() {
    let mut t = Timeline::new();
    for at in [0.0, 200.0] {
        let r = t.request("GET /thumbnail", at, at + 100.0);
        t.close_only(r, 1.0);
        let c = t.span("resize", &[], Some(r), at + 2.0, at + 98.0);
        t.close_only(c, 95.0);
    }
    let a = judge_all(t);
    let j = row(&a, "GET /thumbnail");
    assert_eq!((j.pattern, j.verdict), (Pattern::SyncCpu, Verdict::Ok));
    let s = server(&a, "GET /thumbnail");
    assert_eq!(s.location_by, LocationBy::ChildWhileIdle);
    assert!(s.evidence.iter().any(|e| matches!(
        e,
        ServerEvidence::RanOffLoop {
            example: Some(Placement::ChildBusyWhileIdle { child_busy, busy }),
            ..
        } if *child_busy == 95 * MS && *busy == MS
    )));
    assert_eq!(a.notes, vec![Note::NoPolls]);
}

/// CLOSE-only, no threads: `/report` is busy its whole 100 ms; `/orders` requests (healthy
/// 80 ms, five of them started elsewhere) started while it ran took `extra` longer each.
fn impact_trace(extras: &[f64]) -> Timeline {
    let mut t = Timeline::new();
    for at in [1000.0, 2000.0] {
        let r = t.request("GET /report", at, at + 100.0);
        t.close_only(r, 100.0);
    }
    let close_only_orders = |t: &mut Timeline, at: f64, len: f64| {
        let r = t.request("GET /orders", at, at + len);
        t.close_only(r, 0.5);
        let db = t.span(
            "db",
            &[("db.system", "postgresql")],
            Some(r),
            at + 0.2,
            at + len - 0.2,
        );
        t.close_only(db, 0.1);
    };
    for at in [0.0, 200.0, 400.0, 600.0, 800.0] {
        close_only_orders(&mut t, at, 80.0);
    }
    for (i, extra) in extras.iter().enumerate() {
        close_only_orders(&mut t, 1010.0 + 20.0 * i as f64, 80.0 + extra);
    }
    t
}

/// Two observers are too few to judge; three that all waited ~half a poll settle it: the
/// work blocks the loop, and its busy time stands in for the stalls.
#[test]
fn effect_on_others_needs_three_observers() {
    let a = judge_all(impact_trace(&[50.0, 50.0]));
    let j = row(&a, "GET /report");
    assert_eq!((j.pattern, j.verdict), (Pattern::Unknown, Verdict::Unknown));
    let s = server(&a, "GET /report");
    assert_eq!(s.location_by, LocationBy::Unsettled);
    assert!(s.evidence.contains(&ServerEvidence::Unsettled {
        observers: 2,
        enough_observers: false,
        stretch: 0.5,
        // A CLOSE-only log: the advice asks for both.
        recorded: Recorded::default(),
    }));
    assert!(a.stalls.is_empty());

    let a = judge_all(impact_trace(&[50.0, 50.0, 50.0]));
    let j = row(&a, "GET /report");
    assert_eq!((j.pattern, j.verdict), (Pattern::AsyncCpu, Verdict::Bad));
    let s = server(&a, "GET /report");
    assert_eq!(s.location_by, LocationBy::Impact);
    let i = s.impact.expect("impact");
    assert_eq!((i.observers, i.delay_ms, i.stretch), (3, 50.0, 0.5));
    // No polls recorded: each request's busy time is one inferred stall.
    assert_eq!(a.stalls.len(), 2);
    assert!(a.stalls.iter().all(|x| x.source
        == StallSource::Inferred(Inferred::BusyTime { span: None })
        && x.duration() == 100 * MS));
    assert_eq!(s.stalls, 2);
}

/// Nobody waited: the work ran on its own thread.
#[test]
fn no_effect_on_others_means_off_the_loop() {
    let a = judge_all(impact_trace(&[0.0, 0.0, 0.0]));
    let j = row(&a, "GET /report");
    assert_eq!((j.pattern, j.verdict), (Pattern::SyncCpu, Verdict::Ok));
    assert_eq!(server(&a, "GET /report").location_by, LocationBy::Impact);
    assert!(a.stalls.is_empty());
}

/// A mean stretch of 0.03 with a wide band (-0.03..0.09) straddles both limits: not settled.
#[test]
fn a_band_straddling_the_limit_settles_nothing() {
    let a = judge_all(impact_trace(&[0.0, 0.0, 12.0, 0.0]));
    let s = server(&a, "GET /report");
    let i = s.impact.expect("impact");
    assert_eq!(
        (i.stretch, i.stretch_low, i.stretch_high),
        (0.03, -0.03, 0.09)
    );
    assert_eq!(s.location_by, LocationBy::Unsettled);
    assert!(s.evidence.contains(&ServerEvidence::Unsettled {
        observers: 4,
        enough_observers: true,
        stretch: 0.03,
        recorded: Recorded::default(),
    }));
    assert_eq!(row(&a, "GET /report").verdict, Verdict::Unknown);
}

/// Polls without thread ids: a long poll of an endpoint whose work delays others is placed on
/// the event loop, marked inferred.
#[test]
fn polls_without_threads_give_inferred_stalls() {
    let mut t = Timeline::new();
    for at in [1000.0, 2000.0] {
        let r = t.request("GET /report", at, at + 100.0);
        t.poll(r, None, at, at + 100.0);
    }
    for at in [0.0, 200.0, 400.0, 600.0, 800.0] {
        orders(&mut t, None, at, 80.0);
    }
    for at in [1010.0, 1030.0, 2010.0] {
        orders(&mut t, None, at, 130.0);
    }
    let a = judge_all(t);
    assert_eq!(row(&a, "GET /report").pattern, Pattern::AsyncCpu);
    assert_eq!(a.stalls.len(), 2);
    assert!(
        a.stalls
            .iter()
            .all(|x| x.source == StallSource::Inferred(Inferred::UnthreadedPoll))
    );
    assert!(
        server(&a, "GET /report")
            .evidence
            .contains(&ServerEvidence::Stalls {
                count: 2,
                threshold: 10 * MS,
                inferred: 2,
                longest: 100 * MS
            })
    );
    assert_eq!(a.notes, vec![Note::NoThreadIds]);
    // One worker at most seen at once; the count of workers is unknown.
    assert!(
        a.episodes
            .iter()
            .all(|e| e.max_at_once == 1 && e.workers == 0)
    );
}

/// When every request of an endpoint overlapped a stall, it has no healthy baseline: its
/// delay is not counted, and a note says so.
#[test]
fn no_healthy_baseline_is_said() {
    let mut t = Timeline::new();
    let w = [t.thread("w1"), t.thread("w2")];
    let r = t.request("GET /report", 100.0, 200.0);
    t.poll(r, Some(w[0]), 100.0, 200.0);
    for at in [0.0, 250.0] {
        orders(&mut t, Some(w[0]), at, 80.0);
        orders(&mut t, Some(w[1]), at + 5.0, 80.0);
    }
    let p = t.request("GET /ping", 120.0, 180.0);
    t.poll(p, Some(w[1]), 120.0, 120.1);
    t.poll(p, Some(w[1]), 179.9, 180.0);
    let a = judge_all(t);
    assert_eq!(a.notes, vec![Note::NoBaseline(vec!["GET /ping".into()])]);
    assert_eq!(a.victims.delayed_requests, 0);
}

/// ```text
/// t(ms)    0        100       200       300
/// /report  [══ busy 100 ══]   [══ busy 100 ══]   [1]  [1]   (two heavy, two light)
/// ```
/// Without `--request-span`, the light `/report` requests join its row: the endpoint is one row
/// of 4, not also "fast". With `--request-span request`, the same.
#[test]
fn an_endpoint_is_never_both_a_row_and_fast() {
    for request_span in [None, Some("request".to_string())] {
        let mut t = Timeline::new();
        for (at, len) in [(0.0, 100.0), (150.0, 100.0), (300.0, 1.0), (310.0, 1.0)] {
            let r = t.request("GET /report", at, at + len);
            t.close_only(r, len);
        }
        let cfg = Config {
            request_span: request_span.clone(),
            ..Config::default()
        };
        let a = analyze(&t.finish(), &cfg);
        assert_eq!(a.requests.len(), 4, "{request_span:?}");
        assert!(a.fast.is_empty(), "{request_span:?}: {:?}", a.fast);
        assert_eq!(a.judgements.len(), 1);
        assert_eq!(row(&a, "GET /report").count, 4);
        assert_eq!(server(&a, "GET /report").kind, RequestWork::Cpu);
    }
}

/// A `/report` request that awaits a 5 ms query, then computes 100 ms inline on `worker`; its
/// query span ends `wait` ms late when both workers were busy (waiting to be polled).
fn report_after_query(t: &mut Timeline, worker: Option<usize>, at: f64, wait: f64) -> S {
    let end = at + 5.5 + wait + 100.0;
    let r = t.request("GET /report", at, end);
    t.poll(r, worker, at, at + 0.2);
    let db = t.span(
        "db",
        &[("db.system", "postgresql")],
        Some(r),
        at + 0.3,
        at + 5.3 + wait,
    );
    t.poll(db, worker, at + 0.3, at + 0.4);
    let c = t.span("compute", &[], Some(r), at + 5.5 + wait, end);
    t.poll(r, worker, at + 5.5 + wait, end);
    t.poll(c, worker, at + 5.5 + wait, end);
    r
}

/// ```text
/// t(ms)   0     100    200    300    400
/// w1      [q][═ compute ═]      [q]........[═ compute ═]   the 3rd request's query ended
/// w2        [q][═ compute ═]                               while both workers computed:
///                                                          it waited 100 ms to be polled
/// ```
/// Issue 10 case 1: the request that waited for a worker is not "awaiting I/O". Its 100 ms poll
/// on a worker makes it CPU on the loop like its siblings: one row, every request a stall.
#[test]
fn waiting_to_be_polled_is_not_awaiting_io() {
    let mut t = Timeline::new();
    let w = [t.thread("w1"), t.thread("w2")];
    report_after_query(&mut t, Some(w[0]), 0.0, 0.0);
    report_after_query(&mut t, Some(w[1]), 2.0, 0.0);
    // Its query ended at ~8 ms, but it was polled again at ~108 ms, when w1 came free.
    report_after_query(&mut t, Some(w[0]), 3.0, 100.0);
    for (i, at) in [400.0, 420.0, 440.0, 460.0].into_iter().enumerate() {
        orders(&mut t, Some(w[i % 2]), at, 80.0);
    }
    let a = judge_all(t);
    let reports: Vec<&Judgement> = a
        .judgements
        .iter()
        .filter(|j| j.subject == "GET /report")
        .collect();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let j = reports[0];
    assert_eq!(
        (j.pattern, j.verdict, j.count),
        (Pattern::AsyncCpu, Verdict::Bad, 3)
    );
    let s = server(&a, "GET /report");
    assert_eq!(s.kind, RequestWork::Cpu);
    assert!(s.mixed.is_empty(), "{:?}", s.mixed);
    assert_eq!((s.stalls, s.longest_stall), (3, 100 * MS));
}

/// The same three requests known only from their close (`FmtSpan::CLOSE`): the busy time of
/// `compute` (100 ms, a stall's length) makes each one CPU-heavy, the one that waited for a
/// worker too: one kind of work, one row (where it ran is for the effect on others to say).
#[test]
fn waiting_to_be_polled_is_not_awaiting_io_close_only() {
    let mut t = Timeline::new();
    for (at, wait) in [(1000.0, 0.0), (2000.0, 100.0), (3000.0, 0.0)] {
        let end = at + 5.5 + wait + 100.0;
        let r = t.request("GET /report", at, end);
        t.close_only(r, 100.5);
        let db = t.span(
            "db",
            &[("db.system", "postgresql")],
            Some(r),
            at + 0.3,
            at + 5.3 + wait,
        );
        t.close_only(db, 0.1);
        let c = t.span("compute", &[], Some(r), at + 5.5 + wait, end);
        t.close_only(c, 100.0);
    }
    let a = judge_all(t);
    assert_eq!(a.judgements.len(), 1);
    let s = server(&a, "GET /report");
    assert_eq!((s.kind, s.requests.len()), (RequestWork::Cpu, 3));
    assert_eq!(s.heavy_name.as_deref(), Some("compute"));
    assert!(s.mixed.is_empty());
}

/// ```text
/// /orders   six requests awaiting their database (80 ms, short polls)       async-io
///           two that also ran 60 ms of CPU in one poll on a worker          stalls
/// /search   six awaiting, two with 5 ms of CPU on a worker (no stall)
/// ```
/// One endpoint, one row. Stalls decide: `/orders` is async-cpu, Bad, and says that 6 of its
/// 8 requests awaited I/O. Without a stall the most common behaviour decides: `/search` is
/// async-io, Good, and says that 2 of its 8 requests ran CPU on the loop.
#[test]
fn one_endpoint_one_row_the_worse_pattern_with_the_rest_counted() {
    let mut t = Timeline::new();
    let w = [t.thread("w1"), t.thread("w2")];
    for (i, at) in [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
        .into_iter()
        .enumerate()
    {
        orders(&mut t, Some(w[i % 2]), at, 80.0);
        let r = t.request("GET /search", at + 10.0, at + 90.0);
        t.poll(r, Some(w[(i + 1) % 2]), at + 10.0, at + 10.2);
        t.poll(r, Some(w[(i + 1) % 2]), at + 89.8, at + 90.0);
    }
    for (i, at) in [700.0, 800.0].into_iter().enumerate() {
        let r = orders(&mut t, Some(w[i]), at, 80.0);
        t.poll(r, Some(w[i]), at + 10.0, at + 70.0);
        let s = t.request("GET /search", at + 5.0, at + 25.0);
        t.poll(s, Some(w[1 - i]), at + 5.0, at + 10.0);
        t.poll(s, Some(w[1 - i]), at + 24.9, at + 25.0);
    }
    let a = judge_all(t);
    for e in ["GET /orders", "GET /search"] {
        assert_eq!(
            a.judgements.iter().filter(|j| j.subject == e).count(),
            1,
            "{e}"
        );
    }
    let o = row(&a, "GET /orders");
    assert_eq!(
        (o.pattern, o.verdict, o.count),
        (Pattern::AsyncCpu, Verdict::Bad, 8)
    );
    let so = server(&a, "GET /orders");
    assert_eq!((so.stalls, so.durations.len()), (2, 8));
    assert_eq!(so.mixed.len(), 1);
    assert_eq!(
        (
            so.mixed[0].pattern,
            so.mixed[0].requests,
            so.mixed[0].of,
            so.mixed[0].stalls
        ),
        (Pattern::AsyncIo, 6, 8, 0)
    );
    let s = row(&a, "GET /search");
    assert_eq!(
        (s.pattern, s.verdict, s.count),
        (Pattern::AsyncIo, Verdict::Good, 8)
    );
    let ss = server(&a, "GET /search");
    assert_eq!(ss.stalls, 0);
    assert_eq!(
        (
            ss.mixed[0].kind,
            ss.mixed[0].requests,
            ss.mixed[0].heavy_p50
        ),
        (RequestWork::Cpu, 2, 5 * MS + MS / 10)
    );
}

/// ```text
/// t(ms)    0        100       200
/// /thumb   [══ busy 100 ══]          four at once, each busy through its whole life
///          [══ busy 100 ══]
///          [══ busy 100 ══]
///          [══ busy 100 ══]
/// ```
/// Close-only, no threads: four sections that each held a thread throughout ran at once. With
/// two workers (`--workers 2`) they cannot all have been on the loop: sync-cpu, settled by
/// concurrency. Without a worker count nothing says so; half-busy sections prove nothing.
#[test]
fn more_held_at_once_than_workers_ran_off_the_loop() {
    let build = |busy: f64| {
        let mut t = Timeline::new();
        for burst in [0.0, 1000.0] {
            for i in 0..4 {
                let at = burst + i as f64;
                let r = t.request("GET /thumb", at, at + 100.0);
                // Entered around its child, as `parent.in_scope` in spawn_blocking does.
                t.close_only(r, busy + 0.2);
                let c = t.span("compute", &[], Some(r), at + 0.1, at + 99.9);
                t.close_only(c, busy);
            }
        }
        t.finish()
    };
    let with = |workers: Option<usize>, busy: f64| {
        let cfg = Config {
            workers,
            ..Config::default()
        };
        analyze(&build(busy), &cfg)
    };
    let a = with(Some(2), 99.8);
    let j = row(&a, "GET /thumb");
    assert_eq!(
        (j.pattern, j.verdict, j.count),
        (Pattern::SyncCpu, Verdict::Ok, 8)
    );
    let s = server(&a, "GET /thumb");
    assert_eq!(s.location_by, LocationBy::Concurrency);
    assert!(s.evidence.contains(&ServerEvidence::MoreAtOnceThanWorkers {
        at_once: 4,
        workers: 2,
        from: WorkersFrom::Option
    }));
    // Four workers could have run all four: not settled by concurrency.
    assert_ne!(
        server(&with(Some(4), 99.8), "GET /thumb").location_by,
        LocationBy::Concurrency
    );
    // No worker count, or sections busy half their life: not settled by concurrency.
    assert_ne!(
        server(&with(None, 99.8), "GET /thumb").location_by,
        LocationBy::Concurrency
    );
    assert_ne!(
        server(&with(Some(2), 50.0), "GET /thumb").location_by,
        LocationBy::Concurrency
    );
}
