"""boost.started / boost.ended: sent once each by the periodic task, with a real worker."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from parrain.core.factories import ProgramFactory
from parrain.core.models import AuditEvent, Boost
from parrain.core.services import boosts
from parrain.core.tasks import announce_boosts
from parrain.plugins.generic_webhook.models import OutboundEndpoint, OutboundMessage
from tests.core.test_celery_worker import redis_broker, redis_worker, wait_for  # noqa: F401

from .boost_helpers import make_boost, paris

pytestmark = pytest.mark.django_db(transaction=True)


def _events() -> list[str]:
    return list(OutboundMessage.objects.order_by("pk").values_list("event_type", flat=True))


def test_each_event_once_however_often_the_task_runs() -> None:
    with time_machine.travel(paris(2026, 12, 1), tick=False):
        program = ProgramFactory(slug="shop")
        OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
        boost = make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8))
    assert boosts.announce_boosts(paris(2026, 12, 4, 23, 59)) == ([], [])
    started, ended = boosts.announce_boosts(paris(2026, 12, 5))
    assert [b.pk for b in started] == [boost.pk] and ended == []
    assert boosts.announce_boosts(paris(2026, 12, 6)) == ([], [])
    assert boosts.announce_boosts(paris(2026, 12, 8))[1][0].pk == boost.pk
    assert boosts.announce_boosts(paris(2026, 12, 9)) == ([], [])
    assert _events() == ["boost.started", "boost.ended"]
    data = OutboundMessage.objects.get(event_type="boost.started").payload["data"]
    assert data["id"] == boost.pk and data["program"] == "shop"
    assert data["referrer_reward"]["value"] == "20.00" and data["welcome_offer"] is None
    assert AuditEvent.objects.filter(action__in=["boost.started", "boost.ended"]).count() == 2


@pytest.mark.postgres
def test_two_processes_racing_announce_once() -> None:
    with time_machine.travel(paris(2026, 12, 1), tick=False):
        program = ProgramFactory()
        OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
        make_boost(program, paris(2026, 12, 5), paris(2026, 12, 8))
    barrier = threading.Barrier(4)
    results: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            started, _ended = boosts.announce_boosts(paris(2026, 12, 6))
            results.append(len(started))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 0, 0, 1]
    assert _events() == ["boost.started"]


@pytest.mark.redis
def test_real_worker_emits_started_and_ended_once(redis_worker) -> None:  # noqa: F811
    program = ProgramFactory()
    OutboundEndpoint.objects.create(program=program, url="https://shop.example/hook")
    now = timezone.now()
    boost = make_boost(program, now + timedelta(seconds=1), now + timedelta(seconds=3))
    time.sleep(1.2)
    for _ in range(3):  # every minute in production; several runs, even overlapping
        announce_boosts.delay()
    assert wait_for(lambda: Boost.objects.get().started_announced_at is not None)
    time.sleep(max(0.0, (boost.ends_at - timezone.now()).total_seconds()) + 0.2)
    for _ in range(3):
        announce_boosts.delay()
    assert wait_for(lambda: Boost.objects.get().ended_announced_at is not None)
    queue = redis_worker.connection_for_write().default_channel.client
    assert wait_for(lambda: queue.llen("celery") == 0)
    time.sleep(1)  # the last runs finish: they find nothing more to announce
    assert _events() == ["boost.started", "boost.ended"]
