"""Benchmark: issuing invitations with a boost running against the same without one.

    .venv/bin/python bench/boost.py [--rounds 15] [--per-round 40] [--history 200000]
        [--past-boosts 300]

Runs in a PostgreSQL database and Redis prefix of its own (``bench/_harness.py``: named
after the bench, its process id and a random suffix), created and migrated at the start and
dropped at the end, even on failure; it never touches another database.

Two programs alike: the same normal offer, ``--past-boosts`` boosts each in the past (a shop
that runs them every week for years) and ``--history`` invitations each (spread over two
years), so the boost lookup and the invitation indexes have a real shop's size. Program A
has one boost running now (its own referrer reward and welcome offer); program B has none.
Each round invites ``--per-round`` new friends by email (``invitations.invite_by_email``:
fraud checks, the terms frozen into the invitation, the referral opened, the audit entry,
the invitation email queued) for a referrer of A and one of B, in an order that alternates
between rounds; the ratio of the round is (A's invitations per second) / (B's). Prints the
median of the per-round ratios (target >= 0.95). Celery is not eager and its broker is
``memory://``: the request side is what is measured. Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import BenchRun, interleaved, load_average, ratio_table, say  # noqa: E402

TARGET = 0.95


HISTORY_SQL = """
WITH friends AS (
    INSERT INTO parrain_contact (program_id, email, email_normalized, email_canonical, phone,
        first_name, last_name, language, is_customer, consent_source, created_at, share_name)
    SELECT %(program)s, e.email, e.email, e.email, '', '', '', 'fr', false, '',
        now() - interval '800 days', ''
    FROM generate_series(1, %(count)s) g,
        LATERAL (SELECT 'h' || g || '@p' || %(program)s || '.example' AS email) e
    RETURNING id
)
INSERT INTO parrain_invitation (program_id, referrer_id, referee_id, channel, issued_at,
    referrer_terms)
SELECT %(program)s, %(referrer)s, id, 'email', now() - random() * interval '730 days', '{}'
FROM friends
"""


def make_program(slug: str, args: argparse.Namespace, running: bool) -> tuple[Any, Any]:
    from django.db import connection
    from django.utils import timezone

    from parrain.core.factories import ProgramFactory, verified_referrer
    from parrain.core.models import Boost, RewardRule
    from parrain.core.models.choices import RewardKind, Side

    program = ProgramFactory(slug=slug, daily_invitation_cap=0)
    referrer = verified_referrer(program, f"referrer@{slug}.example")
    history = verified_referrer(program, f"history@{slug}.example")
    with connection.cursor() as cursor:
        cursor.execute(
            HISTORY_SQL, {"program": program.pk, "referrer": history.pk, "count": args.history}
        )
    now = timezone.now()
    week = timedelta(days=7)
    starts = [now - (n + 1) * week for n in range(args.past_boosts)]
    if running:
        starts.append(now - timedelta(hours=1))
    rules = RewardRule.objects.bulk_create(
        RewardRule(program=program, side=Side.REFERRER, kind=RewardKind.FIXED_AMOUNT, value=20)
        for _ in starts
    )
    welcome = RewardRule.objects.bulk_create(
        RewardRule(program=program, side=Side.REFEREE, kind=RewardKind.PERCENTAGE, value=25)
        for _ in starts
    )
    Boost.objects.bulk_create(
        Boost(
            program=program,
            name=f"Boost {n}",
            labels={"fr": "Récompense doublée", "en": "Double reward"},
            starts_at=start,
            ends_at=start + timedelta(days=3),
            referrer_rule=rule,
            referee_rule=offer,
        )
        for n, (start, rule, offer) in enumerate(zip(starts, rules, welcome, strict=True))
    )
    return program, referrer


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def invite_round(referrer: Any, tag: str, count: int) -> float:
    from parrain.core.services.invitations import invite_by_email

    emails = [f"{tag}-{n}@friends.example" for n in range(count)]
    began = time.perf_counter()
    for email in emails:
        outcome = invite_by_email(referrer, [email])[0]
        assert outcome.invited, outcome.reason
    return count / (time.perf_counter() - began)


def check_terms(boosted: Any, normal: Any) -> None:
    from parrain.core.models import Invitation

    a = Invitation.objects.filter(referrer=boosted).latest("pk").referrer_terms
    b = Invitation.objects.filter(referrer=normal).latest("pk").referrer_terms
    assert a["source"] == "boost" and Decimal(a["value"]) == 20, a
    assert b["source"] == "rule" and Decimal(b["value"]) == 10, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=40)
    parser.add_argument("--history", type=int, default=200_000)
    parser.add_argument("--past-boosts", type=int, default=300)
    args = parser.parse_args()
    # memory:// broker: the invitation emails are queued, never sent (the request side).
    with BenchRun("boost", memory_broker=True) as run:
        run.setup_django()
        say(load_average())
        boosted_program, boosted = make_program("bench-boosted", args, running=True)
        _normal_program, normal = make_program("bench-normal", args, running=False)
        analyse()
        say(f"{args.history} past invitations and {args.past_boosts} past boosts per program")
        invite_round(boosted, "warm-a", 10)
        invite_round(normal, "warm-b", 10)
        rounds = iter(range(10**9))
        rates = interleaved(
            {
                "no boost": lambda: invite_round(normal, f"b{next(rounds)}", args.per_round),
                "boost running": lambda: invite_round(boosted, f"a{next(rounds)}", args.per_round),
            },
            args.rounds,
        )
        check_terms(boosted, normal)
        say(f"\ninvitations per second, {args.per_round} a slice; target boost / none >= {TARGET}")
        ratio_table(rates, "no boost", TARGET, digits=1)
        say(load_average())


if __name__ == "__main__":
    main()
