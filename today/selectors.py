"""What a signed-in person's Today page shows, per role they have in their pilots.

Someone can be an actor in one pilot, a mentor in another and staff in a third: each pilot
adds the sections of that role. Everything is read in a fixed number of queries, however many
pilots, groups and conversations there are (tests/today/test_queries.py).

Today sits above every other app (today -> groups -> pilots -> messaging -> profiles): it reads
them all and nobody imports it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from groups.models import Group, GroupMember
from messaging import services as messaging
from messaging.models import Delivery, Kind, Report
from messaging.services import conversations
from pilots import services as pilots
from pilots.models import Material, MaterialCompletion, Participation, Pilot, Role, Week
from profiles.matching import Suggestion, suggest_matches
from profiles.models import Profile, ProfileCompetence, User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SUGGESTIONS = 3


@dataclass
class Orientation:
    total: int = 0
    done: int = 0
    next_material: Material | None = None  # the first required one not done yet

    @property
    def finished(self) -> bool:
        return self.done >= self.total


@dataclass
class PilotToday:
    """One pilot in which the person is an actor or a mentor."""

    pilot: Pilot
    role: str
    week: Week | None = None
    orientation: Orientation = field(default_factory=Orientation)


@dataclass(frozen=True)
class GroupRow:
    group: Group
    role: str  # the person's role in it
    unread: int


@dataclass(frozen=True)
class SuggestionRow:
    suggestion: Suggestion
    is_reverse: bool  # a mentor who wants to learn something the person can share
    refusal: StrOrPromise | None  # why "Start a conversation" is not offered
    theme_of: str  # the context of a pilot whose theme the start page preselects
    # The refusal is about the person themself (orientation not done), the same for every
    # suggestion: Today says it once, above them, with the way forward.
    refusal_is_mine: bool = False
    next_url: str = ""
    next_label: StrOrPromise = ""

    @property
    def card(self) -> object:
        return self.suggestion.card


@dataclass(frozen=True)
class Availability:
    is_available: bool
    used: int
    capacity: int


@dataclass(frozen=True)
class PilotHealth:
    """What a pilot's staff see of it on Today."""

    pilot: Pilot
    people: int
    active: int  # seen in the last seven days
    quiet: int  # no activity for seven days or more
    open_reports: int
    failed: int  # failed deliveries of announcements and weekly themes


@dataclass
class Today:
    actor_pilots: list[PilotToday] = field(default_factory=list)
    mentor_pilots: list[PilotToday] = field(default_factory=list)
    staff_pilots: list[PilotHealth] = field(default_factory=list)
    groups: list[GroupRow] = field(default_factory=list)
    asked: list[messaging.Waiting] = field(default_factory=list)
    waiting: list[messaging.Waiting] = field(default_factory=list)
    suggestions: list[SuggestionRow] = field(default_factory=list)
    availability: Availability | None = None
    profile: Profile | None = None

    @property
    def my_refusal(self) -> SuggestionRow | None:
        """A suggestion whose refusal is about the person themself (said once for all)."""
        return next((row for row in self.suggestions if row.refusal_is_mine), None)

    @property
    def in_no_pilot(self) -> bool:
        return not (self.actor_pilots or self.mentor_pilots or self.staff_pilots)

    @property
    def weeks(self) -> list[PilotToday]:
        """The pilots (as an actor or a mentor) whose current week has a theme."""
        seen: set[int] = set()
        found = []
        for item in [*self.actor_pilots, *self.mentor_pilots]:
            if item.week is not None and item.week.theme and item.pilot.pk not in seen:
                seen.add(item.pilot.pk)
                found.append(item)
        return found


def today_for(user: User) -> Today:
    participations = list(
        Participation.objects.filter(user=user)
        .exclude(pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
        .select_related("pilot")
        .order_by("-pilot__starts_on", "pilot_id")
    )
    by_role: dict[str, list[Pilot]] = defaultdict(list)
    for participation in participations:
        by_role[participation.role].append(participation.pilot)
    today = Today(
        actor_pilots=[PilotToday(pilot, Role.ACTOR) for pilot in by_role[Role.ACTOR]],
        mentor_pilots=[PilotToday(pilot, Role.MENTOR) for pilot in by_role[Role.MENTOR]],
    )
    taking_part = [*today.actor_pilots, *today.mentor_pilots]
    if taking_part:
        _add_weeks(taking_part)
        today.groups = _groups(user)
    if today.actor_pilots:
        _add_orientation(today.actor_pilots, user)
        today.asked = messaging.asked_by(user=user)
        today.profile = Profile.objects.for_listing().get(pk=user.pk)
        today.suggestions = _suggestions(user, today)
    if today.mentor_pilots:
        today.waiting = messaging.waiting_for(user=user)
        profile = today.profile or Profile.objects.only("is_available", "capacity").get(pk=user.pk)
        today.availability = Availability(
            is_available=profile.is_available,
            used=pilots.capacity_used(mentor=user),
            capacity=profile.capacity,
        )
    if by_role[Role.STAFF]:
        today.staff_pilots = _health(by_role[Role.STAFF])
    return today


def _add_weeks(items: list[PilotToday]) -> None:
    day = timezone.localdate()
    weeks = {
        week.pilot_id: week
        for week in Week.objects.filter(
            pilot_id__in={item.pilot.pk for item in items}, starts_on__lte=day, ends_on__gte=day
        )
    }
    for item in items:
        item.week = weeks.get(item.pilot.pk)


def _add_orientation(items: list[PilotToday], user: User) -> None:
    required = Material.objects.filter(
        pilot_id__in=[item.pilot.pk for item in items], required=True, is_published=True
    ).annotate(done=Exists(MaterialCompletion.objects.filter(material=OuterRef("pk"), user=user)))
    by_pilot: dict[int, Orientation] = defaultdict(Orientation)
    for material in required:
        orientation = by_pilot[material.pilot_id]
        orientation.total += 1
        if material.done:  # type: ignore[attr-defined]
            orientation.done += 1
        elif orientation.next_material is None:
            orientation.next_material = material
    for item in items:
        item.orientation = by_pilot.get(item.pilot.pk, Orientation())


def _groups(user: User) -> list[GroupRow]:
    """The person's active pairs and groups in pilots that are not closed, with unread counts."""
    memberships = (
        GroupMember.objects.filter(user=user, group__archived_at__isnull=True)
        .exclude(group__pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
        .select_related("group", "group__pilot")
        .order_by("group__pilot__starts_on", "group__kind", "group__name", "group_id")
    )
    rows = list(memberships)
    if not rows:
        return []
    unread = conversations.unread_counts(user=user)
    return [GroupRow(row.group, row.role, unread.get(row.group.conversation_id, 0)) for row in rows]


def _suggestions(user: User, today: Today) -> list[SuggestionRow]:
    """Three people from the person's pilots (as an actor) to talk with, best first, leaving out
    those they are already in a pair or group with."""
    profile = today.profile
    assert profile is not None
    pilot_ids = [item.pilot.pk for item in today.actor_pilots]
    my_groups = GroupMember.objects.filter(user=user).values("group_id")
    grouped_with = GroupMember.objects.filter(group_id__in=my_groups).values("user_id")
    among = (
        Participation.objects.filter(pilot_id__in=pilot_ids, role__in=[Role.ACTOR, Role.MENTOR])
        .exclude(user_id__in=grouped_with)
        .values("user_id")
    )
    found = suggest_matches(profile=profile, viewer=user, limit=SUGGESTIONS, among=among)
    my_shares = {
        link.competence_id
        for link in profile.competence_links.all()
        if link.direction == ProfileCompetence.Direction.SHARE
    }
    themed = {
        item.pilot.pk: item.pilot.context
        for item in today.actor_pilots
        if item.week is not None and item.week.theme
    }
    theme_of = next(iter(themed.values()), "")
    refusals = pilots.start_refusals(
        sender=user, recipient_ids=[suggestion.profile.pk for suggestion in found]
    )
    rows = []
    for suggestion in found:
        other = suggestion.profile
        learns = {link.competence_id for link in other.learns()}
        refusal = refusals[other.pk]
        next_url, next_label = (
            pilots.next_step(refusal, recipient_id=other.pk) if refusal else ("", "")
        )
        rows.append(
            SuggestionRow(
                suggestion=suggestion,
                is_reverse=other.is_professional and bool(learns & my_shares),
                refusal=refusal.message if refusal else None,
                theme_of=theme_of,
                refusal_is_mine=refusal is not None and refusal.why.about_starter,
                next_url=next_url,
                next_label=next_label,
            )
        )
    return rows


def _health(staffed: list[Pilot]) -> list[PilotHealth]:
    """Each staffed pilot's people, activity, open reports and failed deliveries, in four
    queries however many pilots."""
    now = timezone.now()
    ids = [pilot.pk for pilot in staffed]
    people = {
        row["pilot_id"]: row
        for row in Participation.objects.filter(pilot_id__in=ids)
        .order_by()
        .values("pilot_id")
        .annotate(
            n=Count("pk"),
            active=Count("pk", filter=Q(last_seen_at__gte=now - pilots.QUIET_AFTER)),
            quiet=Count("pk", filter=pilots.quiet(now)),
        )
    }
    # The contexts each pilot's staff moderate: the pilot's own and its groups' (as
    # pilots.moderated_contexts answers for one pilot), for all the pilots at once.
    context_pilot = {pilot.context: pilot.pk for pilot in staffed}
    for group_id, pilot_id in Group.objects.filter(pilot_id__in=ids).values_list("pk", "pilot_id"):
        context_pilot[Group(pk=group_id).context] = pilot_id
    reports: dict[int, int] = defaultdict(int)
    for context, n in (
        Report.objects.filter(context__in=list(context_pilot), outcome=Report.Outcome.OPEN)
        .order_by()
        .values_list("context")
        .annotate(n=Count("pk"))
    ):
        reports[context_pilot[context]] += n
    failed: dict[int, int] = defaultdict(int)
    for context, n in (
        Delivery.objects.filter(
            broadcast__context__in=[pilot.context for pilot in staffed],
            broadcast__kind__in=[Kind.ANNOUNCEMENT, Kind.WEEK],
            status=Delivery.Status.FAILED,
        )
        .order_by()
        .values_list("broadcast__context")
        .annotate(n=Count("pk"))
    ):
        failed[context_pilot[context]] += n
    empty = {"n": 0, "active": 0, "quiet": 0}
    return [
        PilotHealth(
            pilot=pilot,
            people=people.get(pilot.pk, empty)["n"],
            active=people.get(pilot.pk, empty)["active"],
            quiet=people.get(pilot.pk, empty)["quiet"],
            open_reports=reports[pilot.pk],
            failed=failed[pilot.pk],
        )
        for pilot in staffed
    ]
