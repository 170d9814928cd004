"""The contest form every admin wraps (Django admin, Oscar dashboard, Wagtail).

    form = ContestForm(request.POST or None, program=program, instance=contest)
    if request.method == "POST" and form.is_valid():
        contest = form.save(actor=request.user.get_username())  # None: see form.errors

One text input per program language for the public name, one text area per language for
the rules; dates are ``datetime-local`` inputs read in the program's time zone; the prizes
are ``form.prizes``, a formset bound to the same data (prefix ``prizes``): render
``{{ form.prizes.management_form }}`` and its forms beside the form. The checks are the
service's (``contest_setup.check_contest``), run by ``is_valid()``, so a refusal shows
beside its field before anything is stored. On an open contest the fields participants
rely on are disabled, with the reason as help text.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import ParrainError
from ..models import Badge, Contest, Program
from ..models.choices import RewardKind
from ..models.contest import ContestStatus, Participants, TicketSource
from ..services import contest_setup
from .fields import LocalDateTimeField

PHYSICAL = ""


class PrizeForm(forms.Form):
    label = forms.CharField(label=_("prize"), max_length=contest_setup.LABEL_LENGTH)
    quantity = forms.IntegerField(
        label=_("quantity"), min_value=1, max_value=contest_setup.MAX_UNITS, initial=1
    )
    reward_kind = forms.ChoiceField(
        label=_("reward"),
        required=False,
        choices=[(PHYSICAL, _("Physical prize, handled by hand")), *RewardKind.choices],
        help_text=_("A reward is issued to each winner like any reward, exactly once."),
    )
    reward_value = forms.DecimalField(
        label=_("value"),
        required=False,
        min_value=Decimal(0),
        max_digits=11,
        decimal_places=2,
        help_text=_("Amount, percentage or points, depending on the reward."),
    )
    reward_product_ref = forms.CharField(
        label=_("free product reference"), required=False, max_length=120
    )

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec: dict[str, Any] = {"label": data["label"], "quantity": data["quantity"]}
        if data.get("reward_kind"):
            spec["reward"] = {
                "kind": data["reward_kind"],
                "value": data.get("reward_value") or Decimal(0),
                "product_ref": data.get("reward_product_ref") or "",
            }
        return spec


class BasePrizeFormSet(forms.BaseFormSet):
    """The contest's prizes, in order; saved as a whole by ``ContestForm.save``."""

    def kept_forms(self) -> list[PrizeForm]:
        """The filled, not deleted rows in the order asked (valid formsets only)."""
        ordered = self.ordered_forms if self.can_order else self.forms
        return [form for form in ordered if getattr(form, "cleaned_data", None)]

    def specs(self) -> list[dict[str, Any]]:
        return [form.spec() for form in self.kept_forms()]

    def show_error(self, field: str, message: str) -> bool:
        """Put a service error (``prizes.2.reward.kind``) on its row; False if none fits."""
        parts = field.split(".")
        kept = self.kept_forms()
        if len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(kept):
            name = "_".join(parts[2:])
            form = kept[int(parts[1])]
            form.add_error(name if name in form.fields else None, message)
            return True
        return False


PrizeFormSet = forms.formset_factory(
    PrizeForm, formset=BasePrizeFormSet, extra=1, can_delete=True, can_order=True
)


def prize_initial(contest: Contest | None) -> list[dict[str, Any]]:
    if contest is None or contest.pk is None:
        return []
    return [
        {
            "label": prize.label,
            "quantity": prize.quantity,
            "reward_kind": prize.reward_rule.kind if prize.reward_rule else PHYSICAL,
            "reward_value": prize.reward_rule.value if prize.reward_rule else None,
            "reward_product_ref": prize.reward_rule.product_ref if prize.reward_rule else "",
            "ORDER": position,
        }
        for position, prize in enumerate(
            contest.prizes.select_related("reward_rule").order_by("position", "pk"), start=1
        )
    ]


class ContestForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=contest_setup.NAME_LENGTH,
        help_text=_("For you; participants see the public name."),
    )
    rules_url = forms.URLField(
        label=_("rules page URL"),
        required=False,
        max_length=contest_setup.URL_LENGTH,
        assume_scheme="https",
        help_text=_("The rules (a text above or this page) are required before opening."),
    )
    participants = forms.ChoiceField(label=_("who takes part"), choices=Participants.choices)
    ticket_source = forms.ChoiceField(label=_("tickets for"), choices=TicketSource.choices)
    loyalty_kind = forms.CharField(
        label=_("loyalty action"),
        required=False,
        max_length=contest_setup.LOYALTY_KIND_LENGTH,
        help_text=_(
            "For loyalty-action tickets: purchase, review, birthday, social_follow, "
            "newsletter_signup, or the name of a custom action."
        ),
        widget=forms.TextInput(attrs={"data-parrain-show-if": "ticket_source=loyalty_action"}),
    )
    badge = forms.ModelChoiceField(
        label=_("badge"),
        required=False,
        queryset=Badge.objects.none(),
        widget=forms.Select(attrs={"data-parrain-show-if": "ticket_source=badge_held"}),
    )
    badge_tickets = forms.IntegerField(
        label=_("tickets for holding the badge"),
        min_value=1,
        max_value=contest_setup.MAX_TICKETS,
        initial=1,
        widget=forms.NumberInput(attrs={"data-parrain-show-if": "ticket_source=badge_held"}),
    )
    ticket_cap = forms.IntegerField(
        label=_("tickets per person at most"),
        min_value=0,
        max_value=contest_setup.MAX_TICKETS,
        initial=0,
        help_text=_("0 means no cap."),
    )
    opt_in_required = forms.BooleanField(
        label=_("participants must opt in"),
        required=False,
        help_text=_("Only contacts who agreed to take part get tickets."),
    )
    public_value_source = forms.CharField(
        label=_("source of the public value"),
        required=False,
        max_length=contest_setup.SOURCE_LENGTH,
        help_text=_(
            "A value nobody knows when the contest opens and that you will type at the "
            "draw, e.g. a drand round or a lottery result. Fix it in advance and name it in "
            "the rules: it makes the draw verifiable by anyone. Required before opening."
        ),
    )

    class Media:
        js = ("parrain/contest_form.js",)

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        program: Program,
        instance: Contest | None = None,
        **kwargs: Any,
    ) -> None:
        self.program, self.instance = program, instance
        kwargs.setdefault("initial", self._initial(instance))
        super().__init__(data, files, **kwargs)
        self._add_language_fields()
        self._add_dates()
        self.fields["badge"].queryset = Badge.objects.filter(program=program).order_by("rank")
        self.order_fields(self._order())
        self.prizes = PrizeFormSet(data, prefix="prizes", initial=prize_initial(instance) or None)
        self._lock()

    # building

    def _initial(self, contest: Contest | None) -> dict[str, Any]:
        if contest is None:
            return {"participants": Participants.REFERRERS}
        initial = {name: getattr(contest, name) for name in contest_setup.FIELDS}
        for language, text in (contest.names or {}).items():
            initial[f"name_{language}"] = text
        for language, text in (contest.rules_texts or {}).items():
            initial[f"rules_{language}"] = text
        return initial

    def _add_language_fields(self) -> None:
        for language in self.program.languages:
            self.fields[f"name_{language}"] = forms.CharField(
                label=_("public name (%(language)s)") % {"language": language},
                required=False,
                max_length=contest_setup.NAME_LENGTH,
            )
        for language in self.program.languages:
            self.fields[f"rules_{language}"] = forms.CharField(
                label=_("rules (%(language)s)") % {"language": language},
                required=False,
                max_length=contest_setup.RULES_LENGTH,
                widget=forms.Textarea(attrs={"rows": 8}),
            )

    def _add_dates(self) -> None:
        zone = self.program.time_zone
        labels = {
            "entries_start": _("entries from"),
            "entries_end": _("entries until"),
            "draw_at": _("draw date"),
        }
        for name, label in labels.items():
            self.fields[name] = LocalDateTimeField(
                tz=self.program.tz(),
                label=label,
                help_text=_("In the program's time zone, %(zone)s.") % {"zone": zone},
            )
        self.fields["draw_at"].help_text = _(
            "In the program's time zone, %(zone)s. At or after the end of the entries; "
            "the draw cannot be run earlier."
        ) % {"zone": zone}

    def _order(self) -> list[str]:
        languages = self.program.languages
        return [
            "name",
            *[f"name_{lang}" for lang in languages],
            *[f"rules_{lang}" for lang in languages],
            "rules_url",
            "entries_start",
            "entries_end",
            "draw_at",
            "participants",
            "ticket_source",
            "loyalty_kind",
            "badge",
            "badge_tickets",
            "ticket_cap",
            "opt_in_required",
            "public_value_source",
        ]

    def _lock(self) -> None:
        locked = contest_setup.locked_fields(self.instance)
        self.locked_reason = ""
        if not locked:
            return
        drawn = self.instance is not None and self.instance.status != ContestStatus.OPEN
        reason = (
            _("The contest is over: nothing can change any more.")
            if drawn
            else _("The contest is open: participants rely on this, it can no longer change.")
        )
        for name, field in self.fields.items():
            service_name = self._service_name(name)
            if service_name in locked:
                field.disabled = True
                field.help_text = (
                    f"{field.help_text} {reason}".strip() if field.help_text else reason
                )
        self.locked_reason = reason
        for form in self.prizes.forms:
            for field in form.fields.values():
                field.disabled = True

    @staticmethod
    def _service_name(name: str) -> str:
        if name.startswith("name_"):
            return "names"
        if name.startswith("rules_") and name != "rules_url":
            return "rules_texts"
        return name

    @property
    def prizes_editable(self) -> bool:
        return not contest_setup.locked_fields(self.instance)

    # reading

    def _texts(self, prefix: str) -> dict[str, str]:
        return {
            lang: self.cleaned_data.get(f"{prefix}{lang}") or "" for lang in self.program.languages
        }

    def changes(self) -> dict[str, Any]:
        """What the service receives: every field the form may change."""
        data = self.cleaned_data
        source = data.get("ticket_source")
        values: dict[str, Any] = {
            "name": data.get("name"),
            "names": self._texts("name_"),
            "rules_texts": self._texts("rules_"),
            "rules_url": data.get("rules_url") or "",
            "entries_start": self._moment("entries_start"),
            "entries_end": self._moment("entries_end"),
            "draw_at": self._moment("draw_at"),
            "participants": data.get("participants"),
            "ticket_source": source,
            "loyalty_kind": data.get("loyalty_kind")
            if source == TicketSource.LOYALTY_ACTION
            else "",
            "badge": data.get("badge") if source == TicketSource.BADGE_HELD else None,
            "badge_tickets": data.get("badge_tickets") or 1,
            "ticket_cap": data.get("ticket_cap") or 0,
            "opt_in_required": bool(data.get("opt_in_required")),
            "public_value_source": data.get("public_value_source") or "",
        }
        locked = contest_setup.locked_fields(self.instance)
        return {name: value for name, value in values.items() if name not in locked}

    def _moment(self, name: str) -> datetime | None:
        """The date typed, or the stored one when the minute shown was left as it was (the
        input has no seconds: an untouched date must not move)."""
        typed = self.cleaned_data.get(name)
        stored = getattr(self.instance, name, None)
        if typed is not None and stored is not None:
            if typed == stored.replace(second=0, microsecond=0):
                return stored
        return typed

    def prize_specs(self) -> list[dict[str, Any]] | None:
        if not self.prizes_editable or (
            self.instance is not None and not self.prizes.has_changed()
        ):
            return None
        return self.prizes.specs()

    # checking and saving

    def is_valid(self) -> bool:
        valid = super().is_valid()
        prizes_valid = not self.prizes_editable or self.prizes.is_valid()
        if valid and prizes_valid:
            try:
                contest_setup.check_contest(
                    self.program, self.changes(), self.prize_specs(), self.instance
                )
            except ParrainError as error:
                self.show_error(error)
                return False
        return valid and prizes_valid

    def show_error(self, error: ParrainError) -> None:
        """A service refusal beside the field it names (or above the form)."""
        field = error.field or ""
        if field.startswith("prizes.") and self.prizes.show_error(field, error.message):
            return
        root, _dot, language = field.partition(".")
        name = {"names": f"name_{language}", "rules_texts": f"rules_{language}"}.get(root, field)
        if root == "rules_texts" and not language:
            name = f"rules_{self.program.default_language}"
        self.add_error(name if name in self.fields else None, error.message)

    def save(self, *, actor: str) -> Contest | None:
        """Create or update through ``services.contest_setup``; ``None`` when the service
        refused (the reason is then in ``errors``)."""
        try:
            if self.instance is None:
                return contest_setup.create_contest(
                    self.program, prizes=self.prize_specs() or [], actor=actor, **self.changes()
                )
            return contest_setup.update_contest(
                self.instance, prizes=self.prize_specs(), actor=actor, **self.changes()
            )
        except ParrainError as error:
            self.show_error(error)
            return None
