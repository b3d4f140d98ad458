from django.db import migrations

SWEEP_FUNC = "sla.tasks.sla_sweep_task"


def create_schedule(apps, schema_editor):
    """The sweep runs every minute in the django-q2 cluster; created once, kept if edited."""
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name="sla-sweep",
        defaults={"func": SWEEP_FUNC, "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sla-sweep").delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0002_default_policy"), ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
