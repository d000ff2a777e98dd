#!/usr/bin/env python3
"""A tiny Zipkin collector stand-in: accepts POST /api/v2/spans and appends each body (a JSON list
of Zipkin v2 spans, one batch of the exporter) to OUT as one line.

usage: zipkin_sink.py PORT OUT"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    out = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        batch = json.loads(body)
        with lock, open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(batch, separators=(",", ":")) + "\n")
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    Handler.out = sys.argv[2]
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
