"""``parrain_badges --recompute [--program SLUG]``: re-evaluate every contact's badges now.

Runs in this process (no worker needed), with a progress bar on stderr; resumes the
program's unfinished recompute if there is one (a worker stopped mid-way, say).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from parrain.core.models import Badge, BadgeRecompute, Program
from parrain.core.services import badge_recompute

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Re-evaluate the ambassador badges of every contact."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recompute", action="store_true", help="Re-evaluate everyone.")
        parser.add_argument("--program", metavar="SLUG", help="Only this program.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["recompute"]:
            raise CommandError("Say what to do: --recompute.")
        for program in self._programs(options["program"]):
            row = badge_recompute.start(
                program, reason="parrain_badges --recompute", enqueue=False, restart=False
            )
            row = badge_recompute.run(row.pk, progress=self._bar(program))
            self.stderr.write("")
            self.stdout.write(
                f"{program.slug}: {row.done} contacts, {row.awarded} badges awarded, "
                f"{row.lost} lost ({row.get_state_display()})"
            )

    def _programs(self, slug: str | None) -> list[Program]:
        if slug:
            program = Program.objects.filter(slug=slug).first()
            if program is None:
                raise CommandError(f"No program {slug!r}.")
            return [program]
        with_badges = Badge.objects.filter(is_active=True).values("program_id")
        return list(Program.objects.filter(pk__in=with_badges).order_by("pk"))

    def _bar(self, program: Program) -> badge_recompute.Progress:
        def show(row: BadgeRecompute) -> None:
            filled = BAR_WIDTH * row.percent // 100
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.stderr.write(
                f"\r{program.slug} [{bar}] {row.percent:3d}% {row.done}/{row.total}", ending=""
            )
            self.stderr.flush()

        return show
