"""Pages parsed with lxml and asserted with CSS selectors, instead of slicing strings:

    page = Html(client.get(url))
    assert page.texts("#messages > li .body") == ["Hi Maria!", "Hi Alice, happy to tell."]
    assert page.one("#message-7").text_content() ...
    assert page.attr("input[name=client_id]", "value")
    assert page.table()[0]["Sent"] == "3"

`text(element)` is an element's text with the whitespace of the markup collapsed.
"""

from __future__ import annotations

from typing import Any

import lxml.html
from lxml.html import HtmlElement


def text(element: HtmlElement) -> str:
    """The element's text as a reader sees it: runs of whitespace collapsed to one space."""
    return " ".join(element.text_content().split())


def markup(element: HtmlElement) -> str:
    """The element's own HTML, serialised again by lxml."""
    return lxml.html.tostring(element, encoding="unicode", with_tail=False)


class Html:
    """A page (a test client response, bytes or text) parsed once, queried with CSS."""

    def __init__(self, source: Any) -> None:
        content = getattr(source, "content", source)
        if isinstance(content, bytes):
            content = content.decode()
        self.root: HtmlElement = lxml.html.fromstring(content)

    def select(self, css: str) -> list[HtmlElement]:
        return list(self.root.cssselect(css))

    def one(self, css: str) -> HtmlElement:
        """The one element that `css` matches; fails when there are none or several."""
        found = self.select(css)
        assert len(found) == 1, f"{len(found)} elements match {css!r}, not one"
        return found[0]

    def count(self, css: str) -> int:
        return len(self.select(css))

    def texts(self, css: str) -> list[str]:
        """The text of every element `css` matches, in document order."""
        return [text(element) for element in self.select(css)]

    def text(self, css: str) -> str:
        """The text of the one element `css` matches."""
        return text(self.one(css))

    def table(self, css: str = "table") -> list[dict[str, str]]:
        """The body rows of the one table `css` matches, each a dict from its column's header
        text to the text of the row's cell in that column."""
        table = self.one(css)
        headers = [text(cell) for cell in table.cssselect("thead th")]
        return [
            dict(zip(headers, (text(cell) for cell in row.cssselect("th, td")), strict=True))
            for row in table.cssselect("tbody tr")
        ]

    def attr(self, css: str, name: str) -> str:
        """Attribute `name` of the one element `css` matches; fails when it has none."""
        value = self.one(css).get(name)
        assert value is not None, f"{css!r} has no {name!r} attribute"
        return str(value)
