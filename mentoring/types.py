"""Types shared by the apps' views."""

from __future__ import annotations

from django.http import HttpRequest

from profiles.models import User


class AuthedRequest(HttpRequest):
    """The request of a view behind @login_required: request.user is a real User."""

    user: User  # type: ignore[assignment]
