"""Staff-written texts in every language of the site (django-modeltranslation): each field
below gets a column per language (`theme_fi`, `theme_en`, `theme_sv`); reading `week.theme`
gives the active language's version, else the fallback (MODELTRANSLATION_FALLBACK_LANGUAGES)."""

from modeltranslation.translator import TranslationOptions, register

from pilots.models import Announcement, Material, Pilot, Week


@register(Pilot)
class PilotTranslation(TranslationOptions):
    fields = ("name", "description", "actor_term")


@register(Week)
class WeekTranslation(TranslationOptions):
    fields = ("theme", "description", "prompts")


@register(Material)
class MaterialTranslation(TranslationOptions):
    fields = ("title", "body")


@register(Announcement)
class AnnouncementTranslation(TranslationOptions):
    fields = ("title", "body")
