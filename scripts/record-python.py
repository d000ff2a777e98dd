"""Throwaway recorder for tests/data/formats/python/ (issue 11): a tiny asyncio program with a
CPU-heavy coroutine, a slow plain callback and a slow timer callback, run in asyncio debug mode
under three logging setups, and once under viztracer.

    python3 scripts/record-python.py asyncio OUTDIR      # asyncio debug logs, three formats
    viztracer --log_async -o OUT.json scripts/record-python.py run   # viztracer trace

Python is only for making recordings; the outputs are committed.
"""
import asyncio
import logging
import os
import sys
import time


def burn(ms):
    """Pure-Python CPU loop for about `ms` milliseconds."""
    end = time.perf_counter() + ms / 1000
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


async def render_report():
    """The CPU-heavy coroutine: holds the loop for ~150 ms per step, twice."""
    burn(150)
    await asyncio.sleep(0)
    burn(120)


async def fetch_quote():
    """Awaits (the loop is free while it sleeps)."""
    for _ in range(5):
        await asyncio.sleep(0.03)


def flush_cache(n):
    """A plain callback scheduled with call_soon: holds the loop ~110 ms."""
    burn(110)


def rotate_keys():
    """A timer callback scheduled with call_later: holds the loop ~130 ms."""
    burn(130)


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(flush_cache, 3)
    loop.call_later(0.05, rotate_keys)
    await asyncio.gather(render_report(), fetch_quote())
    await asyncio.sleep(0.2)


def run():
    asyncio.run(main(), debug=True)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "run"
    if mode == "asyncio":
        out = sys.argv[2]
        setups = {
            # logging.basicConfig with asctime (Python's default asctime format).
            "asyncio-asctime.log": "%(asctime)s %(levelname)s %(name)s %(message)s",
            # No asctime: logging's own default format.
            "asyncio-plain.log": logging.BASIC_FORMAT,
        }
        for name, fmt in setups.items():
            root = logging.getLogger()
            for h in list(root.handlers):
                root.removeHandler(h)
            h = logging.FileHandler(os.path.join(out, name), mode="w")
            h.setFormatter(logging.Formatter(fmt))
            root.addHandler(h)
            run()
            h.close()
            root.removeHandler(h)
        # ISO 8601 with a UTC offset.
        root = logging.getLogger()
        h = logging.FileHandler(os.path.join(out, "asyncio-iso.log"), mode="w")
        f = logging.Formatter("%(asctime)s %(levelname)s [%(threadName)s] %(name)s: %(message)s")
        f.converter = time.gmtime
        f.default_time_format = "%Y-%m-%dT%H:%M:%S"
        f.default_msec_format = "%s.%03dZ"
        h.setFormatter(f)
        root.addHandler(h)
        run()
        h.close()
    else:
        run()
