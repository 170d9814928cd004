"""Badges in the Wagtail admin's Referral menu: create, edit, refuse, holders, permissions."""

from __future__ import annotations

import shutil
import tempfile
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file, get_test_image_file_svg
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, Badge, BadgeCondition, BadgeHolding, Contact
from parrain.core.models.choices import Side

from .helpers import SITE_ROOT_URL, make_program

ADD = reverse("wagtailsnippets_parrain_badge:add")
LIST = reverse("wagtailsnippets_parrain_badge:list")
HOLDERS = reverse("parrain_wagtail:badge_holders")
OVER_TIME = reverse("parrain_wagtail:badge_stats")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MEDIA = tempfile.mkdtemp(prefix="parrain-badges-")


def conditions(*rows: dict, initial: int = 0) -> dict:
    """The inline formset's fields as the browser posts them."""
    data = {
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": str(initial),
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        fields = {"period_days": "", "action_kind": "", "custom_kind": "", "required_badge": ""}
        fields.update(row)
        data.update({f"conditions-{index}-{name}": value for name, value in fields.items()})
    return data


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en", MEDIA_ROOT=MEDIA)
class BadgeAdminTests(WagtailTestUtils, TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.addClassCleanup(shutil.rmtree, MEDIA, ignore_errors=True)

    def setUp(self) -> None:
        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)
        self.reward = self.program.reward_rules.get(side=Side.REFERRER)

    def form(self, **extra: str) -> dict:
        data = {
            "program": str(self.program.pk),
            "rank": "",
            "colour": "#c0c0c0",
            "is_active": "on",
            "name_fr": "Argent",
            "name_en": "Silver",
            "description_fr": "Trois amis convertis",
            "description_en": "Three friends converted",
            "match": "all",
            "keep_once_earned": "on",
            "reward_rule": str(self.reward.pk),
            "image_choice": "",
        }
        data.update(conditions({"kind": "friends_converted", "threshold": "3"}))
        data.update(extra)
        return data

    def test_referral_menu_lists_badges_and_their_reports(self) -> None:
        html = self.client.get(reverse("wagtailadmin_home"), **EN).content.decode()
        for label in ("Badges", "Badge holders", "Badges over time"):
            self.assertIn(label, html)

    def test_the_form_has_one_field_per_language_and_an_image_chooser(self) -> None:
        response = self.client.get(ADD, **EN)
        self.assertContains(response, 'name="name_fr"')
        self.assertContains(response, 'name="name_en"')
        self.assertContains(response, 'name="description_en"')
        self.assertContains(response, 'name="image_choice"')
        self.assertContains(response, 'id="id_conditions-EMPTY_FORM_TEMPLATE"')
        self.assertNotContains(response, 'name="names"')  # no JSON to type

    def test_shop_owner_creates_a_badge_with_a_condition_and_a_library_image(self) -> None:
        image = get_image_model().objects.create(
            title="Silver medal", file=get_test_image_file(size=(900, 600))
        )

        response = self.client.post(
            ADD, self.form(image_choice=str(image.pk), period_days=""), **EN
        )

        self.assertEqual(response.status_code, 302, response.content[:2000])
        badge = Badge.objects.get()
        self.assertEqual(badge.names, {"fr": "Argent", "en": "Silver"})
        self.assertEqual(badge.description("en"), "Three friends converted")
        self.assertEqual(badge.reward_rule, self.reward)
        self.assertEqual(badge.rank, 1)
        condition = badge.conditions.get()
        self.assertEqual((condition.kind, condition.threshold), ("friends_converted", Decimal(3)))
        with PILImage.open(badge.image.path) as thumbnail:
            self.assertEqual((thumbnail.format, max(thumbnail.size)), ("PNG", 256))
        self.assertTrue(
            AuditEvent.objects.filter(
                action="badge.created", actor=f"wagtail:{self.owner.pk}"
            ).exists()
        )

    def test_a_threshold_of_zero_shows_an_error_and_stores_nothing(self) -> None:
        data = self.form()
        data.update(conditions({"kind": "friends_converted", "threshold": "0"}))

        response = self.client.post(ADD, data, **EN)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "greater than or equal to 0.01")
        self.assertFalse(Badge.objects.exists())
        self.assertFalse(BadgeCondition.objects.exists())

    def test_a_refusal_of_the_service_shows_on_its_field_and_stores_nothing(self) -> None:
        # the loyalty action condition needs the action it counts: the core says so
        data = self.form()
        data.update(conditions({"kind": "action_count", "threshold": "2"}))

        response = self.client.post(ADD, data, **EN)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Choose which loyalty action to count.")
        self.assertFalse(Badge.objects.exists())

    def test_a_name_in_the_default_language_is_required(self) -> None:
        response = self.client.post(ADD, self.form(name_fr=""), **EN)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "the program&#x27;s default language")
        self.assertFalse(Badge.objects.exists())

    def test_an_svg_from_the_library_is_refused_and_nothing_is_stored(self) -> None:
        image = get_image_model().objects.create(title="Logo", file=get_test_image_file_svg())

        response = self.client.post(ADD, self.form(image_choice=str(image.pk)), **EN)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "SVG images are not accepted")
        self.assertFalse(Badge.objects.exists())

    def test_editing_replaces_the_conditions_and_keeps_the_program(self) -> None:
        self.client.post(ADD, self.form(), **EN)
        badge = Badge.objects.get()
        other = make_program("velo", "Atelier Vélo")
        url = reverse("wagtailsnippets_parrain_badge:edit", args=[badge.pk])
        condition = badge.conditions.get()
        data = self.form(program=str(other.pk), rank="1", name_en="Silver ambassador")
        data.update(
            conditions(
                {
                    "id": str(condition.pk),
                    "kind": "friends_converted",
                    "threshold": "3",
                    "DELETE": "on",
                },
                {"kind": "invitations_sent", "threshold": "10", "period_days": "30"},
                initial=1,
            )
        )

        response = self.client.post(url, data, **EN)

        self.assertEqual(response.status_code, 302)
        badge.refresh_from_db()
        self.assertEqual(badge.program, self.program)
        self.assertEqual(badge.name("en"), "Silver ambassador")
        self.assertEqual(
            list(badge.conditions.values_list("kind", "threshold", "period_days")),
            [("invitations_sent", Decimal(10), 30)],
        )

    def test_an_edit_refused_by_the_service_changes_nothing(self) -> None:
        self.client.post(ADD, self.form(), **EN)
        badge = Badge.objects.get()
        url = reverse("wagtailsnippets_parrain_badge:edit", args=[badge.pk])
        condition = badge.conditions.get()
        data = self.form(rank="1", name_en="Renamed")
        data.update(
            conditions(
                {"id": str(condition.pk), "kind": "action_count", "threshold": "3"}, initial=1
            )
        )

        response = self.client.post(url, data, **EN)

        self.assertContains(response, "Choose which loyalty action to count.")
        badge.refresh_from_db()
        self.assertEqual(badge.name("en"), "Silver")  # the name change was rolled back too
        self.assertEqual(badge.conditions.get().kind, "friends_converted")

    def test_holders_are_listed_per_badge(self) -> None:
        self.client.post(ADD, self.form(), **EN)
        badge = Badge.objects.get()
        alice = Contact.objects.create(program=self.program, email="alice@example.com")
        BadgeHolding.objects.create(badge=badge, contact=alice)

        listing = self.client.get(LIST, **EN)
        holders = self.client.get(HOLDERS, {"badge": badge.pk}, **EN)

        self.assertContains(listing, "1 holder")
        self.assertContains(holders, "alice@example.com")
        self.assertContains(holders, "Re-evaluation of the contacts")  # the create queued one

    def test_holders_over_time_show_a_line_per_badge(self) -> None:
        self.client.post(ADD, self.form(), **EN)
        badge = Badge.objects.get()
        BadgeHolding.objects.create(
            badge=badge, contact=Contact.objects.create(program=self.program, email="a@example.com")
        )

        response = self.client.get(OVER_TIME, {"program": self.program.pk}, **EN)

        self.assertContains(response, "Holders per badge")
        self.assertContains(response, "<polyline")
        self.assertContains(response, "Silver")

    def test_a_badge_another_requires_cannot_be_deleted(self) -> None:
        self.client.post(ADD, self.form(), **EN)
        silver = Badge.objects.get()
        data = self.form(name_fr="Or", name_en="Gold")
        data.update(
            conditions({"kind": "holds_badge", "threshold": "1", "required_badge": str(silver.pk)})
        )
        self.client.post(ADD, data, **EN)

        response = self.client.post(
            reverse("wagtailsnippets_parrain_badge:delete", args=[silver.pk]), follow=True, **EN
        )

        self.assertContains(response, "is a condition of Or")
        self.assertTrue(Badge.objects.filter(pk=silver.pk).exists())


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class BadgePermissionTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.badge = Badge.objects.create(program=self.program, names={"fr": "Bronze"})
        self.editor = self.create_user("editor", email="editor@example.com")
        self.editor.groups.add(Group.objects.get(name="Editors"))  # Wagtail admin, no badges
        self.client.force_login(self.editor)

    def test_an_editor_without_badge_permissions_is_refused(self) -> None:
        for url in (LIST, ADD, HOLDERS, OVER_TIME):
            response = self.client.get(url, **EN)
            self.assertEqual(response.status_code, 302, url)
            self.assertEqual(response["Location"], reverse("wagtailadmin_home"))
        response = self.client.post(ADD, {"program": self.program.pk, "name_fr": "X"}, **EN)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Badge.objects.count(), 1)
        html = self.client.get(reverse("wagtailadmin_home"), **EN).content.decode()
        self.assertNotIn("Badge holders", html)

    def test_viewing_badges_does_not_allow_changing_them(self) -> None:
        group = Group.objects.create(name="Badge viewers")
        group.permissions.add(
            Permission.objects.get(codename="view_badge"),
            Permission.objects.get(codename="access_admin"),
        )
        self.editor.groups.set([group])

        self.assertEqual(self.client.get(HOLDERS, **EN).status_code, 200)
        self.assertEqual(self.client.get(LIST, **EN).status_code, 200)
        edit = reverse("wagtailsnippets_parrain_badge:edit", args=[self.badge.pk])
        response = self.client.post(edit, {"name_fr": "Platine", **conditions()}, **EN)
        self.assertNotEqual(response.status_code, 200)
        self.badge.refresh_from_db()
        self.assertEqual(self.badge.names, {"fr": "Bronze"})
