"""Publishing links the program to its landing page; unpublishing or deleting unlinks it."""

from __future__ import annotations

from django.conf import settings
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from parrain.core.services.enrolment import enrol_referrer
from parrain.plugins.wagtail.factories import create_landing_page

from .helpers import SITE_ROOT_URL, make_program, site_home


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class LandingUrlTests(WagtailPageTestCase):
    def setUp(self) -> None:
        self.home = site_home()
        self.program = make_program()

    def landing_url(self, program=None) -> str:
        program = program or self.program
        program.refresh_from_db()
        return program.landing_url

    def test_publishing_sets_the_program_landing_url(self) -> None:
        page = create_landing_page(self.home, self.program, publish=False)
        page.unpublish()
        self.assertEqual(self.landing_url(), "")

        page.get_latest_revision().publish()

        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/parrainage/")

    def test_publishing_allows_the_page_origin_for_the_widget_once(self) -> None:
        self.program.allowed_origins = ["https://www.other-shop.example"]
        self.program.save()

        page = create_landing_page(self.home, self.program)
        page.save_revision().publish()

        self.program.refresh_from_db()
        self.assertEqual(
            self.program.allowed_origins, ["https://www.other-shop.example", SITE_ROOT_URL]
        )

    def test_draft_changes_do_not_move_the_link(self) -> None:
        page = create_landing_page(self.home, self.program)
        other = make_program("velo", "Atelier Vélo")
        page.program = other
        page.save_revision()  # saved as draft, not published
        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/parrainage/")
        self.assertEqual(self.landing_url(other), "")

    def test_switching_the_page_to_another_program_moves_the_link(self) -> None:
        page = create_landing_page(self.home, self.program)
        other = make_program("velo", "Atelier Vélo")

        page.program = other
        page.save_revision().publish()

        self.assertEqual(self.landing_url(other), f"{SITE_ROOT_URL}/parrainage/")
        self.assertEqual(self.landing_url(), "")

    def test_unpublishing_leaves_share_links_on_the_home_page(self) -> None:
        page = create_landing_page(self.home, self.program)

        page.unpublish()

        self.assertEqual(self.landing_url(), "")
        code = enrol_referrer(self.program, "alice@example.com").code
        response = self.client.get(f"/r/{code}")
        self.assertEqual(response["Location"], f"{settings.PARRAIN_BASE_URL}/?parrain={code}")

    def test_unpublishing_falls_back_to_another_live_landing_page(self) -> None:
        first = create_landing_page(self.home, self.program)
        create_landing_page(self.home, self.program, title="Sponsoring", slug="sponsoring")
        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/sponsoring/")  # last published

        Page.objects.get(slug="sponsoring").specific.unpublish()

        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/parrainage/")
        first.unpublish()
        self.assertEqual(self.landing_url(), "")

    def test_deleting_the_page_or_its_parent_clears_the_link(self) -> None:
        page = create_landing_page(self.home, self.program)
        page.delete()
        self.assertEqual(self.landing_url(), "")

        section = self.home.add_child(instance=Page(title="Offres", slug="offres"))
        create_landing_page(section, self.program)
        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/offres/parrainage/")
        section.delete()
        self.assertEqual(self.landing_url(), "")

    def test_moving_the_page_or_its_section_moves_the_link(self) -> None:
        page = create_landing_page(self.home, self.program)
        section = self.home.add_child(instance=Page(title="Offres", slug="offres"))

        page.move(section, pos="last-child")
        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/offres/parrainage/")

        campaigns = self.home.add_child(instance=Page(title="Campagnes", slug="campagnes"))
        Page.objects.get(pk=section.pk).move(campaigns, pos="last-child")
        self.assertEqual(self.landing_url(), f"{SITE_ROOT_URL}/campagnes/offres/parrainage/")

    def test_moving_the_page_out_of_every_site_clears_the_link(self) -> None:
        page = create_landing_page(self.home, self.program)
        orphan_root = Page.get_first_root_node().add_child(
            instance=Page(title="Archives", slug="archives")
        )

        page.move(orphan_root, pos="last-child")

        self.assertEqual(self.landing_url(), "")

    def test_a_url_set_by_hand_elsewhere_survives_unpublishing(self) -> None:
        page = create_landing_page(self.home, self.program)
        self.program.landing_url = "https://www.other-shop.example/parrainage"
        self.program.save()

        page.unpublish()

        self.assertEqual(self.landing_url(), "https://www.other-shop.example/parrainage")

    def test_deleting_the_program_keeps_the_page_up_without_widget_or_offer(self) -> None:
        page = create_landing_page(self.home, self.program)
        self.program.delete()

        response = self.client.get(page.url)

        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "data-parrain-widget")
        self.assertNotContains(response, 'class="parrain-offer')
        self.assertContains(response, "Parrainez vos proches")


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class AdminWarningTests(WagtailPageTestCase):
    def setUp(self) -> None:
        self.home = site_home()
        self.program = make_program()
        self.page = create_landing_page(self.home, self.program)
        self.client.force_login(self.create_superuser("editor", email="editor@example.com"))

    def messages(self, response) -> list[str]:
        return [str(message) for message in get_messages(response.wsgi_request)]

    def test_publishing_in_the_admin_says_where_share_links_lead(self) -> None:
        url = reverse("wagtailadmin_pages:edit", args=[self.page.pk])
        from .test_landing_page import form_data

        response = self.client.post(
            url, form_data(self.program.pk, **{"action-publish": "action-publish"})
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn(f"now lead to {SITE_ROOT_URL}/parrainage/", " ".join(self.messages(response)))

    def test_unpublishing_in_the_admin_warns_where_share_links_go_now(self) -> None:
        url = reverse("wagtailadmin_pages:unpublish", args=[self.page.pk])
        response = self.client.post(url)
        self.assertEqual(response.status_code, 302)
        warnings = " ".join(self.messages(response))
        self.assertIn("Maison Lumière", warnings)
        self.assertIn("home page of the site", warnings)
        self.program.refresh_from_db()
        self.assertEqual(self.program.landing_url, "")

    def test_delete_confirmation_warns_before_and_after(self) -> None:
        url = reverse("wagtailadmin_pages:delete", args=[self.page.pk])
        response = self.client.get(url)
        self.assertContains(response, "is the landing page of the program")

        response = self.client.post(url)
        self.assertEqual(response.status_code, 302)
        self.assertIn("home page of the site", " ".join(self.messages(response)))
        self.program.refresh_from_db()
        self.assertEqual(self.program.landing_url, "")
