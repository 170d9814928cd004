"""Owner-edited templates, rendered in jinja2's sandbox (helper: templates).

Contract:
- ``check(source: str, *, kind: str, part: str) -> list[TemplateProblem]``: syntax errors,
  unknown variables (not in ``variables.KIND_VARIABLES[kind]``), and refused constructs
  (``include``/``import``/``extends``/``macro``/``call``/loops, attribute or item access,
  filters outside a small allow-list), each with its line number and a translated reason.
  ``part`` is "subject", "html", "text" or "sms".
- ``render(source: str, variables: dict[str, str], *, html: bool) -> str``: sandboxed,
  autoescaped when ``html``, bounded output; raises ``RenderError`` (never returns a half
  message).

A template is text with ``{{ name }}`` and ``{% if name %}…{% else %}…{% endif %}``, a few
filters (``upper``, ``default('…')``…) and comparisons: nothing that reaches an object,
loops, calls another template or computes. The sandbox is the second wall: ``render``
refuses the same constructs again (a row stored before a rule existed, a template written
by code) before jinja2's ``ImmutableSandboxedEnvironment`` runs it, and stops an output
longer than ``MAX_OUTPUT``.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

#: A template longer than this is refused (an email body is a few kilobytes).
MAX_SOURCE = 200_000
#: A rendered part longer than this fails (a sandbox escape would still be bounded).
MAX_OUTPUT = 500_000

#: Filters a template may use; ``safe`` is not one (it would let a value write HTML).
ALLOWED_FILTERS = frozenset(
    {"capitalize", "default", "d", "e", "escape", "lower", "title", "trim", "truncate", "upper"}
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none"})

# Nodes that are plain text, variables, conditions and the allowed filters' arguments.
_ALLOWED = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.Name,
    nodes.If,
    nodes.CondExpr,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Compare,
    nodes.Operand,
    nodes.Concat,
    nodes.Filter,
    nodes.Test,
    nodes.Keyword,
    nodes.Scope,  # only around a refused construct (autoescape, with), which says why
)


class TemplateProblem(NamedTuple):
    line: int
    message: str


class RenderError(Exception):
    """A template could not be rendered; the message is marked failed with this reason."""


def _refusal(node: nodes.Node) -> str:
    """Why ``node`` is refused, in the active language; empty when it is allowed."""
    if isinstance(node, nodes.Name):
        return "" if node.ctx == "load" else _("Setting variables is not allowed.")
    if isinstance(node, nodes.Filter):
        if node.name not in ALLOWED_FILTERS:
            return _("The filter “%(name)s” is not allowed (allowed: %(allowed)s).") % {
                "name": node.name,
                "allowed": ", ".join(sorted(ALLOWED_FILTERS)),
            }
        return ""
    if isinstance(node, nodes.Test):
        if node.name not in ALLOWED_TESTS:
            return _("The test “%(name)s” is not allowed.") % {"name": node.name}
        return ""
    if isinstance(node, nodes.Const):
        if node.value is None or isinstance(node.value, str | int | float | bool):
            return ""
        return _("This value is not allowed.")
    if isinstance(node, _ALLOWED):
        return ""
    if isinstance(node, nodes.For):
        return _("Loops are not allowed.")
    if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
        return _("Including, importing or extending another template is not allowed.")
    if isinstance(node, nodes.Macro | nodes.CallBlock | nodes.Call):
        return _("Macros and function calls are not allowed.")
    if isinstance(node, nodes.Assign | nodes.AssignBlock | nodes.With):
        return _("Setting variables is not allowed.")
    if isinstance(node, nodes.Getattr | nodes.Getitem | nodes.Slice):
        return _(
            "Only plain variable names are allowed: “{{ name }}”, not “name.attribute” "
            "or “name[…]”."
        )
    if isinstance(node, nodes.BinExpr | nodes.UnaryExpr):
        return _("Arithmetic is not allowed.")
    if isinstance(node, nodes.List | nodes.Tuple | nodes.Dict):
        return _("Lists and dictionaries are not allowed.")
    if isinstance(node, nodes.EvalContextModifier):
        return _("Changing the escaping of the template is not allowed.")
    if isinstance(node, nodes.Block):
        return _("Blocks are not allowed.")
    return _("This construct is not allowed: %(tag)s.") % {"tag": type(node).__name__}


def _walk(node: nodes.Node):  # type: ignore[no-untyped-def]
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def _parse(source: str) -> tuple[nodes.Template | None, list[TemplateProblem]]:
    if len(source) > MAX_SOURCE:
        return None, [
            TemplateProblem(
                1,
                _("The template is too long (more than %(n)s characters).") % {"n": MAX_SOURCE},
            )
        ]
    try:
        return _ENV[False].parse(source), []
    except TemplateSyntaxError as exc:
        reason = _("Syntax error: %(error)s") % {"error": exc.message or ""}
        return None, [TemplateProblem(exc.lineno or 1, reason)]


def _constructs(tree: nodes.Template) -> list[TemplateProblem]:
    problems = []
    for node in _walk(tree):
        reason = _refusal(node)
        if reason:
            problems.append(TemplateProblem(getattr(node, "lineno", 1) or 1, reason))
    return problems


def check(source: str, *, kind: str, part: str) -> list[TemplateProblem]:
    """Every problem of ``source`` for a message of ``kind``, by line (empty: it may be
    saved). ``part`` ("subject", "html", "text", "sms") words a few reasons."""
    from .variables import KIND_VARIABLES

    tree, problems = _parse(source)
    if tree is None:
        return problems
    problems = _constructs(tree)
    known = set(KIND_VARIABLES.get(kind, ()))  # type: ignore[call-overload]
    seen: set[tuple[int, str]] = set()
    for node in _walk(tree):
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in known:
            if (node.lineno, node.name) in seen:
                continue
            seen.add((node.lineno, node.name))
            close = difflib.get_close_matches(node.name, sorted(known), n=1)
            if close:
                reason = _("Unknown variable “%(name)s”: did you mean “%(close)s”?") % {
                    "name": node.name,
                    "close": close[0],
                }
            else:
                reason = _("Unknown variable “%(name)s” for this message.") % {"name": node.name}
            problems.append(TemplateProblem(node.lineno, reason))
    if part == "subject" and "\n" in source.strip():
        problems.append(TemplateProblem(2, _("A subject is a single line.")))
    return sorted(set(problems))


def _environment(html: bool) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        autoescape=html,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=0,
    )


_ENV = {True: _environment(True), False: _environment(False)}


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool):  # type: ignore[no-untyped-def]
    tree, problems = _parse(source)
    if tree is None or (problems := _constructs(tree)):
        raise RenderError(f"line {problems[0].line}: {problems[0].message}")
    return _ENV[html].from_string(source)


@lru_cache(maxsize=512)
def used_names(source: str) -> frozenset[str] | None:
    """The variables ``source`` reads (None when it does not parse: ``render`` says why),
    so that a message computes only those (a balance, an offer: each may cost a query)."""
    try:
        return frozenset(meta.find_undeclared_variables(_ENV[False].parse(source)))
    except Exception:  # noqa: BLE001 (render raises the RenderError with the line)
        return None


def render(source: str, variables: dict[str, str], *, html: bool) -> str:
    """``source`` filled with ``variables``; ``RenderError`` on anything but a whole,
    bounded result (syntax, a refused construct, an unknown variable, too long)."""
    try:
        template = _compiled(source, html)
        parts: list[str] = []
        size = 0
        for chunk in template.generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderError(
                    _("The message is longer than %(n)s characters.") % {"n": MAX_OUTPUT}
                )
            parts.append(chunk)
    except RenderError:
        raise
    except Exception as exc:  # UndefinedError, SecurityError, TypeError...: all a failure
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    return "".join(parts)
