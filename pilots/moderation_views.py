"""The pilot's staff moderate reports filed under the pilot: they see the reported message and
the reporter's reason, never the rest of a conversation, and hide the message, dismiss the
report, warn the person or remove them from the pilot.

Every page reaches the pilot and the report through `pilots.access`: for anyone but the
pilot's staff (and superusers) they do not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentoring.types import AuthedRequest
from messaging.models import Report
from messaging.services import reports
from pilots import services
from pilots.access import get_pilot_for_staff, get_report_for_staff

REPORTS_PER_PAGE = 25


@login_required
def moderation(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    reports = (
        Report.objects.filter(
            context__in=services.moderated_contexts(pilot), outcome=Report.Outcome.OPEN
        )
        .select_related("reporter", "reported_user", "message", "message__sender")
        .order_by("created_at", "pk")
    )
    page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "pilots/staff/moderation.html",
        {"pilot": pilot, "page": page, "section": "moderation"},
    )


def _back(slug: str) -> HttpResponse:
    return redirect("pilots:moderation", slug)


@login_required
@require_POST
def hide(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    report = get_report_for_staff(request.user, slug, pk)
    if report.message is None:
        messages.error(request, _("This report is about a person, not a message."))
        return _back(slug)
    reports.hide_message(message=report.message, report=report)
    messages.success(request, _("The message is hidden from everyone."))
    return _back(slug)


@login_required
@require_POST
def dismiss(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    report = get_report_for_staff(request.user, slug, pk)
    reports.resolve_report(report=report, outcome=Report.Outcome.DISMISSED)
    messages.success(request, _("The report is dismissed."))
    return _back(slug)


@login_required
@require_POST
def warn(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    report = get_report_for_staff(request.user, slug, pk)
    if services.warn(pilot=pilot, report=report):
        messages.success(
            request,
            _("%(name)s gets a notification from the staff.")
            % {"name": report.reported_user.display_name},
        )
    else:
        messages.error(request, _("This report was already handled."))
    return _back(slug)


@login_required
@require_POST
def remove(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    report = get_report_for_staff(request.user, slug, pk)
    if report.reported_user_id == request.user.pk:
        messages.error(request, _("You cannot remove yourself from the pilot."))
        return _back(slug)
    services.remove_participant(pilot=pilot, user=report.reported_user, report=report)
    messages.success(
        request,
        _("%(name)s is removed from the pilot.") % {"name": report.reported_user.display_name},
    )
    return _back(slug)
