"""mentoring.ratelimit: fixed windows counted in the shared cache (Redis on the main pass)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from mentoring import ratelimit


class Clock:
    """Stands in for the `time` module inside mentoring.ratelimit."""

    def __init__(self) -> None:
        self.now = 1_000_000.0  # the start of a 100-second window

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("mentoring.ratelimit.time", fake)
    return fake


def take(amount: int = 1, who: int = 1) -> ratelimit.Taken | None:
    return ratelimit.take("test", who, limit=5, window=100, amount=amount)


def test_it_counts_up_to_the_limit_and_refuses_the_rest_without_counting_it(clock: Clock) -> None:
    assert take(3) is not None
    assert take(3) is None  # 6 > 5: refused, and not counted
    assert take(2) is not None
    assert take(1) is None


def test_each_person_and_each_window_counts_on_its_own(clock: Clock) -> None:
    assert take(5) is not None
    assert take(1) is None
    assert take(5, who=2) is not None
    clock.now += 100
    assert take(5) is not None


def test_undo_gives_the_quota_back(clock: Clock) -> None:
    taken = take(4)
    assert taken is not None
    taken.undo()
    assert take(5) is not None


def test_undo_after_the_window_ended_changes_nothing(clock: Clock) -> None:
    taken = take(5)
    assert taken is not None
    cache.clear()  # the window's counter has expired
    taken.undo()
    assert take(5) is not None
    assert take(1) is None


def test_an_unreachable_cache_lets_the_action_through(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*args: object, **kwargs: object) -> int:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    monkeypatch.setattr(cache, "add", down)
    taken = take(50)
    assert taken is not None
    taken.undo()  # nothing to give back, and no error
