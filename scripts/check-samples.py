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

for arg in [a for a in sys.argv[1:] if a != "--compare"] or sorted(str(p) for p in Path("sample-traces").glob("*.*") if p.name not in ("README.md", "expected.json") and not p.name.startswith("devtools.")):
    p = Path(arg)
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
