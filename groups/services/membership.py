"""Group state changes: form pairs, create groups, add and remove members, join and leave
discussion groups, archive, and lock a closed pilot's conversations.

Each group has one messaging conversation (kind GROUP, a pair's kind PAIR, context
"group:<id>"). Every change of members goes through
`messaging.services.conversations.set_participants`, so a removal takes effect on sockets
already open; archiving or closing the pilot locks the conversation (read-only). Forming a
group or adding someone to it tells them (`notices`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from groups.models import Group, GroupMember
from groups.services.capacity import GroupError, check_capacity
from groups.services.notices import introduce, tell_members
from messaging.models import Conversation
from messaging.services.conversations import (
    create_group_conversation,
    lock,
    lock_all,
    set_participants,
    unlock_all,
)
from pilots.models import Participation, Pilot, Role
from profiles.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Creating groups ----------------------------------------------------------------------------


def _ensure_open(pilot: Pilot) -> None:
    if pilot.is_closed:
        raise GroupError(_("This pilot is closed: its groups are read-only."))


def _roles_in(pilot: Pilot, user_ids: Iterable[int]) -> dict[int, str]:
    """The pilot roles of those of `user_ids` who take part in it with an active account."""
    return dict(
        Participation.objects.filter(
            pilot=pilot, user_id__in=list(user_ids), user__is_active=True
        ).values_list("user_id", "role")
    )


def _group_role(kind: str, pilot_role: str) -> str:
    """The role someone gets in a group from their role in the pilot."""
    if pilot_role == Role.STAFF:
        return GroupMember.Role.MODERATOR
    if kind == Group.Kind.MENTORING:
        return GroupMember.Role.MENTOR if pilot_role == Role.MENTOR else GroupMember.Role.MENTEE
    return GroupMember.Role.MEMBER


def _make_group(
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
    group.conversation = create_group_conversation(
        subject=name,
        context="",
        member_ids=[],
        kind=Conversation.Kind.PAIR if kind == Group.Kind.PAIR else Conversation.Kind.GROUP,
    )
    group.save()
    conversation = group.conversation
    # The context names the group, whose id exists only now.
    conversation.context = group.context
    conversation.save(update_fields=["context"])
    GroupMember.objects.bulk_create(
        [GroupMember(group=group, user_id=user_id, role=role) for user_id, role in members]
    )
    set_participants(conversation=conversation, user_ids=[user_id for user_id, _r in members])
    memberships = list(group.memberships.select_related("user"))
    introduce(group=group, author=created_by, members=[m.user for m in memberships])
    tell_members(group=group, memberships=memberships)
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
    """A pair is called by its two: "Maria Mentor & Alice Actor" (its conversation too)."""
    names = (mentor.display_name or mentor.email, mentee.display_name or mentee.email)
    return " & ".join(names)[:120]


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
    return _make_group(
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
    return _make_group(
        pilot=pilot,
        kind=kind,
        mode=mode,
        name=name,
        description=description,
        is_open=is_open,
        created_by=created_by,
        members=[(user_id, _group_role(kind, roles[user_id])) for user_id in sorted(wanted)],
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


def _enrol(group: Group, user: User, role: str) -> tuple[GroupMember, bool]:
    """The membership, made now (and in the conversation) unless it was there already, and
    whether it is new."""
    membership, created = GroupMember.objects.get_or_create(
        group=group, user=user, defaults={"role": role}
    )
    if created:
        _sync_participants(group)
    return membership, created


def _unenrol(group: Group, user: User) -> None:
    deleted, _rows = GroupMember.objects.filter(group=group, user=user).delete()
    if deleted:
        _sync_participants(group)


@transaction.atomic
def add_member(*, group: Group, user: User, role: str = "") -> GroupMember:
    """Add someone who takes part in the pilot to a mentoring or discussion group, and tell
    them. The role follows their role in the pilot unless given. Adding a member twice
    changes nothing."""
    group = _locked(group)
    _ensure_open(group.pilot)
    if group.is_archived:
        raise GroupError(_("This group is archived."))
    if group.is_pair:
        raise GroupError(_("A pair is two people: form a new pair instead."))
    pilot_role = _roles_in(group.pilot, [user.pk]).get(user.pk)
    if pilot_role is None:
        raise GroupError(_("Only people who take part in the pilot can be added."))
    if role and role not in GroupMember.Role.values:
        raise GroupError(_("Choose a valid role."))
    membership, created = _enrol(group, user, role or _group_role(group.kind, pilot_role))
    if created:
        tell_members(group=group, memberships=[membership])
    return membership


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
    membership, _created = _enrol(group, user, GroupMember.Role.MEMBER)
    return membership


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
    """Archive the group: its members keep the history, read-only. Archiving twice is harmless."""
    now = timezone.now()
    Group.objects.filter(pk=group.pk, archived_at__isnull=True).update(archived_at=now)
    lock(conversation=group.conversation)
    group.refresh_from_db(fields=["archived_at"])
    return group


def lock_pilot_conversations(*, pilot: Pilot) -> int:
    """Make every group conversation of the pilot read-only (when the pilot closes: pilots'
    `pilot_closed` signal). Returns how many were locked now."""
    return lock_all(Conversation.objects.filter(group__pilot=pilot))


def unlock_pilot_conversations(*, pilot: Pilot) -> int:
    """The pilot is open again (pilots' `pilot_reopened`): the conversations of its groups can
    be written in again, except those of archived groups. Returns how many."""
    open_groups = Conversation.objects.filter(group__pilot=pilot, group__archived_at__isnull=True)
    return unlock_all(open_groups)


def leave_pilot_groups(*, pilot: Pilot, user: User) -> int:
    """`user` is out of the pilot (pilots' `participant_removed`): they leave all its groups
    and their conversations, on open sockets too. A pair cannot go on without them,
    so it is archived (read-only for the other person). Returns how many groups they left."""
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


def group_contexts(*, pilot: Pilot) -> list[str]:
    """The conversation contexts of the pilot's groups, for its moderation queue."""
    return [group.context for group in Group.objects.filter(pilot=pilot).only("pk")]
