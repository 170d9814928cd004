"""Posting the program editor (core/forms/program.py) as a browser would, in any admin."""

from __future__ import annotations

from typing import Any

from django import forms


def editor_post_data(form: forms.BaseForm) -> dict[str, Any]:
    """What the browser posts for ``form`` unchanged: lists as lists, one key per language
    for per-language texts, checkboxes "on" when checked."""
    data: dict[str, Any] = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, dict):
            data.update({f"{bound.html_name}_{code}": text for code, text in value.items()})
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, (list, tuple)):
            data[bound.html_name] = [str(item) for item in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    return data
