"""``/api/v1/public/{key}/…``: what the browser widgets call with the program's public key.

Nothing here tells a visitor anything about another person: enrolling an address someone
already has mails the link to that address instead of showing it; a referral code gives
only the name the referrer gave for sharing; statistics need an identity token signed by
the shop's server. Email invitations from a referrer whose address is unconfirmed wait for
their confirmation (``services.confirmation``). ``origins.public_door`` checks the key, the
origin and the per-IP limit before any of these views run.
"""

from __future__ import annotations

import io
import math
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Router

from ..emails import normalize_email
from ..exceptions import CapReached, NotFound, ParrainError, Refused
from ..identity import InvalidIdentity, verify_identity
from ..memo import Memo
from ..models import Boost, Contact, Contest, Program, Referral
from ..models.choices import Channel, ReferralStatus
from ..models.contest import ContestStatus
from ..services import contest_public, contests, sharing
from ..services.boosts import OfferView, offer_view
from ..services.confirmation import hold_invitations, send_confirmation
from ..services.consents import consent_text
from ..services.enrolment import enrol_referrer, referrer_by_code, share_url, sharing_name
from ..services.invitations import invite_by_email, not_yet_invited
from ..services.offers import describe, referrer_terms_at
from ..services.pending import pending_rewards
from ..services.registration import register_referee
from ..services.setup_checklist import note_widget_seen
from ..validation_types import Language
from . import ratelimit
from .origins import origin_allowed, page_origin
from .problems import Problem
from .widget_badges import loyalty_space, me_fields
from .widget_schemas import (
    ANONYMOUS_MAX_FRIENDS,
    BoostOut,
    ClaimIn,
    ClaimOut,
    CodeOut,
    ConfigOut,
    ContestOut,
    EnrolIn,
    EnrolOut,
    InviteIn,
    InviteOut,
    LoyaltyOut,
    MeIn,
    MeOut,
    PendingRewardOut,
    ReferrerStats,
    WelcomeOut,
)

router = Router(tags=["widget"])
KEY = "/{key}"
# The shared cache keeps a configuration this long at most, and never past the next start or
# end of a boost (``config_lifetime``): with the process memo below, a page never gets an
# offer more than ~11 s after it changed by the clock (the widget itself switches at the end).
CONFIG_TTL = 60
# Each process also keeps the configuration a few seconds: the hot path needs no round trip.
_configs: Memo[dict[str, Any]] = Memo(seconds=10)
ERRORS: dict[int, type[Problem]] = {
    c: Problem for c in (400, 401, 403, 404, 409, 413, 415, 422, 429)
}


def _responses(model: Any, *success: int) -> dict[int, Any]:
    return {**{status: model for status in success or (200,)}, **ERRORS}


class IdentityRequired(ParrainError):
    status = 403
    code = "identity-required"


class IdentityRefused(ParrainError):
    status = 401
    code = "identity-invalid"


class AnonymousInvitationsOff(ParrainError):
    status = 403
    code = "anonymous-invitations-off"


def program_of(request: HttpRequest) -> Program:
    return request.parrain_program  # type: ignore[attr-defined]


def _limit_writes(request: HttpRequest) -> None:
    ratelimit.hit("ip_write", ratelimit.client_ip(request))


def widget_language(program: Program, requested: str | None) -> str:
    """The page's language when the program speaks it, else the program's default."""
    wanted = (requested or "")[:2].lower()
    languages = [str(lang)[:2] for lang in program.languages or []]
    return wanted if wanted in languages else (program.default_language or "en")[:2]


# Configuration


def config_cache_key(program_id: int, language: str) -> str:
    return f"parrain:widget-config:{program_id}:{language}"


def forget_config(program_id: int) -> None:
    keys = [config_cache_key(program_id, lang) for lang in ("fr", "en")]
    cache.delete_many(keys)
    for key in keys:
        _configs.forget(key)


def boost_out(offer: OfferView) -> BoostOut | None:
    """The running boost as the widgets show it, or None (texts in the active language).

    Its label is the shop's, written for referrers ("Double reward: 20 € per friend"): the
    friends read ``welcome_label`` instead, and nothing when their offer is not boosted."""
    if offer.boost is None or offer.ends_at is None:
        return None
    boosts_welcome = offer.boost.referee_rule_id is not None
    return BoostOut(
        label=offer.boost_label,
        ends_at=offer.ends_at,
        referrer_reward=offer.referrer_reward,
        welcome_offer=offer.welcome_offer,
        welcome_label=str(_("Boosted welcome offer")) if boosts_welcome else "",
    )


def config_lifetime(program: Program, offer: OfferView, at: datetime) -> int:
    """Seconds the configuration built at ``at`` stays true: ``CONFIG_TTL`` at most, and
    never past the running boost's end or the next boost's start."""
    upcoming = (
        Boost.objects.filter(program=program, starts_at__gt=at)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    changes = [edge for edge in (offer.ends_at, upcoming) if edge is not None]
    if not changes:
        return CONFIG_TTL
    return max(0, min(CONFIG_TTL, math.ceil((min(changes) - at).total_seconds())))


def build_config(program: Program, language: str, offer: OfferView) -> dict[str, Any]:
    with translation.override(language):
        consent = consent_text(program, language)
        return ConfigOut(
            program=program.name,
            language=language,
            currency=program.currency,
            referrer_reward=offer.referrer_reward,
            welcome_offer=offer.welcome_offer,
            boost=boost_out(offer),
            normal_referrer_reward=offer.normal_referrer_reward,
            normal_welcome_offer=offer.normal_welcome_offer,
            channels=[c for c in program.share_channels or [] if c in Channel.values],
            consent_text=consent,
            rules_url=program.rules_url,
            legal_url=program.legal_url,
            brand_colour=program.brand_colour,
            privacy_mode=program.privacy_mode,
            anonymous_invitations=program.anonymous_invitations,
            time_zone=program.time_zone,
        ).model_dump()


@router.get(f"{KEY}/config", response=_responses(ConfigOut))
def config(request: HttpRequest, key: str, lang: Language | None = None) -> Any:
    """Everything both widgets need to draw themselves, in the page's language; while a
    boost runs, its offer with its end, and the normal offer the widget returns to then."""
    program = program_of(request)
    _note_placed(request, program)
    language = widget_language(program, lang)
    cache_key = config_cache_key(program.pk, language)
    return _configs.get(cache_key, lambda: _shared_config(cache_key, program, language))


def _note_placed(request: HttpRequest, program: Program) -> None:
    """The setup checklist's "widget placed": a page of an allowed origin loaded it."""
    origin = page_origin(request)
    if origin and origin_allowed(program, origin, request):
        note_widget_seen(program, origin)


def _shared_config(cache_key: str, program: Program, language: str) -> dict[str, Any]:
    """The configuration from the shared cache, built and stored there on a miss."""
    body = cache.get(cache_key)
    if body is None:
        now = timezone.now()
        offer = offer_view(program, language, now)
        body = build_config(program, language, offer)
        lifetime = config_lifetime(program, offer, now)
        if lifetime > 0:
            cache.set(cache_key, body, lifetime)
    return body


# Referrer side


@router.post(f"{KEY}/referrers", response=_responses(EnrolOut))
def enrol(request: HttpRequest, key: str, payload: EnrolIn) -> Any:
    """A new address sees its share link; an address someone already has gets it by email."""
    _limit_writes(request)
    program = program_of(request)
    enrolment = enrol_referrer(
        program,
        payload.email,
        first_name=payload.first_name,
        language=widget_language(program, payload.language),
        actor="widget",
    )
    if enrolment.new_contact and not program.privacy_mode:
        return EnrolOut(delivery="screen", code=enrolment.code, share_url=enrolment.share_url)
    send_confirmation(enrolment.contact)
    return EnrolOut(delivery="email")


def _identified(program: Program, token: str) -> Contact:
    try:
        identity = verify_identity(program, token)
    except InvalidIdentity as exc:
        raise IdentityRefused(_("Your session has expired; please reload the page.")) from exc
    enrolment = enrol_referrer(
        program, identity.email, first_name=identity.first_name, actor="widget", vouched=True
    )
    return enrolment.contact


def referrer_stats(referrer: Contact) -> ReferrerStats:
    live = ~Q(status=ReferralStatus.CANCELLED)
    counts = Referral.objects.filter(referrer=referrer).aggregate(
        invited=Count("pk"),
        registered=Count("pk", filter=live & Q(registered_at__isnull=False)),
        converted=Count("pk", filter=live & Q(converted_at__isnull=False)),
        rewarded=Count("pk", filter=Q(status=ReferralStatus.REWARDED)),
    )
    return ReferrerStats(**counts)


def _identified_language(request: HttpRequest, payload: MeIn) -> tuple[Contact, str]:
    program = program_of(request)
    contact = _identified(program, payload.identity)
    return contact, widget_language(program, request.GET.get("lang") or contact.language)


def contest_out(standing: contests.Tickets, language: str) -> ContestOut:
    contest = standing.contest
    return ContestOut(
        id=contest.public_id,
        name=contest_public.text_in(contest.names, language, contest.name),
        status=contest.status,
        tickets=standing.tickets,
        cap=standing.cap,
        opt_in_required=contest.opt_in_required,
        opted_in=standing.opted_in is not False,
        entrant=standing.entrant,
        entries_start=contest.entries_start,
        entries_end=contest.entries_end,
        draw_at=contest.draw_at,
        url=contest_public.page_url(contest),
    )


@router.post(f"{KEY}/me", response=_responses(MeOut))
def me(request: HttpRequest, key: str, payload: MeIn) -> Any:
    """A signed-in customer's link, reward, statistics, badges, points and contests (with
    their tickets): needs the shop's identity token."""
    referrer, language = _identified_language(request, payload)
    program = program_of(request)
    now = timezone.now()
    offer = offer_view(program, language, now)
    # a badge with its own reward changes what the next invitations earn: show that one
    reward = describe(referrer_terms_at(program, now, referrer=referrer), language)
    after = offer.ends_at or now
    with translation.override(language):
        boost = boost_out(offer)
    return MeOut(
        first_name=referrer.first_name,
        code=referrer.referrer_code or "",
        share_url=share_url(referrer),
        referrer_reward=reward,
        normal_referrer_reward=describe(
            referrer_terms_at(program, after, referrer=referrer), language
        ),
        boost=boost,
        contests=[contest_out(c, language) for c in contests.contact_contests(referrer, now)],
        stats=referrer_stats(referrer),
        pending=[
            PendingRewardOut(reward=p.reward, validated_on=p.validated_on)
            for p in pending_rewards(referrer, language)
        ],
        **me_fields(referrer, language),
    )


@router.post(f"{KEY}/contests/{{public_id}}/opt-in", response=_responses(ContestOut))
def contest_opt_in(request: HttpRequest, key: str, public_id: str, payload: MeIn) -> Any:
    """A signed-in customer agrees to take part in a contest that asks for it; answers their
    standing in it. Opting in twice changes nothing."""
    _limit_writes(request)
    contact, language = _identified_language(request, payload)
    contest = Contest.objects.filter(
        program=program_of(request), public_id=public_id[:16], status=ContestStatus.OPEN
    ).first()
    if contest is None:
        raise NotFound(_("This contest does not exist or is closed."), field="public_id")
    if contest.opt_in_required:
        contests.opt_in(contest, contact)
    return contest_out(contests.tickets_of(contest, contact), language)


@router.post(f"{KEY}/loyalty", response=_responses(LoyaltyOut))
def loyalty(request: HttpRequest, key: str, payload: MeIn) -> Any:
    """The loyalty space of a signed-in customer: points, the ledger's last lines, every
    badge earned or locked with its progress. Needs the identity token, like ``/me``."""
    contact, language = _identified_language(request, payload)
    return loyalty_space(contact, language)


def _inviting_referrer(program: Program, payload: InviteIn) -> Contact:
    if payload.identity:
        return _identified(program, payload.identity)
    if not program.anonymous_invitations:
        raise AnonymousInvitationsOff(
            _("Sign in to invite friends by email; you can still share your link."),
            field="identity",
        )
    if payload.message:
        raise IdentityRequired(
            _("Only signed-in customers can add a personal message."), field="message"
        )
    if len(payload.emails) > ANONYMOUS_MAX_FRIENDS:
        raise IdentityRequired(
            _("Invite at most %(n)s friends at once.") % {"n": ANONYMOUS_MAX_FRIENDS},
            field="emails",
        )
    referrer = referrer_by_code(program, payload.code or "")
    if referrer is None or referrer.email_normalized != normalize_email(payload.email or ""):
        raise NotFound(_("Get your share link first."), field="code")
    return referrer


def _seconds_to_midnight(now: datetime) -> int:
    local = timezone.localtime(now)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return int((midnight - local).total_seconds()) + 1


@router.post(f"{KEY}/invitations", response=_responses(InviteOut))
def invite(request: HttpRequest, key: str, payload: InviteIn) -> Any:
    """Email invitations in the program's own words; a personal message needs an identity."""
    _limit_writes(request)
    program = program_of(request)
    referrer = _inviting_referrer(program, payload)
    ratelimit.hit("referrer_invite", f"{program.pk}:{referrer.pk}")
    emails = not_yet_invited(referrer, payload.emails)
    if not referrer.is_verified:
        if emails:
            hold_invitations(referrer, emails)
        return InviteOut(received=len(payload.emails), delivery="held")
    if emails:
        try:
            invite_by_email(referrer, emails, personal_message=payload.message)
        except CapReached as exc:
            raise ratelimit.RateLimited(_seconds_to_midnight(timezone.now()), exc.message) from exc
    return InviteOut(received=len(payload.emails), delivery="sent")


# Referee side


@router.get(f"{KEY}/codes/{{code}}", response=_responses(CodeOut))
def lookup_code(request: HttpRequest, key: str, code: str, lang: Language | None = None) -> Any:
    """Who invites the friend (the name they gave for sharing) and what the friend gets
    (the boosted welcome offer while a boost runs)."""
    _limit_writes(request)
    program = program_of(request)
    referrer = referrer_by_code(program, code[:32])
    if referrer is None:
        raise NotFound(_("This referral code does not exist."), field="code")
    language = widget_language(program, lang)
    offer = offer_view(program, language)
    with translation.override(language):
        boost = boost_out(offer)
    return CodeOut(
        code=referrer.referrer_code or "",
        first_name=sharing_name(referrer),
        welcome_offer=offer.welcome_offer,
        boost=boost if boost and boost.welcome_label else None,  # the friend's side only
        normal_welcome_offer=offer.normal_welcome_offer,
    )


# 503: the welcome code could not be issued (an empty code pool)
@router.post(f"{KEY}/claims", response={**_responses(ClaimOut), 503: Problem})
def claim(request: HttpRequest, key: str, payload: ClaimIn) -> Any:
    """The friend claims the welcome offer; in privacy mode it is only ever emailed."""
    _limit_writes(request)
    program = program_of(request)
    ratelimit.hit("referrer_claim", f"{program.pk}:{payload.code.upper()}")
    language = widget_language(program, request.GET.get("lang"))
    try:
        registration = register_referee(
            program,
            payload.code,
            payload.email,
            consent=payload.consent,
            consent_text=consent_text(program, language),
            first_name=payload.first_name,
            channel=Channel.LINK,
            source="widget",
            link_click=payload.link_click or request.COOKIES.get(sharing.CLICK_COOKIE, ""),
        )
    except Refused:
        if program.privacy_mode:
            return ClaimOut(delivery="email")
        raise
    reward = registration.reward
    if program.privacy_mode or reward is None or not reward.code:
        return ClaimOut(delivery="email")
    welcome = WelcomeOut(
        code=reward.code, offer=describe(reward.terms, language), expires_at=reward.expires_at
    )
    return ClaimOut(delivery="screen", welcome=welcome)


def qr_svg(request: HttpRequest, key: str, code: str) -> HttpResponse:
    """The QR code of a referrer's share link, as SVG (drawn here to keep the widget small)."""
    import segno

    program = program_of(request)
    referrer = referrer_by_code(program, code[:32])
    if referrer is None:
        raise NotFound(_("This referral code does not exist."), field="code")
    # A standalone document (with xmlns), not svg_inline(): the widget shows it in an <img>,
    # and browsers draw an SVG image without its namespace as a broken image.
    buffer = io.BytesIO()
    segno.make(share_url(referrer), error="m").save(
        buffer, kind="svg", xmldecl=False, scale=4, border=2
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response


router.add_api_operation(f"{KEY}/codes/{{code}}/qr.svg", ["GET"], qr_svg, include_in_schema=False)
