"""The scenario forms every admin wraps (Django admin, Oscar dashboard, Wagtail); imported
from ``core/forms/messages.py`` with the template form.

    form = ScenarioStepForm(request.POST or None, program=program, instance=step)
    if request.method == "POST" and form.is_valid():
        step = form.save(actor=request.user.get_username())

    form = ScenarioSettingsForm(request.POST or None, instance=program)

The checks are the service's (``scenarios.create_step`` / ``update_step``), run by
``is_valid()``, so a refusal shows beside its field before anything is stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .. import audit
from ..exceptions import InvalidInput
from ..models import Program, ScenarioStep
from ..models.choices import (
    TRIGGER_ROLES,
    Audience,
    MessageKind,
    Recipient,
    Trigger,
)
from ..services import scenarios
from ..services.texts import per_language

LEGAL_FOOTER_LENGTH = 1000


class ScenarioStepForm(forms.ModelForm):
    audience = forms.MultipleChoiceField(
        label=_("send only if"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Checked when the trigger happens and again when the message is due: a message "
            "whose goal was reached meanwhile is not sent."
        ),
    )

    class Meta:
        model = ScenarioStep
        fields = [
            "name",
            "trigger",
            "delay_amount",
            "delay_unit",
            "channel",
            "kind",
            "recipient",
            "audience",
            "is_active",
            "position",
        ]
        help_texts = {
            "delay_amount": _("0 sends at once (solicitations still respect the pressure rules)."),
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["kind"].choices = [
            (value, label)
            for value, label in MessageKind.choices
            if value != MessageKind.CONFIRMATION
        ]
        self.fields["delay_amount"].widget.attrs["min"] = 0
        trigger = self._trigger()
        if trigger is not None:
            roles = TRIGGER_ROLES[trigger]
            self.fields["recipient"].choices = [
                (value, label) for value, label in Recipient.choices if value in roles
            ]

    def _trigger(self) -> Trigger | None:
        value = self.data.get(self.add_prefix("trigger")) if self.is_bound else None
        value = value or self.initial.get("trigger") or self.instance.trigger
        return Trigger(value) if value in Trigger.values else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        step = ScenarioStep(program=self.program)
        values = {name: data.get(name) for name in scenarios.STEP_FIELDS if name in data}
        values["audience"] = list(data.get("audience") or [])
        try:
            scenarios.apply_data(step, values)
        except InvalidInput as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def save(self, commit: bool = True, *, actor: str = "admin") -> ScenarioStep:  # type: ignore[override]
        values = {
            name: self.cleaned_data[name]
            for name in scenarios.STEP_FIELDS
            if name in self.cleaned_data
        }
        values["audience"] = list(self.cleaned_data.get("audience") or [])
        if self.instance.pk:
            # The form already wrote the new values on ``instance``: the service compares
            # with the stored step (switched off → its waiting messages are dropped).
            stored = ScenarioStep.objects.select_related("program").get(pk=self.instance.pk)
            self.instance = scenarios.update_step(stored, values, actor=actor)
            return self.instance
        return scenarios.create_step(self.program, values, actor=actor)


class ScenarioSettingsForm(forms.ModelForm):
    """The pressure rules and what every email carries at its foot; one legal footer field
    per program language."""

    class Meta:
        model = Program
        fields = [
            "messages_per_week",
            "quiet_hours_start",
            "quiet_hours_end",
            "min_gap_hours",
            "shop_address",
            "review_url",
        ]
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "shop_address": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        program = self.instance
        zone = _("In the program's time zone (%(zone)s).") % {"zone": program.time_zone}
        self.fields["quiet_hours_start"].help_text = _(
            "Solicitations due from this time wait until the quiet hours end. %(zone)s"
        ) % {"zone": zone}
        self.fields["quiet_hours_end"].help_text = zone
        for language in program.languages or [program.default_language]:
            self.fields[f"legal_footer_{language}"] = forms.CharField(
                label=_("legal footer (%(language)s)") % {"language": language},
                required=False,
                max_length=LEGAL_FOOTER_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3}),
                initial=(program.legal_footer or {}).get(language, ""),
                help_text=_("Company name, address, registration: at the foot of every email."),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            self.add_error(
                "quiet_hours_end" if end is None else "quiet_hours_start",
                _("Give both ends of the quiet hours, or neither."),
            )
        footers = {
            name.removeprefix("legal_footer_"): value
            for name, value in data.items()
            if name.startswith("legal_footer_")
        }
        try:
            data["legal_footer"] = per_language(
                self.instance, footers, "legal_footer", LEGAL_FOOTER_LENGTH
            )
        except InvalidInput as exc:
            field = (exc.field or "").replace(".", "_")
            self.add_error(field if field in self.fields else None, exc.message)
        return data

    def save(self, commit: bool = True, *, actor: str = "admin") -> Program:  # type: ignore[override]
        program = super().save(commit=False)
        program.legal_footer = self.cleaned_data["legal_footer"]
        with transaction.atomic():
            program.save()
            audit.record(
                program,
                "scenario.settings_changed",
                actor=actor,
                messages_per_week=program.messages_per_week,
                quiet_hours=f"{program.quiet_hours_start}-{program.quiet_hours_end}",
                min_gap_hours=program.min_gap_hours,
            )
        return program
