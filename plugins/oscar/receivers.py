"""Receivers of Oscar's signals, connected in ParrainOscarConfig.ready().

Each one only enqueues a task after the transaction commits: checkout does no referral
work of its own, and a rolled-back order is never recorded.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models.signals import post_save
from django.utils.translation import gettext as _
from oscar.apps.basket.signals import voucher_addition
from oscar.apps.customer.signals import user_registered
from oscar.apps.order.signals import order_placed, order_status_changed

from .conf import CLICK_SESSION_KEY, SESSION_KEY, oscar_settings
from .middleware import current_request, session_referral_click, session_referral_code
from .models import REFUSED_NOT_RECIPIENT, REFUSED_OTHER_PROGRAM, refusal


def on_order_placed(sender: Any, order: Any, user: Any = None, **kwargs: Any) -> None:
    from .tasks import record_oscar_order

    request = current_request()
    code = session_referral_code(request)
    click = session_referral_click(request)
    if code and request is not None:
        request.session.pop(SESSION_KEY, None)  # one order per link click
        request.session.pop(CLICK_SESSION_KEY, None)
    order_id = order.pk
    transaction.on_commit(lambda: record_oscar_order.delay(order_id, code, link_click=click))


def on_order_status_changed(
    sender: Any, order: Any, old_status: str, new_status: str, **kwargs: Any
) -> None:
    from .tasks import record_oscar_refund

    if new_status in oscar_settings.CANCEL_STATUSES:
        order_id = order.pk
        transaction.on_commit(lambda: record_oscar_refund.delay(order_id, new_status))


def on_user_registered(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from .tasks import sync_oscar_customer

    code = session_referral_code(request)
    click = session_referral_click(request)
    user_id = user.pk
    transaction.on_commit(lambda: sync_oscar_customer.delay(user_id, code, link_click=click))


def on_voucher_addition(sender: Any, basket: Any, voucher: Any, **kwargs: Any) -> None:
    """Say why a referral voucher does not apply: another program's, or someone else's."""
    request = getattr(sender, "request", None)
    offer = voucher.offers.first()
    if request is None or offer is None:
        return
    reason = refusal(offer, basket)
    if reason == REFUSED_OTHER_PROGRAM:
        messages.warning(
            request,
            _("This code belongs to another referral program; it is not valid in this shop."),
        )
    elif reason == REFUSED_NOT_RECIPIENT:
        messages.warning(
            request,
            _(
                "This referral offer is reserved for the customer it was sent to; "
                "sign in with that account."
            ),
        )


def on_review_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    """An approved review by an account earns its ``review`` action (once: the task is
    idempotent, and a review already in the ledger is not even queued again: votes re-save
    it)."""
    from parrain.core.models import LoyaltyEntry

    from .sync import review_external_id
    from .tasks import record_oscar_review

    if not instance.is_approved or instance.user_id is None:
        return
    recorded = LoyaltyEntry.objects.filter(
        program__slug=oscar_settings.PROGRAM, external_id=review_external_id(instance.pk)
    )
    if recorded.exists():
        return
    review_id = instance.pk
    transaction.on_commit(lambda: record_oscar_review.delay(review_id))


REVIEW_UID = "parrain_oscar_review_saved"

RECEIVERS = (
    (order_placed, on_order_placed, "parrain_oscar_order_placed"),
    (order_status_changed, on_order_status_changed, "parrain_oscar_status"),
    (user_registered, on_user_registered, "parrain_oscar_registered"),
    (voucher_addition, on_voucher_addition, "parrain_oscar_voucher_added"),
)


def connect() -> None:
    for signal, receiver, uid in RECEIVERS:
        signal.connect(receiver, dispatch_uid=uid)
    if (review := review_model()) is not None:
        post_save.connect(on_review_saved, sender=review, dispatch_uid=REVIEW_UID)


def disconnect() -> None:
    """Unplug the plugin from Oscar's signals (tests and the benchmark compare with/without)."""
    for signal, _receiver, uid in RECEIVERS:
        signal.disconnect(dispatch_uid=uid)
    if (review := review_model()) is not None:
        post_save.disconnect(sender=review, dispatch_uid=REVIEW_UID)


def review_model() -> Any:
    """Oscar's (or the shop's forked) ProductReview, or None when the reviews app
    (``oscar.apps.catalogue.reviews``) is not installed."""
    from oscar.core.loading import get_model

    try:
        return get_model("reviews", "ProductReview")
    except LookupError:
        return None
