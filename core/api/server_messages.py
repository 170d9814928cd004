"""``/api/v1/programs/{slug}/scenario…``, ``…/message-templates…`` and a contact's
``…/messages``: the program's scenario, its pressure settings, the owner's templates (with
preview and test send) and each contact's message history, for the shop's server.

Thin adapters over ``services.scenarios``, ``services.scenario_settings`` and
``services.message_templates``: every refusal is a problem naming the field (a template's
problems one per part, with their line) and stores nothing.
"""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from pydantic import BaseModel, Field

from ..conf import parrain_settings
from ..exceptions import InvalidInput, NotFound
from ..messaging import templates
from ..models import MessageTemplate, ScenarioStep, ScheduledMessage
from ..models.choices import MessageChannel, MessageKind
from ..services import message_admin, message_templates, scenario_settings, scenarios
from . import message_schemas as s
from .pagination import after_cursor, encode_cursor
from .problems import Problem
from .security import SecretKey, actor_of, program_of

router = Router(auth=SecretKey(), tags=["scenarios and messages"])
PROGRAM = "/programs/{slug}"
STEPS = f"{PROGRAM}/scenario/steps"
STEP = STEPS + "/{step_id}"
TEMPLATES = f"{PROGRAM}/message-templates"
TEMPLATE = TEMPLATES + "/{kind}/{channel}/{language}"
HISTORY = PROGRAM + "/contacts/{contact}/messages"
StepId = Annotated[int, Path(ge=1, lt=2**63)]
LanguagePath = Annotated[str, Path(pattern=r"^[a-z]{2}(-[A-Za-z]{2})?$")]
MAX_PAGE = 200
ERRORS: dict[int, type[Problem]] = {code: Problem for code in (400, 401, 404, 409, 413, 422, 429)}


def _responses(*success: int, model: Any, extra: tuple[int, ...] = ()) -> dict[int, Any]:
    return {**{status: model for status in success}, **ERRORS, **{c: Problem for c in extra}}


# Scenario steps


def _step(request: HttpRequest, step_id: int) -> ScenarioStep:
    found = ScenarioStep.objects.filter(program=program_of(request), pk=step_id).first()
    if found is None:
        raise NotFound(_("No scenario step with this id in this program."), field="step_id")
    return found


def _step_out(step: ScenarioStep, counts: Any) -> s.StepOut:
    return s.StepOut(
        id=step.pk,
        position=step.position,
        name=step.name,
        label=str(step),
        trigger=step.trigger,
        trigger_label=str(step.get_trigger_display()),
        delay_amount=step.delay_amount,
        delay_unit=step.delay_unit,
        channel=step.channel,
        kind=step.kind,
        kind_label=str(step.get_kind_display()),
        recipient=step.recipient,
        audience=list(step.audience),
        is_active=step.is_active,
        transactional=step.is_transactional,
        counts=s.CountsOut(**message_admin.counts_dict(counts)),
        created_at=step.created_at,
        updated_at=step.updated_at,
    )


def _one_step(step: ScenarioStep) -> s.StepOut:
    return _step_out(step, scenarios.step_counts(step.program).get(step.pk))


@router.get(STEPS, response=_responses(200, model=s.StepList))
def list_steps(request: HttpRequest, slug: str) -> Any:
    """The scenario: every step by trigger, then delay, with what it has sent, delayed,
    dropped, failed, and what is waiting."""
    timeline = scenarios.timeline(program_of(request))
    items = [_step_out(one.step, one.counts) for entry in timeline for one in entry.steps]
    return s.StepList(items=items)


@router.post(STEPS, response=_responses(201, model=s.StepOut))
def create_step(request: HttpRequest, slug: str, payload: s.StepIn) -> Status[Any]:
    """Add a step. Refused (422, naming the field) when the recipient is not one of the
    trigger's people (a customer's order has no friend)."""
    data = payload.model_dump()
    if data["position"] is None:
        del data["position"]
    step = scenarios.create_step(program_of(request), data, actor=actor_of(request))
    return Status(201, _one_step(step))


@router.get(STEP, response=_responses(200, model=s.StepOut))
def get_step(request: HttpRequest, slug: str, step_id: StepId) -> Any:
    return _one_step(_step(request, step_id))


@router.patch(STEP, response=_responses(200, model=s.StepOut))
def patch_step(request: HttpRequest, slug: str, step_id: StepId, payload: s.StepPatch) -> Any:
    """Change the fields sent. Switching a step off drops its waiting messages."""
    step = _step(request, step_id)
    changes = payload.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise InvalidInput(_("This field cannot be null."), field=field)
    step = scenarios.update_step(step, changes, actor=actor_of(request))
    return _one_step(_step(request, step.pk))


@router.delete(STEP, response=_responses(204, model=None))
def delete_step(request: HttpRequest, slug: str, step_id: StepId) -> Status[None]:
    """Delete a step; its waiting messages are dropped, its sent ones stay in the history."""
    scenarios.delete_step(_step(request, step_id), actor=actor_of(request))
    return Status(204, None)


# Pressure settings


def _clock(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def _settings_out(program: Any) -> s.SettingsOut:
    values = scenario_settings.settings_of(program)
    for field in ("quiet_hours_start", "quiet_hours_end"):
        values[field] = _clock(values[field])
    return s.SettingsOut(**values, time_zone=str(program.time_zone))


@router.get(f"{PROGRAM}/scenario/settings", response=_responses(200, model=s.SettingsOut))
def get_settings(request: HttpRequest, slug: str) -> Any:
    """How hard the scenario may press one contact, and what every email carries."""
    return _settings_out(program_of(request))


@router.patch(f"{PROGRAM}/scenario/settings", response=_responses(200, model=s.SettingsOut))
def patch_settings(request: HttpRequest, slug: str, payload: s.SettingsPatch) -> Any:
    """Change the fields sent, all or nothing."""
    changes = payload.model_dump(exclude_unset=True)
    for field in ("messages_per_week", "min_gap_hours", "legal_footer"):
        if field in changes and changes[field] is None:
            raise InvalidInput(_("This field cannot be null."), field=field)
    for field in ("shop_address", "review_url"):
        if field in changes and changes[field] is None:
            changes[field] = ""
    for field in ("quiet_hours_start", "quiet_hours_end"):
        if changes.get(field) is not None:
            changes[field] = time.fromisoformat(changes[field])
    program = scenario_settings.update_settings(
        program_of(request), changes, actor=actor_of(request)
    )
    return _settings_out(program)


# Templates


def _language(request: HttpRequest, language: str) -> str:
    program = program_of(request)
    if language not in program.languages:
        raise InvalidInput(
            _("%(language)s is not a language of this program (%(languages)s).")
            % {"language": language, "languages": ", ".join(program.languages)},
            field="language",
        )
    return language


@router.get(TEMPLATES, response=_responses(200, model=s.TemplateList))
def list_templates(request: HttpRequest, slug: str) -> Any:
    """Every message kind × channel × language of the program, customised or default."""
    rows = message_admin.template_rows(program_of(request))
    return s.TemplateList(items=[s.TemplateRow(**row) for row in rows])


@router.get(TEMPLATE, response=_responses(200, model=s.TemplateOut))
def get_template(
    request: HttpRequest, slug: str, kind: s.KindIn, channel: s.ChannelIn, language: LanguagePath
) -> Any:
    """The template in use (the owner's, or the shipped default) and the variables it may
    use, with their message_admin."""
    return _template_out(request, kind, channel, _language(request, language))


def _template_out(request: HttpRequest, kind: str, channel: str, language: str) -> s.TemplateOut:
    program = program_of(request)
    resolved = templates.template_for(program, kind, channel, language)
    row = MessageTemplate.objects.filter(
        program=program, kind=kind, channel=channel, language=language
    ).first()
    return s.TemplateOut(
        kind=kind,
        kind_label=str(MessageKind(kind).label),
        channel=channel,
        language=language,
        subject=resolved.subject,
        html=resolved.html,
        text=resolved.text,
        customised=not resolved.is_default,
        designed_with=row.designed_with if row else "",
        variables=[s.VariableOut(**v) for v in message_admin.variables_of(kind)],
    )


@router.put(TEMPLATE, response=_responses(200, model=s.TemplateOut))
def put_template(
    request: HttpRequest,
    slug: str,
    kind: s.KindIn,
    channel: s.ChannelIn,
    language: LanguagePath,
    payload: s.TemplateIn,
) -> Any:
    """Save the owner's template. Refused (422) with each part's problems, their line and
    reason (a syntax error, a variable this kind does not offer, a construct the sandbox
    refuses); the template in use stays as it was."""
    language = _language(request, language)
    message_templates.save_template(
        program_of(request),
        kind,
        channel,
        language,
        **payload.model_dump(),
        actor=actor_of(request),
    )
    return _template_out(request, kind, channel, language)


@router.delete(TEMPLATE, response=_responses(204, model=None))
def reset_template(
    request: HttpRequest, slug: str, kind: s.KindIn, channel: s.ChannelIn, language: LanguagePath
) -> Status[None]:
    """Back to the shipped default."""
    language = _language(request, language)
    message_templates.reset_template(
        program_of(request), kind, channel, language, actor=actor_of(request)
    )
    return Status(204, None)


@router.post(f"{TEMPLATE}/preview", response=_responses(200, model=s.PreviewOut))
def preview_template(
    request: HttpRequest,
    slug: str,
    kind: s.KindIn,
    channel: s.ChannelIn,
    language: LanguagePath,
    payload: s.DraftIn,
) -> Any:
    """The message a draft makes with example values (a part left out: the one in use),
    and for an SMS how many segments it costs. Nothing is saved."""
    language = _language(request, language)
    composed = message_admin.preview_draft(
        program_of(request), kind, channel, language, **payload.model_dump()
    )
    return s.PreviewOut(
        subject=composed.subject,
        html=composed.html,
        text=composed.text,
        sms=message_admin.segments_of(composed.text) if channel == MessageChannel.SMS else None,
    )


@router.post(f"{TEMPLATE}/test", response=_responses(200, model=s.TestOut, extra=(502,)))
def test_template(
    request: HttpRequest,
    slug: str,
    kind: s.KindIn,
    channel: s.ChannelIn,
    language: LanguagePath,
    payload: s.TestIn,
) -> Any:
    """Send a draft (a part left out: the one in use) with example values to ``to`` now,
    marked [TEST]. 502 when the mail server or SMS provider refused it."""
    language = _language(request, language)
    draft = payload.model_dump()
    to = draft.pop("to")
    sent = message_admin.send_draft_test(program_of(request), kind, channel, language, to, **draft)
    return s.TestOut(channel=channel, to=sent.to)


# A contact's messages


class HistoryQuery(BaseModel):
    by: Literal["email", "external_id"] = Field(
        "email", description="Whether the path names the contact by email or by the shop's id."
    )
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the last page.")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE)


@router.get(
    f"{PROGRAM}/contacts/{{contact}}/messages", response=_responses(200, model=s.MessagePage)
)
def contact_messages(
    request: HttpRequest,
    slug: str,
    contact: Annotated[str, Path(max_length=254)],
    q: Query[HistoryQuery],
) -> Any:
    """Every message scheduled for the contact, latest due first: sent, waiting, or dropped
    or failed with the reason, and the rule that delayed it, each with a readable label."""
    found = message_admin.contact_of(program_of(request), contact, by=q.by)
    limit = q.limit or min(parrain_settings.PAGE_SIZE, MAX_PAGE)
    qs = after_cursor(ScheduledMessage.objects.filter(contact=found), q.cursor, "due_at")
    page = list(qs.order_by("-due_at", "-pk")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    cursor = encode_cursor(page[-1].due_at, page[-1].pk) if more else None
    items = [s.MessageOut(**message_admin.message_dict(m)) for m in page]
    return s.MessagePage(contact_id=found.pk, items=items, next_cursor=cursor)
