"""The events Parrain sends and their ``data``; see docs/webhooks-reference.md."""

from __future__ import annotations

from typing import Any

from parrain.core.models import (
    BadgeHolding,
    Boost,
    ConsentRecord,
    Contact,
    ContactImport,
    Contest,
    ContestWinner,
    Referral,
    Reward,
)

REFERRAL_EVENTS = {
    "invited": "referral.invited",
    "registered": "referral.registered",
    "converted": "referral.converted",
    "review": "referral.held",
    "validated": "referral.validated",
    "rewarded": "referral.rewarded",
    "cancelled": "referral.cancelled",
}
BADGE_EVENTS = ("badge.awarded", "badge.lost")
CONTEST_EVENTS = ("contest.opened", "contest.drawn")
BOOST_EVENTS = ("boost.started", "boost.ended")
IMPORT_EVENTS = ("contacts.imported",)
CONSENT_EVENTS = ("consent.changed",)
EVENT_TYPES = sorted(
    {
        *REFERRAL_EVENTS.values(),
        "reward.issued",
        *BADGE_EVENTS,
        *CONTEST_EVENTS,
        *BOOST_EVENTS,
        *IMPORT_EVENTS,
        *CONSENT_EVENTS,
    }
)


def _when(value: Any) -> str | None:
    return value.isoformat() if value else None


def contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "email": contact.email,
        "external_id": contact.external_id,
        "first_name": contact.first_name,
        "referrer_code": contact.referrer_code,
    }


def referral_data(referral: Referral, reason: str = "") -> dict[str, Any]:
    order = referral.order
    return {
        "id": referral.pk,
        "program": referral.program.slug,
        "status": referral.status,
        "reason": reason or referral.cancel_reason or referral.review_reason,
        "referrer": contact_data(referral.referrer),
        "referee": contact_data(referral.referee),
        "invited_at": _when(referral.invited_at),
        "registered_at": _when(referral.registered_at),
        "converted_at": _when(referral.converted_at),
        "validated_at": _when(referral.validated_at),
        "rewarded_at": _when(referral.rewarded_at),
        "cancelled_at": _when(referral.cancelled_at),
        "order": None
        if order is None
        else {
            "external_id": order.external_id,
            "amount": str(order.amount),
            "currency": order.currency,
            "placed_at": _when(order.placed_at),
        },
    }


def reward_data(reward: Reward) -> dict[str, Any]:
    """Everything a shop without our plugin needs to create the coupon itself."""
    return {
        "id": reward.pk,
        "program": reward.program.slug,
        "side": reward.side,
        "kind": reward.kind,
        "value": str(reward.value),
        "currency": reward.currency,
        "code": reward.code,
        "terms": reward.terms,
        "issued_at": _when(reward.issued_at),
        "expires_at": _when(reward.expires_at),
        "recipient": contact_data(reward.recipient),
        "referral_id": reward.referral_id,
        "contest_winner_id": reward.prize_winner_id,
    }


def badge_data(holding: BadgeHolding, values: dict[str, Any]) -> dict[str, Any]:
    """A badge a contact earned or lost, with the condition values that decided."""
    from parrain.core.services.badges import image_url

    badge = holding.badge
    return {
        "id": holding.pk,
        "program": badge.program.slug,
        "badge": {
            "id": badge.pk,
            "rank": badge.rank,
            "names": badge.names,
            "image_url": image_url(badge),
        },
        "contact": contact_data(holding.contact),
        "awarded_at": _when(holding.awarded_at),
        "lost_at": _when(holding.lost_at),
        "by": holding.lost_by if holding.lost_at else holding.awarded_by,
        "values": values,
    }


def contest_data(contest: Contest) -> dict[str, Any]:
    """A contest as published: the commitment from opening on, the draw's data once drawn
    (the seed included: it is public after the draw)."""
    drawn = contest.drawn_at is not None
    return {
        "id": contest.pk,
        "public_id": contest.public_id,
        "program": contest.program.slug,
        "name": contest.name,
        "names": contest.names,
        "status": contest.status,
        "rules_url": contest.rules_url,
        "entries_start": _when(contest.entries_start),
        "entries_end": _when(contest.entries_end),
        "draw_at": _when(contest.draw_at),
        "public_value_source": contest.public_value_source,
        "commitment": contest.commitment,
        "opened_at": _when(contest.opened_at),
        "prizes": [
            {"position": p.position, "label": p.label, "quantity": p.quantity}
            for p in contest.prizes.order_by("position", "pk")
        ],
        "draw": None
        if not drawn
        else {
            "drawn_at": _when(contest.drawn_at),
            "algorithm": contest.algorithm,
            "seed": contest.server_seed,
            "public_value": contest.public_value,
            "entries_hash": contest.entries_hash,
            "entries_count": contest.entries_count,
            "tickets_total": contest.tickets_total,
        },
    }


def winner_data(winner: ContestWinner) -> dict[str, Any]:
    contact = winner.entry.contact
    return {
        "id": winner.pk,
        "pick": winner.pick,
        "prize": {"position": winner.prize.position, "label": winner.prize.label},
        "unit": winner.unit,
        "entrant": winner.entry.entrant,
        "tickets": winner.entry.tickets,
        "contact": contact_data(contact) if contact and not contact.is_erased else None,
    }


def boost_data(boost: Boost) -> dict[str, Any]:
    """A boosted offer that started or ended, with the terms it gives while it runs."""
    from parrain.core.services.offers import terms_from_rule

    def terms(rule: Any) -> dict[str, Any] | None:
        return terms_from_rule(rule).as_json() if rule is not None else None

    return {
        "id": boost.pk,
        "program": boost.program.slug,
        "name": boost.name,
        "labels": boost.labels,
        "starts_at": _when(boost.starts_at),
        "ends_at": _when(boost.ends_at),
        "referrer_reward": terms(boost.referrer_rule),
        "welcome_offer": terms(boost.referee_rule),
        "contest_id": boost.contest_id,
    }


def import_data(contact_import: ContactImport) -> dict[str, Any]:
    """A finished contact import: where its rows came from and what they did. No row and
    no person: each contact's change is in the audit log, and the contacts are read
    through the server API."""
    return {
        "id": contact_import.pk,
        "program": contact_import.program.slug,
        "source": contact_import.source,
        "file_name": contact_import.original_name,
        "status": contact_import.status,
        "rows": contact_import.total_rows,
        "new": contact_import.new_count,
        "updated": contact_import.updated_count,
        "unchanged": contact_import.unchanged_count,
        "invalid": contact_import.invalid_count,
        "invalid_rows_file": bool(contact_import.error_file),
        "started_at": _when(contact_import.started_at or contact_import.created_at),
        "finished_at": _when(contact_import.finished_at),
    }


def consent_data(record: ConsentRecord, contact: Contact) -> dict[str, Any]:
    """A contact's new answer for one channel, and where and when they gave it."""
    return {
        "program": contact.program.slug,
        "contact": contact_data(contact),
        "channel": record.channel,
        "given": record.given,
        "at": _when(record.at),
        "source": record.source,
        "text_version": record.text_version,
    }
