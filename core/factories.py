"""factory_boy factories for the core models, shipped so host projects can reuse them.

Needs the ``factory-boy`` package (in the ``dev`` extra).
"""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from .models import Contact, Order, Program, RewardRule
from .models.choices import RewardKind, Side
from .services.orders import OrderData


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    currency = "EUR"
    landing_url = "https://shop.example/parrainage"
    allowed_origins = ["https://shop.example"]
    # No quiet hours: a test's messages do not depend on the hour it runs at (tests of the
    # quiet hours set them).
    quiet_hours_start = None
    quiet_hours_end = None

    @factory.post_generation
    def rules(self, create: bool, extracted: object, **kwargs: object) -> None:
        if not create or extracted is False:
            return
        RewardRule.objects.create(
            program=self, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=Decimal("10")
        )
        RewardRule.objects.create(
            program=self,
            side=Side.REFEREE,
            kind=RewardKind.PERCENTAGE,
            value=Decimal("15"),
            minimum_order_amount=Decimal("0"),
        )


class RewardRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardRule

    program = factory.SubFactory(ProgramFactory, rules=False)
    side = Side.REFERRER
    kind = RewardKind.FIXED_AMOUNT
    value = Decimal("10")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    program = factory.SubFactory(ProgramFactory)
    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name", locale="fr_FR")
    language = "fr"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    program = factory.SubFactory(ProgramFactory)
    contact = factory.SubFactory(ContactFactory, program=factory.SelfAttribute("..program"))
    external_id = factory.Sequence(lambda n: f"ORD-{n}")
    amount = Decimal("50.00")
    currency = "EUR"
    placed_at = factory.LazyFunction(timezone.now)


def verified_referrer(program: Program, email: str, **extra: str) -> Contact:
    """An enrolled referrer whose email is proven, as a shop account or the server API vouch."""
    from .services.enrolment import enrol_referrer

    contact = enrol_referrer(program, email, **extra).contact
    contact.email_verified_at = timezone.now()
    contact.save(update_fields=["email_verified_at"])
    return contact


def welcome_order(
    program: Program,
    *,
    external_id: str,
    amount: str,
    currency: str = "EUR",
    referrer: str = "alice@example.com",
    referee: str = "bob@example.org",
    referrer_name: str = "",
) -> OrderData:
    """The referee's first order (not yet recorded), paid with the welcome code they claimed
    through the referrer's link: the usual start of a referral test."""
    from .services.enrolment import enrol_referrer
    from .services.registration import register_referee

    code = enrol_referrer(program, referrer, first_name=referrer_name).code
    welcome = register_referee(program, code, referee).reward
    return OrderData(
        external_id=external_id,
        email=referee,
        amount=Decimal(amount),
        currency=currency,
        welcome_code=welcome.code if welcome and welcome.code else "",
    )
