"""WSGI entry point (gunicorn -k gthread --threads 4 shopsite.wsgi:application)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopsite.settings")

from shopsite import telemetry  # noqa: E402

telemetry.setup("shop-wsgi")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
