"""Helpers the contact import screen tests share (Django admin, Oscar, Wagtail)."""

from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile

HEADER = "E-mail;Prénom;Nom;Client"


def customer_file(rows: list[str], name: str = "clients.csv") -> SimpleUploadedFile:
    """A shop's export as Excel writes it in France: ``;``, Windows-1252."""
    text = "\r\n".join([HEADER, *rows, ""])
    return SimpleUploadedFile(name, text.encode("cp1252"), content_type="text/csv")


GOOD_ROWS = [
    "ana@example.com;Ana;Lopez;oui",
    "bob@example.com;Bob;Martin;non",
    "not-an-email;Carl;Petit;oui",
]


def mapping_post(html: str, **choices: str) -> dict[str, str]:
    """The mapping form as the page shows it (each select's selected option), with
    ``choices`` ({header: field}) changed."""
    post = {"action": "mapping"}
    for select in re.findall(r'(<select name="column_\d+".*?</select>)', html, re.S):
        name = re.search(r'name="(column_\d+)"', select).group(1)
        chosen = re.search(r'<option value="([^"]*)" selected', select)
        post[name] = chosen.group(1) if chosen else ""
    headers = re.findall(r'data-column="([^"]*)"', html)
    for index, header in enumerate(headers):
        if header in choices:
            post[f"column_{index}"] = choices[header]
    return post
