"""The Wagtail admin form of a badge: texts per language, conditions inline, a Wagtail image.

The core's ``Badge`` is a plain Django model (the core never depends on Wagtail or
modelcluster), so its conditions are a Django inline formset that the form carries in
``formsets`` — where Wagtail's ``InlinePanel`` looks for it — and :class:`ConditionsPanel`
keeps Wagtail's own inline editing (add, delete) without a ``ParentalKey``.

Saving goes through ``core.services.badge_setup``: the form never writes a badge itself,
and a refusal of the service becomes a form error (the view rolls everything back).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.images import get_image_model
from wagtail.images.widgets import AdminImageChooser

from parrain.core.exceptions import InvalidInput
from parrain.core.models import Badge, BadgeCondition, RewardRule
from parrain.core.models.choices import Side
from parrain.core.services import badge_setup

from .permissions import actor

#: The Wagtail image is resized before the core makes its 256 px thumbnail, so a large
#: photo of the image library fits the core's 1 MB limit.
IMAGE_RENDITION = "max-512x512|format-png"
CONDITION_FIELDS = ["kind", "threshold", "period_days", "action_kind", "custom_kind"]
BADGE_FIELDS = ["rank", "colour", "match", "keep_once_earned", "reward_rule", "is_active"]


def languages() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class ConditionForm(WagtailAdminModelForm):
    required_badge = forms.ModelChoiceField(
        Badge.objects.select_related("program"),
        label=_("required badge"),
        required=False,
        help_text=_("Only for the condition “Holds another badge”."),
    )

    class Meta:
        model = BadgeCondition
        fields = [*CONDITION_FIELDS, "required_badge"]

    def __init__(self, *args: Any, badge: Badge | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["required_badge"]
        field.label_from_instance = lambda badge: f"{badge} ({badge.program})"
        if badge is not None and badge.pk:  # the other badges of its program
            field.queryset = field.queryset.filter(program=badge.program_id).exclude(pk=badge.pk)

    def spec(self) -> dict[str, Any]:
        """The condition as ``badge_setup`` takes it."""
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class BaseConditionFormSet(BaseInlineFormSet):
    def kept_forms(self) -> list[ConditionForm]:
        """The rows that stay, in order (an error of the service names its index here)."""
        return [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
        ]


ConditionFormSet = inlineformset_factory(
    Badge,
    BadgeCondition,
    form=ConditionForm,
    formset=BaseConditionFormSet,
    fk_name="badge",
    extra=0,
    can_delete=True,
)


class ConditionsPanel(InlinePanel):
    """Wagtail's inline panel over the form's own formset (no ``ParentalKey`` needed)."""

    def get_form_options(self) -> dict[str, Any]:
        return {}


class BadgeFormBase(WagtailAdminModelForm):
    image_choice = forms.ModelChoiceField(
        get_image_model().objects.all(),
        label=_("image"),
        required=False,
        widget=AdminImageChooser,
        help_text=_(
            "PNG, JPEG or WebP from the image library; it is shown as a 256 px thumbnail. "
            "Leave empty to keep the current image."
        ),
    )

    class Meta:
        model = Badge
        fields = ["program", *BADGE_FIELDS]
        # plain lists: the snippet choosers would offer other programs' reward rules
        widgets = {"program": forms.Select, "reward_rule": forms.Select}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        badge = self.instance
        self.formsets["conditions"] = ConditionFormSet(
            self.data or None,
            instance=badge,
            prefix="conditions",
            form_kwargs={"badge": badge},
        )
        for code, _name in languages():
            self.fields[f"name_{code}"].initial = (badge.names or {}).get(code, "")
            self.fields[f"description_{code}"].initial = (badge.descriptions or {}).get(code, "")
        rules = RewardRule.objects.filter(side=Side.REFERRER).select_related("program")
        if badge.pk:
            self.fields["program"].disabled = True  # a badge stays in its program
            rules = rules.filter(program=badge.program_id)
        else:
            self.fields["rank"].required = False
            self.fields["rank"].help_text = _("Empty puts the badge after the others.")
        self.fields["reward_rule"].queryset = rules
        self.fields["reward_rule"].label_from_instance = lambda rule: f"{rule.program}: {rule}"

    # saving, through the core service

    def texts(self, field: str) -> dict[str, str]:
        """Only the languages filled in (the service refuses other programs' languages)."""
        values = ((code, self.cleaned_data.get(f"{field}_{code}", "")) for code, _n in languages())
        return {code: text.strip() for code, text in values if text and text.strip()}

    def save(self, commit: bool = True) -> Badge:
        who = actor(self.for_user)
        fields = {name: self.cleaned_data[name] for name in BADGE_FIELDS}
        texts = {"names": self.texts("name"), "descriptions": self.texts("description")}
        conditions = self.formsets["conditions"]
        if self.instance.pk is None:
            if fields["rank"] is None:
                del fields["rank"]
            specs = [form.spec() for form in conditions.kept_forms()]
            program = self.cleaned_data["program"]
            badge = badge_setup.create_badge(
                program, conditions=specs, actor=who, **texts, **fields
            )
        else:
            badge = badge_setup.update_badge(self.instance, actor=who, **texts, **fields)
            if conditions.has_changed():
                specs = [form.spec() for form in conditions.kept_forms()]
                badge_setup.set_conditions(badge, specs, actor=who)
        if (image := self.cleaned_data.get("image_choice")) is not None:
            badge = self._set_image(badge, image, who)
        self.instance = badge
        return badge

    @staticmethod
    def _set_image(badge: Badge, image: Any, who: str) -> Badge:
        """The chosen library image goes through the core's checks and thumbnail; an SVG
        is handed over as it is, for the core to refuse it with its reason."""
        if image.is_svg():
            with image.open_file() as upload:
                return badge_setup.set_image(badge, upload, actor=who)
        rendition = image.get_rendition(IMAGE_RENDITION)
        with rendition.file.open("rb") as upload:
            return badge_setup.set_image(badge, upload, actor=who)

    def add_service_error(self, error: InvalidInput) -> None:
        """Show the service's refusal on the field it names (``conditions.2.threshold``,
        ``names.fr``, ``image``), else at the top of the form."""
        path = (error.field or "").split(".")
        if path[0] == "conditions" and len(path) == 3 and path[1].isdigit():
            rows = self.formsets["conditions"].kept_forms()
            if int(path[1]) < len(rows):
                row = rows[int(path[1])]
                row.add_error(path[2] if path[2] in row.fields else None, error.message)
                return
        name = {"image": "image_choice"}.get(path[0], "_".join(path))
        if path[0] in ("names", "descriptions") and len(path) == 2:
            name = f"{path[0][:-1]}_{path[1]}"
        self.add_error(name if name in self.fields else None, error.message)


def _language_fields() -> dict[str, forms.Field]:
    fields: dict[str, forms.Field] = {}
    for code, name in languages():
        fields[f"name_{code}"] = forms.CharField(
            label=format_lazy(_("Name ({language})"), language=name),
            max_length=badge_setup.NAME_LENGTH,
            required=False,
        )
        fields[f"description_{code}"] = forms.CharField(
            label=format_lazy(_("Description ({language})"), language=name),
            max_length=badge_setup.DESCRIPTION_LENGTH,
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    return fields


BadgeForm = type("BadgeForm", (BadgeFormBase,), _language_fields())


def badge_panels() -> list:
    texts = [
        MultiFieldPanel(
            [FieldPanel(f"name_{code}"), FieldPanel(f"description_{code}")], heading=name
        )
        for code, name in languages()
    ]
    return [
        MultiFieldPanel(
            [
                FieldPanel("program"),
                FieldRowPanel([FieldPanel("rank"), FieldPanel("colour")]),
                FieldPanel("is_active"),
            ],
            _("Badge"),
        ),
        *texts,
        FieldPanel("image_choice"),
        MultiFieldPanel(
            [FieldPanel("match"), FieldPanel("keep_once_earned")], _("How it is earned")
        ),
        ConditionsPanel(
            "conditions",
            heading=_("Conditions"),
            label=_("condition"),
            panels=[
                FieldRowPanel([FieldPanel("kind"), FieldPanel("threshold")]),
                FieldPanel("period_days"),
                FieldRowPanel([FieldPanel("action_kind"), FieldPanel("custom_kind")]),
                FieldPanel("required_badge"),
            ],
        ),
        FieldPanel("reward_rule"),
    ]
