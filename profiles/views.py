from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mentoring.types import AuthedRequest
from profiles.access import get_profile_for_viewer
from profiles.cards import Card, load_cards, render_cards, start_footer
from profiles.forms import AvatarForm, CompetenceFormSet, DirectoryFilterForm, ProfileForm
from profiles.models import Organisation, Profile, ProfileQuerySet
from profiles.offers import offers_for
from profiles.services import ensure_profile, set_avatar


@login_required
def me(request: AuthedRequest) -> HttpResponse:
    """The person's profile as others see it, with the way to edit it."""
    ensure_profile(user=request.user)  # type: ignore[arg-type]
    profile = Profile.objects.for_listing().get(pk=request.user.pk)
    return render(
        request,
        "profiles/detail.html",
        {
            "profile": profile,
            "is_me": True,
            "completeness": profile.completeness(),
            "missing": profile.missing_items(),
        },
    )


@login_required
def edit(request: AuthedRequest) -> HttpResponse:
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    form = ProfileForm(request.POST or None, instance=profile)
    formset = CompetenceFormSet(request.POST or None, instance=profile, prefix="competences")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        form.save()
        formset.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("profiles:me")
    return render(
        request,
        "profiles/edit.html",
        {"form": form, "formset": formset, "profile": profile, "avatar_form": AvatarForm()},
    )


@login_required
@require_POST
def avatar(request: AuthedRequest) -> HttpResponse:
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    if "remove" in request.POST:
        set_avatar(profile=profile, image=None)
        messages.success(request, _("Your photo is removed."))
        return redirect(reverse("profiles:edit") + "#photo")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        set_avatar(profile=profile, image=form.cleaned_data["avatar"])
        messages.success(request, _("Your photo is updated."))
        return redirect(reverse("profiles:edit") + "#photo")
    return render(request, "profiles/avatar.html", {"form": form}, status=400)


@login_required
def directory(request: AuthedRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    visible = Profile.objects.visible_to(request.user)
    profiles = visible
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            profiles = profiles.search(data["q"])
        if data["kind"]:
            profiles = profiles.filter(kind=data["kind"])
        if data["competence"]:
            profiles = profiles.with_competence(data["competence"], data["direction"])
        if data["organisation"]:
            profiles = profiles.filter(organisation=data["organisation"])
        if data["language"]:
            profiles = profiles.filter(languages=data["language"])
        if data["available"]:
            profiles = profiles.filter(is_available=True)
    page = _directory_page(profiles, request.GET.get("page"), visible=visible)
    query = request.GET.copy()
    query.pop("page", None)
    # Whom the viewer may start a conversation with, asked once for the whole page.
    offers = offers_for(request.user, [card.pk for card in page.object_list])
    footers = {
        card.pk: start_footer(card)
        for card in page.object_list
        if (offer := offers.get(card.pk)) is not None and offer.allowed
    }
    # A reason that is the viewer's own (in no pilot yet) is told once, above the cards.
    own_reason = next(
        (offer for offer in offers.values() if not offer.allowed and offer.about_viewer), None
    )
    return render(
        request,
        "profiles/directory.html",
        {
            "form": form,
            "page": page,
            "cards": render_cards(page.object_list, footers),
            "query": query.urlencode(),
            "own_reason": own_reason,
        },
    )


def _directory_page(
    profiles: ProfileQuerySet, number: str | None, *, visible: ProfileQuerySet
) -> Page[Card]:
    """One page of cards, by Paginator.get_page()'s rules for odd page numbers.

    The page's keys and the total come from one query (a window count over the sorted keys):
    a count followed by a sort of whole rows filters every profile twice (W4 in benchmarks/
    measures it with 10,000 profiles). The cards come from a second one, among the `visible`
    profiles: one hidden in between is left out.
    """
    ordered = profiles.order_by("user__display_name", "pk")
    keys_only = ordered.values_list("pk", flat=True)
    paginator: Paginator[Any] = Paginator(keys_only, settings.DIRECTORY_PAGE_SIZE)
    try:
        wanted = int(number or 1)
    except ValueError:
        wanted = 1
    if 1 <= wanted <= sys.maxsize // paginator.per_page:  # else past any OFFSET the DB takes
        bottom = (wanted - 1) * paginator.per_page
        keys_and_total = ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")
        rows = list(keys_and_total[bottom : bottom + paginator.per_page])
    else:
        rows = []
    if rows:
        paginator.count = rows[0][1]  # type: ignore[misc]  # a cached_property: no count query
        keys = paginator.page(wanted)
        keys.object_list = [pk for pk, _total in rows]
    else:  # no one matches, or past the last page
        keys = paginator.get_page(number)
    return Page(load_cards(visible, list(keys)), keys.number, paginator)


@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_viewer(request.user, pk)
    offer = None if pk == request.user.pk else offers_for(request.user, [pk]).get(pk)
    return render(request, "profiles/detail.html", {"profile": profile, "offer": offer})


@login_required
def organisation(request: AuthedRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    visible = Profile.objects.visible_to(request.user)
    people = visible.filter(organisation=org).order_by("user__display_name", "pk")
    cards = load_cards(visible, list(people.values_list("pk", flat=True)))
    return render(
        request,
        "profiles/organisation.html",
        {"organisation": org, "cards": render_cards(cards)},
    )
