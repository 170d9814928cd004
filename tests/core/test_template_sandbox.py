"""Owner templates are sandboxed: what reaches an object, loops, includes or computes is
refused at saving with its line, and never runs at sending."""

from __future__ import annotations

import pytest
from django.utils import translation

from parrain.core.factories import ProgramFactory
from parrain.core.messaging.render import MAX_OUTPUT, RenderError, check, render

INJECTIONS = [
    ("{{ ''.__class__ }}", "Only plain variable names"),
    ("{{ share_link.__class__.__mro__ }}", "Only plain variable names"),
    ("{{ share_link['__class__'] }}", "Only plain variable names"),
    ("{% include 'x' %}", "Including, importing or extending"),
    ("{% extends 'base.html' %}", "Including, importing or extending"),
    ("{% import 'x' as y %}", "Including, importing or extending"),
    ("{% for i in range(10**9) %}x{% endfor %}", "Loops are not allowed"),
    ("{{ 'a' * 10**9 }}", "Arithmetic is not allowed"),
    ("{% macro m() %}x{% endmacro %}", "Macros and function calls"),
    ("{{ cycler() }}", "Macros and function calls"),
    ("{% set x = 'a' %}", "Setting variables"),
    ("{{ share_link|safe }}", "The filter “safe” is not allowed"),
    ("{{ share_link|attr('x') }}", "The filter “attr” is not allowed"),
    ("{% autoescape false %}{{ share_link }}{% endautoescape %}", "escaping"),
    ("{{ lipsum(10**6) }}", "Macros and function calls"),
]


@pytest.mark.parametrize(("source", "reason"), INJECTIONS)
def test_injection_attempt_is_refused_by_check_and_by_render(source: str, reason: str) -> None:
    with translation.override("en"):
        problems = check("Hello\n" + source, kind="invitation", part="html")
        assert any(reason in p.message and p.line == 2 for p in problems), problems
        with pytest.raises(RenderError):
            render("Hello\n" + source, {"share_link": "https://x"}, html=True)


def test_syntax_error_names_its_line() -> None:
    with translation.override("en"):
        [problem] = check("Hello\n\n{% if share_link %}no end", kind="invitation", part="html")
    assert problem.line == 3
    assert problem.message.startswith("Syntax error")


def test_unknown_variable_is_named_with_a_suggestion() -> None:
    with translation.override("en"):
        [problem] = check("Code: {{ welcom_code }}", kind="welcome", part="text")
    assert problem == (1, "Unknown variable “welcom_code”: did you mean “welcome_code”?")
    # A variable of another kind is unknown here: a welcome email has no badge.
    assert check("{{ badge_name }}", kind="welcome", part="text")


def test_allowed_constructs_render_and_escape_values_in_html() -> None:
    source = (
        "Hello{% if contact_first_name %} {{ contact_first_name|title }}{% endif %}, "
        "{{ personal_message|default('—') }} {{ share_link }}"
    )
    assert check(source, kind="invitation", part="html") == []
    out = render(
        source,
        {
            "contact_first_name": "camille",
            "personal_message": "<img src=x onerror=alert(1)>",
            "share_link": "https://s/r/A?x=1&y=2",
        },
        html=True,
    )
    assert out == ("Hello Camille, &lt;img src=x onerror=alert(1)&gt; https://s/r/A?x=1&amp;y=2")
    # Text parts are not escaped.
    assert render("{{ v }}", {"v": "a & b"}, html=False) == "a & b"


def test_output_is_bounded() -> None:
    huge = "x" * (MAX_OUTPUT // 2 + 1)
    with pytest.raises(RenderError):
        render("{{ v }}{{ v }}", {"v": huge}, html=False)


def test_unknown_variable_at_render_time_fails_whole() -> None:
    with pytest.raises(RenderError, match="undefined"):
        render("Start {{ missing }} end", {}, html=False)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_default_template_passes_the_check_and_previews(language: str) -> None:
    from parrain.core.messaging.templates import DEFAULTS, preview

    program = ProgramFactory(name="Maison Lumière", shop_address="3 rue des Lampes")
    for (kind, channel, lang), resolved in DEFAULTS.items():
        if lang != language:
            continue
        for part in ("subject", "html", "text"):
            source = getattr(resolved, part)
            if source:
                assert check(source, kind=kind, part=part) == [], (kind, channel, part)
        composed = preview(program, kind, channel, language)
        assert composed.text.strip(), (kind, channel)
        if channel == "email":
            assert composed.subject and "{{" not in composed.html and "{%" not in composed.html
            assert "3 rue des Lampes" in composed.text
