"""The one way views reach a pilot and what is in it. Missing and not-allowed both raise 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from messaging.models import Report
from pilots.models import Announcement, Invitation, Material, Participation, Pilot, Role, Week
from pilots.services import moderated_contexts
from profiles.models import User


def get_participation(user: User, slug: str) -> Participation:
    """The user's participation in the pilot `slug`; 404 if there is none."""
    if not user.is_authenticated:
        raise Http404("No such pilot.")
    try:
        return Participation.objects.select_related("pilot", "pilot__host").get(
            pilot__slug=slug, user=user
        )
    except Participation.DoesNotExist:
        raise Http404("No such pilot.") from None


def get_pilot_for_participant(user: User, slug: str) -> Pilot:
    return get_participation(user, slug).pilot


def get_pilot_for_staff(user: User, slug: str) -> Pilot:
    """Only the pilot's own staff (and superusers) manage it."""
    if user.is_authenticated and user.is_superuser:
        try:
            return Pilot.objects.select_related("host").get(slug=slug)
        except Pilot.DoesNotExist:
            raise Http404("No such pilot.") from None
    participation = get_participation(user, slug)
    if participation.role != Role.STAFF:
        raise Http404("No such pilot.")
    return participation.pilot


def get_material_for_participant(user: User, slug: str, pk: int) -> Material:
    participation = get_participation(user, slug)
    materials = Material.objects.filter(pilot=participation.pilot)
    if participation.role != Role.STAFF:
        materials = materials.filter(is_published=True)
    try:
        return materials.get(pk=pk)
    except Material.DoesNotExist:
        raise Http404("No such material.") from None


def announcements_for(participation: Participation) -> Any:
    """The sent announcements this participant was one of the recipients of."""
    audiences = [Announcement.Audience.EVERYONE, participation.role]
    return Announcement.objects.filter(
        pilot=participation.pilot, sent_at__isnull=False, audience__in=audiences
    )


def get_announcement_for_participant(user: User, slug: str, pk: int) -> Announcement:
    participation = get_participation(user, slug)
    try:
        return announcements_for(participation).select_related("pilot").get(pk=pk)
    except Announcement.DoesNotExist:
        raise Http404("No such announcement.") from None


def get_pilot_row_for_staff(
    user: User, slug: str, related_name: str, *, select: tuple[str, ...] = (), **lookup: Any
) -> Any:
    """One row of the pilot's own `related_name` rows (e.g. "weeks"), for the pilot's staff;
    404 for anything else. The row gets the pilot already loaded, saving a query per page."""
    pilot = get_pilot_for_staff(user, slug)
    related = getattr(pilot, related_name)
    rows = related.select_related(*select) if select else related.all()
    try:
        found = rows.get(**lookup)
    except related.model.DoesNotExist:
        raise Http404("Not found.") from None
    found.pilot = pilot
    return found


def get_week_for_staff(user: User, slug: str, number: int) -> Week:
    return get_pilot_row_for_staff(user, slug, "weeks", number=number)


def get_material_for_staff(user: User, slug: str, pk: int) -> Material:
    return get_pilot_row_for_staff(user, slug, "materials", pk=pk)


def get_announcement_for_staff(user: User, slug: str, pk: int) -> Announcement:
    """Any announcement of the pilot, sent or not, for its staff."""
    return get_pilot_row_for_staff(user, slug, "announcements", select=("author",), pk=pk)


def get_invitation_for_staff(user: User, slug: str, pk: int) -> Invitation:
    return get_pilot_row_for_staff(user, slug, "invitations", pk=pk)


def get_report_for_staff(user: User, slug: str, pk: int) -> Report:
    """A report filed under the pilot (its conversations, its people), for the pilot's staff."""
    pilot = get_pilot_for_staff(user, slug)
    try:
        report = Report.objects.select_related("reported_user", "message").get(
            pk=pk, context__in=moderated_contexts(pilot)
        )
    except Report.DoesNotExist:
        raise Http404("No such report.") from None
    return report
