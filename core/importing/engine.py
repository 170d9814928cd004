"""Write a batch of contact rows: set-based, idempotent, never downgrading.

Upsert by external id, else normalised email. Rules (issue 14): an empty cell never
clears a value; a customer stays a customer; ``first_order_at`` keeps the earliest date;
tags are merged; a consent from the file only replaces the stored one when it is dated
later (or nothing was stored), and is written as a ``ConsentRecord`` (source import); a
loyalty balance becomes an ``IMPORT`` ledger line for the difference with what imports
already brought. Each contact created or changed gets one audit entry carrying the import
id. Contacts who become customers start the scenario's ``became_customer`` steps.

On PostgreSQL a batch is COPY'd into a temporary table and merged with a few statements;
elsewhere (SQLite) the same rules run through the ORM in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import ContactImport, Program
from .rows import ContactRow


@dataclass
class BatchResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def __iadd__(self, other: BatchResult) -> BatchResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        return self


def apply_batch(
    program: Program,
    rows: Sequence[ContactRow],
    *,
    contact_import: ContactImport | None = None,
    actor: str = "import",
    dry_run: bool = False,
) -> BatchResult:
    """Count (``dry_run``) or write ``rows``; runs inside the caller's transaction. Rows
    naming the same contact twice in a batch: the last one wins."""
    raise NotImplementedError
