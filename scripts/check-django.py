#!/usr/bin/env python3
"""Independent figures for sample-traces/django/, computed from the files alone, without stallscope.

For every recording of the example Django shop (examples/django/, scripts/record-django.sh):

* OTLP/JSON lines (*.otlp*.jsonl) and Zipkin v2 JSON (*.zipkin.json): a request is a SERVER span;
  its view is method + http.route (the span name when the route is absent: Django drops an empty
  route, so the page `path("")` is `GET home`). Per view: requests and nearest-rank p50/p95/max of
  the server span in ms. The server model the file shows, and why (see server_model()). Under a
  shared event loop: which requests ran CPU (an INTERNAL span, no I/O) of 10 ms or more on the loop
  thread. Also what the spans show about where Django runs the view (thread of the server span vs
  thread of the view's children), when the spans carry thread.name.
* viztracer (*.viztracer.json): the view functions' calls (count, p50/p95/max of the call, the
  track they ran on) and the CPU loop's calls of 10 ms or more on asyncio Task tracks (the event
  loop) vs on real threads.
* asyncio debug log (*.asyncio-debug.log): every slow-callback line, its coroutine and time, and the
  request of the same run (clients/<recording>.requests.jsonl) whose CPU view it falls in.
* clients/*.requests.jsonl (the load generator's log): client-side p50/max per phase and path.

usage: scripts/check-django.py [--write] [--markdown]
  --write     also writes sample-traces/django/expected.json
  --markdown  prints the figures section of sample-traces/django/README.md instead of the JSON
"""
import gzip
import json
import math
import re
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

DIR = Path(__file__).resolve().parent.parent / "sample-traces" / "django"
STALL_MS = 10.0
KINDS = {1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER", 0: "INTERNAL"}

# The correct verdict of each view (README.md says why): by what the view does, which the spans
# show (an httpx CLIENT child vs a long INTERNAL child, and where it ran), never by its name.
VERDICTS = {
    "asgi": {
        "GET /inventory/": ("async-io", "good"),
        "GET /leaderboard/": ("async-cpu", "bad"),
        "GET /shipping/": ("sync-io", "bad"),
        "GET /invoice/": ("sync-cpu", "ok"),
    },
    # Under WSGI every view holds a pool thread for the whole request: an async view runs in an
    # event loop of its own (asgiref's async_to_sync), so it behaves as the sync view of its row.
    "wsgi": {
        "GET /inventory/": ("sync-io", "bad"),
        "GET /leaderboard/": ("sync-cpu", "ok"),
        "GET /shipping/": ("sync-io", "bad"),
        "GET /invoice/": ("sync-cpu", "ok"),
    },
}


def r2(x):
    """Rounds half up to 0.01 ms from whole nanoseconds, as stallscope does."""
    return ((round(x * 1e6) + 5000) // 10000) / 100


def pct(values, p):
    v = sorted(values)
    return v[max(1, math.ceil(p / 100 * len(v))) - 1]


def stats(ms):
    return {"requests": len(ms), "p50_ms": r2(pct(ms, 50)), "p95_ms": r2(pct(ms, 95)), "max_ms": r2(max(ms))}


def opener(path):
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def any_value(v):
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [any_value(x) for x in v["arrayValue"].get("values", [])]
    return v


def otlp_spans(path):
    with opener(path) as f:
        for line in f:
            for rs in json.loads(line)["resourceSpans"]:
                for ss in rs["scopeSpans"]:
                    for s in ss["spans"]:
                        yield {
                            "trace": s["traceId"], "id": s["spanId"], "parent": s.get("parentSpanId") or None,
                            "name": s["name"], "kind": KINDS[s.get("kind", 0)],
                            "start": int(s["startTimeUnixNano"]), "end": int(s["endTimeUnixNano"]),
                            "attrs": {a["key"]: any_value(a["value"]) for a in s.get("attributes", [])},
                        }


def zipkin_spans(path):
    with opener(path) as f:
        for s in json.load(f):
            yield {
                "trace": s["traceId"], "id": s["id"], "parent": s.get("parentId"),
                "name": s.get("name", ""), "kind": s.get("kind") or "INTERNAL",
                "start": s["timestamp"] * 1000, "end": (s["timestamp"] + s.get("duration", 0)) * 1000,
                "attrs": dict(s.get("tags", {})),
            }


def view_of(server):
    a = server["attrs"]
    method = a.get("http.method") or a.get("http.request.method") or "GET"
    route = a.get("http.route")
    return f"{method} /{route}" if route is not None else server["name"]


def overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def max_in_flight(spans):
    edges = sorted([(s["start"], 1) for s in spans] + [(s["end"], -1) for s in spans])
    now = best = 0
    for _, d in edges:
        now += d
        best = max(best, now)
    return best


def loop_threads(spans):
    """Threads on which spans of two different requests overlap in time: one thread interleaving
    requests is an event loop (a pool thread or a per-request thread runs one request at a time)."""
    by_thread = defaultdict(list)
    for s in spans:
        if "thread.name" in s["attrs"]:
            by_thread[s["attrs"]["thread.name"]].append(s)
    shared = {}
    for name, ss in by_thread.items():
        ss.sort(key=lambda s: s["start"])
        pairs, open_ = 0, []
        for s in ss:
            open_ = [o for o in open_ if o["end"] > s["start"]]
            pairs += sum(1 for o in open_ if o["trace"] != s["trace"])
            open_.append(s)
        if pairs:
            shared[name] = {"spans": len(ss), "requests": len({s["trace"] for s in ss}), "overlapping_pairs": pairs}
    return shared, by_thread


def server_model(spans, servers, children):
    """ASGI when one thread interleaves requests (thread attributes) or, without them, when a view's
    CPU spans never overlap one another although its requests do (one thread ran them in turn);
    WSGI when requests never share a thread and at most K (the pool) are ever in flight at once
    although more clients were waiting, shown by every view's CPU spans overlapping."""
    evidence = []
    has_threads = any("thread.name" in s["attrs"] for s in spans)
    inflight = max_in_flight(servers)
    if has_threads:
        shared, by_thread = loop_threads(spans)
        server_threads = defaultdict(list)
        for s in servers:
            server_threads[s["attrs"].get("thread.name")].append(s)
        reused = sum(1 for v in server_threads.values() if len(v) > 1)
        if shared:
            name, info = max(shared.items(), key=lambda kv: kv[1]["requests"])
            evidence.append(f"thread {name} ran spans of {info['requests']} requests, "
                            f"{info['overlapping_pairs']} pairs of them overlapping in time: one thread "
                            f"interleaving requests is an event loop")
            evidence.append(f"{len(server_threads)} distinct threads opened the {len(servers)} server spans "
                            f"({reused} of them opened more than one): Django's sync middleware runs through "
                            f"sync_to_async, a new thread per request")
            return {"model": "asgi", "loop_thread": name, "evidence": evidence, "max_in_flight": inflight}
        evidence.append(f"no thread ever ran two requests at once; {len(server_threads)} threads opened the "
                        f"{len(servers)} server spans, {reused} of them more than one request "
                        f"(a pool), at most {inflight} requests in flight at once")
        off = 0
        for s in servers:
            kids = children.get(s["id"], [])
            if kids and all(k["attrs"].get("thread.name") != s["attrs"].get("thread.name") for k in kids):
                off += 1
        if off:
            evidence.append(f"{off} requests' child spans ran on a thread other than their server span's, "
                            f"each a thread of its own (async views run by async_to_sync in a loop per request)")
        return {"model": "wsgi", "pool_threads": reused, "evidence": evidence, "max_in_flight": inflight}
    # No thread attributes: timing only.
    cpu = defaultdict(list)
    req = defaultdict(list)
    for s in servers:
        req[view_of(s)].append(s)
        for k in children.get(s["id"], []):
            if k["kind"] == "INTERNAL" and (k["end"] - k["start"]) / 1e6 >= STALL_MS:
                cpu[view_of(s)].append(k)
    serial = []
    for view, ks in sorted(cpu.items()):
        req_pairs = sum(1 for i, a in enumerate(req[view]) for b in req[view][i + 1:] if overlaps(a, b))
        cpu_pairs = sum(1 for i, a in enumerate(ks) for b in ks[i + 1:] if overlaps(a, b))
        evidence.append(f"{view}: {len(ks)} CPU spans, {cpu_pairs} overlapping pairs of them; "
                        f"{req_pairs} overlapping pairs of its requests")
        if cpu_pairs == 0 and req_pairs > 0:
            serial.append(view)
    evidence.append(f"at most {inflight} requests in flight at once")
    if serial:
        evidence.append(f"{', '.join(serial)}: CPU spans never overlap although the requests do: "
                        f"one thread ran them in turn, a shared event loop")
        return {"model": "asgi", "serialized_views": serial, "evidence": evidence, "max_in_flight": inflight}
    if cpu:
        evidence.append(f"every view's CPU spans overlap (work on several threads at once) and never more "
                        f"than {inflight} requests in flight: a pool of {inflight} threads")
        return {"model": "wsgi", "pool_threads": inflight, "evidence": evidence, "max_in_flight": inflight}
    return {"model": "unknown", "evidence": evidence, "max_in_flight": inflight}


def analyze_spans(name, spans):
    spans = list(spans)
    servers = [s for s in spans if s["kind"] == "SERVER"]
    children = defaultdict(list)
    for s in spans:
        if s["parent"]:
            children[s["parent"]].append(s)
    # Grandchildren count too (an httpx span under a manual span): flatten per server span.
    def descendants(sid):
        for k in children.get(sid, []):
            yield k
            yield from descendants(k["id"])
    flat = {s["id"]: list(descendants(s["id"])) for s in servers}
    model = server_model(spans, servers, flat)
    per_view = defaultdict(list)
    for s in servers:
        per_view[view_of(s)].append((s["end"] - s["start"]) / 1e6)
    out = {"spans": len(spans), "requests": len(servers), "server_model": model, "endpoints": {}}
    verdicts = VERDICTS.get(model["model"], {})
    for view in sorted(per_view):
        e = stats(per_view[view])
        if view in verdicts:
            e["pattern"], e["verdict"] = verdicts[view]
        out["endpoints"][view] = e
    # Where Django ran each view's work, when the spans say (thread of server span vs children).
    if any("thread.name" in s["attrs"] for s in spans):
        where = defaultdict(lambda: defaultdict(int))
        for s in servers:
            st = s["attrs"].get("thread.name", "?")
            for k in flat[s["id"]]:
                kt = k["attrs"].get("thread.name", "?")
                label = ("MainThread" if kt == "MainThread" else
                         "the server span's thread" if kt == st else "another thread")
                where[view_of(s)][f"{k['kind']} {k['name']} on {label}"] += 1
        out["children_threads"] = {v: dict(w) for v, w in sorted(where.items())}
        out["server_span_threads"] = {
            v: sorted({re.sub(r"\d+", "N", s["attrs"].get("thread.name", "?")) for s in servers if view_of(s) == v})
            for v in sorted(per_view)}
    # CPU on the event loop thread at or over STALL_MS.
    stalls = []
    if model["model"] == "asgi":
        for s in servers:
            for k in flat[s["id"]]:
                ms = (k["end"] - k["start"]) / 1e6
                if k["kind"] != "INTERNAL" or ms < STALL_MS:
                    continue
                on_loop = (k["attrs"].get("thread.name") == model["loop_thread"] if "loop_thread" in model
                           else view_of(s) in model.get("serialized_views", []))
                if on_loop:
                    rid = s["attrs"].get("http.request.header.x_request_id")
                    if isinstance(rid, list):
                        rid = rid[0]
                    stalls.append({"request": rid, "view": view_of(s), "span": k["name"], "ms": r2(ms),
                                   "start_ns": k["start"]})
        stalls.sort(key=lambda x: x["start_ns"])
        # Victims: per view of light requests (an httpx CLIENT child, nothing heavy), those whose
        # server span overlaps a stall against the rest.
        out["light_requests_beside_loop_cpu"] = {}
        for view in sorted({view_of(s) for s in servers}):
            light = [s for s in servers if view_of(s) == view and any(k["kind"] == "CLIENT" for k in flat[s["id"]])
                     and not any(k["kind"] == "INTERNAL" for k in flat[s["id"]])]
            if not light:
                continue
            hit, clear = [], []
            for s in light:
                (hit if any(s["start"] < x["start_ns"] + x["ms"] * 1e6 and x["start_ns"] < s["end"]
                            for x in stalls) else clear).append((s["end"] - s["start"]) / 1e6)
            out["light_requests_beside_loop_cpu"][view] = {
                "overlapping": stats(hit) if hit else {"requests": 0},
                "not_overlapping": stats(clear) if clear else {"requests": 0},
            }
    out["stalls"] = len(stalls)
    out["loop_cpu"] = stalls
    derive_patterns(out, servers, flat, model, stalls)
    if not any("thread.name" in s["attrs"] for s in spans):
        timing_alone(out, servers, flat)
    return out


def timing_alone(out, servers, flat):
    """What timing alone can settle, by the rules stallscope states for spans without threads
    (README, "Spans without threads"), computed here independently: per view, its CPU spans
    (INTERNAL, 10 ms or more) ran in turn when none of them overlap although at least 3 pairs of
    its requests do (async-cpu, on the shared loop), at once when any two overlap (sync-cpu);
    its CLIENT spans, against the windows of the views found in turn: a start or end strictly
    inside a window, twice or more, means a thread of their own waited (sync-io); none, with at
    least 3 spans crossing a window, means awaited on the loop (async-io); else unknown."""
    by_view = defaultdict(list)
    for s in servers:
        by_view[view_of(s)].append(s)
    def pairs(iv):
        return sum(1 for i, a in enumerate(iv) for b in iv[i + 1:] if a[0] < b[1] and b[0] < a[1])
    windows, cpu_views = [], {}
    for view, reqs in sorted(by_view.items()):
        secs = [(k["start"], k["end"]) for s in reqs for k in flat[s["id"]]
                if k["kind"] == "INTERNAL" and (k["end"] - k["start"]) / 1e6 >= STALL_MS]
        if not secs:
            continue
        with_secs = [(s["start"], s["end"]) for s in reqs
                     if any(k["kind"] == "INTERNAL" and (k["end"] - k["start"]) / 1e6 >= STALL_MS
                            for k in flat[s["id"]])]
        sp, rp = pairs(secs), pairs(with_secs)
        if sp > 0:
            res = ("sync-cpu", "ok")
        elif rp >= 3:
            res = ("async-cpu", "bad")
            windows += secs
        else:
            res = ("unknown", "unknown")
        cpu_views[view] = {"pattern": res[0], "verdict": res[1], "sections": len(secs),
                           "overlapping_section_pairs": sp, "overlapping_request_pairs": rp}
    for view, reqs in sorted(by_view.items()):
        if view in cpu_views:
            out["endpoints"][view]["timing_alone"] = cpu_views[view]
            continue
        calls = [(k["start"], k["end"]) for s in reqs for k in flat[s["id"]] if k["kind"] == "CLIENT"]
        if not calls:
            continue
        crossing = sum(1 for c in calls if any(c[0] < b and a < c[1] for a, b in windows))
        inside = sum(1 for c in calls for t in c if any(a < t < b for a, b in windows))
        if inside >= 2:
            res = ("sync-io", "bad")
        elif inside == 0 and crossing >= 3:
            res = ("async-io", "good")
        else:
            res = ("unknown", "unknown")
        out["endpoints"][view]["timing_alone"] = {"pattern": res[0], "verdict": res[1], "calls": len(calls),
                                                  "crossing_a_loop_window": crossing,
                                                  "starts_ends_inside_a_window": inside,
                                                  "loop_windows": len(windows)}


def derive_patterns(out, servers, flat, model, stalls):
    """The pattern each view's behaviour shows, beside the known answer (VERDICTS): what work its
    children show (a CLIENT span: I/O; an INTERNAL span of 10 ms or more: CPU), and whether that
    work ran on the shared loop: under WSGI never (a pool thread per request); under ASGI, with
    thread attributes, when the children are on the loop thread; without them, CPU spans that
    never overlap one another (see server_model), and CLIENT spans stretched by the loop's stalls
    (an await ends only when the loop is free again: p50 of those overlapping a stall at least 1.5x
    that of the rest; below that, off the loop: a call on a thread of its own is slowed only by GIL
    hand-offs, a few 5 ms switch intervals)."""
    windows = [(x["start_ns"], x["start_ns"] + x["ms"] * 1e6) for x in stalls]
    by_view = defaultdict(list)
    for s in servers:
        by_view[view_of(s)].append(s)
    for view, reqs in by_view.items():
        kids = [k for s in reqs for k in flat[s["id"]]]
        cpu = [k for k in kids if k["kind"] == "INTERNAL" and (k["end"] - k["start"]) / 1e6 >= STALL_MS]
        io = [k for k in kids if k["kind"] == "CLIENT"]
        if not cpu and not io:
            continue
        work = "cpu" if cpu else "io"
        how = ""
        if model["model"] == "wsgi":
            where, how = "off", "WSGI: a pool thread per request"
        elif model["model"] != "asgi":
            where = "unknown"
        elif "loop_thread" in model:
            on = sum(1 for k in (cpu or io) if k["attrs"].get("thread.name") == model["loop_thread"])
            where = "on" if on == len(cpu or io) else "off" if on == 0 else "mixed"
            how = f"{on} of {len(cpu or io)} {'CPU' if cpu else 'CLIENT'} spans on {model['loop_thread']}"
        elif cpu:
            where = "on" if view in model.get("serialized_views", []) else "off"
            how = "CPU spans never overlap" if where == "on" else "CPU spans overlap one another"
        else:
            hit = [(k["end"] - k["start"]) / 1e6 for k in io
                   if any(k["start"] < b and a < k["end"] for a, b in windows)]
            clear = [(k["end"] - k["start"]) / 1e6 for k in io
                     if not any(k["start"] < b and a < k["end"] for a, b in windows)]
            if len(hit) < 3 or not clear:
                where, how = "unknown", f"{len(hit)} CLIENT spans overlap a loop stall"
            else:
                ratio = pct(hit, 50) / pct(clear, 50)
                where = "on" if ratio >= 1.5 else "off"
                how = (f"CLIENT spans overlapping a loop stall: {len(hit)}, p50 {r2(pct(hit, 50))} ms; "
                       f"the other {len(clear)}: p50 {r2(pct(clear, 50))} ms")
        derived = {"on": f"async-{work}", "off": f"sync-{work}"}.get(where, "unknown")
        e = out["endpoints"][view]
        e["derived_pattern"] = derived
        e["derived_from"] = how
        if "pattern" in e and derived != e["pattern"]:
            print(f"NOTE: {view}: behaviour shows {derived} ({how}), the known answer is {e['pattern']}",
                  file=sys.stderr)


# viztracer ------------------------------------------------------------------------------------

VIEWS = ("inventory", "leaderboard", "shipping", "invoice", "home")


def analyze_viztracer(path):
    with opener(path) as f:
        doc = json.load(f)
    names, loop_tids, calls = {}, set(), defaultdict(list)
    for e in doc["traceEvents"]:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
    for e in doc["traceEvents"]:
        if e.get("ph") != "X":
            continue
        fn = e["name"].split(" (", 1)[0]
        if fn in ("BaseEventLoop._run_once", "Handle._run"):
            loop_tids.add(e["tid"])
        if "shopsite/views.py" in e["name"] and (fn in VIEWS or fn == "tally"):
            calls[fn].append(e)
    out = {"events": len(doc["traceEvents"]), "overflow": doc.get("viztracer_metadata", {}).get("overflow"),
           "loop_threads": sorted({names.get(t, str(t)) for t in loop_tids}), "views": {}}

    def track(e):
        n = names.get(e["tid"], str(e["tid"]))
        return "Task" if n.startswith("Task-") else re.sub(r"\d+", "N", n)

    # One request of an async view is one asyncio Task (Django's process_request): its track holds
    # the coroutine's pieces (a coroutine frame is logged per resumption), so a request lasts from
    # its first piece to the end of its last. A sync view's call on a real thread is one request.
    for fn in VIEWS:
        if not calls.get(fn):
            continue
        per_req = defaultdict(list)
        for i, e in enumerate(calls[fn]):
            key = e["tid"] if names.get(e["tid"], "").startswith("Task-") else ("call", i)
            per_req[key].append(e)
        ms = [(max(e["ts"] + e["dur"] for e in es) - min(e["ts"] for e in es)) / 1e3 for es in per_req.values()]
        st = stats(ms)
        st["calls"] = len(calls[fn])
        st["tracks"] = sorted({track(e) for e in calls[fn]})
        out["views"][fn] = st
    # The CPU loop: on a Task track it ran inside a coroutine on the event loop thread; on a real
    # thread it ran off the loop (sync view in its own thread).
    tallies = calls.get("tally", [])
    on_loop = [e for e in tallies if names.get(e["tid"], "").startswith("Task-") and e["dur"] / 1e3 >= STALL_MS]
    off_loop = [e for e in tallies if not names.get(e["tid"], "").startswith("Task-")]
    out["tally_on_loop_ge_10ms"] = len(on_loop)
    out["tally_on_loop_ms"] = stats([e["dur"] / 1e3 for e in on_loop]) if on_loop else {}
    out["tally_off_loop"] = len(off_loop)
    out["tally_off_loop_threads"] = sorted({re.sub(r"\d+", "N", names.get(e["tid"], "?")) for e in off_loop})
    out["server_model"] = {
        "model": "asgi" if on_loop else "unknown",
        "evidence": [f"{len(on_loop)} calls of the view's CPU loop of 10 ms or more ran inside asyncio Tasks "
                     f"(--log_async Task-N tracks), i.e. on the event loop thread "
                     f"({', '.join(out['loop_threads']) or 'thread running BaseEventLoop._run_once'})",
                     f"{len(off_loop)} ran on real threads {out['tally_off_loop_threads']}"]}
    out["stalls"] = len(on_loop)
    return out


# asyncio debug log -----------------------------------------------------------------------------

SLOW = re.compile(r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) WARNING:asyncio:Executing (?P<what><.*>) "
                  r"took (?P<s>[0-9.]+) seconds$")


def analyze_asyncio(path, clients):
    stalls = []
    with opener(path) as f:
        for n, line in enumerate(f, 1):
            m = SLOW.match(line.rstrip("\n"))
            if not m:
                continue
            end = datetime.strptime(m["ts"], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=timezone.utc)
            end_ns = int(end.timestamp() * 1e9)
            took = float(m["s"])
            coro = re.search(r"coro=<([^(]+)\(", m["what"])
            # Requests in flight at the client over the whole stall (the log's times are whole ms).
            busy = [c for c in clients if c["start_ns"] <= end_ns - took * 1e9 + 5e6 and end_ns - 5e6 <= c["end_ns"]]
            stalls.append({"line": n, "took_ms": took * 1e3, "coro": coro[1] if coro else m["what"][:40],
                           "end": m["ts"], "requests": sorted(c["id"] for c in busy if c["path"] == "/leaderboard/"),
                           "in_flight": sorted({c["path"] for c in busy})})
    out = {"stalls": len(stalls),
           "took_ms": stats([s["took_ms"] for s in stalls]) if stalls else {},
           "coros": sorted({s["coro"] for s in stalls}),
           "matched_to_a_leaderboard_request": sum(1 for s in stalls if s["requests"]),
           "leaderboard_requests": sum(1 for c in clients if c["path"] == "/leaderboard/"),
           "server_model": {"model": "asgi", "evidence": [
               "the run is uvicorn; the log's lines have no thread: the file alone cannot tell a shared "
               "loop from asgiref's per-request loops under WSGI"]}}
    for s in stalls:
        s["took_ms"] = r2(s["took_ms"])
    out["lines"] = stalls
    return out


def client_log(name):
    p = DIR / "clients" / f"{name}.requests.jsonl"
    return [json.loads(line) for line in open(p)] if p.exists() else []


def client_summary(rows):
    by = defaultdict(list)
    for r in rows:
        by[(r["phase"], r["path"].split("?")[0] + ("?as=png" if "as=png" in r["path"] else ""))].append(r["ms"])
    return {f"{ph} {p}": {"requests": len(v), "p50_ms": round(pct(v, 50), 2), "max_ms": round(max(v), 2)}
            for (ph, p), v in sorted(by.items())}


def markdown(d):
    """The figures section of sample-traces/django/README.md, from expected.json's content."""
    out = ["| file | model | view | requests | p50 | p95 | max | correct pattern, verdict | behaviour shows |",
           "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    # The Zipkin files are the same runs as the *.otlp-threads.jsonl files: same figures (to the µs).
    spans = {f: v for f, v in d.items() if v["format"] != "zipkin-json"}
    for f, v in spans.items():
        for e, w in v.get("endpoints", {}).items():
            pv = f"`{w['pattern']}`, {w['verdict']}" if "pattern" in w else "fast, not judged"
            out.append(f"| `{f}` | {v['server_model']['model']} | `{e}` | {w['requests']} | {w['p50_ms']:.2f} | "
                       f"{w['p95_ms']:.2f} | {w['max_ms']:.2f} | {pv} | {w.get('derived_pattern', '-')} |")
    out += ["", "How the behaviour column was found (`derived_from` in expected.json):", ""]
    for f, v in spans.items():
        for e, w in v.get("endpoints", {}).items():
            if w.get("derived_from"):
                out.append(f"- `{f}` `{e}`: {w['derived_from']}")
    out += ["", "Timing alone (`timing_alone` in expected.json; files without thread attributes, stallscope's",
            "rules for spans without threads, computed independently):", "",
            "| file | view | timing alone | figures |", "| --- | --- | --- | --- |"]
    for f, v in spans.items():
        for e, w in v.get("endpoints", {}).items():
            t = w.get("timing_alone")
            if not t:
                continue
            figs = ", ".join(f"{k} {x}" for k, x in t.items() if k not in ("pattern", "verdict"))
            out.append(f"| `{f}` | `{e}` | `{t['pattern']}`, {t['verdict']} | {figs} |")
    out += ["", "Loop CPU of 10 ms or more (`tally` on the loop thread; without thread attributes: the CPU spans",
            "that never overlap), and the light requests whose server span overlaps one, against the rest:", "",
            "| file | stalls | stall ms p50 / max | view | overlapping a stall: n, p50 ms | the rest: n, p50 ms |",
            "| --- | ---: | --- | --- | --- | --- |"]
    for f, v in spans.items():
        if "loop_cpu" not in v:
            continue
        ms = [x["ms"] for x in v["loop_cpu"]]
        if not ms:
            out.append(f"| `{f}` | 0 | - | - | - | - |")
            continue
        for view, l in v["light_requests_beside_loop_cpu"].items():
            o, n = l["overlapping"], l["not_overlapping"]
            out.append(f"| `{f}` | {v['stalls']} | {pct(ms, 50):.2f} / {max(ms):.2f} | `{view}` | "
                       f"{o['requests']}, {o.get('p50_ms', '-')} | {n['requests']}, {n.get('p50_ms', '-')} |")
    for f, v in d.items():
        if v["format"] != "viztracer":
            continue
        out += ["", f"`{f}` (half the load; a request of an async view = its Task track, first to last event):", "",
                "| view | requests | p50 | p95 | max | track |", "| --- | ---: | ---: | ---: | ---: | --- |"]
        for k, w in v["views"].items():
            out.append(f"| `{k}` | {w['requests']} | {w['p50_ms']:.2f} | {w['p95_ms']:.2f} | {w['max_ms']:.2f} | "
                       f"{', '.join(w['tracks'])} |")
        t = v["tally_on_loop_ms"]
        out += ["", f"`tally` of 10 ms or more on Task tracks (the loop): {v['tally_on_loop_ge_10ms']} (p50 "
                    f"{t.get('p50_ms')} ms, max {t.get('max_ms')} ms); on real threads: {v['tally_off_loop']} "
                    f"({', '.join(v['tally_off_loop_threads'])}). Loop thread: {', '.join(v['loop_threads'])}."]
    for f, a in d.items():
        if a["format"] != "asyncio-debug-log":
            continue
        out += ["", f"`{f}`: {a['stalls']} slow-callback lines (`Executing <Task ... coro=<"
                    f"{', '.join(a['coros'])}() ...> took N seconds`), took p50 {a['took_ms']['p50_ms']} ms, max "
                    f"{a['took_ms']['max_ms']} ms; {a['matched_to_a_leaderboard_request']} fall inside `/leaderboard/` "
                    f"requests of the client log ({a['leaderboard_requests']} such requests: steps under asyncio's "
                    f"0.1 s threshold are not logged, and a line cannot say which of the concurrent `/leaderboard/` "
                    f"requests it belongs to)."]
        for x in a["lines"]:
            if not x["requests"]:
                out.append(f"Line {x['line']} ({x['took_ms']} ms, ending {x['end']}) falls in no `/leaderboard/` "
                           f"request: only {', '.join('`' + p + '`' for p in x['in_flight'])} were in flight.")
    return "\n".join(out)


def main():
    expected = {}
    for path in sorted(DIR.glob("*")):
        if path.is_dir() or path.name in ("README.md", "expected.json"):
            continue
        base = path.name.removesuffix(".gz")
        rec = base.rsplit(".", 1)[0]
        if ".otlp" in base:
            res, fmt = analyze_spans(path.name, otlp_spans(path)), "otlp-json"
        elif ".zipkin" in base:
            res, fmt = analyze_spans(path.name, zipkin_spans(path)), "zipkin-json"
        elif ".viztracer" in base:
            res, fmt = analyze_viztracer(path), "viztracer"
        elif ".asyncio-debug" in base:
            res, fmt = analyze_asyncio(path, client_log(rec)), "asyncio-debug-log"
        else:
            continue
        res = {"format": fmt, **res}
        clients = client_log(rec if ".zipkin" not in base else rec.replace("zipkin", "otlp-threads"))
        if clients:
            res["client_side"] = client_summary(clients)
        expected[path.name] = res
        if "--markdown" not in sys.argv[1:]:
            print(f"== {path.name}")
            print(json.dumps(res, indent=1))
    for res in expected.values():
        for s in res.get("loop_cpu", []):
            s.pop("start_ns", None)
    if "--markdown" in sys.argv[1:]:
        print(markdown(expected))
    if "--write" in sys.argv[1:]:
        (DIR / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
