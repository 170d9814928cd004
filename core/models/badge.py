"""Ambassador badges: levels a contact earns when conditions on their activity hold.

A program's badges are ordered by rank (Bronze → Silver → Gold). Each has conditions
combined with *all* or *any*; a condition counts referral activity or loyalty actions,
optionally over a rolling period. ``BadgeHolding`` rows are the history of who held what:
one live row (``lost_at`` empty) per badge and contact, earlier rows kept for the
"holders over time" figures. The evaluation lives in ``core.services.badges``.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .contact import Contact
from .loyalty import LoyaltyKind
from .program import Program, RewardRule


class BadgeMatch(models.TextChoices):
    ALL = "all", _("All conditions")
    ANY = "any", _("Any condition")


class ConditionKind(models.TextChoices):
    INVITATIONS_SENT = "invitations_sent", _("Invitations sent")
    FRIENDS_REGISTERED = "friends_registered", _("Friends who registered")
    FRIENDS_CONVERTED = "friends_converted", _("Friends converted")
    REFERRALS_VALIDATED = "referrals_validated", _("Referrals validated")
    REFERRED_REVENUE = "referred_revenue", _("Referred revenue")
    POINTS_BALANCE = "points_balance", _("Loyalty points balance")
    POINTS_EARNED = "points_earned", _("Loyalty points earned")
    ACTION_COUNT = "action_count", _("Loyalty actions of one kind")
    HOLDS_BADGE = "holds_badge", _("Holds another badge")


#: The loyalty actions a condition may count (the shop's own kinds are ``custom`` + a name).
COUNTABLE_ACTIONS = [
    LoyaltyKind.PURCHASE,
    LoyaltyKind.REVIEW,
    LoyaltyKind.BIRTHDAY,
    LoyaltyKind.SOCIAL_FOLLOW,
    LoyaltyKind.NEWSLETTER_SIGNUP,
    LoyaltyKind.CUSTOM,
]


def badge_image_path(badge: Badge, filename: str) -> str:
    return f"parrain/badges/{badge.program_id}/{filename}"


class Badge(models.Model):
    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="badges"
    )
    rank = models.PositiveIntegerField(
        _("rank"), default=1, help_text=_("Lower ranks come first: Bronze 1, Silver 2, Gold 3.")
    )
    names = models.JSONField(_("name per language"), default=dict)
    descriptions = models.JSONField(_("description per language"), default=dict, blank=True)
    # The 256 px thumbnail made from the uploaded image (core.services.badges.set_image);
    # never an SVG, never the upload itself.
    image = models.ImageField(_("image"), upload_to=badge_image_path, blank=True)
    colour = models.CharField(
        _("colour"),
        max_length=7,
        default="#c08a2d",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1f6feb."))],
    )
    match = models.CharField(
        _("combine conditions"), max_length=3, choices=BadgeMatch.choices, default=BadgeMatch.ALL
    )
    keep_once_earned = models.BooleanField(
        _("kept once earned"),
        default=True,
        help_text=_(
            "Off: the badge is re-evaluated and lost when a condition over a rolling period "
            "no longer holds."
        ),
    )
    reward_rule = models.ForeignKey(
        RewardRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("referrer reward while held"),
        related_name="badges",
        help_text=_(
            "Replaces the program's referrer reward for invitations a holder issues while "
            "holding this badge (the highest-ranked held badge with a reward wins)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("badge")
        verbose_name_plural = _("badges")
        ordering = ["program", "rank", "pk"]

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str = "") -> str:
        return _pick(self.names, language, self.program.default_language) or f"#{self.pk}"

    def description(self, language: str = "") -> str:
        return _pick(self.descriptions, language, self.program.default_language)


def _pick(texts: dict, language: str, default: str) -> str:
    texts = texts or {}
    for tag in dict.fromkeys((language, language.split("-")[0], default, "en", "fr")):
        if tag and texts.get(tag):
            return str(texts[tag])
    return next((str(v) for v in texts.values() if v), "")


class BadgeCondition(models.Model):
    badge = models.ForeignKey(
        Badge, on_delete=models.CASCADE, verbose_name=_("badge"), related_name="conditions"
    )
    kind = models.CharField(_("condition"), max_length=24, choices=ConditionKind.choices)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    period_days = models.PositiveIntegerField(
        _("rolling period (days)"),
        null=True,
        blank=True,
        help_text=_("Count only the last N days; empty counts everything ever."),
    )
    action_kind = models.CharField(
        _("loyalty action"),
        max_length=20,
        choices=[(k.value, k.label) for k in COUNTABLE_ACTIONS],
        blank=True,
    )
    custom_kind = models.CharField(_("custom action name"), max_length=60, blank=True)
    required_badge = models.ForeignKey(
        Badge,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("required badge"),
        related_name="required_by",
    )

    class Meta:
        verbose_name = _("badge condition")
        verbose_name_plural = _("badge conditions")
        ordering = ["badge", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.threshold.normalize():f}"


class BadgeHolding(models.Model):
    """One period during which ``contact`` held ``badge``; ``lost_at`` empty while held."""

    badge = models.ForeignKey(
        Badge, on_delete=models.CASCADE, verbose_name=_("badge"), related_name="holdings"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, verbose_name=_("contact"), related_name="badges"
    )
    awarded_at = models.DateTimeField(_("awarded"), default=timezone.now)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)
    # "system" for the evaluation, else the admin user or API key that decided by hand.
    awarded_by = models.CharField(_("awarded by"), max_length=120, default="system")
    lost_by = models.CharField(_("lost by"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    # The condition values that decided, e.g. {"friends_converted": "5", "threshold": …}.
    values = models.JSONField(_("condition values"), default=dict, blank=True)

    class Meta:
        verbose_name = _("badge holder")
        verbose_name_plural = _("badge holders")
        constraints = [
            models.UniqueConstraint(
                fields=["badge", "contact"],
                condition=Q(lost_at__isnull=True),
                name="parrain_badge_held_once",
            )
        ]
        indexes = [
            models.Index(fields=["contact", "lost_at"], name="parrain_badge_by_contact"),
            models.Index(fields=["badge", "awarded_at"], name="parrain_badge_awarded"),
        ]

    def __str__(self) -> str:
        return f"{self.contact}: {self.badge}"


class BadgeRecompute(models.Model):
    """A background re-evaluation of a program's contacts, with its progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="+"
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="queued")
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    total = models.PositiveIntegerField(_("contacts"), default=0)
    done = models.PositiveIntegerField(_("contacts evaluated"), default=0)
    # Resumes after this contact pk if the worker restarts.
    last_contact_id = models.BigIntegerField(default=0)
    awarded = models.PositiveIntegerField(_("badges awarded"), default=0)
    lost = models.PositiveIntegerField(_("badges lost"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("badge recompute")
        verbose_name_plural = _("badge recomputes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.program}: {self.get_state_display()} ({self.done}/{self.total})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, int(self.done * 100 / self.total))
