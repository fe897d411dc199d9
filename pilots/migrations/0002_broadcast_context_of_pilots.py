"""File the broadcasts of existing announcements and weekly themes under their pilot
(`Broadcast.context`), which the staff statistics now filter by."""

from django.db import migrations


def file_under_pilots(apps, schema_editor):  # type: ignore[no-untyped-def]
    Announcement = apps.get_model("pilots", "Announcement")
    Week = apps.get_model("pilots", "Week")
    Broadcast = apps.get_model("messaging", "Broadcast")
    for model, prefix in ((Announcement, "announcement"), (Week, "week")):
        rows = model.objects.exclude(pilot=None).values_list("pk", "pilot_id").iterator()
        by_pilot: dict[int, list[str]] = {}
        for pk, pilot_id in rows:
            by_pilot.setdefault(pilot_id, []).append(f"{prefix}:{pk}")
        for pilot_id, sources in by_pilot.items():
            for start in range(0, len(sources), 1000):
                Broadcast.objects.filter(source__in=sources[start : start + 1000]).update(
                    context=f"pilot:{pilot_id}"
                )


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0001_initial"),
        ("messaging", "0005_broadcast_context"),
    ]

    operations = [migrations.RunPython(file_under_pilots, migrations.RunPython.noop)]
