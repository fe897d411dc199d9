"""Invitations in the browser: staff invite one person or many from a CSV file and follow the
invitations; the invited person answers through the signed link.

The rows of a previewed CSV file wait in the session until staff confirm: only the newest
preview is kept (at most one file's worth, 2,000 rows), it names its pilot and carries a batch
id that the confirm form must repeat, so a stale tab cannot import another file's rows.
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.utils import complete_signup
from allauth.core import ratelimit as account_ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from mentoring import ratelimit
from mentoring.types import AuthedRequest
from pilots import invitations as service
from pilots import services as pilot_services
from pilots.access import get_invitation_for_staff, get_pilot_for_staff
from pilots.forms import AcceptSignupForm, CsvUploadForm, InviteForm
from pilots.invitations import CsvRow, InvitationError, InvitationLinkError, LinkProblem, Status
from pilots.models import Invitation, Participation, Pilot, Role
from profiles.models import User

RATE_SCOPE = "pilot-invite"
SESSION_KEY = "pilots.invitation_import"
PAGE_SIZE = 100


def take_invite_quota(request: AuthedRequest, count: int) -> ratelimit.Taken | None:
    """Count `count` invitations against the sender's INVITATION_RATE_LIMIT per
    INVITATION_RATE_WINDOW: all of them, or (over the limit) none."""
    return ratelimit.take(
        RATE_SCOPE,
        request.user.pk,
        limit=settings.INVITATION_RATE_LIMIT,
        window=settings.INVITATION_RATE_WINDOW,
        amount=count,
    )


def _rate_limited_message() -> str:
    return _(
        "You have sent too many invitations in a short time. Nothing was sent. Try again "
        "later, or split the list into smaller files."
    )


# --- Staff pages --------------------------------------------------------------------------


@login_required
def invitations(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    form = InviteForm(request.POST if request.method == "POST" else None, pilot=pilot)
    http_status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        quota = take_invite_quota(request, 1)
        if quota is None:
            form.add_error(None, _rate_limited_message())
            http_status = 429
        else:
            try:
                invitation = service.invite(
                    pilot=pilot, invited_by=request.user, **form.cleaned_data
                )
            except InvitationError as error:
                quota.undo()
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Invitation to %(email)s is on its way.") % {"email": invitation.email},
                )
                return redirect("pilots:invitations", slug=pilot.slug)
    return _render_list(request, pilot, form, http_status)


def _render_list(
    request: HttpRequest, pilot: Pilot, form: InviteForm, http_status: int
) -> HttpResponse:
    now = timezone.now()
    everything = Invitation.objects.filter(pilot=pilot)
    counts = everything.aggregate(
        **{
            status.value: Count("pk", filter=service.status_condition(status, now=now))
            for status in Status
        }
    )
    try:
        shown: Status | None = Status(request.GET.get("status", ""))
    except ValueError:
        shown = None
    listed = everything.filter(service.status_condition(shown, now=now)) if shown else everything
    page = Paginator(
        listed.select_related("invited_by", "accepted_by").order_by("-created_at", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [(invitation, service.status_of(invitation, now=now)) for invitation in page]
    return render(
        request,
        "pilots/invitations/list.html",
        {
            "pilot": pilot,
            "section": "invitations",
            "max_age_days": settings.INVITATION_MAX_AGE_DAYS,
            "actor_word": service.role_word(pilot, Role.ACTOR),
            "join_url": request.build_absolute_uri(reverse("pilots:join"))
            + "?"
            + urlencode({"code": pilot.join_code}),
            "form": form,
            "page": page,
            "rows": rows,
            "statuses": [(status, status.label, counts[status.value]) for status in Status],
            "shown": shown,
            "total": sum(counts.values()),
            "status_query": urlencode({"status": shown.value}) if shown else "",
        },
        status=http_status,
    )


@login_required
@require_POST
def resend(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_invitation_for_staff(request.user, slug, pk)
    quota = take_invite_quota(request, 1)
    if quota is None:
        messages.error(request, _rate_limited_message())
        return redirect("pilots:invitations", slug=slug)
    try:
        service.resend(invitation=invitation)
    except InvitationError as error:
        quota.undo()
        messages.error(request, str(error.message))
    else:
        messages.success(
            request, _("The invitation to %(email)s is sent again.") % {"email": invitation.email}
        )
    return redirect("pilots:invitations", slug=slug)


@login_required
@require_POST
def revoke(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_invitation_for_staff(request.user, slug, pk)
    if service.revoke(invitation=invitation):
        messages.success(
            request,
            _("The invitation to %(email)s is revoked; its link no longer works.")
            % {"email": invitation.email},
        )
    else:
        messages.error(request, _("This invitation was already accepted or revoked."))
    return redirect("pilots:invitations", slug=slug)


@login_required
@require_POST
def rotate_code(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    pilot_services.rotate_join_code(pilot=pilot)
    messages.success(
        request,
        _("The invitation code is now %(code)s. The old code no longer works.")
        % {"code": pilot.join_code_display},
    )
    return redirect("pilots:invitations", slug=slug)


@login_required
def invite_csv(request: AuthedRequest, slug: str) -> HttpResponse:
    """Upload a CSV file and see what it would do. Nothing is sent from here."""
    pilot = get_pilot_for_staff(request.user, slug)
    form = (
        CsvUploadForm(request.POST, request.FILES) if request.method == "POST" else CsvUploadForm()
    )
    report = None
    batch = ""
    if request.method == "POST" and form.is_valid():
        report = service.parse_invitation_csv(form.cleaned_data["file"], pilot)
        if report.can_import:
            batch = secrets.token_urlsafe(16)
            request.session[SESSION_KEY] = {
                "pilot": pilot.pk,
                "batch": batch,
                "rows": [row.as_list() for row in report.rows],
            }
        else:
            request.session.pop(SESSION_KEY, None)
    return render(
        request,
        "pilots/invitations/import.html",
        {"pilot": pilot, "section": "invitations", "form": form, "report": report, "batch": batch},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@require_POST
def invite_csv_confirm(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    stored = request.session.get(SESSION_KEY)
    if not (
        isinstance(stored, dict)
        and stored.get("pilot") == pilot.pk
        and stored.get("batch")
        and secrets.compare_digest(str(stored["batch"]), request.POST.get("batch", ""))
    ):
        messages.error(
            request,
            _(
                "This preview is no longer available (it was replaced or used). "
                "Upload the file again."
            ),
        )
        return redirect("pilots:invite_csv", slug=slug)
    rows = [CsvRow.from_list(values) for values in stored["rows"]]
    quota = take_invite_quota(request, len(rows))
    if quota is None:
        messages.error(request, _rate_limited_message())
        return redirect("pilots:invite_csv", slug=slug)
    try:
        result = service.import_invitations(pilot=pilot, rows=rows, invited_by=request.user)
    except InvitationError as error:
        quota.undo()
        messages.error(request, str(error.message))
        return redirect("pilots:invite_csv", slug=slug)
    request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        ngettext(
            "%(count)s invitation created; the e-mail is on its way.",
            "%(count)s invitations created; the e-mails are on their way.",
            len(result.created),
        )
        % {"count": len(result.created)},
    )
    if result.skipped:
        messages.info(
            request,
            ngettext(
                "%(count)s person was skipped: they joined or were invited after the preview.",
                "%(count)s people were skipped: they joined or were invited after the preview.",
                len(result.skipped),
            )
            % {"count": len(result.skipped)},
        )
    return redirect("pilots:invitations", slug=slug)


# --- The invited person -------------------------------------------------------------------


def _refused(request: HttpRequest, error: InvitationLinkError) -> HttpResponse:
    invitation = error.invitation
    if (
        error.problem == LinkProblem.USED
        and invitation is not None
        and request.user.is_authenticated
        and invitation.accepted_by_id == request.user.pk
    ):
        messages.info(
            request, _("You have already joined %(pilot)s.") % {"pilot": invitation.pilot.name}
        )
        return redirect(invitation.pilot.get_absolute_url())
    return render(
        request,
        "pilots/invitations/refused.html",
        {
            "problem": error.problem.value,
            "pilot": invitation.pilot if invitation else None,
            "max_age_days": settings.INVITATION_MAX_AGE_DAYS,
        },
        status=error.problem.status,
    )


def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the link in an invitation e-mail."""
    try:
        invitation = service.invitation_from_token(token)
    except InvitationLinkError as error:
        return _refused(request, error)
    pilot = invitation.pilot
    context: dict[str, Any] = {
        "invitation": invitation,
        "pilot": pilot,
        "role": service.role_word(pilot, invitation.role),
        "login_url": reverse("account_login") + "?" + urlencode({"next": request.path}),
    }
    if request.user.is_authenticated:
        return _accept_signed_in(request, invitation, context)
    if service.existing_account(invitation.email) is not None:
        return _ask_to_sign_in(request, context)
    form = AcceptSignupForm(
        request.POST if request.method == "POST" else None, invitation=invitation
    )
    if request.method == "POST" and form.is_valid():
        if not account_ratelimit.consume(request, action="signup"):
            form.add_error(None, _("Too many sign-up attempts. Wait a minute and try again."))
        else:
            try:
                participation = service.sign_up_and_accept(
                    invitation=invitation,
                    display_name=form.cleaned_data["display_name"],
                    password=form.cleaned_data["password1"],
                )
            except service.AccountExists:
                return _ask_to_sign_in(request, context)
            except InvitationLinkError as error:
                return _refused(request, error)
            messages.success(request, _("Welcome to %(pilot)s!") % {"pilot": pilot.name})
            return complete_signup(
                request,
                participation.user,
                email_verification=None,
                success_url=pilot.get_absolute_url(),
            )
    context.update(mode="sign_up", form=form)
    return render(
        request, "pilots/invitations/accept.html", context, status=400 if form.is_bound else 200
    )


def _accept_signed_in(
    request: HttpRequest, invitation: Invitation, context: dict[str, Any]
) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        try:
            service.accept(invitation=invitation, user=user)
        except InvitationLinkError as error:
            return _refused(request, error)
        messages.success(request, _("Welcome to %(pilot)s!") % {"pilot": invitation.pilot.name})
        return redirect(invitation.pilot.get_absolute_url())
    context.update(
        mode="join",
        other_address=user.email.lower() != invitation.email.lower(),
        already_in=Participation.objects.filter(pilot=invitation.pilot, user=user).exists(),
    )
    return render(request, "pilots/invitations/accept.html", context)


def _ask_to_sign_in(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    context["mode"] = "sign_in"
    return render(request, "pilots/invitations/accept.html", context)
