"""Seed the demo database: two programs and 90 days of referral life, through the services.

Every referral, order and refund goes through the core services, so the audit log, the
rewards and the statuses are the ones a real shop would get. The story is played in date
order on a timeline; after each step the rows it wrote are moved back to the step's date
(demo only: real data is never backdated).
"""

from __future__ import annotations

import heapq
import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.db.models import Count, F
from django.test.utils import override_settings
from django.utils import timezone

from parrain.core.addresses import is_loopback, loopback_aliases, origin_of, with_origin
from parrain.core.conf import parrain_settings
from parrain.core.exceptions import ParrainError
from parrain.core.models import (
    AuditEvent,
    Badge,
    BadgeHolding,
    Boost,
    Contact,
    Contest,
    ContestWinner,
    Invitation,
    LoyaltyEntry,
    LoyaltyKind,
    Order,
    Program,
    Referral,
    Refund,
    Reward,
    RewardRule,
)
from parrain.core.models.choices import ReferralStatus, RewardKind, Side
from parrain.core.services import consents
from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.invitations import invite_by_email
from parrain.core.services.loyalty import record_action
from parrain.core.services.orders import OrderData, RefundData, record_order, record_refund
from parrain.core.services.registration import register_referee
from parrain.core.services.rewards import mark_redeemed
from parrain.core.services.validation import reward_referrer, validate_due

from ..demo_badges import evaluate_everyone, seed_badges
from ..demo_gamification import seed_boost, seed_contest, seed_reviews
from ..demo_messages import send_showcase_invitation, settle_history

MAIN_SLUG = "maison-lumiere"
DEMO_SLUGS = (MAIN_SLUG, "atelier-velo")
DAYS = 90
SEED = 20250101
ADMIN = ("admin", "admin")
DOMAINS = ("example.com", "example.fr", "example.net", "example.org")
DISPOSABLE_DOMAINS = ("yopmail.com", "mailinator.com", "guerrillamail.com")
FALLBACK_FIRST = "Camille Louis Léa Hugo Chloé Jules Manon Arthur Inès Lucas Zoé Gabriel".split()
FALLBACK_LAST = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau".split()
# The demo shop's referrer (parrain_oscar_demo gives her a shop account with this address).
ALICE = ("alice@example.com", "Alice")
# What every email of a demo program carries at its foot (Program.legal_footer and
# shop_address, set in the admin's scenario settings in a real shop): made up, example only.
LEGAL = {
    MAIN_SLUG: (
        {
            "fr": "Maison Lumière SAS, capital de 20 000 €, RCS Lyon 912 345 678 (exemple fictif).",
            "en": "Maison Lumière SAS, share capital €20,000, Lyon trade register 912 345 678 "
            "(made-up example).",
        },
        "Maison Lumière, 12 rue des Lanternes, 69002 Lyon, France",
    ),
    "atelier-velo": (
        {
            "fr": "Atelier Vélo SARL, RCS Nantes 823 456 789 (exemple fictif).",
            "en": "Atelier Vélo SARL, Nantes trade register 823 456 789 (made-up example).",
        },
        "Atelier Vélo, 4 quai des Cycles, 44000 Nantes, France",
    ),
}

# Timestamp columns the services stamp with "now", per model, moved to the step's date.
STAMPED: tuple[tuple[type, tuple[str, ...]], ...] = (
    (Contact, ("created_at", "consent_at")),
    (Order, ("recorded_at",)),
    (Invitation, ("issued_at",)),
    (
        Referral,
        ("invited_at", "registered_at", "validated_at", "rewarded_at", "cancelled_at"),
    ),
    (Reward, ("issued_at", "redeemed_at", "cancelled_at")),
    (LoyaltyEntry, ("recorded_at",)),
    (AuditEvent, ("at",)),
)


@dataclass(frozen=True)
class Scale:
    """How big one program's story is."""

    customers: int
    referrers: int
    link_friends: int
    disposable_friends: int
    star_friends: int = 0
    showcase: bool = False
    alice: bool = False


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    run: Callable[[], Any] = field(compare=False)


class People:
    """Deterministic French-looking names and unique example email addresses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.faker = _faker(rng)

    def name(self) -> tuple[str, str]:
        if self.faker is not None:
            return self.faker.first_name(), self.faker.last_name()
        return self.rng.choice(FALLBACK_FIRST), self.rng.choice(FALLBACK_LAST)

    def email(self, first: str, last: str, domains: tuple[str, ...] = DOMAINS) -> str:
        local = f"{_ascii(first)}.{_ascii(last)}"
        candidate, n = local, 1
        while candidate in self.used:
            n += 1
            candidate = f"{local}{n}"
        self.used.add(candidate)
        return f"{candidate}@{self.rng.choice(domains)}"


def _faker(rng: random.Random) -> Any:
    try:
        from faker import Faker
    except ImportError:
        return None
    fake = Faker("fr_FR")
    fake.seed_instance(rng.randint(0, 2**31))
    return fake


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum()) or "client"


class Story:
    """One program's 90 days, written as steps on a timeline and played in date order."""

    def __init__(self, program: Program, scale: Scale, now: datetime, rng: random.Random):
        self.program, self.scale, self.now, self.rng = program, scale, now, rng
        self.start = now - timedelta(days=DAYS)
        self.people = People(rng)
        self.steps: list[Step] = []
        self.welcome_codes: dict[str, str] = {}
        self.orders = 0

    # Planning -----------------------------------------------------------------------

    def plan(self) -> list[Step]:
        customers = [self._plan_customer() for _ in range(self.scale.customers)]
        if self.scale.showcase:
            self._plan_showcase()
        if self.scale.star_friends:
            self._plan_star()
        if self.scale.alice:
            self._plan_alice()
        for _ in range(self.scale.referrers):
            customer = self.rng.choice(customers) if self.rng.random() < 0.6 else None
            self._plan_referrer(customer, customers)
        return self.steps

    def at(self, when: datetime, run: Callable[[], Any]) -> None:
        if when < self.now - timedelta(minutes=5):
            self.steps.append(Step(when, len(self.steps), run))

    def moment(self, after: datetime | None = None, within_days: float = DAYS) -> datetime:
        base = after or self.start
        return base + timedelta(seconds=self.rng.uniform(0, within_days * 86400))

    def amount(self, low: int, high: int = 220) -> Decimal:
        return Decimal(self.rng.randint(low * 100, high * 100)) / 100

    def new_person(self, domains: tuple[str, ...] = DOMAINS) -> tuple[str, str]:
        first, last = self.people.name()
        return self.people.email(first, last, domains), first

    def _plan_customer(self) -> tuple[str, datetime]:
        email, first = self.new_person()
        first_order = self.moment(within_days=DAYS - 1)
        self._plan_order(email, first, first_order)
        for _ in range(self.rng.choice((0, 0, 1, 2))):
            self._plan_order(email, first, self.moment(first_order, 40))
        return email, first_order

    def _plan_enrolment(self, email: str, first: str, enrolled: datetime) -> dict[str, Contact]:
        holder: dict[str, Contact] = {}
        self.at(enrolled, lambda: holder.update(c=self._enrol(email, first)))
        return holder

    def _plan_referrer(self, customer: tuple[str, datetime] | None, customers: list) -> None:
        if customer is None:
            email, first = self.new_person()
            enrolled = self.moment(within_days=DAYS - 3)
        else:
            (email, first_order), first = customer, ""
            enrolled = self.moment(first_order, 10)
        holder = self._plan_enrolment(email, first, enrolled)
        for n in range(self.rng.randint(1, 3)):
            friends = [self._friend_email(customers) for _ in range(self.rng.randint(1, 4))]
            if self.rng.random() < self.scale.disposable_friends / self.scale.referrers:
                friends.append(self.new_person(DISPOSABLE_DOMAINS)[0])
            self._plan_batch(holder, self.moment(enrolled, 3 if n == 0 else 45), friends)
        for _ in range(self._share(self.scale.link_friends)):
            self._plan_friend(holder, self.moment(enrolled, 30), "", link=True)
        if self.rng.random() < 0.05:  # tries their own link: refused as self-referral
            self.at(self.moment(enrolled, 5), lambda: self._register(holder, email))

    def _plan_star(self) -> None:
        """A keen referrer whose friends convert within days: some pass the monthly cap."""
        email, first = self.new_person()
        enrolled = self.moment(self.start + timedelta(days=25), 20)
        holder = self._plan_enrolment(email, first, enrolled)
        friends = [self.new_person()[0] for _ in range(self.scale.star_friends)]
        self._plan_batch(holder, self.moment(enrolled, 2), friends, eager=True)

    def _plan_showcase(self) -> None:
        """One referrer whose three friends surely end rewarded, held for review, cancelled."""
        email, first = self.new_person()
        enrolled = self.start + timedelta(days=5)
        holder = self._plan_enrolment(email, first, enrolled)
        cases = ((DOMAINS, False), (DISPOSABLE_DOMAINS, False), (DOMAINS, True))
        for n, (domains, refunded) in enumerate(cases):
            friend = self.new_person(domains)[0]
            sent = enrolled + timedelta(days=n + 1)
            self._plan_batch(holder, sent, [friend], follow=False)
            registered = sent + timedelta(hours=2)
            self.at(registered, lambda f=friend: self._register(holder, f))
            ordered = registered + timedelta(hours=5)
            self._plan_order(friend, "", ordered, friend=True, refund=refunded)

    def _plan_alice(self) -> None:
        """Alice: a newsletter sign-up, an order, a review; no friend yet (the demo journey
        refers her first). Her review earns her the Bronze badge. Draws nothing from the
        random generator, so the rest of the story stays the same."""
        email, first = ALICE
        enrolled = self.start + timedelta(days=8)
        holder = self._plan_enrolment(email, first, enrolled)
        signed_up = enrolled + timedelta(hours=1)
        newsletter = LoyaltyKind.NEWSLETTER_SIGNUP
        self.at(signed_up, lambda: self._action(holder, newsletter, 20, signed_up))
        self.orders += 1
        ref = f"{self.program.slug[:2].upper()}-{10000 + self.orders}"
        ordered = self.start + timedelta(days=20)
        data = OrderData(
            external_id=ref,
            email=email,
            first_name=first,
            amount=Decimal("124.00"),
            currency=self.program.currency,
            placed_at=ordered,
        )
        self.at(ordered, lambda: record_order(self.program, data))
        reviewed = ordered + timedelta(days=4)
        self.at(reviewed, lambda: self._action(holder, LoyaltyKind.REVIEW, 50, reviewed))

    def _share(self, total: int) -> int:
        return sum(self.rng.random() < 1 / max(self.scale.referrers, 1) for _ in range(total))

    def _plan_batch(
        self,
        holder: dict[str, Contact],
        sent: datetime,
        emails: list[str],
        *,
        eager: bool = False,
        follow: bool = True,
    ) -> None:
        self.at(sent, lambda: self._invite(holder, emails, sent))
        for email in emails if follow else ():
            self._plan_friend(holder, sent, email, eager=eager)

    def _friend_email(self, customers: list) -> str:
        if customers and self.rng.random() < 0.04:
            return self.rng.choice(customers)[0]  # already a customer: refused
        return self.new_person()[0]

    def _plan_friend(
        self,
        holder: dict[str, Contact],
        invited: datetime,
        email: str,
        *,
        link: bool = False,
        eager: bool = False,
    ) -> None:
        first = ""
        if not email:
            email, first = self.new_person()
        registers = link or self.rng.random() < (0.85 if eager else 0.6)
        when = invited
        if registers:
            when += timedelta(hours=self.rng.expovariate(1 / 20))
            self.at(when, lambda: self._register(holder, email, first))
        buys = (0.85 if eager else 0.7) if registers else 0.08
        if self.rng.random() < buys:
            when += timedelta(hours=self.rng.uniform(1, 24 * (4 if eager else 12)))
            self._plan_order(email, first, when, friend=True)

    def _plan_order(
        self,
        email: str,
        first: str,
        when: datetime,
        *,
        friend: bool = False,
        refund: bool | None = None,
    ) -> None:
        self.orders += 1
        ref = f"{self.program.slug[:2].upper()}-{10000 + self.orders}"
        amount = self.amount(30 if friend else 20)
        self.at(when, lambda: self._order(ref, email, first, amount, when))
        if refund is None:
            refund = self.rng.random() < (0.14 if friend else 0.06)
            partial = self.rng.random() < 0.25
        else:
            partial = False
        if refund:
            refunded = when + timedelta(days=self.rng.uniform(1, 10))
            part = (amount / 3).quantize(Decimal("0.01")) if partial else amount
            self.at(refunded, lambda: self._refund(ref, part, refunded))
        if friend and self.rng.random() < 0.2:
            self._plan_order(email, first, when + timedelta(days=self.rng.uniform(5, 40)))

    # Playing ------------------------------------------------------------------------

    def _enrol(self, email: str, first: str) -> Contact:
        return enrol_referrer(
            self.program, email, first_name=first, actor="demo", vouched=True
        ).contact

    def _action(self, holder: dict[str, Contact], kind: str, points: int, when: datetime) -> None:
        record_action(
            self.program,
            holder["c"],
            kind,
            points,
            occurred_at=when,
            source="demo",
            external_id=f"demo:{holder['c'].pk}:{kind}",
            actor="demo",
        )

    def _invite(self, holder: dict[str, Contact], emails: list[str], sent: datetime) -> None:
        if "c" in holder:
            invite_by_email(holder["c"], emails, at=sent)

    def _register(self, holder: dict[str, Contact], email: str, first: str = "") -> None:
        if "c" not in holder:
            return
        consent = self.rng.choice((True, True, False, None))
        code = holder["c"].referrer_code
        try:
            done = register_referee(
                self.program,
                code,
                email,
                consent=consent,
                first_name=first,
                # the sentence the widget shows beside the box, kept with the consent record
                consent_text=consents.consent_text(self.program, self.program.default_language),
            )
        except ParrainError:
            return  # refused (self-referral, already referred…): kept in the audit log
        if done.reward is not None and done.reward.code:
            self.welcome_codes[email] = done.reward.code

    def _order(self, ref: str, email: str, first: str, amount: Decimal, when: datetime) -> None:
        code = self.welcome_codes.pop(email, "") if self.rng.random() < 0.8 else ""
        data = OrderData(
            external_id=ref,
            email=email,
            first_name=first,
            amount=amount,
            currency=self.program.currency,
            placed_at=when,
            welcome_code=code,
        )
        outcome = record_order(self.program, data)
        if code and outcome.referral is not None:
            welcome = Reward.objects.filter(code=code, program=self.program).first()
            if welcome is not None:
                mark_redeemed(welcome)

    def _refund(self, ref: str, amount: Decimal, when: datetime) -> None:
        data = RefundData(external_id=f"R-{ref}", amount=amount, refunded_at=when)
        record_refund(self.program, ref, data)


def sweeps(now: datetime) -> Iterator[datetime]:
    """The periodic validation sweep, once a day at 05:00, then once more now."""
    today = timezone.localtime(now).replace(hour=5, minute=0, second=0, microsecond=0)
    for days_ago in range(DAYS, -1, -1):
        when = today - timedelta(days=days_ago)
        if when < now:
            yield when
    yield now - timedelta(minutes=1)


def sweep(now: datetime) -> None:
    validate_due(now=now)
    for pk in Referral.objects.filter(status=ReferralStatus.VALIDATED).values_list("pk", flat=True):
        reward_referrer(pk)


def backdate(since: datetime, to: datetime, programs: list[Program]) -> None:
    """Move what the last step stamped with the real clock back to the step's date."""
    issued = Reward.objects.filter(program__in=programs, issued_at__gte=since)
    issued.exclude(expires_at=None).update(expires_at=F("expires_at") - (since - to))
    for model, columns in STAMPED:
        scope = model.objects.filter(program__in=programs)
        for column in columns:
            scope.filter(**{f"{column}__gte": since}).update(**{column: to})


class Command(BaseCommand):
    help = "Seed the demo database with two referral programs and 90 days of activity."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo programs and seed again."
        )

    def handle(self, *args: Any, reset: bool = False, **options: Any) -> None:
        self._admin()
        if Program.objects.filter(slug=MAIN_SLUG).exists() and not reset:
            for program in Program.objects.filter(slug__in=DEMO_SLUGS):
                rehome(program)
            self.stdout.write(
                f"demo data already present (use --reset to seed again); served at {demo_origin()}"
            )
            return
        locmem = "django.core.mail.backends.locmem.EmailBackend"
        with override_settings(EMAIL_BACKEND=locmem), transaction.atomic():
            delete_demo()
            programs = [main_program(), second_program()]
            _, clear = programs[0].create_api_key("demo")
            now = timezone.now()
            seed_boost(programs[0], now)  # before the story: its last day's invitations get it
            self._play(programs, now)
            alice = Contact.objects.get(program=programs[0], email=ALICE[0])
            seed_reviews(programs[0], now, alice)
            seed_badges(programs[0])
            evaluate_everyone(programs[0])
            seed_contest(programs[0], now)
        with override_settings(EMAIL_BACKEND=locmem):
            settled = settle_history()
        # After the commit, with the demo's own email backend: the scenario's invitation
        # leaves now and waits in the outbox (/demo/outbox/).
        invited = send_showcase_invitation(programs[0])
        self._summary(programs, clear)
        self.stdout.write(
            f"Scenario history: {settled.sent} sent, {settled.dropped} dropped, "
            f"{settled.delayed} delayed; invitation sent to {invited}: see /demo/outbox/"
        )

    def _admin(self) -> None:
        user_model = get_user_model()
        if not user_model.objects.filter(username=ADMIN[0]).exists():
            user_model.objects.create_superuser(ADMIN[0], "admin@example.com", ADMIN[1])

    def _play(self, programs: list[Program], now: datetime) -> None:
        rng = random.Random(SEED)  # nosec B311 # reproducible demo data, draws no secret
        scales = (
            Scale(110, 45, 25, 5, star_friends=22, showcase=True, alice=True),
            Scale(14, 6, 3, 0),
        )
        steps: list[Step] = []
        for program, scale in zip(programs, scales, strict=True):
            steps += Story(program, scale, now, rng).plan()
        for when in sweeps(now):
            steps.append(Step(when, len(steps), lambda w=when: sweep(w)))
        heapq.heapify(steps)
        total = len(steps)
        for done in range(1, total + 1):
            step = heapq.heappop(steps)
            since = timezone.now()
            step.run()
            backdate(since, step.at, programs)
            if done % 50 == 0 or done == total:
                self.stdout.write(f"\r  seeding… {done}/{total} steps", ending="")
        self.stdout.write("")

    def _summary(self, programs: list[Program], clear_key: str) -> None:
        for program in programs:
            counts = {
                "contacts": Contact.objects.filter(program=program).count(),
                "invitations": Invitation.objects.filter(program=program).count(),
                "orders": Order.objects.filter(program=program).count(),
                "refunds": Refund.objects.filter(order__program=program).count(),
            }
            statuses = dict(
                Referral.objects.filter(program=program)
                .values_list("status")
                .annotate(n=Count("pk"))
                .order_by()
            )
            line = ", ".join(f"{n} {what}" for what, n in counts.items())
            self.stdout.write(f"{program.name}: {line}; referrals {statuses}")
        self._badge_summary(programs[0])
        self._animation_summary(programs[0])
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Admin login (demo only): {ADMIN[0]} / {ADMIN[1]}")
        self.stdout.write(f"Secret API key for {programs[0].name} (shown once): {clear_key}")
        self.stdout.write(f"Public widget key: {programs[0].public_key}")

    def _badge_summary(self, program: Program) -> None:
        holders = BadgeHolding.objects.filter(lost_at__isnull=True)
        parts = [
            f"{badge.name('en')} {holders.filter(badge=badge).count()}"
            for badge in Badge.objects.filter(program=program)
        ]
        alice = holders.filter(badge__program=program, contact__email=ALICE[0])
        held = ", ".join(holding.badge.name("en") for holding in alice) or "none"
        self.stdout.write(f"Badge holders: {', '.join(parts)}; {ALICE[0]} holds: {held}")

    def _animation_summary(self, program: Program) -> None:
        tz = program.tz()
        for boost in Boost.objects.filter(program=program):
            ends = timezone.localtime(boost.ends_at, tz).strftime("%Y-%m-%d %H:%M %Z")
            self.stdout.write(f"Boosted offer: {boost.labels.get('en', boost.name)}, until {ends}")
        for contest in Contest.objects.filter(program=program):
            ends = timezone.localtime(contest.entries_end, tz).strftime("%Y-%m-%d %H:%M %Z")
            url = f"{demo_origin()}/contest/{contest.public_id}/"
            self.stdout.write(
                f"Contest: {contest.names.get('en', contest.name)} ({contest.status}), entries "
                f"until {ends}, commitment {contest.commitment[:16]}…, page {url}"
            )


def delete_demo() -> None:
    for badge in Badge.objects.filter(program__slug__in=DEMO_SLUGS).exclude(image=""):
        badge.image.delete(save=False)  # the medal files drawn at the last seeding
    # Referral.invitation is PROTECT, so referrals go before their program; so do the
    # boosts and contests whose reward rules (and a winner's prize) are PROTECT too.
    Referral.objects.filter(program__slug__in=DEMO_SLUGS).delete()
    ContestWinner.objects.filter(contest__program__slug__in=DEMO_SLUGS).delete()
    Contest.objects.filter(program__slug__in=DEMO_SLUGS).delete()
    Boost.objects.filter(program__slug__in=DEMO_SLUGS).delete()
    Program.objects.filter(slug__in=DEMO_SLUGS).delete()


def demo_origin() -> str:
    return origin_of(parrain_settings.BASE_URL)


def demo_origins() -> list[str]:
    """Where the demo pages are served (PARRAIN_BASE_URL), under both loopback names."""
    return loopback_aliases(parrain_settings.BASE_URL)


def rehome(program: Program) -> None:
    """Point a seeded program at the address the demo is served from now.

    ``make demo ADDRESS=…`` may change between runs: the loopback origins the demo seeded
    give way to the new ones, a loopback landing URL moves along; other origins stay. A
    demo seeded before it had them gets its legal footer and shop address (never one the
    visitor has written over).
    """
    current = demo_origins()
    kept = [o for o in program.allowed_origins if not is_loopback(o) and o not in current]
    program.allowed_origins = [*current, *kept]
    if is_loopback(program.landing_url):
        program.landing_url = with_origin(program.landing_url, demo_origin())
    fields = ["allowed_origins", "landing_url"]
    footer, address = LEGAL.get(program.slug, ({}, ""))
    if not program.legal_footer and not program.shop_address and address:
        program.legal_footer, program.shop_address = footer, address
        fields += ["legal_footer", "shop_address"]
    program.save(update_fields=fields)


def main_program() -> Program:
    program = Program.objects.create(
        name="Maison Lumière",
        slug=MAIN_SLUG,
        legal_footer=LEGAL[MAIN_SLUG][0],
        shop_address=LEGAL[MAIN_SLUG][1],
        currency="EUR",
        languages=["fr", "en"],
        default_language="fr",
        loyalty_points_per_unit=Decimal("1"),
        landing_url=f"{demo_origin()}/widgets/",
        allowed_origins=demo_origins(),
    )
    _rule(program, Side.REFERRER, RewardKind.FIXED_AMOUNT, "10", "0", "10 € offerts", "€10 off")
    _rule(
        program,
        Side.REFEREE,
        RewardKind.PERCENTAGE,
        "15",
        "30",
        "-15 % sur votre première commande dès 30 €",
        "15% off your first order of €30 or more",
    )
    return program


def second_program() -> Program:
    program = Program.objects.create(
        name="Atelier Vélo",
        slug="atelier-velo",
        legal_footer=LEGAL["atelier-velo"][0],
        shop_address=LEGAL["atelier-velo"][1],
        currency="EUR",
        languages=["en", "fr"],
        default_language="en",
        landing_url=f"{demo_origin()}/widgets/",
        allowed_origins=demo_origins(),
        validation_delay_days=7,
    )
    _rule(program, Side.REFERRER, RewardKind.LOYALTY_POINTS, "500", "0", "500 points", "500 points")
    _rule(
        program,
        Side.REFEREE,
        RewardKind.FREE_SHIPPING,
        "0",
        "0",
        "Livraison offerte",
        "Free shipping",
    )
    return program


def _rule(
    program: Program, side: str, kind: str, value: str, minimum: str, fr: str, en: str
) -> RewardRule:
    return RewardRule.objects.create(
        program=program,
        side=side,
        kind=kind,
        value=Decimal(value),
        minimum_order_amount=Decimal(minimum),
        labels={"fr": fr, "en": en},
    )
