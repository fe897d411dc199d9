"""Messaging's services, one module per domain; callers import them from here
(`from messaging import services as messaging; messaging.broadcast(...)`).

- `delivery`: broadcast -> outbox rows -> notifications and e-mails (enqueue, deliver, retries)
- `sending`: one mail for some outbox rows (claim, send, commit) and what an SMTP error means
- `emails`: the e-mail of one notification
- `digests`: the daily digest and the "new messages" e-mails
- `notifications`: read marks and e-mail choices
- `due`: messaging's scheduled work (`run_due`: the outbox sweeper, digests, message e-mails)
- `waiting`: questions waiting for an answer (asked of me, asked by me)
- `conversations`: conversations and their messages (start, send once per client id, edit,
  delete, read markers, unread counts, history, blocks, reports, read-only), called as
  `messaging.services.conversations.send_message(...)`: the caller (pilots, groups) has decided
  who takes part; messaging checks only its own rules.
- `reports`: reports and what moderators do with them (file, close, hide a message)
"""

from messaging.services import conversations
from messaging.services.delivery import (
    Outcome,
    broadcast,
    deliver,
    enqueue,
    give_up,
    retry_ceiling,
)
from messaging.services.digests import send_digests, send_message_emails
from messaging.services.due import DueReport, run_due
from messaging.services.emails import BroadcastEmail, render_email
from messaging.services.notifications import mark_notifications_read, set_email_choice
from messaging.services.sending import is_temporary
from messaging.services.waiting import Waiting, asked_by, waiting_for

__all__ = [
    "BroadcastEmail",
    "DueReport",
    "Outcome",
    "Waiting",
    "asked_by",
    "broadcast",
    "conversations",
    "deliver",
    "enqueue",
    "give_up",
    "is_temporary",
    "mark_notifications_read",
    "render_email",
    "retry_ceiling",
    "run_due",
    "send_digests",
    "send_message_emails",
    "set_email_choice",
    "waiting_for",
]
