"""The embed snippet generator's form (issue 15 §2): which widget, in which language, in
which colour, under which title. Read from the page's query string; a value out of range
falls back to its default, so the page always shows a snippet."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..embed import COLOUR_PATTERN
from ..models import Program

KIND_CHOICES = (
    ("referrer", _("Referrer widget: customers get their link and invite friends")),
    ("referee", _("Friend widget: invited friends claim their welcome offer")),
    ("loyalty", _("Loyalty space: a signed-in customer's points and badges")),
)
LANGUAGE_NAMES = {"fr": _("French"), "en": _("English")}


class SnippetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Widget"), choices=KIND_CHOICES, initial="referrer")
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("Without one, the widget follows the page's own language."),
    )
    colour = forms.RegexField(
        label=_("Colour"),
        regex=COLOUR_PATTERN,
        required=False,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=120,
        help_text=_("A heading replacing the widget's own; leave empty to keep it."),
    )

    def __init__(self, data: Any = None, *, program: Program) -> None:
        if data is not None and not any(name in data for name in self.base_fields):
            data = None  # only the program in the address: the defaults, no errors
        super().__init__(data, initial={"colour": program.brand_colour})
        self.program = program
        languages = [str(code)[:2] for code in program.languages or []]
        self.fields["language"].choices = [
            ("", _("The page's language")),
            *((code, LANGUAGE_NAMES.get(code, code)) for code in languages),
        ]

    def options(self) -> dict[str, str]:
        """The chosen options, each field's default where the value is missing or wrong."""
        chosen = {name: field.initial or "" for name, field in self.fields.items()}
        chosen["colour"] = self.program.brand_colour
        if not self.is_bound:
            return chosen
        self.is_valid()
        for name, value in self.cleaned_data.items():
            if value:
                chosen[name] = value
        return chosen
