"""Helpers of the pilot staff pages' tests."""

from __future__ import annotations

import datetime

from django.utils import timezone

from pilots.models import Pilot
from tests.support.html import Html, markup


def staff_url(pilot: Pilot, rest: str = "") -> str:
    return f"/pilots/{pilot.slug}/staff/{rest}"


def local_input(moment: datetime.datetime) -> str:
    """How a browser's datetime-local field sends a time: local, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def preview_of(html: str) -> Html:
    """What a staff form's preview shows (the article under "Preview"), parsed."""
    return Html(markup(Html(html).one('section[aria-labelledby="preview-heading"] article')))
