"""The contact import's file layer (issue 14): reading real CSV and XLSX files, guessing the
mapping from their headers, validating rows, and the error file. No database."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from openpyxl import Workbook

from parrain.core.importing import files, mapping, rows
from parrain.core.importing.files import FileError
from parrain.core.importing.rows import ContactRow, RowError
from tests.fixtures.contacts.make_fixtures import BAD_CELLS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contacts"
SANDBOX = Path(__file__).resolve().parents[2] / "sandbox"
PARIS = ZoneInfo("Europe/Paris")
PROGRAM = {"languages": ["fr", "en"], "phone_region": "FR", "tz": "Europe/Paris"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def read(path: Path) -> tuple[files.FileInfo, list[ContactRow | list[RowError]]]:
    info = files.inspect(path, path.name)
    parser = rows.make_parser(info.headers, mapping.guess(info.headers), **PROGRAM)
    return info, [parser(number, cells) for number, cells in files.iter_numbered_rows(path, info)]


def contacts(results: list[ContactRow | list[RowError]]) -> list[ContactRow]:
    assert all(isinstance(result, ContactRow) for result in results), results
    return results  # type: ignore[return-value]


# -- reading files ------------------------------------------------------------------------


def test_excel_file_gives_dates_numbers_and_text_phone_as_excel_stored_them() -> None:
    info, results = read(FIXTURES / "excel_customers.xlsx")
    assert info.kind == "xlsx"
    assert info.headers[:4] == ["Adresse e-mail", "Prénom", "Nom", "Téléphone"]
    elodie, francois, helene, zoe = contacts(results)
    assert (elodie.row, elodie.first_name, elodie.last_name) == (2, "Élodie", "Lefèvre")
    assert elodie.phone == "+33612345678"  # a text cell, leading 0 kept
    assert elodie.external_id == "1001"  # a number cell, not "1001.0"
    assert elodie.first_order_at == datetime(2023, 3, 14, tzinfo=PARIS)
    assert elodie.consent_at == datetime(2023, 3, 14, 18, 42, tzinfo=PARIS)
    assert elodie.total_spent == Decimal("1234.50")
    assert (elodie.is_customer, elodie.consent, elodie.loyalty_points) == (True, True, 120)
    assert francois.phone == "+33781234567"
    assert (francois.is_customer, francois.consent, francois.first_order_at) == (
        False,
        False,
        None,
    )
    assert helene.consent_at == datetime(2022, 1, 2, 9, 5, 30, tzinfo=PARIS)
    assert helene.total_spent == Decimal("89.99")
    # the blank row 5 is skipped, but Zoé keeps the number the spreadsheet shows
    assert (zoe.row, zoe.external_id, zoe.phone, zoe.total_spent) == (6, "1005", None, None)
    assert files.count_rows(FIXTURES / "excel_customers.xlsx", info) == 4
    # its <dimension> (A1:K6) declares five rows below the header, the blank one included
    assert info.declared_rows == 5


def test_an_xlsx_sheet_without_dimension_declares_no_size() -> None:
    workbook = Workbook(write_only=True)  # writes no <dimension>
    sheet = workbook.create_sheet()
    for cells in (["E-mail"], ["ana@example.com"], ["bob@example.com"]):
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    info = files.inspect(buffer, "customers.xlsx")
    assert (info.headers, info.declared_rows) == (["E-mail"], None)
    assert files.count_rows(buffer, info) == 2


def test_windows_1252_csv_with_semicolons_keeps_accents() -> None:
    info, results = read(FIXTURES / "latin1_semicolon.csv")
    assert (info.kind, info.encoding, info.delimiter) == ("csv", "cp1252", ";")
    cecile, noel, agnes = contacts(results)
    assert (cecile.first_name, cecile.last_name) == ("Cécile", "Sénéchal")
    assert cecile.total_spent == Decimal("1250.80")  # "1 250,80"
    assert cecile.first_order_at == datetime(2024, 2, 5, tzinfo=PARIS)
    assert (noel.first_name, noel.last_name) == ("Noël", "Lœuvre")
    assert noel.first_order_at == datetime(2023, 11, 17, 14, 5, tzinfo=PARIS)
    assert (agnes.first_name, agnes.first_order_at) == ("Agnès", None)
    raw = list(files.iter_rows(FIXTURES / "latin1_semicolon.csv", info))
    assert raw[2][3] == "Montréal; Québec"  # a quoted ; stays in its cell


def test_excels_sep_line_names_the_delimiter_and_is_skipped() -> None:
    path = FIXTURES / "excel_sep_line.csv"
    info, results = read(path)
    assert (info.encoding, info.delimiter, info.sep_line) == ("cp1252", ";", True)
    assert info.headers == ["E-mail", "Nom, prénom", "Ville", "Total dépensé"]
    assert info.header_row == 1  # Excel hides the sep= line: the header is its row 1
    zoe, remi, lea = contacts(results)
    assert (zoe.email, zoe.total_spent) == ("zoe.roux@example.com", Decimal("12.50"))
    assert remi.total_spent == Decimal("1020.00")
    assert lea.email == "lea.morel@example.com"
    numbered = list(files.iter_numbered_rows(path, info))
    assert [number for number, _cells in numbered] == [2, 3, 4]
    assert numbered[0][1][1] == "Roux, Zoé"  # the commas stay in their cells
    assert files.count_rows(path, info) == 3


@pytest.mark.parametrize(
    ("first_line", "delimiter"),
    [("sep=,", ","), ("SEP=|", "|"), ('"sep=;"', ";"), ("sep=\t", "\t"), ("sep=#", "#")],
)
def test_any_delimiter_a_sep_line_names_is_used(first_line: str, delimiter: str) -> None:
    rows = [["email", "nom"], ["a@example.com", "Dupont"], ["b@example.com", "Durand"]]
    body = "\n".join(delimiter.join(row) for row in rows)
    data = f"{first_line}\n{body}\n".encode()
    info = files.inspect(io.BytesIO(data), "export.csv")
    assert (info.delimiter, info.headers) == (delimiter, ["email", "nom"])
    assert list(files.iter_rows(io.BytesIO(data), info)) == [
        ["a@example.com", "Dupont"],
        ["b@example.com", "Durand"],
    ]


def test_a_sep_line_after_a_bom_is_understood_and_a_sep_header_elsewhere_is_data() -> None:
    data = "sep=;\r\nemail;nom\r\na@example.com;Dupont\r\n".encode("utf-8-sig")
    info = files.inspect(io.BytesIO(data), "x.csv")
    assert (info.encoding, info.delimiter, info.headers) == ("utf-8-sig", ";", ["email", "nom"])
    plain = b"email;sep=x\na@example.com;1\n"  # not a first line of its own: a header
    assert files.inspect(io.BytesIO(plain), "x.csv").headers == ["email", "sep=x"]


def test_latin1_bytes_windows_1252_leaves_undefined_are_read_as_latin1() -> None:
    data = "Email;Nom\nx@example.com;Ma\x8dtre\n".encode("latin-1")
    info = files.inspect(io.BytesIO(data), "x.csv")
    assert (info.encoding, info.delimiter) == ("latin-1", ";")


def test_utf8_with_bom_has_clean_first_header() -> None:
    info, results = read(FIXTURES / "utf8_bom.csv")
    assert (info.encoding, info.delimiter) == ("utf-8-sig", ",")
    assert info.headers[0] == "Email"
    maelle, theo = contacts(results)
    assert (maelle.first_name, maelle.language, maelle.external_id) == ("Maëlle", "fr", "A-17")
    assert maelle.tags == ["vip", "newsletter"]
    assert theo.tags == ["vip", "salon 2024"]  # split on , ; | and deduplicated


def test_tab_separated_file() -> None:
    info, results = read(FIXTURES / "tabs.tsv")
    assert (info.encoding, info.delimiter) == ("utf-8", "\t")
    ines, loic = contacts(results)
    assert (ines.email, ines.phone, ines.consent) == (
        "ines.mercier@example.com",
        "+33645127890",
        True,
    )
    assert (loic.phone, loic.consent) == (None, None)  # empty cells say nothing


def test_pipe_delimiter_and_header_after_blank_lines() -> None:
    data = b"\n\n||\nemail|nom\n\na@example.com|Dupont\n"
    info = files.inspect(io.BytesIO(data), "x.txt")
    assert (info.delimiter, info.headers, info.header_row) == ("|", ["email", "nom"], 4)
    assert list(files.iter_numbered_rows(io.BytesIO(data), info)) == [
        (6, ["a@example.com", "Dupont"])
    ]


def test_delimiter_inside_quotes_does_not_fool_the_sniffer() -> None:
    lines = ['"Nom, prénom";email;ville']
    lines += [f'"Doe, J{i}";j{i}@example.com;"Paris, 75"' for i in range(5)]
    info = files.inspect(io.BytesIO("\n".join(lines).encode()), "x.csv")
    assert info.delimiter == ";"
    assert info.headers == ["Nom, prénom", "email", "ville"]


def test_the_name_breaks_a_tie_between_delimiters() -> None:
    data = b"email\tnote,x\na@example.com\tb,c\n"
    assert files.inspect(io.BytesIO(data), "export.tsv").delimiter == "\t"
    assert files.inspect(io.BytesIO(data), "export.csv").delimiter == ","


def test_iter_rows_start_skips_rows_already_imported() -> None:
    path = FIXTURES / "bad_rows.csv"
    info = files.inspect(path, path.name)
    assert files.count_rows(path, info) == 200
    resumed = list(files.iter_numbered_rows(path, info, start=150))
    assert len(resumed) == 50
    assert resumed[0][0] == 152 and resumed[0][1][0] == "client152@example.com"


def test_one_column_file() -> None:
    info = files.inspect(io.BytesIO(b"email\na@example.com\nb@example.com\n"), "x.csv")
    assert info.headers == ["email"]
    assert list(files.iter_rows(io.BytesIO(b"email\na@example.com\n"), info)) == [["a@example.com"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old Excel"),
        (bytes(range(256)) * 8, "not a text (CSV) or XLSX file"),
        (b"Email,Nom,email\na@example.com,X,b@example.com\n", "more than once: Email, email"),
        (b"Email,,Nom\na,b,c\n", "no name in column(s) 2"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(FileError, match=re.escape(message)):
        files.inspect(io.BytesIO(data), "customers.csv")


def test_zip_that_is_not_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<x/>")
    with pytest.raises(FileError, match="zip archive, not an XLSX"):
        files.inspect(buffer, "customers.xlsx")


def test_xlsx_with_only_blank_rows_has_no_header() -> None:
    workbook = Workbook()
    workbook.active.append([None, " "])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileError, match="no header row"):
        files.inspect(buffer, "customers.xlsx")


# -- mapping --------------------------------------------------------------------------------


def test_guesses_from_french_headers() -> None:
    headers = ["Adresse e-mail", "Prénom", "NOM", "Téléphone", "Langue", "ID client"]
    headers += ["Est client", "Date de première commande", "Montant total", "Consentement"]
    headers += ["Date du consentement", "Source du consentement", "Points de fidélité"]
    headers += ["Étiquettes", "Remarques"]
    assert list(mapping.guess(headers).values()) == [
        "email",
        "first_name",
        "last_name",
        "phone",
        "language",
        "external_id",
        "is_customer",
        "first_order_at",
        "total_spent",
        "consent",
        "consent_at",
        "consent_source",
        "loyalty_points",
        "tags",
        "",
    ]


def test_guesses_from_english_headers_and_each_field_once() -> None:
    headers = ["E-mail", "First name", "Last name", "Mobile", "Phone", "Customer ID"]
    headers += ["Client", "Total spent", "Optin", "Courriel"]
    guessed = mapping.guess(headers)
    assert guessed["E-mail"] == "email" and guessed["Courriel"] == ""
    assert guessed["Phone"] == "phone" and guessed["Mobile"] == ""  # the better name wins
    assert guessed["Customer ID"] == "external_id" and guessed["Client"] == "is_customer"
    assert (guessed["Total spent"], guessed["Optin"]) == ("total_spent", "consent")
    assert mapping.check(guessed, headers) == []


def test_saved_mapping_comes_first_and_a_column_left_out_stays_out() -> None:
    headers = ["Email", "Mail perso", "Notes"]
    saved = {"Mail perso": "email", "Notes": "", "Gone": "phone"}
    assert mapping.guess(headers, saved) == {"Email": "", "Mail perso": "email", "Notes": ""}


def test_check_explains_unusable_mappings() -> None:
    problems = mapping.check({"Email": "email", "Nom": "email", "X": "age"}, ["Email", "Nom"])
    assert problems == [
        "The file has no column “X”.",
        "“age” is not a contact field (column “X”).",
        "Email is given to more than one column; choose one.",
    ]
    assert mapping.check({"Nom": "last_name"}, ["Nom"]) == [
        "Choose the column holding the email or the external id: contacts are found by them."
    ]


def test_every_field_has_a_label() -> None:
    keys = [field.key for field in mapping.FIELDS]
    assert sorted(keys) == sorted(rows._SLOTS)
    assert all(str(field.label) for field in mapping.FIELDS)


# -- rows -----------------------------------------------------------------------------------


def test_bad_rows_file_has_exactly_the_twenty_bad_rows_with_column_and_reason() -> None:
    _info, results = read(FIXTURES / "bad_rows.csv")
    assert len(results) == 200
    bad = {result[0].row: result for result in results if isinstance(result, list)}
    assert sorted(bad) == sorted(BAD_CELLS)
    reasons = {row: (errors[0].column, errors[0].reason) for row, errors in bad.items()}
    assert reasons[7] == ("E-mail", "not an email address")
    assert reasons[39] == ("Téléphone", "not a phone number for FR")
    assert reasons[63] == ("Date de première commande", "not a date")
    assert reasons[79] == ("Date de première commande", "not a date between 1900 and 2100")
    assert reasons[87] == ("Total dépensé", "not a number")
    assert reasons[103] == ("Points de fidélité", "not a whole number")
    assert reasons[111] == ("Client", "not yes/no")
    assert reasons[135] == ("Langue", "unknown language 'xx' (this program speaks fr, en)")
    assert reasons[151] == ("E-mail", "neither an email nor an external id")
    assert bad[7][0].values[0] == "pas-une-adresse"


def parse(cells: dict[str, object]) -> ContactRow | list[RowError]:
    headers = list(cells)
    guessed = mapping.guess(headers)
    return rows.parse(9, list(cells.values()), headers, guessed, **PROGRAM)


def test_a_row_reports_all_its_errors() -> None:
    result = parse({"Email": "nope", "Client": "peut-être", "Total dépensé": "abc"})
    assert result == [
        RowError(9, "Email", "not an email address", ("nope", "peut-être", "abc")),
        RowError(9, "Client", "not yes/no", ("nope", "peut-être", "abc")),
        RowError(9, "Total dépensé", "not a number", ("nope", "peut-être", "abc")),
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-01-15", datetime(2024, 1, 15, tzinfo=PARIS)),
        ("2024-01-15 10:30:45", datetime(2024, 1, 15, 10, 30, 45, tzinfo=PARIS)),
        ("2024-07-15T10:30:00+00:00", datetime(2024, 7, 15, 12, 30, tzinfo=PARIS)),
        ("15/01/2024", datetime(2024, 1, 15, tzinfo=PARIS)),
        ("5/1/2024", datetime(2024, 1, 5, tzinfo=PARIS)),
        ("15/01/2024 10:30", datetime(2024, 1, 15, 10, 30, tzinfo=PARIS)),
        ("15.01.2024 10h30", datetime(2024, 1, 15, 10, 30, tzinfo=PARIS)),
        ("2024/01/15", datetime(2024, 1, 15, tzinfo=PARIS)),
        ("45306", datetime(2024, 1, 15, tzinfo=PARIS)),
        (45306.4375, datetime(2024, 1, 15, 10, 30, tzinfo=PARIS)),
        (45306, datetime(2024, 1, 15, tzinfo=PARIS)),
        (datetime(2024, 7, 1, 9, 0), datetime(2024, 7, 1, 9, 0, tzinfo=PARIS)),
    ],
)
def test_dates_in_common_forms_are_read_in_the_program_time_zone(
    cell: object, expected: datetime
) -> None:
    result = parse({"Email": "a@example.com", "Date de première commande": cell})
    assert isinstance(result, ContactRow)
    assert result.first_order_at == expected
    if not isinstance(cell, str) or "+" not in cell:  # naive: read in Paris time
        assert result.first_order_at.tzinfo == PARIS


@pytest.mark.parametrize("cell", ["31/02/2024", "2024", "01/25/2024", "demain", "12/2024"])
def test_things_that_are_not_dates(cell: str) -> None:
    result = parse({"Email": "a@example.com", "Date": cell, "Date du consentement": cell})
    assert isinstance(result, list)
    assert [error.reason for error in result] == ["not a date"]


def test_dates_outside_1900_2100_are_refused() -> None:
    result = parse({"Email": "a@example.com", "Date du consentement": "01/01/2150"})
    assert [error.reason for error in result] == ["not a date between 1900 and 2100"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("oui", True), ("Non", False), ("YES", True), ("no", False), ("true", True)]
    + [("Faux", False), ("VRAI", True), ("1", True), ("0", False), ("x", True), ("X", True)]
    + [("y", True), ("n", False), (True, True), (0, False), (1.0, True)],
)
def test_yes_no_in_french_and_english(cell: object, expected: bool) -> None:
    result = parse({"Email": "a@example.com", "Optin": cell, "Client": cell})
    assert isinstance(result, ContactRow)
    assert (result.consent, result.is_customer) == (expected, expected)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12,50", "12.50"),
        ("12.5", "12.50"),
        ("1 234,56 €", "1234.56"),
        ("1\u202f234,56\u00a0€", "1234.56"),
        ("$1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("EUR 99", "99.00"),
        (89.99, "89.99"),
        (12, "12.00"),
    ],
)
def test_amounts_with_comma_or_point_spaces_and_currency(cell: object, expected: str) -> None:
    result = parse({"Email": "a@example.com", "Total dépensé": cell})
    assert isinstance(result, ContactRow)
    assert result.total_spent == Decimal(expected)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("0033 6 12 34 56 78", "+33612345678"),
        ("+44 20 7946 0958", "+442079460958"),
        (612345678.0, "+33612345678"),
    ],
)
def test_phones_become_e164(cell: object, expected: str) -> None:
    result = parse({"Email": "a@example.com", "Téléphone": cell})
    assert isinstance(result, ContactRow)
    assert result.phone == expected


@pytest.mark.parametrize("region", ["FR", "GB", "US", "IT", "DE", "BR", "AR", "MX", "JP", "IN"])
def test_e164_fast_path_agrees_with_phonenumbers(region: str) -> None:
    import phonenumbers

    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        assert rows._phone_e164.__wrapped__(e164, "FR") == e164
        for broken in (e164[:-2], e164 + "99", e164[:4] + "0" + e164[4:]):
            slow = _slow_phone(broken)
            assert rows._phone_e164.__wrapped__(broken, "FR") == slow, broken


def test_e164_fast_path_agrees_with_phonenumbers_on_random_numbers() -> None:
    import random

    rng = random.Random(164)
    for _ in range(3000):
        text = f"+{rng.randrange(1, 999)}{rng.randrange(10**5, 10**12)}"
        assert rows._phone_e164.__wrapped__(text, "FR") == _slow_phone(text), text


def _slow_phone(text: str) -> str | None:
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "FR")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def test_languages_are_the_program_ones() -> None:
    for cell, expected in [("FR", "fr"), ("en-GB", "en"), ("Français", "fr"), ("english", "en")]:
        result = parse({"Email": "a@example.com", "Langue": cell})
        assert isinstance(result, ContactRow) and result.language == expected
    result = parse({"Email": "a@example.com", "Langue": "de"})
    assert [error.reason for error in result] == [  # type: ignore[union-attr]
        "unknown language 'de' (this program speaks fr, en)"
    ]


def test_empty_cells_say_nothing_and_email_is_only_stripped() -> None:
    result = parse(
        {"Email": "  Jean.Dupont@Example.COM ", "Prénom": "", "Optin": " ", "Tags": None}
    )
    assert result == ContactRow(9, email="Jean.Dupont@Example.COM")


def test_external_id_alone_identifies_a_row() -> None:
    result = parse({"Email": "", "ID client": 1234.0})
    assert isinstance(result, ContactRow) and result.external_id == "1234"


def test_french_reasons_by_default() -> None:
    with translation.override("fr"):
        result = parse({"Email": "", "ID client": ""})
    assert isinstance(result, list) and result[0].column == "Email"


def test_short_rows_are_padded() -> None:
    guessed = {"Email": "email", "Prénom": "first_name"}
    parser = rows.make_parser(["Email", "Prénom"], guessed, **PROGRAM)
    assert parser(3, ["a@example.com"]) == ContactRow(3, email="a@example.com")


# -- error file -----------------------------------------------------------------------------


def test_error_file_has_original_columns_an_error_column_and_no_formulas() -> None:
    headers = ["Email", "=Nom", "Total"]
    errors = [
        RowError(4, "Email", "not an email address", ('=HYPERLINK("x")', "+33", "-1")),
        RowError(4, "Total", "not a number", ('=HYPERLINK("x")', "+33", "-1")),
        RowError(7, "Email", "neither an email nor an external id", ("", "@Dupont", "\t9")),
    ]
    out = io.StringIO()
    assert rows.write_error_file(out, headers, errors) == 2
    lines = list(csv.reader(io.StringIO(out.getvalue())))
    assert lines == [
        ["Email", "'=Nom", "Total", "error"],
        ['\'=HYPERLINK("x")', "'+33", "'-1", "Email: not an email address; Total: not a number"],
        ["", "'@Dupont", "'\t9", "Email: neither an email nor an external id"],
    ]


def test_error_file_of_the_bad_rows_fixture() -> None:
    info, results = read(FIXTURES / "bad_rows.csv")
    out = io.StringIO()
    errors = [error for result in results if isinstance(result, list) for error in result]
    written = rows.write_error_file(out, info.headers, errors)
    assert written == 20
    lines = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert lines[0]["E-mail"] == "pas-une-adresse"
    assert lines[0]["error"] == "E-mail: not an email address"


# -- demo ---------------------------------------------------------------------------------


def test_demo_customer_file_imports_cleanly() -> None:
    info, results = read(SANDBOX / "demo_customers.csv")
    people = contacts(results)
    assert len(people) == 50
    assert all(person.email.endswith(("@example.com", "@example.org")) for person in people)  # type: ignore[union-attr]
    assert any(person.consent for person in people) and any(person.phone for person in people)
    assert any(person.is_customer and person.first_order_at for person in people)
