"""Settings of the example shop: no database, no apps, two stock middlewares."""

import os

SECRET_KEY = "example-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shopsite.urls"
INSTALLED_APPS = []
# Both are sync-and-async capable (MiddlewareMixin); OpenTelemetry's Django instrumentation puts its
# own middleware in front of them.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
DATABASES = {}
USE_TZ = True
# Django sets the process time zone (os.environ["TZ"]) from TIME_ZONE, default America/Chicago:
# logging's asctime follows it. UTC keeps the asyncio log's times comparable with the spans.
TIME_ZONE = "UTC"

# The slow upstream both I/O views call (upstream.py answers after ~80 ms).
UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:18401/stock")
# Iterations of the pure-Python loop of the two CPU views: about 100-110 ms alone on the recording machine
# (over asyncio's 0.1 s slow-callback threshold, so debug mode logs it).
TALLY_ROUNDS = int(os.environ.get("TALLY_ROUNDS", "1600000"))
