"""The pilot's own staff run it from these pages: the pilot itself, the weekly plan, materials,
participants and announcements with their delivery status.

Every page reaches the pilot through `pilots.access`: for anyone but the pilot's staff (and
superusers) it does not exist.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mentoring.types import AuthedRequest
from messaging.models import Delivery, Kind
from pilots import services
from pilots.access import (
    get_announcement_for_staff,
    get_material_for_staff,
    get_pilot_for_staff,
    get_week_for_staff,
)
from pilots.forms import (
    AnnouncementForm,
    MaterialForm,
    NewPilotForm,
    ParticipantFilterForm,
    PilotForm,
    WeekForm,
)
from pilots.models import (
    Announcement,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Role,
)
from pilots.services.membership import QUIET_AFTER, quiet
from pilots.texts import languages

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _Orientation(TypedDict):
    orientation_done: int


PARTICIPANTS_PER_PAGE = 100
ANNOUNCEMENTS_PER_PAGE = 25
FAILED_PER_PAGE = 50


# Queries ------------------------------------------------------------------------------------


def _required_total(pilot: Pilot) -> int:
    return Material.objects.filter(pilot=pilot, required=True, is_published=True).count()


def _participants(
    pilot: Pilot,
) -> QuerySet[WithAnnotations[Participation, _Orientation]]:
    """The pilot's participants, each with `orientation_done`: how many of the required,
    published materials they have finished. One query however many there are."""
    done = (
        MaterialCompletion.objects.filter(
            user=OuterRef("user_id"),
            material__pilot=pilot,
            material__required=True,
            material__is_published=True,
        )
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Participation.objects.filter(pilot=pilot)
        .select_related("user")
        .annotate(orientation_done=Coalesce(Subquery(done, output_field=IntegerField()), 0))
    )


def _unfinished(
    rows: QuerySet[WithAnnotations[Participation, _Orientation]], required_total: int
) -> QuerySet[WithAnnotations[Participation, _Orientation]]:
    """Actors and mentors who have not finished the required orientation (staff write it)."""
    return rows.filter(orientation_done__lt=required_total).exclude(role=Role.STAFF)


def _people_summary(pilot: Pilot, required_total: int) -> dict[str, int]:
    now = timezone.now()
    summary = Participation.objects.filter(pilot=pilot).aggregate(
        actor=Count("pk", filter=Q(role=Role.ACTOR)),
        mentor=Count("pk", filter=Q(role=Role.MENTOR)),
        staff=Count("pk", filter=Q(role=Role.STAFF)),
        credits=Count("pk", filter=Q(role=Role.ACTOR, earns_credits=True)),
        quiet=Count("pk", filter=quiet(now)),
    )
    summary["unfinished"] = (
        _unfinished(_participants(pilot), required_total).count() if required_total else 0
    )
    return summary


def _empty_counts() -> dict[str, int]:
    return {"sent": 0, "pending": 0, "failed": 0}


def _delivery_counts(sources: list[str]) -> dict[str, dict[str, int]]:
    """Sent, pending and failed deliveries per broadcast source, in one query. Rows waiting
    for a daily digest count as pending."""
    counts = {source: _empty_counts() for source in sources}
    if not sources:
        return counts
    rows = (
        Delivery.objects.filter(broadcast__source__in=sources)
        .order_by()
        .values_list("broadcast__source", "status")
        .annotate(n=Count("pk"))
    )
    for source, status, n in rows:
        key = "pending" if status == Delivery.Status.DIGEST else status
        counts[source][key] += n
    return counts


def _pilot_delivery_totals(pilot: Pilot) -> dict[str, int]:
    """Sent, pending and failed deliveries of all the pilot's announcements and weekly themes."""
    rows = (
        Delivery.objects.filter(
            broadcast__context=pilot.context,
            broadcast__kind__in=[Kind.ANNOUNCEMENT, Kind.WEEK],
        )
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    totals = _empty_counts()
    for status, n in rows:
        totals["pending" if status == Delivery.Status.DIGEST else status] += n
    return totals


def _failed_page(source: str, number: str | None) -> Page[Delivery]:
    failed = (
        Delivery.objects.filter(broadcast__source=source, status=Delivery.Status.FAILED)
        .select_related("recipient")
        .order_by("recipient__display_name", "pk")
    )
    return Paginator(failed, FAILED_PER_PAGE).get_page(number)


# Pages --------------------------------------------------------------------------------------


@login_required
def create(request: AuthedRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise Http404("No such page.")
    form = NewPilotForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        pilot = services.create_pilot(
            pilot=form.instance, creator=request.user, logo=form.cleaned_data["logo_upload"]
        )
        messages.success(request, _("The pilot is created. Next, plan its weeks."))
        return redirect("pilots:staff", slug=pilot.slug)
    return render(request, "pilots/staff/pilot_form.html", {"form": form, "creating": True})


@login_required
def dashboard(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    required_total = _required_total(pilot)
    weeks = list(pilot.weeks.order_by("number"))
    current = next((week for week in weeks if week.is_current()), None)
    scheduled = (
        pilot.announcements.filter(sent_at__isnull=True, send_at__isnull=False)
        .order_by("send_at")
        .first()
    )
    return render(
        request,
        "pilots/staff/dashboard.html",
        {
            "pilot": pilot,
            "section": "dashboard",
            "people": _people_summary(pilot, required_total),
            "required_total": required_total,
            "materials_total": pilot.materials.count(),
            "current_week": current,
            "weeks_total": len(weeks),
            "weeks_without_theme": sum(1 for week in weeks if not week.theme),
            "announcements_total": pilot.announcements.count(),
            "next_scheduled": scheduled,
            "deliveries": _pilot_delivery_totals(pilot),
        },
    )


@login_required
def edit(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    # The form changes its instance while validating; the page header keeps the stored pilot.
    form = PilotForm(request.POST or None, request.FILES or None, instance=copy.copy(pilot))
    if request.method == "POST" and form.is_valid():
        services.update_pilot(
            pilot=form.instance,
            logo=form.cleaned_data["logo_upload"],
            remove_logo=form.cleaned_data.get("remove_logo", False),
        )
        messages.success(request, _("The pilot is saved."))
        return redirect("pilots:staff", slug=pilot.slug)
    return render(
        request,
        "pilots/staff/pilot_form.html",
        {"form": form, "pilot": pilot, "section": "edit", "creating": False},
    )


@login_required
def weeks(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    week_list = list(pilot.weeks.order_by("number"))
    counts = _delivery_counts([week.source for week in week_list if week.broadcast_at])
    for week in week_list:
        week.deliveries = counts.get(week.source)  # type: ignore[attr-defined]
    return render(
        request,
        "pilots/staff/weeks.html",
        {"pilot": pilot, "section": "weeks", "weeks": week_list},
    )


@login_required
def edit_week(request: AuthedRequest, slug: str, number: int) -> HttpResponse:
    week = get_week_for_staff(request.user, slug, number)
    form = WeekForm(request.POST or None, instance=week)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Week %(number)s is saved.") % {"number": week.number})
        return redirect("pilots:weeks", slug=slug)
    context: dict[str, Any] = {"pilot": week.pilot, "section": "weeks", "week": week, "form": form}
    if week.broadcast_at:
        source = week.source
        context["deliveries"] = _delivery_counts([source])[source]
        context["failed"] = _failed_page(source, request.GET.get("page"))
    return render(request, "pilots/staff/week_form.html", context)


@login_required
def materials(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    items = pilot.materials.annotate(completed=Count("completions")).order_by("position", "pk")
    return render(
        request,
        "pilots/staff/materials.html",
        {"pilot": pilot, "section": "materials", "materials": items},
    )


def _material_page(
    request: HttpRequest, pilot: Pilot, form: MaterialForm, material: Material | None
) -> HttpResponse:
    # The edited material in the staff member's language (else another one written).
    preview = form.instance if "preview" in request.POST and form.is_valid() else None
    return render(
        request,
        "pilots/staff/material_form.html",
        {
            "pilot": pilot,
            "section": "materials",
            "form": form,
            "material": material,
            "preview": preview,
        },
    )


@login_required
def new_material(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    form = MaterialForm(
        request.POST or None,
        instance=Material(pilot=pilot),
        initial={"position": pilot.materials.count() + 1},
    )
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        form.save()
        messages.success(request, _("The material is saved."))
        return redirect("pilots:materials", slug=slug)
    return _material_page(request, pilot, form, None)


@login_required
def edit_material(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    material = get_material_for_staff(request.user, slug, pk)
    form = MaterialForm(request.POST or None, instance=copy.copy(material))
    if request.method == "POST" and "preview" not in request.POST and form.is_valid():
        form.save()
        messages.success(request, _("The material is saved."))
        return redirect("pilots:materials", slug=slug)
    return _material_page(request, material.pilot, form, material)


@login_required
def participants(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    required_total = _required_total(pilot)
    rows = _participants(pilot)
    form = ParticipantFilterForm(request.GET or None, pilot=pilot)
    if form.is_valid():
        data = form.cleaned_data
        if data["role"]:
            rows = rows.filter(role=data["role"])
        if data["orientation_unfinished"]:
            rows = _unfinished(rows, required_total)
        if data["quiet"]:
            rows = rows.filter(quiet(timezone.now()))
    page = Paginator(
        rows.order_by("role", "user__display_name", "pk"), PARTICIPANTS_PER_PAGE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "pilots/staff/participants.html",
        {
            "pilot": pilot,
            "section": "participants",
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "required_total": required_total,
            "quiet_since": timezone.now() - QUIET_AFTER,
        },
    )


@login_required
def announcements(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    page = Paginator(
        pilot.announcements.select_related("author").order_by("-created_at", "-pk"),
        ANNOUNCEMENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    counts = _delivery_counts([item.source for item in page])
    for item in page:
        item.deliveries = counts[item.source]  # type: ignore[attr-defined]
    return render(
        request,
        "pilots/staff/announcements.html",
        {"pilot": pilot, "section": "announcements", "page": page},
    )


def _closed(request: HttpRequest, pilot: Pilot) -> HttpResponse:
    messages.error(
        request, _("This pilot is closed: nothing new can be posted in it, announcements included.")
    )
    return redirect("pilots:announcements", slug=pilot.slug)


@login_required
def new_announcement(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    if pilot.is_closed:
        return _closed(request, pilot)
    form = AnnouncementForm(request.POST or None, instance=Announcement(pilot=pilot))
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = form.instance  # in the staff member's language, else another one written
        else:
            data = form.cleaned_data
            try:
                announcement = services.post_announcement(
                    pilot=pilot,
                    author=request.user,
                    title={code: data[f"title_{code}"] for code in languages()},
                    body={code: data[f"body_{code}"] for code in languages()},
                    audience=data["audience"],
                    send_at=data["send_at"],
                )
            except services.PilotClosed:
                return _closed(request, pilot)
            if announcement.sent_at:
                messages.success(request, _("The announcement is on its way."))
            else:
                messages.success(request, _("The announcement is scheduled."))
            return redirect("pilots:announcement_status", slug=slug, pk=announcement.pk)
    return render(
        request,
        "pilots/staff/announcement_form.html",
        {"pilot": pilot, "section": "announcements", "form": form, "preview": preview},
    )


@login_required
def announcement_status(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    announcement = get_announcement_for_staff(request.user, slug, pk)
    source = announcement.source
    by_channel = {
        channel: {status: 0 for status in Delivery.Status.values}
        for channel in Delivery.Channel.values
    }
    rows = (
        Delivery.objects.filter(broadcast__source=source)
        .order_by()
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
    )
    for channel, status, n in rows:
        by_channel[channel][status] = n
    channels = [(label, by_channel[value]) for value, label in Delivery.Channel.choices]
    return render(
        request,
        "pilots/staff/announcement_status.html",
        {
            "pilot": announcement.pilot,
            "section": "announcements",
            "announcement": announcement,
            "channels": channels,
            "failed": _failed_page(source, request.GET.get("page")),
        },
    )
