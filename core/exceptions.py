"""Errors the services raise; the API turns each into an RFC 9457 problem with its status."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ParrainError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message: str | None = None, *, field: str | None = None, **extra: object):
        self.message = str(message or self.default_message)
        self.field = field
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(ParrainError):
    status = 422
    code = "invalid-input"


class NotFound(ParrainError):
    status = 404
    code = "not-found"
    default_message = _("Not found.")


class Refused(ParrainError):
    """A fraud rule or a program rule refused the action; ``reason`` is the audit reason."""

    status = 409
    code = "refused"

    def __init__(self, reason: str, message: str | None = None, **extra: object):
        self.reason = reason
        super().__init__(message, **extra)


class CapReached(ParrainError):
    status = 429
    code = "cap-reached"
    default_message = _("The daily invitation limit is reached; try again tomorrow.")


class FulfilmentError(ParrainError):
    status = 503
    code = "fulfilment-unavailable"
    default_message = _("No reward code is available right now.")


class TemplateRefused(Refused):
    """A message template that cannot be saved or sent: ``problems`` maps each part
    ("subject", "html", "text") to its ``render.TemplateProblem`` list (line, reason)."""

    status = 422
    code = "template-refused"
    default_message = _("The template has errors; nothing was saved.")

    def __init__(self, problems: dict, message: str | None = None) -> None:
        self.problems = {part: list(found) for part, found in problems.items() if found}
        super().__init__("template_invalid", message)

    @property
    def errors(self) -> list[tuple[str, str]]:
        """(part, "Line 3: …") pairs, for the API's problem body and the forms."""
        return [
            (part, line_message(problem))
            for part, found in self.problems.items()
            for problem in found
        ]

    @property
    def problem_fields(self) -> dict:
        return {
            "problems": {
                part: [{"line": p.line, "message": str(p.message)} for p in found]
                for part, found in self.problems.items()
            }
        }


def line_message(problem: object) -> str:
    """``Line 3: Unknown variable “x”.`` in the active language."""
    from django.utils.translation import gettext

    return gettext("Line %(line)s: %(message)s") % {
        "line": getattr(problem, "line", 1),
        "message": getattr(problem, "message", problem),
    }
