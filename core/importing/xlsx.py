"""The first sheet of an XLSX file, row by row, ten times faster than openpyxl's reader.

openpyxl's read-only worksheet builds an element per XML node and a Python call per event
(and, with defusedxml installed, parses with a pure-Python parser; a sheet without a
``<dimension>`` is even parsed twice when the workbook opens): 200,000 rows of ten columns
take 15 to 30 s. Here openpyxl still reads the workbook's parts that need an XML parser
(shared strings, styles to know which number formats are dates, the first sheet's path),
and the sheet's ``<row>``/``<c>`` elements, whose shape the OOXML schema fixes, are cut
with compiled regular expressions. Rows holding anything unusual (comments, CDATA,
single-quoted attributes) go through ElementTree, one row at a time; a sheet whose
elements carry a namespace prefix is read by openpyxl itself. Values are what openpyxl's
``iter_rows(values_only=True)`` gives (the tests compare both on several workbooks).

No entity is expanded beyond XML's five and character references, so a hostile file has
nothing to expand; nothing is fetched.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from html import unescape
from typing import IO, TYPE_CHECKING

from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601
from openpyxl.xml.functions import fromstring

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # nosec B405 # a type name, nothing is parsed

Cell = object

_CHUNK = 1024 * 1024
#: Bytes read for the sheet's ``<dimension>`` (it comes before the rows).
_HEAD = 16 * 1024
#: A row's XML longer than this is refused (a hostile or broken file, never a customer).
_MAX_ROW = 64 * 1024 * 1024
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW = re.compile(r"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_ROW_NUMBER = re.compile(r"""\sr\s*=\s*"(\d+)\"""")
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_CELL_ATTRS = re.compile(r"""(?:\s+(?:r="([A-Z]+)\d*"|s="(\d+)"|t="(\w+)"|[\w:.-]+="[^"]*"))*\s*""")
_VALUE = re.compile(r"<v(?:\s[^>]*)?>(.*?)</v>", re.S)
_TEXT = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)
_UNUSUAL = ("<!", "='", "<?")
#: A whole cell as Excel and openpyxl write it (attributes r, s, t in that order; a value,
#: an inline text, or nothing): one ``findall`` cuts a row. A row where it does not find
#: every cell (a formula, rich text, other attributes) goes the cell-by-cell way.
_PLAIN_CELL = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*'
    r'(?:/>|>(?:<v>([^<]*)</v>|<is><t(?: xml:space="preserve")?>([^<]*)</t></is>)?</c>)'
)
_ROOT = re.compile(r"<(?:([\w.-]+):)?worksheet\b([^>]*)>")
#: The sheet's declared range (``<dimension ref="A1:K6"/>``): its last row number.
_DIMENSION = re.compile(r'<dimension\s+ref\s*=\s*"[A-Z]*\d*:?[A-Z]*(\d+)"')
_DECLARATION = re.compile(r"""<\?xml[^>]*encoding\s*=\s*["']([\w.-]+)["']""")


class Unsupported(Exception):
    """This sheet is better read by openpyxl (namespace prefixes, another encoding)."""


class Sheet:
    """The first worksheet's rows; ``load`` raises :class:`Unsupported` early, before any
    row is read, so the caller can fall back to openpyxl."""

    def __init__(self, stream: IO[bytes]) -> None:
        reader = ExcelReader(stream, read_only=True, data_only=True)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
        self.archive = reader.archive
        self.strings: list[str] = reader.shared_strings
        self.dates: set[int] = reader.wb._date_formats
        self.durations: set[int] = reader.wb._timedelta_formats
        self.epoch = reader.wb.epoch
        self._date_styles = {str(style) for style in self.dates}
        self.path = self._first_sheet(reader)
        self._columns: dict[str, int] = {}

    @staticmethod
    def _first_sheet(reader: ExcelReader) -> str | None:
        for _sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return rel.target
        return None

    def close(self) -> None:
        self.archive.close()

    def last_row(self) -> int | None:
        """The last row number the sheet declares (its ``<dimension>``, which Excel and
        LibreOffice write before the rows), read from the sheet's first bytes only; None
        when it declares none (openpyxl's write-only mode)."""
        if self.path is None:
            return None
        with self.archive.open(self.path) as source:
            head = source.read(_HEAD).decode("utf-8", "replace")
        head = head.split("<sheetData", 1)[0]
        found = _DIMENSION.search(head)
        return int(found[1]) if found else None

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """``(row number, values)`` for each ``<row>`` the sheet writes (gaps not filled)."""
        if self.path is None:
            return
        with self.archive.open(self.path) as source:
            decoder = codecs.getincrementaldecoder("utf-8")()
            buffer = decoder.decode(source.read(_CHUNK))
            declarations = self._check_root(buffer)
            counter = 0
            while True:
                chunk = source.read(_CHUNK)
                buffer += decoder.decode(chunk, final=not chunk)
                cut = len(buffer) if not chunk else buffer.rfind("</row>") + 6
                if cut < 6:
                    if len(buffer) > _MAX_ROW:
                        raise ValueError("a row longer than 64 MB")
                    continue
                for match in _ROW.finditer(buffer, 0, cut):
                    found = _ROW_NUMBER.search(match[1])
                    counter = int(found[1]) if found else counter + 1
                    yield counter, self._row(match, declarations)
                if not chunk:
                    return
                buffer = buffer[cut:]

    def _check_root(self, head: str) -> str:
        declared = _DECLARATION.match(head)
        if declared and declared[1].lower().replace("_", "-") not in ("utf-8", "utf8"):
            raise Unsupported("encoding")
        root = _ROOT.search(head)
        if root is None or root[1]:
            raise Unsupported("prefixed or missing root")
        return " ".join(re.findall(r"""xmlns(?::[\w.-]+)?="[^"]*\"""", root[2]))

    def _row(self, match: re.Match[str], declarations: str) -> list[Cell]:
        content = match[3]
        if not content:
            return []
        if any(mark in content for mark in _UNUSUAL):
            return self._row_by_tree(match[0], declarations)
        cells = _PLAIN_CELL.findall(content)
        if len(cells) == content.count("<c"):
            return self._plain_row(cells)
        values: list[Cell] = []
        columns, strings, attributes, value_of = self._columns, self.strings, _CELL_ATTRS, _VALUE
        for cell in _CELL.finditer(content):
            attrs = attributes.fullmatch(cell[1])
            if attrs is None:
                return self._row_by_tree(match[0], declarations)
            letters, style, kind = attrs.groups()
            if letters:
                position = columns.get(letters)
                if position is None:
                    position = self._column(letters)
                if position > len(values):
                    values.extend([None] * (position - len(values)))
            inner = cell[2]
            if not inner:
                values.append(None)
            elif kind == "s":  # Excel's usual text cell: an index in the shared strings
                found = value_of.search(inner)
                values.append(strings[int(found[1])] if found and found[1] else None)
            else:
                values.append(self._value(kind or "n", style, inner))
        return values

    def _plain_row(self, cells: list[tuple[str, str, str, str, str]]) -> list[Cell]:
        """A row of plain cells (``_PLAIN_CELL``), typed as ``_typed`` does."""
        values: list[Cell] = []
        columns, strings, dates = self._columns, self.strings, self._date_styles
        for letters, style, kind, raw, text in cells:
            position = columns.get(letters)
            if position is None:
                position = self._column(letters)
            if position > len(values):
                values.extend([None] * (position - len(values)))
            if text:
                values.append(_xml_text(text))
            elif not raw:
                values.append(None)
            elif kind == "s":
                values.append(strings[int(raw)])
            elif (not kind or kind == "n") and style not in dates:
                dotted = "." in raw or "E" in raw or "e" in raw
                values.append(float(raw) if dotted else int(raw))
            else:
                values.append(self._typed(kind or "n", style or None, _xml_text(raw)))
        return values

    def _column(self, letters: str) -> int:
        position = self._columns.get(letters)
        if position is None:
            position = self._columns[letters] = column_index_from_string(letters) - 1
        return position

    def _value(self, kind: str, style: str | None, inner: str | None) -> Cell:
        if not inner:
            return None
        if kind == "inlineStr":
            inner = _PHONETIC.sub("", inner)
            return "".join(_xml_text(text) for text in _TEXT.findall(inner)) or None
        found = _VALUE.search(inner)
        if found is None or not found[1]:
            return None
        return self._typed(kind, style, _xml_text(found[1]))

    def _typed(self, kind: str, style: str | None, raw: str) -> Cell:
        if kind == "n":
            number: int | float = float(raw) if "." in raw or "E" in raw or "e" in raw else int(raw)
            if style and int(style) in self.dates:
                try:
                    return from_excel(number, self.epoch, timedelta=int(style) in self.durations)
                except (OverflowError, ValueError):
                    return "#VALUE!"
            return number
        if kind == "s":
            return self.strings[int(raw)]
        if kind == "b":
            return bool(int(raw))
        if kind == "d":
            return from_ISO8601(raw)
        return raw  # "str" (a formula's text), "e" (an error such as #N/A)

    def _row_by_tree(self, row_xml: str, declarations: str) -> list[Cell]:
        """The slow, general way for one row: ElementTree (defusedxml when installed)."""
        wrapper = fromstring(f"<wrap {declarations}>{row_xml}</wrap>")
        values: list[Cell] = []
        for cell in wrapper[0]:
            if _local(cell) != "c":
                continue
            ref = cell.get("r")
            if ref:
                position = self._column(re.match(r"[A-Z]+", ref)[0])  # type: ignore[index]
                if position > len(values):
                    values.extend([None] * (position - len(values)))
            values.append(self._tree_value(cell))
        return values

    def _tree_value(self, cell: Element) -> Cell:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            return "".join(_texts(cell)) or None
        for node in cell:
            if _local(node) == "v":
                return self._typed(kind, cell.get("s"), node.text) if node.text else None
        return None


def _local(node: Element) -> str:
    return node.tag.rpartition("}")[2]


def _texts(node: Element) -> Iterator[str]:
    """The ``<t>`` texts under ``node``, phonetic runs (``<rPh>``) left out."""
    for child in node:
        name = _local(child)
        if name == "t":
            yield child.text or ""
        elif name != "rPh":
            yield from _texts(child)


def _xml_text(text: str) -> str:
    return unescape(text) if "&" in text else text
