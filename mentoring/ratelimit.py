"""Rate limits as fixed windows counted in the shared cache (Redis in production).

    taken = ratelimit.take("invite", user.pk, limit=1000, window=3600, amount=3)
    if taken is None:
        ...  # over the limit: nothing was counted
    ...
    taken.undo()  # the action was refused after all: give the quota back

At most `limit` per `window` seconds, counted per window (`limit` may be spent at the end of
one window and again at the start of the next). When the cache is unreachable the action is
allowed and a warning logged: a limit is a brake, not a reason to fail.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    """What `take` counted, to give back with `undo()`."""

    key: str
    amount: int

    def undo(self) -> None:
        if not self.key or not self.amount:
            return
        try:
            cache.decr(self.key, self.amount)
        except ValueError:  # the window has ended: nothing to give back
            pass
        except Exception:
            logger.warning("Rate limit not given back: cache unavailable", exc_info=True)


def take(scope: str, who: object, *, limit: int, window: int, amount: int = 1) -> Taken | None:
    """Count `amount` against `limit` per `window` seconds for `who` in `scope`: all of it, or
    (over the limit) none of it and None."""
    key = f"rate:{scope}:{who}:{int(time.time() // window)}"
    try:
        try:
            count = cache.incr(key, amount)
        except ValueError:  # the window's first use; or another process's, just now
            count = (
                amount if cache.add(key, amount, timeout=window * 2) else cache.incr(key, amount)
            )
    except Exception:
        logger.warning("Rate limit %s not checked: cache unavailable", scope, exc_info=True)
        return Taken(key="", amount=0)
    if count > limit:
        Taken(key, amount).undo()
        return None
    return Taken(key, amount)
