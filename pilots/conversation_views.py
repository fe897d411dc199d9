"""Starting a conversation with someone in a shared pilot, and reporting someone to its staff:
pilots decides who may talk and under which pilot it is filed; messaging stores it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mentoring.errors import UserError
from mentoring.http import int_param, safe_next
from mentoring.types import AuthedRequest
from messaging.access import get_conversation_for_participant, get_person_for_user
from messaging.forms import StartConversationForm
from messaging.models import Conversation
from messaging.views import report_page
from pilots import services
from profiles.access import get_profile_for_viewer

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@login_required
def start_conversation(request: AuthedRequest, user_id: int) -> HttpResponse:
    """Start a conversation with someone about one concrete question."""
    profile = get_profile_for_viewer(request.user, user_id)
    person = profile.user
    refusal = services.start_refusal(sender=request.user, recipient=person)
    form = None
    next_url, alternatives = "", []
    next_label: StrOrPromise = ""
    if refusal is not None and refusal.why == services.Why.UNAVAILABLE:
        alternatives = services.other_mentors(sender=request.user, instead_of=person)
    elif refusal is not None:
        next_url, next_label = services.next_step(refusal, recipient_id=person.pk)
    if refusal is None:
        shared = services.shared_pilots(sender=request.user, recipient=person)
        themes = [
            (found.context, _theme_label(found, several=len(shared) > 1))
            for found in shared
            if found.may_start and found.theme
        ]
        # Today's suggestions preselect this week's theme (?theme_of=<pilot context>).
        initial = {"theme_of": request.GET.get("theme_of", "")}
        form = StartConversationForm(request.POST or None, themes=themes, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                started = services.start_pilot_conversation(
                    sender=request.user,
                    recipient=person,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    client_id=form.cleaned_data["client_id"],
                    theme_of=form.cleaned_data.get("theme_of", ""),
                )
            except UserError as refused:
                form.add_error(None, str(refused.message))
            else:
                return redirect(started)
    earlier = (
        Conversation.objects.of_user(request.user)
        .filter(kind=Conversation.Kind.DIRECT, participants__user=person)
        .order_by("-created_at")[:5]
    )
    context = {
        "profile": profile,
        "person": person,
        "form": form,
        "refusal": refusal.message if refusal else None,
        "next_url": next_url,
        "next_label": next_label,
        "unavailable": refusal is not None and refusal.why == services.Why.UNAVAILABLE,
        "alternatives": alternatives,
        "earlier": earlier,
    }
    return render(request, "pilots/start_conversation.html", context)


def _theme_label(found: services.SharedPilot, *, several: bool) -> str:
    if several:
        return _("“%(theme)s” (this week in %(pilot)s)") % {
            "theme": found.theme,
            "pilot": found.pilot.name,
        }
    return _("Yes: “%(theme)s”") % {"theme": found.theme}


@login_required
def report_person(request: AuthedRequest, user_id: int) -> HttpResponse:
    """Report someone; from a conversation (`conversation=<id>`) the report is filed under that
    conversation's context, otherwise under the latest pilot the two share."""
    person = get_person_for_user(request.user, user_id)
    if person.pk == request.user.pk:
        raise Http404("No such person.")
    conversation_id = int_param(request.POST.get("conversation") or request.GET.get("conversation"))
    if conversation_id is not None:
        context = get_conversation_for_participant(request.user, conversation_id).context
    else:
        shared = services.shared_pilots(sender=request.user, recipient=person)
        context = shared[0].context if shared else ""
    back = safe_next(request, reverse("profiles:detail", args=[person.pk]))
    return report_page(
        request,
        person=person,
        message=None,
        context=context,
        back=back,
        conversation_id=conversation_id,
    )
