"""Reward rules saved in the Wagtail admin go through ``core.services.program_setup``:
creating, editing, deleting and bulk deleting each leave an audit entry naming the
editor, as in the Django admin and the management API."""

from __future__ import annotations

from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, RewardRule
from parrain.core.models.choices import Side

from .helpers import make_program

ADD = reverse("wagtailsnippets_parrain_rewardrule:add")


def rule_data(program_pk: int, value: str = "20") -> dict[str, str]:
    return {
        "program": str(program_pk),
        "side": "referrer",
        "kind": "fixed_amount",
        "value": value,
        "minimum_order_amount": "0",
        "product_ref": "",
        "validity_days": "60",
        "labels_fr": f"{value} € offerts",
        "is_active": "on",
    }


class RewardRuleAuditTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.user = self.login()
        self.actor = f"wagtail:{self.user.pk}"

    def test_a_rule_created_in_wagtail_is_audited_with_the_editor(self) -> None:
        response = self.client.post(ADD, rule_data(self.program.pk))
        self.assertEqual(response.status_code, 302)
        rule = RewardRule.objects.get(program=self.program, value=Decimal("20"))
        event = AuditEvent.objects.get(action="reward_rule.created")
        self.assertEqual(event.actor, self.actor)
        self.assertEqual(event.data["rule"], rule.pk)
        self.assertTrue(ModelLogEntry.objects.filter(action="wagtail.create").exists())
        self.assertEqual(response["Location"], reverse("wagtailsnippets_parrain_rewardrule:list"))

    def test_an_edit_is_audited_with_the_changed_fields(self) -> None:
        rule = RewardRule.objects.get(program=self.program, side=Side.REFERRER)
        url = reverse("wagtailsnippets_parrain_rewardrule:edit", args=[rule.pk])
        response = self.client.post(url, rule_data(self.program.pk, value="12"))
        self.assertEqual(response.status_code, 302)
        rule.refresh_from_db()
        self.assertEqual(rule.value, Decimal("12"))
        event = AuditEvent.objects.get(action="reward_rule.updated")
        self.assertEqual(event.actor, self.actor)
        self.assertIn("value", event.data["fields"])
        self.assertNotIn("side", event.data["fields"])

    def test_a_refused_edit_stores_nothing_and_audits_nothing(self) -> None:
        rule = RewardRule.objects.get(program=self.program, side=Side.REFERRER)
        url = reverse("wagtailsnippets_parrain_rewardrule:edit", args=[rule.pk])
        response = self.client.post(url, rule_data(self.program.pk, value="-3"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(AuditEvent.objects.filter(action="reward_rule.updated").exists())

    def test_delete_and_bulk_delete_are_audited(self) -> None:
        referrer, referee = (
            RewardRule.objects.get(program=self.program, side=side)
            for side in (Side.REFERRER, Side.REFEREE)
        )
        url = reverse("wagtailsnippets_parrain_rewardrule:delete", args=[referrer.pk])
        self.assertEqual(self.client.post(url).status_code, 302)
        bulk = reverse("wagtail_bulk_action", args=("parrain", "rewardrule", "delete"))
        response = self.client.post(f"{bulk}?id={referee.pk}", {"next": ADD})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(RewardRule.objects.filter(program=self.program).exists())
        events = AuditEvent.objects.filter(action="reward_rule.deleted").order_by("pk")
        self.assertEqual([e.data["rule"] for e in events], [referrer.pk, referee.pk])
        self.assertEqual({e.actor for e in events}, {self.actor})
