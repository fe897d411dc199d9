"""The texts written before staff texts had a version per language become the version in the
site's default language (MODELTRANSLATION_DEFAULT_LANGUAGE); the other versions stay empty
and fall back to it until someone writes them."""

from django.conf import settings
from django.db import migrations
from django.db.models import F, Q

TEXTS = {
    "pilot": ("name", "description", "actor_term"),
    "week": ("theme", "description", "prompts"),
    "material": ("title", "body"),
    "announcement": ("title", "body"),
}


def copy_to_default_language(apps, schema_editor):
    language = settings.MODELTRANSLATION_DEFAULT_LANGUAGE.replace("-", "_")
    for model_name, fields in TEXTS.items():
        model = apps.get_model("pilots", model_name)
        for name in fields:
            target = f"{name}_{language}"
            empty = Q(**{f"{target}__isnull": True}) | Q(**{target: ""})
            model.objects.filter(empty).update(**{target: F(name)})


class Migration(migrations.Migration):
    dependencies = [("pilots", "0004_staff_texts_in_every_language")]

    operations = [migrations.RunPython(copy_to_default_language, migrations.RunPython.noop)]
