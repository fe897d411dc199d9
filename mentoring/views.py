"""The site's own views: the front page, the health check, the language switch, error pages."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views import i18n
from django.views.decorators.http import require_POST

from profiles.services import remember_language

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("profiles:me")
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
