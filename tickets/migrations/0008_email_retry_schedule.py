from django.db import migrations

RETRY = {"name": "email-retry", "func": "tickets.email.tasks.email_retry_pending"}


def forwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=RETRY["name"],
        defaults={"func": RETRY["func"], "schedule_type": "I", "minutes": 2, "repeats": -1},
    )


def backwards(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=RETRY["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0007_ticket_created_idx"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
