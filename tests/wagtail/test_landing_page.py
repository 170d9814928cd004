"""The referral landing page with Wagtail's own page test utilities."""

from __future__ import annotations

import re
from decimal import Decimal

from django.test import override_settings
from django.urls import reverse
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from parrain.core.models import RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.plugins.wagtail.factories import create_landing_page
from parrain.plugins.wagtail.models import ReferralLandingPage

from .helpers import SITE_ROOT_URL, make_program, site_home

SCRIPT = re.compile(r'<script async src="[^"]*parrain/widget\.js"')


def form_data(program_pk: int, colour: str = "#0b7a75", **extra: object) -> dict:
    """What the page editor posts: StreamField data is built by the editor's JavaScript, so
    Wagtail's test utilities take it as nested form data."""
    return nested_form_data(
        {
            "title": "Parrainage",
            "slug": "parrainage",
            "program": program_pk,
            "body": streamfield(
                [
                    ("hero", {"image": "", "title": "Parrainez vos amis", "text": "Hello"}),
                    ("offer", {"heading": "L'offre", "side": "both", "program": ""}),
                    ("widget", {"kind": "referee", "program": "", "title": "", "colour": colour}),
                    ("rules", {"heading": "", "body": rich_text("<p>Règles</p>")}),
                    ("legal_notice", {"body": rich_text("<p>Mentions</p>")}),
                ]
            ),
            **extra,
        }
    )


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class LandingPageTests(WagtailPageTestCase):
    def setUp(self) -> None:
        self.home = site_home()
        self.program = make_program()
        self.superuser = self.create_superuser("editor", email="editor@example.com")

    def test_created_under_site_pages_only_and_holds_no_subpage(self) -> None:
        self.assertCanCreateAt(Page, ReferralLandingPage)
        self.assertCanNotCreateAt(ReferralLandingPage, ReferralLandingPage)
        self.assertAllowedSubpageTypes(ReferralLandingPage, {})
        # Not a site root: the tree's root refuses it, a site's home page accepts it.
        self.assertFalse(ReferralLandingPage.can_create_at(Page.get_first_root_node()))
        self.assertTrue(ReferralLandingPage.can_create_at(self.home))

    def test_editor_builds_and_publishes_the_page_in_the_admin(self) -> None:
        self.client.force_login(self.superuser)
        data = form_data(self.program.pk)
        self.assertCanCreate(self.home, ReferralLandingPage, data)

        page = ReferralLandingPage.objects.get(slug="parrainage")
        self.assertTrue(page.live)
        self.program.refresh_from_db()
        self.assertEqual(self.program.landing_url, f"{SITE_ROOT_URL}/parrainage/")

    def test_admin_refuses_a_bad_colour_and_creates_nothing(self) -> None:
        self.client.force_login(self.superuser)
        data = form_data(self.program.pk, colour="red", **{"action-publish": "action-publish"})
        add_url = reverse(
            "wagtailadmin_pages:add", args=["parrain_wagtail", "referrallandingpage", self.home.pk]
        )
        response = self.client.post(add_url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Enter a colour as #rgb or #rrggbb.")
        self.assertFalse(ReferralLandingPage.objects.exists())
        self.program.refresh_from_db()
        self.assertEqual(self.program.landing_url, "")

    def test_page_is_routable_renderable_editable_and_previewable(self) -> None:
        page = create_landing_page(self.home, self.program)
        self.assertPageIsRoutable(page)
        self.assertPageIsRenderable(page)
        self.assertPageIsEditable(page, post_data=form_data(self.program.pk))
        self.assertPageIsPreviewable(page, post_data=form_data(self.program.pk))

    def test_published_page_shows_offer_and_writes_the_widget_once(self) -> None:
        page = create_landing_page(self.home, self.program)
        # a second widget block: still one script tag on the page
        page.body.append(("widget", {"kind": "referrer", "program": None, "title": "Invitez"}))
        page.save_revision().publish()

        html = self.client.get(page.url).content.decode()

        self.assertEqual(len(SCRIPT.findall(html)), 1)
        self.assertIn(f'data-parrain-key="{self.program.public_key}"', html)
        self.assertIn('data-parrain-api="https://shop.example"', html)
        self.assertIn('data-parrain-widget="referee"', html)
        self.assertIn('data-parrain-widget="referrer"', html)
        self.assertIn('data-parrain-title="Invitez"', html)
        self.assertIn("-15 % sur votre première commande", html)  # page language: fr
        self.assertIn("10 € offerts", html)
        self.assertIn("Le filleul doit être un nouveau client", html)

    def test_offer_block_follows_the_current_offer_without_editing_the_page(self) -> None:
        page = create_landing_page(self.home, self.program)
        revisions = page.revisions.count()
        self.assertContains(self.client.get(page.url), "-15 % sur votre première commande")

        # The shop owner replaces the welcome offer; the page is not touched.
        RewardRule.objects.filter(program=self.program, side=Side.REFEREE).update(is_active=False)
        RewardRule.objects.create(
            program=self.program,
            side=Side.REFEREE,
            kind=RewardKind.FIXED_AMOUNT,
            value=Decimal("20"),
            labels={"fr": "20 € offerts dès 50 € d'achat"},
        )

        response = self.client.get(page.url)
        self.assertContains(response, "20 € offerts dès 50 € d&#x27;achat")
        self.assertNotContains(response, "-15 % sur votre première commande")
        self.assertEqual(page.revisions.count(), revisions)

    def test_preview_renders_a_working_widget_without_the_editors_identity(self) -> None:
        page = create_landing_page(self.home, self.program)
        self.client.force_login(self.superuser)
        data = form_data(self.program.pk)
        data["body-2-value-kind"] = "referrer"  # the editor switches the widget, unsaved
        preview_url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
        self.assertEqual(self.client.post(preview_url, data).json()["is_valid"], True)

        html = self.client.get(preview_url).content.decode()

        self.assertEqual(len(SCRIPT.findall(html)), 1)
        self.assertIn('data-parrain-widget="referrer"', html)
        self.assertIn('data-parrain-colour="#0b7a75"', html)
        self.assertIn(f'data-parrain-key="{self.program.public_key}"', html)
        self.assertNotIn("data-parrain-identity", html)
        # the live page still has the saved referee widget
        self.assertContains(self.client.get(page.url), 'data-parrain-widget="referee"')

    def test_share_link_of_a_referrer_leads_to_the_published_page(self) -> None:
        page = create_landing_page(self.home, self.program)
        self.program.refresh_from_db()
        enrolment = enrol_referrer(self.program, "alice@example.com")
        self.assertEqual(enrolment.share_url, f"{SITE_ROOT_URL}/r/{enrolment.code}")
        self.assertEqual(
            self.client.get(f"/r/{enrolment.code}")["Location"],
            f"{SITE_ROOT_URL}/parrainage/?parrain={enrolment.code}",
        )
        response = self.client.get(f"{page.url}?parrain={enrolment.code}")
        self.assertContains(response, 'data-parrain-widget="referee"')


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class VisitorLanguageTests(WagtailPageTestCase):
    """A French page speaks English to an English visitor when the program speaks English:
    its offer, its widget (the page's lang), its captions; the editor's own texts stay."""

    def setUp(self) -> None:
        self.program = make_program()
        self.program.languages = ["fr", "en"]
        self.program.save(update_fields=["languages"])
        self.page = create_landing_page(site_home(), self.program)

    def test_english_visitor_reads_the_offer_sides_in_english(self) -> None:
        html = self.client.get(self.page.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="en">' in html
        assert "The invited friend gets" in html and "€10 off" in html
        assert "Program rules" in html

    def test_french_visitor_reads_the_french_offer(self) -> None:
        html = self.client.get(self.page.url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        assert '<html lang="fr">' in html
        assert "10 € offerts" in html and "Règlement du programme" in html

    def test_a_language_the_program_lacks_keeps_the_page_language(self) -> None:
        self.program.languages = ["fr"]
        self.program.save(update_fields=["languages"])
        html = self.client.get(self.page.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert '<html lang="fr">' in html and "10 € offerts" in html
