"""The signed-in home ("/"): what to do now, per role."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentoring.types import AuthedRequest
from pilots import services as pilots
from profiles.services import ensure_profile, set_availability
from today.selectors import today_for


@login_required
def today(request: AuthedRequest) -> HttpResponse:
    ensure_profile(user=request.user)  # type: ignore[arg-type]
    pilots.touch_all(user=request.user)  # type: ignore[arg-type]
    return render(request, "today/today.html", {"today": today_for(request.user)})  # type: ignore[arg-type]


@login_required
@require_POST
def availability(request: AuthedRequest) -> HttpResponse:
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    available = request.POST.get("is_available") == "1"
    set_availability(profile=profile, is_available=available)
    if available:
        messages.success(request, _("You are open to new conversations."))
    else:
        messages.success(request, _("Nobody can start a new conversation with you for now."))
    return redirect("today")
