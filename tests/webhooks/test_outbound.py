"""Outbound events: real HTTP to a receiver thread on loopback, verified with the reference
``standardwebhooks`` library; retries on the Standard Webhooks schedule, 410, Retry-After,
endpoints failing for days, no redirects, timeouts, and the private-address guard."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from standardwebhooks.webhooks import Webhook

from parrain.core.services.enrolment import enrol_referrer
from parrain.core.services.registration import register_referee
from parrain.plugins.generic_webhook.admin import OutboundEndpointForm
from parrain.plugins.generic_webhook.http_client import UnsafeTarget, check_target
from parrain.plugins.generic_webhook.models import (
    MessageStatus,
    OutboundEndpoint,
    OutboundMessage,
)
from parrain.plugins.generic_webhook.outbound import delivery
from parrain.plugins.generic_webhook.outbound.receivers import emit
from parrain.plugins.generic_webhook.tasks import deliver_message

from .receiver import Answer, free_port, running_receiver

pytestmark = pytest.mark.django_db


def hook(program, url: str, **fields) -> OutboundEndpoint:
    return OutboundEndpoint.objects.create(program=program, url=url, **fields)


def verified(request, secret: str) -> dict:
    """What a shop's server does: the reference library checks the signature and the time."""
    return Webhook(secret).verify(request.body, request.headers)


def test_referral_events_reach_the_receiver_signed_per_standard_webhooks(
    program, receiver, django_capture_on_commit_callbacks
):
    endpoint = hook(program, f"{receiver.url}/hook")
    alice = enrol_referrer(program, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        registration = register_referee(program, alice.code, "bob@example.org")
    payloads = [verified(r, endpoint.secret) for r in receiver.requests]
    assert [p["type"] for p in payloads] == [
        "referral.invited",
        "referral.registered",
        "reward.issued",
    ]
    reward = payloads[2]["data"]
    assert reward["code"] == registration.reward.code
    assert (reward["side"], reward["kind"], reward["value"]) == ("referee", "percentage", "15.00")
    assert reward["recipient"]["email"] == "bob@example.org"
    assert payloads[1]["data"]["referrer"]["referrer_code"] == alice.code
    assert all(set(p) == {"type", "timestamp", "data"} for p in payloads)
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids == list(OutboundMessage.objects.order_by("pk").values_list("msg_id", flat=True))
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {
        MessageStatus.DELIVERED
    }


def test_endpoint_gets_only_the_event_types_it_chose(
    program, receiver, django_capture_on_commit_callbacks
):
    endpoint = hook(program, f"{receiver.url}/hook", event_types=["reward.issued"])
    alice = enrol_referrer(program, "alice@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        register_referee(program, alice.code, "bob@example.org")
    assert [verified(r, endpoint.secret)["type"] for r in receiver.requests] == ["reward.issued"]


def test_nothing_leaves_before_commit(program, receiver, django_capture_on_commit_callbacks):
    hook(program, f"{receiver.url}/hook")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        emit(program, "reward.issued", {"id": 1})
    assert receiver.requests == []
    assert OutboundMessage.objects.get().status == MessageStatus.PENDING
    for callback in callbacks:
        callback()
    assert len(receiver.requests) == 1


def test_receiver_down_for_a_while_then_delivered_on_schedule(program, allow_loopback):
    # Given an endpoint whose server is down
    port = free_port()
    endpoint = hook(program, f"http://127.0.0.1:{port}/hook")
    message = emit(program, "reward.issued", {"id": 7})[0]
    start = timezone.now()
    # When the first attempt fails, the next is due 5 seconds later, not before
    assert delivery.attempt(message.pk, start) is not None
    message.refresh_from_db()
    assert message.next_attempt_at == start + timedelta(seconds=5)
    assert delivery.retry_due(start + timedelta(seconds=4)) == 0
    assert delivery.retry_due(start + timedelta(seconds=5)) == 1  # fails again
    message.refresh_from_db()
    assert message.next_attempt_at == start + timedelta(seconds=5 + 300)
    # Then the server comes back and the 5-minute retry delivers it, same webhook-id
    with running_receiver(port) as receiver:
        assert delivery.retry_due(start + timedelta(seconds=305)) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    assert verified(receiver.requests[0], endpoint.secret)["data"] == {"id": 7}
    assert receiver.requests[0].headers["webhook-id"] == message.msg_id
    attempts = list(message.attempts.values_list("status_code", "succeeded"))
    assert attempts == [(None, False), (None, False), (200, True)]
    assert "ConnectError" in message.attempts.first().error
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_schedule_used_up_marks_the_message_failed(program, receiver):
    hook(program, f"{receiver.url}/hook")
    receiver.default = Answer(500, body=b"boom")
    message = emit(program, "reward.issued", {"id": 1})[0]
    now = timezone.now()
    delays = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    for delay in delays:
        now += timedelta(seconds=delay)
        assert delivery.attempt(message.pk, now) is not None
    message.refresh_from_db()
    assert (message.status, message.attempt_count) == (MessageStatus.FAILED, 8)
    assert len(receiver.requests) == 8
    assert message.attempts.last().response_excerpt == "boom"


def test_410_disables_the_endpoint(program, receiver):
    endpoint = hook(program, f"{receiver.url}/hook")
    receiver.default = Answer(410)
    message = emit(program, "reward.issued", {"id": 1})[0]
    delivery.attempt(message.pk)
    endpoint.refresh_from_db()
    message.refresh_from_db()
    assert not endpoint.is_active
    assert "410 Gone" in endpoint.disabled_reason
    assert message.status == MessageStatus.FAILED
    assert emit(program, "reward.issued", {"id": 2}) == []  # a disabled endpoint gets nothing


def test_retry_after_is_honoured(program, receiver):
    hook(program, f"{receiver.url}/hook")
    receiver.answers = [Answer(429, {"Retry-After": "120"})]
    message = emit(program, "reward.issued", {"id": 1})[0]
    now = timezone.now()
    delivery.attempt(message.pk, now)
    message.refresh_from_db()
    assert message.next_attempt_at == now + timedelta(seconds=120)  # not the usual 5 s
    assert delivery.retry_due(now + timedelta(seconds=6)) == 0


def test_endpoint_failing_for_days_is_disabled_with_the_reason(program, receiver):
    endpoint = hook(program, f"{receiver.url}/hook")
    receiver.default = Answer(503)
    message = emit(program, "reward.issued", {"id": 1})[0]
    now = timezone.now()
    OutboundEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - timedelta(days=5))
    with translation.override("en"):
        assert delivery.attempt(message.pk, now) is not None
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "5 days" in endpoint.disabled_reason


def test_redirects_are_not_followed(program, receiver):
    hook(program, f"{receiver.url}/hook")
    receiver.answers = [Answer(302, {"Location": f"{receiver.url}/elsewhere"})]
    message = emit(program, "reward.issued", {"id": 1})[0]
    delivery.attempt(message.pk)
    assert [r.path for r in receiver.requests] == ["/hook"]
    assert message.attempts.get().status_code == 302
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING


def test_slow_receiver_times_out(program, receiver, settings):
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": True, "READ_TIMEOUT": 0.2}
    hook(program, f"{receiver.url}/hook")

    def slow(request):
        time.sleep(0.6)
        return Answer(200)

    receiver.handler = slow
    message = emit(program, "reward.issued", {"id": 1})[0]
    delivery.attempt(message.pk)
    assert "ReadTimeout" in message.attempts.get().error


def test_replay_sends_the_same_message_again(program, receiver):
    endpoint = hook(program, f"{receiver.url}/hook")
    message = emit(program, "reward.issued", {"id": 1})[0]
    deliver_message(message.pk)
    delivery.replay(message)
    deliver_message(message.pk, force=True)
    assert [r.headers["webhook-id"] for r in receiver.requests] == [message.msg_id] * 2
    assert all(verified(r, endpoint.secret)["data"] == {"id": 1} for r in receiver.requests)
    assert message.attempts.count() == 2


def test_loopback_and_private_targets_are_refused_outside_debug(program, receiver, settings):
    settings.PARRAIN_WEBHOOKS = {"ALLOW_PRIVATE_TARGETS": False}
    hook(program, f"{receiver.url}/hook")
    message = emit(program, "reward.issued", {"id": 1})[0]
    with translation.override("en"):
        delivery.attempt(message.pk)
    assert receiver.requests == []
    assert "private or loopback" in message.attempts.get().error
    for url in (
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
        "http://[::1]:8000/",
        "ftp://x.example/",
    ):
        with pytest.raises(UnsafeTarget):
            check_target(url)
    check_target("https://93.184.215.14/hook")  # a public address is fine
    form = OutboundEndpointForm(
        data={
            "program": program.pk,
            "url": "http://192.168.1.10/hook",
            "secret": "whsec_" + "a" * 44,
            "is_active": True,
        }
    )
    assert not form.is_valid() and "url" in form.errors


def test_with_a_worker_the_retry_is_scheduled_at_the_next_attempt(program, receiver, monkeypatch):
    hook(program, f"{receiver.url}/hook")
    receiver.default = Answer(503)
    message = emit(program, "reward.issued", {"id": 1})[0]
    scheduled = []
    monkeypatch.setitem(deliver_message.app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        deliver_message, "apply_async", lambda args, eta: scheduled.append((args, eta))
    )
    assert deliver_message(message.pk) == MessageStatus.PENDING
    message.refresh_from_db()
    assert scheduled == [((message.pk,), message.next_attempt_at)]


def test_old_logs_are_purged_but_pending_messages_are_kept(client, program, allow_loopback):
    from parrain.plugins.generic_webhook.models import InboundDelivery

    hook(program, "http://127.0.0.1:9/hook")
    pending, finished = (
        emit(program, "reward.issued", {"id": 1})[0],
        emit(program, "reward.issued", {"id": 2})[0],
    )
    OutboundMessage.objects.filter(pk=finished.pk).update(status=MessageStatus.DELIVERED)
    from parrain.plugins.generic_webhook.models import InboundEndpoint

    InboundEndpoint.objects.create(program=program, source="generic")
    client.post("/webhooks/in/boutique/generic/", data=b"{}", content_type="application/json")
    assert InboundDelivery.objects.count() == 1
    assert delivery.purge_logs(timezone.now() + timedelta(days=29)) == 0
    assert delivery.purge_logs(timezone.now() + timedelta(days=31)) == 2
    assert list(OutboundMessage.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not InboundDelivery.objects.exists()


def test_each_attempt_is_announced_with_its_result_for_metrics(program, receiver):
    """``delivery_attempted`` (the standalone service counts it in
    ``parrain_webhook_deliveries_total``): a failure to retry, then a delivery."""
    from parrain.plugins.generic_webhook.signals import delivery_attempted

    seen = []

    def note(sender, message, status_code, result, **kwargs):
        seen.append((status_code, result))

    delivery_attempted.connect(note)
    try:
        hook(program, f"{receiver.url}/hook")
        receiver.answers = [Answer(503)]
        message = emit(program, "reward.issued", {"id": 1})[0]
        now = timezone.now()
        delivery.attempt(message.pk, now)
        delivery.attempt(message.pk, now + timedelta(minutes=1))
    finally:
        delivery_attempted.disconnect(note)
    assert seen == [(503, "retrying"), (200, "delivered")]
