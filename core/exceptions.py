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
