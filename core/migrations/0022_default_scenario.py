"""The default scenario for the programs that existed before scenarios (issue 13).

New programs get it from ``services.scenarios.install_default_scenario`` (post_save); the
list is copied here, as it stood, so this migration never changes with the app's code.
"""

from django.db import migrations

# (trigger, delay amount, unit, kind, recipient, audience, active)
DEFAULT_SCENARIO = [
    ("invitation_sent", 0, "minutes", "invitation", "friend", [], True),
    (
        "invitation_sent",
        3,
        "days",
        "friend_reminder",
        "friend",
        ["not_claimed", "not_converted"],
        True,
    ),
    ("friend_claimed", 0, "minutes", "welcome", "friend", [], True),
    ("friend_claimed", 5, "days", "friend_reminder", "friend", ["not_converted"], True),
    ("reward_issued", 0, "minutes", "reward", "contact", [], True),
    ("order_placed", 7, "days", "incitation", "contact", ["not_referrer"], True),
    ("order_placed", 10, "days", "review_request", "contact", [], False),
    ("badge_earned", 0, "minutes", "badge_awarded", "contact", [], True),
    ("contest_drawn", 0, "minutes", "contest_won", "contact", [], True),
    ("boost_started", 0, "minutes", "boost_announcement", "referrer", ["opted_in"], True),
]


def install(apps, schema_editor):
    Program = apps.get_model("parrain", "Program")
    ScenarioStep = apps.get_model("parrain", "ScenarioStep")
    with_steps = ScenarioStep.objects.values("program_id")
    steps = [
        ScenarioStep(
            program_id=program_id,
            position=position,
            trigger=trigger,
            delay_amount=amount,
            delay_unit=unit,
            channel="email",
            kind=kind,
            recipient=recipient,
            audience=list(audience),
            is_active=active,
        )
        for program_id in Program.objects.exclude(pk__in=with_steps).values_list("pk", flat=True)
        for position, (trigger, amount, unit, kind, recipient, audience, active) in enumerate(
            DEFAULT_SCENARIO
        )
    ]
    ScenarioStep.objects.bulk_create(steps, batch_size=1000)


def uninstall(apps, schema_editor):
    """Back to before scenarios: no program has steps (0021's tables go next)."""
    apps.get_model("parrain", "ScenarioStep").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("parrain", "0021_scenarios_messages")]

    operations = [migrations.RunPython(install, uninstall)]
