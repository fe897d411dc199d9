from django.apps import AppConfig


class MentoringConfig(AppConfig):
    """The project package as an app: shared template tags (markup) live here."""

    name = "mentoring"
    verbose_name = "Mentoring"
