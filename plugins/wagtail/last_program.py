"""The program an editor last looked at, kept in their session.

The dashboard and the badge reports open on it instead of the first program by name: an
editor who runs one shop's program out of several does not choose it again on every visit.
"""

from __future__ import annotations

from django.http import HttpRequest, QueryDict

from parrain.core.models import Program

SESSION_KEY = "parrain_wagtail_program"


def with_last_program(request: HttpRequest) -> QueryDict:
    """The request's query, with ``program`` filled in when the editor chose none."""
    data = request.GET.copy()
    if not data.get("program") and (program := last_program(request)):
        data["program"] = str(program.pk)
    return data


def last_program(request: HttpRequest) -> Program | None:
    """The editor's last program if it still exists, else the first by name."""
    remembered = request.session.get(SESSION_KEY)
    program = Program.objects.filter(pk=remembered).first() if remembered else None
    return program or Program.objects.order_by("name").first()


def remember_program(request: HttpRequest, program: Program | None) -> None:
    if program is not None and request.session.get(SESSION_KEY) != program.pk:
        request.session[SESSION_KEY] = program.pk
