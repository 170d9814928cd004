"""Properties of the order, refund and claim services, for any input they accept (issue 16).

Hypothesis draws the inputs; each example runs in a savepoint rolled back at its end, so
examples do not see each other's rows. PostgreSQL, as in production: the bounds of what
it stores (moments, amounts) are part of what is tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parrain.core.exceptions import InvalidInput, ParrainError
from parrain.core.factories import ProgramFactory
from parrain.core.models import Contact, Order, Referral, Refund, Reward
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PROPERTIES = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
offsets = st.integers(min_value=-(15 * 60 + 59), max_value=15 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
# Whole years 1970–2999 as written, with any offset PostgreSQL takes.
moments = st.builds(
    lambda naive, tz: naive.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2999, 12, 31, 23, 59, 59)),
    offsets,
)
ids = st.text(alphabet="ABCDEFGHIJ0123456789-", min_size=1, max_size=120)
local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._+-", min_size=1, max_size=30)
emails = local_parts.filter(lambda s: s[0] not in "._" and ".." not in s and s[-1] != ".").map(
    lambda local: f"{local}@example.org"
)
names = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "Zs"], exclude_characters="\x00"),
    max_size=120,
)


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def program():
    return ProgramFactory(currency="EUR")


@PROPERTIES
@given(external_id=ids, amount=amounts, placed_at=moments, email=emails, first_name=names)
def test_an_order_is_stored_once_as_given(
    program, external_id, amount, placed_at, email, first_name
):
    data = OrderData(
        external_id=external_id,
        amount=amount,
        currency="EUR",
        placed_at=placed_at,
        email=email,
        first_name=first_name.strip(),
    )
    with rolled_back():
        first = record_order(program, data)
        again = record_order(program, data)

        assert (first.created, again.created) == (True, False)
        assert again.order.pk == first.order.pk
        stored = Order.objects.get()
        assert (stored.amount, stored.placed_at) == (amount, placed_at.astimezone(UTC))
        assert Contact.objects.get().first_order_at == stored.placed_at


refund_steps = st.lists(
    st.tuples(st.sampled_from(["R-1", "R-2", "R-3", "R-4"]), st.none() | amounts), max_size=8
)


@PROPERTIES
@given(total=amounts, steps=refund_steps, refunded_at=moments)
def test_refunds_never_exceed_the_order_and_each_id_counts_once(program, total, steps, refunded_at):
    with rolled_back():
        record_order(program, OrderData(external_id="O-1", amount=total, currency="EUR"))
        kept: dict[str, Decimal] = {}
        for refund_id, amount in steps:
            remaining = total - sum(kept.values(), Decimal(0))
            data = RefundData(external_id=refund_id, amount=amount, refunded_at=refunded_at)
            if refund_id not in kept and amount is not None and amount > remaining:
                with pytest.raises(InvalidInput):
                    record_refund(program, "O-1", data)
                continue
            refund = record_refund(program, "O-1", data)
            kept.setdefault(refund_id, refund.amount)

        order = Order.objects.get()
        assert order.refunded_amount == sum(kept.values(), Decimal(0)) <= order.amount
        assert sorted(Refund.objects.values_list("external_id", flat=True)) == sorted(kept)


@PROPERTIES
@given(claims=st.lists(st.tuples(emails, names, st.none() | st.booleans()), min_size=1, max_size=5))
def test_each_friend_claims_once_whatever_they_send(program, claims):
    with rolled_back():
        code = enrol_referrer(program, "alice@example.com", first_name="Alice").code
        friends: set[str] = set()
        for email, first_name, consent in claims:
            try:
                outcome = register_referee(
                    program, code, email, consent=consent, first_name=first_name.strip()
                )
            except ParrainError:
                continue  # a program rule refused it (audited): nothing else to check here
            assert outcome.created == (email not in friends)
            friends.add(email)

        assert Referral.objects.filter(referee__email__in=friends).count() == len(friends)
        assert Reward.objects.filter(referral__referee__email__in=friends).count() <= len(friends)
