"""The one way views reach a profile: missing and not-allowed both raise Http404."""

from __future__ import annotations

from django.http import Http404

from profiles.models import Profile, User


def get_profile_for_viewer(user: User, pk: int) -> Profile:
    try:
        return Profile.objects.visible_to(user).for_listing().get(pk=pk)
    except Profile.DoesNotExist:
        raise Http404("No such profile.") from None
