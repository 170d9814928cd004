"""Benchmark: the scenario engine's sending rate against a bare SMTP loop, and a trigger's cost.

    .venv/bin/python bench/scenarios.py [--emails 100000] [--rounds 5] [--fire 5000]
        [--calls 300] [--sample 1000] [--quick] [--only send|trigger]
        [--keep | --database NAME]

Uses the local PostgreSQL (127.0.0.1:5432, user postgres) and a database of its own,
``parrain_bench_scenarios_<pid>``: created and migrated at the start, dropped at the end
unless ``--keep`` is given (its name is printed); ``--database NAME`` reuses a kept one
(the messages are written again) and never drops it. An SMTP server (``aiosmtpd``, counting
and discarding what it receives) runs on loopback in a process of its own, so that neither
side measured pays for it with its own time. Nothing is written into the repository.

(a) Sending ``--count`` due emails (default 100,000): one program with the default scenario
    plus one "became a customer" solicitation step, ``--count`` customers (half of them
    sent a message 3 days ago, so the pressure rules read a real history), and one due
    message each. ``--fire`` of them are scheduled through ``scenarios.fire`` (timed: the
    scheduling rate), the others written set-based. Then, in ``--rounds`` alternating
    rounds, the same worker loop a Celery worker runs (``engine.send_due`` batches, called
    in this process: one worker, no broker; the engine's own sending thread included) sends
    ``count / rounds`` messages, and a bare
    ``smtplib`` loop on one connection sends as many pre-rendered messages (``--sample`` of
    the same messages composed beforehand, sent in turn). Prints each side's rate and the
    ratio engine / bare (target ≥ 0.5), with and without the scheduling time.
(b) The cost a trigger adds to the request that fires it: ``scenarios.fire`` for an
    invitation with the default scenario (inside a transaction, its ``on_commit`` work
    included), median and p95 per call over ``--calls``; and ``invitations.invite_by_email``
    for a program with the default scenario against one with no step, in alternating
    rounds: the difference of the medians (target ≤ 2 ms). Celery is not eager and its
    broker is ``memory://``: what is measured is the request side (with Redis as the broker
    add its round trip for messages due at once).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import smtplib
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = "host=127.0.0.1 port=5432 user=postgres"
SLUG = "bench-scenarios"
SEND_TARGET = 0.5
TRIGGER_TARGET_MS = 2.0
QUICK = {"count": 5_000, "rounds": 3, "fire": 500, "calls": 60, "sample": 200}


def say(message: str) -> None:
    print(message, flush=True)


def load_average() -> str:
    return ", ".join(f"{n:.1f}" for n in os.getloadavg())


# The SMTP server ---------------------------------------------------------------------------


def serve_smtp(port: int, ready: Any, received: Any) -> None:
    """An aiosmtpd server counting what it receives (in its own process)."""
    import asyncio

    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
            received.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    try:
        asyncio.run(asyncio.sleep(10**9))
    finally:
        controller.stop()


class SmtpServer:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        context = multiprocessing.get_context("spawn")
        self.received = context.Value("q", 0, lock=False)
        ready = context.Event()
        self.process = context.Process(
            target=serve_smtp, args=(self.port, ready, self.received), daemon=True
        )
        self.process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP server did not start")

    def count(self) -> int:
        return int(self.received.value)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(10)


# The database ------------------------------------------------------------------------------


def database(args: argparse.Namespace) -> str:
    return args.database or f"parrain_bench_scenarios_{os.getpid()}"


def create_database(name: str) -> bool:
    """Create ``name`` unless it exists; True when this run created it (and may drop it)."""
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    say(f"created database {name}")
    return True


def drop_database(name: str) -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG} dbname=test", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    say(f"dropped database {name}")


def setup_django(name: str, smtp_port: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    os.environ["PARRAIN_DB"] = "postgres"
    os.environ["PGDATABASE"] = name
    # Not eager: what a trigger queues is published, never run inside the request (see (b)).
    os.environ["CELERY_BROKER_URL"] = "memory://"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    say("migrating…")
    call_command("migrate", verbosity=0)


# (a) Sending -------------------------------------------------------------------------------

CONTACTS_SQL = """
INSERT INTO parrain_contact (program_id, email, email_normalized, email_canonical, phone,
    first_name, last_name, share_name, language, referrer_code, is_customer, consent_recontact,
    consent_source, created_at, tags)
SELECT %(program)s, 'c' || g || '@bench.example', 'c' || g || '@bench.example',
    'c' || g || '@bench.example', '', 'Camille', '', '', CASE WHEN g %% 2 = 0 THEN 'fr' ELSE 'en'
    END, 'S' || g, true, true, 'bench', now() - interval '60 days', '[]'
FROM generate_series(1, %(count)s) g
"""
# Half the customers were sent a solicitation 3 days ago: within the 7-day cap's window,
# past the minimum gap, so the message still leaves but the pressure rules read it.
HISTORY_SQL = """
INSERT INTO parrain_scheduledmessage (program_id, step_id, contact_id, kind, channel,
    subject_type, subject_id, context, dedupe_key, created_at, due_at, status, delayed_by,
    reason, error, attempts, "to", subject_line, provider_id, sent_at)
SELECT c.program_id, NULL, c.id, 'review_request', 'email', 'contact', c.id, '{}',
    'history:' || c.id, now() - interval '3 days', now() - interval '3 days', 'sent', '', '',
    '', 1, c.email, 'Earlier', '', now() - interval '3 days'
FROM parrain_contact c WHERE c.program_id = %(program)s AND c.id %% 2 = 0
"""
MESSAGES_SQL = """
INSERT INTO parrain_scheduledmessage (program_id, step_id, contact_id, kind, channel,
    subject_type, subject_id, context, dedupe_key, created_at, due_at, status, delayed_by,
    reason, error, attempts, "to", subject_line, provider_id)
SELECT c.program_id, %(step)s, c.id, %(kind)s, 'email', 'contact', c.id, '{}',
    's' || %(step)s || ':' || c.id || ':contact:' || c.id, now(), now() - interval '1 minute',
    'pending', '', '', '', 0, '', '', ''
FROM parrain_contact c
WHERE c.program_id = %(program)s AND c.id NOT IN (
    SELECT m.contact_id FROM parrain_scheduledmessage m WHERE m.step_id = %(step)s)
"""


def make_sending_program(args: argparse.Namespace) -> tuple[Any, Any]:
    from parrain.core.models import Program, ScenarioStep
    from parrain.core.models.choices import MessageChannel, MessageKind, Recipient, Trigger

    Program.objects.filter(slug=SLUG).delete()
    program = Program.objects.create(
        name="Bench scenarios",
        slug=SLUG,
        currency="EUR",
        quiet_hours_start=None,  # the bench runs at any hour: no message waits for morning
        quiet_hours_end=None,
        legal_footer={"fr": "Bench SAS, 1 rue du Test, Paris", "en": "Bench Ltd, London"},
        shop_address="1 rue du Test, 75001 Paris",
    )
    step = ScenarioStep.objects.create(
        program=program,
        trigger=Trigger.BECAME_CUSTOMER,
        kind=MessageKind.INCITATION,
        recipient=Recipient.CONTACT,
        channel=MessageChannel.EMAIL,
        delay_amount=0,
    )
    return program, step


def schedule(program: Any, step: Any, args: argparse.Namespace) -> float:
    """Write the customers and their due messages; returns the seconds per ``fire`` call."""
    from django.db import connection, transaction

    from parrain.core.models import Contact
    from parrain.core.models.choices import Recipient, Trigger
    from parrain.core.services.scenarios import fire

    params = {"program": program.pk, "step": step.pk, "kind": step.kind, "count": args.count}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(CONTACTS_SQL, params)
        cursor.execute(HISTORY_SQL, params)
    say(f"  {args.count:,} customers and their history in {time.perf_counter() - started:.1f}s")
    fired = list(Contact.objects.filter(program=program).order_by("pk")[: args.fire])
    spent = 0.0
    for n, contact in enumerate(fired, 1):
        began = time.perf_counter()
        with transaction.atomic():
            fire(
                program,
                Trigger.BECAME_CUSTOMER,
                subject=contact,
                people={Recipient.CONTACT: contact},
            )
        spent += time.perf_counter() - began
        if n % 1000 == 0:
            say(f"  fire: {n:,}/{len(fired):,}…")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(MESSAGES_SQL, params)
        written = cursor.rowcount
        cursor.execute("ANALYZE parrain_contact")
        cursor.execute("ANALYZE parrain_scheduledmessage")
    say(
        f"  {len(fired):,} scheduled by fire() in {spent:.1f}s, {written:,} set-based in"
        f" {time.perf_counter() - started:.1f}s"
    )
    return spent / max(1, len(fired))


def prerender(program: Any, sample: int) -> list[tuple[str, str, bytes]]:
    """``sample`` of the due messages as the engine would send them: (from, to, bytes)."""
    from django.conf import settings

    from parrain.core.conf import parrain_settings
    from parrain.core.messaging.email import email_message
    from parrain.core.messaging.templates import compose
    from parrain.core.models import ScheduledMessage
    from parrain.core.models.choices import MessageStatus

    sender = parrain_settings.DEFAULT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    rendered = []
    due = ScheduledMessage.objects.filter(program=program, status=MessageStatus.PENDING)
    for message in due.select_related("program", "contact", "step").order_by("due_at")[:sample]:
        composed = compose(message)
        email = email_message(composed, sender=sender)
        rendered.append((email.from_email, composed.to, email.message().as_bytes(linesep="\r\n")))
    size = statistics.mean(len(raw) for _f, _t, raw in rendered)
    say(f"  {len(rendered):,} messages pre-rendered for the bare loop ({size / 1024:.1f} KiB each)")
    return rendered


def engine_round(quota: int, server: SmtpServer) -> tuple[float, int]:
    """The worker's loop: ``send_due`` batches until ``quota`` messages left."""
    from parrain.core.messaging.engine import send_due

    before = server.count()
    sent = 0
    started = time.perf_counter()
    while sent < quota:
        counts = send_due(limit=min(quota - sent, 500))
        if not counts.sent:
            break
        sent += counts.sent
    seconds = time.perf_counter() - started
    arrived = server.count() - before
    assert arrived == sent, f"the engine said {sent} sent, the server received {arrived}"
    return seconds, sent


def bare_round(quota: int, rendered: list[tuple[str, str, bytes]], server: SmtpServer) -> float:
    """``quota`` pre-rendered messages through one ``smtplib`` connection."""
    from django.conf import settings

    before = server.count()
    started = time.perf_counter()
    with smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT) as smtp:
        for n in range(quota):
            sender, to, raw = rendered[n % len(rendered)]
            smtp.sendmail(sender, [to], raw)
    seconds = time.perf_counter() - started
    assert server.count() - before == quota
    return seconds


def measure_sending(args: argparse.Namespace, server: SmtpServer) -> None:
    from parrain.core.models import ScheduledMessage
    from parrain.core.models.choices import MessageStatus

    say(f"\n(a) sending {args.count:,} due emails to a loopback SMTP server")
    program, step = make_sending_program(args)
    fire_seconds = schedule(program, step, args)
    rendered = prerender(program, args.sample)
    engine_round(200, server)  # warm-up: templates compiled, connections open
    bare_round(200, rendered, server)
    per_round = (args.count - 200) // args.rounds
    ratios, engine_spent, bare_spent, engine_sent = [], 0.0, 0.0, 0
    for n in range(args.rounds):
        sides: dict[str, float] = {}
        for side in ("engine", "bare") if n % 2 == 0 else ("bare", "engine"):
            if side == "engine":
                seconds, sent = engine_round(per_round, server)
                engine_spent, engine_sent = engine_spent + seconds, engine_sent + sent
                sides[side] = sent / seconds
            else:
                seconds = bare_round(per_round, rendered, server)
                bare_spent += seconds
                sides[side] = per_round / seconds
        ratios.append(sides["engine"] / sides["bare"])
        say(
            f"  round {n + 1}/{args.rounds}: engine {sides['engine']:7.0f}/s, bare smtplib"
            f" {sides['bare']:7.0f}/s, ratio {ratios[-1]:.2f}  (load {load_average()})"
        )
    left = ScheduledMessage.objects.filter(program=program, status=MessageStatus.PENDING)
    say(f"  still waiting after the rounds: {left.count():,} (the warm-up and the remainder)")
    engine_rate = engine_sent / engine_spent
    bare_rate = per_round * args.rounds / bare_spent
    with_fire = 1 / (1 / engine_rate + fire_seconds)
    median = statistics.median(ratios)
    say(f"  {'':32} {'msg/s':>8} {'ms each':>8} {'ratio':>6}")
    say(f"  {'bare smtplib, pre-rendered':32} {bare_rate:8.0f} {1000 / bare_rate:8.2f} {1:6.2f}")
    say(
        f"  {'engine (send_due, 1 worker)':32} {engine_rate:8.0f} {1000 / engine_rate:8.2f}"
        f" {engine_rate / bare_rate:6.2f}"
    )
    say(
        f"  {'engine incl. scheduling by fire':32} {with_fire:8.0f} {1000 / with_fire:8.2f}"
        f" {with_fire / bare_rate:6.2f}"
    )
    say(f"  fire() per message scheduled: {fire_seconds * 1000:.2f} ms")
    verdict = "OK" if median >= SEND_TARGET else "BELOW TARGET"
    say(f"  median ratio of the rounds, engine / bare: {median:.2f} (target ≥ {SEND_TARGET})")
    say(f"  {verdict}")


# (b) The cost of a trigger -----------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed_ms(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def trigger_programs() -> tuple[Any, Any, Any, Any]:
    """Two programs alike, one with the default scenario, one with no step; a referrer each."""
    from parrain.core.factories import ProgramFactory, verified_referrer
    from parrain.core.models import Program, ScenarioStep

    Program.objects.filter(slug__in=["bench-with-steps", "bench-without-steps"]).delete()
    with_steps = ProgramFactory(slug="bench-with-steps", daily_invitation_cap=0)
    without = ProgramFactory(slug="bench-without-steps", daily_invitation_cap=0)
    ScenarioStep.objects.filter(program=without).delete()
    assert ScenarioStep.objects.filter(program=with_steps, is_active=True).exists(), (
        "a new program has the default scenario"
    )
    return (
        with_steps,
        verified_referrer(with_steps, "referrer@with.example"),
        without,
        verified_referrer(without, "referrer@without.example"),
    )


def measure_fire(with_steps: Any, without: Any, referrer: Any, calls: int) -> None:
    """``fire`` for invitations made in the program without steps (so nothing was scheduled
    yet), as if each was just issued in the program with them."""
    from django.db import transaction

    from parrain.core.models import Invitation, ScheduledMessage
    from parrain.core.models.choices import Recipient, Trigger
    from parrain.core.services.invitations import invite_by_email
    from parrain.core.services.scenarios import fire

    for n in range(calls):
        invite_by_email(referrer, [f"fire-{n}@friends.example"])
    invitations = list(Invitation.objects.filter(referrer=referrer).select_related("referee"))
    before = ScheduledMessage.objects.count()

    def fire_one(invitation: Any) -> None:
        with transaction.atomic():
            fire(
                with_steps,
                Trigger.INVITATION_SENT,
                subject=invitation,
                people={Recipient.FRIEND: invitation.referee, Recipient.REFERRER: referrer},
            )

    timings = [timed_ms(lambda inv=inv: fire_one(inv)) for inv in invitations]
    scheduled = ScheduledMessage.objects.count() - before
    say(
        f"  fire(invitation sent), {len(timings)} calls, {scheduled} messages scheduled:"
        f" median {statistics.median(timings):.2f} ms, p95 {percentile(timings, 0.95):.2f} ms"
    )


def measure_trigger(args: argparse.Namespace) -> None:
    from parrain.core.services.invitations import invite_by_email

    say("\n(b) what a trigger adds to the request that fires it")
    with_steps, referrer, without, plain = trigger_programs()
    measure_fire(with_steps, without, plain, args.calls)
    tag = iter(range(10**9))

    def invite(who: Any) -> float:
        return timed_ms(lambda: invite_by_email(who, [f"i{next(tag)}@friends.example"]))

    for who in (referrer, plain) * 10:  # warm-up
        invite(who)
    # Call by call, alternating (and which goes first swapping each pair), so that a drift
    # of the machine's load weighs on both sides alike.
    timings: dict[str, list[float]] = {"with": [], "without": []}
    pairs: list[float] = []
    for n in range(args.calls):
        pair = [("with", referrer), ("without", plain)]
        measured = {key: invite(who) for key, who in (pair if n % 2 == 0 else pair[::-1])}
        for key, value in measured.items():
            timings[key].append(value)
        pairs.append(measured["with"] - measured["without"])
    medians = {key: statistics.median(values) for key, values in timings.items()}
    added = medians["with"] - medians["without"]
    say(f"  invite_by_email, {len(timings['with'])} calls each, alternating call by call:")
    for key, label in (("without", "no step"), ("with", "default scenario")):
        say(
            f"    {label:18} median {medians[key]:6.2f} ms, p95"
            f" {percentile(timings[key], 0.95):6.2f} ms"
        )
    say(f"  median of the pairs' differences: {statistics.median(pairs):.2f} ms")
    verdict = "OK" if added <= TRIGGER_TARGET_MS else "ABOVE TARGET"
    say(
        f"  added by the scenario (difference of the medians): {added:.2f} ms"
        f" (target ≤ {TRIGGER_TARGET_MS} ms) {verdict}"
    )


# Main --------------------------------------------------------------------------------------


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", "--emails", type=int, default=100_000, help="due emails to send")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds in (a)")
    parser.add_argument("--fire", type=int, default=5_000, help="of them scheduled by fire()")
    parser.add_argument("--calls", type=int, default=300, help="trigger calls timed in (b)")
    parser.add_argument("--sample", type=int, default=1_000, help="pre-rendered messages")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--only", choices=["send", "trigger"], help="run (a) or (b) alone")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", action="store_true", help="keep the database this run made")
    where.add_argument("--database", default="", help="reuse this (kept) database, never drop it")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    args.fire = min(args.fire, args.count)
    return args


def main() -> None:
    args = parse()
    say(f"load average: {load_average()} on {os.cpu_count()} CPUs")
    server = SmtpServer()
    name = database(args)
    created = create_database(name)
    try:
        setup_django(name, server.port)
        if args.only != "trigger":
            measure_sending(args, server)
        if args.only != "send":
            measure_trigger(args)
    finally:
        server.stop()
        if created and not args.keep:
            drop_database(name)
        elif created:
            say(f"kept database {name} (reuse it with --database {name})")
    say(f"load average: {load_average()}")


if __name__ == "__main__":
    main()
