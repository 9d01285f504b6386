import django.core.serializers.json
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="StreamCounter",
            fields=[
                ("stream", models.CharField(help_text="Stream name, e.g. topic.12 or latest.", max_length=100, primary_key=True, serialize=False)),
                ("last_seq", models.BigIntegerField(default=0, help_text="The id of the newest event published on the stream.")),
            ],
        ),
        migrations.CreateModel(
            name="StreamEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("stream", models.CharField(help_text="Stream name, e.g. topic.12, latest, member.7.", max_length=100)),
                ("seq", models.BigIntegerField(help_text="Per-stream increasing id, the `id` clients send back as last_id.")),
                ("payload", models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder, help_text="The event as published: {type, op, ...}.")),
                ("category_id", models.BigIntegerField(blank=True, help_text="Forum category the event is about: list streams drop it for members who may not read it.", null=True)),
                ("topic_id", models.BigIntegerField(blank=True, help_text="Forum topic the event is about, checked when the event names no category.", null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["stream", "seq"],
                "constraints": [models.UniqueConstraint(fields=("stream", "seq"), name="live_streamevent_stream_seq_unique")],
            },
        ),
    ]
