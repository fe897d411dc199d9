"""Dates and times as people read them: in their language's format (mentoring/formats/), and
relative ("5 minutes ago", "yesterday at 14:05") when recent.

Templates use the `when` filters (`{% load dates %}`): `{{ message.created_at|when }}` gives
`<time datetime="2026-11-16T08:33:00+02:00" title="16.11.2026 klo 8.33">5 minuuttia sitten</time>`.
"""

from __future__ import annotations

import datetime
from typing import Literal

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

# "auto": relative when recent, else the date and time; "datetime": always the date and time;
# "date": the date alone; "day": day and month, without the year (a week's dates in a list).
Style = Literal["auto", "datetime", "date", "day"]
STYLES: tuple[Style, ...] = ("auto", "datetime", "date", "day")
# Below this, "5 minutes ago"; then "today at …", "yesterday at …", then the date and time.
MINUTES_AGO = datetime.timedelta(hours=1)
# A time a little in the future (clocks of two servers) still reads as "now".
CLOCK_SKEW = datetime.timedelta(minutes=1)

_FORMATS = {"date": "DATE_FORMAT", "day": "MONTH_DAY_FORMAT", "datetime": "DATETIME_FORMAT"}


def absolute(value: datetime.date, style: Style = "datetime") -> str:
    """The date (and time, for a datetime in the current time zone) in the active language."""
    if not isinstance(value, datetime.datetime):
        return formats.date_format(value, _FORMATS["day" if style == "day" else "date"])
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(local, _FORMATS.get(style, "DATETIME_FORMAT"))


def relative(value: datetime.datetime, now: datetime.datetime | None = None) -> str | None:
    """ "5 minutes ago", "today at 8.33", "yesterday at 14:05"; None when longer ago, or later."""
    now = now or timezone.now()
    delta = now - value
    if delta < -CLOCK_SKEW:
        return None
    if delta < MINUTES_AGO:
        return _ago(delta)
    local, today = timezone.localtime(value), timezone.localdate(now)
    time = formats.time_format(local, "TIME_FORMAT")
    if local.date() == today:
        return gettext("today at %(time)s") % {"time": time}
    if local.date() == today - datetime.timedelta(days=1):
        return gettext("yesterday at %(time)s") % {"time": time}
    return None


def _ago(delta: datetime.timedelta) -> str:
    """ "now", "20 seconds ago", "5 minutes ago": the words of Django's naturaltime (translated
    in every language), counted from the given moment rather than the clock."""
    words = NaturalTimeFormatter.time_strings
    seconds = max(int(delta.total_seconds()), 0)  # a moment ahead by a clock's skew is "now"
    if seconds == 0:
        return str(words["now"])
    if seconds < 60:
        return str(words["past-second"] % {"count": seconds})
    return str(words["past-minute"] % {"count": seconds // 60})


def describe(
    value: datetime.date, style: Style = "auto", now: datetime.datetime | None = None
) -> str:
    """The words for `value`: relative for a recent datetime with style "auto", else absolute."""
    if style == "auto" and isinstance(value, datetime.datetime) and timezone.is_aware(value):
        words = relative(value, now)
        if words is not None:
            return words
    return absolute(value, style)


def machine_readable(value: datetime.date) -> str:
    """The `datetime` attribute of <time>: ISO 8601, a datetime with its UTC offset."""
    if isinstance(value, datetime.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.replace(microsecond=0).isoformat()
    return value.isoformat()


def time_element(
    value: datetime.date, style: Style = "auto", now: datetime.datetime | None = None
) -> SafeString:
    """`<time datetime="…">` with the words for `value`; a relative one has the date and time
    as its title."""
    words = describe(value, style, now)
    exact = absolute(value, style if style != "auto" else "datetime")
    if words == exact:
        return format_html('<time datetime="{}">{}</time>', machine_readable(value), words)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', machine_readable(value), exact, words
    )
