"""WSGI entry point: gunicorn serves the pages with it in production (docker-compose `web`);
WebSockets need the ASGI application (mentoring.asgi, the `ws` service)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mentoring.settings")
application = get_wsgi_application()
