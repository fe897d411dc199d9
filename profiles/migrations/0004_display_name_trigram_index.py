"""A trigram index for the directory's name search (ProfileQuerySet.search), on PostgreSQL only.

`display_name__icontains` is `UPPER("display_name"::text) LIKE UPPER(%s)` on PostgreSQL; a GIN
trigram index on that expression answers it without reading every user (benchmark W4). Other
databases have no pg_trgm and search without it. Where the extension cannot be created (a role
without the privilege), the migration goes on without the index: it only saves time.
"""

from typing import Any

from django.db import DatabaseError, migrations, transaction

INDEX = "profiles_user_display_name_trgm"


def add_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("profiles", "User")._meta.db_table)
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError as error:
        print(f"\n  No pg_trgm ({error}): the name search runs without its index.")
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} "
        "USING gin ((UPPER(display_name::text)) gin_trgm_ops)"
    )


def remove_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("profiles", "0003_visibility_pilot_members")]

    operations = [migrations.RunPython(add_index, remove_index, elidable=False)]
