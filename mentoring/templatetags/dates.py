"""`{{ value|when }}`, `{{ value|when:"date" }}`: a date or time as <time> in the reader's
language (mentoring/dates.py); `{{ value|when_text:"date" }}` the words alone (plain-text
e-mails). Styles: "auto" (relative when recent), "datetime", "date", "day"."""

from __future__ import annotations

import datetime

from django import template
from django.utils.safestring import SafeString

from mentoring import dates

register = template.Library()


def _style(style: str) -> dates.Style:
    if style not in dates.STYLES:
        raise template.TemplateSyntaxError(f"Unknown date style {style!r}: use {dates.STYLES}.")
    return style  # type: ignore[return-value]


@register.filter
def when(value: datetime.date | None, style: str = "auto") -> SafeString | str:
    if not value:
        return ""
    return dates.time_element(value, _style(style))


@register.filter
def when_text(value: datetime.date | None, style: str = "datetime") -> str:
    if not value:
        return ""
    return dates.describe(value, _style(style))
