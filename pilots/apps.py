from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PilotsConfig(AppConfig):
    name = "pilots"
    verbose_name = _("Pilots")

    def ready(self) -> None:
        from pilots.models import Participation, Role
        from profiles import circles

        def members(user: Any) -> Any:
            mine = Participation.objects.filter(user=user).values("pilot_id")
            return Participation.objects.filter(pilot_id__in=mine).values("user_id")

        def managed(user: Any) -> Any:
            runs = Participation.objects.filter(user=user, role=Role.STAFF).values("pilot_id")
            return Participation.objects.filter(pilot_id__in=runs).values("user_id")

        circles.register(members=members, managed=managed)

        from messaging.conversations import register_context_provider, register_start_rule
        from pilots.services import conversation_contexts, conversation_refusal

        register_start_rule(conversation_refusal)
        register_context_provider(conversation_contexts)
