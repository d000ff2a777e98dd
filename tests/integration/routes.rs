//! Endpoints from real request spans: routes, not URLs (issue 10, item 7), end to end on the
//! small logs in `tests/data/formats/routes/` (its README says what each shows).

use crate::support::{analyze, analyze_json, manifest_dir};
use serde_json::Value;
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    manifest_dir().join("tests/data/formats/routes").join(name)
}

/// `(endpoint, count)` of every verdict row, sorted.
fn rows(r: &Value) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = r["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| {
            (
                v["endpoint"].as_str().unwrap_or_default().to_string(),
                v["count"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The row of `endpoint`.
fn row<'a>(r: &'a Value, endpoint: &str) -> &'a Value {
    r["verdicts"]
        .as_array()
        .and_then(|v| v.iter().find(|v| v["endpoint"] == endpoint))
        .unwrap_or_else(|| panic!("no row for {endpoint}: {r}"))
}

/// The evidence sentences of a row that are about its route.
fn route_evidence(v: &Value) -> Vec<String> {
    v["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(Value::as_str)
        .filter(|e| e.starts_with("route "))
        .map(str::to_string)
        .collect()
}

/// 11 requests: 5 to `/users/<id>/profile` (decimal ids, a UUID, 8 hex), 2 to `/api/v2/orders`
/// (words stay), 2 to `/carts/<ULID or nanoid>/items/<n>` (from `url.full` with a host, and
/// `url.path`), 2 with `matched_path=/files/{*path}` beside a `uri` (the template wins).
#[test]
fn ids_collapse_into_one_endpoint_and_the_row_says_the_route_was_derived() {
    let r = analyze_json(&[], &[&data("ids.json")]);
    assert_eq!(r["inputs"][0]["requests"], 11);
    assert_eq!(
        rows(&r),
        vec![
            ("GET /api/v2/orders".to_string(), 2),
            ("GET /carts/{id}/items/{id}".to_string(), 2),
            ("GET /files/{*path}".to_string(), 2),
            ("GET /users/{id}/profile".to_string(), 5),
        ]
    );
    let users = row(&r, "GET /users/{id}/profile");
    let ev = route_evidence(users);
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(ev[0].starts_with("route derived from uri:"), "{ev:?}");
    assert!(
        users["row"]["pattern"]
            .as_str()
            .unwrap_or_default()
            .ends_with("GET /users/{id}/profile (5 req; route derived from uri)"),
        "{users}"
    );
    // The first path field of the first request names the origin (url.full, then url.path).
    let carts = route_evidence(row(&r, "GET /carts/{id}/items/{id}"));
    assert!(
        carts[0].starts_with("route derived from url.full:"),
        "{carts:?}"
    );
    // A template field is the service's own route: nothing to say.
    let files = row(&r, "GET /files/{*path}");
    assert_eq!(route_evidence(files), Vec::<String>::new());
    assert!(
        files["row"]["pattern"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(2 req)"),
        "{files}"
    );

    // Markdown says it too.
    let (code, md, _) = analyze(&data("ids.json"), &["--format", "markdown"]);
    assert_eq!(code, 0);
    assert!(
        md.contains("GET /users/{id}/profile (5 req; route derived from uri)"),
        "{md}"
    );
}

/// `--route`: the first rule whose regex matches the path makes the route (its match replaced
/// by the template); the row names the rule; paths no rule matches are derived as before.
#[test]
fn route_rules_state_routes_and_the_first_match_wins() {
    let r = analyze_json(
        &[
            "--route",
            "^/users/[^/]+/profile$=/users/{user}/profile",
            "--route",
            "^/users/=/never/",
            "--route",
            "^/carts/([^/]+)/items/[0-9]+$=/carts/$1/items/{item}",
        ],
        &[&data("ids.json")],
    );
    let rows = rows(&r);
    assert!(
        rows.contains(&("GET /users/{user}/profile".to_string(), 5)),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(
            "GET /carts/01ARZ3NDEKTSV4RRFFQ69G5FAV/items/{item}".to_string(),
            1
        )),
        "{rows:?}"
    );
    assert!(
        rows.contains(&("GET /api/v2/orders".to_string(), 2)),
        "{rows:?}"
    );
    assert!(!rows.iter().any(|(e, _)| e.contains("/never/")), "{rows:?}");
    let ev = route_evidence(row(&r, "GET /users/{user}/profile"));
    assert_eq!(
        ev,
        vec!["route from --route ^/users/[^/]+/profile$".to_string()]
    );
}

#[test]
fn a_bad_route_regex_is_a_usage_error() {
    let (code, stdout, stderr) = analyze(&data("ids.json"), &["--route", "^/users/(=/u"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("invalid --route regex '^/users/('"),
        "{stderr}"
    );
    let (code, _, stderr) = analyze(&data("ids.json"), &["--route", "/users"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("expected REGEX=TEMPLATE"), "{stderr}");
}

/// tower-http's `TraceLayer::new_for_http()` with no span events: each `finished processing
/// request` event is a request, from event time - latency to event time (10, 20, 30 ms to
/// `/users/<id>/profile`, 40 ms to `POST /orders`), in the default text format, the compact
/// one, and JSON with every `LatencyUnit` (all 12 ms).
#[test]
fn tower_http_response_events_are_requests() {
    for file in ["towerhttp-events.log", "towerhttp-compact.log"] {
        let r = analyze_json(&[], &[&data(file)]);
        assert_eq!(r["inputs"][0]["requests"], 4, "{file}");
        assert_eq!(
            rows(&r),
            vec![
                ("GET /users/{id}/profile".to_string(), 3),
                ("POST /orders".to_string(), 1),
            ],
            "{file}"
        );
        let users = row(&r, "GET /users/{id}/profile");
        assert_eq!(users["p50_ms"], 20.0, "{file}");
        assert_eq!(users["max_ms"], 30.0, "{file}");
        assert_eq!(row(&r, "POST /orders")["max_ms"], 40.0, "{file}");
        // Latency is not busy time: where the work ran is not claimed.
        assert_eq!(users["verdict"], "unknown", "{file}");
    }
    let r = analyze_json(&[], &[&data("towerhttp-events.json")]);
    assert_eq!(r["inputs"][0]["requests"], 4);
    assert_eq!(r["inputs"][0]["events"], 4);
    assert_eq!(
        r["inputs"][0]["skipped"], 4,
        "the started processing request events"
    );
    for v in r["verdicts"].as_array().expect("verdicts") {
        assert_eq!(v["max_ms"], 12.0, "{v}");
        assert_eq!(v["p50_ms"], 12.0, "{v}");
    }
}

/// The same requests with `FmtSpan::CLOSE`: the request span's own CLOSE (0.2 ms after the
/// event, busy 0.5 ms + idle) makes it the request; its event does not count it again.
#[test]
fn tower_http_spans_with_close_lines_are_counted_once() {
    for file in ["towerhttp-close.log", "towerhttp-close.json"] {
        let r = analyze_json(&[], &[&data(file)]);
        let input = &r["inputs"][0];
        assert_eq!(input["requests"], 4, "{file}");
        assert_eq!(input["events"], 4, "{file}: the CLOSE lines");
        assert_eq!(
            rows(&r),
            vec![
                ("GET /users/{id}/profile".to_string(), 3),
                ("POST /orders".to_string(), 1),
            ],
            "{file}"
        );
        let users = row(&r, "GET /users/{id}/profile");
        assert_eq!(
            users["p50_ms"], 20.2,
            "{file}: from the CLOSE's busy + idle"
        );
        assert_eq!(users["max_ms"], 30.2, "{file}");
    }
}
