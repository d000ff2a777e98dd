#!/usr/bin/env python3
"""Independent figures for sample-traces/, computed without stallscope's code.

For every tracing log (JSON or text, gzip or not): requests per endpoint (method + route of
`http.request` CLOSE events) and nearest-rank p50/p95 of their duration in ms: CLOSE timestamp
minus NEW timestamp when the log has NEW events, else time.busy + time.idle as printed on CLOSE. For JSON logs with ENTER/EXIT and thread ids: per-thread top-level
activations, and how many of those lasting >= 10 ms ran on threads that interleave requests
(event-loop workers). For incident.* files: the /report burst window, long /report polls on
the workers, and /orders requests overlapping the burst against the rest. Used to write sample-traces/README.md and the figures in tests/samples.rs.
"""
import gzip, json, math, re, sys
from collections import defaultdict
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
UNITS = {"ns": 1e-6, "µs": 1e-3, "us": 1e-3, "ms": 1.0, "s": 1e3}

def dur_ms(text):
    m = re.fullmatch(r"([0-9.]+)(ns|µs|us|ms|s)", text)
    return float(m.group(1)) * UNITS[m.group(2)]

def r2(x):
    """Rounds half up to 0.01 ms from whole nanoseconds, as stallscope does."""
    return ((round(x * 1e6) + 5000) // 10000) / 100

def pct(values, p):
    v = sorted(values)
    return v[max(1, math.ceil(p / 100 * len(v))) - 1]

def lines(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield ANSI.sub("", line.rstrip("\n"))

def ts_ns(s):
    # 2026-11-24T09:55:01.123456Z -> ns since midnight (all samples are within one day)
    hh, mm, rest = s[11:].rstrip("Z").split(":")
    sec, frac = rest.split(".")
    return ((int(hh) * 60 + int(mm)) * 60 + int(sec)) * 10**9 + int(frac.ljust(9, "0"))

def analyze_chrome(path):
    """tracing-chrome: a request lasts from its first B (or its b) to its last E (or its e)."""
    text = path.read_text()
    events = json.loads(text if text.rstrip().endswith("]") else text.rstrip().rstrip(",") + "]")
    first, last, ep = {}, {}, {}
    for e in events:
        if e.get("name") != "http.request" or e.get("ph") not in ("B", "E", "b", "e"):
            continue
        a = e.get("args", {})
        rid = a.get("request_id")
        if rid is None:
            continue
        ep[rid] = f'{a["method"]} {a["route"].strip(chr(34))}'
        if e["ph"] in ("B", "b"):
            first.setdefault(rid, e["ts"])
        else:
            last[rid] = e["ts"]
    durations = defaultdict(list)
    for rid, t0 in first.items():
        if rid in last:
            durations[ep[rid]].append((last[rid] - t0) / 1e3)
    print(f"== {path.name}")
    for k in sorted(durations):
        v = durations[k]
        print(f"  {k:<16} {len(v):>4} req  p50 {r2(pct(v, 50)):8.2f} ms  p95 {r2(pct(v, 95)):8.2f} ms  max {r2(max(v)):8.2f} ms")

def analyze_console(path):
    """console-subscriber recording: kind=task polls (Enter -> Exit) of 10 ms or more."""
    spawned, open_, long_polls, polls, tasks = {}, {}, 0, 0, 0
    for line in lines(path):
        d = json.loads(line)
        if "stallscope_console_capture" in d:
            print(f"== {path.name}\n  a `stallscope record` live capture, not a console-subscriber recording: not checked here")
            return
        if "v" in d:
            continue
        (kind, v), = d.items()
        t = v["at"]["secs_since_epoch"] * 10**9 + v["at"]["nanos_since_epoch"]
        i = v["id"]
        if kind == "Spawn":
            f = {x["name"]: x["value"] for x in v["fields"]}
            spawned[i] = f.get("kind") == "task"
            tasks += f.get("kind") == "task"
        elif kind == "Enter" and spawned.get(i) and i not in open_:
            open_[i] = t
        elif kind == "Exit" and spawned.get(i) and i in open_:
            polls += 1
            if t - open_.pop(i) >= 10**7:
                long_polls += 1
        elif kind == "Close":
            spawned.pop(i, None)
            open_.pop(i, None)
    print(f"== {path.name}")
    print(f"  kind=task tasks: {tasks}, polls: {polls}, polls >= 10 ms: {long_polls}")

def analyze(path):
    durations = defaultdict(list)
    new_ts = {}
    spans_by_id = {}   # request_id -> (endpoint, start_ns, end_ns)
    stalls = []        # (start_ns, end_ns, request_id) of activations >= 10 ms
    stacks, starts, long_polls, roots_by_thread = {}, {}, defaultdict(list), defaultdict(list)
    for line in lines(path):
        if line.startswith("{"):
            e = json.loads(line)
            msg = e.get("fields", {}).get("message")
            span = e.get("span", {})
            if msg == "new" and span.get("name") == "http.request":
                new_ts[span["request_id"]] = ts_ns(e["timestamp"])
            if msg == "close" and span.get("name") == "http.request":
                ep = f'{span["method"]} {span["route"]}'
                f = e["fields"]
                if span["request_id"] in new_ts:
                    durations[ep].append((ts_ns(e["timestamp"]) - new_ts[span["request_id"]]) / 1e6)
                    spans_by_id[span["request_id"]] = (ep, new_ts[span["request_id"]], ts_ns(e["timestamp"]))
                else:
                    durations[ep].append(dur_ms(f["time.busy"]) + dur_ms(f["time.idle"]))
            tid = e.get("threadId")
            if tid and msg in ("enter", "exit"):
                st = stacks.setdefault(tid, [])
                root = (e["spans"][0] if e.get("spans") else span)
                if msg == "enter":
                    if not st:
                        starts[tid] = (ts_ns(e["timestamp"]), json.dumps(root, sort_keys=True))
                    st.append(span.get("name"))
                elif st:
                    st.pop()
                    if not st:
                        t0, r = starts[tid]
                        d = (ts_ns(e["timestamp"]) - t0) / 1e6
                        roots_by_thread[tid].append(r)
                        if d >= 10:
                            long_polls[tid].append(d)
                            stalls.append((t0, ts_ns(e["timestamp"]), json.loads(r).get("request_id"), tid))
        else:
            n = re.search(r"^(\S+) +INFO .*http\.request\{[^}]*request_id=(\d+)[^}]*\}: \S+: new$", line)
            if n:
                new_ts[int(n.group(2))] = ts_ns(n.group(1))
            m = re.search(r"^(\S+) .*http\.request\{method=(\S+) route=\"([^\"]+)\" request_id=(\d+)[^}]*\}: \S+: close time\.busy=(\S+) time\.idle=(\S+)$", line)
            if m:
                ep = f"{m.group(2)} {m.group(3)}"
                rid = int(m.group(4))
                if rid in new_ts:
                    durations[ep].append((ts_ns(m.group(1)) - new_ts[rid]) / 1e6)
                else:
                    durations[ep].append(dur_ms(m.group(5)) + dur_ms(m.group(6)))
    print(f"== {path.name}")
    for ep in sorted(durations):
        v = durations[ep]
        print(f"  {ep:<16} {len(v):>4} req  p50 {r2(pct(v, 50)):8.2f} ms  p95 {r2(pct(v, 95)):8.2f} ms  max {r2(max(v)):8.2f} ms")
    loop_threads = set()
    for tid, roots in sorted(roots_by_thread.items()):
        interleaved = any(roots[i] in roots[:i - 1] and roots[i] != roots[i - 1] for i in range(1, len(roots)))
        if interleaved:
            loop_threads.add(tid)
        lp = long_polls.get(tid, [])
        print(f"  {tid:<14} {len(roots):>4} activations, interleaves requests: {interleaved}, activations >= 10 ms: {len(lp)}")
    stalls = sorted(s for s in stalls if s[3] in loop_threads)
    if stalls:
        # Episodes: overlapping stalls merged. Victims: requests overlapping an episode, not the
        # cause of one of its stalls, slower than their endpoint's median over requests that
        # overlap no episode by more than 1 ms and 10 %.
        eps = []
        for a, b, rid, _ in stalls:
            if eps and a <= eps[-1][1]:
                eps[-1][1] = max(eps[-1][1], b)
                eps[-1][2].add(rid)
            else:
                eps.append([a, b, {rid}])
        overlaps = lambda s0, e0: [i for i, (a, b, _) in enumerate(eps) if a < e0 and b > s0]
        healthy = defaultdict(list)
        for ep, s0, e0 in spans_by_id.values():
            if not overlaps(s0, e0):
                healthy[ep].append(e0 - s0)
        base = {ep: sorted(v)[(len(v) - 1) // 2] for ep, v in healthy.items()}
        victims, worst = 0, 0
        for rid, (ep, s0, e0) in spans_by_id.items():
            hit = overlaps(s0, e0)
            if not hit or ep not in base or all(rid in eps[i][2] for i in hit):
                continue
            d = (e0 - s0) - base[ep]
            if d > 1_000_000 and d * 10 > base[ep]:
                victims += 1
                worst = max(worst, d)
        print(f"  stalls on event-loop threads: {len(stalls)}, episodes: {len(eps)}, delayed requests: {victims}, by up to {r2(worst / 1e6):.2f} ms")

def request_spans(path):
    """request_id -> (route, start_ns, end_ns), and per-thread top-level http.request polls
    (thread -> [(start_ns, end_ns, route)]) where the file records ENTER/EXIT with threads."""
    reqs, new, open_, polls = {}, {}, {}, defaultdict(list)
    if path.suffix == ".json":
        text = path.read_text()
        events = json.loads(text if text.rstrip().endswith("]") else text.rstrip().rstrip(",") + "]")
        first, last, route = {}, {}, {}
        for e in events:
            if e.get("name") != "http.request" or e.get("ph") not in ("B", "E", "b", "e"):
                continue
            rid, t = int(e["args"]["request_id"]), round(e["ts"] * 1e3)
            route[rid] = e["args"]["route"].strip('"')
            if e["ph"] in ("B", "b"):
                first.setdefault(rid, t)
            else:
                last[rid] = t
            if e["ph"] == "B":
                open_[(e["tid"], rid)] = t
            elif e["ph"] == "E" and (e["tid"], rid) in open_:
                polls[e["tid"]].append((open_.pop((e["tid"], rid)), t, route[rid]))
        return {r: (route[r], first[r], last[r]) for r in first if r in last}, polls
    for line in lines(path):
        if line.startswith("{"):
            e = json.loads(line)
            span, msg, tid = e.get("span", {}), e["fields"].get("message"), e.get("threadId")
            if span.get("name") != "http.request":
                continue
            rid, route, t = span["request_id"], span["route"], ts_ns(e["timestamp"])
            busy_idle = (e["fields"].get("time.busy"), e["fields"].get("time.idle"))
        else:
            m = re.match(r'^(\S+) +INFO (?:\S+ (ThreadId\(\d+\)) )?http\.request\{method=\S+ route="([^"]+)" request_id=(\d+)[^}]*\}: \S+: (new|enter|exit|close)(?: time\.busy=(\S+) time\.idle=(\S+))?$', line)
            if not m:
                continue
            t, tid, route, rid, msg = ts_ns(m.group(1)), m.group(2), m.group(3), int(m.group(4)), m.group(5)
            busy_idle = (m.group(6), m.group(7))
        if msg == "new":
            new[rid] = t
        elif msg == "close":
            start = new.get(rid)
            if start is None:
                start = t - round((dur_ms(busy_idle[0]) + dur_ms(busy_idle[1])) * 1e6)
            reqs[rid] = (route, start, t)
        elif msg == "enter" and tid:
            open_[(tid, rid)] = t
        elif msg == "exit" and tid and (tid, rid) in open_:
            polls[tid].append((open_.pop((tid, rid)), t, route))
    return reqs, polls

def incident_burst(path):
    """The /report burst: its window (first /report start to last /report end), long /report
    polls on worker threads (threads that poll /orders) and how long both workers were inside one
    at once, and /orders requests overlapping the window against those outside it."""
    reqs, polls = request_spans(path)
    report = [(s, e) for r, s, e in reqs.values() if r == "/report"]
    if not report:
        return
    t0 = min(s for _, s, _ in reqs.values())
    b0, b1 = min(s for s, _ in report), max(e for _, e in report)
    print(f"  burst: {len(report)} /report requests, window {(b0 - t0) / 1e6:.0f}-{(b1 - t0) / 1e6:.0f} ms after the first request ({(b1 - b0) / 1e6:.0f} ms)")
    workers = [t for t, ps in polls.items() if any(r == "/orders" for _, _, r in ps)]
    if workers:
        long_ = {t: [(a, b) for a, b, r in polls[t] if r == "/report" and b - a >= 10**7] for t in workers}
        edges = sorted([(a, 1) for v in long_.values() for a, _ in v] + [(b, -1) for v in long_.values() for _, b in v])
        depth, prev, both = 0, 0, 0
        for x, d in edges:
            if depth >= 2:
                both += x - prev
            depth, prev = depth + d, x
        per = ", ".join(f"{len(long_[t])} on {t}" for t in sorted(workers, key=str))
        print(f"  /report polls >= 10 ms on workers: {sum(len(v) for v in long_.values())} ({per}); both workers inside one at once for {both / 1e6:.0f} ms")
    orders = [(s, e) for r, s, e in reqs.values() if r == "/orders"]
    inside = [(e - s) / 1e6 for s, e in orders if s < b1 and e > b0]
    outside = [(e - s) / 1e6 for s, e in orders if not (s < b1 and e > b0)]
    if inside and outside:
        print(f"  /orders overlapping the burst: {len(inside)}, p50 {r2(pct(inside, 50)):.2f} ms, p95 {r2(pct(inside, 95)):.2f} ms;"
              f" outside it: {len(outside)}, p50 {r2(pct(outside, 50)):.2f} ms, p95 {r2(pct(outside, 95)):.2f} ms")


for arg in sys.argv[1:] or sorted(str(p) for p in Path("sample-traces").glob("*.*") if p.name not in ("README.md", "expected.json") and not p.name.startswith("devtools.")):
    p = Path(arg)
    if p.suffix == ".json":
        analyze_chrome(p)
    elif ".jsonl" in p.name:
        analyze_console(p)
    else:
        analyze(p)
    if p.name.startswith("incident."):
        incident_burst(p)
