#!/usr/bin/env python3
"""Independent figures for sample-traces/, computed without stallscope's code.

For every tracing log (JSON or text, gzip or not): requests per endpoint (method + route of
`http.request` CLOSE events) and nearest-rank p50/p95 of their duration in ms: CLOSE timestamp
minus NEW timestamp when the log has NEW events, else time.busy + time.idle as printed on CLOSE. For JSON logs with ENTER/EXIT and thread ids: per-thread top-level
activations, and how many of those lasting >= 10 ms ran on threads that interleave requests
(event-loop workers). For incident.* files: the /report burst window, long /report polls on
the workers, and /orders requests overlapping the burst against the rest. Used to write sample-traces/README.md and the figures in tests/integration/samples.rs.
For tokio-console recordings: task counts, polls, long polls, and stallscope's victim figures
from their definitions (see console_victims): episodes, workers held at once, delayed and
held-idle tasks. With --compare, also stallscope's own figures (target/release/stallscope
analyze --format json) beside them. For joined.MODE.json-full.log: which routes' executions the
long polls and blocking tasks of joined.MODE.console.jsonl held (see joined_check).
For the recordings of issue 10 (scripts/record-issue10.sh: tokio's task spans, NEW|CLOSE with
thread ids, tower-http's TraceLayer, a handler awaiting a query before its CPU work), see
analyze_issue10 and the comment above it; `--write` puts their figures into
sample-traces/expected.json.
"""
import gzip, itertools, json, math, re, sys
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
    if any(e.get("ph") == "b" for e in events):
        chrome_async_held(events)

def chrome_async_held(events):
    """tracing-chrome's async style: b/e at span creation and close, each on its thread (tid).
    Workers: threads on which a request span was created while an earlier one created there was
    still open. A work span held its thread when its b and e are on the same tid with no other
    b/e on that tid in between (file order), counted only for a span name that is silent so in
    most of its endpoint's requests; held spans of 10 ms or more on workers are the stalls."""
    per_tid = defaultdict(int)            # b/e events seen per tid, in file order
    open_ = defaultdict(list)             # (id, name) -> [(tid, seq, ts, request_id)]
    req_open = defaultdict(list)          # id -> open request ids (tracing-chrome: root's id)
    created = defaultdict(list)           # tid -> [(start, end)] of requests created there
    spans_by_id, works = {}, []           # works: (endpoint, name, tid, start, end, silent)
    req_start = {}
    for e in events:
        if e.get("ph") not in ("b", "e"):
            continue
        tid, name, key = e["tid"], e["name"], (e.get("id"), e["name"])
        per_tid[tid] += 1
        if e["ph"] == "b":
            if name == "http.request":
                rid = e["args"]["request_id"]
                req_open[e.get("id")].append(rid)
                req_start[rid] = (e["ts"], tid, f'{e["args"]["method"]} {e["args"]["route"].strip(chr(34))}')
            rid = req_open[e.get("id")][-1] if req_open[e.get("id")] else None
            open_[key].append((tid, per_tid[tid], e["ts"], rid))
            continue
        if not open_[key]:
            continue
        t0, seq0, ts0, rid = open_[key].pop()
        if name == "http.request":
            if req_open[e.get("id")]:
                req_open[e.get("id")].pop()
            start, ctid, ep = req_start[rid]
            created[ctid].append((start, e["ts"]))
            spans_by_id[rid] = (ep, int(start * 1000), int(e["ts"] * 1000))
        elif rid in req_start and t0 == tid and e["ts"] - ts0 >= 1000:
            works.append((req_start[rid][2], name, tid, ts0, e["ts"], per_tid[tid] == seq0 + 1, rid))
    workers = set()
    for tid, spans in created.items():
        spans.sort()
        reach = None
        for a, b in spans:
            if reach is not None and a < reach:
                workers.add(tid)
            reach = b if reach is None else max(reach, b)
    tally = defaultdict(lambda: [0, 0])
    for ep, name, _, _, _, silent, _ in works:
        tally[(ep, name)][0] += silent
        tally[(ep, name)][1] += 1
    held = [w for w in works if w[5] and tally[(w[0], w[1])][0] * 2 > tally[(w[0], w[1])][1]]
    for (ep, name), (silent, n) in sorted(tally.items()):
        print(f"  {ep:<16} {name:<10} created and closed on one thread: {n}, no other b/e on it in between: {silent}")
    stalls = sorted((int(a * 1000), int(b * 1000), rid, tid) for _, _, tid, a, b, _, rid in held
                    if tid in workers and b - a >= 10_000)
    print(f"  workers (created interleaved requests): tids {sorted(workers)}")
    if stalls:
        eps, victims, worst = episodes_and_victims(stalls, spans_by_id)
        print(f"  held spans >= 10 ms on workers (inferred stalls): {len(stalls)}, episodes: {len(eps)}, delayed requests: {victims}, by up to {r2(worst / 1e6):.2f} ms")

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
    v = console_victims(path)
    print(f"  stalls (async app polls >= 10 ms): {v['stalls']}, episodes: {v['episodes']}, most long polls at once: {v['at_once']},"
          f" workers (launch tasks): {v['workers']}, every worker in a long poll for {v['all_held_ms']:.2f} ms")
    print(f"  delayed victims: {v['delayed_tasks']} tasks ({v['delayed_pairs']} task-episodes, {v['delays']} waits of 1 ms or more),"
          f" by up to {v['max_delay_ms']:.2f} ms; held idle: {v['held_tasks']} tasks ({v['held_pairs']} task-episodes), up to {v['max_held_ms']:.2f} ms")
    if COMPARE:
        print(stallscope_console(path))

STALL_NS, MIN_DELAY_NS, HELD_SLACK_NS = 10**7, 10**6, 5 * 10**6

def console_tasks(path):
    """The tasks of a console-subscriber recording, Spawn to Close (span ids are reused after a
    Close), read in file order. A poll is an outermost Enter -> Exit (a Close while entered ends
    it; one still running at the end runs to the recording's last event), kept as (start, end,
    ready): ready is when the task became ready for that poll, its spawn for the first poll, the
    previous poll's end when a wake came during that poll, else the first wake after that end
    (None: not woken). Idle stretches: (poll end, first wake after it), when no wake came during
    the poll. Wakes are Wake and WakeByRef ops (Clone and Drop are not wakes)."""
    live, tasks, last = {}, [], 0
    for line in lines(path):
        d = json.loads(line)
        if "v" in d:
            continue
        (kind, v), = d.items()
        t = v["at"]["secs_since_epoch"] * 10**9 + v["at"]["nanos_since_epoch"]
        last = max(last, t)
        i = v["id"]
        if kind == "Spawn":
            f = {x["name"]: x["value"] for x in v["fields"]}
            k = f.get("kind", "task")
            role = ("block_on" if k == "block_on" else
                    "worker" if k == "blocking" and "worker::Launch::launch" in str(f.get("fn", "")) else "app")
            if i in live:   # spawned again without a Close: not in the samples
                tasks.append(live.pop(i))
            live[i] = {"id": i, "kind": k, "role": role, "spawn": t, "polls": [], "idle": [],
                       "depth": 0, "start": None, "ready": t, "woken_in": False}
            continue
        task = live.get(i)
        if task is None:
            continue  # resources and async ops: never spawned
        if kind == "Enter":
            task["depth"] += 1
            if task["depth"] == 1:
                task["start"], task["poll_ready"], task["ready"] = t, task["ready"], None
        elif kind == "Exit" and task["depth"] > 0:
            task["depth"] -= 1
            if task["depth"] == 0:
                console_end_poll(task, t)
        elif kind == "Close":
            if task["depth"] > 0:
                task["depth"] = 0
                console_end_poll(task, t)
            tasks.append(live.pop(i))
        elif kind == "Waker" and isinstance(v["op"], dict):  # {"Wake": ..} or {"WakeByRef": ..}
            if task["depth"] > 0:
                task["woken_in"] = True
            elif task["polls"] and task["ready"] is None:
                task["ready"] = t
                task["idle"].append((task["polls"][-1][1], t))
    for task in live.values():
        if task["depth"] > 0:
            console_end_poll(task, last)
        tasks.append(task)
    return tasks

def console_end_poll(task, t):
    task["polls"].append((task["start"], t, task["poll_ready"]))
    task["ready"] = t if task["woken_in"] else None
    task["start"], task["woken_in"] = None, False

def console_victims(path):
    """stallscope's console victim figures, from their definitions (src/analyze/console.rs
    module docs): stalls are polls of 10 ms or more of async application tasks (kind task or
    local, not the workers' launch tasks, not block_on); episodes are stalls merged when they
    overlap or touch; workers held at once is the most stalls in progress at once (one ending
    when another starts is not at once); workers = launch tasks (else the most async polls at
    once). Delayed: a task whose readiness for a poll fell inside another task's stall and which
    then waited 1 ms or more for it; counted once per episode (its longest wait), and once
    overall. Held idle: an idle stretch (poll end -> wake) of 1 ms or more, woken within 5 ms
    after a window with every worker in a stall ended inside the stretch; held = wake - the later
    of the stretch's start and the window's start; once per episode and once overall."""
    tasks = console_tasks(path)
    app = [t for t in tasks if t["role"] == "app" and t["kind"] not in ("blocking", "block_on")]
    stalls = sorted((s, e, n) for n, t in enumerate(app) for s, e, _ in t["polls"] if e - s >= STALL_NS)
    eps = []  # [start, end, [stalls]]
    for s, e, n in stalls:
        if eps and s <= eps[-1][1]:
            eps[-1][1] = max(eps[-1][1], e)
            eps[-1][2].append((s, e, n))
        else:
            eps.append([s, e, [(s, e, n)]])
    workers = sum(t["role"] == "worker" for t in tasks)
    if not workers:
        edges = sorted([(s, 1) for t in app for s, _, _ in t["polls"]] + [(e, -1) for t in app for _, e, _ in t["polls"]])
        workers = max(itertools.accumulate(d for _, d in edges), default=0) or 1
    at_once, held_windows = 0, []  # (start, end, episode)
    for k, (_, _, ss) in enumerate(eps):
        depth, since = 0, None
        for x, d in sorted([(s, 1) for s, _, _ in ss] + [(e, -1) for _, e, _ in ss]):
            depth += d
            at_once = max(at_once, depth)
            if since is None and depth >= workers:
                since = x
            elif since is not None and depth < workers:
                if x > since:
                    held_windows.append((since, x, k))
                since = None
    episode_of = lambda x: next((k for k, (a, b, _) in enumerate(eps) if a <= x < b), None)
    delayed, held = {}, {}  # (task, episode) -> longest delay / hold
    delays = 0
    for n, t in enumerate(app):
        for s, e, r in t["polls"]:
            if r is None or s - r < MIN_DELAY_NS:
                continue
            if not any(a <= r < b and m != n for a, b, m in stalls):
                continue
            k = episode_of(r)
            delays += 1
            delayed[(n, k)] = max(delayed.get((n, k), 0), s - r)
        for idle_from, wake in t["idle"]:
            if wake - idle_from < MIN_DELAY_NS:
                continue
            for a, b, k in held_windows:
                if wake - HELD_SLACK_NS <= b <= wake and idle_from < b:
                    held[(n, k)] = max(held.get((n, k), 0), wake - max(idle_from, a))
    ns_ms = lambda x: ((x + 5000) // 10000) / 100
    return {
        "stalls": len(stalls), "episodes": len(eps), "at_once": at_once, "workers": workers,
        "all_held_ms": ns_ms(sum(b - a for a, b, _ in held_windows)),
        "delayed_tasks": len({n for n, _ in delayed}), "delays": delays, "delayed_pairs": len(delayed),
        "max_delay_ms": ns_ms(max(delayed.values(), default=0)),
        "held_tasks": len({n for n, _ in held}), "held_pairs": len(held),
        "max_held_ms": ns_ms(max(held.values(), default=0)),
        # ((span id, spawn), episode) -> longest wait / hold, to compare task by task
        "delayed": {((app[n]["id"], app[n]["spawn"]), k): d for (n, k), d in delayed.items()},
        "held": {((app[n]["id"], app[n]["spawn"]), k): h for (n, k), h in held.items()},
    }

def stallscope_console(path):
    """stallscope's own figures for a console recording, from `analyze --format json`."""
    exe = Path(__file__).resolve().parent.parent / "target" / "release" / "stallscope"
    if not exe.exists():
        return f"  stallscope: {exe} not built (cargo build --release)"
    import subprocess
    out = subprocess.run([str(exe), "analyze", "--format", "json", str(path)], capture_output=True, text=True)
    if out.returncode not in (0, 3):
        return f"  stallscope: exit {out.returncode}: {out.stderr.strip()[:200]}"
    j = json.loads(out.stdout)
    eps = j["episodes"]
    v = j["task_victims"][0]
    return (f"  stallscope: stalls {len(j['stalls'])}, episodes {len(eps)}, most long polls at once {max([e['max_workers_blocked'] for e in eps], default=0)},"
            f" workers {max([e['event_loop_threads'] for e in eps], default=0)}, every worker in a long poll for {sum(e['all_workers_blocked_ms'] for e in eps):.2f} ms"
            f"{' (its episodes summed, each rounded)' if len(eps) > 1 else ''};"
            f" delayed {j['victims']['delayed_tasks']} tasks ({sum(e['delayed'] for e in eps)} task-episodes), by up to {j['victims']['max_delay_ms']:.2f} ms;"
            f" held idle {v['held_idle_tasks']} tasks ({v['held_idle']} task-episodes), up to {v['max_held_idle_ms']:.2f} ms")

def episodes_and_victims(stalls, spans_by_id):
    """stalls: sorted (start_ns, end_ns, request_id, thread); spans_by_id: request_id ->
    (endpoint, start_ns, end_ns). Returns (episodes, victims, worst delay ns)."""
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
    return eps, victims, worst

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
        eps, victims, worst = episodes_and_victims(stalls, spans_by_id)
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


# ------------------------------------------------------------------ issue 10's recordings
# (scripts/record-issue10.sh; sample-traces/README.md, "Recordings of other common setups").
# One reader for their shapes, and the figures written into expected.json with --write:
# - a request is an `http.request` span (the demo's middleware) or, served through tower-http's
#   TraceLayer, a `request` span; `runtime.spawn` spans (tokio's, target tokio::task) are
#   tasks, never requests;
# - endpoint: method + `route`; tower-http has no route: method + the uri's path with the query
#   dropped and decimal segments collapsed to `{id}` (GET /orders/{id});
# - duration: CLOSE minus NEW where NEW is logged (NEW|CLOSE, FULL); else time.busy + time.idle
#   of the CLOSE line; tracing-chrome: first B/b to last E/e; events only (tower-http with no
#   span events): the `latency` of `finished processing request` (whole ms, as tower-http prints);
# - stalls, where polls are recorded (FULL with thread ids, chrome threaded): top-level
#   activations of 10 ms or more on threads that interleave requests (the workers), each put on
#   the request whose span was entered inside it (with task spans the top-level activation is a
#   `runtime.spawn` poll: the task is not the request it served);
# - inferred stalls where only creation and close are recorded with their threads (NEW|CLOSE
#   with thread ids, chrome async): a `compute` span created and closed on one worker (a thread
#   that creates request spans) with busy >= 10 ms (chrome async has no busy: no other event on
#   that thread between its b and e); where no thread is recorded (CLOSE only), every `compute`
#   span of an async endpoint with busy >= 10 ms (the method of the older CLOSE-only samples);
# - episodes and delayed requests only where stalls are measured, as for the older files.

ISSUE10 = {
    # file: (correct verdicts per endpoint)
    "tasks.chrome-threaded.json": "patterns", "tasks.chrome-async.json": "patterns",
    "tasks.json-full.log": "patterns", "tasks.json-newclose.log": "patterns",
    "patterns.json-newclose.log": "patterns", "patterns.text-newclose.log": "patterns",
    "towerhttp.json-close.log": "towerhttp", "towerhttp.text-events.log": "towerhttp-events",
    "mixed.json-full.log": "incident", "mixed.json-close.log": "incident",
}
VERDICTS = {
    "patterns": {"GET /orders": ("async-io", "good"), "GET /report": ("async-cpu", "bad"),
                 "GET /export": ("sync-io", "bad"), "GET /thumbnail": ("sync-cpu", "ok")},
    "incident": {"GET /orders": ("async-io", "good"), "GET /report": ("async-cpu", "bad")},
    "towerhttp": {"GET /orders/{id}": ("async-io", "good"), "GET /report": ("async-cpu", "bad")},
    # Latencies only (no busy or idle time, no child spans, no threads): awaiting cannot be told
    # from computing, nor a blocked loop from a slow upstream; the verdict owed is unknown.
    "towerhttp-events": {"GET /orders/{id}": ("unknown", "unknown"),
                         "GET /report": ("unknown", "unknown")},
}
FORMATS = {".json": "chrome-trace"}

def derive_route(uri):
    path = uri.split("?", 1)[0]
    return "/".join("{id}" if re.fullmatch(r"[0-9]+", s) else s for s in path.split("/"))

TEXT_SPANS = re.compile(r'([A-Za-z_][\w.]*)\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}')
TEXT_FIELD = re.compile(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\S+)')

def text_fields(s):
    return {k: (v[1:-1] if v.startswith('"') else v) for k, v in TEXT_FIELD.findall(s)}

def norm_field(v):
    if isinstance(v, str) and len(v) >= 2 and v[0] == v[-1] == '"':
        return v[1:-1]
    return v

def i10_events(path):
    """The file as (kind, ts_ns, thread, chain, fields) in file order: kind new / enter / exit /
    close for span lifecycle lines (chain: [(name, fields)] root first, the span itself last;
    fields: the line's own fields, time.busy/time.idle on close) or `event` (chain: the event's
    spans; fields: its fields, message included). chrome files are read by i10_chrome."""
    for line in lines(path):
        if not line.strip():
            continue
        if line.startswith("{"):
            e = json.loads(line)
            f = e.get("fields", {})
            msg = f.get("message")
            chain = [(s.get("name"), s) for s in e.get("spans", [])]
            span = e.get("span")
            tid = e.get("threadId")
            t = ts_ns(e["timestamp"])
            if msg in ("new", "enter", "exit", "close") and span is not None:
                # the span itself is the last of "spans" when it is entered; a NEW/CLOSE line
                # lists only its ancestors (the span is not entered then)
                if not chain or chain[-1][1] != span:
                    chain = chain + [(span.get("name"), span)]
                yield msg, t, tid, chain, f
            else:
                if span is not None and (not chain or chain[-1][1] != span):
                    chain = chain + [(span.get("name"), span)]
                yield "event", t, tid, chain, f
        else:
            m = re.match(r'^(\S+)\s+(?:TRACE|DEBUG|INFO|WARN|ERROR)\s+(.*)$', line)
            if not m:
                continue
            t, rest, tid = ts_ns(m.group(1)), m.group(2), None
            tm = re.match(r'^(?:\S+ )?(ThreadId\(\d+\)) +(.*)$', rest)
            if tm:
                tid, rest = tm.group(1), tm.group(2)
            # span chain "a{..}:b{..}: target: message"
            chain = []
            pos = 0
            while True:
                sm = TEXT_SPANS.match(rest, pos)
                if not sm:
                    break
                chain.append((sm.group(1), text_fields(sm.group(2))))
                pos = sm.end()
                if rest.startswith(":", pos):
                    pos += 1
                else:
                    break
            tail = rest[pos:].lstrip()
            tm = re.match(r'^(\S+): (.*)$', tail)
            if not tm:
                continue
            body = tm.group(2)
            lm = re.match(r'^(new|enter|exit|close)(?: time\.busy=(\S+) time\.idle=(\S+))?$', body)
            if lm and chain:
                f = {}
                if lm.group(2):
                    f = {"time.busy": lm.group(2), "time.idle": lm.group(3)}
                yield lm.group(1), t, tid, chain, f
            else:
                fm = re.match(r'^(.*?)((?: [\w.]+=(?:"(?:[^"\\]|\\.)*"|\S+(?: ms)?))*)$', body)
                f = {"message": body}
                if fm:
                    f = {"message": fm.group(1)}
                    for k, v in re.findall(r'([\w.]+)=("(?:[^"\\]|\\.)*"|\d+ ms|\S+)', fm.group(2)):
                        f[k] = v.strip('"')
                yield "event", t, tid, chain, f

def req_of(chain):
    """The request key and endpoint of a span chain: ("id", request_id) of http.request, or
    None (tower-http's request spans have no id: see i10_log)."""
    for name, f in chain:
        if name == "http.request":
            return ("id", str(f["request_id"])), f'{f["method"]} {norm_field(f["route"])}'
    return None, None

ID_FIELDS = ("request_id", "task.id", "method", "uri", "route")

def span_key(chain):
    """A span's identity without span ids: its chain of names with the fields that identify
    requests and tasks (fields recorded later, like `status`, are left out)."""
    return tuple((n, tuple(str(norm_field(f[k])) for k in ID_FIELDS if k in f)) for n, f in chain)

def i10_log(path):
    """Requests, polls and creation/close threads of a tracing-subscriber log."""
    reqs = {}        # key -> {"ep", "start", "end"}
    durations = defaultdict(list)
    new_at, new_tid = {}, {}
    closes = []      # (name, key of its request, endpoint, new_tid, close_tid, busy_ms, start, end)
    stacks, act = {}, {}    # thread -> depth, thread -> [start, {request keys}, first key]
    acts = defaultdict(list)  # thread -> [(start, end, [request keys in order])]
    spawn = defaultdict(lambda: defaultdict(int))  # (kind, "new"/"close") -> thread -> count
    spawn_parents = defaultdict(int)
    req_parents = defaultdict(int)
    latencies = defaultdict(list)
    tower_close = False
    for kind, t, tid, chain, f in i10_events(path):
        name, own = chain[-1] if chain else (None, {})
        key, ep = req_of(chain)
        if kind == "event":
            if f.get("message") == "finished processing request" and chain and chain[-1][0] == "request":
                uri = norm_field(chain[-1][1].get("uri", ""))
                lat = str(f.get("latency", ""))
                lm = re.fullmatch(r"(\d+) ms", lat)
                if lm:
                    latencies[f'{chain[-1][1].get("method")} {derive_route(uri)}'].append(float(lm.group(1)))
            continue
        if name == "runtime.spawn" and kind in ("new", "close"):
            spawn[(norm_field(own.get("kind")), kind)][tid] += 1
            if kind == "new":
                spawn_parents[len(chain) - 1] += 1
        if name == "http.request" and kind == "new":
            req_parents[" > ".join(n for n, _ in chain[:-1]) or "(root)"] += 1
        sk = span_key(chain)
        if kind == "new":
            new_at[sk], new_tid[sk] = t, tid
        elif kind == "close":
            busy = dur_ms(f["time.busy"]) if "time.busy" in f else None
            idle = dur_ms(f["time.idle"]) if "time.idle" in f else None
            start = new_at.pop(sk, None)
            if start is None and busy is not None:
                start = t - round((busy + idle) * 1e6)
            if name == "http.request":
                reqs[key] = {"ep": ep, "start": start, "end": t}
                durations[ep].append((t - start) / 1e6)
            elif name == "request":  # tower-http's span: no id, one CLOSE line per request
                tower_close = True
                rk = ("tower", len(reqs))
                e2 = f'{own.get("method")} {derive_route(norm_field(own.get("uri", "")))}'
                reqs[rk] = {"ep": e2, "start": start, "end": t}
                durations[e2].append((t - start) / 1e6)
            tkey = key
            if key is None and any(n == "request" for n, _ in chain):
                rq = next(fl for n, fl in chain if n == "request")
                ep = f'{rq.get("method")} {derive_route(norm_field(rq.get("uri", "")))}'
            closes.append((name, tkey, ep, new_tid.pop(sk, None), tid, busy, start, t))
        elif kind in ("enter", "exit") and transparent(name, own):
            continue
        elif kind == "enter" and tid:
            d = stacks.get(tid, 0)
            if d == 0:
                act[tid] = [t, []]
            stacks[tid] = d + 1
            if key is not None and key not in act[tid][1]:
                act[tid][1].append(key)
        elif kind == "exit" and tid and stacks.get(tid, 0) > 0:
            stacks[tid] -= 1
            if stacks[tid] == 0:
                s0, keys = act.pop(tid)
                acts[tid].append((s0, t, keys))
    if latencies and not durations:
        durations = latencies
    return {"reqs": reqs, "durations": durations, "closes": closes, "acts": acts,
            "spawn": spawn, "spawn_parents": spawn_parents, "req_parents": req_parents,
            "latencies": latencies}

def i10_chrome(path):
    text = "\n".join(lines(path))
    events = json.loads(text if text.rstrip().endswith("]") else text.rstrip().rstrip(",") + "]")
    reqs, first, last = {}, {}, {}
    durations = defaultdict(list)
    stacks, act, acts = {}, {}, defaultdict(list)
    spawn = defaultdict(lambda: defaultdict(int))
    by_tid = defaultdict(list)  # async style: tid -> [(ts, ph, name, id)]
    opened = {}  # async: (name, id) -> (tid, ts, args)
    id_req = {}  # async: id -> the request key of the http.request with that id
    closes = []
    for e in events:
        ph, name, a = e.get("ph"), e.get("name"), e.get("args", {})
        if ph not in ("B", "E", "b", "e"):
            continue
        tid, t = e.get("tid"), round(e["ts"] * 1e3)
        if ph in ("b", "e"):
            by_tid[tid].append((t, ph, name, e.get("id")))
        if name == "http.request" and "request_id" in a:
            rid = ("id", str(a["request_id"]))
            ep = f'{a["method"]} {norm_field(a["route"])}'
            reqs.setdefault(rid, {"ep": ep})
            if ph in ("B", "b"):
                first.setdefault(rid, t)
            else:
                last[rid] = t
        if name == "runtime.spawn" and ph in ("b", "e"):
            k = a.get("kind") or opened.get((name, e.get("id")), (0, 0, {}))[2].get("kind")
            spawn[(norm_field(k), "new" if ph == "b" else "close")][tid] += 1
        if ph == "b":
            opened[(name, e.get("id"))] = (tid, t, a)
            if name == "http.request" and "request_id" in a:
                id_req[e.get("id")] = ("id", str(a["request_id"]))
        elif ph == "e" and (name, e.get("id")) in opened:
            t0tid, t0, a0 = opened.pop((name, e.get("id")))
            # async style: every span of a tree has its root's id, the request's here
            closes.append((name, id_req.get(e.get("id")), t0tid, tid, t0, t))
        if ph in ("B", "E") and transparent(name, a):
            continue
        if ph == "B":
            d = stacks.get(tid, 0)
            if d == 0:
                act[tid] = [t, []]
            stacks[tid] = d + 1
            if name == "http.request" and "request_id" in a:
                k = ("id", str(a["request_id"]))
                if k not in act[tid][1]:
                    act[tid][1].append(k)
        elif ph == "E" and stacks.get(tid, 0) > 0:
            stacks[tid] -= 1
            if stacks[tid] == 0:
                s0, keys = act.pop(tid)
                acts[tid].append((s0, t, keys))
    for rid in list(reqs):
        if rid in first and rid in last:
            reqs[rid].update(start=first[rid], end=last[rid])
            durations[reqs[rid]["ep"]].append((last[rid] - first[rid]) / 1e6)
        else:
            reqs.pop(rid)
    return {"reqs": reqs, "durations": durations, "acts": acts, "spawn": spawn,
            "by_tid": by_tid, "async_closes": closes}

def transparent(name, fields):
    """tokio's task spans of kind blocking and block_on are left out of the nesting: a worker
    thread runs inside its launch task's `blocking` span for its whole life, and the main thread
    inside `block_on`; the polls that matter are those of `task` spans (or, with no task spans,
    the outermost span), and on the blocking pool the spans inside a blocking task."""
    return name == "runtime.spawn" and norm_field(str(fields.get("kind", ""))) in ("blocking", "block_on")

def interleaves(keys):
    return any(keys[i] in keys[:i - 1] and keys[i] != keys[i - 1] for i in range(1, len(keys)))

def i10_episodes_and_victims(stalls, reqs):
    """As analyze(): episodes are overlapping stalls merged; victims are requests overlapping an
    episode, not the cause of one of its stalls, slower than their endpoint's median over
    requests that overlap no episode by more than 1 ms and 10 %."""
    eps = []
    for a, b, key, _ in sorted(stalls, key=lambda s: (s[0], s[1])):
        if eps and a <= eps[-1][1]:
            eps[-1][1] = max(eps[-1][1], b)
            eps[-1][2].add(key)
        else:
            eps.append([a, b, {key}])
    overlaps = lambda s0, e0: [i for i, (a, b, _) in enumerate(eps) if a < e0 and b > s0]
    healthy = defaultdict(list)
    for r in reqs.values():
        if not overlaps(r["start"], r["end"]):
            healthy[r["ep"]].append(r["end"] - r["start"])
    base = {ep: sorted(v)[(len(v) - 1) // 2] for ep, v in healthy.items()}
    victims, worst = 0, 0
    for k, r in reqs.items():
        hit = overlaps(r["start"], r["end"])
        if not hit or r["ep"] not in base or all(k in eps[i][2] for i in hit):
            continue
        d = (r["end"] - r["start"]) - base[r["ep"]]
        if d > 1_000_000 and d * 10 > base[r["ep"]]:
            victims += 1
            worst = max(worst, d)
    return len(eps), victims, r2(worst / 1e6)

def analyze_issue10(path):
    name = path.name.removesuffix(".gz")
    chrome = name.endswith(".json")
    d = i10_chrome(path) if chrome else i10_log(path)
    reqs, durations = d["reqs"], d["durations"]
    verdicts = VERDICTS[ISSUE10[name]]
    fmt = "chrome-trace" if chrome else ("tracing-json" if ".json-" in name else "tracing-text")
    out = {"format": fmt, "requests": sum(len(v) for v in durations.values()), "endpoints": {}}
    print(f"== {path.name}")
    for ep in sorted(durations):
        v = durations[ep]
        pat, ver = verdicts.get(ep, ("?", "?"))
        out["endpoints"][ep] = {"requests": len(v), "p50_ms": r2(pct(v, 50)), "p95_ms": r2(pct(v, 95)),
                                "max_ms": r2(max(v)), "pattern": pat, "verdict": ver}
        print(f"  {ep:<18} {len(v):>4} req  p50 {r2(pct(v, 50)):8.2f} ms  p95 {r2(pct(v, 95)):8.2f} ms  max {r2(max(v)):8.2f} ms  ({pat}, {ver})")
    if d.get("latencies") and d["latencies"] is not durations:
        n = sum(len(v) for v in d["latencies"].values())
        print(f"  `finished processing request` events: {n}, latency (whole ms) by endpoint: "
              + ", ".join(f"{ep} p50 {pct(v, 50):.0f} p95 {pct(v, 95):.0f} max {max(v):.0f}" for ep, v in sorted(d["latencies"].items())))
    for (kind, what), threads in sorted(d["spawn"].items(), key=lambda x: (str(x[0][0]), x[0][1])):
        print(f"  runtime.spawn kind={kind} {what.upper()}: " + ", ".join(f"{t}: {n}" for t, n in sorted(threads.items(), key=lambda x: str(x[0]))))
    if d.get("spawn_parents"):
        print(f"  runtime.spawn parents (ancestors at NEW): {dict(d['spawn_parents'])}; http.request parents: {dict(d['req_parents'])}")
    # stalls from polls
    acts = d["acts"]
    workers = {t for t, a in acts.items() if interleaves([k for _, _, ks in a for k in ks])}
    stalls = []
    for t in sorted(workers, key=str):
        for s0, e0, keys in acts[t]:
            if e0 - s0 >= STALL_NS:
                stalls.append((s0, e0, keys[0] if keys else None, t))
    if acts:
        for t, a in sorted(acts.items(), key=lambda x: str(x[0])):
            print(f"  thread {t}: {len(a)} top-level activations, interleaves requests: {t in workers},"
                  f" >= 10 ms: {sum(e - s >= STALL_NS for s, e, _ in a)}")
    out["stalls"], out["inferred_stalls"] = len(stalls), 0
    if stalls:
        by_ep = defaultdict(int)
        for _, _, k, _ in stalls:
            by_ep[reqs[k]["ep"] if k in reqs else "(no request)"] += 1
        n_eps, victims, worst = i10_episodes_and_victims(stalls, reqs)
        out.update(episodes=n_eps, delayed_requests=victims, max_delay_ms=worst)
        print(f"  stalls on workers: {len(stalls)} ({', '.join(f'{k} {n}' for k, n in sorted(by_ep.items()))}),"
              f" episodes: {n_eps}, delayed requests: {victims}, by up to {worst:.2f} ms")
    elif chrome and d.get("async_closes"):
        # chrome async: b/e only. Workers: threads where http.request spans begin.
        creators = {tid for name, _, tid, _, _, _ in d["async_closes"] if name == "http.request"}
        inferred = []
        for name, key, t0tid, t1tid, t0, t1 in d["async_closes"]:
            if name == "compute" and t0tid == t1tid and t0tid in creators:
                between = [x for x in d["by_tid"][t0tid] if t0 < x[0] < t1]
                if not between and t1 - t0 >= STALL_NS:
                    inferred.append((t0, t1, t0tid, key))
        out["stalls"] = out["inferred_stalls"] = len(inferred)
        print(f"  threads creating requests: {sorted(creators, key=str)}; compute spans with b and e on one of them and"
              f" nothing else on it in between, >= 10 ms: {len(inferred)}")
        inferred_episodes(out, [(t0, t1, key, tid) for t0, t1, tid, key in inferred], reqs, "b to e")
    elif not chrome:
        closes = d["closes"]
        creators = {nt for name, _, _, nt, _, _, _, _ in closes if name in ("http.request",) and nt}
        if creators:
            inferred = [c for c in closes if c[0] == "compute" and c[3] in creators and c[3] == c[4] and (c[5] or 0) >= 10]
            print(f"  threads creating requests: {sorted(creators)}; compute spans created and closed on one of them,"
                  f" busy >= 10 ms: {len(inferred)} ({', '.join(f'{ep} {n}' for ep, n in sorted(count_by(c[2] for c in inferred).items()))});"
                  f" compute spans elsewhere: {sum(1 for c in closes if c[0] == 'compute') - len(inferred)}")
            places = defaultdict(int)
            for name, _, ep, nt, ct, _, _, _ in closes:
                if name in ("compute", "db.query"):
                    places[(ep, name, "worker" if nt in creators else "other", "same" if nt == ct else "moved")] += 1
            print("  work spans (endpoint, span, created on, closed on the same thread): "
                  + "; ".join(f"{k[0]} {k[1]} {k[2]} {k[3]}: {n}" for k, n in sorted(places.items())))
        else:
            inferred = [c for c in closes if c[0] == "compute" and c[2] in verdicts
                        and verdicts[c[2]][0].startswith("async") and (c[5] or 0) >= 10]
            if closes:
                print(f"  no threads: compute spans of async endpoints with busy >= 10 ms: {len(inferred)}")
        out["stalls"] = out["inferred_stalls"] = len(inferred)
        if not name.startswith("towerhttp."):
            # tower-http's request spans have no id to tie a compute span to its request
            # With NEW lines a span is placed from its creation to its close (where it held its
            # thread); CLOSE only: from close - busy to close.
            inferred_episodes(out, [(c[6] if c[3] is not None else c[7] - round(c[5] * 1e6), c[7], c[1], c[4])
                                    for c in inferred], reqs,
                              "creation (or close - busy) to close")
    # the timing check of a recording: CPU spans should take ~100 ms (longer: the machine was busy)
    if chrome:
        cpu = [(t1 - t0) / 1e6 for n, k, _, _, t0, t1 in d.get("async_closes", [])
               if n == "compute" and k in reqs and reqs[k]["ep"] == "GET /report"]
        if not cpu:
            cpu = [(e - s) / 1e6 for t, a in d["acts"].items() if t in workers for s, e, _ in a if e - s >= STALL_NS]
    else:
        cpu = [c[5] for c in d["closes"] if c[0] == "compute" and c[2] == "GET /report" and c[5] is not None]
        if not cpu:
            cpu = [(e - s) / 1e6 for t, a in d["acts"].items() if t in workers for s, e, _ in a if e - s >= STALL_NS]
    if cpu:
        print(f"  GET /report's compute (busy, or b..e, or long polls on workers) ms: n {len(cpu)}, min {min(cpu):.1f}, p50 {pct(cpu, 50):.1f},"
              f" p95 {pct(cpu, 95):.1f}, max {max(cpu):.1f}")
    if not chrome and not d["closes"] and not acts:
        # events only: the file shows no work spans and no polls, so no stall either way
        out.pop("stalls", None)
        out.pop("inferred_stalls", None)
    if name.startswith("mixed.") and not chrome:
        mixed_waits(d)
    if name.startswith("towerhttp."):
        print(f"  GET /orders/{{id}} requests, distinct paths: {distinct_paths(path)}")
    return out

def inferred_episodes(out, stalls, reqs, placed):
    """Episodes and delayed requests of inferred stalls, each placed where its span ran."""
    if not stalls:
        return
    n_eps, victims, worst = i10_episodes_and_victims(stalls, reqs)
    out.update(episodes=n_eps, delayed_requests=victims, max_delay_ms=worst)
    print(f"  inferred stalls placed {placed}: episodes: {n_eps}, delayed requests: {victims}, by up to {worst:.2f} ms")

def count_by(it):
    c = defaultdict(int)
    for x in it:
        c[x] += 1
    return c

def mixed_waits(d):
    """/report awaits a 5 ms db.query, then computes: how long each request waited for a worker
    between the query's end and the compute span's start."""
    q, c = {}, {}
    for name, key, ep, _, _, busy, start, end in d["closes"]:
        if ep == "GET /report" and name == "db.query":
            q[key] = end
        if ep == "GET /report" and name == "compute":
            c[key] = start
    qd = sorted((end - start) / 1e6 for name, key, ep, _, _, busy, start, end in d["closes"]
                if ep == "GET /report" and name == "db.query" and start is not None)
    if qd:
        print(f"  GET /report's db.query (5 ms asked): {len(qd)}, >= 10 ms: {sum(x >= 10 for x in qd)},"
              f" >= 50 ms: {sum(x >= 50 for x in qd)}, p50 {r2(pct(qd, 50)):.2f} ms, max {r2(max(qd)):.2f} ms"
              " (longer: the timer fired while both workers were busy, and the query ended when a worker polled it)")
    waits = sorted((c[k] - q[k]) / 1e6 for k in c if k in q)
    if waits:
        print(f"  GET /report: query end -> compute start (waiting for a worker): {len(waits)} requests,"
              f" >= 10 ms: {sum(w >= 10 for w in waits)}, >= 50 ms: {sum(w >= 50 for w in waits)},"
              f" p50 {r2(pct(waits, 50)):.2f} ms, max {r2(max(waits)):.2f} ms")

def distinct_paths(path):
    paths = set()
    for line in lines(path):
        for m in re.finditer(r'/orders/(\d+)', line):
            paths.add(m.group(1))
    return len(paths)


COMPARE = "--compare" in sys.argv[1:]
def joined_check(log):
    """joined.MODE.json-full.log against joined.MODE.console.jsonl of the same run: for each
    route, the long polls (10 ms or more) of kind=task tasks, and the blocking tasks, that have a
    poll containing (within 5 us: timestamps have us precision) an ENTER -> EXIT execution of one
    of the route's http.request spans (any thread). Both files use the machine's clock; times
    are compared as ns since midnight (the samples are within one day). This is plain
    containment: short /orders executions on the other worker fall inside /report's long polls
    too, which is why stallscope places each execution in the tightest poll only."""
    mode = log.name.split(".")[1]
    rec = next(log.parent.glob(f"joined.{mode}.console.jsonl*"))
    execs, enter = [], {}  # (start, end, route)
    for line in lines(log):
        d = json.loads(line)
        sp = d.get("span", {})
        if sp.get("name") != "http.request":
            continue
        key, msg, t = (sp["request_id"], d.get("threadId")), d["fields"]["message"], ts_ns(d["timestamp"])
        if msg == "enter":
            enter[key] = t
        elif msg == "exit" and key in enter:
            execs.append((enter.pop(key), t, sp["route"]))
    execs.sort()
    day = 86400 * 10**9
    live, polls = {}, []  # (start, end, kind, task number)
    for line in lines(rec):
        d = json.loads(line)
        if "v" in d:
            continue
        (kind, v), = d.items()
        t, i = (v["at"]["secs_since_epoch"] * 10**9 + v["at"]["nanos_since_epoch"]) % day, v["id"]
        if kind == "Spawn":
            f = {x["name"]: x["value"] for x in v["fields"]}
            app = f.get("kind") != "block_on" and "worker::Launch::launch" not in str(f.get("fn", ""))
            live[i] = {"n": len(polls) + t, "kind": f.get("kind"), "app": app, "depth": 0, "start": None}
        elif i in live:
            task = live[i]
            if kind == "Enter":
                task["depth"] += 1
                if task["depth"] == 1:
                    task["start"] = t
            elif kind in ("Exit", "Close") and task["depth"] > 0:
                task["depth"] = task["depth"] - 1 if kind == "Exit" else 0
                if task["depth"] == 0 and task["app"]:
                    polls.append((task["start"], t, task["kind"], task["n"]))
            if kind == "Close":
                live.pop(i)
    slack = 5000
    long_by, blocking_by = defaultdict(int), defaultdict(set)
    starts = [e[0] for e in execs]
    import bisect
    for s0, e0, kind, n in polls:
        lo, hi = bisect.bisect_left(starts, s0 - slack), bisect.bisect_right(starts, e0 + slack)
        routes = {r for a, b, r in execs[lo:hi] if b <= e0 + slack}
        if kind == "task" and e0 - s0 >= 10**7:
            for r in routes:
                long_by[r] += 1
        if kind == "blocking":
            for r in routes:
                blocking_by[r].add(n)
    print(f"  joined with {rec.name}: long polls (>= 10 ms) holding a route's execution: "
          + ", ".join(f"{r} {n}" for r, n in sorted(long_by.items()))
          + "; blocking tasks holding one: "
          + ", ".join(f"{r} {len(n)}" for r, n in sorted(blocking_by.items())))

WRITE = "--write" in sys.argv[1:]
written = {}
for arg in [a for a in sys.argv[1:] if a not in ("--compare", "--write")] or sorted(str(p) for p in Path("sample-traces").glob("*.*") if p.name not in ("README.md", "expected.json") and not p.name.startswith("devtools.")):
    p = Path(arg)
    if p.name.removesuffix(".gz") in ISSUE10:
        written[p.name] = analyze_issue10(p)
        continue
    if p.suffix == ".json":
        analyze_chrome(p)
    elif ".jsonl" in p.name:
        analyze_console(p)
    else:
        analyze(p)
    if p.name.startswith("incident."):
        incident_burst(p)
    if p.name.startswith("joined.") and ".json-full.log" in p.name:
        joined_check(p)

if WRITE and written:
    # Only issue 10's files are written: the older entries were checked by hand against the
    # figures above (see sample-traces/README.md).
    exp_path = Path("sample-traces/expected.json")
    expected = json.loads(exp_path.read_text())
    expected.update(written)
    exp_path.write_text(json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {', '.join(sorted(written))} into {exp_path}")
