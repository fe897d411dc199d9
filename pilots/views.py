"""What participants see of their pilots: the list, joining one with its invitation code, the
home page with this week's theme, materials, announcements and the private calendar feed."""

from __future__ import annotations

import datetime
import uuid

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentoring import ratelimit
from mentoring.types import AuthedRequest
from pilots import services
from pilots.access import (
    announcements_for,
    get_announcement_for_participant,
    get_material_for_participant,
    get_participation,
)
from pilots.forms import JoinCodeForm
from pilots.models import Material, MaterialCompletion, Participation, Pilot, Role
from pilots.signals import pilot_page_sections

# Wrong codes one person may try per window: enough for typos, far too few to guess 32^8 codes.
JOIN_RATE_SCOPE = "pilot-join"
JOIN_RATE_LIMIT = 10
JOIN_RATE_WINDOW = 15 * 60


@login_required
def my_pilots(request: AuthedRequest) -> HttpResponse:
    participations = (
        Participation.objects.filter(user=request.user)
        .select_related("pilot", "pilot__host")
        .order_by("-pilot__starts_on")
    )
    return render(request, "pilots/list.html", {"participations": participations})


@login_required
def join(request: AuthedRequest) -> HttpResponse:
    """Join a pilot with its invitation code (as an actor). The link staff share fills the code
    in (`?code=`); joining is always a POST."""
    if request.method == "POST":
        form = JoinCodeForm(request.POST)
    else:
        form = JoinCodeForm(initial={"code": request.GET.get("code", "")[:20]})
    if request.method == "POST" and form.is_valid():
        attempt = ratelimit.take(
            JOIN_RATE_SCOPE, request.user.pk, limit=JOIN_RATE_LIMIT, window=JOIN_RATE_WINDOW
        )
        if attempt is None:
            form.add_error(
                None, _("Too many codes tried in a short time. Wait a quarter of an hour.")
            )
            return render(request, "pilots/join.html", {"form": form}, status=429)
        try:
            participation, created = services.join_with_code(
                user=request.user, code=form.cleaned_data["code"]
            )
        except services.JoinRefused as refused:
            form.add_error("code", str(refused.message))
        else:
            attempt.undo()  # only wrong codes count
            pilot = participation.pilot
            if created:
                messages.success(request, _("Welcome to %(pilot)s!") % {"pilot": pilot.name})
            else:
                messages.info(
                    request, _("You already take part in %(pilot)s.") % {"pilot": pilot.name}
                )
            return redirect(pilot.get_absolute_url())
    return render(request, "pilots/join.html", {"form": form}, status=400 if form.is_bound else 200)


def _materials_with_done(participation: Participation) -> list[Material]:
    materials = Material.objects.filter(pilot=participation.pilot)
    if participation.role != Role.STAFF:
        materials = materials.filter(is_published=True)
    return list(
        materials.annotate(
            done=Exists(
                MaterialCompletion.objects.filter(material=OuterRef("pk"), user=participation.user)
            )
        )
    )


@login_required
def home(request: AuthedRequest, slug: str) -> HttpResponse:
    participation = get_participation(request.user, slug)
    services.touch(participation=participation)
    pilot = participation.pilot
    weeks = list(pilot.weeks.order_by("number"))
    today = timezone.localdate()
    current = next((w for w in weeks if w.starts_on <= today <= w.ends_on), None)
    materials = _materials_with_done(participation)
    required = [m for m in materials if m.required]
    return render(
        request,
        "pilots/home.html",
        {
            "pilot": pilot,
            "participation": participation,
            "is_staff": participation.role == Role.STAFF,
            "current_week": current,
            "weeks": weeks,
            "materials": materials,
            "required_total": len(required),
            "required_done": sum(1 for m in required if m.done),  # type: ignore[attr-defined,misc]
            "announcements": announcements_for(participation).order_by("-sent_at")[:5],
            "sections": [
                html
                for _receiver, html in pilot_page_sections.send(
                    sender=Pilot, participation=participation, request=request
                )
                if html
            ],
            "calendar_url": request.build_absolute_uri(
                reverse("pilots:calendar", args=[participation.calendar_token])
            ),
        },
    )


@login_required
def material(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = get_material_for_participant(request.user, slug, pk)
    done = MaterialCompletion.objects.filter(material=item, user=request.user).exists()
    return render(
        request, "pilots/material.html", {"material": item, "pilot": item.pilot, "done": done}
    )


@login_required
@require_POST
def material_done(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = get_material_for_participant(request.user, slug, pk)
    done = request.POST.get("done") != "0"
    services.complete_material(material=item, user=request.user, done=done)
    if done:
        messages.success(request, _("Marked as done: %(title)s") % {"title": item.title})
    return redirect("pilots:home", slug=slug)


@login_required
def announcement(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    item = get_announcement_for_participant(request.user, slug, pk)
    return render(request, "pilots/announcement.html", {"announcement": item, "pilot": item.pilot})


def calendar(request: HttpRequest, token: uuid.UUID) -> HttpResponse:
    """The pilot's weeks as an iCalendar feed; the secret token in the URL is the login."""
    participation = (
        Participation.objects.filter(calendar_token=token, user__is_active=True)
        .select_related("pilot")
        .first()
    )
    if participation is None:
        raise Http404("No such calendar.")
    pilot = participation.pilot
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Speed mentoring//Pilot calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", pilot.name)
    home_url = request.build_absolute_uri(reverse("pilots:home", args=[pilot.slug]))
    for week in pilot.weeks.order_by("number"):
        event = icalendar.Event()
        event.add("uid", f"week-{week.pk}@{pilot.slug}.mentoring")
        event.add("dtstamp", timezone.now())
        event.add("dtstart", week.starts_on)
        event.add("dtend", week.ends_on + datetime.timedelta(days=1))
        event.add("summary", f"{pilot.name}: {week.theme or week.number}")
        event.add("description", "\n".join([week.description, *week.prompt_list]).strip())
        event.add("url", home_url)
        cal.add_component(event)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{pilot.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
