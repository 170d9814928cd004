"""The regular import form every admin wraps (Django admin, Oscar dashboard, Wagtail).

    form = ImportScheduleForm(request.POST or None, program=program, instance=schedule)
    if request.method == "POST" and form.is_valid():
        schedule = form.save(actor=request.user.get_username())

The password is never shown back: its input stays empty, and an empty password on a
schedule that has one keeps it (clearing the user name clears both). The frequency is a
choice (every hour … every week). When the program's columns are known (the last import
of the program, manual or regular, read the file's headers), the form has one select per
column, set to the schedule's mapping, else the program's saved one, else the guesses.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import ParrainError
from ..importing import mapping as mappings
from ..models import ContactImport, ImportSchedule, Program
from ..services import import_schedules

EVERY_LABELS = {
    1: _("Every hour"),
    6: _("Every 6 hours"),
    12: _("Every 12 hours"),
    24: _("Every day"),
    24 * 7: _("Every week"),
}
PASSWORD_KEPT = _("A password is saved: leave this empty to keep it.")
LEAVE_OUT = _("— leave this column out —")


def known_headers(program: Program, schedule: ImportSchedule | None = None) -> list[str]:
    """The columns of the program's last file import (the schedule's own first)."""
    imports = ContactImport.objects.filter(program=program).exclude(headers=[])
    if schedule is not None and schedule.pk:
        own = imports.filter(schedule=schedule).order_by("-created_at", "-pk").first()
        if own is not None:
            return list(own.headers)
    last = imports.order_by("-created_at", "-pk").first()
    return list(last.headers) if last is not None else []


class ImportScheduleForm(forms.Form):
    url = forms.URLField(
        label=_("File URL (HTTPS)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the shop publishes its customer file (CSV or XLSX)."),
    )
    username = forms.CharField(label=_("User name (basic auth)"), max_length=120, required=False)
    password = forms.CharField(
        label=_("Password (basic auth)"),
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    every_hours = forms.TypedChoiceField(label=_("Frequency"), coerce=int, initial=24)
    notify_email = forms.EmailField(
        label=_("Send the report to"),
        required=False,
        help_text=_(
            "Counts, first errors and a link to the import, after each run. Empty: the "
            "program's owner email."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        data: Any = None,
        *args: Any,
        program: Program,
        instance: ImportSchedule | None = None,
        **kwargs: Any,
    ) -> None:
        self.program = program
        self.instance = instance or ImportSchedule(program=program)
        super().__init__(data, *args, initial=self._initial(), **kwargs)
        every = dict(EVERY_LABELS)
        if self.instance.every_hours not in every:
            every[self.instance.every_hours] = _("Every %(hours)s hours") % {
                "hours": self.instance.every_hours
            }
        self.fields["every_hours"].choices = sorted(every.items())
        if self.instance.password:
            self.fields["password"].help_text = PASSWORD_KEPT
        self.headers = known_headers(program, self.instance)
        self.column_fields = self._add_columns()

    def _initial(self) -> dict[str, Any]:
        if self.instance.pk is None:
            return {}
        return {
            name: getattr(self.instance, name)
            for name in ("url", "username", "every_hours", "notify_email", "is_active")
        }

    def _add_columns(self) -> list[tuple[str, str]]:
        """One select per known column: ``[(field name, header)]``."""
        if self.instance.mapping:
            current = self.instance.mapping
        else:
            current = mappings.guess(self.headers, self.program.import_mapping)
        choices = [("", LEAVE_OUT), *((f.key, f.label) for f in mappings.FIELDS)]
        columns = []
        for index, header in enumerate(self.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=current.get(header, "")
            )
            columns.append((name, header))
        return columns

    @property
    def column_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _header in self.column_fields]

    @property
    def other_bound_fields(self) -> list[forms.BoundField]:
        columns = {name for name, _header in self.column_fields}
        return [bound for bound in self if bound.name not in columns]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            import_schedules.check_url(url)
        except ParrainError as error:
            raise forms.ValidationError(error.message) from error
        return url

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.column_fields:
            mapping = {header: cleaned.get(name) or "" for name, header in self.column_fields}
            problems = mappings.check(mapping, self.headers)
            if problems:
                raise forms.ValidationError([str(problem) for problem in problems])
            cleaned["mapping"] = mapping
        return cleaned

    def save(self, *, actor: str) -> ImportSchedule | None:
        """The schedule saved through the service, or None when the form is invalid."""
        if not self.is_valid():
            return None
        schedule, data = self.instance, self.cleaned_data
        for name in ("url", "username", "every_hours", "notify_email", "is_active"):
            setattr(schedule, name, data[name])
        if data["password"]:
            schedule.password = data["password"]
        if not data["username"]:
            schedule.password = ""  # nosec B105 # no user name: the password goes too
        if "mapping" in data:
            schedule.mapping = data["mapping"]
        if schedule.pk is not None and "every_hours" in self.changed_data:
            schedule.next_run_at = None  # recomputed: now, then every N hours
        return import_schedules.save(schedule, actor=actor)
