"""Build referral landing pages in code: the demo, the tests and the benchmark use these.

``create_landing_page(parent, program)`` adds a landing page with every block (hero,
text, offer, widget, rules, legal notice) under ``parent`` and publishes it.
"""

from __future__ import annotations

from typing import Any

from parrain.core.models import Program

from .models import ReferralLandingPage

RULES_HTML = (
    "<ol><li>Le parrain doit être client de la boutique.</li>"
    "<li>Le filleul doit être un nouveau client et passer sa première commande.</li>"
    "<li>La récompense du parrain est versée une fois la commande du filleul validée.</li></ol>"
)
LEGAL_HTML = (
    "<p>Offre non cumulable, valable une fois par nouveau client. Les données collectées "
    "servent uniquement au programme de parrainage.</p>"
)


def landing_body(program: Program, *, widget: bool = True) -> list[dict[str, Any]]:
    """The stream data of a complete landing page; ``widget=False`` leaves the widget out."""
    body: list[dict[str, Any]] = [
        {
            "type": "hero",
            "value": {
                "image": None,
                "title": f"Parrainez vos proches chez {program.name}",
                "text": "Partagez votre lien : vos amis profitent d'une offre de bienvenue, "
                "vous êtes récompensé à leur première commande.",
            },
        },
        {"type": "offer", "value": {"heading": "", "side": "both", "program": None}},
        {
            "type": "rich_text",
            "value": "<p>Un ami vous a envoyé son lien ? Saisissez votre adresse e-mail "
            "ci-dessous pour recevoir votre code de bienvenue.</p>",
        },
    ]
    if widget:
        body.append(
            {
                "type": "widget",
                "value": {"kind": "referee", "program": None, "title": "", "colour": ""},
            }
        )
    body += [
        {"type": "rules", "value": {"heading": "", "body": RULES_HTML}},
        {"type": "legal_notice", "value": {"body": LEGAL_HTML}},
    ]
    return body


def create_landing_page(
    parent: Any,
    program: Program,
    *,
    title: str = "Parrainage",
    slug: str = "parrainage",
    widget: bool = True,
    publish: bool = True,
) -> ReferralLandingPage:
    page = ReferralLandingPage(
        title=title, slug=slug, program=program, body=landing_body(program, widget=widget)
    )
    parent.add_child(instance=page)
    revision = page.save_revision()
    if publish:
        revision.publish()
        page.refresh_from_db()
    return page
