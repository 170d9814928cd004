"""Codes a shop owner reads in words: every audit action has a label, reasons and amounts
read as sentences and money, in French and in English."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from parrain.core import labels
from parrain.core.formats import format_money, yes_no
from parrain.core.models.choices import MessageStatus, Side

ROOT = Path(__file__).resolve().parents[2]
ACTION = re.compile(r"^[a-z_]+\.[a-z_]+(\.[a-z_]+)?$")
#: Actions written as f-strings, with every value their placeholder takes.
DYNAMIC = {
    "message.": [f"message.{s}" for s in MessageStatus.values],
    "reward.issued.": [f"reward.issued.{s}" for s in Side.values],
    "webhook_endpoint.": [f"webhook_endpoint.{s}" for s in ("created", "changed", "deleted")],
}


def _sources() -> list[Path]:
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "plugins").rglob("*.py")]
    return [p for p in files if "migrations" not in p.parts]


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _constants(node: ast.AST) -> list[str]:
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def actions_in_code() -> tuple[set[str], list[str]]:
    """Every action the code writes to the audit log, and the f-string prefixes seen."""
    found: set[str] = set()
    prefixes: list[str] = []
    indirect: list[ast.Module] = []  # modules passing the action through a variable
    for path in _sources():
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                    found.add(str(keyword.value.value))
            if _name(node.func) not in ("record", "event") or len(node.args) < 2:
                continue
            argument = node.args[1]
            if isinstance(argument, ast.JoinedStr):
                prefixes.append("".join(_constants(argument)))
            elif isinstance(argument, (ast.Constant, ast.IfExp)):
                found.update(_constants(argument))
            else:
                indirect.append(tree)
    known = {action.split(".")[0] for action in found | set(labels.ACTIONS)}
    for tree in indirect:  # "boost.started" given to a helper that records it
        found.update(
            text for text in _constants(tree) if ACTION.match(text) and text.split(".")[0] in known
        )
    # Wagtail's own page log ("wagtail.publish.schedule") is not the audit log
    return {a for a in found if ACTION.match(a) and not a.startswith("wagtail.")}, prefixes


def test_every_audit_action_in_the_code_has_a_label() -> None:
    found, prefixes = actions_in_code()
    for prefix in prefixes:
        assert prefix in DYNAMIC, f"audit action f-string {prefix!r}…: list its values here"
        found.update(DYNAMIC[prefix])

    assert len(found) > 60  # the scan sees the code base, not nothing
    assert sorted(found - set(labels.ACTIONS)) == []


@pytest.mark.parametrize(
    ("code", "english"),
    [
        ("referral.attributed", "Order attributed to the referral"),
        ("secret.rotated", "Secret replaced"),
        ("program.created", "Program created"),
        ("reward_rule.deleted", "Reward rule deleted"),
        ("contacts.imported", "Contacts imported"),
    ],
)
def test_actions_read_as_words_in_both_languages(code: str, english: str) -> None:
    with translation.override("en"):
        assert labels.action_label(code) == english
    with translation.override("fr"):
        french = labels.action_label(code)
    assert french and code not in french


def test_an_unknown_code_is_humanised_never_shown_raw() -> None:
    with translation.override("en"):
        assert labels.action_label("loyalty.tier_changed") == "Loyalty: tier changed"
        assert labels.reason_label("coupon_site_leak") == "Coupon site leak"
        # a reason someone typed stays as they typed it
        assert labels.reason_label("Badge Gold changed") == "Badge Gold changed"


def test_fraud_and_attribution_reasons_read_as_words() -> None:
    with translation.override("en"):
        assert labels.reason_label("disposable_email") == "Disposable email address"
        assert labels.reason_label("monthly_reward_cap") == "Monthly reward limit reached"
        assert labels.reason_label("quiet_hours") == "Quiet hours"  # a message rule
        assert labels.reason_label("referral_validated") == "Referral already validated"
    with translation.override("fr"):
        assert labels.reason_label("quiet_hours") == "Heures de silence"
        assert "_" not in labels.reason_label("disposable_email")


def test_money_is_written_as_the_reader_writes_it() -> None:
    with translation.override("fr"):
        assert format_money(Decimal("15067.16"), "EUR") == "15\xa0067,16\xa0€"
        assert format_money(Decimal("0.00"), "EUR") == "0\xa0€"
        assert format_money(Decimal("12.50"), "SEK") == "12,50\xa0SEK"
    with translation.override("en"):
        assert format_money(Decimal("15067.16"), "EUR") == "€15,067.16"
        assert format_money(Decimal("10.00"), "EUR") == "€10"
        assert format_money(Decimal("-3.5"), "USD") == "-$3.50"


def test_booleans_read_yes_or_no() -> None:
    with translation.override("fr"):
        assert (yes_no(True), yes_no(False)) == ("Oui", "Non")
    with translation.override("en"):
        assert (yes_no(True), yes_no(False), yes_no(None)) == ("Yes", "No", "Not answered")
