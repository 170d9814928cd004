"""Forms every admin uses for scenarios and templates (Django admin, Oscar, Wagtail).

Contract:
- ``ScenarioStepForm(ModelForm)`` (helper: engine): trigger, delay amount + unit, channel,
  message kind, recipient (only the trigger's roles: TRIGGER_ROLES), audience as checkboxes,
  active; ``save(actor=...)`` goes through ``scenarios.create_step/update_step``.
- ``MessageTemplateForm(Form)`` (helper: templates): subject / HTML / text (or SMS text),
  ``clean`` runs ``render.check`` and puts each problem on its field with the line number;
  ``save(program, kind, channel, language, actor)`` calls ``message_templates.save_template``.
- ``ScenarioSettingsForm(ModelForm on Program)`` (helper: engine): messages_per_week,
  quiet_hours_start/end, min_gap_hours, legal_footer (one field per language, through
  core/forms/fields.py), shop_address, review_url.
"""

from __future__ import annotations

# The template form (helper: templates), kept in its own module.
from .message_template import MessageTemplateForm  # noqa: E402, F401

# Scenario forms (helper: engine), kept in their own module.
from .scenario import ScenarioSettingsForm, ScenarioStepForm  # noqa: E402, F401
