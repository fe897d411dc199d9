"""Who may start a conversation with whom inside a pilot, and starting it.

Pilots decides, messaging delivers: the rules of a pilot (both take part in it, their roles
may talk, an actor has finished the orientation, the pilot is open) are checked here, then
`messaging.services.conversations.start_conversation` stores the conversation under the pilot's
context, tagged with this week's theme if the starter chose it. Messaging checks only its own rules
(blocks, an active recipient, rate limits).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from messaging.models import Conversation
from messaging.services import conversations
from pilots.models import Participation, Pilot, Role
from pilots.services.membership import orientation_done
from pilots.services.schedule import current_themes
from profiles.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

ALLOWED_PAIRS = {
    frozenset({Role.ACTOR, Role.MENTOR}),
    frozenset({Role.ACTOR}),  # peers
    frozenset({Role.STAFF, Role.ACTOR}),
    frozenset({Role.STAFF, Role.MENTOR}),
    frozenset({Role.STAFF}),
}


class ConversationRefused(conversations.NotAllowed):
    """The pilots' rules refuse a new conversation (a kind of messaging's NotAllowed: whoever
    catches messaging's refusals catches this one too)."""


@dataclass(frozen=True)
class SharedPilot:
    """An open pilot two people share, as the start page offers it."""

    pilot: Pilot
    theme: str = ""  # this week's theme, if the pilot is running and has one written
    may_start: bool = True  # whether the starter may start a conversation through it

    @property
    def context(self) -> str:
        return self.pilot.context


def _shared_pilots(sender: User, recipient: User) -> Iterator[tuple[Pilot, StrOrPromise | None]]:
    """The open pilots `sender` shares with `recipient`, the latest first, each with the reason
    `sender` may not start a conversation through it (None: they may)."""
    mine = {
        p.pilot_id: p
        for p in Participation.objects.filter(user=sender).select_related("pilot")
        if not p.pilot.is_closed
    }
    theirs = (
        Participation.objects.filter(user=recipient, pilot_id__in=mine)
        .order_by("-pilot__starts_on", "pilot_id")
        .values_list("pilot_id", "role")
    )
    for pilot_id, their_role in theirs:
        participation = mine[pilot_id]
        pilot = participation.pilot
        if frozenset({participation.role, their_role}) not in ALLOWED_PAIRS:
            yield pilot, _("Mentors talk with actors in this pilot, not with each other.")
        elif (
            participation.role == Role.ACTOR
            and pilot.requires_orientation
            and not orientation_done(pilot=pilot, user=sender)
        ):
            yield pilot, _("Finish the orientation of %(pilot)s first.") % {"pilot": pilot.name}
        else:
            yield pilot, None


def conversation_refusal(*, sender: User, recipient: User) -> StrOrPromise | None:
    """Why `sender` may not start a conversation with `recipient`, or None if they may:
    messaging's own rules first, then a pilot they share (the most helpful reason found)."""
    try:
        conversations.check_may_start(sender=sender, recipient=recipient)
    except conversations.NotAllowed as refused:
        return refused.message
    reason: StrOrPromise = _("You can write to people who take part in the same pilot as you.")
    for _pilot, refusal in _shared_pilots(sender, recipient):
        if refusal is None:
            return None
        reason = refusal
    return reason


def shared_pilots(*, sender: User, recipient: User) -> list[SharedPilot]:
    """The open pilots the two share, the latest first, each with this week's theme if the
    pilot is running, and whether `sender` may start a conversation through it."""
    shared = list(_shared_pilots(sender, recipient))
    themes = current_themes(
        [pilot.pk for pilot, _refusal in shared if pilot.status == Pilot.Status.RUNNING]
    )
    return [
        SharedPilot(pilot=pilot, theme=themes.get(pilot.pk, ""), may_start=refusal is None)
        for pilot, refusal in shared
    ]


def start_pilot_conversation(
    *,
    sender: User,
    recipient: User,
    subject: str,
    body: str,
    client_id: uuid.UUID,
    theme_of: str = "",
) -> Conversation:
    """Start a direct conversation about `subject` with its first message, filed under the
    pilot the two share (the one whose theme was chosen, `theme_of` being its context, or the
    latest), tagged with that pilot's current theme if one was chosen.

    Raises ConversationRefused when the pilots' rules say no, messaging's errors when its own
    rules do. Idempotent per (sender, client_id), as messaging's start is.
    """
    started = conversations.started_with(starter=sender, client_id=client_id)
    if started is not None:  # the form posted again: the rules may have changed since
        return started
    refusal = conversation_refusal(sender=sender, recipient=recipient)
    if refusal is not None:
        raise ConversationRefused(refusal)
    startable = [
        found for found in shared_pilots(sender=sender, recipient=recipient) if found.may_start
    ]
    themed = next(
        (found for found in startable if theme_of and found.context == theme_of and found.theme),
        None,
    )
    if theme_of and themed is None:
        raise ConversationRefused(_("This theme is no longer on offer. Choose again."))
    home = themed or startable[0]
    return conversations.start_conversation(
        starter=sender,
        recipient=recipient,
        subject=subject,
        body=body,
        client_id=client_id,
        context=home.context,
        tag=themed.theme if themed else "",
    )
