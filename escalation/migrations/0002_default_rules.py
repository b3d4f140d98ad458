from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "Warn the assignee at 75 %",
        "order": 10,
        "trigger": "warning",
        "notify_assignee": True,
    },
    {
        "name": "Notify the managers at breach",
        "order": 20,
        "trigger": "breach",
        "max_level": 1,
        "notify_managers": True,
    },
    {
        "name": "Reassign and raise priority at breach plus half the target",
        "order": 30,
        "trigger": "breach",
        "min_level": 2,
        "max_level": 2,
        "notify_managers": True,
        "reassign": "other_agent",
        "raise_priority": True,
    },
    {
        "name": "Content unpublished 7 days: critical, tell the managers",
        "order": 40,
        "trigger": "unpublished_7_days",
        "notify_managers": True,
        "notify_queue_agents": True,
    },
    {
        "name": "Requester says not answered: tell the assignee",
        "order": 50,
        "trigger": "not_answered",
        "notify_assignee": True,
    },
    {
        "name": "Second generic reply in a row: tell the managers",
        "order": 60,
        "trigger": "generic_reply",
        "min_level": 2,
        "notify_managers": True,
    },
]

DIGEST = {"name": "escalation-digest", "func": "escalation.tasks.digest_send_task"}


def create_defaults(apps, schema_editor):
    """Default rules once (kept if edited or deleted later: matched by name only on an
    empty table), and the hourly managers' digest schedule."""
    Rule = apps.get_model("escalation", "Rule")
    if not Rule.objects.exists():
        Rule.objects.bulk_create([Rule(**rule) for rule in DEFAULT_RULES])
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=DIGEST["name"],
        defaults={"func": DIGEST["func"], "schedule_type": "H", "repeats": -1},
    )


def remove_defaults(apps, schema_editor):
    apps.get_model("escalation", "Rule").objects.filter(
        name__in=[rule["name"] for rule in DEFAULT_RULES]
    ).delete()
    apps.get_model("django_q", "Schedule").objects.filter(name=DIGEST["name"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
