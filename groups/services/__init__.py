"""Groups' services, one module per domain; callers import the verbs from here
(`from groups import services; services.form_pair(...)`).

- `capacity`: professionals' loads and capacity, and the refusals (`GroupError`)
- `membership`: form pairs, create groups, add, remove, join, leave, archive, lock
- `notices`: telling new members, and the introduction that opens a group's conversation
- `suggestions`: suggested pairs for a pilot's staff
"""

from groups.services.capacity import (
    OPEN_PILOT_STATUSES,
    GroupError,
    MentorUnavailable,
    check_capacity,
    mentor_loads,
    professional_contexts,
)
from groups.services.membership import (
    add_member,
    archive_group,
    create_group,
    form_pair,
    group_contexts,
    join_group,
    leave_group,
    leave_pilot_groups,
    lock_pilot_conversations,
    pair_name,
    remove_member,
    unlock_pilot_conversations,
)
from groups.services.notices import introduce, tell_members
from groups.services.suggestions import PairSuggestion, suggest_pairs

__all__ = [
    "OPEN_PILOT_STATUSES",
    "GroupError",
    "MentorUnavailable",
    "PairSuggestion",
    "add_member",
    "archive_group",
    "check_capacity",
    "create_group",
    "form_pair",
    "group_contexts",
    "introduce",
    "join_group",
    "leave_group",
    "leave_pilot_groups",
    "lock_pilot_conversations",
    "mentor_loads",
    "pair_name",
    "professional_contexts",
    "remove_member",
    "suggest_pairs",
    "tell_members",
    "unlock_pilot_conversations",
]
