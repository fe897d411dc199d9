"""What participants see of groups: their own groups, a group's page with its members and a link
to its conversation, and the open discussion groups of their pilots to join or leave."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from groups import listing, services
from groups.access import get_group_for_member, get_open_group, open_groups_for
from groups.models import Group, GroupMember
from mentoring.types import AuthedRequest
from pilots.models import Participation, Role
from profiles.models import Profile


@login_required
def my_groups(request: AuthedRequest) -> HttpResponse:
    user = request.user
    in_pilot = Participation.objects.filter(user=user, role__in=[Role.ACTOR, Role.MENTOR]).exists()
    rows = listing.my_groups(user=user)
    return render(
        request,
        "groups/list.html",
        {
            "rows": rows,
            "in_pilot": in_pilot or bool(rows),
            "joinable": list(listing.joinable_groups(user=user)) if in_pilot else [],
            "discussion_explanation": Group.EXPLANATIONS[Group.Kind.DISCUSSION],
        },
    )


@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    group = get_group_for_member(request.user, pk)
    members = list(group.memberships.select_related("user").in_role_order())
    visible = set(
        Profile.objects.visible_to(request.user)
        .filter(pk__in=[m.user_id for m in members])
        .values_list("pk", flat=True)
    )
    is_member = any(m.user_id == request.user.pk for m in members)
    runs_pilot = request.user.is_superuser or (
        Participation.objects.filter(pilot=group.pilot, user=request.user, role=Role.STAFF).exists()
    )
    return render(
        request,
        "groups/detail.html",
        {
            "group": group,
            "pilot": group.pilot,
            "members": members,
            "visible_profiles": visible,
            "is_member": is_member,
            "runs_pilot": runs_pilot,
        },
    )


@login_required
def discussions(request: AuthedRequest) -> HttpResponse:
    mine = GroupMember.objects.filter(group=OuterRef("pk"), user=request.user)
    groups = (
        open_groups_for(request.user)
        .select_related("pilot")
        .annotate(member_count=Count("memberships"), is_member=Exists(mine))
        .order_by("pilot__name", "name", "pk")
    )
    return render(
        request,
        "groups/discussions.html",
        {"groups": groups, "discussion_explanation": Group.EXPLANATIONS[Group.Kind.DISCUSSION]},
    )


@login_required
@require_POST
def join(request: AuthedRequest, pk: int) -> HttpResponse:
    group = get_open_group(request.user, pk)
    try:
        services.join_group(group=group, user=request.user)
    except services.GroupError as error:
        messages.error(request, error.message)
        return redirect("groups:discussions")
    messages.success(request, _("You joined %(name)s.") % {"name": group.name})
    return redirect(group)


@login_required
@require_POST
def leave(request: AuthedRequest, pk: int) -> HttpResponse:
    group = get_group_for_member(request.user, pk)
    try:
        services.leave_group(group=group, user=request.user)
    except services.GroupError as error:
        messages.error(request, error.message)
        return redirect(group)
    messages.success(request, _("You left %(name)s.") % {"name": group.name})
    return redirect("groups:discussions")
