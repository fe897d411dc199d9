"""What profiles asks the apps that group people (pilots), without knowing about them.

Sent with `user`; each receiver returns a query of user ids (`values("user_id")` or a
`values_list(..., flat=True)`), used inside `__in`. With no receiver, both answers are empty.
"""

from django.dispatch import Signal

# Who shares a circle (a pilot) with `user`: they may see profiles shown to "members of my
# pilots".
circle_members = Signal()

# Whom `user` runs a circle for as its staff: they may see profiles shown to "project staff only".
circle_managed = Signal()

# Whether `viewer` may start a conversation with each of `user_ids`: each receiver returns a
# dict {user_id: profiles.offers.Offer}. With no receiver, nobody is offered a conversation.
conversation_offers = Signal()
