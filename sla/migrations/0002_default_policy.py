from django.db import migrations

DEFAULT_TARGETS = {
    "first_response": 240,
    "answer": 1440,
    "next_response": 480,
    "resolution": 4320,
    "moderation": 1440,
    "report_decision": 1440,
}


def create_default_policy(apps, schema_editor):
    Policy = apps.get_model("sla", "Policy")
    if not Policy.objects.filter(order=1000, name="Default 24/7").exists():
        Policy.objects.create(
            name="Default 24/7",
            order=1000,
            kinds=[],
            queues=[],
            priorities=[],
            calendar=None,
            targets=DEFAULT_TARGETS,
            warn_percent=75,
        )


def remove_default_policy(apps, schema_editor):
    apps.get_model("sla", "Policy").objects.filter(order=1000, name="Default 24/7").delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, remove_default_policy)]
