"""The contact import forms every admin wraps (Django admin, Oscar dashboard, Wagtail).

    form = ImportUploadForm(request.POST or None, request.FILES or None, programs=programs)
    if request.method == "POST" and form.is_valid():
        contact_import = form.save(actor=...)  # None: the refusal is on the form

``ImportUploadForm`` takes the file (CSV or XLSX) and, when several programs are offered,
the program; ``ImportMappingForm`` has one select per file column, prefilled with the
saved or guessed field, and starts the dry run. Refusals of the import service (not a
customer file, too many rows, no email nor external id mapped, another import under way)
come back as form errors: nothing is lost, the file or the mapping can be corrected.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from ..exceptions import ParrainError
from ..importing import mapping as mappings
from ..models import ContactImport, Program
from ..models.choices import ACTIVE_IMPORT_STATUSES
from ..services import contact_imports

#: File name endings the upload accepts (the content is checked by the import service).
ACCEPTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPT_ATTR = f"{','.join(ACCEPTED_SUFFIXES)},text/csv,{XLSX_TYPE}"


def busy_message() -> str:
    return str(contact_imports.ImportBusy.default_message)


def other_import_running(program: Program, *, but: ContactImport | None = None) -> bool:
    active = ContactImport.objects.filter(program=program, status__in=ACTIVE_IMPORT_STATUSES)
    if but is not None:
        active = active.exclude(pk=but.pk)
    return active.exists()


class ImportUploadForm(forms.Form):
    program = forms.ModelChoiceField(label=_("Program"), queryset=Program.objects.none())
    file = forms.FileField(
        label=_("Customer file"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTR}),
    )

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        programs: QuerySet[Program] | None = None,
        program: Program | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, files, **kwargs)
        self.fields["file"].help_text = _(
            "A CSV file (any delimiter, UTF-8 or Windows encoding) or an Excel XLSX file, "
            "its first row naming the columns, up to %(max)s rows."
        ) % {"max": number_format(contact_imports.MAX_ROWS, force_grouping=True)}
        self.fixed_program = program
        choices = programs if programs is not None else Program.objects.order_by("name")
        if program is None and choices.count() == 1:
            self.fixed_program = choices.first()
        if self.fixed_program is not None:
            del self.fields["program"]
        else:
            self.fields["program"].queryset = choices

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if PurePosixPath(upload.name).suffix.lower() not in ACCEPTED_SUFFIXES:
            raise forms.ValidationError(
                _("“%(name)s” is not a CSV nor an XLSX file."), params={"name": upload.name}
            )
        return upload

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        program = self.chosen_program()
        if program is not None and other_import_running(program):
            raise forms.ValidationError(busy_message())
        return cleaned

    def chosen_program(self) -> Program | None:
        return self.fixed_program or self.cleaned_data.get("program")

    def save(self, *, actor: str) -> ContactImport | None:
        """The new import (columns to map), or None with the service's refusal on the form."""
        program = self.chosen_program()
        if program is None:  # clean() refused the form already
            raise ValueError("save() on an invalid form")
        upload = self.cleaned_data["file"]
        try:
            return contact_imports.start(program, upload, upload.name, actor=actor)
        except ParrainError as exc:
            self.add_error("file" if exc.field == "file" else None, exc.message)
            return None


class ImportMappingForm(forms.Form):
    """One select per file column (``column_0``, ``column_1``…), labelled with its header."""

    def __init__(
        self,
        data: Any = None,
        *,
        contact_import: ContactImport,
        samples: dict[str, list[str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.contact_import = contact_import
        self.samples = samples or {}
        choices = [("", _("— leave this column out —"))] + [
            (field.key, field.label) for field in mappings.FIELDS
        ]
        for index, header in enumerate(contact_import.headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header or _("(column %(number)s)") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=contact_import.mapping.get(header, ""),
            )

    @property
    def columns(self) -> list[dict[str, Any]]:
        """What the mapping screen shows: header, a few sample values, the select."""
        return [
            {
                "header": header,
                "samples": self.samples.get(header, []),
                "field": self[f"column_{index}"],
            }
            for index, header in enumerate(self.contact_import.headers)
        ]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}") or ""
            for index, header in enumerate(self.contact_import.headers)
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        problems = mappings.check(self.mapping(), self.contact_import.headers)
        if problems:
            raise forms.ValidationError([str(problem) for problem in problems])
        if other_import_running(self.contact_import.program, but=self.contact_import):
            raise forms.ValidationError(busy_message())
        return cleaned

    def save(self, *, actor: str) -> ContactImport | None:
        """Keep the mapping and start the dry run; None with the refusal on the form."""
        try:
            contact_import = contact_imports.set_mapping(
                self.contact_import, self.mapping(), actor=actor
            )
            return contact_imports.check(contact_import, actor=actor)
        except ParrainError as exc:
            self.add_error(None, exc.message)
            return None
