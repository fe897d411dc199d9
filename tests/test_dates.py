"""Dates and times in the reader's language (mentoring/formats/, the `when` filters): one
format per language, a <time> element with the machine-readable value, relative words for
recent times."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone, translation

from mentoring import dates
from tests.support.html import Html

HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
# 16 November 2026, 8.33 in Helsinki. English and Swedish keep the day and the month together
# with a no-break space (a narrow table column breaks before the year, not after the day).
MOMENT = datetime.datetime(2026, 11, 16, 8, 33, tzinfo=HELSINKI)
LATER = MOMENT + datetime.timedelta(days=30)


@pytest.fixture(autouse=True)
def helsinki() -> None:
    timezone.activate(HELSINKI)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fi", "16.11.2026 klo 8.33"),
        ("en", "16\xa0Nov 2026, 08:33"),
        ("sv", "16\xa0nov. 2026 kl. 08:33"),
    ],
)
def test_a_date_and_time_is_written_the_way_each_language_writes_it(
    language: str, words: str
) -> None:
    with translation.override(language):
        assert dates.describe(MOMENT, "auto", now=LATER) == words


@pytest.mark.parametrize(
    ("language", "date", "day"),
    [
        ("fi", "16.11.2026", "16.11."),
        ("en", "16\xa0Nov 2026", "16\xa0Nov"),
        ("sv", "16\xa0nov. 2026", "16\xa0nov."),
    ],
)
def test_a_date_alone_and_a_day_of_a_week_list(language: str, date: str, day: str) -> None:
    with translation.override(language):
        assert dates.describe(MOMENT.date()) == date
        assert dates.describe(MOMENT, "date") == date
        assert dates.describe(MOMENT.date(), "day") == day


def test_the_time_element_carries_the_exact_moment_with_its_offset() -> None:
    with translation.override("fi"):
        page = Html(str(dates.time_element(MOMENT, now=LATER)))
    time = page.one("time")
    assert time.get("datetime") == "2026-11-16T08:33:00+02:00"
    assert page.text("time") == "16.11.2026 klo 8.33"
    assert time.get("title") is None  # the words are the exact time already


def test_a_date_has_a_plain_date_as_its_machine_readable_value() -> None:
    page = Html(str(dates.time_element(MOMENT.date())))
    assert page.one("time").get("datetime") == "2026-11-16"


def test_minutes_ago_then_today_then_yesterday_then_the_date() -> None:
    now = MOMENT.replace(hour=15)
    with translation.override("en"):
        assert dates.describe(now - datetime.timedelta(seconds=20), now=now) == "20\xa0seconds ago"
        assert dates.describe(now - datetime.timedelta(minutes=59), now=now) == "59\xa0minutes ago"
        assert dates.describe(now + datetime.timedelta(seconds=30), now=now) == "now"
        assert dates.describe(MOMENT.replace(hour=14, minute=5), now=now) == "today at 14:05"
        yesterday = MOMENT.replace(hour=14, minute=5) - datetime.timedelta(days=1)
        assert dates.describe(yesterday, now=now) == "yesterday at 14:05"
        two_days_ago = yesterday - datetime.timedelta(days=1)
        assert dates.describe(two_days_ago, now=now) == "14\xa0Nov 2026, 14:05"
    with translation.override("fi"):
        assert dates.describe(two_days_ago, now=now) == "14.11.2026 klo 14.05"


def test_a_recent_time_says_how_long_ago_in_the_readers_language() -> None:
    moment = timezone.now() - datetime.timedelta(minutes=5)
    with translation.override("en"):
        page = Html(str(dates.time_element(moment)))
        assert page.text("time") == "5 minutes ago"
        assert page.one("time").get("title") == dates.absolute(moment)
    with translation.override("fi"):
        assert dates.describe(moment) == "5\xa0minuuttia sitten"
    with translation.override("sv"):
        assert dates.describe(moment) == "5\xa0minuter sedan"


def test_a_future_time_is_never_relative() -> None:
    moment = timezone.now() + datetime.timedelta(hours=2)
    with translation.override("en"):
        assert dates.describe(moment) == dates.absolute(moment)


def test_the_filters_in_a_template() -> None:
    template = Template(
        '{% load dates %}<p>{{ moment|when:"datetime" }}</p><p>{{ none|when }}</p>'
        '<p>{{ moment|when_text:"date" }}</p>'
    )
    with translation.override("sv"):
        page = Html(template.render(Context({"moment": MOMENT, "none": None})))
    assert page.texts("p") == ["16 nov. 2026 kl. 08:33", "", "16 nov. 2026"]  # spaces collapsed
    assert len(page.select("time")) == 1


def test_an_unknown_style_is_a_template_error() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template('{% load dates %}{{ moment|when:"soon" }}').render(Context({"moment": MOMENT}))
