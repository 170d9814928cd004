"""GDPR erasure from the Django admin: the delete action erases the person everywhere.

The check is the issue's own: after erasing through the admin's real delete view, search every
text, char and JSON column of every table for the person's email (as typed, normalized and
canonical), names, phone and external id.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from parrain.core import audit
from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    AuditEvent,
    ConsentRecord,
    Contact,
    ContactImport,
    HeldInvitation,
    LoyaltyEntry,
    Order,
    Program,
    Referral,
    Reward,
    ScheduledMessage,
)
from parrain.core.models.choices import (
    ConsentChannel,
    ConsentSource,
    ImportStatus,
    MessageChannel,
    MessageKind,
    MessageStatus,
    ReferralStatus,
    Side,
)
from parrain.core.services import contact_imports, stats
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.erasure import erase_contact
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee
from parrain.core.services.validation import reward_referrer, validate_referral
from parrain.plugins.generic_webhook.models import (
    InboundEndpoint,
    OutboundEndpoint,
    OutboundMessage,
)
from parrain.plugins.generic_webhook.outbound import delivery
from tests.webhooks.receiver import Answer, Received, Receiver, running_receiver

pytestmark = pytest.mark.django_db

TYPED_EMAIL = "Zoe.Delacroix+Parrain@GoogleMail.com"
NORMALIZED = "zoe.delacroix+parrain@googlemail.com"
CANONICAL = "zoedelacroix@gmail.com"
FIRST_NAME = "Zoé"
LAST_NAME = "Delacroix-Hammond"
PHONE = "+33612345678"
PHONE_AS_TYPED_BY_THE_SHOP = "06 12 34 56 78"
EXTERNAL_ID = "cust-88421"
STORED_TEXT = (models.CharField, models.TextField, models.JSONField, models.BinaryField)
NEEDLES = (
    TYPED_EMAIL,
    NORMALIZED,
    CANONICAL,
    FIRST_NAME,
    "delacroix",
    "hammond",
    PHONE,
    PHONE_AS_TYPED_BY_THE_SHOP,
    "612345678",
    EXTERNAL_ID,
)


def _texts(value: Any) -> Iterator[str]:
    """The value as stored, and decoded when it is JSON (``\\u00e9`` escapes included)."""
    if value is None:
        return
    if isinstance(value, (bytes, memoryview)):
        value = bytes(value).decode("utf-8", "replace")
    if not isinstance(value, str):
        yield json.dumps(value, ensure_ascii=False, default=str)
        return
    yield value
    try:
        decoded = json.loads(value)
    except ValueError:
        return
    yield json.dumps(decoded, ensure_ascii=False)


def _shop_own(model: type[models.Model]) -> bool:
    """The shop's own records (Oscar's users, orders, addresses…): the shop erases them in
    the shop, not Parrain (docs/decisions/0006-erasure.md)."""
    return model.__module__.startswith("oscar.") or model is get_user_model()


def _stored_files() -> Iterator[tuple[str, str]]:
    """``(path, text)`` of every file under the import storage; an XLSX's XML parts too."""
    root = Path(settings.MEDIA_ROOT) / "parrain" / "imports"
    for path in sorted(root.rglob("*")) if root.exists() else ():
        if not path.is_file():
            continue
        content = path.read_bytes()
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                content = b"".join(archive.read(name) for name in archive.namelist())
        yield str(path.relative_to(root)), content.decode("utf-8", "replace")


def stored_copies(needles: tuple[str, ...] = NEEDLES) -> set[tuple[str, str, str]]:
    """``(model, field, needle)`` for every text/char/JSON/binary column of every installed
    table (the shop's own left out) holding one, and ``("file", path, needle)`` for every
    import file holding one."""
    wanted = [n.lower() for n in needles]
    found = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or _shop_own(model):
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, STORED_TEXT)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*[f.attname for f in fields]):
            for field, value in zip(fields, row, strict=True):
                for text in _texts(value):
                    found |= {(meta.label, field.name, n) for n in wanted if n in text.lower()}
    for path, text in _stored_files():
        found |= {("file", path, n) for n in wanted if n in text.lower()}
    return found


def _signed(secret: str, body: bytes, msg_id: str) -> dict[str, str]:
    at = datetime.now(tz=UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body.decode()),
    }


def _echo(request: Received) -> Answer:
    """A shop that answers with what it received (many do, in their error pages)."""
    return Answer(status=200, body=request.body)


@dataclass
class Story:
    program: Program
    zoe: Contact
    alice: Contact
    bob: Contact
    alice_reward: Reward
    zoe_reward: Reward


def _validate_and_reward(referral: Referral) -> Reward:
    assert validate_referral(referral.pk)
    reward = reward_referrer(referral.pk)
    assert reward is not None
    return reward


@pytest.fixture(autouse=True)
def _own_media_root(settings: Any, tmp_path: Path) -> None:
    """Stored files outlive a test's transaction: each test scans only its own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True}
    with running_receiver() as running:
        running.handler = _echo
        yield running


@pytest.fixture
def story(
    admin_client: Client, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> Story:
    """Zoé was referred by Alice, then referred Bob; the shop talks to Parrain by webhooks."""
    program = ProgramFactory(
        name="Maison Éloïse", slug="maison-eloise", loyalty_points_per_unit=Decimal("1")
    )
    inbound = InboundEndpoint.objects.create(program=program, source="generic")
    OutboundEndpoint.objects.create(program=program, url=f"{receiver.url}/hook")
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")

    # Zoé claims Alice's offer in the widget, consenting to be recontacted
    cache.clear()
    claim = Client().post(
        f"/api/v1/public/{program.public_key}/claims",
        data=json.dumps(
            {"code": alice.code, "email": TYPED_EMAIL, "consent": True, "first_name": FIRST_NAME}
        ),
        content_type="application/json",
        HTTP_ORIGIN="https://shop.example",
    )
    assert claim.status_code == 200, claim.content
    welcome_code = claim.json()["welcome"]["code"]
    zoe = Contact.objects.get(program=program, email_normalized=NORMALIZED)

    # The shop owner completes her record in the admin
    response = admin_client.post(
        reverse("admin:parrain_contact_change", args=[zoe.pk]),
        {
            "email": TYPED_EMAIL,
            "first_name": FIRST_NAME,
            "last_name": LAST_NAME,
            "phone": PHONE,
            "external_id": EXTERNAL_ID,
            "language": "fr",
            "email_verified_at_0": "",
            "email_verified_at_1": "",
        },
    )
    assert response.status_code == 302, response.content

    # Her first order arrives by the shop's signed webhook, with her details in the body
    body = json.dumps(
        {
            "type": "order.paid",
            "timestamp": timezone.now().isoformat(),
            "data": {
                "external_id": "SHOP-1001",
                "email": NORMALIZED,
                "customer_external_id": EXTERNAL_ID,
                "first_name": FIRST_NAME,
                "amount": "80.00",
                "currency": "EUR",
                "discount_codes": [welcome_code],
                "billing": {
                    "name": f"{FIRST_NAME} {LAST_NAME}",
                    "phone": PHONE_AS_TYPED_BY_THE_SHOP,
                },
            },
        },
        ensure_ascii=False,
    ).encode()
    response = Client().post(
        f"/webhooks/in/{program.slug}/generic/",
        data=body,
        content_type="application/json",
        headers=_signed(inbound.secret, body, "msg_zoe_order"),
    )
    assert response.status_code == 200, response.content
    alice_referral = Referral.objects.get(program=program, referee=zoe)
    assert alice_referral.status == ReferralStatus.CONVERTED
    alice_reward = _validate_and_reward(alice_referral)

    # Zoé becomes a referrer herself through the shop's server API (a retried call: its
    # answer is kept for the retry), invites Carol, and Bob orders through her link
    _, key = program.create_api_key("shop")
    response = Client().post(
        f"/api/v1/programs/{program.slug}/referrers",
        data=json.dumps({"email": TYPED_EMAIL, "first_name": FIRST_NAME}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY="enrol-zoe-1",
    )
    assert response.status_code in (200, 201), response.content
    zoe_code = response.json()["code"]
    zoe.refresh_from_db()
    invite_by_email(zoe, ["carol@example.org"])
    bob_welcome = register_referee(program, zoe_code, "bob@example.org", consent=False).reward
    record_order(
        program,
        OrderData(
            external_id="SHOP-1002",
            email="bob@example.org",
            amount=Decimal("45.00"),
            currency="EUR",
            welcome_code=bob_welcome.code,
        ),
    )
    bob_referral = Referral.objects.get(program=program, referee__email="bob@example.org")
    zoe_reward = _validate_and_reward(bob_referral)

    # An unconfirmed referrer asked to invite her: the request waits, holding her address
    HeldInvitation.objects.create(
        program=program, referrer=alice.contact, email=TYPED_EMAIL, email_normalized=NORMALIZED
    )

    # Customer service wrote a note that names her (not linked to her record)
    audit.record(
        program,
        "support.note",
        message=f"{FIRST_NAME} {LAST_NAME} <{TYPED_EMAIL}> called from {PHONE}",
        email=CANONICAL,
    )
    # One webhook about her reached the shop, which echoed it back
    sent = OutboundMessage.objects.filter(payload__data__referrer__id=zoe.pk).first()
    delivery.attempt(sent.pk, force=True)
    _seed_issue_14(program, zoe, django_capture_on_commit_callbacks)
    # Her last order was accepted in the background (Prefer: respond-async) and waits for
    # its worker: its intake holds her address, first name and customer id
    response = Client().post(
        f"/api/v1/programs/{program.slug}/orders",
        data=json.dumps(
            {
                "external_id": "SHOP-1003",
                "email": TYPED_EMAIL,
                "first_name": FIRST_NAME,
                "customer_external_id": EXTERNAL_ID,
                "amount": "20.00",
                "currency": "EUR",
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_PREFER="respond-async",
    )
    assert response.status_code == 202, response.content
    return Story(
        program=program,
        zoe=zoe,
        alice=alice.contact,
        bob=Contact.objects.get(email="bob@example.org"),
        alice_reward=alice_reward,
        zoe_reward=zoe_reward,
    )


CUSTOMER_FILE_HEADER = (
    "email;first_name;last_name;phone;tags;total_spent;consent;consent_source\r\n"
)
HUGO_LINE = "hugo@example.net;Hugo;Martin;+33698765432;vip;12;oui;boutique\r\n"
IMPORT_ACTOR = "admin:owner"


def _import_file(program: Program, lines: list[str], name: str, capture: Any) -> ContactImport:
    """Through the one import service, as the owner does it: upload, mapping, dry run, go."""
    upload = io.BytesIO((CUSTOMER_FILE_HEADER + "".join(lines)).encode("cp1252"))
    started = contact_imports.start(program, upload, name, actor=IMPORT_ACTOR)
    mapping = {header: header for header in started.headers}
    mapped = contact_imports.set_mapping(started, mapping, actor=IMPORT_ACTOR)
    checked = contact_imports.check(mapped, actor=IMPORT_ACTOR)
    with capture(execute=True):
        contact_imports.confirm(checked, actor=IMPORT_ACTOR)
    checked.refresh_from_db()
    assert checked.status == ImportStatus.DONE, checked.failure
    return checked


def _seed_issue_14(program: Program, zoe: Contact, capture: Any) -> None:
    """Issue 14's stores: a customer file that brings her tags, total spent and consent
    (its free-text source quoting her address); another whose row of hers is invalid (the
    first errors and the error file quote her); an XLSX customer file still stored with an
    error piece (an import under way); consent records; her message history (email, SMS)."""
    _import_file(
        program,
        [
            f"{TYPED_EMAIL};;;;vip,parrain:{NORMALIZED};180;oui;newsletter {TYPED_EMAIL}\r\n",
            HUGO_LINE,
        ],
        "crm.csv",
        capture,
    )
    her_bad_line = (
        f"{NORMALIZED};{FIRST_NAME};{LAST_NAME};{PHONE_AS_TYPED_BY_THE_SHOP};;beaucoup;;\r\n"
    )
    hugo_bad_line = HUGO_LINE.replace(";12;", ";=1+2;")
    checked = _import_file(program, [her_bad_line, hugo_bad_line], "customers.csv", capture)
    assert checked.invalid_count == 2 and checked.error_file
    for channel, source, actor in [
        (ConsentChannel.EMAIL, ConsentSource.WIDGET, ""),
        (ConsentChannel.SMS, ConsentSource.IMPORT, f"import of {TYPED_EMAIL}'s file"),
    ]:
        ConsentRecord.objects.create(
            program=program,
            contact=zoe,
            channel=channel,
            given=True,
            source=source,
            text="J'accepte de recevoir les offres de Maison Éloïse.",
            text_version="3f2a9c01",
            actor=actor,
        )
    running = ContactImport.objects.create(
        program=program,
        status=ImportStatus.RUNNING,
        file=ContentFile(
            _xlsx([["email", "name"], [NORMALIZED, LAST_NAME], ["hugo@example.net", "Martin"]]),
            name="crm.xlsx",
        ),
        original_name="crm.xlsx",
        file_kind="xlsx",
    )
    her_piece = f"{NORMALIZED},{LAST_NAME},Not an email\r\nhugo@example.net,Martin,Too long\r\n"
    default_storage.save(
        f"{contact_imports._pieces_folder(running)}/0.csv", ContentFile(her_piece.encode())
    )
    now = timezone.now()
    for channel, to, subject in [
        (MessageChannel.EMAIL, TYPED_EMAIL, f"{FIRST_NAME}, votre code"),
        (MessageChannel.SMS, PHONE, ""),
    ]:
        ScheduledMessage.objects.create(
            program=program,
            contact=zoe,
            kind=MessageKind.REWARD,
            channel=channel,
            dedupe_key=f"reward:{zoe.pk}:{channel}",
            due_at=now,
            sent_at=now,
            status=MessageStatus.SENT,
            to=to,
            subject_line=subject,
            context={"note": f"Merci {FIRST_NAME} {LAST_NAME}"},
        )
    ScheduledMessage.objects.create(
        program=program,
        contact=zoe,
        kind=MessageKind.REVIEW_REQUEST,
        channel=MessageChannel.SMS,
        dedupe_key=f"review:{zoe.pk}",
        due_at=now + timedelta(days=3),
        context={"phone": PHONE},
    )


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figures(program: Program) -> dict[str, Any]:
    today = timezone.localdate()
    start, end = today - timedelta(days=30), today + timedelta(days=1)
    return {
        "dashboard": stats.dashboard(program, start, end).model_dump(),
        "series": [p.model_dump() for p in stats.series(program, start, end)],
        "channels": [c.model_dump() for c in stats.revenue_by_channel(program, start, end)],
        "top": [
            (t.contact_id, t.invitations, t.invited_referees, t.converted_referees)
            for t in stats.top_referrers(program, start, end)
        ],
    }


def _delete_url(contact: Contact) -> str:
    return reverse("admin:parrain_contact_delete", args=[contact.pk])


def test_admin_delete_erases_every_stored_copy_of_the_person(
    admin_client: Client, admin_user: User, story: Story
) -> None:
    # Given Zoé's details are stored in the places the issue names
    before = {(model, field) for model, field, _needle in stored_copies()}
    files = {field for model, field in before if model == "file"}
    assert len(files) == 3, files  # an error file, a customer file, an error piece
    for place in [
        ("parrain.Contact", "email"),
        ("parrain.AuditEvent", "message"),
        ("parrain.AuditEvent", "data"),
        ("parrain.HeldInvitation", "email"),
        ("admin.LogEntry", "object_repr"),
        ("parrain_webhooks.InboundDelivery", "body"),
        ("parrain_webhooks.OutboundMessage", "payload"),
        ("parrain_webhooks.OutboundAttempt", "response_excerpt"),
        ("parrain.IdempotentRequest", "body"),
        ("parrain.ConsentRecord", "actor"),
        ("parrain.Contact", "tags"),
        ("parrain.ScheduledMessage", "to"),
        ("parrain.ScheduledMessage", "context"),
        ("parrain.Order", "intake"),
    ]:
        assert place in before, f"the story stored nothing in {place}"
    figures = _figures(story.program)
    alice_referral = Referral.objects.get(referee=story.zoe)
    assert LoyaltyEntry.objects.filter(contact=story.zoe).exists()  # her orders' points
    others_points = list(LoyaltyEntry.objects.exclude(contact=story.zoe).values_list("pk"))
    alice_reward = (story.alice_reward.code, story.alice_reward.status)

    # When the shop owner deletes her in the admin and confirms
    page = admin_client.get(_delete_url(story.zoe), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    text = page.content.decode()
    assert "cannot be undone" in text
    assert "kept" in text and "removed" in text
    response = admin_client.post(_delete_url(story.zoe), {"post": "yes"}, follow=True)
    assert response.status_code == 200

    # Then nothing anywhere holds her email, names, phone or external id
    assert stored_copies() == set()
    # and what others earned, and the dashboard, are as they were
    zoe = Contact.objects.get(pk=story.zoe.pk)
    assert zoe.email == f"erased-{zoe.pk}@invalid"
    assert zoe.erased_at is not None
    assert _figures(story.program) == figures
    alice_referral.refresh_from_db()
    assert (alice_referral.status, alice_referral.referrer_id) == (
        ReferralStatus.REWARDED,
        story.alice.pk,
    )
    story.alice_reward.refresh_from_db()
    assert (story.alice_reward.code, story.alice_reward.status) == alice_reward
    assert story.alice_reward.recipient_id == story.alice.pk
    assert Reward.objects.filter(pk=story.zoe_reward.pk, side=Side.REFERRER).exists()
    assert Order.objects.filter(program=story.program).count() == 3
    assert not Order.objects.filter(program=story.program, intake__isnull=False).exists()
    # and her points ledger went with her, the others' stayed
    assert not LoyaltyEntry.objects.filter(contact=story.zoe).exists()
    assert list(LoyaltyEntry.objects.values_list("pk")) == others_points
    # and one audit entry says who erased whom, with no personal data
    event = AuditEvent.objects.get(action="contact.erased")
    assert (event.actor, event.contact_id, event.data) == (
        admin_user.get_username(),
        zoe.pk,
        {"contact_id": zoe.pk},
    )
    assert LogEntry.objects.filter(object_id=str(zoe.pk)).exists()
    # and the audit log follows her under one stable pseudonym
    note = AuditEvent.objects.get(action="support.note")
    alias = f"contact-{zoe.pk}"
    assert note.message == f"{alias} <{alias}> called from {alias}"
    assert note.data == {"email": alias}
    _assert_issue_14_stores_kept_without_her(zoe)


def _assert_issue_14_stores_kept_without_her(zoe: Contact) -> None:
    """The consent proofs, the shop's labels and figures, and the other rows of the files."""
    assert (zoe.tags, zoe.total_spent) == (["vip", "parrain:[erased]"], Decimal("180.00"))
    proofs = ConsentRecord.objects.filter(contact=zoe, text_version="3f2a9c01")
    assert sorted((p.channel, p.given, p.source) for p in proofs) == [
        ("email", True, "widget"),
        ("sms", True, "import"),
    ]
    assert proofs[0].text == "J'accepte de recevoir les offres de Maison Éloïse."
    checked = ContactImport.objects.get(original_name="customers.csv")
    assert sorted(e["row"] for e in checked.errors) == [2, 3]  # the errors stay, not her
    with checked.error_file.open("rb") as handle:
        lines = handle.read().decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[0].startswith("email,")
    assert lines[1].startswith("hugo@example.net,") and "'=1+2" in lines[1]
    from openpyxl import load_workbook

    running = ContactImport.objects.get(original_name="crm.xlsx")
    with running.file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows == [["email", "name"], [None, None], ["hugo@example.net", "Martin"]]
    [piece] = contact_imports._error_pieces(running)
    with default_storage.open(piece, "rb") as handle:
        assert handle.read().decode() == "hugo@example.net,Martin,Too long\r\n"
    assert set(ScheduledMessage.objects.filter(contact=zoe).values_list("status", "to")) == {
        (MessageStatus.SENT, ""),
        (MessageStatus.DROPPED, ""),
    }


def test_erasing_twice_changes_nothing_more(
    admin_client: Client, admin_user: User, story: Story
) -> None:
    admin_client.post(_delete_url(story.zoe), {"post": "yes"})
    zoe = Contact.objects.get(pk=story.zoe.pk)
    audit_rows = AuditEvent.objects.count()

    assert erase_contact(zoe, actor="someone-else") is False
    admin_client.post(_delete_url(zoe), {"post": "yes"})

    assert AuditEvent.objects.count() == audit_rows
    again = Contact.objects.get(pk=zoe.pk)
    assert (again.email, again.erased_at) == (zoe.email, zoe.erased_at)
    assert stored_copies() == set()


def test_view_only_staff_cannot_erase(client: Client, story: Story) -> None:
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    client.force_login(viewer)

    assert client.get(_delete_url(story.zoe)).status_code == 403
    assert client.post(_delete_url(story.zoe), {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:parrain_contact_changelist"),
        {"action": "erase_selected", "_selected_action": [story.zoe.pk], "post": "yes"},
    )

    assert Contact.objects.get(pk=story.zoe.pk).email == TYPED_EMAIL
    assert not AuditEvent.objects.filter(action="contact.erased").exists()


def test_bulk_action_asks_then_erases_each_selected_contact(admin_client: Client) -> None:
    program = ProgramFactory()
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    register_referee(program, alice.code, "bob@example.org", first_name="Bobby")
    chosen = [alice.contact.pk, Contact.objects.get(email="bob@example.org").pk]
    url = reverse("admin:parrain_contact_changelist")
    data = {"action": "erase_selected", "_selected_action": chosen}

    page = admin_client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "alice@example.com" in page.content.decode()
    assert not Contact.objects.filter(erased_at__isnull=False).exists()

    admin_client.post(url, {**data, "post": "yes"})

    erased = Contact.objects.filter(pk__in=chosen)
    assert sorted(c.email for c in erased) == sorted(f"erased-{pk}@invalid" for pk in chosen)
    assert stored_copies(("alice@example.com", "bob@example.org", "Bobby")) == set()
    assert Referral.objects.filter(program=program).count() == 1


def test_an_oscar_customer_is_erased_from_parrain_and_left_to_the_shop(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Zoé follows Alice's link in the Oscar shop, opens an account and orders with her
    welcome voucher: erased, nothing of hers stays in Parrain's tables; the shop's own
    account and order are the shop's to erase."""
    from oscar.core.loading import get_model
    from oscar.test.factories import create_product

    from tests.oscar.shop import Shopper

    program = ProgramFactory(slug="boutique", landing_url="https://shop.example/shop/")
    settings.PARRAIN_OSCAR = {"PROGRAM": program.slug, "CANCEL_STATUSES": ["Cancelled"]}
    get_model("address", "Country").objects.get_or_create(
        iso_3166_1_a2="FR",
        defaults={"printable_name": "France", "name": "France", "is_shipping_country": True},
    )
    product = create_product(price=Decimal("100.00"), num_in_stock=10, title="Lampe")
    code = enrol_referrer(program, "alice@example.com").code
    zoe = Shopper(Client(HTTP_ACCEPT_LANGUAGE="en"))
    zoe.visit("/shop/catalogue/", parrain=code)
    with django_capture_on_commit_callbacks(execute=True):
        zoe.register(NORMALIZED)
    contact = Contact.objects.get(program=program, email_normalized=NORMALIZED)
    welcome = Reward.objects.get(program=program, recipient=contact)
    zoe.add_to_basket(product)
    zoe.apply_voucher(welcome.code)
    with django_capture_on_commit_callbacks(execute=True):
        oscar_order, _ = zoe.checkout()
    assert Order.objects.filter(program=program, contact=contact).exists()
    needles = (NORMALIZED, CANONICAL)
    assert stored_copies(needles)  # Parrain holds her address (contact, audit…)

    assert erase_contact(contact, actor="owner") is True

    assert stored_copies(needles) == set()
    oscar_order.refresh_from_db()
    assert oscar_order.email == NORMALIZED  # the shop's order: the shop erases it


@pytest.mark.parametrize("many", [False, True], ids=["like-any", "read-once"])
def test_people_erased_together_leave_no_copy_and_each_table_is_searched_once(
    story: Story, many: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retention task's batches: every contact of the story erased in one batch finds
    every copy a lone erasure finds, with one search of the audit log for all of them
    (``read-once``: as with the many identifiers of a batch of 200, each row's text read
    once and matched in Python)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parrain.core import erasure
    from parrain.core.erasure import PersonalData, erasing_together

    if many:
        monkeypatch.setattr(erasure, "STREAM_ABOVE", 0)

    contacts = list(Contact.objects.filter(program=story.program).order_by("pk"))
    assert len(contacts) >= 3  # Alice, Zoé, Bob
    people = [PersonalData.of(contact) for contact in contacts]
    emails = tuple(email for person in people for email in person.emails)
    assert stored_copies(emails)

    with CaptureQueriesContext(connection) as queries, erasing_together(people):
        for contact in contacts:
            assert erase_contact(contact, actor="retention")

    assert stored_copies() == set()  # Zoé: names, phone, external id, every address
    assert stored_copies(emails) == set()  # and everyone's addresses
    statements = [q["sql"] or "" for q in queries]
    whole_log = [
        sql
        for sql in statements
        if 'FROM "parrain_auditevent"' in sql
        and ("LIKE" in sql or "REGEXP" in sql or "concat_ws" in sql)
        and '"parrain_auditevent"."id" IN (' not in sql
    ]
    assert len(whole_log) == 1, whole_log
