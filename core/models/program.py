from __future__ import annotations

import hashlib
import secrets
from datetime import time
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..addresses import origin_of
from ..rotation import in_force, new_identity_secret
from .choices import FraudAction, RewardKind, Side


def _public_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def _webhook_secret() -> str:
    """Kept for migration 0001; new programs get :func:`new_identity_secret`."""
    return "whsec_" + secrets.token_urlsafe(32)


def validate_timezone(value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(zone)s"), params={"zone": value}) from exc


# A reward rule that is a program's normal offer: active, and neither a badge's own
# referrer reward nor a boost's (see ``Program.rule``).
NORMAL_OFFER = {
    "is_active": True,
    "badges__isnull": True,
    "boosts_as_referrer__isnull": True,
    "boosts_as_referee__isnull": True,
}


def _default_languages() -> list[str]:
    return ["fr", "en"]


def _default_share_channels() -> list[str]:
    return ["email", "whatsapp", "sms", "facebook", "messenger", "x", "linkedin", "link", "qr"]


#: The longest text of each per-language field (characters).
CONSENT_TEXT_LENGTH = 500
LEGAL_FOOTER_LENGTH = 1000
LABEL_LENGTH = 120


def known_languages() -> list[str]:
    """The languages a program may speak: the site's ``LANGUAGES``."""
    return [code for code, _name in settings.LANGUAGES]


def known_share_channels() -> list[str]:
    """The channels the referrer widget knows, in its default order."""
    return _default_share_channels()


def clean_origin(value: object) -> str:
    """``value`` as an origin (``scheme://host[:port]``, lower case, default port dropped);
    ``ValidationError`` for anything else, a path included."""
    text = value.strip() if isinstance(value, str) else ""
    origin = origin_of(text)
    try:
        parts = urlsplit(text)
    except ValueError:
        origin = ""
    else:
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            origin = ""
    if not origin:
        raise ValidationError(
            _(
                "%(value)s is not an origin: write the scheme, host and port only, e.g. "
                "https://shop.example or http://localhost:8000 (no path)."
            ),
            code="origin",
            params={"value": value},
        )
    return origin


def clean_texts(value: object, languages: list[str], length: int) -> dict[str, str]:
    """Texts per language (``{"fr": "…"}``): keyed by ``languages``, at most ``length``
    characters each, blanks dropped; ``ValidationError`` otherwise."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(_('Give one text per language, e.g. {"fr": "…"}.'), code="texts")
    texts = {str(key): str(text or "").strip() for key, text in value.items()}
    for language, text in texts.items():
        if language not in languages and text:
            raise ValidationError(
                _("%(language)s is not a language of this program (%(languages)s)."),
                code="language",
                params={"language": language, "languages": ", ".join(languages)},
            )
        if len(text) > length:
            raise ValidationError(
                _("%(language)s: at most %(length)s characters."),
                code="length",
                params={"language": language, "length": length},
            )
    return {language: text for language, text in texts.items() if text}


class Program(models.Model):
    """One referral program: its offers, keys, delays and fraud settings."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Paris",
        validators=[validate_timezone],
        help_text=_("Boosts, contests and dashboards read dates in this time zone."),
    )
    languages = models.JSONField(_("languages"), default=_default_languages)
    default_language = models.CharField(_("default language"), max_length=8, default="fr")
    is_active = models.BooleanField(_("active"), default=True)
    public_key = models.CharField(_("public key"), max_length=64, unique=True, default=_public_key)
    # Signs identity tokens only (core/identity.py derives the key); webhook endpoints have
    # their own secrets. Shown masked, to users who may change the program, revealed and
    # rotated through core.services.secrets (audited).
    identity_secret = models.CharField(
        _("identity token secret"), max_length=80, default=new_identity_secret, editable=False
    )
    identity_secret_previous = models.CharField(
        _("previous identity token secret"), max_length=80, blank=True, editable=False
    )
    identity_secret_rotated_at = models.DateTimeField(
        _("identity token secret rotated"), null=True, blank=True, editable=False
    )
    landing_url = models.URLField(_("landing page URL"), blank=True)
    allowed_origins = models.JSONField(_("allowed widget origins"), default=list, blank=True)
    attribution_window_days = models.PositiveIntegerField(
        _("attribution window (days)"),
        default=30,
        help_text=_(
            "An order counts for the referrer only if placed within this many days of the "
            "friend's last invitation or registration (a welcome code follows its own "
            "validity). 0 means no limit."
        ),
    )
    validation_delay_days = models.PositiveIntegerField(_("validation delay (days)"), default=14)

    fraud_self_referral = models.CharField(
        _("self-referral"), max_length=8, choices=FraudAction.choices, default=FraudAction.BLOCK
    )
    fraud_existing_customer = models.CharField(
        _("referee already a customer"),
        max_length=8,
        choices=FraudAction.choices,
        default=FraudAction.BLOCK,
    )
    fraud_already_referred = models.CharField(
        _("referee already referred"),
        max_length=8,
        choices=FraudAction.choices,
        default=FraudAction.BLOCK,
    )
    fraud_disposable_email = models.CharField(
        _("disposable email domain"),
        max_length=8,
        choices=FraudAction.choices,
        default=FraudAction.REVIEW,
    )
    daily_invitation_cap = models.PositiveIntegerField(
        _("invitations per referrer per day"), default=50, help_text=_("0 means no cap.")
    )
    monthly_reward_cap = models.PositiveIntegerField(
        _("rewards per referrer per month"),
        default=10,
        help_text=_("0 means no cap. Referrals past the cap wait for review."),
    )
    # The widget (issue 3): what the referrer and referee widgets show.
    share_channels = models.JSONField(
        _("share channels"),
        default=_default_share_channels,
        blank=True,
        help_text=_(
            "Channels the referrer widget offers: email, sms, whatsapp, facebook, messenger, "
            "x, linkedin, link, qr."
        ),
    )
    brand_colour = models.CharField(
        _("brand colour"),
        max_length=7,
        default="#1f6feb",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour like #1f6feb."))],
    )
    consent_texts = models.JSONField(
        _("consent text per language"),
        default=dict,
        blank=True,
        help_text=_(
            'The recontact opt-in shown to friends, e.g. {"fr": "J\'accepte…", "en": "I agree…"}'
        ),
    )
    rules_url = models.URLField(_("rules page URL"), blank=True)
    legal_url = models.URLField(_("legal notice URL"), blank=True)
    privacy_mode = models.BooleanField(
        _("welcome code by email only"),
        default=False,
        help_text=_(
            "The referee widget never shows the welcome code: it is emailed, and the widget "
            "answers the same whatever the email, so nobody can learn who is a customer."
        ),
    )
    anonymous_invitations = models.BooleanField(
        _("email invitations from unconfirmed referrers"),
        default=False,
        help_text=_(
            "Lets a visitor who got their link in the widget (not signed in) invite friends by "
            "email. Their invitations wait until they confirm their own address through the "
            "link we email them. Off: only signed-in customers invite by email; everyone can "
            "still share their link."
        ),
    )
    anonymous_invitation_budget = models.PositiveIntegerField(
        _("daily budget of invitation emails from unconfirmed referrers"),
        default=100,
        help_text=_(
            "Past it, such invitations wait for the next day and the managers are told. "
            "0 means no budget."
        ),
    )
    loyalty_points_per_unit = models.DecimalField(
        _("loyalty points per currency unit"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_(
            "Points a customer earns per unit of each recorded order (rounded down). "
            "0 means orders earn no points."
        ),
    )
    # Scenarios and messages (issue 13): the pressure put on one contact by solicitations
    # (transactional messages are never held: see choices.TRANSACTIONAL_KINDS).
    messages_per_week = models.PositiveSmallIntegerField(
        _("messages per contact per 7 days"),
        default=3,
        help_text=_("At most this many solicitations per contact over any 7 days. 0: no limit."),
    )
    quiet_hours_start = models.TimeField(
        _("quiet hours start"),
        default=time(21, 0),
        null=True,
        blank=True,
        help_text=_("Solicitations due from this time wait until the quiet hours end."),
    )
    quiet_hours_end = models.TimeField(
        _("quiet hours end"), default=time(8, 0), null=True, blank=True
    )
    min_gap_hours = models.PositiveSmallIntegerField(
        _("minimum gap between two messages (hours)"),
        default=12,
        help_text=_("A solicitation waits until this long after the contact's previous message."),
    )
    legal_footer = models.JSONField(
        _("legal footer per language"),
        default=dict,
        blank=True,
        help_text=_("Printed at the foot of every email: company name, address, registration."),
    )
    shop_address = models.TextField(_("shop postal address"), blank=True)
    # Who runs the program: the reports meant for the shop owner (the regular import's,
    # when its schedule names nobody else) go to this address.
    owner_email = models.EmailField(
        _("owner's email"),
        blank=True,
        help_text=_("Receives the reports meant for the shop owner, such as the regular import's."),
    )
    review_url = models.URLField(_("review page URL"), blank=True)
    # Issue 14: the last column mapping confirmed ({header: field key}), offered again on
    # the next import; and the retention period (contacts with no activity for this many
    # months are erased by the periodic task ``erase_inactive_contacts``; empty: never).
    import_mapping = models.JSONField(_("saved column mapping"), default=dict, blank=True)
    retention_months = models.PositiveSmallIntegerField(
        _("erase inactive contacts after (months)"),
        null=True,
        blank=True,
        help_text=_("Leave empty to keep contacts until they ask to be erased."),
    )
    # Issue 15 §2, the setup checklist: when the widget's configuration was first and last
    # asked for from an allowed page origin, and which (services.setup_checklist writes it
    # at most once a minute); when the owner marked the shipped messages as reviewed.
    widget_first_seen_at = models.DateTimeField(
        _("widget first seen"), null=True, blank=True, editable=False
    )
    widget_last_seen_at = models.DateTimeField(
        _("widget last seen"), null=True, blank=True, editable=False
    )
    widget_seen_origin = models.CharField(
        _("widget last seen on"), max_length=200, blank=True, editable=False
    )
    messages_reviewed_at = models.DateTimeField(
        _("messages reviewed"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The rules every editor shares (the admins' program editor, the management API):
        known languages with the default among them, known share channels, well-formed
        origins, texts keyed by the program's languages. Lists and texts come back tidy
        (duplicates and blanks dropped, origins in their canonical form)."""
        errors: dict[str, list[ValidationError]] = {}
        for name, check in (
            ("languages", self._clean_languages),
            ("share_channels", self._clean_channels),
            ("allowed_origins", self._clean_origins),
        ):
            try:
                setattr(self, name, check(getattr(self, name)))
            except ValidationError as error:
                errors.setdefault(name, []).append(error)
        languages = self.languages if "languages" not in errors else []
        if "languages" not in errors and self.default_language not in languages:
            errors["default_language"] = [
                ValidationError(
                    _("The default language must be one of the program's languages (%(list)s)."),
                    code="default_language",
                    params={"list": ", ".join(languages)},
                )
            ]
        for name, length in (
            ("consent_texts", CONSENT_TEXT_LENGTH),
            ("legal_footer", LEGAL_FOOTER_LENGTH),
        ):
            try:
                setattr(self, name, clean_texts(getattr(self, name), languages, length))
            except ValidationError as error:
                errors.setdefault(name, []).append(error)
        if errors:
            raise ValidationError(errors)

    @staticmethod
    def _clean_languages(value: object) -> list[str]:
        known = known_languages()
        if not isinstance(value, list) or not value:
            raise ValidationError(_("Choose at least one language."), code="languages")
        unknown = [str(code) for code in value if code not in known]
        if unknown:
            raise ValidationError(
                _("Unknown language: %(codes)s (known: %(known)s)."),
                code="language",
                params={"codes": ", ".join(unknown), "known": ", ".join(known)},
            )
        return list(dict.fromkeys(value))

    @staticmethod
    def _clean_channels(value: object) -> list[str]:
        known = known_share_channels()
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(_("Give a list of channels."), code="channels")
        unknown = [str(name) for name in value if name not in known]
        if unknown:
            raise ValidationError(
                _("Unknown share channel: %(names)s (known: %(known)s)."),
                code="channel",
                params={"names": ", ".join(unknown), "known": ", ".join(known)},
            )
        return list(dict.fromkeys(value))

    @staticmethod
    def _clean_origins(value: object) -> list[str]:
        if value in (None, ""):
            return []
        if not isinstance(value, list):
            raise ValidationError(_("Give a list of origins."), code="origins")
        return list(dict.fromkeys(clean_origin(origin) for origin in value))

    def identity_secrets(self) -> list[str]:
        """The identity secrets accepted now: the current one, and the previous in its grace."""
        return in_force(
            self.identity_secret, self.identity_secret_previous, self.identity_secret_rotated_at
        )

    def create_api_key(self, label: str = "") -> tuple[ApiKey, str]:
        """Create a secret API key; the clear key is returned once and never stored."""
        clear = "sk_" + secrets.token_urlsafe(32)
        key = ApiKey.objects.create(
            program=self, label=label, prefix=clear[:10], hashed=ApiKey.hash(clear)
        )
        return key, clear

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def rule(self, side: str) -> RewardRule | None:
        """The newest active rule of ``side``; a rule that belongs to a badge (its holders'
        own referrer reward) or to a boost is never the program's normal offer."""
        rules = self.reward_rules.filter(side=side, **NORMAL_OFFER)
        return rules.order_by("-pk").first()


class ApiKey(models.Model):
    """A server-to-server secret key, stored as a SHA-256 hash of a 256-bit random token."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="api_keys"
    )
    label = models.CharField(_("label"), max_length=80, blank=True)
    prefix = models.CharField(_("prefix"), max_length=12)
    hashed = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("secret API key")
        verbose_name_plural = _("secret API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or self.program})"

    @staticmethod
    def hash(clear: str) -> str:
        return hashlib.sha256(clear.encode()).hexdigest()


class AccountKey(models.Model):
    """An account-level secret key (``mk_…``) of the management API (issue 16 §2).

    Scope ``manage`` creates, reads, changes and deletes programs and their keys, reward
    rules, endpoints and every other resource, over ``/api/v1/manage/…`` and over each
    program's own ``/api/v1/programs/<slug>/…`` endpoints. Stored as a SHA-256 hash of a
    256-bit random token, as :class:`ApiKey`; created with ``parrain_account_key`` or the
    Django admin, the clear key shown once.
    """

    class Scope(models.TextChoices):
        MANAGE = "manage", _("manage programs and keys")

    label = models.CharField(_("label"), max_length=80, blank=True)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.MANAGE)
    prefix = models.CharField(_("prefix"), max_length=12)
    hashed = models.CharField(max_length=64, unique=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("account API key")
        verbose_name_plural = _("account API keys")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.label or self.get_scope_display()})"

    @classmethod
    def create(cls, label: str = "", *, created_by: str = "") -> tuple[AccountKey, str]:
        """Create a key; the clear key is returned once and never stored."""
        clear = "mk_" + secrets.token_urlsafe(32)
        key = cls.objects.create(
            label=label, prefix=clear[:10], hashed=ApiKey.hash(clear), created_by=created_by
        )
        return key, clear


VALUED_KINDS = (RewardKind.FIXED_AMOUNT, RewardKind.PERCENTAGE, RewardKind.LOYALTY_POINTS)


class RewardRule(models.Model):
    """What one side earns: the referrer reward or the referee welcome offer."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, verbose_name=_("program"), related_name="reward_rules"
    )
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    kind = models.CharField(_("type"), max_length=20, choices=RewardKind.choices)
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Amount in the program currency, percentage, or number of points."),
    )
    product_ref = models.CharField(_("free product reference"), max_length=120, blank=True)
    minimum_order_amount = models.DecimalField(
        _("minimum order amount"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    validity_days = models.PositiveIntegerField(_("validity (days)"), default=90)
    labels = models.JSONField(
        _("labels per language"),
        default=dict,
        blank=True,
        help_text=_('e.g. {"fr": "10 € offerts"}'),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")

    def __str__(self) -> str:
        # Worded and written as the reader writes ("20,00" in French, like the list's
        # column; a space before the colon).
        return gettext("%(side)s: %(kind)s %(value)s") % {
            "side": self.get_side_display(),
            "kind": self.get_kind_display(),
            "value": formats.localize(self.value),
        }

    def clean(self) -> None:
        """What each kind needs (a value above 0, at most 100 %, a product reference) and
        labels keyed by the program's languages (see :meth:`Program.clean`)."""
        errors: dict[str, ValidationError] = {}
        value = self.value if self.value is not None else Decimal(0)
        if self.kind == RewardKind.PERCENTAGE and value > 100:
            errors["value"] = ValidationError(_("A percentage is at most 100."), code="percent")
        elif self.kind in VALUED_KINDS and value <= 0:
            errors["value"] = ValidationError(_("Give a value above 0."), code="value")
        if self.kind == RewardKind.FREE_PRODUCT and not (self.product_ref or "").strip():
            errors["product_ref"] = ValidationError(
                _("Give the free product's reference."), code="product_ref"
            )
        program = self.program if type(self).program.is_cached(self) or self.program_id else None
        languages = list(program.languages or []) if program is not None else known_languages()
        try:
            self.labels = clean_texts(self.labels, languages, LABEL_LENGTH)
        except ValidationError as error:
            errors["labels"] = error
        if errors:
            raise ValidationError(errors)
