"""Dashboard figures over a date range, as docs/dashboard.md defines them.

A range ``[start, end]`` holds whole days of the current Django time zone: it runs from local
midnight of ``start`` to local midnight after ``end``. Every figure counts distinct people
with one aggregate query per table (conditional aggregation), so the dashboard stays fast on
millions of invitations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, Rank, TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel

from .. import day_summary
from ..exceptions import InvalidInput
from ..models import (
    Badge,
    BadgeHolding,
    Contact,
    Invitation,
    Order,
    Program,
    Referral,
)
from ..models.choices import ReferralStatus

RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
CENT = Decimal("0.01")

#: A referral counts as converted once it reached conversion and was neither cancelled
#: nor put back on hold for review.
CONVERTED_STATUSES = (ReferralStatus.CONVERTED, ReferralStatus.VALIDATED, ReferralStatus.REWARDED)
VALIDATED_STATUSES = (ReferralStatus.VALIDATED, ReferralStatus.REWARDED)

MONEY = DecimalField(max_digits=14, decimal_places=2)
NET_AMOUNT = F("amount") - F("refunded_amount")


class DashboardFigures(BaseModel):
    start: date
    end: date
    currency: str
    invitations: int
    influencers: int
    invited_referees: int
    #: Of ``invited_referees``, those who became customers at any time so far (cohort).
    invited_referees_converted: int
    converted_referees: int
    sponsors: int
    #: ``invited_referees_converted / invited_referees``: never above 1.
    conversion_rate: Decimal | None
    #: Period activity: ``converted_referees / invited_referees`` (two different sets of
    #: people, so it can pass 1); the ``conversion_rate`` of versions before 0.27.
    activity_ratio: Decimal | None
    revenue: Decimal
    referred_revenue: Decimal
    referral_rate: Decimal | None
    #: Of ``invited_referees``, those who agree to be recontacted (their consent as of now).
    opt_in_consented: int
    #: Of ``invited_referees``, those who answered the consent question at all.
    opt_in_answered: int
    #: ``opt_in_consented / invited_referees`` (all invited referees, answered or not).
    opt_in_rate: Decimal | None


class SeriesPoint(BaseModel):
    day: date
    invitations: int = 0
    invited_referees: int = 0
    converted_referees: int = 0
    revenue: Decimal = ZERO
    referred_revenue: Decimal = ZERO


class TopReferrer(BaseModel):
    contact_id: int
    email: str
    invitations: int
    invited_referees: int
    converted_referees: int


class ChannelRevenue(BaseModel):
    channel: str | None
    orders: int
    revenue: Decimal


class BadgeHolders(BaseModel):
    """One badge's line of the "holders per badge over time" figure."""

    badge_id: int
    rank: int
    name: str
    colour: str
    counts: list[int]  # holders at the end of each of ``BadgeHoldersOverTime.days``


class BadgeHoldersOverTime(BaseModel):
    interval: str  # "day" or "week"
    days: list[date]
    badges: list[BadgeHolders]


@dataclass(frozen=True)
class Span:
    """The aware datetimes ``[since, until)`` covering the days ``start`` to ``end``."""

    since: datetime
    until: datetime

    @classmethod
    def of(cls, start: date, end: date) -> Span:
        if start > end:
            raise InvalidInput(_("The start date must not be after the end date."), field="start")
        zone = timezone.get_current_timezone()
        since = timezone.make_aware(datetime.combine(start, time.min), zone)
        until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
        return cls(since, until)

    def q(self, field: str) -> Q:
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})


def rate(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` rounded to 4 places, ``None`` when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def dashboard(program: Program, start: date, end: date) -> DashboardFigures:
    """The figures of ``[start, end]``: from the daily summary when it can answer
    (core/day_summary.py), else from the range's rows."""
    if day_summary.usable(program.time_zone, (end - start).days + 1):
        return _from_summary(program, start, end, previous=False).figures
    return _dashboard_rows(program, start, end)


def _dashboard_rows(program: Program, start: date, end: date) -> DashboardFigures:
    span = Span.of(start, end)
    sent = _invitations_in(program, span).aggregate(**_invitation_counts(span.since))
    return _figures(
        program, start, end, sent, _referral_figures(program, span), _orders(program, span)
    )


def _figures(
    program: Program,
    start: date,
    end: date,
    sent: dict[str, int],
    referrals: dict[str, int],
    orders: dict[str, Decimal],
) -> DashboardFigures:
    invited = sent["invited"]
    return DashboardFigures(
        start=start,
        end=end,
        currency=program.currency,
        invitations=sent["invitations"],
        influencers=sent["influencers"],
        invited_referees=invited,
        invited_referees_converted=sent["cohort_converted"],
        converted_referees=referrals["converted"],
        sponsors=referrals["sponsors"],
        conversion_rate=rate(sent["cohort_converted"], invited),
        activity_ratio=rate(referrals["converted"], invited),
        revenue=orders["revenue"],
        referred_revenue=orders["referred"],
        referral_rate=rate(orders["referred"], orders["revenue"]),
        opt_in_consented=sent["consented"],
        opt_in_answered=sent["answered"],
        opt_in_rate=rate(sent["consented"], invited),
    )


def _first_since(prev: str, since: Any) -> Q:
    """The person's first invitation at or after ``since`` (see core/invitation_facts.py)."""
    return Q(**{f"{prev}__isnull": True}) | Q(**{f"{prev}__lt": since})


def _invitation_counts(since: Any) -> dict[str, Count]:
    """Distinct people as plain counts of their first invitation in the range: the range's
    rows are read once, index-only, with no sort and no hash of every person."""
    # issued_at: a column of the index (COUNT(*) takes no FILTER in Django).
    referee = _first_since("prev_referee_at", since)
    return {
        "invitations": Count("*"),
        "influencers": Count("issued_at", filter=_first_since("prev_referrer_at", since)),
        "invited": Count("issued_at", filter=referee),
        "cohort_converted": Count("issued_at", filter=referee & Q(referee_converted=True)),
        "consented": Count("issued_at", filter=referee & Q(referee_consent=True)),
        "answered": Count("issued_at", filter=referee & Q(referee_consent__isnull=False)),
    }


def figures_between(program: Program, since: datetime, until: datetime) -> dict[str, Any]:
    """The dashboard's figures over the instants ``[since, until)`` (a boost's window):
    invitations issued, distinct friends invited, distinct friends converted (by conversion
    date), conversion rate = converted / invited, referred revenue net of refunds."""
    span = Span(since, until)
    sent = _invitations_in(program, span).aggregate(**_invitation_counts(since))
    converted = _referral_figures(program, span)["converted"]
    return {
        "invitations": sent["invitations"],
        "invited_referees": sent["invited"],
        "conversions": converted,
        "conversion_rate": rate(converted, sent["invited"]),
        "referred_revenue": _orders(program, span)["referred"],
        "currency": program.currency,
    }


def _invitations_in(program: Program, span: Span) -> QuerySet[Invitation]:
    return Invitation.objects.filter(span.q("issued_at"), program=program)


def _converted(span: Span) -> Q:
    return Q(status__in=CONVERTED_STATUSES) & span.q("converted_at")


def _validated(span: Span) -> Q:
    return Q(status__in=VALIDATED_STATUSES) & span.q("validated_at")


def _referral_figures(program: Program, span: Span) -> dict[str, int]:
    """Two index-only scans (by conversion date, by validation date) beat one OR-ed scan.

    A referee has at most one live (not cancelled) referral per program, so the converted
    ones are counted without DISTINCT."""
    converted = Referral.objects.filter(_converted(span), program=program).aggregate(n=Count("*"))
    sponsors = Referral.objects.filter(_validated(span), program=program).aggregate(
        n=Count("referrer", distinct=True)
    )
    return {"converted": converted["n"], "sponsors": sponsors["n"]}


def _referred(program: Program) -> Q:
    """Orders attached to a referral count as referred unless the referral was cancelled.

    Written as ``NOT IN (cancelled referrals)`` rather than a join so that PostgreSQL reads
    two small index-only scans instead of hashing every referral of the program.
    """
    cancelled = Referral.objects.filter(program=program, status=ReferralStatus.CANCELLED)
    return Q(referral__isnull=False) & ~Q(referral__in=cancelled.values("pk"))


def _net_sum(**extra: Q) -> Coalesce:
    return Coalesce(Sum(NET_AMOUNT, output_field=MONEY, **extra), ZERO, output_field=MONEY)


def _cents(row: dict, *keys: str) -> dict:
    """Money to the cent: SQLite hands sums back as long floats turned into Decimal."""
    for key in keys:
        row[key] = Decimal(row[key]).quantize(CENT, rounding=ROUND_HALF_UP)
    return row


def _orders(program: Program, span: Span) -> dict[str, Decimal]:
    row = Order.objects.filter(span.q("placed_at"), program=program).aggregate(
        revenue=_net_sum(), referred=_net_sum(filter=_referred(program))
    )
    return _cents(row, "revenue", "referred")


def series(program: Program, start: date, end: date) -> list[SeriesPoint]:
    """One point per day of the range, zeros included; distinct counts are per day."""
    return page_data(program, start, end, previous=False).series


class PageData(BaseModel):
    """What the dashboard page shows, each table read once per period (core/dashboard.py)."""

    figures: DashboardFigures
    previous: DashboardFigures | None  # the same number of days just before
    series: list[SeriesPoint]


class DayIndex(Func):
    """The day of the range an instant falls on, as a number: ``n`` when it lies between
    the ``n``-th and the ``n+1``-th of ``bounds`` (the local midnights of the range), NULL
    for NULL. On PostgreSQL one ``width_bucket`` (a binary search in a constant array) on
    the indexed column: no time-zone conversion per row, exact across DST changes."""

    output_field = IntegerField()

    def __init__(self, expression: Any, bounds: list[datetime]) -> None:
        super().__init__(expression)
        self.bounds = bounds

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"width_bucket({sql}, %s::timestamptz[])", (*params, list(self.bounds))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        """Elsewhere (SQLite: the demo), the same numbers from a CASE over the bounds."""
        sql, params = compiler.compile(self.source_expressions[0])
        steps = " ".join(f"WHEN {sql} < %s THEN {n}" for n in range(len(self.bounds)))
        values = [connection.ops.adapt_datetimefield_value(b) for b in self.bounds]
        case = f"CASE WHEN {sql} IS NULL THEN NULL {steps} ELSE {len(self.bounds)} END"
        return case, (*params, *[p for value in values for p in (*params, value)])


def _bounds(start: date, days: int) -> list[datetime]:
    """The local midnights from ``start`` to the day after the range's last."""
    zone = timezone.get_current_timezone()
    return [
        timezone.make_aware(datetime.combine(start + timedelta(days=n), time.min), zone)
        for n in range(days + 1)
    ]


def page_data(program: Program, start: date, end: date, previous: bool = True) -> PageData:
    """The range's figures and daily series, and (``previous``) the figures of the period of
    the same length just before: from the daily summary when it can answer
    (core/day_summary.py), else from the rows (``_page_rows``)."""
    if day_summary.usable(program.time_zone, (end - start).days + 1):
        return _from_summary(program, start, end, previous)
    return _page_rows(program, start, end, previous)


FIRSTS_SQL = """
SELECT day,
  sum(referrers) FILTER (WHERE gap > day - base),
  sum(referees) FILTER (WHERE gap > day - base),
  sum(referees_converted) FILTER (WHERE gap > day - base),
  sum(referees_consented) FILTER (WHERE gap > day - base),
  sum(referees_answered) FILTER (WHERE gap > day - base),
  sum(referees) FILTER (WHERE gap > 0)
FROM (
  SELECT *, CASE WHEN day >= %(start)s::date THEN %(start)s::date ELSE %(first)s::date END AS base
  FROM (
    SELECT day, gap, referrers, referees, referees_converted, referees_consented,
           referees_answered
    FROM parrain_dayfirsts
    WHERE program_id = %(program)s AND day >= %(first)s::date AND day <= %(end)s::date
    UNION ALL
    SELECT day, gap, referrers, referees, referees_converted, referees_consented,
           referees_answered
    FROM parrain_dayfirsts_delta
    WHERE program_id = %(program)s AND day >= %(first)s::date AND day <= %(end)s::date
  ) folded_and_pending
) firsts
GROUP BY day
"""
# The summary's days: the folded rows plus the deltas not folded yet, in one statement
# (one snapshot: a compaction commits both sides at once).
DAYS_SQL = """
SELECT day, sum(invitations), sum(converted), sum(revenue), sum(referred)
FROM (
  SELECT day, invitations, converted, revenue, referred FROM parrain_daysummary
  WHERE program_id = %(program)s AND day >= %(first)s::date AND day <= %(end)s::date
  UNION ALL
  SELECT day, invitations, converted, revenue, referred FROM parrain_daysummary_delta
  WHERE program_id = %(program)s AND day >= %(first)s::date AND day <= %(end)s::date
) days
GROUP BY day
"""
DAYS_KEYS = ("invitations", "converted", "revenue", "referred")
CHANNELS_SQL = """
SELECT channel, sum(orders), sum(revenue)
FROM (
  SELECT channel, orders, revenue FROM parrain_daychannel
  WHERE program_id = %(program)s AND day >= %(start)s::date AND day <= %(end)s::date
  UNION ALL
  SELECT channel, orders, revenue FROM parrain_daychannel_delta
  WHERE program_id = %(program)s AND day >= %(start)s::date AND day <= %(end)s::date
) channels
GROUP BY channel
HAVING sum(orders) <> 0
ORDER BY 3 DESC, 1
"""
FIRSTS_KEYS = ("influencers", "invited", "cohort_converted", "consented", "answered", "day_invited")
# Sponsors of both periods, one index-only scan of the validated referrals: the ORM's
# ``Count(distinct, filter=...)`` aggregate written out, read on the summary's cursor (its
# compilation was a tenth of the dashboard's own Python time).
SPONSORS_SQL = """
SELECT count(DISTINCT referrer_id) FILTER (WHERE validated_at >= %(since)s),
       count(DISTINCT referrer_id) FILTER (WHERE validated_at < %(since)s)
FROM parrain_referral
WHERE program_id = %(program)s AND status = ANY(%(validated)s)
  AND validated_at >= %(from)s AND validated_at < %(until)s
"""


def _from_summary(program: Program, start: date, end: date, previous: bool) -> PageData:
    """Every figure from the daily summary: a few rows per day of the range (and of the
    previous period), whatever the number of invitations. Distinct people are the days'
    counts of invitations whose person's previous one lies before the period's first day
    (``DayFirsts.gap > day - first day``); sponsors, the one distinct count the summary
    cannot sum, are read from the validated referrals (one index-only scan, both periods)."""
    days = (end - start).days + 1
    first = start - timedelta(days=days) if previous else start
    daily: dict[date, dict[str, Any]] = {}
    params = {"program": program.pk, "start": start, "first": first, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(DAYS_SQL, params)
        for day, *values in cursor.fetchall():
            daily[day] = dict(zip(DAYS_KEYS, values, strict=True))
        cursor.execute(FIRSTS_SQL, params)
        for day, *counts in cursor.fetchall():
            daily.setdefault(day, {}).update(zip(FIRSTS_KEYS, counts, strict=True))
        whole = Span.of(first, end)
        cursor.execute(
            SPONSORS_SQL,
            {
                "program": program.pk,
                "validated": [str(status) for status in VALIDATED_STATUSES],
                "since": Span.of(start, end).since,
                "from": whole.since,
                "until": whole.until,
            },
        )
        now_sponsors, before_sponsors = cursor.fetchone()
    sponsors = {"now": now_sponsors, "before": before_sponsors}

    def figures(lo: date, hi: date, sponsored: int) -> DashboardFigures:
        rows = [row for day, row in daily.items() if lo <= day <= hi]
        total = {key: sum(row.get(key) or 0 for row in rows) for key in FIGURE_KEYS}
        money = _cents(
            {key: sum(row.get(key) or ZERO for row in rows) for key in MONEY_KEYS}, *MONEY_KEYS
        )
        referrals = {"converted": total["converted"], "sponsors": sponsored}
        return _figures(program, lo, hi, total, referrals, money)

    points = []
    for n in range(days):
        day = start + timedelta(days=n)
        row = daily.get(day, {})
        points.append(
            SeriesPoint(
                day=day,
                invitations=row.get("invitations") or 0,
                invited_referees=row.get("day_invited") or 0,
                converted_referees=row.get("converted") or 0,
                revenue=_cents({"v": row.get("revenue") or ZERO}, "v")["v"],
                referred_revenue=_cents({"v": row.get("referred") or ZERO}, "v")["v"],
            )
        )
    return PageData(
        figures=figures(start, end, sponsors["now"]),
        previous=figures(first, start - timedelta(days=1), sponsors["before"])
        if previous
        else None,
        series=points,
    )


def _page_rows(program: Program, start: date, end: date, previous: bool = True) -> PageData:
    """The page from the rows (no summary). The range: one scan of each table grouped by day (see
    ``DayIndex``), its figures being sums of the days' counts (distinct people as counts
    of their first invitation in the range, see ``_invitation_counts``) plus one distinct
    count of sponsors; the previous period: plain totals (``dashboard``)."""
    days = (end - start).days + 1
    span = Span.of(start, end)
    bounds = _bounds(start, days)
    daily: dict[int, dict[str, Any]] = {}

    def add(rows: Any) -> None:
        for row in rows:
            daily.setdefault(row.pop("n"), {}).update(row)

    add(
        _invitations_in(program, span)
        .annotate(n=DayIndex("issued_at", bounds), prev_n=DayIndex("prev_referee_at", bounds))
        .values("n")
        .annotate(
            day_invited=Count(
                "issued_at", filter=Q(prev_referee_at__isnull=True) | Q(prev_n__lt=F("n"))
            ),
            **_invitation_counts(span.since),
        )
    )
    add(
        Referral.objects.filter(_converted(span), program=program)
        .annotate(n=DayIndex("converted_at", bounds))
        .values("n")
        .annotate(converted=Count("*"))
    )
    add(
        Order.objects.filter(span.q("placed_at"), program=program)
        .annotate(n=DayIndex("placed_at", bounds))
        .values("n")
        .annotate(revenue=_net_sum(), referred=_net_sum(filter=_referred(program)))
    )
    sponsors = Referral.objects.filter(_validated(span), program=program).aggregate(
        n=Count("referrer", distinct=True)
    )
    rows = daily.values()
    total = {key: sum(row.get(key) or 0 for row in rows) for key in FIGURE_KEYS}
    money = _cents(
        {key: sum(row.get(key) or ZERO for row in rows) for key in MONEY_KEYS}, *MONEY_KEYS
    )
    referrals = {"converted": total["converted"], "sponsors": sponsors["n"]}
    points = []
    for n in range(1, days + 1):
        row = daily.get(n, {})
        points.append(
            SeriesPoint(
                day=start + timedelta(days=n - 1),
                invitations=row.get("invitations", 0),
                invited_referees=row.get("day_invited", 0),
                converted_referees=row.get("converted", 0),
                revenue=_cents({"v": row.get("revenue") or ZERO}, "v")["v"],
                referred_revenue=_cents({"v": row.get("referred") or ZERO}, "v")["v"],
            )
        )
    before = start - timedelta(days=1)
    return PageData(
        figures=_figures(program, start, end, total, referrals, money),
        previous=_dashboard_rows(program, start - timedelta(days=days), before)
        if previous
        else None,
        series=points,
    )


FIGURE_KEYS = (
    "invitations",
    "influencers",
    "invited",
    "cohort_converted",
    "consented",
    "answered",
    "converted",
)
MONEY_KEYS = ("revenue", "referred")


def top_referrers(program: Program, start: date, end: date, limit: int = 10) -> list[TopReferrer]:
    """Referrers ranked by converted referees, then invited referees, then oldest contact.

    Only referrers active in the range (an invitation sent or a referee converted) appear.
    Only the candidates are counted in full: the referrers tied with or above the
    ``limit``-th by conversions (ranked in SQL), and, when fewer than ``limit`` referrers
    converted anyone, the busiest others by invited referees.
    """
    span = Span.of(start, end)
    converted = dict(
        Referral.objects.filter(_converted(span), program=program)
        .values("referrer")
        .annotate(n=Count("*"))
        .annotate(place=Window(Rank(), order_by=F("n").desc()))
        .filter(place__lte=limit)
        .values_list("referrer", "n")
    )
    sent = _sent_by(_invitations_in(program, span).filter(referrer__in=list(converted)))
    if len(converted) < limit:
        busiest = (
            _invitations_in(program, span)
            .exclude(referrer__in=list(converted))
            .values("referrer")
            .annotate(invitations=Count("*"), invited=Count("referee", distinct=True))
            .order_by("-invited", "referrer")[: limit - len(converted)]
        )
        sent.update({row["referrer"]: row for row in busiest})
    ranked = sorted(
        set(converted) | set(sent),
        key=lambda pk: (-converted.get(pk, 0), -sent.get(pk, {}).get("invited", 0), pk),
    )[:limit]
    emails = dict(Contact.objects.filter(pk__in=ranked).values_list("pk", "email"))
    return [
        TopReferrer(
            contact_id=pk,
            email=emails[pk],
            invitations=sent.get(pk, {}).get("invitations", 0),
            invited_referees=sent.get(pk, {}).get("invited", 0),
            converted_referees=converted.get(pk, 0),
        )
        for pk in ranked
    ]


def _sent_by(invitations: QuerySet[Invitation]) -> dict[int, dict[str, int]]:
    rows = invitations.values("referrer").annotate(
        invitations=Count("*"), invited=Count("referee", distinct=True)
    )
    return {row["referrer"]: row for row in rows}


def revenue_by_channel(program: Program, start: date, end: date) -> list[ChannelRevenue]:
    """Referred revenue (net of refunds) grouped by the channel of the referral's invitation
    (``Order.channel``, copied at attribution: the range's orders are read alone).

    ``channel`` is ``None`` for referrals recorded without an invitation. Largest first.
    From the daily summary when it can answer (core/day_summary.py).
    """
    if day_summary.usable(program.time_zone, (end - start).days + 1):
        with connection.cursor() as cursor:
            cursor.execute(CHANNELS_SQL, {"program": program.pk, "start": start, "end": end})
            rows = [
                {"channel": channel, "orders": orders, "revenue": revenue}
                for channel, orders, revenue in cursor.fetchall()
            ]
        return [ChannelRevenue(**_cents(row, "revenue")) for row in rows]
    return _channels_rows(program, start, end)


def _channels_rows(program: Program, start: date, end: date) -> list[ChannelRevenue]:
    span = Span.of(start, end)
    rows = (
        Order.objects.filter(span.q("placed_at"), _referred(program), program=program)
        .values("channel")
        .annotate(orders=Count("*"), revenue=_net_sum())
        .order_by("-revenue", "channel")
    )
    return [ChannelRevenue(**_cents(row, "revenue")) for row in rows]


INTERVALS = {"day": 1, "week": 7}


def badge_holders_over_time(
    program: Program, start: date, end: date, interval: str = "day"
) -> BadgeHoldersOverTime:
    """How many contacts held each badge of ``program`` at the end of each day of the range
    (``interval="week"``: every seventh day counted back from ``end``, so the last point is
    always ``end``). Every badge appears, by rank, zeros included.

    Computed from the holdings' history (``awarded_at``/``lost_at``) in three grouped
    queries whatever the range: the holders at the start, then the daily awards and losses
    added up, instead of one count per day.
    """
    if interval not in INTERVALS:
        raise InvalidInput(_("The interval must be day or week."), field="interval")
    span = Span.of(start, end)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    shown = days[:: -INTERVALS[interval]][::-1]
    badges = list(Badge.objects.filter(program=program).order_by("rank", "pk"))
    held = _held_at(program, span.since)
    moves = _daily_moves(program, span)
    language = translation.get_language() or ""
    lines = []
    for badge in badges:
        running, counts = held.get(badge.pk, 0), {}
        for day in days:
            running += moves.get((badge.pk, day), 0)
            counts[day] = running
        lines.append(
            BadgeHolders(
                badge_id=badge.pk,
                rank=badge.rank,
                name=badge.name(language),
                colour=badge.colour,
                counts=[counts[day] for day in shown],
            )
        )
    return BadgeHoldersOverTime(interval=interval, days=shown, badges=lines)


def _held_at(program: Program, moment: datetime) -> dict[int, int]:
    return dict(
        BadgeHolding.objects.filter(badge__program=program, awarded_at__lt=moment)
        .filter(Q(lost_at__isnull=True) | Q(lost_at__gte=moment))
        .values("badge")
        .annotate(n=Count("pk"))
        .values_list("badge", "n")
    )


def _daily_moves(program: Program, span: Span) -> dict[tuple[int, date], int]:
    """``(badge, day) → awards - losses`` of that local day."""
    zone = timezone.get_current_timezone()
    moves: dict[tuple[int, date], int] = {}
    holdings = BadgeHolding.objects.filter(badge__program=program)
    for field, sign in (("awarded_at", 1), ("lost_at", -1)):
        rows = (
            holdings.filter(span.q(field))
            .annotate(day=TruncDate(field, tzinfo=zone))
            .values("badge", "day")
            .annotate(n=Count("pk"))
            .values_list("badge", "day", "n")
        )
        for badge, day, n in rows:
            moves[(badge, day)] = moves.get((badge, day), 0) + sign * n
    return moves
