"""The demo's boosted offer and prize draw, set up through the services like a shop owner's.

Used by ``parrain_demo``: the boost is created before the 90 days are played, so the
invitations of its first day carry its terms as a real shop's would; the contest after,
with a few referrers' reviews of the last week as its tickets (Alice's among them).

- **Boost**: double referrer reward (20 € instead of 10 €) from yesterday 00:00 to the
  end of the fifth day from today, in the program's time zone (Europe/Paris).
- **Contest**: open since a week ago, entries until three weeks from now, the draw the
  day after, one ticket per review left in the period (at most 3 per person), three
  prizes: a 50 € voucher (a reward, issued once by the fulfilment backend), a lamp (a
  physical prize), free shipping ×2 (a reward).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from parrain.core.models import (
    Boost,
    Contact,
    Contest,
    LoyaltyEntry,
    LoyaltyKind,
    Program,
)
from parrain.core.models.choices import RewardKind, Side
from parrain.core.models.contest import Participants, TicketSource
from parrain.core.services.boosts import create_boost
from parrain.core.services.contest_setup import create_contest, open_contest
from parrain.core.services.loyalty import record_action

BOOST_LABELS = {
    "fr": "Récompense doublée : 20 € par ami devenu client",
    "en": "Double reward: €20 for each friend who becomes a customer",
}
CONTEST_NAMES = {"fr": "Le grand tirage de l'hiver", "en": "The great winter draw"}
# One text for every reader (the field is not per language): the shop's own, French.
PUBLIC_VALUE_SOURCE = (
    "drand mainnet (https://drand.love) : l'aléa du premier tour publié après la date du tirage"
)
RULES = {
    "fr": (
        "Jeu gratuit sans obligation d'achat, ouvert aux parrains du programme Maison "
        "Lumière. Chaque avis laissé sur la boutique pendant la période du jeu donne un "
        "ticket, trois au plus par personne. Les avis retirés ne comptent pas.\n\n"
        "Le tirage a lieu le lendemain de la fin du jeu. Il est vérifiable par tous : "
        "l'empreinte (SHA-256) du secret du tirage est publiée dès l'ouverture ; au "
        "tirage, la valeur publique est l'aléa du premier tour drand mainnet publié après "
        "la date du tirage ; la liste des participants (pseudonymes) et le secret sont "
        "publiés ensuite, avec la méthode pour refaire le calcul.\n\n"
        "Les gagnants sont prévenus par e-mail et disposent de 30 jours pour réclamer "
        "leur lot ; passé ce délai, le lot est remis en jeu par le tirage suivant de la "
        "même chaîne."
    ),
    "en": (
        "Free to enter, no purchase necessary, open to the referrers of the Maison Lumière "
        "program. Each review left on the shop during the contest period gives one "
        "ticket, at most three per person. Withdrawn reviews do not count.\n\n"
        "The draw takes place the day after the contest ends. Anyone can check it: the "
        "fingerprint (SHA-256) of the draw's secret is published at opening; at the draw, "
        "the public value is the randomness of the first drand mainnet round published "
        "after the draw date; the list of entrants (pseudonymous) and the secret are "
        "published afterwards, with how to redo the computation.\n\n"
        "Winners are told by email and have 30 days to claim their prize; after that, "
        "the prize goes to the next pick of the same chain."
    ),
}
PRIZES = [
    {
        "label": "Bon d'achat de 50 €",
        "quantity": 1,
        "reward": {"kind": "fixed_amount", "value": "50"},
    },
    {"label": "Lampe Atelier en laiton (lot physique)", "quantity": 1},
    {
        "label": "Livraison offerte",
        "quantity": 2,
        "reward": {"kind": "free_shipping", "value": "0"},
    },
]
TICKET_CAP = 3


@dataclass(frozen=True)
class Reviewer:
    """Who reviews in the contest's week: Alice, then the first referrers, by enrolment."""

    days_ago: tuple[float, ...]


#: Reviews of the last week per reviewer (Alice first): tickets 1, 2, 3 (capped from 4), 1…
REVIEWS = (
    Reviewer((2.2,)),  # Alice
    Reviewer((6.1, 1.3)),
    Reviewer((5.0, 4.2, 3.1, 0.4)),  # a fourth review: over the cap of 3
    Reviewer((3.7,)),
    Reviewer((2.9, 0.8)),
)


def local_midnight(program: Program, day: datetime, days: int = 0) -> datetime:
    """Midnight (wall clock of the program's zone) ``days`` after ``day``'s date."""
    tz = program.tz()
    date = timezone.localtime(day, tz).date() + timedelta(days=days)
    return datetime.combine(date, time(0), tzinfo=tz)


def seed_boost(program: Program, now: datetime) -> Boost:
    """Double referrer reward, yesterday 00:00 → the end of the fifth day from today.

    ``create_boost`` refuses a start in the past (invitations already issued keep their
    terms), so the demo creates it starting now and moves the start back to yesterday
    like the story's rows (demo only); it runs before the story is played, so the
    invitations of that first day are issued with its terms, as in a real shop.
    """
    normal = program.rule(Side.REFERRER)
    value = (normal.value if normal else Decimal("10")) * 2
    boost = create_boost(
        program,
        actor="demo",
        name="Double reward week",
        labels=BOOST_LABELS,
        starts_at=now,
        ends_at=local_midnight(program, now, 6),
        referrer_reward={"kind": RewardKind.FIXED_AMOUNT, "value": value},
    )
    Boost.objects.filter(pk=boost.pk).update(starts_at=local_midnight(program, now, -1))
    boost.refresh_from_db()
    return boost


def seed_reviews(program: Program, now: datetime, alice: Contact) -> list[LoyaltyEntry]:
    """The contest's tickets: reviews of the last week, dated when they were left."""
    referrers = (
        Contact.objects.filter(program=program, referrer_code__isnull=False, erased_at=None)
        .exclude(pk=alice.pk)
        .exclude(referrer_code="")
        .order_by("created_at", "pk")
    )
    people = [alice, *referrers[: len(REVIEWS) - 1]]
    lines = []
    for contact, reviewer in zip(people, REVIEWS, strict=False):
        for n, days_ago in enumerate(reviewer.days_ago):
            when = now - timedelta(days=days_ago)
            line, _ = record_action(
                program,
                contact,
                LoyaltyKind.REVIEW,
                50,
                occurred_at=when,
                source="demo",
                external_id=f"demo:contest-review:{contact.pk}:{n}",
                actor="demo",
            )
            LoyaltyEntry.objects.filter(pk=line.pk).update(recorded_at=when)  # demo only
            lines.append(line)
    return lines


def seed_contest(program: Program, now: datetime) -> Contest:
    """Open since a week ago (the service makes the seed and publishes its commitment)."""
    entries_end = local_midnight(program, now, 22)
    contest = create_contest(
        program,
        actor="demo",
        prizes=PRIZES,
        name="Winter draw",
        names=CONTEST_NAMES,
        rules_texts=RULES,
        entries_start=local_midnight(program, now, -7),
        entries_end=entries_end,
        draw_at=entries_end + timedelta(hours=10),
        participants=Participants.REFERRERS,
        ticket_source=TicketSource.LOYALTY_ACTION,
        loyalty_kind=LoyaltyKind.REVIEW,
        ticket_cap=TICKET_CAP,
        opt_in_required=False,
        public_value_source=PUBLIC_VALUE_SOURCE,
    )
    return open_contest(contest, actor="demo")
