"""Who may start a conversation with whom inside a pilot, and starting it.

Pilots decides, messaging delivers: the rules of a pilot (both take part in it, their roles
may talk, an actor has finished the orientation, a mentor is taking new conversations, the pilot
is open) are checked here, for one person or a whole page of them (`start_refusals`), then
`messaging.services.conversations.start_conversation` stores the conversation under the pilot's
context, tagged with this week's theme if the starter chose it. Messaging checks only its own rules
(blocks, an active recipient, rate limits).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from messaging.models import Conversation
from messaging.services import conversations
from pilots.models import Material, Participation, Pilot, Role
from pilots.services.capacity import capacity_used_by
from pilots.services.schedule import current_themes
from profiles.matching import Suggestion, suggest_matches
from profiles.models import Profile, User
from profiles.offers import Offer

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


class Why(StrEnum):
    """Why a start is refused, so that a page can say what to do about it."""

    MESSAGING = "messaging"  # messaging's own rules: a block, an account that is gone
    NO_PILOT = "no_pilot"  # the starter takes part in no pilot: accept an invitation, join one
    NOT_SHARED = "not_shared"  # no open pilot in common
    ROLES = "roles"  # their roles do not talk to each other (mentor and mentor)
    ORIENTATION = "orientation"  # the starter (an actor) has not finished the orientation
    UNAVAILABLE = "unavailable"  # the mentor is not taking new conversations, or is full

    @property
    def about_starter(self) -> bool:
        """The same for everyone the starter might write to: theirs to change."""
        return self in (Why.NO_PILOT, Why.ORIENTATION)


# When every shared pilot refuses, the most helpful reason is told: the starter's own to-do,
# then the other's state, then the rule.
_TOLD_FIRST = (Why.ORIENTATION, Why.UNAVAILABLE, Why.ROLES)


@dataclass(frozen=True)
class StartRefusal:
    why: Why
    message: StrOrPromise
    pilot: Pilot | None = None  # the pilot the reason is about (its orientation)


@dataclass(frozen=True)
class SharedPilot:
    """An open pilot two people share, as the start page offers it."""

    pilot: Pilot
    theme: str = ""  # this week's theme, if the pilot is running and has one written
    may_start: bool = True  # whether the starter may start a conversation through it

    @property
    def context(self) -> str:
        return self.pilot.context


def _participations(user: User) -> list[Participation]:
    return list(Participation.objects.filter(user=user).select_related("pilot"))


def mentor_refusals(mentor_ids: Collection[int]) -> dict[int, StrOrPromise | None]:
    """Per mentor, why nobody may start a new conversation with them now (they are not taking
    new conversations, or their capacity is used up), or None. A fixed handful of queries."""
    if not mentor_ids:
        return {}
    profiles = {
        profile.pk: profile
        for profile in Profile.objects.filter(pk__in=list(mentor_ids))
        .select_related("user")
        .only("is_available", "capacity", "user__display_name", "user__email")
    }
    used = capacity_used_by([pk for pk, profile in profiles.items() if profile.is_available])
    refusals: dict[int, StrOrPromise | None] = {}
    for pk in mentor_ids:
        profile = profiles.get(pk)
        if profile is None:
            refusals[pk] = None
            continue
        name = profile.user.display_name or profile.user.email
        if not profile.is_available:
            refusals[pk] = _("%(name)s is not taking new conversations right now.") % {"name": name}
        elif used[pk] >= profile.capacity:
            refusals[pk] = _(
                "%(name)s already has as many conversations as they can follow. "
                "Try another mentor, or ask again later."
            ) % {"name": name}
        else:
            refusals[pk] = None
    return refusals


def mentor_refusal(mentor: User) -> StrOrPromise | None:
    """Why nobody may start a new conversation with `mentor` now, or None."""
    return mentor_refusals([mentor.pk])[mentor.pk]


def _pilot_rules(
    sender: User, participations: list[Participation], recipient_ids: Collection[int]
) -> dict[int, list[tuple[Pilot, StartRefusal | None]]]:
    """For each of `recipient_ids`, the open pilots `sender` (taking part as `participations`)
    shares with them, the latest first, each with the reason `sender` may not start a
    conversation through it (None: they may). A few queries for any number of recipients."""
    mine = {p.pilot_id: p for p in participations if not p.pilot.is_closed}
    shared: dict[int, list[tuple[Pilot, StartRefusal | None]]] = {pk: [] for pk in recipient_ids}
    if not mine or not recipient_ids:
        return shared
    theirs = list(
        Participation.objects.filter(user_id__in=recipient_ids, pilot_id__in=mine)
        .order_by("-pilot__starts_on", "pilot_id")
        .values_list("user_id", "pilot_id", "role")
    )
    needs_orientation = [
        pilot_id
        for pilot_id, p in mine.items()
        if p.role == Role.ACTOR and p.pilot.requires_orientation
    ]
    orientation_missing = set(
        Material.objects.filter(pilot_id__in=needs_orientation, required=True, is_published=True)
        .exclude(completions__user=sender)
        .values_list("pilot_id", flat=True)
        if needs_orientation and theirs
        else ()
    )
    # A mentor not taking new conversations (their profile says so) or at capacity (README: "A
    # mentor's capacity") is not started with by actors and peers; staff can still reach them.
    busy = mentor_refusals({user_id for user_id, _pilot, role in theirs if role == Role.MENTOR})
    for user_id, pilot_id, their_role in theirs:
        participation = mine[pilot_id]
        pilot = participation.pilot
        refusal: StartRefusal | None = None
        if frozenset({participation.role, their_role}) not in ALLOWED_PAIRS:
            refusal = StartRefusal(
                Why.ROLES, _("Mentors talk with actors in this pilot, not with each other."), pilot
            )
        elif pilot_id in orientation_missing:
            refusal = StartRefusal(
                Why.ORIENTATION,
                _("Finish the orientation of %(pilot)s first.") % {"pilot": pilot.name},
                pilot,
            )
        elif (
            their_role == Role.MENTOR
            and participation.role != Role.STAFF
            and (why_busy := busy.get(user_id)) is not None
        ):
            refusal = StartRefusal(Why.UNAVAILABLE, why_busy, pilot)
        shared[user_id].append((pilot, refusal))
    return shared


def start_refusals(*, sender: User, recipient_ids: Iterable[int]) -> dict[int, StartRefusal | None]:
    """Why `sender` may not start a conversation with each of `recipient_ids` (None: they
    may): messaging's own rules first, then the pilots they share. A few queries for a whole
    page of people."""
    ids = list(dict.fromkeys(recipient_ids))
    participations = _participations(sender)
    if not participations:  # the same answer for everyone: no need to ask messaging
        outside = StartRefusal(
            Why.NO_PILOT,
            _(
                "You can start conversations once you take part in a pilot: accept the "
                "invitation you got by e-mail, or join with your pilot's code."
            ),
        )
        yourself = StartRefusal(Why.MESSAGING, _("You cannot start a conversation with yourself."))
        return {pk: yourself if pk == sender.pk else outside for pk in ids}
    by_messaging = conversations.start_refusals(sender=sender, recipient_ids=ids)
    rules = _pilot_rules(sender, participations, [pk for pk in ids if pk not in by_messaging])
    answers: dict[int, StartRefusal | None] = {}
    for pk in ids:
        if pk in by_messaging:
            answers[pk] = StartRefusal(Why.MESSAGING, by_messaging[pk])
            continue
        refusals = [refusal for _pilot, refusal in rules[pk]]
        if any(refusal is None for refusal in refusals):
            answers[pk] = None
        elif refusals:
            answers[pk] = min(
                (r for r in refusals if r is not None), key=lambda r: _TOLD_FIRST.index(r.why)
            )
        else:
            answers[pk] = StartRefusal(
                Why.NOT_SHARED,
                _("You can write to people who take part in the same pilot as you."),
            )
    return answers


def start_refusal(*, sender: User, recipient: User) -> StartRefusal | None:
    return start_refusals(sender=sender, recipient_ids=[recipient.pk])[recipient.pk]


def conversation_refusal(*, sender: User, recipient: User) -> StrOrPromise | None:
    """Why `sender` may not start a conversation with `recipient`, or None if they may:
    messaging's own rules first, then a pilot they share (the most helpful reason found)."""
    refusal = start_refusal(sender=sender, recipient=recipient)
    return None if refusal is None else refusal.message


def shared_pilots(*, sender: User, recipient: User) -> list[SharedPilot]:
    """The open pilots the two share, the latest first, each with this week's theme if the
    pilot is running, and whether `sender` may start a conversation through it."""
    shared = _pilot_rules(sender, _participations(sender), [recipient.pk])[recipient.pk]
    themes = current_themes(
        [pilot.pk for pilot, _refusal in shared if pilot.status == Pilot.Status.RUNNING]
    )
    return [
        SharedPilot(pilot=pilot, theme=themes.get(pilot.pk, ""), may_start=refusal is None)
        for pilot, refusal in shared
    ]


def next_step(refusal: StartRefusal, *, recipient_id: int) -> tuple[str, StrOrPromise]:
    """Where the refused starter can go to change it, and the link's words ("" if nowhere)."""
    if refusal.why in (Why.NO_PILOT, Why.NOT_SHARED):
        return reverse("pilots:join"), _("Join a pilot with a code")
    if refusal.why == Why.ORIENTATION and refusal.pilot is not None:
        return refusal.pilot.get_absolute_url() + "#materials-heading", _("Go to the orientation")
    if refusal.why == Why.UNAVAILABLE:  # the start page lists others to ask
        return reverse("pilots:start_conversation", args=[recipient_id]), _("Other mentors to ask")
    return "", ""


def conversation_offers(*, viewer: User, user_ids: Iterable[int]) -> dict[int, Offer]:
    """profiles' question (profiles.signals.conversation_offers) answered: the start rules as
    profile pages show them, each refusal with what the viewer can do about it."""
    offers: dict[int, Offer] = {}
    for pk, refusal in start_refusals(sender=viewer, recipient_ids=user_ids).items():
        if refusal is None:
            offers[pk] = Offer(allowed=True)
            continue
        next_url, next_label = next_step(refusal, recipient_id=pk)
        offers[pk] = Offer(
            allowed=False,
            reason=refusal.message,
            next_url=next_url,
            next_label=next_label,
            about_viewer=refusal.why.about_starter,
        )
    return offers


def other_mentors(*, sender: User, instead_of: User, limit: int = 3) -> list[Suggestion]:
    """Up to `limit` mentors `sender` could ask instead of `instead_of` (who is not taking new
    conversations): suggested matches among the mentors of `sender`'s open pilots whom
    `sender` may start a conversation with now."""
    profile = Profile.objects.filter(pk=sender.pk).first()
    if profile is None:
        return []
    mentors = Participation.objects.filter(
        role=Role.MENTOR,
        pilot__in=Participation.objects.filter(user=sender)
        .exclude(pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
        .values("pilot_id"),
    ).exclude(user=instead_of)
    candidates = suggest_matches(
        profile=profile, viewer=sender, limit=limit * 3, among=mentors.values("user_id")
    )
    allowed = start_refusals(sender=sender, recipient_ids=[s.profile.pk for s in candidates])
    return [s for s in candidates if allowed[s.profile.pk] is None][:limit]


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
