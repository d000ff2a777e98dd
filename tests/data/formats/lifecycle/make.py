#!/usr/bin/env python3
"""Writes the three hand-made logs of this folder from one timeline (see README.md).

Run from this folder: python3 make.py. The output is committed; this script only says how it
was written. Times in ms from 2026-12-01T00:00:00Z.
"""
import json

W2, W3, P5, P6 = 2, 3, 5, 6  # ThreadId(n): two workers, two blocking-pool threads
CHROME_TID = {W2: 0, W3: 1, P5: 2, P6: 3}
DB = {"db.system": "postgresql", "db.operation": "SELECT"}
CPU = {"work": "hash"}

# request id, route, created (ms, thread), closed (ms, thread), request busy ms,
#   child: (name, fields, new (ms, thread), close (ms, thread), busy ms)
REQUESTS = [
    (1, "/orders", (0.0, W2), (80.2, W2), 0.1, ("db.query", DB, (0.1, W2), (80.1, W2), 0.01)),
    (2, "/orders", (10.0, W2), (90.2, W2), 0.1, ("db.query", DB, (10.1, W2), (90.1, W2), 0.01)),
    (3, "/report", (20.0, W3), (120.2, W3), 100.1, ("compute", CPU, (20.1, W3), (120.1, W3), 99.99)),
    (4, "/orders", (30.0, W2), (110.2, W2), 0.1, ("db.query", DB, (30.1, W2), (110.1, W2), 0.01)),
    (5, "/report", (130.0, W2), (230.2, W2), 100.1, ("compute", CPU, (130.1, W2), (230.1, W2), 99.99)),
    (6, "/orders", (140.0, W3), (220.2, W3), 0.1, ("db.query", DB, (140.1, W3), (220.1, W3), 0.01)),
    (13, "/orders", (150.0, W3), (230.4, W3), 0.1, ("db.query", DB, (150.1, W3), (230.3, W3), 0.01)),
    (7, "/thumbnail", (250.0, W3), (350.7, W2), 100.3, ("compute", CPU, (250.5, P5), (350.5, P5), 99.99)),
    (8, "/thumbnail", (260.0, W2), (360.7, W3), 100.3, ("compute", CPU, (260.5, P6), (360.5, P6), 99.99)),
    (9, "/export", (400.0, W2), (480.7, W2), 80.3, ("db.query", DB, (400.5, P5), (480.5, P5), 79.99)),
    (10, "/export", (410.0, W3), (490.7, W3), 80.3, ("db.query", DB, (410.5, P6), (490.5, P6), 79.99)),
    (11, "/thumbnail", (500.0, W2), (600.7, W2), 100.3, ("compute", CPU, (500.5, P5), (600.5, P5), 99.99)),
    (12, "/orders", (505.0, W3), (585.2, W2), 0.1, ("db.query", DB, (505.1, W3), (585.1, W2), 0.01)),
]


def ts(ms):
    us = round(ms * 1000)
    return f"2026-12-01T00:00:00.{us:06d}Z"


def dur(ms):
    return f"{ms * 1000:.1f}µs" if ms < 1 else f"{ms:.2f}ms"


def events():
    """(ms, kind, thread, request, child or None, busy, idle)."""
    out = []
    for rid, route, (c0, t0), (c1, t1), rbusy, (name, fields, (n0, u0), (n1, u1), cbusy) in REQUESTS:
        req = {"method": "GET", "route": route, "request_id": rid}
        child = (name, fields)
        out.append((c0, "new", t0, req, None, None, None))
        out.append((n0, "new", u0, req, child, None, None))
        out.append((n1, "close", u1, req, child, cbusy, n1 - n0 - cbusy))
        out.append((c1, "close", t1, req, None, rbusy, c1 - c0 - rbusy))
    out.sort(key=lambda e: e[0])
    return out


def json_log():
    lines = []
    for ms, kind, th, req, child, busy, idle in events():
        fields = {"message": kind}
        if kind == "close":
            fields["time.busy"] = dur(busy)
            fields["time.idle"] = dur(idle)
        rspan = dict(req, name="http.request")
        if kind == "close" and child is None:
            rspan["status"] = 200
        if child is None:
            span, spans = rspan, []
        else:
            span, spans = dict(child[1], name=child[0]), [dict(req, name="http.request")]
        line = {"timestamp": ts(ms), "level": "INFO", "fields": fields, "target": "demo_server",
                "span": span, "spans": spans, "threadName": "tokio-rt-worker",
                "threadId": f"ThreadId({th})"}
        lines.append(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def text_log():
    lines = []
    for ms, kind, th, req, child, busy, idle in events():
        rf = f'method=GET route="{req["route"]}" request_id={req["request_id"]}'
        if kind == "close" and child is None:
            rf += " status=200"
        chain = f"http.request{{{rf}}}"
        if child is not None:
            cf = " ".join(f'{k}="{v}"' for k, v in child[1].items())
            chain += f":{child[0]}{{{cf}}}"
        msg = kind if kind == "new" else f"close time.busy={dur(busy)} time.idle={dur(idle)}"
        lines.append(f"{ts(ms)}  INFO tokio-rt-worker ThreadId({th:02d}) {chain}: demo_server: {msg}")
    return "\n".join(lines) + "\n"


def chrome():
    out = [{"args": {"name": "tokio-rt-worker"}, "name": "thread_name", "ph": "M", "pid": 1,
            "tid": t} for t in sorted(CHROME_TID.values())]
    for ms, kind, th, req, child, busy, idle in events():
        if child is None:
            name = "http.request"
            args = {"method": "GET", "request_id": str(req["request_id"]),
                    "route": json.dumps(req["route"])}
            if kind == "close":
                args["status"] = "200"
        else:
            name = child[0]
            args = {k: json.dumps(v) for k, v in child[1].items()}
        out.append({"args": args, "cat": "demo_server", "id": req["request_id"], "name": name,
                    "ph": "b" if kind == "new" else "e", "pid": 1, "tid": CHROME_TID[th],
                    "ts": round(ms * 1000, 3)})
    return "[\n" + ",\n".join(json.dumps(e, separators=(",", ":")) for e in out) + "\n]\n"


if __name__ == "__main__":
    open("newclose.json.log", "w").write(json_log())
    open("newclose.text.log", "w").write(text_log())
    open("async.chrome.json", "w").write(chrome())
