"""Every pilot gets an invitation code; existing pilots each get their own random one."""

from django.db import migrations, models

import pilots.models


def give_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Pilot = apps.get_model("pilots", "Pilot")
    taken: set[str] = set()
    for pilot in Pilot.objects.only("pk").iterator():
        code = pilots.models.new_join_code()
        while code in taken:
            code = pilots.models.new_join_code()
        taken.add(code)
        Pilot.objects.filter(pk=pilot.pk).update(join_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0002_broadcast_context_of_pilots"),
    ]

    operations = [
        migrations.AddField(
            model_name="pilot",
            name="join_code",
            field=models.CharField(
                editable=False, max_length=8, null=True, verbose_name="invitation code"
            ),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="pilot",
            name="join_code",
            field=models.CharField(
                default=pilots.models.new_join_code,
                editable=False,
                max_length=8,
                unique=True,
                verbose_name="invitation code",
            ),
        ),
    ]
