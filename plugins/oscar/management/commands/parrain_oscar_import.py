"""Import the shop's existing customers and past orders into the referral program.

``python manage.py parrain_oscar_import [--program SLUG] [--batch-size 500] [--no-orders]``

Customers become contacts, past orders count in the revenue figures and mark their buyers as
existing customers (who then get no welcome offer). Safe to run again: what is already
imported is skipped.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from parrain.core.models import Program
from parrain.core.models.choices import ImportSource
from parrain.core.services.contact_imports import ImportBusy, import_rows
from parrain.core.services.imports import import_past_orders

from ... import importer
from ...program import shop_program


class Progress:
    """A one-line text progress bar, redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, label: str, total: int, out: OutputWrapper) -> None:
        self.label, self.total, self.out, self.done = label, total, out, 0
        self.live = out.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        if self.live:
            self.out.write("\r" + self.line(), ending="")
            self.out.flush()

    def line(self) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return f"{self.label:<10} [{bar}] {self.done}/{self.total}"

    def finish(self) -> None:
        self.out.write(("\r" if self.live else "") + self.line())


class Command(BaseCommand):
    help = "Import Oscar's customers and past orders into the referral program (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--program", help="program slug (default: PARRAIN_OSCAR['PROGRAM'])")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-orders", action="store_true", help="customers only")

    def handle(self, *args: Any, **options: Any) -> None:
        program = self.program(options["program"])
        size = options["batch_size"]
        if not 1 <= size <= 10_000:
            raise CommandError("--batch-size must be between 1 and 10000.")
        customers = self.customers(program, size)
        orders = 0
        if not options["no_orders"]:
            orders = self.run(
                "orders",
                importer.count_orders(),
                importer.order_batches(size),
                lambda rows: import_past_orders(program, rows),
                self.stdout,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{program.slug}: {customers} new contacts, {orders} new orders imported."
            )
        )

    def program(self, slug: str | None) -> Program:
        program = Program.objects.filter(slug=slug).first() if slug else shop_program()
        if program is None:
            raise CommandError("No such program: give --program or set PARRAIN_OSCAR['PROGRAM'].")
        return program

    def customers(self, program: Program, size: int) -> int:
        """Through the core's contact import service: one import record, batches
        committed with its counters, never two imports of the program at once."""
        progress = Progress("customers", importer.count_customers(), self.stdout)
        done = 0

        def advance(contact_import: Any) -> None:
            nonlocal done
            progress.advance(contact_import.rows_done - done)
            done = contact_import.rows_done

        try:
            _import, result = import_rows(
                program,
                importer.customer_rows(size),
                source=ImportSource.OSCAR,
                actor="oscar-import",
                batch=size,
                progress=advance,
            )
        except ImportBusy as exc:
            raise CommandError(exc.message) from exc
        progress.finish()
        return result.new

    def run(self, label: str, total: int, batches: Any, save: Any, out: Any) -> int:
        progress = Progress(label, total, out)
        created = 0
        for rows in batches:
            created += save(rows)
            progress.advance(len(rows))
        progress.finish()
        return created
