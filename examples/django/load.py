#!/usr/bin/env python3
"""Bounded load on the shop, and a client-side log of every request.

usage: load.py BASE_URL CLIENT_LOG [--light]

Phases, one after the other (clients x requests each):
  alone    each view by itself: inventory, leaderboard, shipping, invoice, 4 x 5 each
  beside   inventory 4 x 8 beside leaderboard 2 x 4, then inventory 4 x 8 beside invoice 2 x 4,
           then shipping 4 x 5 beside leaderboard 2 x 4
  page     the page and then its image (like a browser), 4 times, beside leaderboard 2 x 4
--light halves the request counts (for the viztracer run, which is slower).

Every request carries `x-request-id: <phase>-<n>`; the log line (JSON) has the id, phase, path,
unix start/end in ns, the duration in ms and the status.
"""

import http.client
import itertools
import json
import sys
import threading
import time
from urllib.parse import urlsplit

base = urlsplit(sys.argv[1])
log = open(sys.argv[2], "w", encoding="utf-8")
light = "--light" in sys.argv
counter = itertools.count(1)
lock = threading.Lock()


def get(phase, path):
    rid = f"{phase}-{next(counter)}"
    conn = http.client.HTTPConnection(base.hostname, base.port, timeout=30)
    t0 = time.time_ns()
    conn.request("GET", path, headers={"x-request-id": rid, "Connection": "close"})
    resp = conn.getresponse()
    body = resp.read()
    t1 = time.time_ns()
    conn.close()
    with lock:
        log.write(json.dumps({"id": rid, "phase": phase, "path": path, "start_ns": t0, "end_ns": t1,
                              "ms": round((t1 - t0) / 1e6, 3), "status": resp.status}) + "\n")
    return body


def clients(phase, path, n_clients, n_each):
    if light:
        n_each = max(1, n_each // 2)
    return [threading.Thread(target=lambda: [get(phase, path) for _ in range(n_each)])
            for _ in range(n_clients)]


def page_loads(phase, times):
    def run():
        for _ in range(max(1, times // 2) if light else times):
            html = get(phase, "/").decode()
            img = html.split('<img src="', 1)[1].split('"', 1)[0]
            get(phase, img)
            time.sleep(0.05)
    return [threading.Thread(target=run)]


def together(*groups):
    threads = [t for g in groups for t in g]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.3)


for view in ("inventory", "leaderboard", "shipping", "invoice"):
    together(clients("alone", f"/{view}/", 4, 5))
together(clients("beside", "/inventory/", 4, 8), clients("beside", "/leaderboard/", 2, 4))
together(clients("beside", "/inventory/", 4, 8), clients("beside", "/invoice/", 2, 4))
together(clients("beside", "/shipping/", 4, 5), clients("beside", "/leaderboard/", 2, 4))
together(page_loads("page", 4), clients("page", "/leaderboard/", 2, 4))
log.close()
