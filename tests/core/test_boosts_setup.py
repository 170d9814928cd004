"""Setting up boosts: the service's refusals and the one form every admin wraps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import translation

from parrain.core.exceptions import InvalidInput
from parrain.core.factories import ProgramFactory
from parrain.core.forms.boost import BoostForm
from parrain.core.models import AuditEvent, Boost, RewardRule
from parrain.core.models.choices import RewardKind, Side
from parrain.core.services import boosts

from .boost_helpers import DOUBLE, make_boost, paris

pytestmark = pytest.mark.django_db

NOW = paris(2026, 12, 1, 10, 0)


@pytest.fixture(autouse=True)
def _english_at_now():  # type: ignore[no-untyped-def]
    with translation.override("en"), time_machine.travel(NOW, tick=False):
        yield


def test_create_stores_own_rules_and_leaves_normal_offer() -> None:
    program = ProgramFactory()
    normal = program.rule(Side.REFERRER)
    boost = make_boost(
        program,
        paris(2026, 12, 5),
        paris(2026, 12, 8),
        welcome_offer={"kind": "percentage", "value": "25"},
    )
    assert boost.referrer_rule.value == Decimal("20") and boost.referrer_rule.side == Side.REFERRER
    assert boost.referee_rule.kind == RewardKind.PERCENTAGE
    assert program.rule(Side.REFERRER) == normal  # the boost's rules are not the offer
    event = AuditEvent.objects.get(action="boost.created")
    assert event.data["boost"] == boost.pk and event.actor == "test"


def test_end_before_start_refused_nothing_stored() -> None:
    program = ProgramFactory()
    with pytest.raises(InvalidInput) as refused:
        make_boost(program, paris(2026, 12, 8), paris(2026, 12, 5))
    assert refused.value.field == "ends_at" and "end after it starts" in refused.value.message
    assert not Boost.objects.exists()
    assert RewardRule.objects.filter(program=program).count() == 2


def test_overlap_refused_naming_the_other_boost_and_its_dates() -> None:
    program = ProgramFactory()
    make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8), name="Black week")
    with pytest.raises(InvalidInput) as refused:
        make_boost(program, paris(2026, 12, 7), paris(2026, 12, 10), name="Other")
    message = refused.value.message
    assert (
        "Black week" in message and "2026-12-05 00:00" in message and "2026-12-08 00:00" in message
    )
    # Touching windows (end excluded) do not overlap; another program never does.
    make_boost(program, paris(2026, 12, 8), paris(2026, 12, 10), name="Next")
    make_boost(ProgramFactory(), paris(2026, 12, 6), paris(2026, 12, 7))
    assert Boost.objects.filter(program=program).count() == 2


def test_started_boost_may_only_move_its_end_and_labels() -> None:
    program = ProgramFactory()
    boost = make_boost(program, paris(2026, 12, 1, 10), paris(2026, 12, 8))
    with pytest.raises(InvalidInput) as refused:
        boosts.update_boost(boost, referrer_reward={**DOUBLE, "value": Decimal("30")})
    assert "already carry this reward" in refused.value.message
    boost.refresh_from_db()
    assert boost.referrer_rule.value == Decimal("20")
    with pytest.raises(InvalidInput):
        boosts.update_boost(boost, ends_at=NOW - timedelta(hours=1))
    boosts.update_boost(boost, ends_at=paris(2026, 12, 10), labels={"en": "Longer"}, actor="a")
    boost.refresh_from_db()
    assert boost.ends_at == paris(2026, 12, 10) and boost.labels == {"en": "Longer"}
    assert AuditEvent.objects.get(action="boost.updated").data["fields"] == "ends_at,labels"
    with pytest.raises(InvalidInput):
        boosts.delete_boost(boost)


def test_scheduled_boost_changes_reward_and_is_deleted_with_its_rules() -> None:
    program = ProgramFactory()
    boost = make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8))
    boosts.update_boost(boost, referrer_reward={"kind": "loyalty_points", "value": 500})
    boost.refresh_from_db()
    assert boost.referrer_rule.kind == RewardKind.LOYALTY_POINTS
    boosts.delete_boost(boost, actor="a")
    assert not Boost.objects.exists()
    assert RewardRule.objects.filter(program=program).count() == 2
    assert AuditEvent.objects.filter(action="boost.deleted").count() == 1


def _post(program, **extra):  # type: ignore[no-untyped-def]
    return {
        "name": "Double week",
        "label_fr": "Récompense doublée",
        "label_en": "Double reward",
        "starts_at": "2026-12-05T00:00",
        "ends_at": "2026-12-08T00:00",
        "referrer_kind": "fixed_amount",
        "referrer_value": "20",
        "referrer_validity_days": "90",
        "welcome_kind": "",
        **extra,
    }


def test_form_reads_dates_in_the_program_time_zone_and_saves() -> None:
    program = ProgramFactory(time_zone="America/New_York")
    form = BoostForm(_post(program), program=program)
    boost = form.save(actor="admin")
    assert boost is not None, form.errors
    assert boost.starts_at == datetime(2026, 12, 5, 5, tzinfo=UTC)
    assert boost.labels == {"fr": "Récompense doublée", "en": "Double reward"}
    assert boost.referee_rule is None and boost.referrer_rule.value == Decimal("20")


def test_form_shows_service_refusals_beside_the_field() -> None:
    program = ProgramFactory()
    make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8), name="Black week")
    form = BoostForm(
        _post(program, starts_at="2026-12-06T00:00", ends_at="2026-12-09T00:00"), program=program
    )
    assert not form.is_valid()
    assert "Black week" in form.errors["starts_at"][0]
    form = BoostForm(
        _post(program, starts_at="2026-12-20T00:00", ends_at="2026-12-19T00:00"), program=program
    )
    assert form.save(actor="a") is None and "ends_at" in form.errors
    form = BoostForm(
        _post(
            program,
            starts_at="2026-12-20T00:00",
            ends_at="2026-12-21T00:00",
            referrer_kind="free_product",
        ),
        program=program,
    )
    assert not form.is_valid() and "referrer_product_ref" in form.errors
    assert Boost.objects.count() == 1


def test_form_of_started_boost_disables_all_but_end_and_labels() -> None:
    program = ProgramFactory()
    boost = make_boost(program, paris(2026, 12, 1, 9, 58), paris(2026, 12, 8))
    form = BoostForm(
        _post(program, referrer_value="99", ends_at="2026-12-09T00:00"),
        program=program,
        instance=boost,
    )
    assert form.fields["referrer_value"].disabled
    assert "already carry this reward" in str(form.fields["referrer_value"].help_text)
    assert not form.fields["ends_at"].disabled and not form.fields["label_en"].disabled
    saved = form.save(actor="admin")
    assert saved is not None, form.errors
    saved.refresh_from_db()
    assert saved.ends_at == paris(2026, 12, 9) and saved.referrer_rule.value == Decimal("20")
