"""The drag-and-drop email editor: designs saved as blocks write the core template (HTML from
MJML, designed with Wagtail), refusals come back with the block and the line, the live
preview shows the email with example values, and a test goes to the editor's address."""

from __future__ import annotations

import json

from django.contrib.auth.models import Permission
from django.core import mail
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from wagtail.test.utils import WagtailTestUtils
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from parrain.core.messaging import templates, variables
from parrain.core.models import MessageTemplate
from parrain.core.models.choices import MessageChannel, MessageKind
from parrain.plugins.wagtail import email_design
from parrain.plugins.wagtail.email_blocks import EmailBlocks, default_blocks
from parrain.plugins.wagtail.models import EmailDesign

from .helpers import SITE_ROOT_URL, make_program

ADD = reverse("wagtailsnippets_parrain_wagtail_emaildesign:add")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def url(name: str, *args: int) -> str:
    return reverse(f"wagtailsnippets_parrain_wagtail_emaildesign:{name}", args=args)


def design_form(program_pk: int, blocks: list, **extra: str) -> dict[str, str]:
    return nested_form_data(
        {
            "program": program_pk,
            "kind": MessageKind.INVITATION,
            "language": "en",
            "subject": "{{ referrer_first_name }} offers you {{ offer_referee }}",
            "body": streamfield(blocks),
            **extra,
        }
    )


HEADING = ("heading", {"heading": "A gift from a friend", "size": "large", "align": "left"})
TEXT = (
    "text",
    {"text": rich_text("<p>Hello <b>there</b>, {{ referrer_first_name }} says hi.</p>")},
)
BUTTON = ("button", {"label": "Claim my offer", "link": "{{ share_link }}", "colour": "#007d7e"})
OFFER = ("offer", {"side": "offer_referee", "intro": "Your welcome offer"})


@override_settings(PARRAIN_BASE_URL=SITE_ROOT_URL, LANGUAGE_CODE="en")
class EmailDesignTests(WagtailTestUtils, TestCase):
    def setUp(self) -> None:
        self.program = make_program()
        self.owner = self.create_superuser("owner", email="owner@example.com")
        self.client.force_login(self.owner)

    def save_design(self, blocks: list, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.post(ADD, design_form(self.program.pk, blocks, **extra), **EN)

    def test_saved_design_writes_the_core_template_with_the_blocks_in_order(self) -> None:
        response = self.save_design([BUTTON, HEADING, OFFER, TEXT])

        design = EmailDesign.objects.get()
        self.assertRedirects(response, url("list"), fetch_redirect_response=False)
        template = MessageTemplate.objects.get(
            program=self.program, kind=MessageKind.INVITATION, channel=MessageChannel.EMAIL
        )
        self.assertEqual(template.designed_with, "wagtail")
        self.assertEqual(template.language, "en")
        self.assertEqual(template.subject, design.subject)
        # The blocks' MJML is the template; the core sets it in the layout and sends HTML.
        self.assertTrue(template.html.startswith("<mj-section"))
        html = templates.preview(
            self.program, MessageKind.INVITATION, MessageChannel.EMAIL, "en"
        ).html
        self.assertNotIn("<mj-", html)
        # The blocks, in the order the editor dragged them, with the example values.
        examples = variables.example_context(self.program, MessageKind.INVITATION, "en")
        offer = html.index("Your welcome offer")
        positions = [
            html.index("Claim my offer"),
            html.index("A gift from a friend"),
            offer,
            html.index(escape(examples["offer_referee"]), offer),
            html.index("<b>there</b>"),
        ]
        self.assertEqual(positions, sorted(positions))
        self.assertIn(f'href="{escape(examples["share_link"])}"', html)

    def test_editor_text_is_escaped_and_variables_stay_tags(self) -> None:
        typed = "<script>x</script> & {{ shop_name }}"
        heading = ("heading", {"heading": typed, "size": "large", "align": "left"})
        self.save_design([heading])

        source = MessageTemplate.objects.get().html
        self.assertIn("&lt;script&gt;x&lt;/script&gt; &amp; {{ shop_name }}", source)
        html = templates.preview(
            self.program, MessageKind.INVITATION, MessageChannel.EMAIL, "en"
        ).html
        self.assertNotIn("<script>x", html)
        self.assertIn("&lt;script&gt;x&lt;/script&gt; &amp; Maison Lumi", html)

    def test_unknown_variable_is_refused_with_the_block_and_the_line(self) -> None:
        bad = ("text", {"text": rich_text("<p>Hello</p><p>{{ contact_shoe_size }}</p>")})
        response = self.save_design([HEADING, bad])

        self.assertEqual(response.status_code, 200)  # the form again, nothing stored
        self.assertFalse(EmailDesign.objects.exists())
        self.assertFalse(MessageTemplate.objects.exists())
        errors = " ".join(response.context["form"].errors["body"])
        self.assertIn("Block 2 (Text)", errors)
        self.assertIn("Line 1", errors)
        self.assertIn("contact_shoe_size", errors)

    def test_a_language_the_program_does_not_have_is_refused(self) -> None:
        self.program.languages = ["fr"]
        self.program.default_language = "fr"
        self.program.save()

        response = self.save_design([HEADING])

        self.assertEqual(response.status_code, 200)
        self.assertIn("language", response.context["form"].errors)
        self.assertFalse(EmailDesign.objects.exists())

    def test_subject_with_a_syntax_error_is_refused_with_the_line(self) -> None:
        response = self.save_design([HEADING], subject="Hello {{ shop_name")

        self.assertFalse(MessageTemplate.objects.exists())
        errors = " ".join(response.context["form"].errors["subject"])
        self.assertIn("Line 1", errors)

    def test_edited_design_replaces_the_template_and_keeps_its_keys(self) -> None:
        self.save_design([HEADING])
        design = EmailDesign.objects.get()
        form = design_form(self.program.pk, [TEXT], kind=MessageKind.REWARD, language="fr")

        response = self.client.post(url("edit", design.pk), form, **EN)

        self.assertRedirects(response, url("list"), fetch_redirect_response=False)
        design.refresh_from_db()
        self.assertEqual((design.kind, design.language), (MessageKind.INVITATION, "en"))
        template = MessageTemplate.objects.get()
        self.assertIn("<b>there</b>", template.html)
        self.assertNotIn("A gift from a friend", template.html)

    def test_live_preview_shows_the_email_with_example_values(self) -> None:
        form = design_form(self.program.pk, [HEADING, OFFER, BUTTON])
        preview_url = url("preview_on_add")

        checked = self.client.post(preview_url, form, **EN)
        shown = self.client.get(preview_url, {"mode": ""}, **EN)

        self.assertEqual(json.loads(checked.content)["is_valid"], True)
        html = shown.content.decode()
        self.assertIn("A gift from a friend", html)
        self.assertNotIn("{{ offer_referee }}", html)  # filled with the example
        self.assertNotIn("{{ share_link }}", html)
        self.assertIn("<html", html.lower())

    def test_test_send_arrives_at_the_editors_address(self) -> None:
        self.save_design([HEADING, BUTTON])
        design = EmailDesign.objects.get()

        page = self.client.get(url("send_test", design.pk), **EN)
        self.assertContains(page, "owner@example.com")
        response = self.client.post(url("send_test", design.pk), **EN)

        self.assertRedirects(response, url("edit", design.pk), fetch_redirect_response=False)
        self.assertEqual(len(mail.outbox), 1)
        sent = mail.outbox[0]
        self.assertEqual(sent.to, ["owner@example.com"])
        self.assertIn("[TEST]", sent.subject)
        html = sent.alternatives[0][0]
        self.assertIn("A gift from a friend", html)
        self.assertIn("Claim my offer", sent.body)  # the generated text part

    def test_editor_lists_the_variables_of_the_kind(self) -> None:
        self.save_design([HEADING])
        design = EmailDesign.objects.get()

        with translation.override("en"):
            page = self.client.get(url("edit", design.pk), **EN)

        self.assertContains(page, "{{ share_link }}")
        self.assertContains(page, "Send a test to me")
        self.assertNotContains(page, "{{ badge_name }}")  # not a variable of invitations

    def test_messages_page_opens_the_block_editor_for_emails(self) -> None:
        page = self.client.get(reverse("parrain_wagtail:messages"), **EN)
        self.assertContains(
            page, f"{ADD}?program={self.program.pk}&amp;kind=invitation&amp;language=en"
        )

        add = self.client.get(
            ADD, {"program": self.program.pk, "kind": "invitation", "language": "en"}, **EN
        )
        self.assertContains(add, 'value="invitation" selected')

    def test_a_new_design_starts_from_the_shipped_text_of_its_kind(self) -> None:
        add = self.client.get(
            ADD, {"program": self.program.pk, "kind": "invitation", "language": "en"}, **EN
        )
        default = templates.default_for("invitation", "email", "en")
        self.assertContains(add, f'value="{escape(default.subject)}"')
        page = add.content.decode()
        for shipped in ("A welcome offer is waiting for you", "Claim my offer"):
            self.assertIn(shipped, page)

    def test_every_shipped_text_as_blocks_passes_the_checks(self) -> None:
        for kind in MessageKind.values:
            for language in ("fr", "en"):
                body = EmailBlocks().to_python(
                    [{"type": t, "value": v} for t, v in default_blocks(kind, language)]
                )
                design = EmailDesign(
                    program=self.program, kind=kind, language=language, subject="S", body=body
                )
                self.assertEqual(email_design.problems(design), {}, (kind, language))
                self.assertTrue(email_design.design_mjml(design), (kind, language))

    def test_block_fields_have_capitalised_translated_labels(self) -> None:
        heading = EmailBlocks().child_blocks["heading"].child_blocks
        with translation.override("en"):
            self.assertEqual(str(heading["heading"].label), "Heading")
            self.assertEqual(str(heading["align"].label), "Align")
        with translation.override("fr"):
            self.assertEqual(str(heading["heading"].label), "Intitulé")

    def test_editors_without_the_permission_are_kept_out(self) -> None:
        self.save_design([HEADING])
        design = EmailDesign.objects.get()
        editor = self.create_user("editor", email="editor@example.com")
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        self.client.force_login(editor)

        for page in (url("list"), ADD, url("edit", design.pk), url("send_test", design.pk)):
            denied = self.client.get(page, follow=True, **EN)
            self.assertContains(denied, "Sorry, you do not have permission to access this area.")
        self.client.post(url("send_test", design.pk), **EN)
        self.assertEqual(mail.outbox, [])


class BlocksMjmlTests(TestCase):
    def test_each_block_writes_one_section(self) -> None:
        program = make_program()
        design = EmailDesign(
            program=program,
            kind=MessageKind.REWARD,
            language="fr",
            subject="Merci",
            body=json.dumps(
                [
                    {
                        "type": "code",
                        "value": {"code": "reward_code", "intro": "", "show_expiry": True},
                    },
                    {"type": "spacer", "value": {"height": 30}},
                    {"type": "share", "value": {"intro": "Partagez", "networks": ["whatsapp"]}},
                ]
            ),
        )

        source = email_design.design_mjml(design)

        self.assertEqual(source.count("<mj-section"), 3)
        self.assertIn("{{ reward_code }}", source)
        self.assertIn("{{ reward_expiry }}", source)
        self.assertIn("https://wa.me/?text={{ share_link }}", source)
        self.assertIn('height="30px"', source)
