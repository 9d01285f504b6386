"""Fill Post.search_vector for posts written before the column existed (PostgreSQL only)."""

from django.db import migrations


def fill(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        UPDATE forum_post AS p SET search_vector =
            setweight(to_tsvector(p.search_config::regconfig,
                                  CASE WHEN p.number = 1 THEN coalesce(t.title, '') ELSE '' END), 'A')
            || setweight(to_tsvector(p.search_config::regconfig, coalesce(p.raw, '')), 'B')
        FROM forum_topic AS t WHERE t.id = p.topic_id
        """
    )


class Migration(migrations.Migration):
    dependencies = [("forum", "0003_post_search_vector")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
