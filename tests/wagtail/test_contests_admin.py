"""Contests in the Wagtail admin's Referral menu: create, edit, open, draw, refusals."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from wagtail.test.utils import WagtailTestUtils

from parrain.core.models import AuditEvent, Contest, ContestEntry
from parrain.core.models.contest import ContestStatus
from tests.core.contest_helpers import make_contest
from tests.core.test_contest_form import form_data

from .helpers import SITE_ROOT_URL, make_program
from .helpers import opened_contest as open_contest

ADD = reverse("wagtailsnippets_parrain_contest:add")
LIST = reverse("wagtailsnippets_parrain_contest:list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: int) -> str:
    return reverse(f"wagtailsnippets_parrain_contest:{name}", args=args)


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class ContestAdminTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)

    def test_referral_menu_lists_contests(self) -> None:
        make_contest(self.program)
        self.assertContains(self.client.get(reverse("wagtailadmin_home"), **EN), "Contests")
        response = self.client.get(LIST, **EN)
        self.assertContains(response, "Summer draw")
        self.assertContains(response, "Draft")

    def test_the_form_is_the_core_form_in_the_program_languages(self) -> None:
        response = self.client.get(ADD, **EN)
        for name in ("name_fr", "name_en", "rules_en", "entries_start", "prizes-0-label"):
            self.assertContains(response, f'name="{name}"')
        self.assertContains(response, "Europe/Paris")

    def test_with_several_programs_the_program_is_chosen_first(self) -> None:
        other = make_program(slug="autre", name="Autre boutique")
        response = self.client.get(ADD, **EN)
        self.assertContains(response, "Which program is it for?")
        self.assertContains(response, f'href="?program={other.pk}"')
        self.assertNotContains(response, 'name="name_fr"')
        chosen = self.client.get(f"{ADD}?program={other.pk}", **EN)
        self.assertContains(chosen, 'name="name_fr"')

    def test_shop_owner_creates_a_contest_with_its_prizes(self) -> None:
        response = self.client.post(ADD, form_data(), **EN)

        contest = Contest.objects.get()
        self.assertRedirects(response, url("inspect", contest.pk), fetch_redirect_response=False)
        self.assertEqual(contest.program, self.program)
        self.assertEqual(contest.names["en"], "Winter draw")
        self.assertEqual(
            [p.label for p in contest.prizes.order_by("position")], ["Voucher", "Bike"]
        )
        self.assertTrue(
            AuditEvent.objects.filter(
                action="contest.created", actor=f"wagtail:{self.owner.pk}"
            ).exists()
        )

    def test_draw_date_before_the_end_of_entries_is_refused_and_nothing_is_stored(self) -> None:
        data = form_data()
        data["draw_at"] = data["entries_start"]

        response = self.client.post(ADD, data, **EN)

        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "before the entry period ends", status_code=400)
        self.assertContains(response, "Nothing was saved", status_code=400)
        self.assertFalse(Contest.objects.exists())

    def test_bad_prize_row_is_refused_and_nothing_is_stored(self) -> None:
        response = self.client.post(ADD, form_data(**{"prizes-1-reward_value": "0"}), **EN)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Contest.objects.exists())

    def test_editing_an_open_contest_keeps_its_ticket_rules(self) -> None:
        contest = open_contest(self.program)
        response = self.client.get(url("edit", contest.pk), **EN)
        self.assertContains(response, "participants rely on this")
        self.assertRegex(response.content.decode(), r'name="ticket_source"[^>]*disabled')

    def test_opening_publishes_the_commitment_on_the_contest_page(self) -> None:
        contest = make_contest(self.program)
        confirm = self.client.get(url("open", contest.pk), **EN)
        self.assertContains(confirm, "Yes, go ahead")
        contest.refresh_from_db()
        self.assertEqual(contest.status, ContestStatus.DRAFT)  # a GET changes nothing

        response = self.client.post(url("open", contest.pk), **EN, follow=True)

        contest.refresh_from_db()
        self.assertEqual(contest.status, ContestStatus.OPEN)
        self.assertContains(response, contest.commitment)
        self.assertContains(response, f"/contest/{contest.public_id}/")
        self.assertContains(response, "Run the draw")

    def test_a_contest_without_rules_cannot_open(self) -> None:
        contest = make_contest(self.program, rules_texts={}, rules_url="")

        response = self.client.post(url("open", contest.pk), **EN)

        self.assertEqual(response.status_code, 422)
        self.assertContains(response, "rules", status_code=422)
        contest.refresh_from_db()
        self.assertEqual(contest.status, ContestStatus.DRAFT)
        self.assertEqual(contest.commitment, "")

    def test_draw_asks_the_public_value_then_a_confirmation_before_drawing(self) -> None:
        contest = open_contest(self.program)

        ask = self.client.get(url("draw", contest.pk), **EN)
        self.assertContains(ask, "drand round 5000000")
        self.assertContains(ask, 'name="public_value"')
        empty = self.client.post(url("draw", contest.pk), {"public_value": ""}, **EN)
        self.assertEqual(empty.status_code, 400)
        confirm = self.client.post(url("draw", contest.pk), {"public_value": "abc123"}, **EN)

        self.assertContains(confirm, "This cannot be undone")
        self.assertContains(confirm, '<code class="parrain-public-value">abc123</code>')
        self.assertContains(confirm, 'name="confirmed" value="True"')
        contest.refresh_from_db()
        self.assertEqual(contest.status, ContestStatus.OPEN)  # not drawn yet
        self.assertFalse(ContestEntry.objects.exists())

    def test_deleting_a_draft_works_and_an_open_contest_is_kept(self) -> None:
        draft, live = make_contest(self.program), open_contest(self.program)

        self.client.post(url("delete", draft.pk), **EN)
        response = self.client.post(url("delete", live.pk), **EN, follow=True)

        self.assertFalse(Contest.objects.filter(pk=draft.pk).exists())
        self.assertTrue(Contest.objects.filter(pk=live.pk).exists())
        self.assertContains(response, "cancel an open contest instead")

    def test_a_user_who_may_only_view_contests_cannot_open_one(self) -> None:
        contest = make_contest(self.program)
        group = Group.objects.create(name="Readers")
        group.permissions.add(
            Permission.objects.get(codename="access_admin"),
            Permission.objects.get(codename="view_contest"),
        )
        reader = self.create_user("reader", email="reader@example.com")
        reader.groups.add(group)
        self.client.force_login(reader)

        page = self.client.get(url("inspect", contest.pk), **EN)
        self.client.post(url("open", contest.pk), **EN)

        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Open the contest")
        contest.refresh_from_db()
        self.assertEqual(contest.status, ContestStatus.DRAFT)
