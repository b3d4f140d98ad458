from django.db import migrations, models

DRAIN = {"name": "outbox-drain", "func": "helpdesk.tasks.outbox_drain_task"}


def create_schedule(apps, schema_editor):
    """The worker drains the outbox every minute; created once, kept if edited."""
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=DRAIN["name"],
        defaults={"func": DRAIN["func"], "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=DRAIN["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0002_notification"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name="OutboxTask",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("func", models.CharField(max_length=200)),
                ("args", models.JSONField(blank=True, default=list)),
                ("created_at", models.DateTimeField()),
                ("dispatched_at", models.DateTimeField(blank=True, null=True)),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_error", models.TextField(blank=True, default="")),
            ],
            options={
                "indexes": [
                    models.Index(
                        condition=models.Q(("dispatched_at", None)),
                        fields=["id"],
                        name="outbox_pending_idx",
                    ),
                    models.Index(
                        condition=models.Q(("dispatched_at__isnull", False)),
                        fields=["dispatched_at"],
                        name="outbox_dispatched_idx",
                    ),
                ],
            },
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
