#!/usr/bin/env python3
"""Writes the four files of this directory from one timeline (see README.md).

One timeline of span events (new, enter, exit, close: what tracing's subscriber sees) of a
2-worker tokio runtime with tokio's task spans, written in the four shapes:

  chrome-threaded.json  tracing-chrome TraceStyle::Threaded, include_args(true): B/E per enter/exit
  chrome-async.json     tracing-chrome TraceStyle::Async, include_args(true): b at new, e at close,
                        id = the id of the span's root (tracing's parent chain)
  json-full.log         fmt().json().with_span_events(FmtSpan::FULL).with_thread_ids(true)
  json-newclose.log     the same with FmtSpan::NEW | FmtSpan::CLOSE

Run from this directory: python3 gen.py
"""
import json

MS = 1000  # times below are in microseconds

# Threads: tid, tracing's ThreadId, name (tokio >= 1.50 names every runtime thread alike).
THREADS = {0: ("ThreadId(1)", "main"), 1: ("ThreadId(2)", "tokio-rt-worker"),
           2: ("ThreadId(3)", "tokio-rt-worker"), 3: ("ThreadId(4)", "tokio-rt-worker")}

spans = {}  # id -> dict(name, target, fields, parent)
events = []  # (t, tid, kind, span id)


def span(sid, name, target, fields, parent=None):
    spans[sid] = dict(name=name, target=target, fields=fields, parent=parent)
    return sid


def ev(t, tid, kind, sid):
    events.append((t, tid, kind, sid))


def task(sid, kind, loc_line, parent=None, extra=None):
    f = {"kind": kind, "task.name": "", "task.id": sid, "loc.file": "src/main.rs",
         "loc.line": loc_line, "loc.col": 5}
    f.update(extra or {})
    target = "tokio::task::blocking" if kind == "blocking" else "tokio::task"
    return span(sid, "runtime.spawn", target, f, parent)


def poll(tid, t0, t1, stack, inner=None):
    """Enters `stack` (outermost first) at t0, exits it at t1; `inner` (start, end, sid) is a
    span entered and exited inside, 10 us after t0 and before t1."""
    for i, s in enumerate(stack):
        ev(t0 + i, tid, "enter", s)
    if inner:
        a, b, s = inner
        ev(a, tid, "enter", s)
        ev(b, tid, "exit", s)
    for i, s in enumerate(reversed(stack)):
        ev(t1 - len(stack) + 1 + i, tid, "exit", s)


# The runtime: each worker's run loop is a blocking task entered for the whole run; the main
# thread's block_on future is polled at the start and at the end.
for w, sid in ((1, 1), (2, 2)):
    task(sid, "blocking", 200, extra={"fn": "tokio::runtime::scheduler::multi_thread::worker"})
    ev(sid - 1, 0, "new", sid)
    ev(4 + w, w, "enter", sid)
    ev(1000 * MS + 10 * w, w, "exit", sid)
    ev(1000 * MS + 10 * w + 1, w, "close", sid)
task(3, "block_on", 40)
ev(2, 0, "new", 3)
poll(0, 10, 60, [3])
poll(0, 999 * MS, 999 * MS + 50, [3])
ev(999 * MS + 60, 0, "close", 3)

rid = [0]


def request(conn, tid, t, route):
    """A connection task `conn` (spawned at t) serving one request span created in its first
    poll; returns the request span's id."""
    task(conn, "task", 90)
    ev(t, tid, "new", conn)
    rid[0] += 1
    req = span(100 + conn, "http.request", "demo_server",
               {"method": "GET", "route": route, "request_id": rid[0]}, parent=conn)
    return req


def close(t, tid, *sids):
    for i, s in enumerate(sids):
        ev(t + i, tid, "close", s)


def db(sid, parent):
    return span(sid, "db.query", "demo_server",
                {"db.system": "postgresql", "db.operation": "SELECT"}, parent)


def compute(sid, parent):
    return span(sid, "compute", "demo_server", {"work": "hash"}, parent)


# GET /orders: awaits 80 ms of non-blocking I/O (two requests, one per worker).
for conn, tid, t in ((10, 1, 10 * MS), (11, 2, 12 * MS)):
    req = request(conn, tid, t, "/orders")
    q = db(200 + conn, req)
    ev(t + 100, tid, "enter", conn)
    ev(t + 110, tid, "new", req)
    ev(t + 120, tid, "enter", req)
    ev(t + 130, tid, "new", q)
    ev(t + 140, tid, "enter", q)
    ev(t + 200, tid, "exit", q)
    ev(t + 210, tid, "exit", req)
    ev(t + 220, tid, "exit", conn)
    t2 = t + 80 * MS
    poll(tid, t2, t2 + 300, [conn, req], (t2 + 100, t2 + 150, q))
    close(t2 + 160 - 100 + 100, tid, q)
    close(t2 + 400, tid, req, conn)

# GET /report: 100 ms of CPU inline on the worker, both workers at once.
for conn, tid, t in ((12, 1, 200 * MS), (13, 2, 201 * MS)):
    req = request(conn, tid, t, "/report")
    c = compute(200 + conn, req)
    ev(t + 100, tid, "enter", conn)
    ev(t + 110, tid, "new", req)
    ev(t + 120, tid, "enter", req)
    ev(t + 130, tid, "new", c)
    ev(t + 140, tid, "enter", c)
    ev(t + 100 * MS, tid, "exit", c)
    ev(t + 100 * MS + 10, tid, "close", c)
    ev(t + 100 * MS + 20, tid, "exit", req)
    # The handler's future is dropped inside the poll that finished it: the request span closes
    # before the task's poll ends (as hyper does).
    ev(t + 100 * MS + 25, tid, "close", req)
    ev(t + 100 * MS + 30, tid, "exit", conn)
    close(t + 100 * MS + 40, tid, conn)


def offloaded(conn, tid, t, route, work, busy_us):
    """A request whose handler awaits a spawn_blocking task (on thread 3) that re-enters the
    request span (`parent.in_scope`) and runs `work` for busy_us inside it."""
    req = request(conn, tid, t, route)
    bt = task(300 + conn, "blocking", 93, parent=req, extra={"fn": "demo_server::handler"})
    w = work(200 + conn, req)
    ev(t + 100, tid, "enter", conn)
    ev(t + 110, tid, "new", req)
    ev(t + 120, tid, "enter", req)
    ev(t + 130, tid, "new", bt)
    ev(t + 140, tid, "exit", req)
    ev(t + 150, tid, "exit", conn)
    b0 = t + 300
    ev(b0, 3, "enter", bt)
    ev(b0 + 10, 3, "enter", req)
    ev(b0 + 20, 3, "new", w)
    ev(b0 + 30, 3, "enter", w)
    ev(b0 + 30 + busy_us, 3, "exit", w)
    ev(b0 + 40 + busy_us, 3, "close", w)
    ev(b0 + 50 + busy_us, 3, "exit", req)
    ev(b0 + 60 + busy_us, 3, "exit", bt)
    ev(b0 + 70 + busy_us, 3, "close", bt)
    t2 = b0 + 200 + busy_us
    poll(tid, t2, t2 + 300, [conn, req])
    close(t2 + 400, tid, req, conn)


# GET /export: an 80 ms blocking I/O call in spawn_blocking; GET /thumbnail: 100 ms of CPU.
offloaded(14, 1, 400 * MS, "/export", db, 80 * MS)
offloaded(15, 1, 500 * MS, "/export", db, 80 * MS)
offloaded(16, 2, 600 * MS, "/thumbnail", compute, 100 * MS)
offloaded(17, 2, 720 * MS, "/thumbnail", compute, 100 * MS)

# Two tasks with no span of the app's inside, polled once on worker 1 for 30 ms each: a named
# one (culprit: its task.name) and an unnamed one (culprit: where it was spawned).
task(30, "task", 120, extra={"task.name": "cache-refresh"})
task(31, "task", 130)
for sid, t in ((30, 850 * MS), (31, 900 * MS)):
    ev(t, 0, "new", sid)
    poll(1, t + 100, t + 100 + 30 * MS, [sid])
    ev(t + 100 + 30 * MS + 10, 1, "close", sid)

events.sort(key=lambda e: e[0])
assert len({e[0] for e in events}) == len(events), "one event per microsecond, for a stable order"


def root_of(sid):
    while spans[sid]["parent"] is not None:
        sid = spans[sid]["parent"]
    return sid


def chrome(path, style):
    out = []
    seen = set()
    for t, tid, kind, sid in events:
        if tid not in seen:
            seen.add(tid)
            out.append({"ph": "M", "pid": 1, "name": "thread_name", "tid": tid,
                        "args": {"name": THREADS[tid][1]}})
        ph = {"threaded": {"enter": "B", "exit": "E"},
              "async": {"new": "b", "close": "e"}}[style].get(kind)
        if ph is None:
            continue
        s = spans[sid]
        e = {"ph": ph, "pid": 1, "ts": float(t), "name": s["name"], "cat": s["target"],
             "tid": tid}
        if style == "async":
            e["id"] = root_of(sid)
        # tracing-chrome writes Debug text: strings quoted, except %-recorded ones (kind,
        # task.name, method) which are Display.
        e["args"] = {k: (json.dumps(v) if isinstance(v, str)
                         and k not in ("kind", "task.name", "method") else str(v))
                     for k, v in s["fields"].items()}
        out.append(e)
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(e, separators=(",", ":")) for e in out) + "\n]")


def fmt_json(path, kinds):
    entered = {tid: [] for tid in THREADS}
    busy = {}
    last = {}
    lines = []
    for t, tid, kind, sid in events:
        if kind == "enter":
            entered[tid].append(sid)
            last[sid] = t
        elif kind == "exit":
            entered[tid].remove(sid)
            busy[sid] = busy.get(sid, 0) + t - last[sid]
        if kind not in kinds:
            continue
        s = spans[sid]
        obj = dict(sorted(s["fields"].items()))
        obj["name"] = s["name"]
        fields = {"message": kind}
        if kind == "close":
            created = next(e[0] for e in events if e[3] == sid and e[2] == "new")
            b = busy.get(sid, 0)
            fields["time.busy"] = f"{b / 1000:.2f}ms"
            fields["time.idle"] = f"{(t - created - b) / 1000:.2f}ms"
        stack = []
        for x in entered[tid]:
            o = dict(sorted(spans[x]["fields"].items()))
            o["name"] = spans[x]["name"]
            stack.append(o)
        secs = 1_764_547_200 + t // 1_000_000
        stamp = (f"2025-12-01T00:{secs // 60 % 60:02d}:{secs % 60:02d}."
                 f"{t % 1_000_000:06d}Z")
        line = {"timestamp": stamp, "level": "TRACE" if s["target"].startswith("tokio") else "INFO",
                "fields": fields, "target": s["target"], "span": obj}
        line["spans"] = stack
        line["threadId"] = THREADS[tid][0]
        lines.append(json.dumps(line, separators=(",", ":")))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


chrome("chrome-threaded.json", "threaded")
chrome("chrome-async.json", "async")
fmt_json("json-full.log", {"new", "enter", "exit", "close"})
fmt_json("json-newclose.log", {"new", "close"})
