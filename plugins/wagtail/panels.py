"""The landing page's program field in the page editor.

Only users who may change programs (``parrain.change_program``) get the chooser; others see
the page's program read-only with the reason, and the field is left out of their form, so
nothing they post can set it (Wagtail's ``FieldPanel(permission=…)``).
"""

from __future__ import annotations

from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from .permissions import CHANGE_PROGRAM

NO_PERMISSION_HELP = _(
    "Only users allowed to change referral programs can choose the program: ask an "
    "administrator. Publishing this page leaves every program's share links as they are."
)


class ProgramPanel(FieldPanel):
    def __init__(self, field_name: str = "program", **kwargs: Any) -> None:
        kwargs.setdefault("permission", CHANGE_PROGRAM)
        super().__init__(field_name, **kwargs)

    class BoundPanel(FieldPanel.BoundPanel):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if self.form is not None and self.bound_field is None:  # left out: no permission
                self.read_only = True
                self.heading = capfirst(self.panel.db_field.verbose_name)
                self.help_text = NO_PERMISSION_HELP

        def is_shown(self) -> bool:
            return self.read_only or super().is_shown()
