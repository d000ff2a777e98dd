#!/usr/bin/env python3
"""Validates stallscope's `--format json` output against schema/report-v2.json.

Usage: scripts/validate-schema.py BINARY

Runs `BINARY analyze --format json` on every input in sample-traces/ (expected.json and
README.md excepted), on the joined log + recording pairs of sample-traces/ (the json-full and
json-close logs of `incident` and `patterns`, each with its console recording), and on every
Chrome trace in ../shared/corpus/chrome/ when that folder exists (it holds DevTools' reference
traces; CI has it). Each output is validated with jsonschema's Draft202012Validator. Builds
nothing itself: pass the binary (`cargo build`, then `target/debug/stallscope`). Exits 1 if
any run fails or any output does not validate, printing each error with its JSON path.

The Rust test suite does the same check. Needs the `jsonschema` package:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install jsonschema
    /tmp/venv/bin/python scripts/validate-schema.py target/debug/stallscope
"""

import json
import subprocess
import sys
from pathlib import Path

try:
    from jsonschema import Draft202012Validator
except ImportError:
    sys.exit("validate-schema.py: needs the jsonschema package (pip install jsonschema)")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample-traces"
CORPUS = ROOT.parent / "shared" / "corpus" / "chrome"


def runs():
    """Each run as the list of inputs given to one `analyze`."""
    for f in sorted(SAMPLES.iterdir()):
        if f.is_file() and f.name not in ("expected.json", "README.md"):
            yield [f]
    for pair in ("incident", "patterns"):
        recording = sorted(SAMPLES.glob(f"joined.{pair}.console.jsonl*"))
        logs = sorted(SAMPLES.glob(f"joined.{pair}.json-full.log*")) + sorted(
            SAMPLES.glob(f"joined.{pair}.json-close.log*")
        )
        if len(recording) != 1 or len(logs) != 2:
            raise SystemExit(f"validate-schema.py: the joined {pair} files are not all in {SAMPLES}")
        for log in logs:
            yield [log, recording[0]]
    if CORPUS.is_dir():
        for f in sorted(CORPUS.iterdir()):
            if f.is_file() and (f.name.endswith(".json") or f.name.endswith(".json.gz")):
                yield [f]
    else:
        print(f"note: {CORPUS} not found; the Chrome corpus is not checked", file=sys.stderr)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    binary = sys.argv[1]
    if not Path(binary).is_file():
        sys.exit(f"validate-schema.py: no binary at {binary} (cargo build, then target/debug/stallscope)")
    schema = json.loads((ROOT / "schema" / "report-v2.json").read_text())
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    checked = failed = 0
    for inputs in runs():
        label = " ".join(str(p.relative_to(ROOT.parent)) for p in inputs)
        cmd = [binary, "analyze", "--color", "never", "--format", "json", *map(str, inputs)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        checked += 1
        if proc.returncode != 0:
            failed += 1
            print(f"FAIL {label}: exit {proc.returncode}: {proc.stderr.strip()}")
            continue
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            failed += 1
            print(f"FAIL {label}: not JSON: {e}")
            continue
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
        if errors:
            failed += 1
            print(f"FAIL {label}: {len(errors)} schema errors")
            for e in errors[:20]:
                print(f"    at /{'/'.join(map(str, e.absolute_path))}: {e.message}")
        else:
            print(f"ok   {label}")
    print(f"{checked - failed} of {checked} outputs validate")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
