"""The four views of the verdict table, and a page.

| view        | kind  | work                                                          |
| ----------- | ----- | ------------------------------------------------------------- |
| inventory   | async | awaits the slow upstream with httpx.AsyncClient (~80 ms)      |
| leaderboard | async | pure-Python loop (~105 ms) on whatever thread runs the view    |
| shipping    | sync  | the same upstream call with the blocking httpx.Client         |
| invoice     | sync  | the same pure-Python loop                                     |
| home        | sync  | an HTML page whose only (LCP) image is inventory/?as=png      |
"""

import struct
import zlib

import httpx
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from opentelemetry import trace

tracer = trace.get_tracer("shopsite")
# One TLS context for every client: httpx builds one per client otherwise (loading the CA bundle,
# ~20 ms of CPU here), which in the async view would be 20 ms on the event loop per request.
TLS = httpx.create_ssl_context()


def tally(rounds):
    """The CPU work both CPU views do, in a span of its own (as an app that traces its hot spots does)."""
    with tracer.start_as_current_span("tally"):
        total = 0
        for i in range(rounds):
            total = (total + i * i) % 1000003
        return total


def _png(width, height, rgb):
    """A solid-colour PNG, made without image libraries."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


BANNER = _png(640, 320, (40, 110, 170))


def _stock_response(request, upstream):
    if request.GET.get("as") == "png":
        return HttpResponse(BANNER, content_type="image/png")
    return JsonResponse({"upstream": upstream})


async def inventory(request):
    async with httpx.AsyncClient(verify=TLS) as client:
        r = await client.get(settings.UPSTREAM_URL)
    return _stock_response(request, r.json())


async def leaderboard(request):
    return JsonResponse({"score": tally(settings.TALLY_ROUNDS)})


def shipping(request):
    with httpx.Client(verify=TLS) as client:
        r = client.get(settings.UPSTREAM_URL)
    return _stock_response(request, r.json())


def invoice(request):
    return JsonResponse({"total": tally(settings.TALLY_ROUNDS)})


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body><h1>Shop</h1>
<img src="/inventory/?as=png" width="640" height="320" alt="banner" fetchpriority="high">
</body></html>
"""


def home(request):
    return HttpResponse(PAGE)
