from __future__ import annotations

import sys

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from profiles.access import get_profile_for_viewer
from profiles.forms import AvatarForm, CompetenceFormSet, DirectoryFilterForm, ProfileForm
from profiles.matching import suggest_matches
from profiles.models import Organisation, Profile, ProfileQuerySet
from profiles.services import ensure_profile, set_avatar


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("profiles:me")
    return render(request, "home.html")


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    ensure_profile(user=request.user)  # type: ignore[arg-type]
    profile = Profile.objects.for_listing().get(pk=request.user.pk)
    return render(
        request,
        "profiles/me.html",
        {
            "profile": profile,
            "missing": profile.missing_items(),
            "completeness": profile.completeness(),
            "suggestions": suggest_matches(profile=profile, viewer=request.user),
            "avatar_form": AvatarForm(),
        },
    )


@login_required
def edit(request: HttpRequest) -> HttpResponse:
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    form = ProfileForm(request.POST or None, instance=profile)
    formset = CompetenceFormSet(request.POST or None, instance=profile, prefix="competences")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        form.save()
        formset.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("profiles:me")
    return render(request, "profiles/edit.html", {"form": form, "formset": formset})


@login_required
@require_POST
def avatar(request: HttpRequest) -> HttpResponse:
    profile = ensure_profile(user=request.user)  # type: ignore[arg-type]
    if "remove" in request.POST:
        set_avatar(profile=profile, image=None)
        messages.success(request, _("Your photo is removed."))
        return redirect("profiles:me")
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        set_avatar(profile=profile, image=form.cleaned_data["avatar"])
        messages.success(request, _("Your photo is updated."))
        return redirect("profiles:me")
    return render(request, "profiles/avatar.html", {"form": form}, status=400)


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    profiles = Profile.objects.visible_to(request.user)
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
    page = _directory_page(profiles, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "profiles/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _directory_page(profiles: ProfileQuerySet, number: str | None) -> Page[Profile]:
    """One page of cards, by Paginator.get_page()'s rules for odd page numbers.

    The page's keys and the total come from one query (a window count over the sorted keys),
    then only the page's own profiles are loaded: a count followed by a sort of whole rows
    filters every profile twice (W4 in benchmarks/ measures it with 10,000 profiles).
    """
    ordered = profiles.order_by("user__display_name", "pk")
    paginator = Paginator(ordered.for_cards(), settings.DIRECTORY_PAGE_SIZE)
    try:
        wanted = int(number or 1)
    except ValueError:
        wanted = 1
    if not 1 <= wanted <= sys.maxsize // paginator.per_page:  # past any OFFSET the DB takes
        return paginator.get_page(number)
    bottom = (wanted - 1) * paginator.per_page
    keys_and_total = ordered.annotate(total=Window(Count("pk"))).values_list("pk", "total")
    rows = list(keys_and_total[bottom : bottom + paginator.per_page])
    if not rows:  # no one matches, or past the last page
        return paginator.get_page(number)
    paginator.count = rows[0][1]  # type: ignore[misc]  # a cached_property: no count query
    page = paginator.page(wanted)
    page.object_list = ordered.for_cards().filter(pk__in=[pk for pk, _total in rows])
    return page


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    profile = get_profile_for_viewer(request.user, pk)
    return render(request, "profiles/detail.html", {"profile": profile})


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(Organisation, slug=slug)
    people = (
        Profile.objects.visible_to(request.user)
        .filter(organisation=org)
        .for_listing()
        .order_by("user__display_name", "pk")
    )
    return render(request, "profiles/organisation.html", {"organisation": org, "people": people})
