"""Helpers for pages fetched with the test client: a page's text without what differs on every
request, and the number of queries a page makes."""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def page_text(response: Any) -> str:
    """A page without what differs on every request for reasons of no interest: the masked
    CSRF tokens and the language switch's return address. "Forbidden looks like missing"
    tests compare two 404 pages with it."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "", text)


def count_queries(client: Client, url: str) -> int:
    """The queries of one GET of `url`, which must answer 200."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)
