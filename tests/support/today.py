"""Helpers of the Today page's tests: the page parsed, one of its sections, its suggestions."""

from __future__ import annotations

from typing import Any

from tests.support.html import Html, markup, text


def today_page(client: Any) -> Html:
    response = client.get("/")
    assert response.status_code == 200
    return Html(response)


def section(page: Html, css: str) -> Html:
    """The one element `css` matches (e.g. a section), parsed on its own."""
    return Html(markup(page.one(css)))


def suggestion_cards(page: Html) -> dict[str, Html]:
    """Each suggestion of the page by the suggested person's name."""
    return {
        text(found.cssselect("h3")[0]): Html(markup(found))
        for found in page.select(".today-suggestion")
    }
