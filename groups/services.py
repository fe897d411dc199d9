"""Loop state changes: form pairs (by hand or from suggestions), create groups, add and remove
members, join and leave discussion groups, archive, and lock a closed pilot's conversations.

Each loop has one messaging conversation (kind GROUP, context "group:<id>"). Every change of
members goes through `messaging.services.conversations.set_participants`, so a removal takes
effect on sockets already open; archiving or closing the pilot locks the conversation (read-only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from groups.models import Group, GroupMember
from mentoring.errors import UserError
from messaging.models import Conversation
from messaging.services.conversations import (
    create_group_conversation,
    lock,
    lock_all,
    set_participants,
    unlock_all,
)
from pilots.models import Participation, Pilot, Role
from profiles.matching import Suggestion, join_words, suggest_matches
from profiles.models import Profile, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# A professional's pairs and mentoring groups count against their capacity while the pilot is
# not closed: staff form pairs while recruiting, before the pilot runs.
OPEN_PILOT_STATUSES = (Pilot.Status.DRAFT, Pilot.Status.RECRUITING, Pilot.Status.RUNNING)
# How many ranked mentors suggest_pairs looks at per actor before giving up on them.
SUGGESTION_DEPTH = 5


class GroupError(UserError):
    """A refused change to a loop."""


class MentorUnavailable(GroupError):
    """The professional is unavailable or full; staff may form the pair anyway (`force`)."""


# Loads and capacity ------------------------------------------------------------------------


def _professional_side() -> Q:
    """Memberships in which the member is the professional of a pair or a mentoring group:
    the mentor of an individual pair or a mentoring group, the mentee of a reverse pair."""
    return Q(
        role=GroupMember.Role.MENTOR, group__mode__in=[Group.Mode.INDIVIDUAL, Group.Mode.GROUP]
    ) | Q(role=GroupMember.Role.MENTEE, group__mode=Group.Mode.REVERSE)


def mentor_loads(*, user_ids: Iterable[int]) -> dict[int, int]:
    """How many active pairs and mentoring groups each professional is in, across the pilots
    that are not closed. One query."""
    rows = (
        GroupMember.objects.filter(
            _professional_side(),
            user_id__in=list(user_ids),
            group__archived_at__isnull=True,
            group__pilot__status__in=OPEN_PILOT_STATUSES,
        )
        .order_by()
        .values_list("user_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)  # type: ignore[arg-type]


def check_capacity(*, professional: User) -> None:
    """Raise MentorUnavailable if the professional is not taking new mentees or is full.

    Locks the profile row, so two staff members forming pairs at once cannot both take the
    last place (PostgreSQL; SQLite serialises writers anyway)."""
    profile = Profile.objects.select_for_update().filter(pk=professional.pk).first()
    if profile is None:
        return
    name = professional.display_name or professional.email
    if not profile.is_available:
        raise MentorUnavailable(
            _("%(name)s is not taking on new mentees right now.") % {"name": name}
        )
    load = mentor_loads(user_ids=[professional.pk]).get(professional.pk, 0)
    if load >= profile.capacity:
        raise MentorUnavailable(
            _("%(name)s is full: %(load)d of %(capacity)d places are taken.")
            % {"name": name, "load": load, "capacity": profile.capacity}
        )


# Creating loops ----------------------------------------------------------------------------


def _ensure_open(pilot: Pilot) -> None:
    if pilot.is_closed:
        raise GroupError(_("This pilot is closed: its loops are read-only."))


def _roles_in(pilot: Pilot, user_ids: Iterable[int]) -> dict[int, str]:
    """The pilot roles of those of `user_ids` who take part in it with an active account."""
    return dict(
        Participation.objects.filter(
            pilot=pilot, user_id__in=list(user_ids), user__is_active=True
        ).values_list("user_id", "role")
    )


def _loop_role(kind: str, pilot_role: str) -> str:
    """The role someone gets in a group from their role in the pilot."""
    if pilot_role == Role.STAFF:
        return GroupMember.Role.MODERATOR
    if kind == Group.Kind.MENTORING:
        return GroupMember.Role.MENTOR if pilot_role == Role.MENTOR else GroupMember.Role.MENTEE
    return GroupMember.Role.MEMBER


def _create_loop(
    *,
    pilot: Pilot,
    kind: str,
    mode: str,
    name: str,
    description: str,
    is_open: bool,
    created_by: User | None,
    members: list[tuple[int, str]],
) -> Group:
    group = Group(
        pilot=pilot,
        kind=kind,
        mode=mode,
        name=name,
        description=description,
        is_open=is_open,
        created_by=created_by,
    )
    try:
        group.full_clean(exclude=["conversation", "created_by"])
    except ValidationError as error:
        raise GroupError(" ".join(error.messages)) from error
    # Checked first: the conversation's subject is the name.
    group.conversation = create_group_conversation(subject=name, context="", member_ids=[])
    group.save()
    conversation = group.conversation
    # The context names the loop, whose id exists only now.
    conversation.context = group.context
    conversation.save(update_fields=["context"])
    GroupMember.objects.bulk_create(
        [GroupMember(group=group, user_id=user_id, role=role) for user_id, role in members]
    )
    set_participants(conversation=conversation, user_ids=[user_id for user_id, _r in members])
    return group


_PAIR_ROLES: dict[str, tuple[str, str]] = {
    Group.Mode.INDIVIDUAL: (Role.MENTOR, Role.ACTOR),
    Group.Mode.REVERSE: (Role.ACTOR, Role.MENTOR),
    Group.Mode.PEER: (Role.ACTOR, Role.ACTOR),
}
_PAIR_ROLE_ERRORS: dict[str, StrOrPromise] = {
    Group.Mode.INDIVIDUAL: _(
        "In an individual pair the mentor is one of the pilot's mentors and the mentee one of "
        "its actors."
    ),
    Group.Mode.REVERSE: _(
        "In a reverse pair the actor mentors one of the pilot's mentors: choose the actor as "
        "the mentor and the professional as the mentee."
    ),
    Group.Mode.PEER: _("A peer pair is two of the pilot's actors."),
}


def pair_name(mentor: User, mentee: User) -> str:
    names = (mentor.display_name or mentor.email, mentee.display_name or mentee.email)
    return " \N{EN DASH} ".join(names)[:120]


@transaction.atomic
def form_pair(
    *,
    pilot: Pilot,
    mentor: User,
    mentee: User,
    mode: str,
    created_by: User | None,
    force: bool = False,
) -> Group:
    """A pair in `mode`. Individual: a pilot mentor with an actor; reverse: an actor as the
    mentor of a professional; peer: two actors. The professional's availability and capacity
    are respected unless staff `force` it (raises MentorUnavailable, a GroupError)."""
    _ensure_open(pilot)
    if mode not in _PAIR_ROLES:
        raise GroupError(_("Choose the pair's mode: individual, reverse or peer."))
    if mentor.pk == mentee.pk:
        raise GroupError(_("A pair is two different people."))
    roles = _roles_in(pilot, [mentor.pk, mentee.pk])
    if mentor.pk not in roles or mentee.pk not in roles:
        raise GroupError(_("Both people must take part in the pilot."))
    if (roles[mentor.pk], roles[mentee.pk]) != _PAIR_ROLES[mode]:
        raise GroupError(_PAIR_ROLE_ERRORS[mode])
    existing = (
        Group.objects.active()
        .filter(pilot=pilot, kind=Group.Kind.PAIR, memberships__user=mentor)
        .filter(memberships__user=mentee)
    )
    if existing.exists():
        raise GroupError(_("These two already form a pair in this pilot."))
    professional = {Group.Mode.INDIVIDUAL.value: mentor, Group.Mode.REVERSE.value: mentee}.get(mode)
    if professional is not None and not force:
        check_capacity(professional=professional)
    return _create_loop(
        pilot=pilot,
        kind=Group.Kind.PAIR,
        mode=mode,
        name=pair_name(mentor, mentee),
        description="",
        is_open=False,
        created_by=created_by,
        members=[(mentor.pk, GroupMember.Role.MENTOR), (mentee.pk, GroupMember.Role.MENTEE)],
    )


@transaction.atomic
def create_group(
    *,
    pilot: Pilot,
    kind: str,
    name: str,
    created_by: User | None,
    mode: str = "",
    description: str = "",
    is_open: bool = False,
    member_ids: Iterable[int] = (),
) -> Group:
    """A mentoring group (mode "group": mentors with actors) or a discussion group (no mode;
    `is_open` lets anyone in the pilot join). Members must take part in the pilot; their role
    follows their role in the pilot (staff moderate)."""
    _ensure_open(pilot)
    if kind == Group.Kind.MENTORING:
        if mode not in ("", Group.Mode.GROUP):
            raise GroupError(_("A mentoring group has the group mode."))
        if is_open:
            raise GroupError(_("Only discussion groups can be open to join."))
        mode = Group.Mode.GROUP
    elif kind == Group.Kind.DISCUSSION:
        if mode:
            raise GroupError(_("A discussion group has no mentoring mode."))
    else:
        raise GroupError(_("Form pairs with their mentor and mentee instead."))
    wanted = set(member_ids)
    roles = _roles_in(pilot, wanted)
    if wanted - roles.keys():
        raise GroupError(_("Every member must take part in the pilot."))
    return _create_loop(
        pilot=pilot,
        kind=kind,
        mode=mode,
        name=name,
        description=description,
        is_open=is_open,
        created_by=created_by,
        members=[(user_id, _loop_role(kind, roles[user_id])) for user_id in sorted(wanted)],
    )


# Members -----------------------------------------------------------------------------------


def _locked(group: Group) -> Group:
    """The group's row locked for this transaction: membership changes of one group happen one
    after the other, so each sees the others' members when it sets the participants."""
    return (
        Group.objects.select_for_update().select_related("pilot", "conversation").get(pk=group.pk)
    )


def _sync_participants(group: Group) -> None:
    member_ids = group.memberships.values_list("user_id", flat=True)
    set_participants(conversation=group.conversation, user_ids=list(member_ids))


def _enrol(group: Group, user: User, role: str) -> GroupMember:
    """The membership, made now (and in the conversation) unless it was there already."""
    membership, created = GroupMember.objects.get_or_create(
        group=group, user=user, defaults={"role": role}
    )
    if created:
        _sync_participants(group)
    return membership


def _unenrol(group: Group, user: User) -> None:
    deleted, _rows = GroupMember.objects.filter(group=group, user=user).delete()
    if deleted:
        _sync_participants(group)


@transaction.atomic
def add_member(*, group: Group, user: User, role: str = "") -> GroupMember:
    """Add someone who takes part in the pilot to a mentoring or discussion group. The role
    follows their role in the pilot unless given. Adding a member twice changes nothing."""
    group = _locked(group)
    _ensure_open(group.pilot)
    if group.is_archived:
        raise GroupError(_("This loop is archived."))
    if group.is_pair:
        raise GroupError(_("A pair is two people: form a new pair instead."))
    pilot_role = _roles_in(group.pilot, [user.pk]).get(user.pk)
    if pilot_role is None:
        raise GroupError(_("Only people who take part in the pilot can be added."))
    if role and role not in GroupMember.Role.values:
        raise GroupError(_("Choose a valid role."))
    return _enrol(group, user, role or _loop_role(group.kind, pilot_role))


@transaction.atomic
def remove_member(*, group: Group, user: User) -> None:
    """Take someone out of a group and its conversation, on their open sockets too."""
    group = _locked(group)
    if group.is_pair:
        raise GroupError(_("A pair is two people: archive it instead."))
    _unenrol(group, user)


@transaction.atomic
def join_group(*, group: Group, user: User) -> GroupMember:
    """An actor or mentor of the pilot joins an open discussion group."""
    group = _locked(group)
    _ensure_open(group.pilot)
    if not (group.is_discussion and group.is_open) or group.is_archived:
        raise GroupError(_("This group is not open to join."))
    if _roles_in(group.pilot, [user.pk]).get(user.pk) not in (Role.ACTOR, Role.MENTOR):
        raise GroupError(_("Actors and mentors of the pilot can join its discussion groups."))
    return _enrol(group, user, GroupMember.Role.MEMBER)


@transaction.atomic
def leave_group(*, group: Group, user: User) -> None:
    """Leave a discussion group. Pairs and mentoring groups are changed by project staff."""
    group = _locked(group)
    if not group.is_discussion:
        raise GroupError(_("Ask the project staff to change a pair or a mentoring group."))
    _unenrol(group, user)


# Closing -----------------------------------------------------------------------------------


@transaction.atomic
def archive_group(*, group: Group) -> Group:
    """Archive the loop: its members keep the history, read-only. Archiving twice is harmless."""
    now = timezone.now()
    Group.objects.filter(pk=group.pk, archived_at__isnull=True).update(archived_at=now)
    lock(conversation=group.conversation)
    group.refresh_from_db(fields=["archived_at"])
    return group


def lock_pilot_conversations(*, pilot: Pilot) -> int:
    """Make every loop conversation of the pilot read-only (when the pilot closes: pilots'
    `pilot_closed` signal). Returns how many were locked now."""
    return lock_all(Conversation.objects.filter(loop__pilot=pilot))


def unlock_pilot_conversations(*, pilot: Pilot) -> int:
    """The pilot is open again (pilots' `pilot_reopened`): the conversations of its loops can
    be written in again, except those of archived loops. Returns how many."""
    open_loops = Conversation.objects.filter(loop__pilot=pilot, loop__archived_at__isnull=True)
    return unlock_all(open_loops)


def leave_pilot_groups(*, pilot: Pilot, user: User) -> int:
    """`user` is out of the pilot (pilots' `participant_removed`): they leave all its loops
    and their conversations, on open sockets too. A pair cannot go on without them,
    so it is archived (read-only for the other person). Returns how many loops they left."""
    memberships = list(
        GroupMember.objects.filter(group__pilot=pilot, user=user).select_related("group")
    )
    for membership in memberships:
        group = _locked(membership.group)
        membership.delete()
        _sync_participants(group)
        if group.is_pair:
            archive_group(group=group)
    return len(memberships)


# Suggestions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairSuggestion:
    mentor: User
    actor: User
    reason: str
    places_left: int  # the mentor's free places now, before any suggested pair is formed


def _staff_reason(suggestion: Suggestion, actor: User) -> str:
    """Why the match, told to staff (Suggestion.reason speaks to the actor)."""
    reason = gettext("%(mentor)s can share %(names)s, which %(actor)s wants to learn.") % {
        "mentor": suggestion.profile.user.display_name,
        "names": join_words([c.name for c in suggestion.competences]),
        "actor": actor.display_name,
    }
    if suggestion.languages:
        reason += " " + gettext("Both speak %(languages)s.") % {
            "languages": join_words([lang.name for lang in suggestion.languages])
        }
    return reason


def suggest_pairs(*, pilot: Pilot, limit: int | None = None) -> list[PairSuggestion]:
    """For each actor of the pilot without an individual pair (by name, up to `limit` actors),
    the best-matching mentor of the pilot who is available and has a place left, as
    `profiles.matching.suggest_matches` ranks them for that actor. A mentor is suggested at
    most as many times as they have places left, so the whole list can be formed.

    Cost: four queries up front, then suggest_matches' six per actor (ranking, languages,
    wants, the profiles and their prefetches): 28 actors take about 170 queries, so staff pages
    pass `limit`.
    """
    mentor_ids = list(
        Participation.objects.filter(
            pilot=pilot,
            role=Role.MENTOR,
            user__is_active=True,
            user__profile__is_available=True,
        ).values_list("user_id", flat=True)
    )
    loads = mentor_loads(user_ids=mentor_ids)
    capacities = dict(Profile.objects.filter(pk__in=mentor_ids).values_list("pk", "capacity"))
    places = {uid: capacities[uid] - loads.get(uid, 0) for uid in mentor_ids}
    free = {uid: left for uid, left in places.items() if left > 0}
    if not free:
        return []
    paired = GroupMember.objects.filter(
        group__pilot=pilot,
        group__kind=Group.Kind.PAIR,
        group__mode=Group.Mode.INDIVIDUAL,
        group__archived_at__isnull=True,
        role=GroupMember.Role.MENTEE,
    ).values("user_id")
    actors = (
        Participation.objects.filter(pilot=pilot, role=Role.ACTOR, user__is_active=True)
        .exclude(user_id__in=paired)
        .select_related("user", "user__profile")
        .order_by("user__display_name", "user_id")
    )
    if limit is not None:
        actors = actors[:limit]
    suggestions = []
    for participation in actors:
        actor = participation.user
        if not free:
            break
        ranked = suggest_matches(
            profile=actor.profile, viewer=actor, limit=SUGGESTION_DEPTH, among=list(free)
        )
        best = next((s for s in ranked if free.get(s.profile.pk, 0) > 0), None)
        if best is None:
            continue
        mentor_id = best.profile.pk
        suggestions.append(
            PairSuggestion(
                mentor=best.profile.user,
                actor=actor,
                reason=_staff_reason(best, actor),
                places_left=places[mentor_id],
            )
        )
        free[mentor_id] -= 1
        if not free[mentor_id]:
            del free[mentor_id]
    return suggestions


def group_contexts(*, pilot: Pilot) -> list[str]:
    """The conversation contexts of the pilot's loops, for its moderation queue."""
    return [group.context for group in Group.objects.filter(pilot=pilot).only("pk")]
