"""The erasure service and its scrubber, below the admin (see tests/admin/test_erasure.py)."""

from __future__ import annotations

import json

import pytest

from parrain.core import audit
from parrain.core.erasure import ERASED, PersonalData
from parrain.core.factories import ContactFactory, ProgramFactory
from parrain.core.models import AuditEvent, Contact
from parrain.core.services.erasure import erase_contact

ZOE = PersonalData(
    emails=("Zoe.Delacroix+Parrain@GoogleMail.com",),
    names=("Zoé Delacroix", "Zoé", "Delacroix"),
    phone="+33612345678",
    external_id="42",
)


@pytest.mark.parametrize(
    "written",
    [
        "zoe.delacroix+parrain@googlemail.com",
        "ZOEDELACROIX@gmail.com",
        "zoe.delacroix+other-tag@gmail.com",
        "Zoe.Delacroix%2BParrain%40GoogleMail.com",
        "+33 6 12 34 56 78",
        "06.12.34.56.78",
        "0033 (0)6 12 34 56 78",
        "Zoé",
        "zoé delacroix",
    ],
)
def test_scrubber_finds_the_person_however_the_shop_wrote_them(written: str) -> None:
    assert ZOE.scrub_text(f"from {written}, thanks") == f"from {ERASED}, thanks"


def test_scrubber_leaves_other_people_and_numbers_alone() -> None:
    text = "zoe@example.com ordered 42 items; Zoéline called 0612345679"
    assert ZOE.scrub_text(text) == text


def test_scrubber_reads_json_text_with_escaped_accents_and_ids() -> None:
    body = json.dumps({"customer": {"id": 42, "name": "Zoé"}, "quantity": 3})  # "Zo\u00e9"
    assert json.loads(ZOE.scrub_stored_text(body)) == {
        "customer": {"id": None, "name": ERASED},
        "quantity": 3,
    }


@pytest.mark.django_db
def test_another_person_with_the_same_first_name_keeps_it() -> None:
    program = ProgramFactory()
    zoe = ContactFactory(program=program, email="zoe@example.com", first_name="Zoé")
    other = ContactFactory(program=program, email="zoe.martin@example.org", first_name="Zoé")
    audit.record(program, "note", message="Zoé Martin asked a question", contact=other)

    assert erase_contact(zoe, actor="owner") is True

    other.refresh_from_db()
    assert other.first_name == "Zoé"
    assert AuditEvent.objects.get(action="note").message == "Zoé Martin asked a question"
    assert Contact.objects.get(pk=zoe.pk).first_name == ""


@pytest.mark.django_db
def test_the_audit_log_follows_each_erased_person_under_one_stable_pseudonym() -> None:
    program = ProgramFactory()
    zoe = ContactFactory(program=program, email="zoe@example.com", phone="+33612345678")
    hugo = ContactFactory(program=program, email="hugo@example.com")
    audit.record(program, "note", message="zoe@example.com called from 06 12 34 56 78")
    audit.record(program, "note", message="Zoe@Example.com wrote again", who="zoe@example.com")
    audit.record(program, "note", message="hugo@example.com wrote")

    erase_contact(zoe, actor="owner")
    erase_contact(hugo, actor="owner")

    notes = list(AuditEvent.objects.filter(action="note").order_by("pk"))
    assert [n.message for n in notes] == [
        f"contact-{zoe.pk} called from contact-{zoe.pk}",
        f"contact-{zoe.pk} wrote again",
        f"contact-{hugo.pk} wrote",
    ]
    assert notes[1].data == {"who": f"contact-{zoe.pk}"}
