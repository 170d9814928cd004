"""Regular imports (issue 14): fetch a customer file from an HTTPS URL on a schedule.

The file is fetched with httpx through the SSRF guard (no private, loopback or link-local
address, HTTPS only, size and time limits), optionally with basic auth, then imported with
the schedule's mapping through ``contact_imports`` without a confirmation step (the dry
run's report is the same). The report (counts, first errors, link to the invalid rows) is
emailed to ``notify_email``. The beat task ``run_import_schedules`` runs the due ones.
"""

from __future__ import annotations

from ..models import ContactImport, ImportSchedule


def run_due() -> int:
    """Run every active schedule whose ``next_run_at`` has passed; returns how many."""
    raise NotImplementedError


def run_now(schedule: ImportSchedule, *, actor: str) -> ContactImport:
    """Fetch and import now (the admin's "Run now"); errors land in ``last_error``."""
    raise NotImplementedError
