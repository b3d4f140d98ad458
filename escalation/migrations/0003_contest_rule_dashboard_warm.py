from django.db import migrations

CONTEST_RULE = {
    "name": "Decision contested: tell the managers (another moderator must review it)",
    "order": 70,
    "trigger": "decision_contested",
    "notify_managers": True,
}
WARM = {"name": "escalation-dashboard-warm", "func": "escalation.tasks.dashboard_warm_task"}


def forwards(apps, schema_editor):
    Rule = apps.get_model("escalation", "Rule")
    if not Rule.objects.filter(trigger="decision_contested").exists():
        Rule.objects.create(**CONTEST_RULE)
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=WARM["name"],
        defaults={"func": WARM["func"], "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def backwards(apps, schema_editor):
    apps.get_model("escalation", "Rule").objects.filter(name=CONTEST_RULE["name"]).delete()
    apps.get_model("django_q", "Schedule").objects.filter(name=WARM["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0002_default_rules"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
