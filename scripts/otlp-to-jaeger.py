#!/usr/bin/env python3
"""Derives Jaeger query-API JSON (`/api/traces`: {"data": [trace...], "total", "limit", "offset",
"errors"}) from OTLP/JSON lines, as a Jaeger server stores and returns OTLP spans it received.
No Jaeger server can be installed here (sample-traces/django/README.md), so the Jaeger reader is
tested on Jaeger's own fixture shape (tests/data/formats/otel/jaeger-ui-fixture.json) and on files
this script derives from the committed OTLP recordings.

The mapping follows Jaeger's OTLP translation: one trace per traceId, spans in file order; ids as
lowercase hex; the parent as a CHILD_OF reference; startTime = start ns // 1000 (µs) and duration
= (end - start) ns // 1000; the kind as a `span.kind` tag in lower case (none for
INTERNAL/UNSPECIFIED: Jaeger writes `internal`, kept here); attributes as typed tags (`string`,
`int64`, `float64`, `bool`; arrays and kvlists as a JSON string, as Jaeger stores them); the
scope as `otel.scope.name`/`otel.scope.version`; an error status as `otel.status_code=ERROR` and
`error=true`; the resource as the trace's process (`service.name` -> `serviceName`, the rest
process tags).

usage: scripts/otlp-to-jaeger.py IN.otlp.jsonl OUT.jaeger.json
"""
import json
import sys

KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def plain(v):
    """An AnyValue as a plain JSON value."""
    if "arrayValue" in v:
        return [plain(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: plain(kv["value"]) for kv in v["kvlistValue"].get("values", [])}
    if "intValue" in v:
        return int(v["intValue"])
    for k in ("stringValue", "boolValue", "doubleValue", "bytesValue"):
        if k in v:
            return v[k]
    return None


def tag(key, v):
    if "stringValue" in v:
        return {"key": key, "type": "string", "value": v["stringValue"]}
    if "boolValue" in v:
        return {"key": key, "type": "bool", "value": v["boolValue"]}
    if "intValue" in v:
        return {"key": key, "type": "int64", "value": int(v["intValue"])}
    if "doubleValue" in v:
        return {"key": key, "type": "float64", "value": v["doubleValue"]}
    return {"key": key, "type": "string", "value": json.dumps(plain(v), separators=(",", ":"))}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    traces = {}
    processes = {}
    for line in open(src):
        if not line.strip():
            continue
        doc = json.loads(line)
        for rs in doc.get("resourceSpans", []):
            attrs = rs.get("resource", {}).get("attributes", [])
            service = next((plain(a["value"]) for a in attrs if a["key"] == "service.name"), "unknown")
            ptags = [tag(a["key"], a["value"]) for a in attrs if a["key"] != "service.name"]
            pkey = json.dumps([service, ptags], sort_keys=True)
            for ss in rs.get("scopeSpans", []):
                scope = ss.get("scope", {})
                for s in ss.get("spans", []):
                    tid = s["traceId"].lower()
                    t = traces.setdefault(tid, {"spans": [], "procs": {}})
                    pid = t["procs"].setdefault(pkey, f"p{len(t['procs']) + 1}")
                    processes[(tid, pid)] = {"serviceName": service, "tags": ptags}
                    start, end = int(s["startTimeUnixNano"]), int(s["endTimeUnixNano"])
                    tags = []
                    kind = KINDS.get(s.get("kind", 0))
                    if kind:
                        tags.append({"key": "span.kind", "type": "string", "value": kind})
                    if scope.get("name"):
                        tags.append({"key": "otel.scope.name", "type": "string", "value": scope["name"]})
                    if scope.get("version"):
                        tags.append({"key": "otel.scope.version", "type": "string", "value": scope["version"]})
                    tags += [tag(a["key"], a["value"]) for a in s.get("attributes", [])]
                    if s.get("status", {}).get("code") == 2:
                        tags.append({"key": "otel.status_code", "type": "string", "value": "ERROR"})
                        tags.append({"key": "error", "type": "bool", "value": True})
                    parent = (s.get("parentSpanId") or "").lower()
                    t["spans"].append({
                        "traceID": tid,
                        "spanID": s["spanId"].lower(),
                        "operationName": s["name"],
                        "references": [{"refType": "CHILD_OF", "traceID": tid, "spanID": parent}] if parent else [],
                        "startTime": start // 1000,
                        "duration": (end - start) // 1000,
                        "tags": tags,
                        "logs": [],
                        "processID": pid,
                        "warnings": None,
                        "flags": 1,
                    })
    data = []
    for tid, t in traces.items():
        data.append({
            "traceID": tid,
            "spans": t["spans"],
            "processes": {pid: processes[(tid, pid)] for pid in t["procs"].values()},
            "warnings": None,
        })
    with open(dst, "w") as f:
        json.dump({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": None}, f,
                  separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
