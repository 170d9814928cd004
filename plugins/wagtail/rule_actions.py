"""Reward rules saved from the Wagtail admin go through the core's one door,
``core.services.program_setup`` (validated, audited with the editor), like the Django
admin, the program editor and the management API.

Wagtail's snippet views save through its action classes (``wagtail.actions``): the
rule's own create, edit and delete actions are registered for ``RewardRule`` (Wagtail's
log entry stays), and so is its bulk delete. A program's delete and bulk delete go through
``program_setup.delete_program`` the same way (issue 16).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from wagtail.actions import CreateAction, DeleteAction, EditAction
from wagtail.log_actions import log
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction

from parrain.core.models import Program, RewardRule
from parrain.core.services import program_setup

from .permissions import actor


def _values(form: Any, names: list[str]) -> dict[str, Any]:
    fields = {field.name for field in RewardRule._meta.concrete_fields}
    return {name: form.cleaned_data[name] for name in names if name in fields}


class RuleCreateAction(CreateAction):
    def _save_instance(self) -> None:
        if self.form is None:
            return super()._save_instance()
        values = _values(self.form, list(self.form.cleaned_data))
        program = values.pop("program")
        self.instance = program_setup.create_rule(program, values, actor=actor(self.user))
        self.form.instance = self.instance


class RuleEditAction(EditAction):
    def _save_instance(self) -> None:
        if self.form is None:
            return super()._save_instance()
        stored = RewardRule.objects.select_related("program").get(pk=self.instance.pk)
        values = _values(self.form, list(self.form.cleaned_data))  # the service keeps changes
        program_setup.update_rule(stored, values, actor=actor(self.user))
        self.instance = stored


class RuleDeleteAction(DeleteAction):
    def _delete(self) -> None:
        with transaction.atomic():
            if self.log_action:  # before deleting, while the rule still exists
                log(instance=self.instance, action=self.log_action, user=self.user, deleted=True)
            program_setup.delete_rule(self.instance, actor=actor(self.user))


class ProgramDeleteAction(DeleteAction):
    def _delete(self) -> None:
        with transaction.atomic():
            if self.log_action:  # before deleting, while the program still exists
                log(instance=self.instance, action=self.log_action, user=self.user, deleted=True)
            program_setup.delete_program(self.instance, actor=actor(self.user))


def register_rule_actions(registry: Any) -> None:
    registry.register(RewardRule, RuleCreateAction)
    registry.register(RewardRule, RuleEditAction)
    registry.register(RewardRule, RuleDeleteAction)
    registry.register(Program, ProgramDeleteAction)


class RuleDeleteBulkAction(DeleteBulkAction):
    """The snippets' bulk delete, one audited ``delete_rule`` per rule."""

    models = [RewardRule]

    @classmethod
    def execute_action(cls, objects: Any, user: Any = None, **kwargs: Any) -> tuple[int, int]:
        view = kwargs.get("self")
        editor = user or (view.request.user if view is not None else None)
        for rule in objects:
            program_setup.delete_rule(rule, actor=actor(editor))
        return len(objects), 0


class ProgramDeleteBulkAction(DeleteBulkAction):
    """The snippets' bulk delete, one ``delete_program`` (logged with the editor) each."""

    models = [Program]

    @classmethod
    def execute_action(cls, objects: Any, user: Any = None, **kwargs: Any) -> tuple[int, int]:
        view = kwargs.get("self")
        editor = user or (view.request.user if view is not None else None)
        for program in objects:
            program_setup.delete_program(program, actor=actor(editor))
        return len(objects), 0
