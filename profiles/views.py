from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from profiles.access import get_profile_for_viewer
from profiles.forms import AvatarForm, CompetenceFormSet, DirectoryFilterForm, ProfileForm
from profiles.matching import suggest_matches
from profiles.models import Organisation, Profile
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
    profiles = profiles.for_listing().order_by("user__display_name", "pk")
    page = Paginator(profiles, settings.DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "profiles/directory.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


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
