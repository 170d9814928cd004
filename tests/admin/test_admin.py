"""The admin as a shop owner uses it: every page renders, reviews go through the services."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains

from parrain.core.factories import ProgramFactory
from parrain.core.models import (
    ApiKey,
    AuditEvent,
    Contact,
    Invitation,
    Order,
    PoolCode,
    Program,
    Referral,
    Refund,
    Reward,
    RewardRule,
)
from parrain.core.models.choices import ReferralStatus, RewardStatus, Side
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db

MODELS = [
    Program,
    ApiKey,
    RewardRule,
    Contact,
    Invitation,
    Referral,
    Order,
    Refund,
    Reward,
    PoolCode,
    AuditEvent,
]


def _order(external_id: str, email: str, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal("60"), currency="EUR", **extra
    )


def _held_referral(program: Program, referee_email: str = "bob@mailinator.com") -> Referral:
    """A referee on a disposable domain orders: the referral waits for review."""
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    registration = register_referee(program, alice.code, referee_email)
    welcome = registration.reward.code
    outcome = record_order(program, _order("o-held", referee_email, welcome_code=welcome))
    assert outcome.referral.status == ReferralStatus.REVIEW
    return outcome.referral


@pytest.fixture
def program() -> Program:
    return ProgramFactory(name="Boutique Éloïse")


@pytest.fixture
def populated(program: Program) -> Program:
    """One of everything, made through the services like a real shop would."""
    program.create_api_key("shop")
    alice = enrol_referrer(program, "alice@example.com", first_name="Alice")
    invite_by_email(alice.contact, ["carol@example.org"])
    registration = register_referee(program, alice.code, "bob@example.org")
    record_order(program, _order("o-1", "bob@example.org", welcome_code=registration.reward.code))
    record_refund(program, "o-1", RefundData(external_id="r-1"))
    PoolCode.objects.create(program=program, side=Side.REFERRER, code="POOL-1")
    return program


def _admin_url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:parrain_{model._meta.model_name}_{view}", args=args)


def _shown(model: type) -> tuple[Model, list[str], list[str]]:
    """One object of ``populated``, what its changelist row shows, what its page shows."""
    program = Program.objects.get(name="Boutique Éloïse")
    if model is Program:
        selected = '<option value="percentage" selected>Percentage off</option>'  # its rule inline
        return program, [program.name, program.slug], [f'value="{program.slug}"', selected]
    if model is ApiKey:
        key = ApiKey.objects.get(program=program)
        return key, [key.prefix, "shop"], [key.prefix, "shop"]
    if model is RewardRule:
        rule = RewardRule.objects.get(program=program, side=Side.REFEREE)
        return rule, ["Referee welcome offer", "Percentage off", "15"], ['value="15.00"']
    if model is Contact:
        alice = Contact.objects.get(email="alice@example.com")
        return alice, [alice.email, alice.referrer_code], [alice.referrer_code, alice.email]
    if model is Invitation:
        invitation = Invitation.objects.get(referee__email="carol@example.org")
        return invitation, ["alice@example.com", "carol@example.org"], ["carol@example.org"]
    if model is Referral:
        referral = Referral.objects.get(referee__email="bob@example.org")
        welcome = Reward.objects.get(referral=referral, side=Side.REFEREE).code
        return referral, ["bob@example.org", "Cancelled"], ["Cancelled", welcome]
    if model is Order:
        order = Order.objects.get(external_id="o-1")
        return order, ["o-1", "€60", "bob@example.org"], ["o-1", "r-1"]
    if model is Refund:
        refund = Refund.objects.get(external_id="r-1")
        return refund, ["r-1", "o-1"], ["r-1", "o-1"]
    if model is Reward:
        reward = Reward.objects.get(recipient__email="bob@example.org", side=Side.REFEREE)
        return reward, [reward.code, "bob@example.org"], [reward.code, "Percentage off"]
    if model is PoolCode:
        pool_code = PoolCode.objects.get(code="POOL-1")
        return pool_code, ["POOL-1", "Referrer reward"], ["POOL-1"]
    event = AuditEvent.objects.filter(action="referral.cancelled").get()
    words = ["Referral cancelled", "Order refunded"]
    return event, ["Referral cancelled", "bob@example.org"], words


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_row_and_change_page_show_the_object(
    admin_client: Client, populated, model
) -> None:
    obj, row, page = _shown(model)
    changelist = admin_client.get(_admin_url(model, "changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert obj in changelist.context["cl"].result_list
    table = _result_table(changelist)  # not the filters beside it, which list every choice
    for text in row:
        assert text in table, f"{text!r} is not in the {model.__name__} list"
    change = admin_client.get(_admin_url(model, "change", obj.pk), HTTP_ACCEPT_LANGUAGE="en")
    for text in page:
        assertContains(change, text, html=text.startswith("<"))


def _result_table(response: HttpResponse) -> str:
    page = response.content.decode()
    start = page.index('<table id="result_list">')
    return page[start : page.index("</table>", start)]


def test_changelist_search_and_filters_render(admin_client: Client, populated) -> None:
    url = _admin_url(Referral, "changelist")
    response = admin_client.get(
        url, {"q": "alice", "status__exact": "cancelled"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.context["cl"].result_count == 1
    [shown] = response.context["cl"].result_list
    assert shown.referee.email == "bob@example.org"
    table = _result_table(response)
    assert "bob@example.org" in table and "Cancelled" in table
    assert "carol@example.org" not in table  # invited only: filtered out


def test_approve_action_converts_held_referral_and_audits_the_owner(
    admin_client: Client, admin_user: User, program: Program
) -> None:
    referral = _held_referral(program)
    response = admin_client.post(
        _admin_url(Referral, "changelist"),
        {"action": "approve", "_selected_action": [referral.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CONVERTED
    event = AuditEvent.objects.get(referral=referral, action="referral.approved")
    assert event.actor == admin_user.get_username()
    assert [str(m) for m in response.context["messages"]] == ["1 referral approved."]


def test_reject_action_cancels_held_referral_and_its_welcome_offer(
    admin_client: Client, admin_user: User, program: Program
) -> None:
    referral = _held_referral(program)
    admin_client.post(
        _admin_url(Referral, "changelist"),
        {"action": "reject", "_selected_action": [referral.pk]},
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CANCELLED
    assert referral.cancel_reason == "rejected_in_review"
    assert Reward.objects.get(referral=referral, side=Side.REFEREE).status == (
        RewardStatus.CANCELLED
    )
    event = AuditEvent.objects.get(referral=referral, action="referral.rejected")
    assert event.actor == admin_user.get_username()


def test_review_actions_skip_referrals_not_in_review(admin_client: Client, program) -> None:
    held = _held_referral(program)
    alice = Contact.objects.get(email="alice@example.com")
    other = register_referee(program, alice.referrer_code, "dan@example.org").referral
    response = admin_client.post(
        _admin_url(Referral, "changelist"),
        {"action": "reject", "_selected_action": [held.pk, other.pk]},
        follow=True,
    )
    other.refresh_from_db()
    assert other.status == ReferralStatus.REGISTERED
    assert not AuditEvent.objects.filter(referral=other, action="referral.rejected").exists()
    levels = sorted(m.level_tag for m in response.context["messages"])
    assert levels == ["success", "warning"]


def test_referral_change_form_shows_status_without_an_input(admin_client: Client, program) -> None:
    referral = _held_referral(program)
    url = _admin_url(Referral, "change", referral.pk)
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for review" in page
    for field in ("status", "review_reason", "cancel_reason", "referrer", "order"):
        assert f'name="{field}"' not in page


def test_referral_page_shows_its_audit_trail(admin_client: Client, program) -> None:
    referral = _held_referral(program)
    response = admin_client.get(_admin_url(Referral, "change", referral.pk))
    assert b"disposable_email" in response.content
    assert b"referral.attributed" in response.content or b"referral.held" in response.content


def test_audit_log_cannot_be_added_changed_or_deleted(admin_client: Client, program) -> None:
    event = AuditEvent.objects.create(program=program, action="test.event", reason="why")
    assert admin_client.get(_admin_url(AuditEvent, "add")).status_code == 403
    change = admin_client.post(_admin_url(AuditEvent, "change", event.pk), {"reason": "edited"})
    assert change.status_code == 403
    delete = admin_client.post(_admin_url(AuditEvent, "delete", event.pk), {"post": "yes"})
    assert delete.status_code == 403
    bulk = admin_client.post(
        _admin_url(AuditEvent, "changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk.status_code == 200
    event.refresh_from_db()
    assert event.reason == "why"


def test_create_api_key_action_shows_clear_key_once_and_stores_its_hash(
    admin_client: Client, program: Program
) -> None:
    response = admin_client.post(
        _admin_url(Program, "changelist"),
        {"action": "create_secret_api_key", "_selected_action": [program.pk]},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    clear = next(word for word in message.split() if word.startswith("sk_"))
    key = ApiKey.objects.get(program=program)
    assert key.hashed == ApiKey.hash(clear) and key.prefix == clear[:10]
    assert clear not in str(ApiKey.objects.values().get())
    again = admin_client.get(_admin_url(Program, "change", program.pk))
    assert clear not in again.content.decode() and key.prefix in again.content.decode()


def _import(client: Client, program: Program, content: bytes):  # type: ignore[no-untyped-def]
    upload = SimpleUploadedFile("codes.csv", content, content_type="text/csv")
    url = reverse("admin:parrain_poolcode_import")
    data = {"program": program.pk, "side": Side.REFERRER, "file": upload}
    return client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")


def test_pool_csv_import_creates_codes_and_ignores_duplicates(
    admin_client: Client, program: Program
) -> None:
    changelist = admin_client.get(_admin_url(PoolCode, "changelist")).content.decode()
    assert reverse("admin:parrain_poolcode_import") in changelist
    form = admin_client.get(reverse("admin:parrain_poolcode_import"), HTTP_ACCEPT_LANGUAGE="en")
    assertContains(form, "Import codes from a CSV file")
    assertContains(form, f'<option value="{program.pk}">Boutique Éloïse</option>', html=True)
    assertContains(form, 'type="file"')
    first = _import(admin_client, program, b"code\nGIFT-1\nGIFT-2\n")
    assert first.redirect_chain[-1][0] == _admin_url(PoolCode, "changelist")
    second = _import(admin_client, program, b"GIFT-2\nGIFT-3\n")
    codes = PoolCode.objects.filter(program=program, side=Side.REFERRER)
    assert sorted(codes.values_list("code", flat=True)) == ["GIFT-1", "GIFT-2", "GIFT-3"]
    [message] = [str(m) for m in second.context["messages"]]
    assert message == "1 code imported; already there: 1."


def test_pool_csv_import_refuses_non_utf8_file(admin_client: Client, program) -> None:
    response = _import(admin_client, program, "CADEAU-É\n".encode("utf-16"))
    assert response.status_code == 200 and response.context["form"].errors
    assert not PoolCode.objects.exists()


def test_pool_import_needs_add_permission(client: Client, program: Program) -> None:
    staff = User.objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:parrain_poolcode_import")).status_code == 403


def test_admin_speaks_french(admin_client: Client) -> None:
    french = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Parrainages" in french.content.decode()
    english = admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Referrals" in english.content.decode()


def _queries_for_changelists(client: Client) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for model in (Referral, AuditEvent, Order, Reward, Invitation, Contact):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_admin_url(model, "changelist")).status_code == 200
        counts[model.__name__] = len(captured)
    return counts


def test_changelist_queries_do_not_grow_with_rows(admin_client: Client, program) -> None:
    alice = enrol_referrer(program, "alice@example.com")
    register_referee(program, alice.code, "friend0@example.org")
    record_order(program, _order("o-0", "friend0@example.org"))
    few = _queries_for_changelists(admin_client)
    for n in range(1, 8):
        register_referee(program, alice.code, f"friend{n}@example.org")
        record_order(program, _order(f"o-{n}", f"friend{n}@example.org"))
    assert _queries_for_changelists(admin_client) == few
