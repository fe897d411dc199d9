"""The pilot's staff form and run its groups: the list, pairs (by hand or from suggestions),
mentoring and discussion groups, members, archiving.

Every page reaches the pilot through `pilots.access.get_pilot_for_staff` (or
`groups.access.get_group_for_staff`): for anyone but the pilot's staff it does not exist.
Staff see who is in a group, not what its members write.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from groups import services
from groups.access import get_group_for_staff
from groups.forms import AddMemberForm, GroupFilterForm, GroupForm, PairForm
from groups.models import Group, GroupMember
from mentoring.types import AuthedRequest
from pilots.access import get_pilot_for_staff
from pilots.models import Participation, Role
from profiles.models import Profile, User

GROUPS_PER_PAGE = 50
# suggest_pairs costs a handful of queries per actor: the page suggests for this many at once.
SUGGESTED_ACTORS = 30


@login_required
def group_list(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    rows = Group.objects.filter(pilot=pilot)
    form = GroupFilterForm(request.GET or None)
    state = GroupFilterForm.ACTIVE
    if form.is_valid():
        data = form.cleaned_data
        if data["kind"]:
            rows = rows.filter(kind=data["kind"])
        if data["mode"]:
            rows = rows.filter(mode=data["mode"])
        state = data["state"] or state
    if state == GroupFilterForm.ACTIVE:
        rows = rows.filter(archived_at__isnull=True)
    elif state == GroupFilterForm.ARCHIVED:
        rows = rows.filter(archived_at__isnull=False)
    rows = rows.annotate(member_count=Count("memberships")).prefetch_related(
        # The names of a pair's two people; groups show their size only.
        Prefetch(
            "memberships",
            queryset=GroupMember.objects.filter(group__kind=Group.Kind.PAIR)
            .select_related("user")
            .in_role_order(),
            to_attr="pair_members",
        )
    )
    page = Paginator(rows.order_by("kind", "name", "pk"), GROUPS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "groups/staff/list.html",
        {
            "pilot": pilot,
            "section": "groups",
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )


def _mentor_places(pilot_id: int) -> list[tuple[User, int, int, bool]]:
    """Each mentor of the pilot with their load, capacity and availability (three queries)."""
    mentors = [
        p.user
        for p in Participation.objects.filter(pilot_id=pilot_id, role=Role.MENTOR)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    ]
    loads = services.mentor_loads(user_ids=[m.pk for m in mentors])
    profiles = {
        p.pk: p
        for p in Profile.objects.filter(pk__in=[m.pk for m in mentors]).only(
            "pk", "capacity", "is_available"
        )
    }
    rows = []
    for mentor in mentors:
        profile = profiles.get(mentor.pk)
        if profile is not None:
            rows.append((mentor, loads.get(mentor.pk, 0), profile.capacity, profile.is_available))
    return rows


@login_required
def form_pair(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    form = PairForm(request.POST or None, pilot=pilot)
    refused_for_capacity = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = services.form_pair(
                pilot=pilot,
                mentor=data["mentor"].user,
                mentee=data["mentee"].user,
                mode=data["mode"],
                created_by=request.user,
                force=data["force"],
            )
        except services.MentorUnavailable as error:
            form.add_error(None, error.message)
            refused_for_capacity = True
        except services.GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "The pair %(name)s is formed. Both are told, and their conversation opens "
                    "with an introduction of them."
                )
                % {"name": group.name},
            )
            return redirect("groups:form_pair", slug=slug)
    suggestions = (
        [] if pilot.is_closed else services.suggest_pairs(pilot=pilot, limit=SUGGESTED_ACTORS)
    )
    return render(
        request,
        "groups/staff/pair_form.html",
        {
            "pilot": pilot,
            "section": "groups",
            "form": form,
            "refused_for_capacity": refused_for_capacity,
            "suggestions": suggestions,
            "suggested_actors": SUGGESTED_ACTORS,
            "mentors": _mentor_places(pilot.pk),
        },
    )


@login_required
def new_group(request: AuthedRequest, slug: str) -> HttpResponse:
    pilot = get_pilot_for_staff(request.user, slug)
    form = GroupForm(request.POST or None, pilot=pilot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = services.create_group(
                pilot=pilot,
                kind=data["kind"],
                name=data["name"],
                description=data["description"],
                is_open=data["is_open"],
                created_by=request.user,
                member_ids=[p.user_id for p in data["members"]],
            )
        except services.GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _(
                    "The group %(name)s is created. Its members are told, and its conversation "
                    "opens with an introduction of them."
                )
                % {"name": group.name},
            )
            return redirect("groups:manage", slug=slug, pk=group.pk)
    return render(
        request,
        "groups/staff/group_form.html",
        {"pilot": pilot, "section": "groups", "form": form},
    )


@login_required
def manage(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    group = get_group_for_staff(request.user, slug, pk)
    members = group.memberships.select_related("user").in_role_order()
    return render(
        request,
        "groups/staff/manage.html",
        {
            "pilot": group.pilot,
            "section": "groups",
            "group": group,
            "members": members,
            "add_form": None if group.is_pair else AddMemberForm(group=group),
        },
    )


@login_required
@require_POST
def add_member(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    group = get_group_for_staff(request.user, slug, pk)
    form = AddMemberForm(request.POST, group=group)
    if not form.is_valid():
        messages.error(request, _("Choose someone who takes part in the pilot."))
        return redirect("groups:manage", slug=slug, pk=pk)
    user = form.cleaned_data["user"].user
    try:
        services.add_member(group=group, user=user)
    except services.GroupError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is added and told.") % {"name": user})
    return redirect("groups:manage", slug=slug, pk=pk)


@login_required
@require_POST
def remove_member(request: AuthedRequest, slug: str, pk: int, user_id: int) -> HttpResponse:
    group = get_group_for_staff(request.user, slug, pk)
    membership = group.memberships.select_related("user").filter(user_id=user_id).first()
    if membership is None:
        messages.error(request, _("This person is not in the group."))
        return redirect("groups:manage", slug=slug, pk=pk)
    try:
        services.remove_member(group=group, user=membership.user)
    except services.GroupError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s is removed.") % {"name": membership.user})
    return redirect("groups:manage", slug=slug, pk=pk)


@login_required
@require_POST
def archive(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    group = get_group_for_staff(request.user, slug, pk)
    services.archive_group(group=group)
    messages.success(
        request, _("%(name)s is archived: its conversation is read-only.") % {"name": group.name}
    )
    return redirect("groups:manage", slug=slug, pk=pk)
