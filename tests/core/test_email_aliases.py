"""Email aliases (issue 10 point 4): ``+tags``, Gmail dots and googlemail.com are one person.

The existing-customer and already-referred rules match on the canonical email, at the
invitation, at the claim and at the order, as the self-referral rule does.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from parrain.core import fraud
from parrain.core.emails import canonical_email
from parrain.core.exceptions import Refused
from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Referral, Reward
from parrain.core.models.choices import ReferralStatus, Side
from parrain.core.services.contacts import ContactData, upsert_contact
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.orders import OrderData, record_order
from parrain.core.services.registration import register_referee

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("email", "canonical"),
    [
        ("a.l.i.c.e+promo@googlemail.com", "alice@gmail.com"),
        ("Alice@GMail.com", "alice@gmail.com"),
        ("bob+news@example.org", "bob@example.org"),
        ("Bob+a+b@Example.ORG", "bob@example.org"),
        ("b.o.b@example.org", "b.o.b@example.org"),  # dots matter outside Gmail
        ("  carol+x@outlook.fr ", "carol@outlook.fr"),
    ],
)
def test_canonical_email(email, canonical) -> None:
    assert canonical_email(email) == canonical


@pytest.fixture
def program():
    return ProgramFactory()


@pytest.fixture
def bruno(program):
    return enrol_referrer(program, "bruno@example.com")


@pytest.fixture
def customer(program) -> Contact:
    contact, _ = upsert_contact(
        program,
        ContactData(email="alice@gmail.com", first_order_at=timezone.now() - timedelta(days=90)),
    )
    return contact


def order(external_id: str, email: str, **extra: object) -> OrderData:
    return OrderData(
        external_id=external_id, email=email, amount=Decimal("60"), currency="EUR", **extra
    )


def test_existing_customer_claiming_under_an_alias_is_refused(program, bruno, customer) -> None:
    with pytest.raises(Refused) as refused:
        register_referee(program, bruno.code, "a.l.i.c.e+promo@googlemail.com")
    assert refused.value.reason == "existing_customer"
    assert not Reward.objects.exists()


def test_existing_customer_is_not_invited_under_an_alias(program, bruno, customer) -> None:
    [outcome] = invite_by_email(bruno.contact, ["alice+friends@gmail.com"])
    assert not outcome.invited and outcome.reason == "existing_customer"


def test_customers_order_under_an_alias_does_not_convert(program, bruno) -> None:
    earlier = timezone.now() - timedelta(days=60)
    record_order(program, order("first", "bob@gmail.com", placed_at=earlier))

    outcome = record_order(
        program, order("second", "b.o.b+new@googlemail.com", referral_code=bruno.code)
    )

    assert outcome.referral.status == ReferralStatus.CANCELLED
    assert outcome.referral.cancel_reason == "existing_customer"


def test_existing_customer_rule_reads_all_aliases_in_one_query(
    program, bruno, customer, django_assert_num_queries
) -> None:
    alias = Contact.objects.create(program=program, email="a.lice+x@googlemail.com")
    check = fraud.Check(program=program, referrer=bruno.contact, referee=alias)
    with django_assert_num_queries(1):
        assert fraud.existing_customer(check) == "existing_customer"


@pytest.fixture
def bob_referred_by_alice(program):
    alice = enrol_referrer(program, "alice@example.com")
    return register_referee(program, alice.code, "bob@gmail.com").referral


def test_referee_claimed_under_one_alias_is_already_referred_under_another(
    program, bruno, bob_referred_by_alice
) -> None:
    with pytest.raises(Refused) as refused:
        register_referee(program, bruno.code, "b.o.b+x@googlemail.com")
    assert refused.value.reason == "already_referred"
    [outcome] = invite_by_email(bruno.contact, ["bob+y@gmail.com"])
    assert not outcome.invited and outcome.reason == "already_referred"
    assert Referral.objects.get() == bob_referred_by_alice


def test_order_under_an_alias_with_another_code_stays_with_the_first_referrer(
    program, bruno, bob_referred_by_alice
) -> None:
    outcome = record_order(program, order("o", "bob+z@gmail.com", referral_code=bruno.code))

    assert outcome.referral == bob_referred_by_alice
    assert outcome.referral.referrer == bob_referred_by_alice.referrer
    assert Referral.objects.count() == 1


def test_a_second_alias_does_not_get_a_second_welcome_offer(program, bob_referred_by_alice) -> None:
    code = bob_referred_by_alice.referrer.referrer_code
    with pytest.raises(Refused) as refused:
        register_referee(program, code, "bo.b@googlemail.com")
    assert refused.value.reason == "already_referred"
    [outcome] = invite_by_email(bob_referred_by_alice.referrer, ["bob+2@gmail.com"])
    assert not outcome.invited
    assert Reward.objects.filter(side=Side.REFEREE).count() == 1
