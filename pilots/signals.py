"""What pilots tells the apps built on it (groups, later events and research).

Imports point one way (groups -> pilots -> messaging), so pilots never calls those apps: it sends
these signals inside the transaction of the service that made the change, and an interested app
connects a one-line receiver (its `receivers.py`) that calls one of its own services. A receiver
that raises rolls the whole change back.
"""

from django.dispatch import Signal

# A pilot was closed or archived (`pilot`): nothing new may be written in it.
pilot_closed = Signal()

# A closed or archived pilot was opened again (`pilot`): what was locked may be unlocked.
pilot_reopened = Signal()

# `user` was taken out of `pilot` (their Participation is gone).
participant_removed = Signal()

# Asks which conversation contexts belong to `pilot`, so that its staff moderate the reports
# filed under them: each receiver returns a list of context labels (e.g. `Group.context`).
moderation_contexts = Signal()

# Asks what the apps built on pilots show someone on the pilot's page (e.g. groups: their pairs
# and groups there): each receiver returns a block of HTML, or "", for `participation` (the
# pilot, the person and their role), rendered for `request`.
pilot_page_sections = Signal()

# Asks which pairs and groups count against the capacity of the people `user_ids` (mentors):
# each receiver returns a list of (user id, conversation context) pairs, e.g. for every pair or
# mentoring group in which that person is the professional (pilots.services.capacity).
capacity_contexts = Signal()
