"""Reading a form service's export — CSV, Excel (.xlsx) or JSON — into one record per story.

Exports come as the service and the owner's spreadsheet left them: comma- or semicolon-
separated (Excel in most of Europe uses ``;``), UTF-8 with or without a byte-order mark,
UTF-16 (Excel's "Unicode text") or Windows-1252 (older Excel). The separator is sniffed from
the header row and the encoding is detected (charset-normalizer) when the file is not UTF-8;
what was used is reported, so a wrong guess is visible. Which column holds what is decided
in ``columns.py``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from storyforge.core.config import SiteConfig
from storyforge.errors import ModerationError, SourceLocation
from storyforge.moderation.columns import DEFAULT_COLUMNS, ColumnMap, normalise, resolve_columns

__all__ = ["DEFAULT_COLUMNS", "Export", "Table", "read_export", "read_rows", "read_table"]

Row = tuple[SourceLocation, str, dict[str, str]]
DELIMITERS = (",", ";", "\t", "|")
ENCODING_NAMES = {"utf_8": "UTF-8", "utf_16": "UTF-16", "utf_16_le": "UTF-16", "utf_16_be": "UTF-16",
                  "cp1252": "Windows-1252", "latin_1": "ISO-8859-1", "iso8859_15": "ISO-8859-15",
                  "mac_roman": "Mac Roman", "cp1250": "Windows-1250"}


@dataclass
class Table:
    """A file read as a grid: headers, then (line or row number, cells) for each non-empty record."""

    headers: list[str]
    records: list[tuple[int, list[str]]]
    encoding: str = "UTF-8"  # or UTF-16, Windows-1252, …; "Excel workbook" for .xlsx
    delimiter: str = ","
    errors: dict[int, str] = field(default_factory=dict)  # JSON items that are not objects


@dataclass
class Export:
    """An export read and mapped: what ``--dry-run`` shows and what intake admits."""

    table: Table
    mapping: ColumnMap
    rows: list[Row]

    @property
    def read_as(self) -> str:
        """'UTF-8, comma-separated' — how the file was read, for the owner to check."""
        if self.table.encoding == "Excel workbook" or self.table.delimiter == "json":
            return self.table.encoding
        names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
        return f"{self.table.encoding}, {names[self.table.delimiter]}-separated"


def read_export(path: Path, config: SiteConfig) -> Export:
    """Read ``path`` and find its columns; a ModerationError names the file when it cannot be."""
    shown = path.as_posix()
    table = read_table(path)
    empty = frozenset(h for i, h in enumerate(table.headers)
                      if not any(i < len(cells) and cells[i].strip() for _, cells in table.records))
    try:
        mapping = resolve_columns(table.headers, config, empty)
    except ModerationError as exc:
        raise ModerationError(exc.message, SourceLocation(shown, 1)) from None
    index = dict(sorted(((name, table.headers.index(header)) for name, header in mapping.columns.items()),
                        key=lambda item: item[1]))  # in the file's order, as --dry-run shows them
    # Typeform's "Submit Date (UTC)": times written without a zone, the header says which
    when = normalise(mapping.columns.get("received_at", "")).split()
    zone = "UTC" if "utc" in when or "gmt" in when else ""
    rows: list[Row] = []
    unit = "item" if table.delimiter == "json" else "row"
    for number, (line, cells) in enumerate(table.records, start=1):
        where = SourceLocation(shown, line) if unit == "row" else SourceLocation(shown)
        if line in table.errors:
            rows.append((where, f"{unit} {number}", {"_error": table.errors[line]}))
            continue
        values = {name: cells[i] if i < len(cells) else "" for name, i in index.items()}
        if zone:
            values["_zone"] = zone
        rows.append((where, f"{unit} {number}", values))
    return Export(table, mapping, rows)


def read_rows(path: Path, config: SiteConfig) -> list[Row]:
    """(where, 'row N' | 'item N', field → text) for each record of an export."""
    return read_export(path, config).rows


def read_table(path: Path) -> Table:
    """Any export as a grid of text; the format comes from the name, then the first bytes."""
    shown = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModerationError(f"cannot read: {exc.strerror or exc}", SourceLocation(shown)) from None
    if path.suffix.lower() in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        return _xlsx_table(data, shown)
    text, encoding = decode(data, shown)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        return _json_table(text, shown, encoding)
    return _csv_table(text, shown, encoding)


def decode(data: bytes, shown: str) -> tuple[str, str]:
    """(text, name of the encoding): UTF-8 first, byte-order marks next, then detection."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", "replace"), "UTF-8 with BOM"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    found = from_bytes(data)
    best = found.best()
    if best is None:
        raise ModerationError("cannot tell how this file's text is encoded — save it from your spreadsheet as "
                              "\"CSV UTF-8\"", SourceLocation(shown))
    # short files fit several Western code pages alike; say Windows-1252 (what Excel writes) when it reads the same
    try:
        if data.decode("cp1252") == str(best) or any(m.encoding == "cp1252" for m in found):
            return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        pass
    name = codecs.lookup(best.encoding).name.replace("-", "_")
    return str(best), ENCODING_NAMES.get(name, best.encoding)


def sniff_delimiter(text: str) -> str:
    """The separator that splits the header row into the most columns (a comma on a tie)."""
    first = text.split("\n", 1)[0]
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: (counts[d], -DELIMITERS.index(d)))


def _csv_table(text: str, shown: str, encoding: str) -> Table:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise ModerationError("the file is empty — expected a header row, then one row per story",
                              SourceLocation(shown, 1)) from None
    table = Table(headers, [], encoding, delimiter)
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ModerationError(f"cannot read the CSV: {exc}", SourceLocation(shown, start)) from None
        if any(cell.strip() for cell in record):
            table.records.append((start, record))
    return table


def _xlsx_table(data: bytes, shown: str) -> Table:
    """The first sheet of a workbook (Microsoft Forms' "Open in Excel" download)."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ModerationError(f"not a readable Excel workbook ({exc}) — save it again as .xlsx or as CSV UTF-8",
                              SourceLocation(shown)) from None
    try:
        sheet = book.worksheets[0]
        grid = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    if not grid:
        raise ModerationError("the workbook's first sheet is empty — expected a header row, then one row per story",
                              SourceLocation(shown, 1))
    records = [(n, cells) for n, cells in enumerate(grid[1:], start=2) if any(c.strip() for c in cells)]
    return Table([h.strip() for h in grid[0]], records, "Excel workbook", "xlsx")


def _cell_text(value: Any) -> str:
    """A cell as the owner sees it: dates as ISO 8601, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


#: a form export is a list of flat objects; deeper than this is not one (and Python's JSON reader
#: would give up with a RecursionError a few hundred levels further down)
MAX_JSON_DEPTH = 20


def _json_table(text: str, shown: str, encoding: str) -> Table:
    too_deep = ModerationError("the JSON is nested too deeply to be a form export", SourceLocation(shown, 1))
    if _depth(text) > MAX_JSON_DEPTH:
        raise too_deep
    try:
        # numbers are kept as written: a form's answer is text, and Python refuses to read an
        # integer of more than 4,300 digits
        data = json.loads(text, parse_int=str)
    except json.JSONDecodeError as exc:
        raise ModerationError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                              SourceLocation(shown, exc.lineno)) from None
    except RecursionError:
        raise too_deep from None
    if not isinstance(data, list):
        raise ModerationError("expected a JSON list of objects, one per story", SourceLocation(shown))
    items = [_flatten(item) if isinstance(item, dict) else None for item in data]
    headers = list(dict.fromkeys(key for item in items if item for key in item))
    table = Table(headers, [], f"JSON ({encoding})", "json")
    for number, item in enumerate(items, start=1):
        if item is None:
            table.errors[number] = "expected an object with the story's fields"
            table.records.append((number, []))
        else:
            table.records.append((number, [_as_text(item.get(h)) for h in headers]))
    return table


def _depth(text: str) -> int:
    """The deepest nesting of [ and { in a JSON text, outside strings: one linear pass, before the
    reader (which recurses) sees it."""
    deepest = depth = 0
    for token in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]', text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif mark in "]}":
            depth -= 1
    return deepest


def _flatten(item: dict[str, Any]) -> dict[str, Any]:
    """{'consent': {'publish': true}} → {'consent_publish': true}; our own files import as they are."""
    flat: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            flat.update({f"{key}_{inner}": v for inner, v in value.items()})
        else:
            flat[str(key)] = value
    method, reference = str(flat.pop("verification_method", "") or ""), flat.pop("verification_reference", "")
    flat.pop("verification_checked", None)  # a match is made here, against the owner's records, never taken
    if method in ("order", "booking") and reference:
        flat.setdefault(method, reference)
    return flat


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
