"""The boost form every admin wraps (Django admin, Oscar dashboard, Wagtail).

    form = BoostForm(request.POST or None, program=program, instance=boost)
    if request.method == "POST" and form.is_valid():
        boost = form.save(actor=request.user.get_username())  # None: see form.errors

One label input per program language; start and end are ``datetime-local`` inputs read in
the program's time zone; the referrer reward during the boost and the optional welcome
offer are plain fields (kind, value, product, minimum order, validity) the service turns
into the boost's own reward rules. The checks are the service's
(``boosts.check_boost``), run by ``is_valid()``, so a refusal shows beside its field
before anything is stored. Once the boost has started, every field but the end and the
labels is disabled, and says why.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import InvalidInput
from ..models import Boost, Contest, Program
from ..models.choices import RewardKind
from ..services import boosts
from .fields import LocalDateTimeField

SIDES = (("referrer", "referrer_reward"), ("welcome", "welcome_offer"))
REWARD_PARTS = ("kind", "value", "product_ref", "minimum_order_amount", "validity_days")
STARTED_HELP = _("The boost has started: invitations already carry this reward.")


def _reward_fields(prefix: str, required: bool) -> dict[str, forms.Field]:
    none = [("", _("The normal welcome offer"))] if not required else []
    return {
        f"{prefix}_kind": forms.ChoiceField(
            label=_("reward") if required else _("welcome offer"),
            choices=[*none, *RewardKind.choices],
            required=required,
        ),
        f"{prefix}_value": forms.DecimalField(
            label=_("value"),
            required=False,
            min_value=Decimal(0),
            max_digits=12,
            decimal_places=2,
            help_text=_("Amount in the program currency, percentage, or number of points."),
        ),
        f"{prefix}_product_ref": forms.CharField(
            label=_("free product reference"), required=False, max_length=120
        ),
        f"{prefix}_minimum_order_amount": forms.DecimalField(
            label=_("minimum order amount"),
            required=False,
            min_value=Decimal(0),
            max_digits=12,
            decimal_places=2,
        ),
        f"{prefix}_validity_days": forms.IntegerField(
            label=_("validity (days)"),
            required=False,
            min_value=1,
            max_value=boosts.MAX_VALIDITY_DAYS,
            initial=90,
        ),
    }


class BoostForm(forms.Form):
    name = forms.CharField(
        label=_("name"), max_length=boosts.NAME_LENGTH, help_text=_("For the shop team only.")
    )

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        program: Program,
        instance: Boost | None = None,
        **kwargs: Any,
    ) -> None:
        self.program = program
        self.instance = instance if instance is not None and instance.pk else None
        kwargs.setdefault("initial", self._initial())
        super().__init__(data, *args, **kwargs)
        for language in program.languages:
            self.fields[f"label_{language}"] = forms.CharField(
                label=_("label (%(language)s)") % {"language": language},
                required=False,
                max_length=boosts.LABEL_LENGTH,
                help_text=_("What customers read, e.g. “Double reward until Sunday”."),
            )
        zone = program.tz()
        help_zone = _("In the program's time zone (%(zone)s).") % {"zone": program.time_zone}
        self.fields["starts_at"] = LocalDateTimeField(
            tz=zone, label=_("starts"), help_text=help_zone
        )
        self.fields["ends_at"] = LocalDateTimeField(
            tz=zone,
            label=_("ends"),
            help_text=_(
                "Excluded: invitations issued before this moment carry the boosted reward, "
                "even when the friend orders later. %(zone)s"
            )
            % {"zone": help_zone},
        )
        self.fields.update(_reward_fields("referrer", required=True))
        self.fields.update(_reward_fields("welcome", required=False))
        self.fields["contest"] = forms.ModelChoiceField(
            label=_("contest"),
            queryset=Contest.objects.filter(program=program),
            required=False,
            help_text=_("Optional: the contest this boost promotes."),
        )
        if self.started:
            self._freeze()

    @property
    def started(self) -> bool:
        return self.instance is not None and self.instance.has_started()

    def _initial(self) -> dict[str, Any]:
        boost = self.instance
        if boost is None:
            return {"referrer_validity_days": 90, "welcome_validity_days": 90}
        initial: dict[str, Any] = {
            "name": boost.name,
            "starts_at": boost.starts_at,
            "ends_at": boost.ends_at,
            "contest": boost.contest_id,
            **{f"label_{lang}": text for lang, text in boost.labels.items()},
        }
        for prefix, rule in (("referrer", boost.referrer_rule), ("welcome", boost.referee_rule)):
            for part, value in (boosts.reward_spec(rule) or {}).items():
                initial[f"{prefix}_{part}"] = value
        return initial

    def _freeze(self) -> None:
        for name, field in self.fields.items():
            if name == "ends_at" or name.startswith("label_"):
                continue
            field.disabled = True
            field.help_text = STARTED_HELP

    # --- what the service receives -------------------------------------------------------

    def _reward(self, prefix: str) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get(f"{prefix}_kind"):
            return None
        spec = {part: data.get(f"{prefix}_{part}") for part in REWARD_PARTS}
        spec["value"] = spec["value"] if spec["value"] is not None else Decimal(0)
        spec["product_ref"] = spec["product_ref"] or ""
        spec["minimum_order_amount"] = spec["minimum_order_amount"] or Decimal(0)
        spec["validity_days"] = spec["validity_days"] or 90
        return spec

    def changes(self) -> dict[str, Any]:
        """The fields for ``create_boost`` / ``update_boost`` (a started boost: only what
        may still change)."""
        data = self.cleaned_data
        labels = {lang: data.get(f"label_{lang}") or "" for lang in self.program.languages}
        if self.started:
            return {"ends_at": data.get("ends_at"), "labels": labels}
        return {
            "name": data.get("name"),
            "labels": labels,
            "starts_at": data.get("starts_at"),
            "ends_at": data.get("ends_at"),
            "referrer_reward": self._reward("referrer"),
            "welcome_offer": self._reward("welcome"),
            "contest": data.get("contest"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                boosts.check_boost(self.program, self.instance, self.changes())
            except InvalidInput as error:
                self.show_error(error)
        return data

    def show_error(self, error: InvalidInput) -> None:
        """Put a service refusal beside the field it names (or above the form)."""
        self.add_error(self.field_for(error.field), error.message)

    def field_for(self, field: str | None) -> str | None:
        name = field or ""
        for prefix, service_name in SIDES:
            if name == service_name:
                name = f"{prefix}_kind"
            elif name.startswith(f"{service_name}."):
                name = f"{prefix}_{name.split('.', 1)[1]}"
        if name.startswith("labels."):
            name = f"label_{name.split('.', 1)[1]}"
        return name if name in self.fields else None

    def save(self, *, actor: str) -> Boost | None:
        """Create or update the boost through the service; None when it refused (the
        message is then on the form)."""
        if not self.is_valid():
            return None
        try:
            if self.instance is None:
                self.instance = boosts.create_boost(self.program, actor=actor, **self.changes())
            else:
                self.instance = boosts.update_boost(self.instance, actor=actor, **self.changes())
        except InvalidInput as error:
            self.show_error(error)
            return None
        return self.instance
