"""Pilot state changes, one module per domain. Views, tasks, the admin and management commands
call these; the public verbs are re-exported here (`from pilots import services`).

A pilot decides what to say and to whom, and who may talk to whom; messaging delivers. Apps
built on pilots learn of its changes through `pilots.signals`.
"""

from pilots.services.announcements import post_announcement, send_announcement
from pilots.services.capacity import capacity_used, capacity_used_by
from pilots.services.conversations import (
    ALLOWED_PAIRS,
    ConversationRefused,
    SharedPilot,
    StartRefusal,
    Why,
    conversation_offers,
    conversation_refusal,
    mentor_refusal,
    mentor_refusals,
    next_step,
    other_mentors,
    shared_pilots,
    start_pilot_conversation,
    start_refusal,
    start_refusals,
)
from pilots.services.due import DueReport, run_due
from pilots.services.lifecycle import PilotClosed, create_pilot, ensure_open, update_pilot
from pilots.services.membership import (
    QUIET_AFTER,
    JoinRefused,
    add_participant,
    complete_material,
    fellow_member_ids,
    join_with_code,
    managed_member_ids,
    may_start_conversations,
    normalise_join_code,
    orientation_done,
    quiet,
    recipient_ids,
    remove_participant,
    rotate_join_code,
    touch,
    touch_all,
)
from pilots.services.moderation import moderated_contexts, warn
from pilots.services.nudges import ANSWER_NUDGE_AFTER, START_NUDGE_DAYS, send_nudges
from pilots.services.schedule import WEEK, current_themes, plan_weeks, publish_week

__all__ = [
    "ALLOWED_PAIRS",
    "ANSWER_NUDGE_AFTER",
    "QUIET_AFTER",
    "START_NUDGE_DAYS",
    "WEEK",
    "ConversationRefused",
    "DueReport",
    "JoinRefused",
    "PilotClosed",
    "SharedPilot",
    "StartRefusal",
    "Why",
    "add_participant",
    "capacity_used",
    "capacity_used_by",
    "complete_material",
    "conversation_offers",
    "conversation_refusal",
    "create_pilot",
    "current_themes",
    "ensure_open",
    "fellow_member_ids",
    "join_with_code",
    "managed_member_ids",
    "may_start_conversations",
    "mentor_refusal",
    "mentor_refusals",
    "moderated_contexts",
    "next_step",
    "normalise_join_code",
    "orientation_done",
    "other_mentors",
    "plan_weeks",
    "post_announcement",
    "publish_week",
    "quiet",
    "recipient_ids",
    "remove_participant",
    "rotate_join_code",
    "run_due",
    "send_announcement",
    "send_nudges",
    "shared_pilots",
    "start_pilot_conversation",
    "start_refusal",
    "start_refusals",
    "touch",
    "touch_all",
    "update_pilot",
    "warn",
]
