//! The browser detectors on small models written inline.

use super::network::origin;
use super::*;
use crate::model::{
    BrowserData, LcpCandidate, MainThread, MainThreadTask, MainThreadWork, Navigation, ThreadIdx,
};

const MS: Ns = 1_000_000;

fn req(url: &str, sent: Ns, wait: Ns) -> NetworkRequest {
    NetworkRequest {
        request_id: format!("r{sent}{wait}"),
        url: url.into(),
        method: "GET".into(),
        start: sent,
        end: sent + wait + MS,
        server_wait: Some(wait),
        sent: Some(sent),
        first_byte: Some(sent + wait),
        ..NetworkRequest::default()
    }
}

fn trace_of(network: Vec<NetworkRequest>) -> Trace {
    Trace {
        network,
        ..Trace::default()
    }
}

/// ```text
/// sent:        0 ms: a, b, c (together)
/// first byte:  a 250, b 500, c 750   -> one at a time, 250 ms each
/// ```
#[test]
fn responses_one_after_another_look_serial() {
    let t = trace_of(vec![
        req("http://s.test/img?1", 0, 250 * MS),
        req("http://s.test/img?2", MS, 499 * MS),
        req("http://s.test/img?3", 2 * MS, 748 * MS),
    ]);
    let f = analyze(&t, &Config::default());
    assert_eq!(f.slow.len(), 1);
    assert_eq!(f.slow[0].endpoint, "GET http://s.test/img");
    assert_eq!(f.slow[0].requests, 3);
    let s = f.slow[0].serial.as_ref().expect("serial");
    assert_eq!((s.requests, s.processing), (3, 250 * MS));
    assert_eq!(
        (s.origin.as_str(), s.sent_within),
        ("http://s.test", 2 * MS)
    );
    assert_eq!((s.first_wait, s.last_wait), (250 * MS, 748 * MS));
}

/// Concurrent processing: all three answered after about the same time.
#[test]
fn responses_together_do_not_look_serial() {
    let t = trace_of(vec![
        req("http://s.test/img?1", 0, 250 * MS),
        req("http://s.test/img?2", MS, 251 * MS),
        req("http://s.test/img?3", 2 * MS, 252 * MS),
    ]);
    let f = analyze(&t, &Config::default());
    assert!(f.slow[0].serial.is_none());
}

/// Two at a time: answers come in pairs, not evenly spaced.
#[test]
fn two_at_a_time_is_not_one_at_a_time() {
    let t = trace_of(vec![
        req("http://s.test/a", 0, 250 * MS),
        req("http://s.test/a", MS, 250 * MS),
        req("http://s.test/a", 2 * MS, 500 * MS),
        req("http://s.test/a", 3 * MS, 500 * MS),
    ]);
    let f = analyze(&t, &Config::default());
    assert!(f.slow[0].serial.is_none());
}

/// The serial batch need not be the first requests to the origin: here the document comes
/// first alone, and the API calls later.
///
/// ```text
/// t (ms):  0 [doc 100]        1000: api x4 sent  -> first bytes 1300, 1600, 1900, 2200
/// ```
#[test]
fn serial_batch_later_in_the_page() {
    let mut doc = req("http://s.test/", 0, 100 * MS);
    doc.is_document = true;
    let t = trace_of(vec![
        doc,
        req("http://s.test/api/items?page=1", 1000 * MS, 300 * MS),
        req("http://s.test/api/items?page=2", 1001 * MS, 599 * MS),
        req("http://s.test/api/items?page=3", 1002 * MS, 898 * MS),
        req("http://s.test/api/items?page=4", 1003 * MS, 1197 * MS),
    ]);
    let f = analyze(&t, &Config::default());
    assert_eq!(f.slow.len(), 1, "the 100 ms document is not slow");
    let s = f.slow[0].serial.as_ref().expect("serial");
    assert_eq!((s.requests, s.processing), (4, 300 * MS));
}

/// DevTools' document rule rounds before comparing: 600.4 ms passes, 600.6 ms fails; other
/// requests use `--slow`.
#[test]
fn document_rule_rounds() {
    let mut a = req("http://s.test/", 0, 600_400_000);
    a.is_document = true;
    let mut b = req("http://t.test/", 0, 600_600_000);
    b.is_document = true;
    let c = req("http://u.test/x", 0, 199 * MS);
    let d = req("http://u.test/y", 0, 200 * MS);
    let f = analyze(&trace_of(vec![a, b, c, d]), &Config::default());
    let eps: Vec<&str> = f.slow.iter().map(|g| g.endpoint.as_str()).collect();
    assert_eq!(eps, ["GET http://t.test/", "GET http://u.test/y"]);
    assert_eq!(f.slow[0].documents, 1);
    // One Bad row per group, each saying which rule made it slow.
    let js = judgements(&f, &Config::default());
    let rows: Vec<(&str, Verdict, Unit, usize, SlowRule)> = js
        .iter()
        .map(|j| match &j.detail {
            Detail::SlowResponse(s) => (j.subject.as_str(), j.verdict, j.unit, j.count, s.rule),
            _ => panic!("{j:?}"),
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "GET http://t.test/",
                Verdict::Bad,
                Unit::Requests,
                1,
                SlowRule::Document
            ),
            (
                "GET http://u.test/y",
                Verdict::Bad,
                Unit::Requests,
                1,
                SlowRule::Slow(Config::default().slow)
            ),
        ]
    );
}

/// A text LCP has TTFB and render delay; an image LCP all four subparts, which add up.
///
/// ```text
/// t (ms):  0 nav   100 doc first byte   300 img sent   700 img loaded   900 LCP
/// ```
#[test]
fn lcp_subparts() {
    let mut doc = req("http://s.test/", 10 * MS, 90 * MS);
    doc.request_id = "N".into();
    doc.is_document = true;
    let mut img = req("http://s.test/hero.jpg", 300 * MS, 100 * MS);
    img.start = 300 * MS;
    img.finish_time = Some(700 * MS);
    let nav = |kind: &str| Navigation {
        id: "N".into(),
        url: "http://s.test/".into(),
        start: 0,
        main_frame: true,
        lcp: Some(LcpCandidate {
            at: 900 * MS,
            index: 2,
            kind: kind.into(),
            image_url: Some("http://s.test/hero.jpg".into()),
        }),
        ..Navigation::default()
    };
    let mut t = trace_of(vec![doc, img]);
    t.browser.navigations = vec![nav("image")];
    let f = analyze(&t, &Config::default());
    let n = &f.navigations[0];
    assert_eq!(n.lcp, Some(900 * MS));
    let p = n.phases.expect("phases");
    assert_eq!(
        (p.ttfb, p.load_delay, p.load_duration, p.render_delay),
        (100 * MS, Some(200 * MS), Some(400 * MS), 200 * MS)
    );
    t.browser.navigations = vec![nav("text")];
    let p = analyze(&t, &Config::default()).navigations[0]
        .phases
        .expect("phases");
    assert_eq!(
        (p.ttfb, p.load_delay, p.render_delay),
        (100 * MS, None, 800 * MS)
    );
}

#[test]
fn main_thread_figures_and_verdict() {
    let task = |start: Ns, dur: Ns| MainThreadTask {
        name: "RunTask".into(),
        start,
        duration: dur,
        work: MainThreadWork::default(),
    };
    let mut t = trace_of(vec![]);
    t.browser = BrowserData {
        main_threads: vec![MainThread {
            thread: ThreadIdx(0),
            pid: "1".into(),
            tid: "2".into(),
            run_tasks: 10,
            tasks: vec![
                task(0, 80 * MS),
                task(100 * MS, 60 * MS),
                task(200 * MS, 50 * MS),
            ],
            legacy_tasks: vec![],
        }],
        ..BrowserData::default()
    };
    let f = analyze(&t, &Config::default());
    let m = &f.main_threads[0];
    assert_eq!(
        (m.long_tasks, m.long_task_total, m.longest),
        (2, 140 * MS, Some(80 * MS))
    );
    assert_eq!(m.blocking, 40 * MS, "a task of exactly 50 ms is not long");
    assert_eq!(f.long_tasks[1].blocking, 10 * MS);
    let js = judgements(&f, &Config::default());
    let [j] = &js[..] else {
        panic!("one verdict: {js:?}")
    };
    assert_eq!(
        (j.pattern, j.verdict, j.unit, j.count, j.subject.as_str()),
        (
            Pattern::MainThreadLongTasks,
            Verdict::Bad,
            Unit::LongTasks,
            2,
            "renderer 1:2"
        )
    );
    let Detail::LongTasks(l) = &j.detail else {
        panic!("{j:?}")
    };
    assert_eq!(
        l.evidence,
        BrowserEvidence::TasksOverLongTaskRule {
            long: 2,
            run_tasks: 10,
            total: 140 * MS,
            blocking: 40 * MS
        }
    );
}

#[test]
fn origins() {
    assert_eq!(origin("https://a.test:8080/x?y"), "https://a.test:8080");
    assert_eq!(origin("https://a.test?q"), "https://a.test");
    assert_eq!(origin("file:///tmp/x.html"), "file://");
}
