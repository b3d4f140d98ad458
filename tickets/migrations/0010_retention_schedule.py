from datetime import timedelta

from django.db import migrations
from django.utils import timezone

RETENTION = {"name": "privacy-retention", "func": "tickets.retention.retention_task"}


def forwards(apps, schema_editor):
    """Once a day, at night (03:00 UTC): created once, kept if a manager edits it."""
    now = timezone.now()
    night = now.replace(hour=3, minute=0, second=0, microsecond=0)
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=RETENTION["name"],
        defaults={
            "func": RETENTION["func"],
            "schedule_type": "D",
            "repeats": -1,
            "next_run": night if night > now else night + timedelta(days=1),
        },
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=RETENTION["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0009_data_protection"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
