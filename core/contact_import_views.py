"""The contact import screens, one view layer that every admin wraps in its own look.

An import (``ContactImport``) walks through the screens by its status, all at one address:

- columns to map (UPLOADED): one row per file column, its header, three sample values and
  a select of contact fields prefilled with the saved or guessed one → the dry run;
- dry run in progress (CHECKING), import waiting or running (QUEUED, RUNNING): a progress
  bar that polls the JSON status every second and reloads once the step is over;
- ready to import (CHECKED): the dry run's counts (new / updated / unchanged / invalid),
  the first errors (row, column, reason), the invalid rows to download, and Confirm;
- done, failed or cancelled: the final report, with the invalid rows and the contacts.

``ContactImportView`` does the work; an admin subclasses it and says how to name its
addresses (``import_url``), who acts (``actor``), who may do what (``may_view``,
``may_import``), which programs it offers, and which template draws each screen. Every
change goes through ``services.contact_imports``; its refusals show as form errors.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, time
from itertools import islice
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import TemplateView

from .conf import parrain_settings
from .exceptions import ParrainError
from .forms.contact_import import ImportMappingForm, ImportUploadForm
from .importing import files
from .importing import rows as parsing
from .labels import actor_label
from .models import ContactImport, Program
from .models.choices import ImportStatus
from .services import contact_imports

#: Sample values shown under each column on the mapping screen.
SAMPLES = 3
#: Imports on the list screen.
LIST_SIZE = 50
#: The screen that shows an import, by its status.
SCREEN_OF_STATUS = {
    ImportStatus.UPLOADED: "mapping",
    ImportStatus.CHECKING: "progress",
    ImportStatus.CHECKED: "dry_run",
    ImportStatus.QUEUED: "progress",
    ImportStatus.RUNNING: "progress",
    ImportStatus.DONE: "report",
    ImportStatus.FAILED: "report",
    ImportStatus.CANCELLED: "report",
}
TITLES = {
    "list": _("Contact imports"),
    "upload": _("Import contacts from a file"),
    "mapping": _("Match the file's columns"),
    "dry_run": _("Dry run: what the import will do"),
    "progress": _("Import in progress"),
    "report": _("Import report"),
}
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED)
COUNTS = (
    ("new", _("new")),
    ("updated", pgettext_lazy("contacts counted", "updated")),
    ("unchanged", _("unchanged")),
    ("invalid", _("invalid")),
)


# What the screens show


def samples(contact_import: ContactImport, count: int = SAMPLES) -> dict[str, list[str]]:
    """The first non-empty values of each column (as text), read from the stored file."""
    found: dict[str, list[str]] = {header: [] for header in contact_import.headers}
    if not contact_import.file:
        return found
    try:
        with contact_import.file.open("rb") as handle:
            info = _file_info(contact_import, handle)
            for cells in islice(files.iter_rows(handle, info), 200):
                for header, cell in zip(contact_import.headers, cells, strict=False):
                    text = _text(cell)
                    if text and len(found[header]) < count:
                        found[header].append(text)
                if all(len(values) >= count for values in found.values()):
                    break
    except (files.FileError, OSError, ValueError):
        pass  # the mapping screen still works, without samples
    return found


def _file_info(contact_import: ContactImport, handle: Any) -> files.FileInfo:
    return files.inspect(handle, contact_import.original_name)


def _text(cell: Any) -> str:
    """A cell as the owner typed it: an Excel date without a time as a date, 1005.0 as 1005."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()[:80]


def counts(contact_import: ContactImport, *, dry_run: bool = False) -> list[dict[str, Any]]:
    """[{key, label, value}] of the dry run (its figures) or of the import so far."""
    if dry_run:
        figures = contact_import.dry_run or {}
        values = {key: figures.get(key, 0) for key, _label in COUNTS}
    else:
        values = {key: getattr(contact_import, f"{key}_count") for key, _label in COUNTS}
    return [{"key": key, "label": label, "value": values[key]} for key, label in COUNTS]


def status_payload(contact_import: ContactImport) -> dict[str, Any]:
    """The JSON the progress bar polls."""
    return {
        "id": contact_import.pk,
        "status": contact_import.status,
        "status_label": str(contact_import.get_status_display()),
        "rows_done": contact_import.rows_done,
        "total_rows": contact_import.total_rows,
        "progress": round(contact_import.progress, 4),
        "percent": int(contact_import.progress * 100),
        "counts": {item["key"]: item["value"] for item in counts(contact_import)},
        "finished": contact_import.status in FINISHED,
        "failure": contact_import.failure_text,
    }


def recent_imports(programs: QuerySet[Program]) -> QuerySet[ContactImport]:
    return (
        ContactImport.objects.filter(program__in=programs)
        .select_related("program")
        .order_by("-created_at", "-pk")[:LIST_SIZE]
    )


def dry_run_invalid_rows(contact_import: ContactImport) -> Iterator[bytes]:
    """The rows the dry run found invalid, as the import's error file would list them
    (original columns plus ``error``, formula cells neutralised), read again from the file."""
    program = contact_import.program
    header = _error_csv(contact_import.headers, [])
    yield header.encode("utf-8-sig")
    parse = parsing.make_parser(
        contact_import.headers,
        contact_import.mapping,
        languages=list(program.languages),
        phone_region=parrain_settings.PHONE_REGION,
        tz=program.time_zone,
    )
    with contact_import.file.open("rb") as handle:
        info = _file_info(contact_import, handle)
        rows = files.iter_numbered_rows(handle, info)
        while chunk := list(islice(rows, 1000)):
            errors = []
            for number, cells in chunk:
                parsed = parse(number, cells)
                if not isinstance(parsed, parsing.ContactRow):
                    errors.extend(parsed)
            if errors:
                yield _error_csv(contact_import.headers, errors).removeprefix(header).encode()


def _error_csv(headers: list[str], errors: Any) -> str:
    out = io.StringIO()
    parsing.write_error_file(out, headers, errors)
    return out.getvalue()


# The view


class ContactImportView(TemplateView):
    """One screen of the import flow: ``screen`` is "list", "upload", "detail" (the screen
    of the import's status), "status" (JSON), "errors" (the invalid rows CSV) or "cancel"."""

    screen = "detail"
    page_title: Any = ""
    #: {screen: template}: list, upload, mapping, dry_run, progress, report.
    templates: dict[str, str] = {}
    request: HttpRequest

    # to override

    def import_url(self, name: str, contact_import: ContactImport | None = None) -> str:
        """The address of ``name``: list, upload, detail, status, errors, cancel, contacts."""
        raise NotImplementedError

    def actor(self) -> str:
        return self.request.user.get_username()

    def may_view(self) -> bool:
        return bool(self.request.user.has_perm("parrain.view_contactimport"))

    def may_import(self) -> bool:
        return bool(self.request.user.has_perm("parrain.add_contactimport"))

    def programs(self) -> QuerySet[Program]:
        return Program.objects.order_by("name")

    def upload_program(self) -> Program | None:
        """The program an upload goes to without asking (one program: that one)."""
        return None

    def suggested_program(self) -> Program | None:
        """The program the upload form offers first, when it asks (the editor's last)."""
        return None

    def uploaded(self, contact_import: ContactImport) -> None:
        """A file was uploaded for ``contact_import``'s program (Wagtail remembers it)."""

    # dispatch

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.may_view():
            raise PermissionDenied
        handler = getattr(self, f"{self.screen}_screen")
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        return handler(request, kwargs.get("pk"))

    def get_import(self, pk: Any) -> ContactImport:
        queryset = ContactImport.objects.select_related("program")
        return get_object_or_404(queryset, pk=pk, program__in=self.programs())

    def show(self, name: str, status: int = 200, **context: Any) -> HttpResponse:
        self.template_name = self.templates[name]
        self.page_title = TITLES[name]  # Wagtail's header reads it
        context.update(
            screen=name,
            title=TITLES[name],
            may_import=self.may_import(),
            list_url=self.import_url("list"),
            upload_url=self.import_url("upload"),
        )
        return self.render_to_response(self.get_context_data(**context), status=status)

    def _only_importers(self, request: HttpRequest) -> None:
        if request.method == "POST" and not self.may_import():
            raise PermissionDenied

    # the screens

    def list_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        rows = [
            {
                "import": contact_import,
                "who": actor_label(contact_import.actor),
                "url": self.import_url("detail", contact_import),
                "errors_url": self.import_url("errors", contact_import)
                if contact_import.error_file
                else "",
            }
            for contact_import in recent_imports(self.programs())
        ]
        return self.show("list", imports=rows, several_programs=self.programs().count() > 1)

    def upload_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        if not self.may_import():
            raise PermissionDenied
        data = (request.POST, request.FILES) if request.method == "POST" else (None, None)
        suggested = self.suggested_program() if request.method == "GET" else None
        form = ImportUploadForm(
            *data,
            programs=self.programs(),
            program=self.upload_program(),
            initial={"program": suggested.pk} if suggested is not None else None,
        )
        if request.method == "POST" and form.is_valid():
            contact_import = form.save(actor=self.actor())
            if contact_import is not None:
                self.uploaded(contact_import)
                return HttpResponseRedirect(self.import_url("detail", contact_import))
        status = 400 if request.method == "POST" else 200
        return self.show("upload", status=status, form=form, media=form.media)

    def detail_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        self._only_importers(request)
        contact_import = self.get_import(pk)
        action = request.POST.get("action", "") if request.method == "POST" else ""
        remap = request.GET.get("remap") == "1" or action == "mapping"
        if remap and contact_import.status in (ImportStatus.UPLOADED, ImportStatus.CHECKED):
            return self.mapping(contact_import)
        if action == "confirm":
            return self.confirm(contact_import)
        if action == "retry":
            return self.retry(contact_import)
        screen = SCREEN_OF_STATUS[ImportStatus(contact_import.status)]
        if screen == "mapping":
            return self.mapping(contact_import)
        return self.show(screen, **self.import_context(contact_import))

    def mapping(self, contact_import: ContactImport) -> HttpResponse:
        posted = self.request.method == "POST"
        form = ImportMappingForm(
            self.request.POST if posted else None,
            contact_import=contact_import,
            samples=samples(contact_import),
        )
        if posted and form.is_valid() and form.save(actor=self.actor()) is not None:
            return HttpResponseRedirect(self.import_url("detail", contact_import))
        context = self.import_context(contact_import)
        return self.show("mapping", status=400 if posted else 200, form=form, **context)

    def confirm(self, contact_import: ContactImport) -> HttpResponse:
        try:
            contact_imports.confirm(contact_import, actor=self.actor())
        except ParrainError as exc:
            context = self.import_context(contact_import)
            return self.show("dry_run", status=409, refusal=exc.message, **context)
        return HttpResponseRedirect(self.import_url("detail", contact_import))

    def retry(self, contact_import: ContactImport) -> HttpResponse:
        """A failed import queued again: it resumes after its last committed batch."""
        try:
            contact_imports.retry(contact_import, actor=self.actor())
        except ParrainError as exc:
            messages.error(self.request, exc.message)
        return HttpResponseRedirect(self.import_url("detail", contact_import))

    def status_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        response = JsonResponse(status_payload(self.get_import(pk)))
        response["Cache-Control"] = "no-store"
        return response

    def errors_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        contact_import = self.get_import(pk)
        name = f"invalid-rows-{contact_import.pk}.csv"
        if contact_import.error_file:
            handle = contact_import.error_file.open("rb")
            return FileResponse(handle, as_attachment=True, filename=name, content_type="text/csv")
        if contact_import.status == ImportStatus.CHECKED and contact_import.file:
            response = StreamingHttpResponse(
                dry_run_invalid_rows(contact_import), content_type="text/csv; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        raise Http404(_("This import has no invalid rows to download."))

    def cancel_screen(self, request: HttpRequest, pk: Any) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._only_importers(request)
        contact_import = self.get_import(pk)
        try:
            contact_imports.cancel(contact_import, actor=self.actor())
        except ParrainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The import was cancelled."))
        return HttpResponseRedirect(self.import_url("detail", contact_import))

    def import_context(self, contact_import: ContactImport) -> dict[str, Any]:
        finished = contact_import.status in FINISHED
        checked = contact_import.status == ImportStatus.CHECKED
        invalid = (contact_import.dry_run or {}).get("invalid", 0) if checked else 0
        has_errors_file = bool(contact_import.error_file) or (checked and invalid > 0)
        return {
            "contact_import": contact_import,
            "program": contact_import.program,
            "time_zone": contact_import.program.time_zone,
            "who": actor_label(contact_import.actor),
            "is_dry_run": contact_import.status == ImportStatus.CHECKING,
            "counts": counts(contact_import, dry_run=checked),
            "errors": contact_import.errors,
            "status_url": self.import_url("status", contact_import),
            "detail_url": self.import_url("detail", contact_import),
            "remap_url": self.import_url("detail", contact_import) + "?remap=1",
            "cancel_url": self.import_url("cancel", contact_import),
            "errors_url": self.import_url("errors", contact_import) if has_errors_file else "",
            "contacts_url": self.import_url("contacts", contact_import),
            "may_cancel": not finished,
            "may_retry": contact_import.status == ImportStatus.FAILED and bool(contact_import.file),
            "percent": int(contact_import.progress * 100),
        }
