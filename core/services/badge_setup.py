"""Define a program's badges: create, change, delete, set conditions and image.

Every change a shop owner makes goes through here, from the admin or the server API: it is
checked (a clear message naming the field, nothing stored on refusal), audited, and when
it can change who holds what (conditions, how they combine, keeping, activation) it starts
a background re-evaluation of the program's contacts (``badges.start_recompute``).

Badge changes of one program are serialised on the program's row lock, so two admins
cannot build a circle of prerequisites between them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import Any, BinaryIO

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from .. import audit
from ..exceptions import InvalidInput
from ..locks import row_for_update
from ..models import Badge, BadgeCondition, BadgeMatch, ConditionKind, Program, RewardRule
from ..models.badge import COUNTABLE_ACTIONS
from ..models.choices import Side
from ..models.loyalty import LoyaltyKind
from . import badges
from .texts import per_language


class ImageTooLarge(InvalidInput):
    status = 413
    code = "too-large"


MAX_IMAGE_BYTES = 1024 * 1024
THUMBNAIL_PX = 256
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}
#: Far beyond any badge picture; refuses decompression bombs before decoding them.
MAX_IMAGE_PIXELS = 40_000_000
MAX_CONDITIONS = 20
MAX_PERIOD_DAYS = 3660
MAX_THRESHOLD = Decimal("999999999999.99")
NAME_LENGTH, DESCRIPTION_LENGTH = 80, 500
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
#: Conditions whose value is a state, not a count over time: a period means nothing.
NO_PERIOD = {ConditionKind.POINTS_BALANCE, ConditionKind.HOLDS_BADGE}
#: Changes that can change who holds the badge.
REEVALUATE = {"match", "keep_once_earned", "is_active"}
FIELDS = {
    "names",
    "descriptions",
    "rank",
    "colour",
    "match",
    "keep_once_earned",
    "reward_rule",
    "is_active",
}


def create_badge(
    program: Program,
    *,
    names: Mapping[str, str],
    conditions: Iterable[Mapping[str, Any]] = (),
    actor: str,
    **fields: Any,
) -> Badge:
    """A new badge at the end of the ranks unless ``rank`` is given; its conditions are
    checked with it, and the program's contacts are re-evaluated when it is active."""
    with transaction.atomic():
        row_for_update(Program, program.pk)
        badge = Badge(program=program)
        rank = fields.pop("rank", None)
        if rank is None:
            top = Badge.objects.filter(program=program).aggregate(top=Max("rank"))["top"]
            rank = (top or 0) + 1
        _apply(badge, {"names": names, "rank": rank, **fields})
        specs = _conditions(badge, conditions)
        badge.save()
        _store_conditions(badge, specs)
        audit.record(program, "badge.created", actor=actor, badge=badge.pk, name=badge.name())
        _changed(program.pk)
        if badge.is_active and specs:
            badges.start_recompute(program, reason=_("Badge %(name)s created") % _named(badge))
    return badge


def update_badge(badge: Badge, *, actor: str, **changes: Any) -> Badge:
    """Change the given fields only; re-evaluates when the change can move holders."""
    with transaction.atomic():
        row_for_update(Program, badge.program_id)
        badge = Badge.objects.select_related("program").get(pk=badge.pk)
        before = {name: getattr(badge, name) for name in changes if name in FIELDS}
        _apply(badge, changes)
        changed = sorted(n for n in before if getattr(badge, n) != before[n])
        if not changed:
            return badge
        badge.save()
        audit.record(
            badge.program, "badge.updated", actor=actor, badge=badge.pk, fields=",".join(changed)
        )
        _changed(badge.program_id)
        if REEVALUATE & set(changed):
            badges.start_recompute(
                badge.program, reason=_("Badge %(name)s changed") % _named(badge)
            )
    return badge


def set_conditions(
    badge: Badge, conditions: Iterable[Mapping[str, Any]], *, actor: str
) -> list[BadgeCondition]:
    """Replace the badge's conditions as a whole (what the admin form and the API send)."""
    with transaction.atomic():
        row_for_update(Program, badge.program_id)
        badge = Badge.objects.select_related("program").get(pk=badge.pk)
        specs = _conditions(badge, conditions)
        _refuse_cycles(badge, specs)
        badge.conditions.all().delete()
        stored = _store_conditions(badge, specs)
        audit.record(
            badge.program,
            "badge.conditions_changed",
            actor=actor,
            badge=badge.pk,
            conditions="; ".join(str(c) for c in stored),
        )
        _changed(badge.program_id)
        badges.start_recompute(badge.program, reason=_("Badge %(name)s changed") % _named(badge))
    return stored


def delete_badge(badge: Badge, *, actor: str) -> None:
    """Delete a badge and its holders' history; refused while another badge requires it
    (deleting would silently drop that badge's condition)."""
    with transaction.atomic():
        row_for_update(Program, badge.program_id)
        badge = Badge.objects.select_related("program").get(pk=badge.pk)
        needed_by = Badge.objects.filter(
            conditions__required_badge=badge, conditions__kind=ConditionKind.HOLDS_BADGE
        ).exclude(pk=badge.pk)
        if needed_by.exists():
            names = ", ".join(sorted({b.name() for b in needed_by}))
            raise InvalidInput(
                _("Badge %(name)s is a condition of %(others)s: change those conditions first.")
                % {**_named(badge), "others": names},
                field="badge",
            )
        image, pk, name = badge.image.name, badge.pk, badge.name()
        badge.delete()
        audit.record(badge.program, "badge.deleted", actor=actor, badge=pk, name=name)
        _changed(badge.program_id)
        if image:
            transaction.on_commit(lambda: Badge._meta.get_field("image").storage.delete(image))


def set_image(badge: Badge, upload: BinaryIO | None, *, actor: str) -> Badge:
    """Store a 256 px PNG thumbnail of ``upload`` (PNG, JPEG or WebP of at most 1 MB,
    verified by decoding it); ``None`` removes the image. The previous file is deleted once
    the change is committed, so a failed save never leaves a badge without its picture."""
    thumbnail = _thumbnail(upload) if upload is not None else None
    with transaction.atomic():
        badge = Badge.objects.select_for_update().select_related("program").get(pk=badge.pk)
        previous = badge.image.name
        if thumbnail is None:
            badge.image = ""
            badge.save(update_fields=["image", "updated_at"])
        else:
            name = f"badge-{badge.pk}-{secrets.token_hex(4)}.png"
            badge.image.save(name, ContentFile(thumbnail), save=False)
            badge.save(update_fields=["image", "updated_at"])
        audit.record(
            badge.program,
            "badge.image_changed",
            actor=actor,
            badge=badge.pk,
            image=badge.image.name or "",
        )
        _changed(badge.program_id)
        if previous and previous != badge.image.name:
            storage = badge.image.storage
            transaction.on_commit(lambda: storage.delete(previous))
    return badge


def check_badge(program: Program, fields: Mapping[str, Any]) -> None:
    """Raise what ``create_badge``/``update_badge`` would for ``fields``, storing nothing
    (forms show the message beside the field before anything is saved)."""
    _apply(Badge(program=program), fields)


def check_conditions(badge: Badge, conditions: Iterable[Mapping[str, Any]]) -> None:
    """Raise what ``set_conditions`` would, storing nothing."""
    specs = _conditions(badge, conditions)
    if badge.pk:
        _refuse_cycles(badge, specs)


def thumbnail(upload: BinaryIO) -> bytes:
    """The PNG thumbnail ``set_image`` would store, or the refusal it would raise."""
    return _thumbnail(upload)


def _changed(program_id: int) -> None:
    """This process reads the program's badges again once the change is committed (other
    processes within the memo's few seconds)."""
    transaction.on_commit(lambda: badges.forget(program_id))


# --- checks -------------------------------------------------------------------------------


def _named(badge: Badge) -> dict[str, str]:
    return {"name": badge.name()}


def _apply(badge: Badge, changes: Mapping[str, Any]) -> None:
    unknown = set(changes) - FIELDS
    if unknown:
        raise InvalidInput(
            _("Unknown badge field: %(field)s.") % {"field": sorted(unknown)[0]},
            field=sorted(unknown)[0],
        )
    program = badge.program
    for name, value in changes.items():
        setattr(badge, name, _CHECKS[name](program, value))


def _texts(program: Program, value: Any, field: str, length: int, required: bool) -> dict:
    return per_language(program, value, field, length, required=required)


def _rank(program: Program, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise InvalidInput(_("The rank is a whole number from 0 to 10000."), field="rank")
    return value


def _colour(program: Program, value: Any) -> str:
    if not isinstance(value, str) or not COLOUR.match(value):
        raise InvalidInput(_("A colour like #1f6feb."), field="colour")
    return value.lower()


def _match(program: Program, value: Any) -> str:
    if value not in BadgeMatch.values:
        raise InvalidInput(_("Combine the conditions with all or any."), field="match")
    return str(value)


def _flag(field: str):
    def check(program: Program, value: Any) -> bool:
        if not isinstance(value, bool):
            raise InvalidInput(_("Give true or false."), field=field)
        return value

    return check


def _reward_rule(program: Program, value: Any) -> RewardRule | None:
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, RewardRule) else value
    rule = RewardRule.objects.filter(pk=pk, program=program, side=Side.REFERRER).first()
    if rule is None:
        raise InvalidInput(_("Choose a referrer reward rule of this program."), field="reward_rule")
    return rule


_CHECKS = {
    "names": lambda p, v: _texts(p, v, "names", NAME_LENGTH, required=True),
    "descriptions": lambda p, v: _texts(p, v or {}, "descriptions", DESCRIPTION_LENGTH, False),
    "rank": _rank,
    "colour": _colour,
    "match": _match,
    "keep_once_earned": _flag("keep_once_earned"),
    "is_active": _flag("is_active"),
    "reward_rule": _reward_rule,
}


def _conditions(badge: Badge, conditions: Iterable[Mapping[str, Any]]) -> list[BadgeCondition]:
    """The checked, unsaved conditions; an error names its row (``conditions.2.threshold``)."""
    listed = list(conditions)
    if len(listed) > MAX_CONDITIONS:
        raise InvalidInput(
            _("At most %(max)s conditions per badge.") % {"max": MAX_CONDITIONS},
            field="conditions",
        )
    checked = []
    for index, spec in enumerate(listed):
        try:
            checked.append(_condition(badge, spec))
        except InvalidInput as exc:
            exc.field = f"conditions.{index}.{exc.field}"
            raise
    return checked


def _condition(badge: Badge, spec: Mapping[str, Any]) -> BadgeCondition:
    """An unsaved condition checked field by field (the field named ``conditions.kind`` …)."""
    kind = spec.get("kind")
    if kind not in ConditionKind.values:
        raise InvalidInput(
            _("Unknown condition: %(kind)s. Use one of %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(ConditionKind.values)},
            field="kind",
        )
    condition = BadgeCondition(
        badge=badge,
        kind=kind,
        threshold=_threshold(kind, spec.get("threshold")),
        period_days=_period(kind, spec.get("period_days")),
    )
    if kind == ConditionKind.ACTION_COUNT:
        condition.action_kind, condition.custom_kind = _action(spec)
    elif spec.get("action_kind") or spec.get("custom_kind"):
        raise InvalidInput(
            _("Only a loyalty actions condition names an action."), field="action_kind"
        )
    if kind == ConditionKind.HOLDS_BADGE:
        condition.required_badge = _required(badge, spec.get("required_badge"))
    elif spec.get("required_badge"):
        raise InvalidInput(
            _("Only a holds-another-badge condition names a badge."),
            field="required_badge",
        )
    return condition


def _threshold(kind: str, value: Any) -> Decimal:
    if kind == ConditionKind.HOLDS_BADGE and value in (None, ""):
        return Decimal(1)
    try:
        threshold = Decimal(str(value))
    except (InvalidOperation, ValueError):
        threshold = Decimal("NaN")
    if not threshold.is_finite() or threshold <= 0 or threshold > MAX_THRESHOLD:
        raise InvalidInput(_("The threshold must be above zero."), field="threshold")
    whole = kind != ConditionKind.REFERRED_REVENUE
    if (whole and threshold != threshold.to_integral_value()) or threshold.as_tuple().exponent < -2:
        raise InvalidInput(
            _("The threshold of this condition is a whole number.")
            if whole
            else _("The threshold has at most two decimals."),
            field="threshold",
        )
    return threshold


def _period(kind: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    if kind in NO_PERIOD:
        raise InvalidInput(
            _("This condition has no rolling period; leave it empty."),
            field="period_days",
        )
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PERIOD_DAYS:
        raise InvalidInput(
            _("The rolling period is from 1 to %(max)s days, or empty for ever.")
            % {"max": MAX_PERIOD_DAYS},
            field="period_days",
        )
    return value


def _action(spec: Mapping[str, Any]) -> tuple[str, str]:
    action, custom = spec.get("action_kind") or "", str(spec.get("custom_kind") or "").strip()
    if action not in [k.value for k in COUNTABLE_ACTIONS]:
        raise InvalidInput(_("Choose which loyalty action to count."), field="action_kind")
    if action == LoyaltyKind.CUSTOM and not custom:
        raise InvalidInput(_("Name the custom action."), field="custom_kind")
    if action != LoyaltyKind.CUSTOM and custom:
        raise InvalidInput(_("Only a custom action has a name."), field="custom_kind")
    if len(custom) > 60:
        raise InvalidInput(
            _("At most %(length)s characters.") % {"length": 60}, field="custom_kind"
        )
    return action, custom


def _required(badge: Badge, value: Any) -> Badge:
    pk = value.pk if isinstance(value, Badge) else value
    required = Badge.objects.filter(pk=pk, program_id=badge.program_id).first() if pk else None
    if required is None:
        raise InvalidInput(
            _("Choose a badge of this program as the prerequisite."),
            field="required_badge",
        )
    if badge.pk and required.pk == badge.pk:
        raise InvalidInput(_("A badge cannot require itself."), field="required_badge")
    return required


def _refuse_cycles(badge: Badge, specs: list[BadgeCondition]) -> None:
    """Refuse prerequisites that lead back to ``badge`` (A needs B needs A)."""
    needs: dict[int, set[int]] = {}
    for owner, required in BadgeCondition.objects.filter(
        badge__program_id=badge.program_id, kind=ConditionKind.HOLDS_BADGE
    ).values_list("badge", "required_badge"):
        needs.setdefault(owner, set()).add(required)
    needs[badge.pk] = {c.required_badge.pk for c in specs if c.required_badge is not None}
    seen: set[int] = set()
    todo = list(needs[badge.pk])
    while todo:
        current = todo.pop()
        if current == badge.pk:
            raise InvalidInput(
                _("These prerequisites go round in a circle back to %(name)s.") % _named(badge),
                field="conditions",
            )
        if current not in seen:
            seen.add(current)
            todo.extend(needs.get(current, ()))


def _store_conditions(badge: Badge, specs: list[BadgeCondition]) -> list[BadgeCondition]:
    for condition in specs:
        condition.badge = badge
    return BadgeCondition.objects.bulk_create(specs)


# --- image ---------------------------------------------------------------------------------


def _read(upload: BinaryIO) -> bytes:
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageTooLarge(_("The image is larger than 1 MB."), field="image")
    if not data:
        raise InvalidInput(_("The image file is empty."), field="image")
    return data


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head


def _thumbnail(upload: BinaryIO) -> bytes:
    """Decode the upload twice (``verify`` checks the file, a fresh ``open`` reads it) and
    return a 256 px PNG keeping the aspect ratio and any transparency."""
    data = _read(upload)
    if _looks_like_svg(data):
        raise InvalidInput(
            _("SVG images are not accepted: upload a PNG, JPEG or WebP image."), field="image"
        )
    not_an_image = InvalidInput(_("This file is not a PNG, JPEG or WebP image."), field="image")
    try:
        with Image.open(BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise not_an_image
            if probe.width * probe.height > MAX_IMAGE_PIXELS:
                raise InvalidInput(_("The image has too many pixels."), field="image")
            probe.verify()
        with Image.open(BytesIO(data)) as image:
            image.load()
            picture = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_an_image from None
    picture = picture.convert("RGBA")
    picture.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    out = BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()
