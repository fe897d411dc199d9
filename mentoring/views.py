"""The site's own views: the front page, the health check, the language switch, error pages,
and what makes the site installable on a phone (the web app manifest, the service worker and
its offline page)."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from profiles.services import remember_language
from today import views as today_views

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def home(request: HttpRequest) -> HttpResponse:
    """The front page: how it works for visitors, Today for people who are signed in."""
    if request.user.is_authenticated:
        return today_views.today(request)  # type: ignore[arg-type]
    return render(request, "home.html")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in user's choice is also remembered for the
    e-mails and notifications written to them."""
    response = i18n.set_language(request)
    language = request.POST.get(i18n.LANGUAGE_QUERY_PARAMETER, "")
    if request.user.is_authenticated and language:
        remember_language(user=request.user, language=language)
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that went away under the request (PostgreSQL restarted, its
    connection killed, the pool exhausted) is a moment's unavailability, not a bug: 503 with
    Retry-After. The next request gets a fresh, checked connection from the pool.
    Both pages stand alone: they render without the database."""
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        logger.warning("Database unavailable: %s", error)
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(render_to_string("500.html"))


# --- Installable on a phone -------------------------------------------------------------------

THEME_COLOUR = "#0b3d91"
# What the service worker keeps for offline use: the look of the site and the offline page.
# Only static files and that one anonymous page: never a signed-in page.
SHELL_STATIC = (
    "vendor/pico/pico.min.css",
    "css/site.css",
    "css/dark.css",
    "js/pwa.js",
    "icons/icon-192.png",
    "icons/favicon-32.png",
)


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest, in the visitor's language."""
    data = {
        "name": _("Speed mentoring"),
        "short_name": _("Mentoring"),
        "description": _("Short conversations between students and mentors from working life."),
        "lang": get_language(),
        "start_url": "/",
        "scope": "/",
        "id": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, content_type="application/manifest+json")
    patch_cache_control(response, public=True, max_age=3600)
    response["Vary"] = "Cookie, Accept-Language"
    return response


@cache
def _service_worker_source() -> str:
    found = finders.find("js/sw.js")
    path = Path(found if isinstance(found, str) else staticfiles_storage.path("js/sw.js"))
    return path.read_text(encoding="utf-8")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/sw.js, served from the root so that its scope is the whole site, with the
    shell's current (hashed) URLs in front; a new deployment changes VERSION, and the browser
    replaces the old cache."""
    offline = reverse("offline")
    shell = [static(name) for name in SHELL_STATIC] + [offline]
    source = _service_worker_source()
    version = hashlib.sha256(json.dumps([shell, source]).encode()).hexdigest()[:12]
    head = (
        f"const SHELL = {json.dumps(shell)};\n"
        f"const VERSION = {json.dumps(version)};\n"
        f"const OFFLINE_URL = {json.dumps(offline)};\n"
    )
    response = HttpResponse(head + source, content_type="text/javascript; charset=utf-8")
    # Browsers check for a new worker on every visit; never keep an old one in a cache.
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """The page the service worker shows without a network. It stands alone: no name, no
    navigation of a signed-in person, no token (it is cached on the device)."""
    return HttpResponse(render_to_string("offline.html"))
