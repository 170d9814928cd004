"""The program editor every admin wraps (Django admin, Oscar dashboard, Wagtail), issue 15 §2.

    form = ProgramForm(request.POST or None, instance=program)  # no instance: a new program
    if request.method == "POST" and form.is_valid():
        program = form.save(actor=request.user.get_username())

No JSON to type: share channels are checkboxes with icons in the order the widget shows
them; languages a multi-select; the consent text and the offers' labels one input per
language; allowed origins a list of URL inputs; the brand colour a colour picker. The
program's two offers (the referrer reward and the friend's welcome offer) are two blocks of
plain fields (``referrer_*``, ``referee_*``) that edit the program's current rule of each
side. The rules are the model's (``Program.clean``, ``RewardRule.clean``), so the management
API and this form agree; saving goes through ``services.program_setup`` (validated again,
audited with the actor and the fields that changed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..models import Program, RewardRule
from ..models.choices import Channel, RewardKind, Side
from ..models.program import (
    CONSENT_TEXT_LENGTH,
    LABEL_LENGTH,
    known_languages,
    known_share_channels,
)
from ..services import program_setup
from ..services.retention import dry_run_text
from .fields import OrderedChannelsField, OriginListField, PerLanguageTextField

#: The program's settings the editor shows (in this order when a wrapper lists them all).
PROGRAM_FIELDS = [
    "name",
    "slug",
    "is_active",
    "owner_email",
    "currency",
    "time_zone",
    "languages",
    "default_language",
    "landing_url",
    "allowed_origins",
    "share_channels",
    "brand_colour",
    "consent_texts",
    "rules_url",
    "legal_url",
    "privacy_mode",
    "anonymous_invitations",
    "anonymous_invitation_budget",
    "attribution_window_days",
    "validation_delay_days",
    "loyalty_points_per_unit",
    "fraud_self_referral",
    "fraud_existing_customer",
    "fraud_already_referred",
    "fraud_disposable_email",
    "daily_invitation_cap",
    "monthly_reward_cap",
    "retention_months",
]
#: The two offers, edited as blocks: (side, form prefix, heading).
OFFER_SIDES = (
    (Side.REFERRER, "referrer", _("Referrer reward")),
    (Side.REFEREE, "referee", _("Friend's welcome offer")),
)
OFFER_PARTS = ("kind", "value", "product_ref", "minimum_order_amount", "validity_days", "labels")
OFFER_FIELDS = [
    f"{prefix}_{part}" for _side, prefix, _heading in OFFER_SIDES for part in OFFER_PARTS
]
PER_LANGUAGE_FIELDS = ("consent_texts", "referrer_labels", "referee_labels")
#: How the Oscar and Wagtail wrappers group the fields (the Django admin has its fieldsets,
#: with the keys and links it shows beside them).
SECTIONS = (
    (_("Program"), ["name", "slug", "is_active", "owner_email"]),
    (_("Currency and languages"), ["currency", "time_zone", "languages", "default_language"]),
    (_("Landing page and widget"), ["landing_url", "allowed_origins"]),
    (
        _("Widget"),
        [
            "share_channels",
            "brand_colour",
            "consent_texts",
            "rules_url",
            "legal_url",
            "privacy_mode",
        ],
    ),
    *(
        (heading, [f"{prefix}_{part}" for part in OFFER_PARTS])
        for _side, prefix, heading in OFFER_SIDES
    ),
    (
        _("Email invitations from the widget"),
        ["anonymous_invitations", "anonymous_invitation_budget"],
    ),
    (_("Delays"), ["attribution_window_days", "validation_delay_days"]),
    (_("Loyalty points"), ["loyalty_points_per_unit"]),
    (
        _("Fraud"),
        [
            "fraud_self_referral",
            "fraud_existing_customer",
            "fraud_already_referred",
            "fraud_disposable_email",
            "daily_invitation_cap",
            "monthly_reward_cap",
        ],
    ),
    (_("Privacy"), ["retention_months"]),
)


def language_choices() -> list[tuple[str, str]]:
    from django.conf import settings

    names = dict(settings.LANGUAGES)
    return [(code, str(names[code])) for code in known_languages()]


def channel_choices() -> list[tuple[str, str]]:
    labels = dict(Channel.choices)
    return [(code, labels.get(code, code)) for code in known_share_channels()]


def _kind(heading: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=capfirst(_("type")),
        choices=[("", _("No offer")), *RewardKind.choices],
        required=False,
        help_text=heading,
    )


def _value() -> forms.DecimalField:
    return forms.DecimalField(
        label=capfirst(_("value")),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
        help_text=_("Amount in the program currency, percentage, or number of points."),
    )


def _product() -> forms.CharField:
    return forms.CharField(
        label=capfirst(_("free product reference")),
        required=False,
        max_length=120,
        help_text=_("Only for a free product: the product's reference (SKU) in the shop."),
    )


def _minimum() -> forms.DecimalField:
    return forms.DecimalField(
        label=capfirst(_("minimum order amount")),
        required=False,
        min_value=Decimal(0),
        max_digits=12,
        decimal_places=2,
    )


def _validity() -> forms.IntegerField:
    return forms.IntegerField(
        label=capfirst(_("validity (days)")),
        required=False,
        min_value=1,
        max_value=3650,
        initial=90,
    )


def _labels(example: str) -> PerLanguageTextField:
    return PerLanguageTextField(
        label=capfirst(_("label shown in the widget")),
        max_length=LABEL_LENGTH,
        help_text=_("What customers read, one text per language, e.g. “%(example)s”.")
        % {"example": example},
    )


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ProgramForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=capfirst(_("languages")),
        help_text=_(
            "The languages the widgets and messages speak (hold Ctrl or ⌘ to choose several)."
        ),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    default_language = forms.ChoiceField(
        label=capfirst(_("default language")),
        help_text=_("Used when a visitor's language is not one of the program's."),
    )
    share_channels = OrderedChannelsField(
        label=capfirst(_("share channels")),
        help_text=_(
            "The channels the referrer widget offers, in this order: check the ones you want, "
            "move them with the arrows."
        ),
    )
    allowed_origins = OriginListField(
        label=capfirst(_("allowed widget origins")),
        help_text=_(
            "The sites whose pages may show the widget: scheme, host and port only, as the "
            "browser's address bar shows them, e.g. https://shop.example (no path). Leave a "
            "row empty to remove it."
        ),
    )
    brand_colour = forms.RegexField(
        label=capfirst(_("brand colour")),
        regex=r"^#[0-9a-fA-F]{6}$",
        error_messages={"invalid": _("A colour like #1f6feb.")},
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Buttons and links of the widget."),
    )
    consent_texts = PerLanguageTextField(
        label=capfirst(_("recontact consent text")),
        max_length=CONSENT_TEXT_LENGTH,
        rows=2,
        help_text=_(
            "The opt-in sentence friends tick to be recontacted, one per language; empty: "
            "the widget's own sentence."
        ),
    )

    referrer_kind = _kind(_("What the referrer earns for each validated referral."))
    referrer_value = _value()
    referrer_product_ref = _product()
    referrer_minimum_order_amount = _minimum()
    referrer_validity_days = _validity()
    referrer_labels = _labels("10 € offerts")
    referee_kind = _kind(_("What the friend gets on their first order."))
    referee_value = _value()
    referee_product_ref = _product()
    referee_minimum_order_amount = _minimum()
    referee_validity_days = _validity()
    referee_labels = _labels("-15 % sur votre première commande")

    class Meta:
        model = Program
        fields = PROGRAM_FIELDS
        formfield_callback = _formfield

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages"].choices = language_choices()
        self.fields["default_language"].choices = language_choices()
        self.fields["share_channels"].choices = channel_choices()
        known = language_choices()
        for name in PER_LANGUAGE_FIELDS:
            if name in self.fields:
                self.fields[name].set_languages(known, self.enabled_languages())  # type: ignore[attr-defined]
        if not self.instance.pk:  # a new program: the model's defaults, declared fields too
            for name in self.declared_fields:
                if name in PROGRAM_FIELDS:
                    self.initial.setdefault(name, getattr(self.instance, name))
        if not self.is_bound:
            self.initial.update(self._offer_initial())
        if self.instance.pk and "retention_months" in self.fields:  # the saved setting's dry run
            field = self.fields["retention_months"]
            dry_run = dry_run_text(self.instance)
            # Off: the dry run's "kept until they ask" would repeat the help text word for word.
            on = bool(self.instance.retention_months)
            field.help_text = f"{field.help_text} {dry_run}" if on else dry_run

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        """The fields by section, for the wrappers' templates."""
        return [
            (str(heading), [self[name] for name in names if name in self.fields])
            for heading, names in SECTIONS
        ]

    def enabled_languages(self) -> list[str]:
        """The languages chosen on the form (posted), else the program's."""
        if self.is_bound:
            posted = self.fields["languages"].widget.value_from_datadict(
                self.data, self.files, self.add_prefix("languages")
            )
            if posted:
                return [code for code in posted if code in known_languages()]
        return list(self.instance.languages or [])

    # --- the offers ----------------------------------------------------------------------

    def current_rule(self, side: str) -> RewardRule | None:
        return self.instance.rule(side) if self.instance.pk else None

    def _offer_initial(self) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for side, prefix, _heading in OFFER_SIDES:
            rule = self.current_rule(side)
            initial[f"{prefix}_validity_days"] = 90
            if rule is None:
                continue
            for part in OFFER_PARTS:
                initial[f"{prefix}_{part}"] = getattr(rule, part)
        return initial

    def offer(self, prefix: str) -> dict[str, Any] | None:
        """The offer of one side as ``RewardRule`` fields; None for "no offer"."""
        data = self.cleaned_data
        if not data.get(f"{prefix}_kind"):
            return None
        value = data.get(f"{prefix}_value")
        minimum = data.get(f"{prefix}_minimum_order_amount")
        return {
            "kind": data[f"{prefix}_kind"],
            "value": value if value is not None else Decimal(0),
            "product_ref": (data.get(f"{prefix}_product_ref") or "").strip(),
            "minimum_order_amount": minimum if minimum is not None else Decimal(0),
            "validity_days": data.get(f"{prefix}_validity_days") or 90,
            "labels": data.get(f"{prefix}_labels") or {},
            "is_active": True,
        }

    # --- checks: the model's -------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        languages = data.get("languages") or self.enabled_languages()
        for name in PER_LANGUAGE_FIELDS:
            if isinstance(data.get(name), dict):  # a language taken off: its texts go too
                data[name] = {code: text for code, text in data[name].items() if code in languages}
        footer = self.instance.legal_footer  # edited with the scenario settings, kept in step
        if isinstance(footer, dict):
            self.instance.legal_footer = {k: v for k, v in footer.items() if k in languages}
        return data

    def _post_clean(self) -> None:
        super()._post_clean()  # Program.full_clean, errors beside their fields
        preview = Program(languages=self.cleaned_data.get("languages") or self.enabled_languages())
        for _side_value, prefix, _heading in OFFER_SIDES:
            if any(f"{prefix}_{part}" in self.errors for part in OFFER_PARTS):
                continue
            offer = self.offer(prefix)
            if offer is None:
                continue
            rule = RewardRule(program=preview, side=_side_value, **offer)
            try:
                rule.full_clean(exclude=["program"])
            except ValidationError as error:
                for part, messages in error.message_dict.items():
                    field = f"{prefix}_{part}"
                    self.add_error(field if field in self.fields else None, messages)

    # --- saving: the service's -----------------------------------------------------------

    def program_values(self) -> dict[str, Any]:
        """The settings to save, tidy as ``Program.clean`` left them on the instance."""
        stored = {field.name for field in Program._meta.concrete_fields}
        values = {
            name: getattr(self.instance, name)
            for name in self.fields
            if name in stored and not self.fields[name].disabled
        }
        if self.instance.pk:
            values["legal_footer"] = self.instance.legal_footer
        return values

    def save(self, commit: bool = True, *, actor: str = "admin") -> Program:  # type: ignore[override]
        """Create or update the program and its two offers through ``program_setup``.

        ``commit=False`` (the Django admin's first step) returns the unsaved instance; the
        admin then calls ``save(actor=…)``."""
        if not commit:
            self.save_m2m = lambda: None  # a program has no many-to-many field
            return self.instance
        values = self.program_values()
        with transaction.atomic():
            if self.instance.pk:
                program = Program.objects.get(pk=self.instance.pk)
                program_setup.update_program(program, values, actor=actor)
            else:
                program = program_setup.create_program(values, actor=actor)
            for side, prefix, _heading in OFFER_SIDES:
                self._save_offer(program, side, self.offer(prefix), actor)
        self.instance = program
        return program

    @staticmethod
    def _save_offer(program: Program, side: str, offer: dict[str, Any] | None, actor: str) -> None:
        rule = program.rule(side)
        if offer is None:
            if rule is not None:
                program_setup.update_rule(rule, {"is_active": False}, actor=actor)
        elif rule is None:
            program_setup.create_rule(program, {"side": side, **offer}, actor=actor)
        else:
            program_setup.update_rule(rule, offer, actor=actor)


class RewardRuleForm(forms.ModelForm):
    """One reward rule on its own (the rules lists of the Django admin and Wagtail): its
    labels one input per language of its program, as in the program editor."""

    labels = _labels("10 € offerts")

    class Meta:
        model = RewardRule
        fields = [
            "program",
            "side",
            "kind",
            "value",
            "minimum_order_amount",
            "product_ref",
            "validity_days",
            "labels",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.instance.program if self.instance.program_id else None
        enabled = list(program.languages) if program is not None else known_languages()
        self.fields["labels"].set_languages(language_choices(), enabled)  # type: ignore[attr-defined]
