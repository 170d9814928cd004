"""Benchmark: the scenario engine's sending rate against a bare SMTP loop, and a trigger's cost.

    .venv/bin/python bench/scenarios.py [--emails 100000] [--rounds 5] [--fire 5000]
        [--calls 300] [--sample 1000] [--quick] [--only send|trigger]

Runs on ``bench/_harness.py``: a PostgreSQL database and a Redis prefix of its own
(``parrain_bench_scenarios_<pid>_<random>``), created and migrated at the start, and only
those dropped at the end. An SMTP server (``aiosmtpd``, counting and discarding what it
receives) runs on loopback in a process of its own, so that neither side measured pays for
it with its own time. Celery is not eager and its broker is ``memory://``: what a trigger
queues is published, never run by the request. Nothing is written into the repository.

(a) Scheduling and sending ``--emails`` due emails (default 100,000): one program with one
    "became a customer" solicitation step, ``--emails`` + ``--fire`` customers (half of them
    sent a message 3 days ago, so the pressure rules read a real history), none of them
    scheduled yet. Then ``--rounds`` rounds, each measuring in rotating order
    (``_harness.interleaved``):

    * bare smtplib: ``emails / rounds`` pre-rendered messages (``--sample`` of the same
      messages composed beforehand, sent in turn) through one ``smtplib`` connection;
    * fire_many + engine send_due: the round's ``emails / rounds`` customers scheduled in
      bulk as a customer-file import or an API sync schedules them (the import's
      ``_fire_became_customer``: their rows read, ``scenarios.fire_many``, its
      ``on_commit`` work included, in one transaction; timed), then as many due messages
      sent by the loop a Celery worker runs (``engine.send_due`` batches, called in this
      process: one worker; the engine's own sending thread included; timed apart);
    * fire() per customer: ``fire / rounds`` other customers scheduled one
      ``scenarios.fire`` call each, each in its own transaction (a request's, its
      ``on_commit`` work included); their messages are sent by the following rounds.

    Per round, ratios to the bare loop: sending alone (send_due / bare); scheduling +
    sending (one message's fire_many time plus its send_due time, against bare: target
    >= 0.5); and, labelled apart, one fire() call per message plus its send_due time (what
    scheduling each message in a request of its own would cost). Printed: the median rate
    of each and the median of the per-round ratios.
(b) The cost a trigger adds to the request that fires it: ``scenarios.fire`` for an
    invitation with the default scenario (inside a transaction, its ``on_commit`` work
    included), median and p95 per call over ``--calls``; and ``invitations.invite_by_email``
    for a program with the default scenario against one with no step, call by call
    alternating: the difference of the medians (target <= 2 ms). With Redis as the broker,
    add its round trip for messages due at once.
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import socket
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._harness import BenchRun, interleaved, load_average, ratio_table, say  # noqa: E402

SLUG = "bench-scenarios"
SEND_TARGET = 0.5
TRIGGER_TARGET_MS = 2.0
QUICK = {"count": 5_000, "rounds": 3, "fire": 500, "calls": 60, "sample": 200}
WARM_UP = 200

# What the run's settings add to the harness's (the sandbox's): the loopback SMTP server,
# and Celery publishing to memory instead of running tasks eagerly.
EXTRA_SETTINGS = """
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = {port}
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = False
"""


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


def customers(program: Any, args: argparse.Namespace) -> list[int]:
    """Write ``--emails`` + ``--fire`` + the warm-up's customers and their history, no
    message scheduled yet; returns their ids, oldest first."""
    from django.db import connection

    from parrain.core.models import Contact

    count = args.count + args.fire + 2 * WARM_UP + args.sample
    params = {"program": program.pk, "count": count}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(CONTACTS_SQL, params)
        cursor.execute(HISTORY_SQL, params)
        cursor.execute("ANALYZE parrain_contact")
        cursor.execute("ANALYZE parrain_scheduledmessage")
    say(f"  {count:,} customers and their history written in {time.perf_counter() - started:.1f}s")
    ids = Contact.objects.filter(program=program).order_by("pk").values_list("pk", flat=True)
    return list(ids)


def fire_many_round(program: Any, ids: list[int]) -> float:
    """The customers ``ids`` scheduled as an import or an API sync schedules the contacts
    it made customers (one transaction, its ``on_commit`` work included); the seconds."""
    from django.db import transaction

    from parrain.core.importing.engine import _fire_became_customer

    started = time.perf_counter()
    with transaction.atomic():
        _fire_became_customer(program, ids)
    return time.perf_counter() - started


def fire_round(program: Any, ids: list[int]) -> float:
    """``fire`` for each customer, each in its own transaction (a request's); the seconds
    per call."""
    from django.db import transaction

    from parrain.core.models import Contact
    from parrain.core.models.choices import Recipient, Trigger
    from parrain.core.services.scenarios import fire

    contacts = list(Contact.objects.filter(pk__in=ids).order_by("pk"))
    started = time.perf_counter()
    for contact in contacts:
        with transaction.atomic():
            fire(
                program,
                Trigger.BECAME_CUSTOMER,
                subject=contact,
                people={Recipient.CONTACT: contact},
            )
    return (time.perf_counter() - started) / max(1, len(contacts))


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


BARE, ENGINE = "bare smtplib, pre-rendered", "engine send_due, 1 worker"
BOTH, EACH = "fire_many + send_due", "fire() per customer + send_due"


def measure_sending(args: argparse.Namespace, server: SmtpServer) -> None:
    from parrain.core.models import ScheduledMessage
    from parrain.core.models.choices import MessageStatus

    say(f"\n(a) scheduling and sending {args.count:,} due emails to a loopback SMTP server")
    program, _step = make_sending_program(args)
    ids = customers(program, args)
    warm, ids = ids[: WARM_UP + args.sample], ids[WARM_UP + args.sample :]
    fired, ids = ids[: WARM_UP + args.fire], ids[WARM_UP + args.fire :]
    # Warm-up: templates compiled, connections open; the sample for the bare loop.
    fire_many_round(program, warm)
    fire_round(program, fired[:WARM_UP])
    rendered = prerender(program, args.sample)
    engine_round(WARM_UP, server)
    bare_round(WARM_UP, rendered, server)
    per_round = len(ids) // args.rounds
    per_fire = (len(fired) - WARM_UP) // args.rounds
    batches = iter(ids[n * per_round : (n + 1) * per_round] for n in range(args.rounds))
    singles = iter(
        fired[WARM_UP + n * per_fire : WARM_UP + (n + 1) * per_fire] for n in range(args.rounds)
    )
    scheduled: list[float] = []  # fire_many's seconds per message, by round
    fire_seconds: list[float] = []  # fire()'s seconds per call, by round

    def engine() -> float:
        batch = next(batches)
        scheduled.append(fire_many_round(program, batch) / len(batch))
        seconds, sent = engine_round(per_round, server)
        return sent / seconds

    def bare() -> float:
        return per_round / bare_round(per_round, rendered, server)

    def single() -> float:
        fire_seconds.append(fire_round(program, next(singles)))
        return 1 / fire_seconds[-1]

    rates = interleaved({BARE: bare, ENGINE: engine, "fire()": single}, args.rounds)
    fire_rates = rates.pop("fire()")
    # Per round: one message scheduled (by fire_many, or by its own fire() call) and
    # sent by send_due, against bare.
    rates[BOTH] = [1 / (1 / sent + s) for sent, s in zip(rates[ENGINE], scheduled, strict=True)]
    if args.fire >= args.rounds:
        rates[EACH] = [
            1 / (1 / sent + 1 / one) for sent, one in zip(rates[ENGINE], fire_rates, strict=True)
        ]
    for n in range(args.rounds):
        each = (
            f", {rates[EACH][n] / rates[BARE][n]:.2f} (fire() per customer + sending)"
            if EACH in rates
            else ""
        )
        say(
            f"  round {n + 1}: bare {rates[BARE][n]:5.0f}/s, send_due {rates[ENGINE][n]:5.0f}/s,"
            f" fire_many {1 / scheduled[n]:6.0f}/s, fire() {fire_rates[n]:5.0f}/s; ratios"
            f" {rates[ENGINE][n] / rates[BARE][n]:.2f} (sending),"
            f" {rates[BOTH][n] / rates[BARE][n]:.2f} (fire_many + sending){each}"
        )
    left = ScheduledMessage.objects.filter(program=program, status=MessageStatus.PENDING)
    say(f"  still waiting after the rounds: {left.count():,} (fire()'s and the rounds' remainder)")
    say(f"  {load_average()}")
    rows = {row["path"]: row for row in ratio_table(rates, BARE, SEND_TARGET)}
    say(
        f"  fire_many per message scheduled ({per_round:,} customers a call, on_commit"
        f" included): median {statistics.median(scheduled) * 1000:.3f} ms over {args.rounds}"
        " rounds"
    )
    if fire_seconds and args.fire >= args.rounds:
        say(
            f"  fire() per customer (own transaction, on_commit included): median"
            f" {statistics.median(fire_seconds) * 1000:.2f} ms over {args.rounds} rounds"
        )
    each = (
        f"; fire() per customer + sending {rows[EACH]['ratio']:.2f} (one request per message)"
        if EACH in rows
        else ""
    )
    say(
        f"  ratio to bare smtplib (median of the rounds): sending {rows[ENGINE]['ratio']:.2f},"
        f" scheduling (fire_many) + sending {rows[BOTH]['ratio']:.2f} (target >= {SEND_TARGET})"
        f"{each}"
    )


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
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds in (a)")
    parser.add_argument(
        "--fire", type=int, default=5_000, help="customers scheduled one fire() call each"
    )
    parser.add_argument("--calls", type=int, default=300, help="trigger calls timed in (b)")
    parser.add_argument("--sample", type=int, default=1_000, help="pre-rendered messages")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--only", choices=["send", "trigger"], help="run (a) or (b) alone")
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    args.fire = max(0, args.fire)
    if args.count < args.rounds * 10:
        parser.error("--emails: at least 10 a round")
    return args


def main() -> None:
    args = parse()
    say(load_average())
    server = SmtpServer()
    try:
        with BenchRun("scenarios", extra_settings=EXTRA_SETTINGS.format(port=server.port)) as run:
            say("migrating…")
            run.setup_django()
            if args.only != "trigger":
                measure_sending(args, server)
            if args.only != "send":
                measure_trigger(args)
    finally:
        server.stop()
    say(load_average())


if __name__ == "__main__":
    main()
