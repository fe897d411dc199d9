from django.db import migrations, models


def name_in_swedish(apps, schema_editor):
    from profiles import taxonomy

    taxonomy.name_in_swedish(
        apps.get_model("profiles", "Competence"), apps.get_model("profiles", "Language")
    )


class Migration(migrations.Migration):
    dependencies = [("profiles", "0005_user_language")]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("fi", "Finnish"), ("en", "English"), ("sv", "Swedish")],
                help_text=(
                    "The language of e-mails and notifications: the one last chosen on the site "
                    "(empty: the site's default)."
                ),
                max_length=8,
                verbose_name="language",
            ),
        ),
        migrations.AddField(
            model_name="competence",
            name="name_sv",
            field=models.CharField(default="", max_length=80, verbose_name="name in Swedish"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="language",
            name="name_sv",
            field=models.CharField(default="", max_length=80, verbose_name="name in Swedish"),
            preserve_default=False,
        ),
        migrations.RunPython(name_in_swedish, migrations.RunPython.noop),
    ]
