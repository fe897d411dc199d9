"""Whether a viewer may start a conversation with the people on a page, without profiles
knowing who decides that (pilots): profiles asks through `profiles.signals.conversation_offers`.

A page asks once for all the people it shows (`offers_for(viewer, ids)`): one answer per page,
a few queries however many cards it has. Someone no receiver answers for is offered nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from profiles.signals import conversation_offers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from profiles.models import User


@dataclass(frozen=True)
class Offer:
    """May the viewer start a conversation with this person? If not: why, and what to do."""

    allowed: bool
    reason: StrOrPromise = ""
    next_url: str = ""  # where the viewer can change it (join a pilot, finish an orientation)
    next_label: StrOrPromise = ""
    # The reason is the viewer's own (in no pilot, orientation not done), the same for
    # everyone: a page of cards says it once instead of on every card.
    about_viewer: bool = False


def offers_for(viewer: User, user_ids: Iterable[int]) -> dict[int, Offer]:
    ids = list(user_ids)
    offers: dict[int, Offer] = {}
    if not ids or not viewer.is_authenticated:
        return offers
    answers = conversation_offers.send(sender=type(viewer), viewer=viewer, user_ids=ids)
    for _receiver, answer in answers:
        offers.update(cast("dict[int, Offer]", answer))
    return offers
