"""Which Parrain program this Oscar shop runs."""

from __future__ import annotations

from parrain.core.models import Program

from .conf import oscar_settings


def shop_program() -> Program | None:
    """The program named by ``PARRAIN_OSCAR["PROGRAM"]``, else the first active one."""
    programs = Program.objects.filter(is_active=True)
    if oscar_settings.PROGRAM:
        return programs.filter(slug=oscar_settings.PROGRAM).first()
    return programs.order_by("pk").first()
