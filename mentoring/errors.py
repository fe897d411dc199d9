"""The one base of refusals a person sees: a service raises a subclass with a message written
for the person who tried (translatable), and a view or the socket shows that message.

Each app names its own refusals (`messaging.services.conversations.NotAllowed`,
`pilots.services.PilotClosed`, `groups.services.GroupError`,
`pilots.invitations.InvitationError`), all of them `UserError`s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class UserError(Exception):
    """A refused action, with a message for the person who tried it."""

    code = "refused"

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(str(message))
        self.message = message
