"""Reading events from CSV: the encoding and separator found, each row validated as one event.

Encoding: UTF-8 with or without a byte-order mark; a line that is not UTF-8 is Windows-1252 (the
superset of Latin-1 that spreadsheets write), so "Müller" saved by Excel stays "Müller". UTF-16 is
refused. Separator: comma, semicolon or tab, whichever splits the header into the event columns.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bot.services.event_input import InputFormatError, Parsed, parse_objects
from bot.services.outcome_rows import outcome_event
from bot.services.schemas import LeadIn, Refusal

REQUIRED_COLUMNS = ("event_id", "email", "type", "occurred_at")
#: A CRM export of outcomes: ``email,outcome,occurred_at[,amount][,currency][,event_id]``.
OUTCOME_COLUMNS = ("email", "outcome", "occurred_at")
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}
_LEAD_FIELDS = set(LeadIn.model_fields)


def decode_lines(lines: Iterable[bytes]) -> Iterator[str]:
    """The lines of a file as text: UTF-8 (a leading BOM dropped), else Windows-1252, line by line."""
    for number, line in enumerate(lines):
        if number == 0 and line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise InputFormatError("the file is UTF-16: save it as CSV in UTF-8 (or Windows-1252)")
        yield _decode(line.removeprefix(codecs.BOM_UTF8) if number == 0 else line)


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")  # the five bytes Windows-1252 leaves undefined


def parse_csv(lines: Iterable[str]) -> Iterator[Parsed]:
    """Validate CSV rows: event columns, lead columns (``title`` or ``lead.title``), attributes
    (``attributes.plan``), and the rest as properties (``url`` or ``properties.url``). Positions are
    file line numbers.

    The header is read at once: InputFormatError if it lacks the event columns or their separator
    is not a comma, semicolon or tab.
    """
    remaining = iter(lines)
    header = next(remaining, "").removeprefix("\ufeff")
    separator = _separator(header)
    columns = [name.strip() for name in next(csv.reader([header], delimiter=separator))]
    as_event = outcome_event if "type" not in columns else _csv_event
    return _rows(csv.reader(remaining, delimiter=separator, strict=True), columns, as_event)


def _separator(header: str) -> str:
    if not header.strip():
        raise InputFormatError("the CSV file is empty: its first line must name the columns")
    if "\x00" in header:
        raise InputFormatError("the file is not text (or is UTF-16): save it as CSV in UTF-8")
    for separator in SEPARATORS:
        names = _names(header, separator)
        if set(REQUIRED_COLUMNS) <= names or set(OUTCOME_COLUMNS) <= names:
            return separator
    found = _sniffed_separator(header)
    if found is None or found in SEPARATORS:
        names = _names(header, found or ",")
        missing = ", ".join(name for name in REQUIRED_COLUMNS if name not in names)
        raise InputFormatError(
            f"the CSV header has no {missing} column: it needs event_id, email, type and occurred_at"
        )
    raise InputFormatError(f"the CSV columns are separated by {found!r}: use commas, semicolons or tabs")


def _names(header: str, separator: str) -> set[str]:
    return {name.strip() for name in next(csv.reader([header], delimiter=separator))}


def _sniffed_separator(header: str) -> str | None:
    """The punctuation the header line uses most, if any: what its columns must be split by."""
    marks = Counter(char for char in header.strip() if not (char.isalnum() or char in "_.-'\" "))
    return marks.most_common(1)[0][0] if marks else None


def _rows(
    reader: Any, columns: list[str], as_event: Callable[[dict[str, str]], dict[str, Any]]
) -> Iterator[Parsed]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            position = reader.line_num + 1
            yield Parsed(position, None, [Refusal(index=position, field="(row)", error=f"not CSV: {exc}")])
            continue
        position = reader.line_num + 1  # the header was read apart
        if not cells:
            continue
        if len(cells) > len(columns):
            refusal = Refusal(index=position, field="(row)", error="more cells than header columns")
            yield Parsed(position, None, [refusal])
            continue
        try:
            event = as_event(dict(zip(columns, cells, strict=False)))
        except ValueError as exc:
            yield Parsed(position, None, [Refusal(index=position, field="outcome", error=str(exc))])
            continue
        yield next(parse_objects([event], first=position))


def _csv_event(row: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {"properties": {}}
    lead: dict[str, Any] = {}
    for name, value in row.items():
        if value == "":
            continue
        if name in REQUIRED_COLUMNS:
            event[name] = value
        elif name.removeprefix("lead.").startswith("attributes."):
            attribute = name.removeprefix("lead.").removeprefix("attributes.")
            lead.setdefault("attributes", {})[attribute] = _cell_value(value)
        elif name.removeprefix("lead.") in _LEAD_FIELDS:
            lead[name.removeprefix("lead.")] = value
        else:
            event["properties"][name.removeprefix("properties.")] = value
    if lead:
        event["lead"] = lead
    return event


def _cell_value(text: str) -> str | float:
    """A number when the cell holds one (an attribute such as seats), else the text."""
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text else number
