"""``/api/v1/programs/{slug}/imports…`` and ``…/import-schedule``: contact imports over HTTP.

The same walk as the admins' import screens (``core/contact_import_views.py``), through the
one import service (``services.contact_imports``): upload a CSV or XLSX file (multipart,
field ``file``) → read and set the column mapping → dry run (counts and first errors) →
confirm → follow the progress → download the invalid rows; cancel, retry a failed import.
Two imports of a program never run at once: the second gets a 409 ``import-busy``. A
program's regular import (fetch a file from an HTTPS URL on a schedule) is read, replaced,
deleted and run now through ``services.import_schedules``.

Program keys and account keys both work here (``SecretKey``); audit entries and the
import's ``actor`` name the key (``api:sk_…`` or ``api:mk_…``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from pydantic import BaseModel, Field

from .. import contact_import_views as screens
from ..exceptions import InvalidInput, NotFound
from ..forms.contact_import import ACCEPTED_SUFFIXES, other_import_running
from ..importing import mapping as mappings
from ..models import ContactImport, ImportSchedule
from ..models.choices import ImportStatus
from ..services import contact_imports, import_schedules
from ..validation_types import Email
from .pagination import after_cursor, encode_cursor
from .problems import Problem
from .schemas import Input
from .security import SecretKey, accepts_upload, actor_of, parse_multipart, program_of

router = Router(auth=SecretKey(), tags=["contact imports"])
IMPORTS = "/programs/{slug}/imports"
IMPORT = IMPORTS + "/{import_id}"
SCHEDULE = "/programs/{slug}/import-schedule"
ImportId = Annotated[int, Path(ge=1, lt=2**63)]
MAX_PAGE = 100
ERRORS: dict[int, type[Problem]] = {
    code: Problem for code in (400, 401, 404, 409, 413, 415, 422, 429)
}
FieldKey = Literal[tuple(field.key for field in mappings.FIELDS) + ("",)]  # type: ignore[valid-type]
Header = Annotated[str, Field(max_length=500)]
MappingIn = Annotated[
    dict[Header, FieldKey],
    Field(
        max_length=500,
        description='{column header: contact field, or "" to leave the column out}.',
    ),
]
EveryHours = Literal[tuple(import_schedules.EVERY_HOURS_CHOICES)]  # type: ignore[valid-type]


def _responses(*success: int, model: Any) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS}


# Schemas


class Counts(BaseModel):
    new: int
    updated: int
    unchanged: int
    invalid: int


class RowErrorOut(BaseModel):
    row: int = Field(description="As the spreadsheet numbers it: the header is row 1.")
    column: str
    reason: str


class ImportOut(BaseModel):
    id: int
    status: Literal[
        "uploaded", "checking", "checked", "queued", "running", "done", "failed", "cancelled"
    ] = Field(
        description="uploaded: columns to map; checking: dry run under way; checked: "
        "dry run done, confirm to import; queued, running; done, failed (retry), cancelled."
    )
    status_label: str
    source: Literal["file", "url", "api", "oscar"]
    file_name: str
    file_kind: str
    headers: list[str]
    mapping: dict[str, str]
    total_rows: int | None = Field(description="Null while not counted yet (a large XLSX).")
    rows_done: int
    progress: float = Field(ge=0, le=1)
    counts: Counts = Field(description="What the import did so far.")
    dry_run: Counts | None = Field(description="What the dry run found (once checked).")
    errors: list[RowErrorOut] = Field(description="The first errors (all are in the CSV).")
    has_error_file: bool = Field(description="GET …/errors gives the invalid rows as CSV.")
    failure: str
    actor: str
    schedule: int | None = Field(description="The regular import that fetched the file.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportPage(BaseModel):
    items: list[ImportOut]
    next_cursor: str | None


class ListQuery(BaseModel):
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int = Field(20, ge=1, le=MAX_PAGE)


class ColumnOut(BaseModel):
    header: str
    field: str = Field(description='The contact field it fills, "" when left out.')
    samples: list[str] = Field(description="The column's first values in the file.")


class FieldOut(BaseModel):
    key: str
    label: str
    help: str


class MappingOut(BaseModel):
    columns: list[ColumnOut]
    fields: list[FieldOut] = Field(description="The contact fields a column can fill.")


class MappingPut(Input):
    mapping: MappingIn


class ProgressOut(BaseModel):
    id: int
    status: str
    status_label: str
    rows_done: int
    total_rows: int | None
    progress: float
    percent: int
    counts: Counts
    finished: bool
    failure: str


class ScheduleIn(Input):
    url: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="HTTPS address of the customer file (CSV or XLSX)."
    )
    username: Annotated[str, Field(max_length=120)] = Field("", description="Basic auth.")
    password: Annotated[str, Field(max_length=255)] | None = Field(
        None,
        description="Never shown back. Leave out to keep the saved one; an empty username "
        "clears it.",
    )
    every_hours: EveryHours = 24
    mapping: MappingIn = Field(
        default_factory=dict,
        description="Empty: the program's saved mapping (the last manual import's), else "
        "guesses from the file's headers.",
    )
    notify_email: Email | None = Field(None, description="Who gets the report (null: nobody).")
    is_active: bool = True


class ScheduleOut(BaseModel):
    url: str
    username: str
    has_password: bool
    every_hours: int
    mapping: dict[str, str]
    notify_email: str | None
    is_active: bool
    last_run_at: datetime | None
    next_run_at: datetime | None
    last_error: str


# Shaping


def _import_out(contact_import: ContactImport) -> ImportOut:
    item = contact_import
    checked = item.status == ImportStatus.CHECKED
    invalid_in_dry_run = checked and (item.dry_run or {}).get("invalid", 0) > 0
    return ImportOut(
        id=item.pk,
        status=item.status,
        status_label=str(item.get_status_display()),
        source=item.source,
        file_name=item.original_name,
        file_kind=item.file_kind,
        headers=item.headers,
        mapping=item.mapping,
        total_rows=item.total_rows,
        rows_done=item.rows_done,
        progress=round(item.progress, 4),
        counts=Counts(**{c["key"]: c["value"] for c in screens.counts(item)}),
        dry_run=Counts(**item.dry_run) if item.dry_run else None,
        errors=[RowErrorOut(**error) for error in item.errors],
        has_error_file=bool(item.error_file) or (invalid_in_dry_run and bool(item.file)),
        failure=item.failure_text,
        actor=item.actor,
        schedule=item.schedule_id,
        created_at=item.created_at,
        started_at=item.started_at,
        finished_at=item.finished_at,
    )


def _import(request: HttpRequest, import_id: int) -> ContactImport:
    found = (
        ContactImport.objects.select_related("program")
        .filter(program=program_of(request), pk=import_id)
        .first()
    )
    if found is None:
        raise NotFound(_("No import with this id in this program."), field="import_id")
    return found


# Imports

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (any delimiter, UTF-8 or Windows encoding) or "
                            "XLSX, first row naming the columns; at most 8 MB here (larger "
                            "files: a regular import from a URL).",
                        }
                    },
                }
            }
        },
    }
}


@router.get(IMPORTS, response=_responses(200, model=ImportPage))
def list_imports(request: HttpRequest, slug: str, q: Query[ListQuery]) -> Any:
    """The program's imports, newest first, one page at a time."""
    found = ContactImport.objects.filter(program=program_of(request))
    ordered = after_cursor(found, q.cursor, "created_at").order_by("-created_at", "-pk")
    page = list(ordered.select_related("program")[: q.limit + 1])
    more, page = len(page) > q.limit, page[: q.limit]
    cursor = encode_cursor(page[-1].created_at, page[-1].pk) if more else None
    return ImportPage(items=[_import_out(item) for item in page], next_cursor=cursor)


@router.post(IMPORTS, response=_responses(201, model=ImportOut), openapi_extra=UPLOAD_BODY)
@accepts_upload
def upload(request: HttpRequest, slug: str) -> Status[Any]:
    """Upload a customer file: its columns are read and a mapping guessed (status
    ``uploaded``). 409 while another import of the program is checking or running."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise InvalidInput(_("Send the file as multipart/form-data, field file."), field="file")
    upload = parse_multipart(request, "file").get("file")
    if upload is None:
        raise InvalidInput(_("Send the file as multipart/form-data, field file."), field="file")
    if PurePosixPath(upload.name).suffix.lower() not in ACCEPTED_SUFFIXES:
        raise InvalidInput(
            _("“%(name)s” is not a CSV nor an XLSX file.") % {"name": upload.name}, field="file"
        )
    program = program_of(request)
    if other_import_running(program):
        raise contact_imports.ImportBusy()
    contact_import = contact_imports.start(program, upload, upload.name, actor=actor_of(request))
    return Status(201, _import_out(contact_import))


@router.get(IMPORT, response=_responses(200, model=ImportOut))
def get_import(request: HttpRequest, slug: str, import_id: ImportId) -> Any:
    return _import_out(_import(request, import_id))


@router.get(f"{IMPORT}/mapping", response=_responses(200, model=MappingOut))
def get_mapping(request: HttpRequest, slug: str, import_id: ImportId) -> Any:
    """Each column of the file with the field it fills and its first values."""
    contact_import = _import(request, import_id)
    samples = screens.samples(contact_import)
    columns = [
        ColumnOut(
            header=header,
            field=contact_import.mapping.get(header, ""),
            samples=samples.get(header, []),
        )
        for header in contact_import.headers
    ]
    fields = [FieldOut(key=f.key, label=str(f.label), help=str(f.help)) for f in mappings.FIELDS]
    return MappingOut(columns=columns, fields=fields)


@router.put(f"{IMPORT}/mapping", response=_responses(200, model=ImportOut))
def put_mapping(request: HttpRequest, slug: str, import_id: ImportId, payload: MappingPut) -> Any:
    """Set the mapping (kept on the program for the next import); a column not named is
    left out. Allowed before the import is confirmed; a new dry run is then needed."""
    contact_import = contact_imports.set_mapping(
        _import(request, import_id), payload.mapping, actor=actor_of(request)
    )
    return _import_out(contact_import)


@router.post(f"{IMPORT}/dry-run", response=_responses(200, model=ImportOut))
def dry_run(request: HttpRequest, slug: str, import_id: ImportId) -> Any:
    """Check every row without writing: small files answer ``checked`` with the report,
    large ones ``checking`` (follow ``…/progress``). 409 while another import runs."""
    contact_import = contact_imports.check(_import(request, import_id), actor=actor_of(request))
    return _import_out(contact_import)


@router.post(f"{IMPORT}/confirm", response=_responses(202, model=ImportOut))
def confirm(request: HttpRequest, slug: str, import_id: ImportId) -> Status[Any]:
    """Import for real (after the dry run): the import is queued and runs in a worker."""
    contact_import = contact_imports.confirm(_import(request, import_id), actor=actor_of(request))
    return Status(202, _import_out(contact_import))


@router.post(f"{IMPORT}/retry", response=_responses(202, model=ImportOut))
def retry(request: HttpRequest, slug: str, import_id: ImportId) -> Status[Any]:
    """Queue a failed import again: it resumes after its last committed batch."""
    contact_import = contact_imports.retry(_import(request, import_id), actor=actor_of(request))
    return Status(202, _import_out(contact_import))


@router.post(f"{IMPORT}/cancel", response=_responses(200, model=ImportOut))
def cancel(request: HttpRequest, slug: str, import_id: ImportId) -> Any:
    """Stop an import that has not finished; the batches already written stay."""
    contact_import = contact_imports.cancel(_import(request, import_id), actor=actor_of(request))
    return _import_out(contact_import)


@router.get(f"{IMPORT}/progress", response=_responses(200, model=ProgressOut))
def progress(request: HttpRequest, slug: str, import_id: ImportId) -> Any:
    """A small answer to poll while the dry run or the import runs."""
    return screens.status_payload(_import(request, import_id))


ERRORS_CSV = {
    "responses": {
        200: {
            "description": "The invalid rows: the file's columns and an ``error`` column.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }
}


@router.get(f"{IMPORT}/errors", response=ERRORS, openapi_extra=ERRORS_CSV)
def error_rows(request: HttpRequest, slug: str, import_id: ImportId) -> HttpResponse:
    """The invalid rows as CSV (after the dry run or the import); 404 when there are none."""
    contact_import = _import(request, import_id)
    name = f"invalid-rows-{contact_import.pk}.csv"
    response: HttpResponse
    if contact_import.error_file:
        handle = contact_import.error_file.open("rb")
        response = FileResponse(handle, as_attachment=True, filename=name)
        response["Content-Type"] = "text/csv; charset=utf-8"
        return response
    checked = contact_import.status == ImportStatus.CHECKED
    if checked and contact_import.file and (contact_import.dry_run or {}).get("invalid"):
        rows = screens.dry_run_invalid_rows(contact_import)
        response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    raise NotFound(_("This import has no invalid rows to download."))


# The regular import


def _schedule_out(schedule: ImportSchedule) -> ScheduleOut:
    names = ("url", "username", "every_hours", "mapping", "is_active")
    return ScheduleOut(
        **{name: getattr(schedule, name) for name in names},
        notify_email=schedule.notify_email or None,
        has_password=bool(schedule.password),
        last_run_at=schedule.last_run_at,
        next_run_at=schedule.next_run_at,
        last_error=schedule.last_error,
    )


def _schedule(request: HttpRequest) -> ImportSchedule:
    found = ImportSchedule.objects.filter(program=program_of(request)).first()
    if found is None:
        raise NotFound(_("This program has no regular import."))
    return found


@router.get(SCHEDULE, response=_responses(200, model=ScheduleOut))
def get_schedule(request: HttpRequest, slug: str) -> Any:
    return _schedule_out(_schedule(request))


@router.put(SCHEDULE, response=_responses(200, 201, model=ScheduleOut))
def put_schedule(request: HttpRequest, slug: str, payload: ScheduleIn) -> Status[Any]:
    """Create or replace the regular import (201 when created); the first run is due at
    once when active, then every ``every_hours``."""
    program = program_of(request)
    import_schedules.check_url(payload.url)
    if payload.mapping:
        problems = mappings.check(payload.mapping, list(payload.mapping))
        if problems:
            raise InvalidInput(" ".join(str(p) for p in problems), field="mapping")
    schedule = ImportSchedule.objects.filter(program=program).first()
    created = schedule is None
    schedule = schedule or ImportSchedule(program=program)
    if not created and payload.every_hours != schedule.every_hours:
        schedule.next_run_at = None  # recomputed: now, then every N hours
    for name in ("url", "username", "every_hours", "mapping", "is_active"):
        setattr(schedule, name, getattr(payload, name))
    schedule.notify_email = payload.notify_email or ""
    if payload.password is not None:
        schedule.password = payload.password
    if not payload.username:
        schedule.password = ""  # nosec B105 # no user name: the password goes too
    schedule = import_schedules.save(schedule, actor=actor_of(request))
    return Status(201 if created else 200, _schedule_out(schedule))


@router.delete(SCHEDULE, response=_responses(204, model=None))
def delete_schedule(request: HttpRequest, slug: str) -> Status[None]:
    """Stop the regular import (its past imports stay)."""
    import_schedules.delete(_schedule(request), actor=actor_of(request))
    return Status(204, None)


@router.post(f"{SCHEDULE}/run", response=_responses(202, model=ScheduleOut))
def run_schedule(request: HttpRequest, slug: str) -> Status[Any]:
    """Fetch and import now (in a worker); the new import shows in ``GET …/imports``."""
    schedule = _schedule(request)
    import_schedules.queue_run(schedule, actor=actor_of(request))
    return Status(202, _schedule_out(schedule))
