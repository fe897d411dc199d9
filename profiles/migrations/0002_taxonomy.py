from django.db import migrations


def load_taxonomy(apps, schema_editor):
    from profiles import taxonomy

    taxonomy.load(apps.get_model("profiles", "Competence"), apps.get_model("profiles", "Language"))


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunPython(load_taxonomy, migrations.RunPython.noop)]
