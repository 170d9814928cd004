# ruff: noqa: E501  (XML parts written as Excel writes them, one element a line)
"""The fast XLSX row reader (core/importing/xlsx.py) gives what openpyxl's read-only
``iter_rows(values_only=True)`` gives, on workbooks in the shapes Excel, LibreOffice and
openpyxl write; sheets it declines are read by openpyxl. No database."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import translation
from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from parrain.core.importing import files

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contacts"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def both(data: bytes) -> tuple[list[list[object]], list[list[object]]]:
    fast = list(files._xlsx_records(io.BytesIO(data)))
    slow = list(files._openpyxl_records(io.BytesIO(data)))
    return [_trim(row) for row in fast], [_trim(row) for row in slow]


def _trim(row: list[object]) -> list[object]:
    cells = [None if cell == "" else cell for cell in row]
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def test_same_values_as_openpyxl_on_the_excel_fixture() -> None:
    fast, slow = both((FIXTURES / "excel_customers.xlsx").read_bytes())
    assert fast == slow
    assert fast[1][6] == datetime(2023, 3, 14)


def test_same_values_as_openpyxl_on_an_openpyxl_workbook_with_every_kind_of_cell() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Texte", "Nombre", "Date", "Heure", "Durée", "Booléen", "Formule"])
    sheet.append(['l\'été & <les> "quotes"', 12, datetime(2024, 2, 29, 23, 59, 59), time(8, 30)])
    sheet["E2"] = timedelta(hours=36)
    sheet["F2"] = False
    sheet["G2"] = "=B2*2"  # no cached value: None for both
    sheet.append([" espaces ", 1.5e20, -0.25, None, None, True])
    sheet["A3"].value = "  deux\nlignes  "
    sheet["C5"] = 45306.5  # a gap: row 4 never written, columns A-B empty
    sheet["C5"].number_format = "yyyy-mm-dd hh:mm"
    sheet["A6"] = CellRichText(["gras ", TextBlock(InlineFont(b=True), "et normal")])
    sheet["B6"] = "#N/A"
    sheet["B6"].data_type = "e"
    buffer = io.BytesIO()
    workbook.save(buffer)
    fast, slow = both(buffer.getvalue())
    assert fast == slow
    assert fast[3] == [] and fast[4] == [None, None, datetime(2024, 1, 15, 12)]
    assert fast[1][0] == 'l\'été & <les> "quotes"'


def excel_like(sheet_xml: str, shared: list[str] | None = None, raw_shared: str = "") -> bytes:
    """An XLSX assembled by hand in the shape Excel saves: shared strings, a styles part
    with a date format, the x14ac namespace on the root."""
    strings = raw_shared or "".join(f"<si><t>{text}</t></si>" for text in shared or [])
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<styleSheet xmlns="{MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
        "xl/sharedStrings.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<sst xmlns="{MAIN}" count="9" uniqueCount="9">{strings}</sst>'
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


EXCEL_ROOT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    f'<worksheet xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
    '<dimension ref="A1:D6"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    '<sheetFormatPr defaultRowHeight="15" x14ac:dyDescent="0.25"/><sheetData>'
)
EXCEL_ROWS = (
    '<row r="1" spans="1:4" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>'
    '<row r="2" spans="1:4" x14ac:dyDescent="0.25"><c r="A2" t="s"><v>4</v></c><c r="B2" s="2" t="s"><v>5</v></c>'
    '<c r="C2" s="1"><v>45306</v></c><c r="D2"><v>1234.5</v></c></row>'
    '<row r="4" spans="1:4" x14ac:dyDescent="0.25"><c r="B4" t="s"><v>6</v></c><c r="D4"><f>D2*2</f><v>2469</v></c></row>'
    '<row r="5" spans="1:4"><c r="A5" t="s"><v>7</v></c><c r="C5" t="b"><v>1</v></c><c r="D5" t="e"><v>#DIV/0!</v></c></row>'
    '<row r="6"><c r="A6" t="str"><f>A5&amp;"!"</f><v>R&amp;D!</v></c><c r="B6" s="1"/><c r="C6" t="s"><v>8</v></c></row>'
)
EXCEL_STRINGS = (
    "<si><t>Adresse e-mail</t></si><si><t>Téléphone</t></si><si><t>Date de première commande</t></si>"
    "<si><t>Total dépensé</t></si><si><t>anais@example.com</t></si><si><t>06 12 34 56 78</t></si>"
    '<si><r><rPr><b/></rPr><t xml:space="preserve">Gras </t></r><r><t>normal</t></r></si>'
    "<si><t>R&amp;D</t></si>"
    '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh><phoneticPr fontId="1"/></si>'
)


def test_same_values_as_openpyxl_on_an_excel_shaped_workbook() -> None:
    data = excel_like(
        EXCEL_ROOT + EXCEL_ROWS + "</sheetData></worksheet>", raw_shared=EXCEL_STRINGS
    )
    fast, slow = both(data)
    assert fast == slow
    assert fast[1] == ["anais@example.com", "06 12 34 56 78", datetime(2024, 1, 15), 1234.5]
    assert fast[2] == []
    assert fast[3] == [None, "Gras normal", None, 2469]
    assert fast[4] == ["R&D", None, True, "#DIV/0!"]
    assert fast[5] == ["R&D!", None, "東京"]


def test_rows_with_comments_cdata_or_single_quotes_are_read_the_slow_way() -> None:
    rows = (
        "<row r=\"1\"><c r='A1' t='inlineStr'><is><t>Email</t></is></c></row>"
        '<row r="2"><!-- a comment --><c r="A2" t="inlineStr"><is><t><![CDATA[a<b@example.com]]></t></is></c></row>'
        '<row r="3"><c r="B3" t="inlineStr"><is><t>x</t></is></c></row>'
    )
    data = excel_like(EXCEL_ROOT + rows + "</sheetData></worksheet>", shared=["unused"])
    fast, slow = both(data)
    assert fast == slow == [["Email"], ["a<b@example.com"], [None, "x"]]


def test_prefixed_sheet_is_left_to_openpyxl() -> None:
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Email</x:t></x:is></x:c></x:row>'
        '<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>a@example.com</x:t></x:is></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    data = excel_like(sheet, shared=["unused"])
    info = files.inspect(io.BytesIO(data), "x.xlsx")
    assert info.headers == ["Email"]
    assert list(files.iter_rows(io.BytesIO(data), info)) == [["a@example.com"]]


def test_a_big_sheet_streams_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from parrain.core.importing import xlsx

    monkeypatch.setattr(xlsx, "_CHUNK", 1000)  # rows cut across many reads
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["Email", "Total"])
    for number in range(2000):
        sheet.append([f"c{number}@example.com", number / 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    info = files.inspect(buffer, "x.xlsx")
    values = list(files.iter_numbered_rows(buffer, info))
    assert len(values) == 2000 and files.count_rows(buffer, info) == 2000
    assert values[0] == (2, ["c0@example.com", 0])
    assert values[-1] == (2001, ["c1999@example.com", 499.75])


def test_a_damaged_sheet_is_a_file_error() -> None:
    rows = '<row r="1"><c r="A1" t="s"><v>7</v></c></row>'  # no 8th shared string
    data = excel_like(EXCEL_ROOT + rows + "</sheetData></worksheet>", shared=["Email"])
    # the message is read in English (the settings' language is French)
    with translation.override("en"), pytest.raises(files.FileError, match="may be damaged"):
        files.inspect(io.BytesIO(data), "x.xlsx")


def test_plain_rows_are_cut_whole_and_a_row_with_a_formula_cell_by_cell(monkeypatch) -> None:
    """A row of plain cells goes through one ``findall`` (``_plain_row``); a row where it
    finds fewer cells than the row holds (a formula, rich text) the cell-by-cell way; both
    give openpyxl's values."""
    from parrain.core.importing import xlsx

    rows = (
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c><c r="B1" t="inlineStr"><is><t>Total</t></is></c><c r="C1" t="inlineStr"><is><t>Date</t></is></c></row>'
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="C2" s="1"><v>45306.5</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve"> R&amp;D </t></is></c><c r="B3"><f>1+1</f><v>2</v></c><c r="C3" t="inlineStr" /></row>'
    )
    plain = []
    original = xlsx.Sheet._plain_row
    monkeypatch.setattr(
        xlsx.Sheet,
        "_plain_row",
        lambda self, cells: plain.append(len(cells)) or original(self, cells),
    )
    data = excel_like(EXCEL_ROOT + rows + "</sheetData></worksheet>", shared=["a@example.com"])
    fast, slow = both(data)
    assert fast == slow
    assert fast[1] == ["a@example.com", None, datetime(2024, 1, 15, 12)]
    assert fast[2] == [" R&D ", 2]
    assert plain == [3, 2]  # the header and row 2; row 3 holds a formula
