#!/usr/bin/env python3
"""Records a Chrome DevTools Performance-panel trace of one page load over the DevTools protocol.

Usage: cdp_trace.py DEVTOOLS_PORT URL OUT.json.gz

Talks to a Chromium started with --remote-debugging-port: opens a tab, starts tracing with the
categories the Performance panel uses, navigates to URL, waits for the load event and a little
more (so late paints and LCP land), stops tracing and writes the events in DevTools' export form
({"traceEvents": [...], "metadata": {...}}), gzipped.
"""
import gzip
import json
import sys
import time
import urllib.request

import websocket  # websocket-client

# The Performance panel's categories (DevTools' TimelineController).
CATEGORIES = [
    "-*", "blink.console", "blink.user_timing", "devtools.timeline",
    "disabled-by-default-devtools.screenshot", "disabled-by-default-devtools.timeline",
    "disabled-by-default-devtools.timeline.frame", "disabled-by-default-devtools.timeline.stack",
    "disabled-by-default-devtools.timeline.invalidationTracking", "disabled-by-default-lighthouse",
    "disabled-by-default-v8.compile", "disabled-by-default-v8.cpu_profiler", "latencyInfo",
    "loading", "v8.execute", "v8",
]


def main():
    port, url, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    for _ in range(100):
        try:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
            tab = json.load(urllib.request.urlopen(req, timeout=2))
            break
        except OSError:
            time.sleep(0.1)
    else:
        sys.exit(f"cdp_trace: no DevTools endpoint on port {port}")
    ws = websocket.create_connection(tab["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
    next_id = [0]

    def send(method, **params):
        next_id[0] += 1
        ws.send(json.dumps({"id": next_id[0], "method": method, "params": params}))
        return next_id[0]

    events, loaded, complete = [], None, False

    def pump(until):
        nonlocal loaded, complete
        while time.time() < until and not complete:
            ws.settimeout(max(0.05, until - time.time()))
            try:
                msg = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                continue
            m = msg.get("method")
            if m == "Tracing.dataCollected":
                events.extend(msg["params"]["value"])
            elif m == "Tracing.tracingComplete":
                complete = True
            elif m == "Page.loadEventFired" and loaded is None:
                loaded = time.time()

    send("Page.enable")
    send("Network.enable")
    send("Tracing.start", traceConfig={"includedCategories": CATEGORIES[1:], "excludedCategories": ["*"]},
         transferMode="ReportEvents")
    pump(time.time() + 0.5)
    send("Page.navigate", url=url)
    deadline = time.time() + 30
    while loaded is None and time.time() < deadline:
        pump(min(deadline, time.time() + 0.5))
    pump(time.time() + 3.0)  # late paints, LCP
    send("Tracing.end")
    pump(time.time() + 30)
    ws.close()
    if not complete:
        sys.exit("cdp_trace: tracing did not complete")
    meta = {"source": "DevTools", "startTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "dataOrigin": "TraceEvents", "recordedBy": "stallscope scripts/cdp_trace.py"}
    with gzip.open(out, "wt", compresslevel=9) as f:
        json.dump({"traceEvents": events, "metadata": meta}, f, separators=(",", ":"))
    print(f"cdp_trace: {len(events)} events -> {out}")


if __name__ == "__main__":
    main()
