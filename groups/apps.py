from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Loops: pairs and groups")

    def ready(self) -> None:
        # pilots cannot import groups (imports point groups -> pilots): groups asks pilots to
        # call it when a pilot closes or someone is taken out of one, as pilots registers its
        # start rule with messaging.
        from groups.services import (
            leave_pilot_loops,
            lock_pilot_conversations,
            loop_contexts,
            unlock_pilot_conversations,
        )
        from pilots.services import (
            register_close_hook,
            register_moderation_contexts,
            register_removal_hook,
            register_reopen_hook,
        )

        register_close_hook(lock_pilot_conversations)
        register_reopen_hook(unlock_pilot_conversations)
        register_removal_hook(leave_pilot_loops)
        # Reports about messages in a pilot's loops reach that pilot's moderation queue.
        register_moderation_contexts(loop_contexts)
