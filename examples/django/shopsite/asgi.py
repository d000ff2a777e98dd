"""ASGI entry point (uvicorn shopsite.asgi:application).

ASYNCIO_LOG=path: asyncio debug mode, its log (slow-callback warnings) written to path with the
default asctime (TZ=UTC in the recordings) and Python's default format fields. uvicorn runs its loop with debug=False on
Python < 3.12 whatever PYTHONASYNCIODEBUG says, so debug mode is switched on at the first call.
"""

import asyncio
import logging
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")

from shopsite import telemetry  # noqa: E402

telemetry.setup("shop-asgi")

from django.core.asgi import get_asgi_application  # noqa: E402

django_app = get_asgi_application()
_log = os.environ.get("ASYNCIO_LOG")
if _log:
    handler = logging.FileHandler(_log)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s:%(name)s:%(message)s"))
    logging.getLogger("asyncio").addHandler(handler)  # level: the default, WARNING


async def application(scope, receive, send):
    if _log:
        loop = asyncio.get_running_loop()
        if not loop.get_debug():
            loop.set_debug(True)
    await django_app(scope, receive, send)
