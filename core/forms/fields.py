"""Form fields the admin forms share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from ..models.program import clean_origin

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input read and shown in a given time zone (the program's), so a
    shop owner types "Sunday 23:59" in their own time, daylight saving included."""

    def __init__(self, *, tz: Any, **kwargs: Any) -> None:
        self.tz = tz
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_FORMAT)
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        with timezone.override(self.tz):
            return super().to_python(value)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.make_naive(value, self.tz)
        return value


# The program editor's widgets (core/forms/program.py): lists and per-language texts as
# proper inputs, never a JSON text area. Each works in the three admins (plain HTML, one
# small script, ``program_form.js``, for reordering, adding rows and live hints).

EDITOR_MEDIA = forms.Media(
    js=["parrain/program_form.js"], css={"all": ["parrain/program_form.css"]}
)

#: Small monochrome icons of the share channels (24×24 SVG bodies, ``currentColor``).
CHANNEL_ICONS = {
    "email": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>',
    "sms": '<path d="M4 4h16v11H9l-5 4z"/>',
    "whatsapp": '<path d="M12 3a9 9 0 0 0-7.7 13.6L3 21l4.5-1.2A9 9 0 1 0 12 3z"/>'
    '<path d="M9 8.5c0 3.5 3 6.5 6.5 6.5l1-1.5-2-1-1 1a4 4 0 0 1-2.5-2.5l1-1-1-2z"/>',
    "facebook": '<path d="M14 21v-8h3l.5-3H14V8c0-1 .4-1.5 1.5-1.5H18V4h-3c-2.5 0-4 '
    '1.5-4 4v2H8v3h3v8"/>',
    "messenger": '<path d="M12 3C7 3 3 6.6 3 11c0 2.5 1.3 4.7 3.3 6.1V21l3-1.7c.9.3 1.8.4 '
    '2.7.4 5 0 9-3.6 9-8s-4-8.7-9-8.7z"/><path d="M7 13l3-3 3 2 4-3"/>',
    "x": '<path d="M4 4l16 16M20 4L4 20"/>',
    "linkedin": '<rect x="3" y="3" width="18" height="18" rx="2"/><path d="M8 10v7M8 7v.5M12 '
    '17v-7m0 3a2.5 2.5 0 0 1 5 0v4"/>',
    "link": '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1"/><path d="M14 '
    '10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
    "qr": '<rect x="3" y="3" width="7" height="7"/><rect x="14" y="3" width="7" height="7"/>'
    '<rect x="3" y="14" width="7" height="7"/><path d="M14 14h3v3h-3zM18 18h3v3h-3z"/>',
}


class OrderedChannelsWidget(forms.Widget):
    """Checkboxes with icons in the program's order: the checked channels first, as stored,
    then the others; "up" and "down" buttons reorder them, and the browser posts the
    checked boxes in the order they stand."""

    template_name = "parrain/forms/ordered_channels.html"
    media = EDITOR_MEDIA

    def __init__(self, choices: Any = (), attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = list(choices)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        checked = [str(v) for v in (value or []) if str(v) in dict(self.choices)]
        labels = dict(self.choices)
        order = [*checked, *(code for code, _label in self.choices if code not in checked)]
        context["items"] = [
            {
                "value": code,
                "label": labels[code],
                "checked": code in checked,
                "icon": mark_safe(CHANNEL_ICONS.get(code, "")),  # nosec B308 B703  # our constants
                "id": f"{context['widget']['attrs'].get('id', name)}_{code}",
            }
            for code in order
        ]
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getter = getattr(data, "getlist", None)
        return list(getter(name)) if getter else list(data.get(name) or [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # no box checked posts nothing: that is "no channel"


class OrderedChannelsField(forms.MultipleChoiceField):
    """The checked channels in the order posted (the order the widget shows)."""

    widget = OrderedChannelsWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.choices = list(self.choices)

    def to_python(self, value: Any) -> list[str]:
        return list(dict.fromkeys(super().to_python(value)))


class PerLanguageTextWidget(forms.Widget):
    """One input per language; the languages the program does not speak are rendered hidden
    (the script shows them when the language is chosen), and under each input the text of
    the other languages stands as a hint."""

    template_name = "parrain/forms/per_language.html"
    media = EDITOR_MEDIA

    def __init__(self, attrs: dict[str, Any] | None = None, *, rows: int = 0) -> None:
        super().__init__(attrs)
        self.rows = rows
        self.languages: list[tuple[str, str]] = []  # (code, name) of every known language
        self.enabled: list[str] = []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        texts = value if isinstance(value, dict) else {}
        base_id = context["widget"]["attrs"].get("id", name)
        context["widget"]["rows"] = self.rows
        context["items"] = [
            {
                "code": code,
                "language": language,
                "name": f"{name}_{code}",
                "id": f"{base_id}_{code}",
                "value": texts.get(code, ""),
                "hidden": code not in self.enabled,
                "hints": [
                    {"code": other, "text": texts.get(other, "")}
                    for other, _other_name in self.languages
                    if other != code
                ],
            }
            for code, language in self.languages
        ]
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> dict[str, str]:
        return {code: data.get(f"{name}_{code}", "") for code, _language in self.languages}

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(f"{name}_{code}" in data for code, _language in self.languages)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_{self.enabled[0]}" if id_ and self.enabled else id_


class PerLanguageTextField(forms.Field):
    """A text per language, ``{"fr": "…", "en": "…"}``, blanks dropped. Which languages the
    program speaks is the form's to say (``set_languages``); the model checks the texts
    against them (``Program.clean``, ``RewardRule.clean``)."""

    widget = PerLanguageTextWidget

    def __init__(self, *, max_length: int, rows: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", PerLanguageTextWidget(rows=rows))
        super().__init__(**kwargs)
        self.max_length = max_length

    def set_languages(self, known: list[tuple[str, str]], enabled: list[str]) -> None:
        self.widget.languages = known
        self.widget.enabled = list(enabled)

    def to_python(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            return {}
        return {str(code): str(text or "").strip() for code, text in value.items()}

    def validate(self, value: dict[str, str]) -> None:
        super().validate(value)
        too_long = [code for code, text in value.items() if len(text) > self.max_length]
        if too_long:
            raise forms.ValidationError(
                _("%(languages)s: at most %(length)s characters."),
                code="max_length",
                params={"languages": ", ".join(too_long), "length": self.max_length},
            )

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, dict) else {}


class OriginListWidget(forms.Widget):
    """A list of URL inputs, one per origin, and an empty one to add another (the script's
    "Add an origin" button adds more)."""

    template_name = "parrain/forms/origin_list.html"
    media = EDITOR_MEDIA

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        values = [str(v) for v in (value or []) if str(v).strip()]
        base_id = context["widget"]["attrs"].get("id", name)
        context["rows"] = [
            {"id": f"{base_id}_{index}", "value": text} for index, text in enumerate([*values, ""])
        ]
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getter = getattr(data, "getlist", None)
        return list(getter(name)) if getter else list(data.get(name) or [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_


class OriginListField(forms.Field):
    """Web origins (``scheme://host[:port]``), each checked and written the canonical way;
    blank rows dropped. A refusal names every wrong row."""

    widget = OriginListWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        return [str(text).strip() for text in (value or []) if str(text).strip()]

    def validate(self, value: list[str]) -> None:
        super().validate(value)
        errors = []
        for text in value:
            try:
                clean_origin(text)
            except forms.ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)

    def clean(self, value: Any) -> list[str]:
        origins = super().clean(value)
        return list(dict.fromkeys(clean_origin(text) for text in origins))
